"""A frozen copy of the trainer as it was before issue 10 (commit 6c58544): the oracle.

``tests/engine/test_training_identical.py`` trains the same net on the same data with
the same seed through this copy and through today's ``engine.training.train`` and
asserts identical histories. Events, settings and the loop are copied verbatim from
engine/training/{events,setup,trainer}.py of that commit (imports merged, docstrings
kept); do not edit it to follow the engine — it is the reference.
"""
# ruff: noqa

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from engine.builder.init_schemes import INIT_FUNCTIONS
from engine.device import pick_device
from engine.jobs import JobControl




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
    """Stopped because the training loss became NaN or infinite.

    Attributes:
        loss: the non-finite batch loss (``nan``, ``inf`` or ``-inf``).
    """

    kind: str = "diverged"
    loss: float = float("nan")


TrainEvent = BatchProgress | EpochEnd | Finished | Stopped





OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
LOSSES = ("cross-entropy", "mse", "l1", "huber")
SCHEDULES = ("none", "step", "cosine")
INITS = ("default", "normal", "xavier", "kaiming")


def check_choice(what: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{what}={value!r} is not supported; choose one of {', '.join(choices)}")
    return value


def init_weights(net: nn.Module, scheme: str) -> None:
    """Re-initialise ``net``'s Linear / Conv weights in place (biases to zero).

    Args:
        net: the network (lazy layers must be materialised first).
        scheme: ``"default"`` (PyTorch's own ``reset_parameters``), ``"normal"``
            (N(0, 0.01) as in the book's ``init_weights``), ``"xavier"`` (Xavier uniform,
            as in ``train_ch6``) or ``"kaiming"`` (Kaiming normal, for ReLU nets).
    """
    check_choice("init", scheme, INITS)
    if scheme == "default":
        for m in net.modules():
            if m is not net and hasattr(m, "reset_parameters"):
                m.reset_parameters()
        return
    net.apply(INIT_FUNCTIONS[scheme])  # the builder's functions: one meaning per scheme


def make_optimizer(params: Iterable[torch.nn.Parameter], name: str, *, lr: float,
                   weight_decay: float = 0.0, momentum: float = 0.9) -> torch.optim.Optimizer:
    """``"sgd"``, ``"momentum"`` (SGD with ``momentum``), ``"adam"`` or ``"adamw"``."""
    check_choice("optimizer", name, OPTIMIZERS)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


def make_loss(name: str) -> nn.Module:
    """``"cross-entropy"``, ``"mse"``, ``"l1"`` or ``"huber"`` (mean over the batch)."""
    check_choice("loss", name, LOSSES)
    return {"cross-entropy": nn.CrossEntropyLoss, "mse": nn.MSELoss, "l1": nn.L1Loss,
            "huber": nn.HuberLoss}[name]()


def make_schedule(optimizer: torch.optim.Optimizer, name: str, *, num_epochs: int,
                  step_size: int | None = None, gamma: float = 0.1
                  ) -> torch.optim.lr_scheduler.LRScheduler | None:
    """A per-epoch LR schedule: ``"none"``, ``"step"`` (x ``gamma`` every ``step_size``
    epochs, default a third of the run) or ``"cosine"`` (to 0 over ``num_epochs``)."""
    check_choice("schedule", name, SCHEDULES)
    if name == "step":
        size = step_size or max(1, num_epochs // 3)
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=size, gamma=gamma)
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, num_epochs))
    return None






@dataclass(frozen=True)
class _Settings:
    num_epochs: int
    lr: float
    optimizer: str
    momentum: float
    weight_decay: float
    loss: str
    schedule: str
    step_size: int | None
    gamma: float
    init: str | None
    device: str
    seed: int
    grad_clip: float | None
    progress_every: int
    progress_seconds: float | None
    task: str
    batch_size: int | None
    dataset: str | None


def evaluate_accuracy(net: nn.Module, data_iter: Iterable, device: torch.device | str | None = None
                      ) -> float:
    """Classification accuracy of ``net`` on ``data_iter`` (the book's
    ``evaluate_accuracy_gpu``).

    Args:
        net: maps ``X (Tensor[B, ...])`` to logits ``Tensor[B, num_classes]``.
        data_iter: iterable of ``(X, y)`` with ``y (Tensor[B], int64)``.
        device: where to run; default the device of ``net``'s parameters.

    Returns:
        Fraction of examples whose arg-max logit equals the label (0.0 if empty).
    """
    if device is None:
        device = next(iter(net.parameters()), torch.empty(0)).device
    net.eval()
    correct = torch.zeros((), dtype=torch.long, device=device)
    total = 0
    with torch.no_grad():
        for X, y in data_iter:
            X, y = X.to(device), y.to(device)
            correct += (net(X).argmax(dim=1) == y).sum()
            total += y.numel()
    return correct.item() / total if total else 0.0


def _positive(name: str, value: float | None, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not (
            math.isfinite(value) and value > 0):
        raise ValueError(f"{name}={value!r} must be a positive number")


def _split_data(data: Any) -> tuple[Iterable, Iterable | None, str | None, str | None, int | None]:
    """``(train_iter, test_iter, task, dataset name, batch size)`` from a bundle or a pair."""
    if hasattr(data, "train") and hasattr(data, "test"):
        return data.train, data.test, data.task, getattr(data, "name", None), getattr(
            data, "batch_size", None)
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return data[0], data[1], None, None, getattr(data[0], "batch_size", None)
    raise ValueError("data must be a DataBundle (engine.data.load_dataset) or a pair "
                     f"(train_iter, test_iter); got {type(data).__name__}")


def train(
    net: nn.Module,
    data: Any,
    *,
    num_epochs: int,
    lr: float,
    optimizer: str = "sgd",
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    loss: str | None = None,
    schedule: str = "none",
    step_size: int | None = None,
    gamma: float = 0.1,
    init: str | None = None,
    device: torch.device | str | None = None,
    seed: int = 0,
    grad_clip: float | None = None,
    progress_every: int | None = None,
    progress_seconds: float | None = None,
    control: JobControl | None = None,
    task: str | None = None,
) -> Iterator[TrainEvent]:
    """Train ``net`` and yield progress events; arguments are checked before it starts.

    Args:
        net: the network; moved to ``device`` in place and trained in place.
        data: a ``DataBundle`` or a pair ``(train_iter, test_iter)`` of sized iterables
            of ``(X, y)``; ``test_iter`` may be None.
        num_epochs: passes over the training data.
        lr: learning rate.
        optimizer: ``"sgd"``, ``"momentum"`` (SGD + ``momentum``), ``"adam"``, ``"adamw"``.
        momentum: for ``"momentum"``.
        weight_decay: L2 penalty (decoupled for AdamW).
        loss: ``"cross-entropy"``, ``"mse"``, ``"l1"`` or ``"huber"``; default
            cross-entropy for classification, mse for regression. With a regression loss
            on a classification set the labels become one-hot targets.
        schedule: ``"none"``, ``"step"`` (x ``gamma`` every ``step_size`` epochs) or
            ``"cosine"``; stepped once per epoch.
        step_size, gamma: for ``"step"``.
        init: None keeps the current weights; ``"default"``, ``"normal"``, ``"xavier"`` or
            ``"kaiming"`` re-initialises first (see ``init_weights``).
        device: default ``pick_device()``.
        seed: seeds torch's RNG (init, dropout) and the train loader's shuffle order.
        grad_clip: clip the global gradient norm to this value; None = no clipping.
        progress_every: yield ``BatchProgress`` every this many batches (and at each
            epoch's end); default a fifth of an epoch, like the book's Animator.
        progress_seconds: also yield one when this much time passed since the last
            (keeps a UI lively with slow nets); None = by batch count only.
        control: ``JobControl`` checked before every batch (pause blocks there; stop ends
            the run within one batch with ``Stopped``).
        task: ``"classification"`` or ``"regression"``; taken from a ``DataBundle``,
            else inferred from ``loss``.

    Returns:
        A ``TrainingRun``: an iterator of ``BatchProgress`` / ``EpochEnd`` events ending
        with exactly one ``Finished`` or ``Stopped`` (``Diverged`` on NaN/inf loss; ``kind ==
        "out-of-memory"`` when the device ran out of memory).
    """
    train_iter, test_iter, data_task, dataset, batch_size = _split_data(data)
    if not isinstance(num_epochs, int) or isinstance(num_epochs, bool) or num_epochs < 1:
        raise ValueError(f"num_epochs={num_epochs!r} must be a positive integer, e.g. 10")
    _positive("lr", lr)
    _positive("grad_clip", grad_clip, allow_none=True)
    _positive("progress_seconds", progress_seconds, allow_none=True)
    if not isinstance(weight_decay, (int, float)) or weight_decay < 0:
        raise ValueError(f"weight_decay={weight_decay!r} must be a number >= 0")
    task = task or data_task or ("regression" if loss not in (None, "cross-entropy")
                                 else "classification")
    check_choice("task", task, ("classification", "regression"))
    loss = loss or ("cross-entropy" if task == "classification" else "mse")
    check_choice("loss", loss, LOSSES)
    if task == "regression" and loss == "cross-entropy":
        raise ValueError("loss='cross-entropy' needs class labels; for regression use "
                         "'mse', 'l1' or 'huber'")
    try:
        steps = len(train_iter)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError("the training iterable must have a length (a DataLoader does)") from None
    if steps == 0:
        raise ValueError("the training data is empty; load at least one batch of examples")
    if progress_every is None:
        progress_every = max(1, steps // 5)
    elif not isinstance(progress_every, int) or progress_every < 1:
        raise ValueError(f"progress_every={progress_every!r} must be a positive integer")
    dev = torch.device(device) if device is not None else pick_device()
    settings = _Settings(num_epochs, float(lr), optimizer, momentum, float(weight_decay), loss,
                         schedule, step_size, gamma, init, str(dev), seed, grad_clip,
                         progress_every, progress_seconds, task, batch_size, dataset)
    return TrainingRun(net, train_iter, test_iter, settings, dev, control)  # checks choices


class TrainingRun(Iterator[TrainEvent]):
    """One training run: an iterator of events (what ``train`` returns).

    Besides iterating, callers that save checkpoints read ``optimizer`` (None until the
    first event) and may ``close()`` the run early.
    """

    def __init__(self, net: nn.Module, train_iter: Iterable, test_iter: Iterable | None,
                 s: _Settings, device: torch.device, control: JobControl | None) -> None:
        self.net, self.train_iter, self.test_iter = net, train_iter, test_iter
        self.s, self.device, self.control = s, device, control
        self.loss_fn = make_loss(s.loss)
        check_choice("optimizer", s.optimizer, OPTIMIZERS)
        check_choice("schedule", s.schedule, SCHEDULES)
        if s.init is not None:
            check_choice("init", s.init, INITS)
        self.classify = s.task == "classification"
        self.steps = len(train_iter)  # type: ignore[arg-type]
        self.history = History(settings=asdict(s))
        self.epoch = self.step = 0
        self.optimizer: torch.optim.Optimizer | None = None
        self._events = self.events()

    def __iter__(self) -> TrainingRun:
        return self

    def __next__(self) -> TrainEvent:
        return next(self._events)

    def close(self) -> None:
        """Stop early and release the generator (like ``generator.close()``)."""
        self._events.close()

    # -- set-up -------------------------------------------------------------------------
    def _prepare(self) -> None:
        torch.manual_seed(self.s.seed)
        _reseed_loader(self.train_iter, self.s.seed)
        self.net.to(self.device)
        _materialize_lazy(self.net, self.test_iter or self.train_iter, self.device)
        if self.s.init is not None:
            init_weights(self.net, self.s.init)
        self.optimizer = make_optimizer(self.net.parameters(), self.s.optimizer, lr=self.s.lr,
                                        weight_decay=self.s.weight_decay, momentum=self.s.momentum)
        self.scheduler = make_schedule(self.optimizer, self.s.schedule,
                                       num_epochs=self.s.num_epochs, step_size=self.s.step_size,
                                       gamma=self.s.gamma)

    def _target(self, y: torch.Tensor, y_hat: torch.Tensor) -> torch.Tensor:
        if self.classify:
            if self.s.loss == "cross-entropy":
                return y
            return F.one_hot(y, y_hat.shape[-1]).to(y_hat.dtype)
        if y.shape != y_hat.shape and y.numel() == y_hat.numel():
            return y.reshape(y_hat.shape)
        return y

    def _loss(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        try:
            return self.loss_fn(y_hat, self._target(y, y_hat))
        except (IndexError, RuntimeError) as exc:
            if "out of memory" in str(exc):
                raise
            outputs = y_hat.shape[-1] if y_hat.dim() > 1 else 1
            raise ValueError(
                f"the network outputs {outputs} values per example (shape "
                f"{tuple(y_hat.shape)}) but the targets have shape {tuple(y.shape)}"
                + (f" with labels up to {int(y.max())}" if not y.is_floating_point() else "")
                + f": {exc}. Make the last layer output one value per class (regression: "
                  f"one per target).") from exc

    def _stopped(self, reason: str, kind: str) -> Stopped:
        return Stopped(reason, self.history, self.epoch, self.step, kind)

    # -- the loop -----------------------------------------------------------------------
    def events(self) -> Iterator[TrainEvent]:
        self._prepare()
        try:
            for epoch in range(1, self.s.num_epochs + 1):
                self.epoch = epoch
                end = yield from self._epoch()
                if end is not None:
                    yield end
                    return
        except (torch.OutOfMemoryError, RuntimeError) as exc:
            if not isinstance(exc, torch.OutOfMemoryError) and "out of memory" not in str(exc):
                raise
            message = _oom_message(self.device, self.epoch, self.step)
        else:
            yield Finished(self.history)
            return
        # Outside the except block so the traceback (and the tensors it holds) is freed.
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        yield self._stopped(message, "out-of-memory")

    def _epoch(self) -> Iterator[TrainEvent]:
        """Yield one epoch's events; return a terminal event to end the run early."""
        net, opt, s, control = self.net, self.optimizer, self.s, self.control
        started = time.perf_counter()
        lr = opt.param_groups[0]["lr"]
        meter = _Meter(self.classify)
        last_report = started
        net.train()
        self.step = 0
        for X, y in self.train_iter:
            if control is not None and control.should_stop():
                return self._stopped(f"stopped by user at epoch {self.epoch} step {self.step}",
                                     "user")
            t0 = time.perf_counter()
            X, y = X.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
            opt.zero_grad(set_to_none=True)
            y_hat = _forward(net, X)
            loss = self._loss(y_hat, y)
            loss.backward()
            if s.grad_clip is not None:
                nn.utils.clip_grad_norm_(net.parameters(), s.grad_clip)
            opt.step()
            meter.add(loss, y_hat, y, X.shape[0])
            now = time.perf_counter()
            meter.seconds += now - t0
            self.step += 1
            due = self.step % s.progress_every == 0 or self.step == self.steps or (
                s.progress_seconds is not None and now - last_report >= s.progress_seconds)
            if due:
                bad = meter.flush()
                if bad is not None:
                    return self._diverged(*bad, lr)
                point = BatchProgress(self.epoch, self.step, self.steps,
                                      self.epoch - 1 + self.step / self.steps, meter.mean_loss,
                                      meter.accuracy, meter.rate, lr)
                self.history.progress.append(point)
                yield point
                last_report = time.perf_counter()
        evaluated = self._evaluate()
        if evaluated is None:
            return self._stopped(f"stopped by user while testing after epoch {self.epoch}",
                                 "user")
        test_loss, test_acc = evaluated
        if self.scheduler is not None:
            self.scheduler.step()
        record = EpochEnd(self.epoch, meter.mean_loss, meter.accuracy, test_loss, test_acc,
                          meter.rate, lr, time.perf_counter() - started)
        self.history.epochs.append(record)
        yield record
        return None

    def _diverged(self, step: int, value: float, lr: float) -> Diverged:
        reason = (f"loss diverged at epoch {self.epoch} step {step} (loss = {value}) — try a "
                  f"lower learning rate (lr was {lr:g})")
        return Diverged(reason, self.history, self.epoch, step, loss=value)

    def _evaluate(self) -> tuple[float | None, float | None] | None:
        """``(test_loss, test_acc)`` after an epoch; None if a stop came meanwhile."""
        if self.test_iter is None:
            return (None, None)
        self.net.eval()
        loss_sum = torch.zeros((), device=self.device)
        correct = torch.zeros((), dtype=torch.long, device=self.device)
        total = 0
        with torch.no_grad():
            for X, y in self.test_iter:
                if self.control is not None and self.control.should_stop():
                    return None
                X, y = X.to(self.device), y.to(self.device)
                y_hat = self.net(X)
                loss_sum += self._loss(y_hat, y) * X.shape[0]
                if self.classify:
                    correct += (y_hat.argmax(dim=1) == y).sum()
                total += X.shape[0]
        if total == 0:
            return (None, None)
        return (loss_sum.item() / total, correct.item() / total if self.classify else None)


class _Meter:
    """Running loss/accuracy of an epoch, kept on the device until ``flush()``."""

    def __init__(self, classify: bool) -> None:
        self.classify = classify
        self.losses: list[torch.Tensor] = []
        self.corrects: list[torch.Tensor] = []
        self.sizes: list[int] = []
        self.first_step = 1
        self.loss_sum = self.correct = 0.0
        self.n = 0
        self.seconds = 0.0

    def add(self, loss: torch.Tensor, y_hat: torch.Tensor, y: torch.Tensor, n: int) -> None:
        self.losses.append(loss.detach())
        if self.classify:
            self.corrects.append((y_hat.detach().argmax(dim=1) == y).sum())
        self.sizes.append(n)

    def flush(self) -> tuple[int, float] | None:
        """Read back the pending batches (one device sync); ``(step, loss)`` of the first
        non-finite batch loss, or None if all are finite."""
        t0 = time.perf_counter()
        losses = torch.stack(self.losses).double().cpu().tolist()
        corrects = torch.stack(self.corrects).sum().item() if self.corrects else 0
        self.seconds += time.perf_counter() - t0  # on a GPU this is where compute finishes
        for i, value in enumerate(losses):
            if not math.isfinite(value):
                return self.first_step + i, value
        self.loss_sum += sum(v * n for v, n in zip(losses, self.sizes, strict=True))
        self.correct += corrects
        self.n += sum(self.sizes)
        self.first_step += len(losses)
        self.losses, self.corrects, self.sizes = [], [], []
        return None

    @property
    def mean_loss(self) -> float:
        return self.loss_sum / max(self.n, 1)

    @property
    def accuracy(self) -> float | None:
        return self.correct / max(self.n, 1) if self.classify else None

    @property
    def rate(self) -> float:
        return self.n / self.seconds if self.seconds > 0 else 0.0


def _forward(net: nn.Module, X: torch.Tensor) -> torch.Tensor:
    try:
        return net(X)
    except RuntimeError as exc:
        if "out of memory" in str(exc):
            raise
        raise ValueError(f"the network does not fit the data: batches have shape "
                         f"{tuple(X.shape)} and the network failed with: {exc}. Check the "
                         f"network's input shape against the dataset (or its resize).") from exc


def _materialize_lazy(net: nn.Module, data_iter: Iterable, device: torch.device) -> None:
    """Run one batch through nets with lazy layers so their parameters exist."""
    if not any(isinstance(p, nn.parameter.UninitializedParameter) for p in net.parameters()):
        return
    X, _ = next(iter(data_iter))
    with torch.no_grad():
        _forward(net, X[:2].to(device))


def _reseed_loader(loader: Any, seed: int) -> None:
    """Reset a DataLoader's shuffle generator so reruns with one seed see one order."""
    gen = getattr(loader, "generator", None)
    if isinstance(gen, torch.Generator):
        gen.manual_seed(seed)
    for owner in (getattr(loader, "batch_sampler", None), getattr(loader, "sampler", None)):
        while owner is not None:
            gen = getattr(owner, "generator", None)
            if isinstance(gen, torch.Generator):
                gen.manual_seed(seed)
            owner = getattr(owner, "sampler", None)


def _oom_message(device: torch.device, epoch: int, step: int) -> str:
    return (f"out of memory on {device} at epoch {epoch} step {step + 1} — try a smaller "
            f"batch size, a smaller resize, a smaller network, or the CPU")
