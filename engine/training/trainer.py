"""The training loop of the book (``train_ch3`` / ``train_ch6``) as a generator of events.

>>> control = JobControl()
>>> for event in train(net, bundle, num_epochs=10, lr=0.9, control=control):
...     if isinstance(event, EpochEnd):
...         show(event.epoch, event.train_loss, event.train_acc, event.test_acc)

Per-batch cost is kept to what the book's loop does plus two tiny kernels: batch losses
and correct counts stay on the device in a list and are read back (one sync) only at
progress points, where the divergence check also happens — a run that diverges at step 31
is reported as "epoch e step 31" even if the next progress point is at step 40.

Divergence is a NaN/inf batch loss, or a finite one that exploded: above
``EXPLODE_FACTOR`` (1e6) times the run's first batch loss (the untrained network's loss,
computed before any update) *and* above ``EXPLODE_FLOOR`` (1e4). An MLP at lr 10000
reaches losses of 1e24-1e33 at chance accuracy; no run that is learning goes a million
times above where it started, and the floor keeps a net that starts near zero loss (a
loaded, trained one) from being stopped by harmless noise.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from engine.device import pick_device
from engine.errors import explain_out_of_memory, is_out_of_memory
from engine.jobs import JobControl
from engine.training.events import (
    BatchProgress,
    Diverged,
    EpochEnd,
    Finished,
    History,
    SpeedEstimate,
    Stopped,
    TrainEvent,
)
from engine.training.setup import (
    INITS,
    LOSSES,
    OPTIMIZERS,
    SCHEDULES,
    check_choice,
    init_weights,
    make_loss,
    make_optimizer,
    make_schedule,
)

EXPLODE_FACTOR = 1e6
EXPLODE_FLOOR = 1e4
ESTIMATE_BATCHES = 4  # SpeedEstimate after this many batches of epoch 1 ...
ESTIMATE_SECONDS = 3.0  # ... or once this long was spent after the first (slow nets)


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
        with exactly one ``Finished`` or ``Stopped`` (``Diverged`` on a NaN/inf or
        exploding loss; ``kind == "out-of-memory"`` when the device ran out of memory).
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
        self.first_loss: float | None = None  # the run's first batch loss (see EXPLODE_*)
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
            if is_out_of_memory(exc):
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
        except (RuntimeError, MemoryError) as exc:  # torch.OutOfMemoryError is a RuntimeError
            if not is_out_of_memory(exc):
                raise
            message = _oom_message(self.device, self.epoch, self.step, exc)
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
        meter = _Meter(self.classify, self)
        probe = _SpeedProbe(self, started) if self.epoch == 1 and self.steps >= 3 else None
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
            if probe is not None:
                estimate = probe.after_batch(self.step, loss)
                if estimate is not None:
                    probe = None
                    yield estimate
                    now = time.perf_counter()
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
        what = f"loss = {value}" if not math.isfinite(value) else (
            f"loss = {value:.3g}, over {EXPLODE_FACTOR:.0e} times the first batch's "
            f"{self.first_loss:.3g}")
        reason = (f"loss diverged at epoch {self.epoch} step {step} ({what}) — try a "
                  f"lower learning rate (lr was {lr:g})")
        return Diverged(reason, self.history, self.epoch, step, loss=value)

    def exploded(self, value: float) -> bool:
        """Whether a batch loss counts as divergence (non-finite or exploded)."""
        if not math.isfinite(value):
            return True
        if self.first_loss is None:
            self.first_loss = value
            return False
        return value > EXPLODE_FLOOR and value > EXPLODE_FACTOR * abs(self.first_loss)

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


class _SpeedProbe:
    """Times epoch 1's first batches (wall clock, data loading included) for the
    ``SpeedEstimate``: batches 2.. (the first is warm-up) until ``ESTIMATE_BATCHES`` or
    ``ESTIMATE_SECONDS``; a first batch over twice ``ESTIMATE_SECONDS`` is estimate enough
    (DenseNet at 96 px on a CPU: ~35 s a batch). Two device syncs, once per run."""

    def __init__(self, run: TrainingRun, started: float) -> None:
        self.run, self.started = run, started
        self.first_end: float | None = None

    def after_batch(self, step: int, loss: torch.Tensor) -> SpeedEstimate | None:
        if step == 1:
            _sync(loss)
            self.first_end = time.perf_counter()
            first = self.first_end - self.started
            if first >= 2 * ESTIMATE_SECONDS:  # a slow net: say it now, warm-up or not
                return self._estimate(first, 1, first)
            return None
        now = time.perf_counter()
        assert self.first_end is not None
        if step < ESTIMATE_BATCHES and now - self.first_end < ESTIMATE_SECONDS:
            return None
        _sync(loss)
        now = time.perf_counter()
        return self._estimate((now - self.first_end) / (step - 1), step - 1,
                              self.first_end - self.started)

    def _estimate(self, per_batch: float, timed: int, first: float) -> SpeedEstimate:
        steps, epochs = self.run.steps, self.run.s.num_epochs
        try:
            test_steps = len(self.run.test_iter) if self.run.test_iter is not None else 0
        except TypeError:
            test_steps = 0
        total = per_batch * (steps + test_steps / 3) * epochs + (first - per_batch)
        return SpeedEstimate(per_batch, timed, first, steps, test_steps, epochs,
                             max(total, 0.0))


def _sync(t: torch.Tensor) -> None:
    """Wait for the device to finish ``t`` (GPU work is asynchronous)."""
    if t.device.type == "cuda":
        torch.cuda.synchronize(t.device)
    elif t.device.type == "mps":
        torch.mps.synchronize()


class _Meter:
    """Running loss/accuracy of an epoch, kept on the device until ``flush()``."""

    def __init__(self, classify: bool, run: TrainingRun) -> None:
        self.classify, self.run = classify, run
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
        diverged batch loss (non-finite or exploded, ``TrainingRun.exploded``), or None."""
        t0 = time.perf_counter()
        losses = torch.stack(self.losses).double().cpu().tolist()
        corrects = torch.stack(self.corrects).sum().item() if self.corrects else 0
        self.seconds += time.perf_counter() - t0  # on a GPU this is where compute finishes
        for i, value in enumerate(losses):
            if self.run.exploded(value):
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
        if is_out_of_memory(exc):
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


def _oom_message(device: torch.device, epoch: int, step: int, exc: BaseException) -> str:
    return explain_out_of_memory(exc, device=device, where=f"at epoch {epoch} step {step + 1}")
