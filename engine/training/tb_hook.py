"""``--tensorboard DIR``: write a run's curves as TensorBoard event files.

>>> with TensorBoardHook("runs/lenet", config=config.to_dict()) as tb:
...     for event in run(config, hooks=[tb]):
...         ...
$ tensorboard --logdir runs

Scalars, named so train and test of one figure sit side by side:

- per epoch (step = epoch): ``loss/train``, ``loss/test``, ``acc/train``, ``acc/test``,
  the task's other metrics the same way (``mean_iou/test`` …), ``lr``,
  ``examples_per_sec``;
- at each progress point (step = batches done in the run): ``batch/loss/train`` …

The configuration goes in as text (``config``). Under ``torchrun`` only rank 0 creates
the hook. Needs the ``tensorboard`` package (``pip install tensorboard``, or the
project's ``[tensorboard]`` extra); without it the hook raises a ``ValueError`` saying so.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from engine.training.hooks import Hook, LoopState


def _tag(key: str) -> str:
    """``train_loss`` -> ``loss/train``; keys without a split stay as they are."""
    for split in ("train", "test"):
        if key.startswith(split + "_"):
            return f"{key[len(split) + 1:]}/{split}"
    return key


class TensorBoardHook(Hook):
    """Writes scalars at progress points and epoch ends (see the module docstring).

    Args:
        log_dir: the run's folder (created); TensorBoard reads every run under
            ``--logdir``.
        config: the run's configuration (plain JSON data), stored as text.

    Raises:
        ValueError: ``tensorboard`` is not installed, or ``log_dir`` cannot be created.
    """

    def __init__(self, log_dir: str | Path, *, config: dict[str, Any] | None = None) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:
            raise ValueError(f"--tensorboard needs the tensorboard package, which is not "
                             f"installed ({exc}); install it with `pip install tensorboard`"
                             ) from None
        self.log_dir = Path(log_dir).expanduser()
        try:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            self.writer: Any = SummaryWriter(log_dir=str(self.log_dir))
        except OSError as exc:
            raise ValueError(f"cannot write TensorBoard files in {self.log_dir}: "
                             f"{exc.strerror or exc}") from exc
        if config is not None:
            text = json.dumps(config, indent=2, default=str)
            self.writer.add_text("config", f"```\n{text}\n```", 0)
        self._batches_before_epoch = 0

    def __enter__(self) -> TensorBoardHook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _scalars(self, prefix: str, metrics: dict[str, Any], step: int) -> None:
        for key, value in metrics.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and (
                    math.isfinite(value)):
                self.writer.add_scalar(prefix + _tag(key), value, step)

    def batch_end(self, state: LoopState) -> None:
        point = state.progress
        if point is not None:
            step = (point.epoch - 1) * point.steps_per_epoch + point.step
            self._scalars("batch/", point.metrics, step)

    def epoch_end(self, state: LoopState) -> None:
        e = state.event
        self._scalars("", {**e.metrics, "lr": e.lr, "examples_per_sec": e.examples_per_sec},
                      e.epoch)
        self.writer.flush()  # a run that is killed later keeps its finished epochs

    def close(self) -> None:
        self.writer.close()
