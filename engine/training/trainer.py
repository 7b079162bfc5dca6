"""The one training loop: the book's ``train_ch3`` / ``train_ch6`` as a generator of events.

>>> control = JobControl()
>>> for event in train(net, bundle, num_epochs=10, lr=0.9, control=control):
...     if isinstance(event, EpochEnd):
...         show(event.epoch, event.train_loss, event.train_acc, event.test_acc)

What differs between classification, regression, per-pixel and box training is the
``Task`` (its loss and metric accumulators, ``engine.training.task``); views that look
inside attach through ``Hook`` s (``engine.training.hooks``); ``torchrun`` scale-out goes
through an optional ``dist`` object. ``run(config)`` (``engine.training.experiment``)
builds all of these from a ``RunConfig`` and calls this loop.

Per-batch cost is kept to what the book's loop does plus the task's tiny accumulator
kernels: batch losses and metric sums stay on the device and are read back in one
transfer only at progress points, where the NaN/inf check also happens — a run that
diverges at step 31 is reported as "epoch e step 31" even if the next progress point is
at step 40. With no hooks and no ``dist`` the loop calls neither.

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
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import torch
from torch import nn

from engine.device import fast_bfloat16, pick_device
from engine.errors import explain_out_of_memory, is_out_of_memory
from engine.jobs import JobControl
from engine.training.config import RunConfig, config_fields
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
from engine.training.hooks import Hook, LoopState, bound
from engine.training.setup import init_weights, make_optimizer, make_schedule
from engine.training.task import Task, make_task

_OPTIONS = tuple(f.name for f in config_fields())
EXPLODE_FACTOR = 1e6
EXPLODE_FLOOR = 1e4
ESTIMATE_BATCHES = 4  # SpeedEstimate after this many batches of epoch 1 ...
ESTIMATE_SECONDS = 3.0  # ... or once this long was spent after the first (slow nets)


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
    control: JobControl | None = None,
    task: str | Task | None = None,
    hooks: Sequence[Hook] = (),
    dist: Any = None,
    config: RunConfig | None = None,
    **options: Any,
) -> TrainingRun:
    """Train ``net`` and yield progress events; arguments are checked before it starts.

    Args:
        net: the network; moved to its device in place and trained in place.
        data: a ``DataBundle`` or a pair ``(train_iter, test_iter)`` of sized iterables
            of ``(X, y)``; ``test_iter`` may be None.
        control: ``JobControl`` checked before every batch (pause blocks there; stop ends
            the run within one batch with ``Stopped``).
        task: a ``Task`` or a task name (``engine.training.task.TASKS``); default the
            config's, else the bundle's, else inferred from the loss.
        hooks: ``Hook`` s to call at their places in the loop.
        dist: a ``DistContext`` under ``torchrun`` (``engine.training.distributed``).
        config: a ``RunConfig`` holding the hyper-parameters (default ``RunConfig()``).
        **options: ``RunConfig`` fields overriding ``config`` — the book's names:
            ``num_epochs``, ``lr``, ``optimizer`` (``"sgd"``, ``"momentum"``, ``"adam"``,
            ``"adamw"``), ``momentum``, ``weight_decay``, ``loss`` (``"cross-entropy"``,
            ``"mse"``, ``"l1"``, ``"huber"``; default the task's; with a regression loss
            on a classification set the labels become one-hot targets), ``schedule``
            (``"none"``, ``"step"``, ``"cosine"``; stepped per epoch), ``step_size``,
            ``gamma``, ``init`` (None keeps the weights; ``"default"``, ``"normal"``,
            ``"xavier"``, ``"kaiming"`` re-initialise), ``device`` (default
            ``pick_device()``), ``seed`` (torch's RNG and the shuffle order),
            ``grad_clip``, ``param_groups``, ``progress_every`` (default a fifth of an
            epoch) and ``progress_seconds``. See ``RunConfig`` for each.

    Returns:
        A ``TrainingRun``: an iterator of ``BatchProgress`` / ``EpochEnd`` events (and
        hooks' events) ending with exactly one ``Finished`` or ``Stopped``
        (``Diverged`` on NaN/inf loss; ``kind == "out-of-memory"`` when the device ran
        out of memory).
    """
    train_iter, test_iter, data_task, dataset, batch_size = _split_data(data)
    unknown = [k for k in options if k not in _OPTIONS]
    if unknown:
        raise ValueError(f"unknown training option {unknown[0]!r}; options are the fields "
                         f"of RunConfig: {', '.join(_OPTIONS)}")
    device = options.get("device")
    if isinstance(device, torch.device):
        options["device"] = str(device)
    elif device is None:
        options.pop("device", None)
    cfg = (config or RunConfig()).replace(**options).validate()
    task_obj = resolve_task(task, cfg, data_task, getattr(data, "num_classes", None))
    try:
        steps = len(train_iter)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError("the training iterable must have a length (a DataLoader does)") from None
    if steps == 0:
        raise ValueError("the training data is empty; load at least one batch of examples")
    dev = pick_device() if cfg.device == "auto" else torch.device(cfg.device)
    settings = {k: v for k, v in cfg.to_dict().items() if k not in ("format", "version")}
    settings.update(task=task_obj.name, batch_size=batch_size, dataset=dataset,
                    device=str(dev))
    return TrainingRun(net, train_iter, test_iter, cfg, task_obj, dev, control,
                       hooks=hooks, dist=dist, settings=settings)


def resolve_task(task: str | Task | None, cfg: RunConfig, data_task: str | None,
                  num_classes: int | None) -> Task:
    """The run's ``Task``: the one given, else by name from the argument, the config,
    the data, or (for bare loader pairs) the loss — cross-entropy means classification."""
    if isinstance(task, Task):
        return task
    name = task or cfg.task or data_task or (
        "regression" if cfg.loss not in (None, "cross-entropy") else "classification")
    default_loss = {"classification": "cross-entropy", "regression": "mse"}.get(name)
    return make_task(name, loss=cfg.loss or default_loss, num_classes=num_classes)


class TrainingRun(Iterator[TrainEvent]):
    """One training run: an iterator of events (what ``train`` returns).

    Besides iterating, callers that save checkpoints read ``optimizer`` / ``scheduler``
    (None until the first event), ``epoch`` and ``history``, and may ``close()`` the run
    early. ``resume`` (from ``run()``) continues a checkpointed run: its weights were
    loaded by the caller; here the optimiser / schedule state and the epoch count.
    """

    def __init__(self, net: nn.Module, train_iter: Iterable, test_iter: Iterable | None,
                 config: RunConfig, task: Task, device: torch.device,
                 control: JobControl | None, *, hooks: Sequence[Hook] = (), dist: Any = None,
                 settings: dict[str, Any] | None = None, resume: Any = None,
                 info: Any = None) -> None:
        self.net, self.train_iter, self.test_iter = net, train_iter, test_iter
        self.s, self.task, self.device, self.control = config, task, device, control
        self.dist, self.resume = dist, resume
        self.steps = len(train_iter)  # type: ignore[arg-type]
        self.progress_every = config.progress_every or max(1, self.steps // 5)
        self.history = History(settings=dict(settings or {}))
        self.start_epoch = 1
        if resume is not None:
            self.start_epoch = int(resume.epoch or 0) + 1
            if resume.history is not None:
                self.history.epochs = list(resume.history.epochs)
                self.history.progress = list(resume.history.progress)
        self.epoch = self.start_epoch - 1
        self.step = 0
        self.first_loss: float | None = None  # the run's first batch loss (see EXPLODE_*)
        self.optimizer: torch.optim.Optimizer | None = None
        self.scheduler: Any = None
        self.rng_state: dict[str, torch.Tensor] = {}  # at the last epoch end, to resume
        hooks = tuple(hooks)
        self.hooks = {m: bound(hooks, m) for m in ("run_start", "after_backward",
                                                    "batch_end", "eval_batch_end",
                                                    "epoch_end")}
        self.state: LoopState | None = None
        self.layout: torch.memory_format | None = None  # set by _prepare
        self.amp = False
        self.info = info
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
        s = self.s
        torch.manual_seed(s.seed)
        _reseed_loader(self.train_iter, s.seed)
        self.net.to(self.device)
        _materialize_lazy(self.net, self.test_iter or self.train_iter, self.device)
        self.amp, channels_last = execution_options(s, self.device)
        self.layout = torch.channels_last if channels_last else None
        if self.layout is not None:
            self.net.to(memory_format=self.layout)
        if s.init is not None and self.resume is None:
            init_weights(self.net, s.init)
        self.optimizer = make_optimizer(_param_groups(self.net, s.param_groups, s.lr),
                                        s.optimizer, lr=s.lr, weight_decay=s.weight_decay,
                                        momentum=s.momentum)
        self.scheduler = make_schedule(self.optimizer, s.schedule, num_epochs=s.num_epochs,
                                       step_size=s.step_size, gamma=s.gamma)
        if self.resume is not None:
            if self.resume.optimizer_state is not None:
                self.optimizer.load_state_dict(self.resume.optimizer_state)
            if self.scheduler is not None and self.resume.scheduler_state is not None:
                self.scheduler.load_state_dict(self.resume.scheduler_state)
            if self.resume.rng_state:
                set_rng_states(self.train_iter, self.resume.rng_state)
        self.model = self.dist.wrap_model(self.net) if self.dist is not None else self.net
        self.state = LoopState(self.model, self.optimizer, self.task, self.device,
                               steps=self.steps, info=self.info)

    def _forward(self, net: nn.Module, X: torch.Tensor) -> Any:
        """The network's output; under ``amp`` computed in bfloat16 and handed back as
        float32 so that the loss and the metrics are float32 as without it."""
        if not self.amp:
            return _forward(net, X)
        with torch.autocast(self.device.type, dtype=torch.bfloat16):
            y_hat = _forward(net, X)
        return _to_float32(y_hat)

    def _loss(self, y_hat: Any, y: Any) -> torch.Tensor:
        try:
            return self.task.loss(y_hat, y)
        except (IndexError, RuntimeError) as exc:
            if is_out_of_memory(exc):
                raise
            raise ValueError(self.task.explain(y_hat, y, exc)) from exc

    def _stopped(self, reason: str, kind: str) -> Stopped:
        return Stopped(reason, self.history, self.epoch, self.step, kind)

    def _call(self, method: str) -> Iterator[object]:
        for hook in self.hooks[method]:
            extra = hook(self.state)
            if extra is not None:
                yield from extra

    # -- the loop -----------------------------------------------------------------------
    def events(self) -> Iterator[TrainEvent]:
        self._prepare()
        try:
            if self.hooks["run_start"]:
                yield from self._call("run_start")
            for epoch in range(self.start_epoch, self.s.num_epochs + 1):
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
        net, opt, s, control, task = self.model, self.optimizer, self.s, self.control, self.task
        device, state, every = self.device, self.state, self.progress_every
        after_backward, batch_end = self.hooks["after_backward"], self.hooks["batch_end"]
        per_batch = bool(after_backward or batch_end)
        sized = type(task).batch_size is not Task.batch_size  # a task that counts its own
        started = time.perf_counter()
        lr = opt.param_groups[0]["lr"]
        meter = _Running(task.meter(device), self.dist, self.exploded)
        probe = _SpeedProbe(self, started) if self.epoch == 1 and self.steps >= 3 else None
        last_report = started
        if self.dist is not None:
            _set_epoch(self.train_iter, self.epoch)
        net.train()
        self.step = 0
        for X, y in self.train_iter:
            if control is not None and control.should_stop():
                return self._stopped(f"stopped by user at epoch {self.epoch} step {self.step}",
                                     "user")
            t0 = time.perf_counter()
            X = _layout(X.to(device, non_blocking=True), self.layout)
            y = y.to(device, non_blocking=True) if type(y) is torch.Tensor else _to(y, device)
            opt.zero_grad(set_to_none=True)
            y_hat = self._forward(net, X)
            loss = self._loss(y_hat, y)
            loss.backward()
            if per_batch:
                state.X, state.y, state.y_hat, state.loss = X, y, y_hat, loss
                state.epoch, state.step, state.progress = self.epoch, self.step + 1, None
                if after_backward:
                    yield from self._call("after_backward")
            if s.grad_clip is not None:
                nn.utils.clip_grad_norm_(net.parameters(), s.grad_clip)
            opt.step()
            meter.add(loss, y_hat, y, task.batch_size(X, y) if sized else X.shape[0])
            now = time.perf_counter()
            meter.seconds += now - t0
            self.step += 1
            if probe is not None:
                estimate = probe.after_batch(self.step, loss)
                if estimate is not None:
                    probe = None
                    yield estimate
                    now = time.perf_counter()
            due = self.step % every == 0 or self.step == self.steps or (
                s.progress_seconds is not None and now - last_report >= s.progress_seconds)
            if due:
                bad = meter.flush()
                if bad is not None:
                    return self._diverged(*bad, lr)
                point = BatchProgress(self.epoch, self.step, self.steps,
                                      self.epoch - 1 + self.step / self.steps,
                                      meter.figures("train"), meter.rate, lr)
                self.history.progress.append(point)
                yield point
                if batch_end:
                    state.progress = point
                last_report = time.perf_counter()
            if batch_end:
                yield from self._call("batch_end")
        evaluated = yield from self._evaluate()
        if evaluated is None:
            return self._stopped(f"stopped by user while testing after epoch {self.epoch}",
                                 "user")
        if self.scheduler is not None:
            self.scheduler.step()
        record = EpochEnd(self.epoch, {**meter.figures("train"), **evaluated}, meter.rate, lr,
                          time.perf_counter() - started)
        self.history.epochs.append(record)
        self.rng_state = rng_states(self.train_iter)
        yield record
        if self.hooks["epoch_end"]:
            state.event = record
            yield from self._call("epoch_end")
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

    def _evaluate(self) -> Iterator[object]:
        """Test figures after an epoch (``test_loss``, ``test_<metric>``; empty without a
        test split); None if a stop came meanwhile. A generator for eval hooks' events."""
        if self.test_iter is None:
            return {}
        net, device, task, state = self.model, self.device, self.task, self.state
        eval_hooks = self.hooks["eval_batch_end"]
        net.eval()
        loss_sum = torch.zeros((), device=device)
        meter = task.eval_meter(device)
        total = 0
        with torch.no_grad():
            for X, y in self.test_iter:
                if self.control is not None and self.control.should_stop():
                    return None
                X, y = _layout(X.to(device), self.layout), _to(y, device)
                y_hat = self._forward(net, X)
                n = task.batch_size(X, y)
                loss = self._loss(y_hat, y)
                loss_sum += loss * n
                meter.update(y_hat, y)
                total += n
                if eval_hooks:
                    state.X, state.y, state.y_hat, state.loss = X, y, y_hat, loss
                    yield from self._call("eval_batch_end")
        values, total = _read([loss_sum, *meter.state()], total, self.dist)
        if total == 0:
            return {}
        return {"test_loss": values[0].item() / total,
                **{f"test_{k}": v for k, v in meter.compute(values[1:], total).items()}}


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


class _Running:
    """Batch losses and the task meter of an epoch, on the device until ``flush()``."""

    def __init__(self, meter: Any, dist: Any, exploded: Any) -> None:
        self.meter, self.dist, self.exploded = meter, dist, exploded
        self.losses: list[torch.Tensor] = []
        self.sizes: list[int] = []
        self.first_step = 1
        self.loss_sum = 0.0
        self.n = 0
        self.seconds = 0.0
        self.values: dict[str, float] = {}
        self.global_loss: float | None = None
        self.global_n = 0

    def add(self, loss: torch.Tensor, y_hat: Any, y: Any, n: int) -> None:
        self.losses.append(loss.detach())
        self.meter.update(y_hat, y)
        self.sizes.append(n)

    def flush(self) -> tuple[int, float] | None:
        """Read back the pending batches (one transfer); ``(step, loss)`` of the first
        diverged batch loss (``TrainingRun.exploded``), or None."""
        t0 = time.perf_counter()
        state = self.meter.state()
        k = len(self.losses)
        packed = torch.stack(self.losses).double()
        if state:
            packed = torch.cat([packed, *(t.detach().double().reshape(-1) for t in state)])
        packed = packed.cpu()
        self.seconds += time.perf_counter() - t0  # on a GPU this is where compute finishes
        losses = packed[:k].tolist()
        for i, value in enumerate(losses):
            if self.exploded(value):
                bad = (self.first_step + i, value)
                break
        else:
            bad = None
        if bad is None:
            self.loss_sum += sum(v * n for v, n in zip(losses, self.sizes, strict=True))
            self.n += sum(self.sizes)
            self.first_step += len(losses)
        self.losses, self.sizes = [], []
        sums = _unpack(packed[k:], state)
        if self.dist is not None:
            bad, sums = self._reduce(bad, sums)
        if bad is None:
            self.values = self.meter.compute(sums, self.global_n or self.n)
        return bad

    def _reduce(self, bad: tuple[int, float] | None, sums: list[torch.Tensor]) -> Any:
        """Sum the figures across processes (progress points only); any diverged rank
        stops every rank."""
        head = torch.tensor([1.0 if bad else 0.0, self.loss_sum, float(self.n)],
                            dtype=torch.float64)
        flat = torch.cat([head, *(t.reshape(-1) for t in sums)])
        total = self.dist.all_reduce_sum(flat.to(self.dist.device)).cpu()
        if total[0] > 0 and bad is None:
            bad = (self.first_step, float("nan"))
        self.global_loss, self.global_n = float(total[1]), int(total[2])
        return bad, _unpack(total[3:], sums)

    def figures(self, split: str) -> dict[str, float]:
        loss_sum, n = (self.global_loss, self.global_n) if self.global_loss is not None else (
            self.loss_sum, self.n)
        return {f"{split}_loss": loss_sum / max(n, 1),
                **{f"{split}_{k}": v for k, v in self.values.items()}}

    @property
    def rate(self) -> float:
        return self.n / self.seconds if self.seconds > 0 else 0.0


def _unpack(flat: torch.Tensor, like: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    out, i = [], 0
    for t in like:
        out.append(flat[i:i + t.numel()].reshape(t.shape))
        i += t.numel()
    return out


def _read(tensors: list[torch.Tensor], count: int, dist: Any) -> tuple[list[torch.Tensor], int]:
    """CPU copies of ``tensors`` (as float64, one transfer), summed across processes
    under ``dist`` together with ``count``."""
    flat = torch.cat([t.detach().double().reshape(-1) for t in tensors])
    if dist is not None:
        flat = dist.all_reduce_sum(torch.cat([flat, flat.new_tensor([float(count)])]))
        flat, count = flat[:-1], int(flat[-1].item())
    return _unpack(flat.cpu(), tensors), count


def _to(y: Any, device: torch.device) -> Any:
    if isinstance(y, torch.Tensor):
        return y.to(device, non_blocking=True)
    if isinstance(y, (tuple, list)):
        return type(y)(_to(v, device) for v in y)
    if isinstance(y, dict):
        return {k: _to(v, device) for k, v in y.items()}
    return y


def _set_epoch(loader: Any, epoch: int) -> None:
    sampler = getattr(loader, "sampler", None)
    for owner in (sampler, getattr(loader, "batch_sampler", None),
                  getattr(sampler, "sampler", None)):
        if hasattr(owner, "set_epoch"):
            owner.set_epoch(epoch)
            return


def _param_groups(net: nn.Module, groups: Sequence[dict[str, Any]], lr: float) -> Any:
    """``net``'s parameters split by name prefix (``RunConfig.param_groups``); the rest
    form the first group with the base lr."""
    if not groups:
        return net.parameters()
    named = [(n, p) for n, p in net.named_parameters() if p.requires_grad]
    taken: set[str] = set()
    out = []
    for i, g in enumerate(groups):
        params = [p for n, p in named if n.startswith(g["prefix"]) and n not in taken]
        taken.update(n for n, _ in named if n.startswith(g["prefix"]))
        if not params:
            names = ", ".join(n for n, _ in named[:6])
            raise ValueError(f"param_groups[{i}].prefix={g['prefix']!r} matches no parameter "
                             f"of the network; its parameters are named like {names}")
        group: dict[str, Any] = {"params": params, "lr": lr * float(g.get("lr_mult", 1.0))}
        if "weight_decay" in g:
            group["weight_decay"] = float(g["weight_decay"])
        out.append(group)
    rest = [p for n, p in named if n not in taken]
    return ([{"params": rest}] if rest else []) + out


def _forward(net: nn.Module, X: torch.Tensor) -> torch.Tensor:
    try:
        return net(X)
    except RuntimeError as exc:
        if is_out_of_memory(exc):
            raise
        raise ValueError(f"the network does not fit the data: batches have shape "
                         f"{tuple(X.shape)} and the network failed with: {exc}. Check the "
                         f"network's input shape against the dataset (or its resize).") from exc


def execution_options(config: RunConfig, device: torch.device | str) -> tuple[bool, bool]:
    """(bfloat16 autocast on, channels-last on) for a run of ``config`` on ``device``."""
    device = torch.device(device)
    if config.amp == "bf16" and device.type == "cuda" and not fast_bfloat16(device):
        raise ValueError("this GPU has no bfloat16 support (torch.autocast refuses it); "
                         "use mixed precision 'auto' or 'off'")
    amp = config.amp == "bf16" or (config.amp == "auto" and fast_bfloat16(device))
    return amp, bool(config.channels_last and device.type == "cpu")


def execution_text(config: RunConfig, device: torch.device | str) -> str:
    """What the UI says about them: ``"bfloat16 mixed precision, channels-last"`` or ""."""
    amp, channels_last = execution_options(config, device)
    return ", ".join(t for t, on in (("bfloat16 mixed precision", amp),
                                     ("channels-last", channels_last)) if on)


def _to_float32(y_hat: Any) -> Any:
    """Floating tensors of an output (a tensor or a tuple / list of them) as float32."""
    if isinstance(y_hat, torch.Tensor):
        return y_hat.float() if y_hat.is_floating_point() else y_hat
    if isinstance(y_hat, (tuple, list)):
        return type(y_hat)(_to_float32(t) for t in y_hat)
    return y_hat


def _layout(X: torch.Tensor, layout: torch.memory_format | None) -> torch.Tensor:
    """``X`` in ``layout`` (``RunConfig.channels_last``) when it is a batch of images."""
    return X.contiguous(memory_format=layout) if layout is not None and X.dim() == 4 else X


def _materialize_lazy(net: nn.Module, data_iter: Iterable, device: torch.device) -> None:
    """Run one batch through nets with lazy layers so their parameters exist."""
    if not any(isinstance(p, nn.parameter.UninitializedParameter) for p in net.parameters()):
        return
    X, _ = next(iter(data_iter))
    with torch.no_grad():
        _forward(net, X[:2].to(device))


def _reseed_loader(loader: Any, seed: int) -> None:
    """Reset a DataLoader's shuffle generator (and its dataset's random transforms) so
    reruns with one seed see one order and one set of draws."""
    reseed = getattr(getattr(loader, "dataset", None), "reseed", None)
    if callable(reseed):
        reseed(seed)
    gen = getattr(loader, "generator", None)
    if isinstance(gen, torch.Generator):
        gen.manual_seed(seed)
    for owner in (getattr(loader, "batch_sampler", None), getattr(loader, "sampler", None)):
        while owner is not None:
            gen = getattr(owner, "generator", None)
            if isinstance(gen, torch.Generator):
                gen.manual_seed(seed)
            owner = getattr(owner, "sampler", None)


def _generators(loader: Any) -> dict[str, torch.Generator]:
    """The random generators a loader draws from, by a stable path name."""
    found: dict[str, torch.Generator] = {}
    if isinstance(getattr(loader, "generator", None), torch.Generator):
        found["loader"] = loader.generator
    for name in ("batch_sampler", "sampler"):
        owner, path = getattr(loader, name, None), name
        while owner is not None:
            gen = getattr(owner, "generator", None)
            if isinstance(gen, torch.Generator):
                found[path] = gen
            owner, path = getattr(owner, "sampler", None), path + ".sampler"
    augment = getattr(getattr(loader, "dataset", None), "augment", None)
    if isinstance(getattr(augment, "generator", None), torch.Generator):
        found["augment"] = augment.generator
    return found


def rng_states(loader: Any) -> dict[str, torch.Tensor]:
    """torch's CPU RNG and the loader's generators (shuffle, random transforms) — what a
    resumed run needs to continue exactly as an uninterrupted one on the CPU."""
    states = {"torch": torch.get_rng_state()}
    states.update({k: g.get_state() for k, g in _generators(loader).items()})
    return states


def set_rng_states(loader: Any, states: dict[str, torch.Tensor]) -> None:
    if "torch" in states:
        torch.set_rng_state(states["torch"])
    for key, gen in _generators(loader).items():
        if key in states:
            gen.set_state(states[key])


def _oom_message(device: torch.device, epoch: int, step: int, exc: BaseException) -> str:
    return explain_out_of_memory(exc, device=device, where=f"at epoch {epoch} step {step + 1}")
