"""What the trainer yields: small frozen records of plain floats, and the run history.

Event order for a run: ``BatchProgress``\\* then ``EpochEnd`` per epoch, one
``SpeedEstimate`` a few batches into the first epoch (runs of at least 3 batches), and
exactly one terminal event last — ``Finished``, or ``Stopped`` (``Diverged`` is a ``Stopped``
subtype, so ``isinstance(event, Stopped)`` catches every early end).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class BatchProgress:
    """Running figures inside an epoch (every ``progress_every`` batches and at its end).

    Attributes:
        epoch: 1-based epoch number.
        step: 1-based batch number within the epoch.
        steps_per_epoch: batches per epoch.
        fraction: fractional epoch for the x axis, ``epoch - 1 + step / steps_per_epoch``
            (the book's Animator x).
        train_loss: mean training loss over the epoch so far.
        train_acc: training accuracy over the epoch so far; None for regression.
        examples_per_sec: throughput so far this epoch (forward/backward/step time only).
        lr: current learning rate.
    """

    epoch: int
    step: int
    steps_per_epoch: int
    fraction: float
    train_loss: float
    train_acc: float | None
    examples_per_sec: float
    lr: float


@dataclass(frozen=True)
class SpeedEstimate:
    """How long the whole run will take on this device, from timing its first batches.

    Measured on the run's own batches (data loading included, the first batch left out
    as warm-up), once, early in epoch 1 — so a run that would take hours can say so
    before the user waits for the first progress point.

    Attributes:
        seconds_per_batch: wall time per training batch after the first.
        batches_timed: how many batches that is the mean of.
        first_batch_seconds: the first batch (warm-up: allocation, autotuning).
        steps_per_epoch: training batches per epoch.
        test_steps: test batches per epoch (0 without a test split).
        num_epochs: epochs of the run.
        estimated_seconds: the whole run: training batches plus evaluation (a test batch
            counted as a third of a training batch: forward only).
    """

    seconds_per_batch: float
    batches_timed: int
    first_batch_seconds: float
    steps_per_epoch: int
    test_steps: int
    num_epochs: int
    estimated_seconds: float


@dataclass(frozen=True)
class EpochEnd:
    """Figures for one finished epoch.

    Attributes:
        epoch: 1-based epoch number.
        train_loss: mean training loss over the epoch.
        train_acc: training accuracy; None for regression.
        test_loss: mean loss on the test split; None when there is no test split.
        test_acc: test accuracy; None for regression or without a test split.
        examples_per_sec: training examples / seconds spent moving batches to the device,
            forward, backward and optimiser step — like the book's ``train_ch6`` (data
            loading and evaluation not counted).
        lr: learning rate used during this epoch.
        seconds: wall time of the epoch including evaluation.
    """

    epoch: int
    train_loss: float
    train_acc: float | None
    test_loss: float | None
    test_acc: float | None
    examples_per_sec: float
    lr: float
    seconds: float


@dataclass
class History:
    """A run's record: its settings, per-epoch figures and the progress points.

    Plain data only, so ``to_dict()`` goes into a checkpoint or JSON file unchanged.
    """

    settings: dict[str, Any] = field(default_factory=dict)
    epochs: list[EpochEnd] = field(default_factory=list)
    progress: list[BatchProgress] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"settings": dict(self.settings),
                "epochs": [asdict(e) for e in self.epochs],
                "progress": [asdict(p) for p in self.progress]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        try:
            return cls(settings=dict(d.get("settings", {})),
                       epochs=[EpochEnd(**e) for e in d.get("epochs", [])],
                       progress=[BatchProgress(**p) for p in d.get("progress", [])])
        except (TypeError, AttributeError) as exc:
            raise ValueError(f"not a training history: {exc}") from exc

    @property
    def last(self) -> EpochEnd | None:
        """The latest finished epoch, if any."""
        return self.epochs[-1] if self.epochs else None


@dataclass(frozen=True)
class Finished:
    """All epochs ran. ``history`` holds every epoch's figures."""

    history: History


@dataclass(frozen=True)
class Stopped:
    """The run ended early.

    Attributes:
        reason: a sentence for the user, e.g. ``"stopped by user at epoch 2 step 14"``.
        history: the epochs finished before the stop.
        epoch: 1-based epoch in which it stopped.
        step: batches done in that epoch when it stopped.
        kind: ``"user"`` (control.stop()), ``"diverged"`` or ``"out-of-memory"``.
    """

    reason: str
    history: History
    epoch: int
    step: int
    kind: str = "user"


@dataclass(frozen=True)
class Diverged(Stopped):
    """Stopped because the training loss became NaN or infinite, or exploded (over
    ``EXPLODE_FACTOR`` times the first batch loss and over ``EXPLODE_FLOOR``; see
    ``engine.training.trainer``).

    Attributes:
        loss: the batch loss that diverged (``nan``, ``inf``, ``-inf`` or a huge value).
    """

    kind: str = "diverged"
    loss: float = float("nan")


TrainEvent = BatchProgress | SpeedEstimate | EpochEnd | Finished | Stopped
