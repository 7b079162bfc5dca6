"""Old-vs-new trainer: the same seed gives an identical history, float for float.

The oracle is ``reference_trainer_v1.py``, a frozen copy of the trainer before issue 10
(events, settings and loop as they were at commit 6c58544). Both run here, on this
machine, from fresh copies of the same data and the same initial weights, so the
comparison is exact (``==`` on every float) rather than a tolerance.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reference_trainer_v1 as old  # noqa: E402

from engine.data import load_dataset  # noqa: E402
from engine.training import BatchProgress, EpochEnd, Finished, train  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def small_cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 4, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(8 * 5 * 5, 10))


CASES = {
    # name: (dataset, loader kwargs, net factory, train kwargs)
    "cnn-momentum-step-clip": (
        "procedural-shapes", {"n_train": 300, "n_test": 100}, small_cnn,
        {"num_epochs": 3, "lr": 0.05, "optimizer": "momentum", "init": "kaiming",
         "schedule": "step", "step_size": 1, "gamma": 0.5, "weight_decay": 1e-4,
         "grad_clip": 1.0, "progress_every": 3}),
    "mlp-adam-cosine": (
        "blobs", {"n_train": 200, "n_test": 60},
        lambda: nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3)),
        {"num_epochs": 3, "lr": 0.01, "optimizer": "adam", "schedule": "cosine",
         "init": "xavier", "seed": 3}),
    "classification-with-mse": (
        "circles", {"n_train": 120, "n_test": 40},
        lambda: nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2)),
        {"num_epochs": 2, "lr": 0.5, "loss": "mse"}),
    "linear-regression": (
        "synthetic-linear", {}, lambda: nn.Sequential(nn.Linear(2, 1)),
        {"num_epochs": 3, "lr": 0.03, "init": "normal", "seed": 1}),
    "regression-huber-adamw": (
        "synthetic-linear", {"n_train": 300, "n_test": 50},
        lambda: nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1)),
        {"num_epochs": 2, "lr": 0.01, "loss": "huber", "optimizer": "adamw",
         "weight_decay": 0.01}),
}


def _figures(events: list) -> tuple[list, list]:
    epochs = [(e.epoch, e.train_loss, e.train_acc, e.test_loss, e.test_acc, e.lr)
              for e in events if type(e).__name__ == "EpochEnd"]
    points = [(p.epoch, p.step, p.steps_per_epoch, p.fraction, p.train_loss, p.train_acc, p.lr)
              for p in events if type(p).__name__ == "BatchProgress"]
    return epochs, points


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_seed_gives_the_old_trainers_history_exactly(case: str) -> None:
    name, data_kw, make_net, kw = CASES[case]
    batch = 10 if name == "synthetic-linear" else 20
    torch.manual_seed(0)
    net_old = make_net()
    net_new = copy.deepcopy(net_old)
    seed = kw.get("seed", 0)
    old_events = list(old.train(net_old, load_dataset(name, batch_size=batch, seed=seed,
                                                      **data_kw), device="cpu", **kw))
    new_events = list(train(net_new, load_dataset(name, batch_size=batch, seed=seed, **data_kw),
                            device="cpu", **kw))
    assert type(old_events[-1]).__name__ == "Finished" and isinstance(new_events[-1], Finished)
    old_epochs, old_points = _figures(old_events)
    new_epochs, new_points = _figures(new_events)
    assert len(old_epochs) == kw["num_epochs"] and len(old_points) >= len(old_epochs)
    assert new_epochs == old_epochs
    assert new_points == old_points
    for a, b in zip(net_old.state_dict().values(), net_new.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    # the new events also carry the figures by name
    last = [e for e in new_events if isinstance(e, EpochEnd)][-1]
    assert last.metrics["train_loss"] == old_epochs[-1][1]
    first = next(p for p in new_events if isinstance(p, BatchProgress))
    assert first.metrics["train_loss"] == old_points[0][4]
