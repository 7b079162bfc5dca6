"""Checkpoints and run logs of a tab's runs: save, load, resume, open a headless run's log.

File work runs as jobs on a ``JobRunner`` (``job(control) -> Iterator[event]``):
``save_job`` / ``copy_job`` yield ``Saved``, ``load_job`` yields ``Loaded`` (the network
rebuilt from the checkpoint's spec, its history and run config), ``read_log_job`` yields
``LogRead`` (``engine.training.runlog``). ``CheckpointActions`` runs them for a tab and
re-emits the outcome as signals; every failure is one sentence naming the user's file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.jobs import JobControl
from gui.workers import JobRunner


@dataclass(frozen=True)
class Loaded:
    """A checkpoint read back: network rebuilt from its spec with the saved weights.

    Attributes:
        path: the file; model: an ``engine.training.experiment.RunModel`` (``.config``:
        the saved ``RunConfig`` or None for a version-1 file); history: its
        ``History`` or None; extra: what the tab saved with it; epoch: epochs done;
        purpose: ``"load"`` (a new run in the list) or ``"resume"`` (train on).
    """

    path: str
    model: Any
    history: Any
    extra: dict[str, Any]
    epoch: int = 0
    purpose: str = "load"


@dataclass(frozen=True)
class Saved:
    path: str


@dataclass(frozen=True)
class LogRead:
    """A run log read back (``engine.training.runlog.RunLog``)."""

    path: str
    log: Any


def savable(run: Any) -> tuple[bool, str]:
    """Whether ``run``'s network is worth a checkpoint, and if not why (for the tooltip)."""
    if run.model is None and not run.weights:
        return False, "This run has no network to save (its weights were not kept)"
    if run.status in ("running", "paused"):
        return False, "Stop the run (or let it finish) before saving it"
    if run.status in ("failed", "diverged"):
        return False, f"Run {run.number} {run.status}: its weights are not a trained network"
    if run.status != "loaded" and (run.history is None or not run.history.progress):
        return False, f"Run {run.number} ended before its first training step"
    return True, ""


def save_job(path: str, model: Any, history: Any, extra: dict[str, Any]):
    """Save ``model`` (a ``RunModel``: weights, optimiser, schedule, epoch, config)."""

    def job(control: JobControl) -> Iterator[object]:
        yield Saved(str(model.save(path, history=history, extra=extra)))

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


def model_name(model: Any) -> str:
    """The network's name for the runs list: the spec's, else the model reference's."""
    if getattr(model, "spec", None) is not None:
        return str(model.spec.name)
    ref = getattr(model, "ref", None)
    return str(ref.name) if ref is not None else "?"


def load_job(path: str, *, purpose: str = "load"):
    """Read a checkpoint and rebuild its network: from its spec (builder networks), or
    from its model reference and run config (zoo models such as a toy FCN)."""

    def job(control: JobControl) -> Iterator[object]:
        from engine.training import load_checkpoint
        from engine.training.config import RunConfig
        from engine.training.experiment import RunModel

        ckpt = load_checkpoint(path)
        try:
            config = RunConfig.from_dict(ckpt.config) if ckpt.config else None
        except ValueError as exc:
            raise ValueError(f"{path}: its run config cannot be read: {exc}") from None
        net, ref, spec = _rebuild(ckpt, config, path)
        net.eval()
        yield Loaded(str(path), RunModel(net, ref, spec, config), ckpt.history,
                     dict(ckpt.extra), int(ckpt.epoch or 0), purpose)

    return job


def _rebuild(ckpt: Any, config: Any, path: str) -> tuple[Any, Any, Any]:
    """``(net with the saved weights, ModelRef, NetworkSpec or None)``."""
    from engine.builder import NetworkSpec, build
    from engine.models import ModelRef

    if ckpt.spec is not None:
        spec = NetworkSpec.from_dict(ckpt.spec)
        net = build(spec)
        ckpt.restore(net)
        return net, ModelRef.from_spec(spec), spec
    if ckpt.model_ref is None or config is None or config.dataset is None:
        raise ValueError(f"{Path(path).name} holds weights but no network spec or model "
                         f"reference, so the network cannot be rebuilt; save checkpoints "
                         f"from this app")
    from dataclasses import replace

    from engine.data import dataset_info
    from engine.models.zoo import build_model, check_state_dict

    ref = ModelRef.from_dict(ckpt.model_ref)
    info = dataset_info(config.dataset)
    shape = tuple(info.input_shape)
    if config.resize and len(shape) == 3:
        shape = (shape[0], config.resize, config.resize)
    # The saved weights replace whatever the reference started from: build it bare.
    net = build_model(replace(ref, weights=None), input_shape=shape,
                      num_classes=info.num_classes).net
    check_state_dict(net, ckpt.model_state, source=Path(path).name)
    net.load_state_dict(ckpt.model_state)
    return net, ref, None


def read_log_job(path: str):
    """Read a headless run's JSON-lines log (``python -m engine train --run-log``)."""

    def job(control: JobControl) -> Iterator[object]:
        from engine.training.runlog import read_run_log

        log = read_run_log(path)
        log.history()  # its epochs must read as this version's records (else: a message)
        yield LogRead(str(path), log)

    return job


class CheckpointActions(QObject):
    """Runs a tab's checkpoint and run-log jobs, one at a time, on ``runner``.

    Signals: ``saved(path)``; ``loaded(Loaded)`` (``Loaded.purpose`` says whether to
    add it as a run or resume it); ``log_read(LogRead)``; ``failed(message)``.
    """

    saved = Signal(str)
    loaded = Signal(object)
    log_read = Signal(object)
    failed = Signal(str)

    def __init__(self, runner: JobRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        runner.event.connect(self._on_runner_event)
        runner.failed.connect(self.failed.emit)

    def save(self, run: Any, path: str, extra: dict[str, Any]) -> bool:
        """Save ``run`` (a ``Run`` that ``savable`` accepts) to ``path`` in the worker.

        Raises:
            engine.files.SaveError: the folder cannot be written (said at once, in one
                sentence naming ``path``; nothing started).
        """
        from engine.files import check_writable
        from engine.training.events import History

        check_writable(path)
        history = run.history or History(settings=dict(run.settings))
        if run.model is None:  # a restored run: its kept checkpoint is the file to save
            self.runner.start(copy_job(run.weights, path))
        else:
            self.runner.start(save_job(path, run.model, history, extra))
        return True

    def load(self, path: str, *, purpose: str = "load") -> None:
        self.runner.start(load_job(path, purpose=purpose))

    def open_log(self, path: str) -> None:
        self.runner.start(read_log_job(path))

    def _on_runner_event(self, event: object) -> None:
        if isinstance(event, Saved):
            self.saved.emit(event.path)
        elif isinstance(event, Loaded):
            self.loaded.emit(event)
        elif isinstance(event, LogRead):
            self.log_read.emit(event)
