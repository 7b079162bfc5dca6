"""Run by tests/engine/test_training_distributed.py under ``torchrun``: the engine's own
``run(config, dist=...)``. Rank 0 saves the final weights and figures to ``OUT/rank0.pt``.

Usage: ``torchrun --nproc_per_node=2 ddp_run_worker.py CONFIG.json OUT_DIR``
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from engine.training.config import RunConfig
from engine.training.distributed import DistContext
from engine.training.events import EpochEnd, Finished, Prepared
from engine.training.experiment import run


def main(config_path: Path, out: Path) -> None:
    config = RunConfig.from_json(config_path.read_text())
    dist = DistContext.from_env(device="cpu")
    assert dist is not None, "not started by torchrun"
    prepared, epochs, end = None, [], None
    for event in run(config, dist=dist):
        if isinstance(event, Prepared):
            prepared = event
        elif isinstance(event, EpochEnd):
            epochs.append(dict(event.metrics))
        elif isinstance(event, Finished):
            end = event
    assert prepared is not None and end is not None
    torch.save({"state": prepared.model.net.state_dict(), "epochs": epochs,
                "n_train": prepared.n_train, "note": dist.shard_note(prepared.n_train)},
               out / f"rank{dist.rank}.pt")
    dist.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
