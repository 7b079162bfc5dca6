"""What the trainer yields: small frozen records of plain floats, and the run history.

Event order for a run: ``BatchProgress``\\* then ``EpochEnd`` per epoch, one
``SpeedEstimate`` a few batches into the first epoch (runs of at least 3 batches), and
exactly one terminal event last — ``Finished``, or ``Stopped`` (``Diverged`` is a ``Stopped``
subtype, so ``isinstance(event, Stopped)`` catches every early end).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

_BOOK_NAMES = ("train_loss", "train_acc", "test_loss", "test_acc")


class _BookNames:
    """The book's figure names read from ``metrics`` (None when the task has no such
    figure, e.g. accuracy of a regression)."""

    metrics: dict[str, float]

    @property
    def train_loss(self) -> float:
        return self.metrics.get("train_loss", float("nan"))

    @property
    def train_acc(self) -> float | None:
        return self.metrics.get("train_acc")

    @property
    def test_loss(self) -> float | None:
        return self.metrics.get("test_loss")

    @property
    def test_acc(self) -> float | None:
        return self.metrics.get("test_acc")

    def to_dict(self) -> dict[str, Any]:
        """Flat plain data: the fields, the book's names (None when absent) and
        ``metrics``; what ``--json`` prints and a history stores."""
        d = asdict(self)  # type: ignore[call-overload]
        d.update({k: self.metrics.get(k) for k in _BOOK_NAMES})
        return d


def _from_flat(cls: type, d: dict[str, Any]) -> Any:
    """Build from ``to_dict()`` output or a version-1 record (book names as fields)."""
    d = dict(d)
    metrics = dict(d.pop("metrics", None) or {})
    for key in _BOOK_NAMES:
        value = d.pop(key, None)
        if value is not None:
            metrics.setdefault(key, value)
    return cls(metrics=metrics, **d)


@dataclass(frozen=True)
class BatchProgress(_BookNames):
    """Running figures inside an epoch (every ``progress_every`` batches and at its end).

    Attributes:
        epoch: 1-based epoch number.
        step: 1-based batch number within the epoch.
        steps_per_epoch: batches per epoch.
        fraction: fractional epoch for the x axis, ``epoch - 1 + step / steps_per_epoch``
            (the book's Animator x).
        metrics: training figures over the epoch so far, keyed ``train_<metric>``:
            always ``train_loss``; the task's metrics (``train_acc`` for
            classification, ``train_pixel_acc`` ... for others). ``.train_loss`` /
            ``.train_acc`` read them by the book's names.
        examples_per_sec: throughput so far this epoch (forward/backward/step time only).
        lr: current learning rate (of the first parameter group).
    """

    epoch: int
    step: int
    steps_per_epoch: int
    fraction: float
    metrics: dict[str, float]
    examples_per_sec: float
    lr: float

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BatchProgress:
        return _from_flat(cls, d)


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
class EpochEnd(_BookNames):
    """Figures for one finished epoch.

    Attributes:
        epoch: 1-based epoch number.
        metrics: ``train_loss``, ``test_loss`` (with a test split) and the task's
            metrics as ``train_<key>`` / ``test_<key>`` (classification: ``train_acc``,
            ``test_acc``). ``.train_loss`` / ``.train_acc`` / ``.test_loss`` /
            ``.test_acc`` read the book's names (None when absent).
        examples_per_sec: training examples / seconds spent moving batches to the device,
            forward, backward and optimiser step — like the book's ``train_ch6`` (data
            loading and evaluation not counted).
        lr: learning rate used during this epoch.
        seconds: wall time of the epoch including evaluation.
    """

    epoch: int
    metrics: dict[str, float]
    examples_per_sec: float
    lr: float
    seconds: float

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EpochEnd:
        return _from_flat(cls, d)


@dataclass
class History:
    """A run's record: its settings, per-epoch figures and the progress points.

    Plain data only, so ``to_dict()`` goes into a checkpoint or JSON file unchanged;
    ``from_dict`` also reads version-1 histories (figures as separate fields).
    """

    settings: dict[str, Any] = field(default_factory=dict)
    epochs: list[EpochEnd] = field(default_factory=list)
    progress: list[BatchProgress] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"settings": dict(self.settings),
                "epochs": [e.to_dict() for e in self.epochs],
                "progress": [p.to_dict() for p in self.progress]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        try:
            return cls(settings=dict(d.get("settings", {})),
                       epochs=[EpochEnd.from_dict(e) for e in d.get("epochs", [])],
                       progress=[BatchProgress.from_dict(p) for p in d.get("progress", [])])
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


@dataclass(frozen=True, eq=False)
class Prepared:
    """``run()`` loaded the data and built the model; training starts next.

    Attributes:
        source: where the data came from (``DataBundle.source``).
        n_train, n_test: examples in each split.
        input_shape: one example's shape without the batch dim.
        task: the task's name (``"classification"``, ``"segmentation"`` ...).
        num_classes: classes of the data, None for regression.
        class_names: human class names (may be empty).
        params: number of parameters of the model.
        model: the ``engine.training.experiment.RunModel`` (network, its reference,
            optimiser once training starts) so a caller can save it after the run; read
            it only once the run ended.
        weights: how the weights started, a sentence for every surface, e.g.
            ``"random init (no pretrained weights offline)"``.
        metrics: the task's ``MetricInfo`` descriptions, for views.
        start_epoch: 1, or the epoch a resumed run continues with.
    """

    source: str
    n_train: int
    n_test: int
    input_shape: tuple[int, ...]
    task: str
    num_classes: int | None
    class_names: tuple[str, ...]
    params: int
    model: Any
    weights: str = ""
    metrics: tuple[Any, ...] = ()
    start_epoch: int = 1


TrainEvent = BatchProgress | SpeedEstimate | EpochEnd | Finished | Stopped
