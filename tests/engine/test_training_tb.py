"""The TensorBoard hook: event files written by a real run, read back with TensorBoard."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils import data

from engine.training import EpochEnd, Finished, train
from engine.training.tb_hook import TensorBoardHook

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import (  # noqa: E402
    EventAccumulator,
)


def tiny_run(hooks: list) -> list:
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(64, 2, generator=g), torch.randint(0, 2, (64,), generator=g)
    train_iter = data.DataLoader(data.TensorDataset(X, y), batch_size=16, shuffle=True,
                                 generator=g)
    test_iter = data.DataLoader(data.TensorDataset(X[:16], y[:16]), batch_size=16)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    return list(train(net, (train_iter, test_iter), num_epochs=3, lr=0.1, device="cpu",
                      task="classification", progress_every=2, hooks=hooks))


def test_epoch_and_progress_scalars_match_the_events(tmp_path: Path) -> None:
    with TensorBoardHook(tmp_path / "run1", config={"lr": 0.1, "num_epochs": 3}) as tb:
        events = tiny_run([tb])
    assert isinstance(events[-1], Finished)
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    acc = EventAccumulator(str(tmp_path / "run1"))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {"loss/train", "loss/test", "acc/train", "acc/test", "lr",
            "examples_per_sec", "batch/loss/train", "batch/acc/train"} <= tags
    loss = acc.Scalars("loss/train")
    assert [s.step for s in loss] == [1, 2, 3]
    assert [s.value for s in loss] == pytest.approx([e.train_loss for e in epochs], rel=1e-6)
    assert [s.value for s in acc.Scalars("acc/test")] == pytest.approx(
        [e.test_acc for e in epochs], rel=1e-6)
    # 4 batches per epoch, a progress point every 2: steps 2, 4, 6, ... 12
    assert [s.step for s in acc.Scalars("batch/loss/train")] == [2, 4, 6, 8, 10, 12]
    text = acc.Tensors("config/text_summary")[0].tensor_proto.string_val[0].decode()
    assert '"num_epochs": 3' in text


def test_missing_tensorboard_is_a_clear_value_error(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import fails
    with pytest.raises(ValueError, match="pip install tensorboard"):
        TensorBoardHook(tmp_path / "run")


def test_unwritable_folder_is_a_value_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ValueError, match="cannot write TensorBoard files"):
        TensorBoardHook(blocker / "run")
