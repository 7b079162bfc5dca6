"""What runs on the worker thread for the Train tab: load data, build, train, checkpoints.

Each job is ``job(control) -> Iterator[event]`` for ``JobRunner``. Besides the engine's
``BatchProgress`` / ``EpochEnd`` / ``Finished`` / ``Stopped`` a training job first yields
``Prepared`` (which data is in use, the built network). For 2-D classification data it
then yields a ``DataSample`` (points and grid bounds) once and a ``DecisionMap`` at most
every ``map_seconds`` and at each epoch end, computed here between training steps so the
UI thread only draws it. The network object travels to
the UI thread inside ``Prepared.model`` so a stopped or finished run can be saved; the UI
only touches it after the runner's ``finished`` signal, when the worker is done with it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.jobs import JobControl
from gui.tabs.build.format import shape_text


@dataclass(frozen=True)
class DataOptions:
    """What ``load_dataset`` gets; ``root`` is the data folder or the image folder."""

    name: str
    root: str | None = None
    download: bool = False
    resize: int | None = None
    n_train: int | None = None
    n_test: int | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HyperParams:
    lr: float = 0.1
    batch_size: int = 256
    num_epochs: int = 10
    optimizer: str = "sgd"
    momentum: float = 0.9
    weight_decay: float = 0.0
    loss: str = "cross-entropy"
    schedule: str = "none"
    init: str | None = None  # None: keep the network's own init (spec.init)
    seed: int = 0
    grad_clip: float | None = None


class Model:
    """The trained network and its optimiser, filled in by the worker.

    Mutable on purpose: the optimiser only exists once training started. The UI reads
    it after the run ended (``JobRunner.finished``); never while the worker trains.
    """

    def __init__(self, net: Any, spec: Any) -> None:
        self.net = net
        self.spec = spec  # the NetworkSpec actually built (input shape of the data)
        self.optimizer: Any = None
        self.kept = ""  # where the worker kept the weights (train_job keep_weights)
        self.kept_error = ""  # why it could not


@dataclass(frozen=True)
class Prepared:
    """Data loaded and network built; training starts next."""

    source: str
    n_train: int
    n_test: int
    input_shape: tuple[int, ...]
    task: str
    num_classes: int | None
    params: int
    model: Model
    class_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Loaded:
    """A checkpoint read back: network rebuilt from its spec with the saved weights."""

    path: str
    model: Model
    history: Any  # engine.training.History | None
    extra: dict[str, Any]


@dataclass(frozen=True)
class Saved:
    path: str


def fit_spec(spec: Any, input_shape: tuple[int, ...]) -> Any:
    """``spec`` with its input shape set to one batch-1 example of the data."""
    return replace(spec, input_shape=(1, *input_shape))


def _build(spec: Any, bundle: Any) -> tuple[Any, Any]:
    from engine.builder import build

    fitted = fit_spec(spec, bundle.input_shape)
    shape = shape_text(bundle.input_shape)
    try:
        return build(fitted), fitted
    except ValueError as exc:
        raise ValueError(f"the network {spec.name!r} does not fit {bundle.name} examples "
                         f"of shape {shape}: {exc}") from exc


def is_2d_classification(task: str, input_shape: tuple[int, ...]) -> bool:
    """Whether decision regions can be drawn for data of this task and example shape."""
    return task == "classification" and tuple(input_shape) == (2,)


class _RegionMaps:
    """Decision maps of ``net`` over ``bounds``: one per epoch end, else throttled."""

    def __init__(self, net: Any, bounds: Any, num_classes: int | None, *, seconds: float,
                 resolution: int) -> None:
        self.net, self.bounds, self.num_classes = net, bounds, num_classes
        self.seconds, self.resolution = seconds, resolution
        self._last = float("-inf")

    def after(self, event: object) -> object | None:
        from engine.training import BatchProgress, EpochEnd, decision_map

        now = time.perf_counter()
        due = isinstance(event, EpochEnd) or (
            isinstance(event, BatchProgress) and now - self._last >= self.seconds)
        if not due:
            return None
        device = next((p.device for p in self.net.parameters()), "cpu")
        result = decision_map(self.net, bounds=self.bounds, resolution=self.resolution,
                              device=device, num_classes=self.num_classes)
        self._last = time.perf_counter()
        return result


def _keep_weights(path: str, model: Model, events: Any, extra: dict[str, Any]) -> None:
    """Write the run's checkpoint to ``path`` (in the worker, also when the run was
    stopped or the window closes); the outcome goes on ``model``, never raises."""
    from engine.training import save_checkpoint

    try:
        save_checkpoint(path, net=model.net, optimizer=events.optimizer,
                        spec=model.spec.to_dict(), history=events.history, extra=extra)
        model.kept = path
    except (OSError, ValueError, RuntimeError) as exc:
        model.kept_error = str(exc)


def train_job(spec: Any, data: DataOptions, hp: HyperParams, *, device: str,
              progress_seconds: float = 0.15, map_seconds: float = 0.5,
              map_resolution: int = 96, keep_weights: str | None = None):
    """A job for ``JobRunner.start``: load ``data``, build ``spec``, train with ``hp``;
    with ``keep_weights`` (a ``.pt`` path) the trained network is saved there at the end
    unless the run diverged or never took a step."""

    def job(control: JobControl) -> Iterator[object]:
        import torch

        from engine.data import load_dataset
        from engine.training import data_sample, train

        bundle = load_dataset(data.name, batch_size=hp.batch_size, root=data.root,
                              download=data.download, resize=data.resize, seed=hp.seed,
                              n_train=data.n_train, n_test=data.n_test, **data.options)
        if control.stop_requested:
            return
        torch.manual_seed(hp.seed)  # a reproducible initial network for this seed
        net, fitted = _build(spec, bundle)
        model = Model(net, fitted)
        yield Prepared(bundle.source, bundle.n_train, bundle.n_test, bundle.input_shape,
                       bundle.task, bundle.num_classes,
                       sum(p.numel() for p in net.parameters()), model, bundle.class_names)
        maps = None
        if is_2d_classification(bundle.task, bundle.input_shape):
            ds = bundle.train.dataset
            sample = data_sample(ds.X, ds.y, seed=hp.seed)
            yield sample
            maps = _RegionMaps(net, sample.bounds, bundle.num_classes, seconds=map_seconds,
                               resolution=map_resolution)
        loss = hp.loss
        if bundle.task == "regression" and loss == "cross-entropy":
            loss = "mse"
        events = train(net, bundle, num_epochs=hp.num_epochs, lr=hp.lr, optimizer=hp.optimizer,
                       momentum=hp.momentum, weight_decay=hp.weight_decay, loss=loss,
                       schedule=hp.schedule, init=hp.init, device=device, seed=hp.seed,
                       grad_clip=hp.grad_clip, progress_seconds=progress_seconds,
                       control=control)
        from engine.training import Diverged

        last: object = None
        try:
            for event in events:
                last = event
                if model.optimizer is None:
                    model.optimizer = events.optimizer
                yield event
                regions = maps.after(event) if maps is not None else None
                if regions is not None:
                    yield regions
        finally:
            events.close()
            net.to("cpu")
            if keep_weights and events.history.progress and not isinstance(last, Diverged):
                _keep_weights(keep_weights, model, events,
                              {"dataset": data.name, "source": bundle.source})

    return job


def save_job(path: str, model: Model, history: Any, extra: dict[str, Any]):
    def job(control: JobControl) -> Iterator[object]:
        from engine.training import save_checkpoint

        written = save_checkpoint(path, net=model.net, optimizer=model.optimizer,
                                  spec=model.spec.to_dict(), history=history, extra=extra)
        yield Saved(str(written))

    return job


def copy_job(source: str, path: str):
    """Save a kept checkpoint file (a restored run's weights) as ``path``, atomically."""

    def job(control: JobControl) -> Iterator[object]:
        import shutil

        from engine.files import atomic_path, check_writable

        check_writable(path)
        try:
            with atomic_path(path) as tmp:
                shutil.copyfile(source, tmp)
        except FileNotFoundError as exc:
            if exc.filename == source:
                raise ValueError(f"the kept weights {source} are gone; this run can no "
                                 f"longer be saved") from None
            raise
        yield Saved(str(path))

    return job


def load_job(path: str):
    def job(control: JobControl) -> Iterator[object]:
        from engine.builder import NetworkSpec, build
        from engine.training import load_checkpoint

        ckpt = load_checkpoint(path)
        if ckpt.spec is None:
            raise ValueError(f"{Path(path).name} holds weights but no network spec, so the "
                             f"network cannot be rebuilt; save checkpoints from this tab")
        spec = NetworkSpec.from_dict(ckpt.spec)
        net = build(spec)
        ckpt.restore(net)
        net.eval()
        yield Loaded(str(path), Model(net, spec), ckpt.history, dict(ckpt.extra))

    return job
