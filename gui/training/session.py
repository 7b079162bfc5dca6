"""TrainingSession: one training run at a time for a tab, on its ``JobRunner``.

The session starts the engine's ``run(config, control, hooks=…)`` (or any job that
yields the same events) on the worker thread, and turns what comes back into signals of
plain data on the UI thread, one per kind of event, so a view connects only to what it
draws. It also keeps the run's ``History`` as it grows, its state and its clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal

from gui.workers import JobRunner

IDLE, LOADING, RUNNING, PAUSED = "idle", "loading", "running", "paused"


class TrainingSession(QObject):
    """Starts, pauses, resumes and stops training runs; one at a time.

    Signals (all on the UI thread, all carrying the engine's frozen event records):

    * ``prepared(Prepared)`` — data loaded, model built (``Prepared.metrics``: the task's
      metric descriptions; ``Prepared.model``: the network, readable once the run ended);
    * ``progress(BatchProgress)``, ``epoch_ended(EpochEnd)``, ``estimated(SpeedEstimate)``;
    * ``hook_event(object)`` — anything else a hook yields (``DataSample``, ``DecisionMap``…);
    * ``ended(Finished | Stopped)`` — the run's last event, with the full history;
    * ``failed(str)`` — a one-sentence message (the run raised);
    * ``finished(bool)`` — the worker let go (True if stopped); the network may be read now;
    * ``state_changed(str)`` — ``idle`` / ``loading`` / ``running`` / ``paused``.

    Args:
        runner: the ``JobRunner`` the runs go on (``PlaygroundTab.make_runner``).
        device_label: shown with examples/s, e.g. ``"CPU (2 threads)"`` (settable).
    """

    prepared = Signal(object)
    progress = Signal(object)
    epoch_ended = Signal(object)
    estimated = Signal(object)
    hook_event = Signal(object)
    ended = Signal(object)
    failed = Signal(str)
    finished = Signal(bool)
    state_changed = Signal(str)

    def __init__(self, runner: JobRunner, *, device_label: str = "",
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.device_label = device_label
        self.state = IDLE
        self.config: Any = None
        self.num_epochs = 1
        self.history: Any = None  # engine History of the current (or last) run
        self.last_progress: Any = None
        self.start_fraction = 0.0  # epochs done before this run (a resumed checkpoint's)
        self._started = 0.0
        runner.event.connect(self._on_runner_event)
        runner.failed.connect(self.failed.emit)
        runner.finished.connect(self._on_runner_finished)

    # ------------------------------------------------------------ commands
    def start(self, config: Any, *, hooks: Sequence[Any] = (),
              job: Callable[[Any], Iterator[object]] | None = None) -> bool:
        """Train ``config`` (an ``engine.training.config.RunConfig``) with extra ``hooks``;
        ``job`` replaces the plain ``run(config, control, hooks=hooks)`` (it must yield
        the same events). False if a run is in progress."""
        if self.runner.is_running():
            return False
        if job is None:
            def job(control: Any) -> Iterator[object]:
                from engine.training import run

                yield from run(config, control, hooks=tuple(hooks))
        self.config = config
        self.num_epochs = int(getattr(config, "num_epochs", 1) or 1)
        self.history, self.last_progress = None, None
        self.runner.start(job)
        self._set_state(LOADING)
        return True

    def pause(self) -> None:
        if self.runner.is_running():
            self.runner.pause()
            self._set_state(PAUSED)

    def resume(self) -> None:
        if self.runner.is_running():
            self.runner.resume()
            self._set_state(RUNNING)

    def stop(self) -> None:
        self.runner.stop()

    # ------------------------------------------------------------ queries
    def is_running(self) -> bool:
        return self.runner.is_running()

    def is_paused(self) -> bool:
        return self.runner.is_paused()

    def elapsed(self) -> float:
        """Seconds since the data was ready (what the ETA is measured on)."""
        return time.perf_counter() - self._started if self._started else 0.0

    # ------------------------------------------------------------ events
    def _on_runner_event(self, event: object) -> None:
        from engine.training import (
            BatchProgress,
            EpochEnd,
            Finished,
            History,
            SpeedEstimate,
            Stopped,
        )
        from engine.training.events import Prepared

        if isinstance(event, Prepared):
            settings = getattr(self.config, "to_dict", dict)() if self.config else {}
            self.history = History(settings=settings)
            self._started = time.perf_counter()
            self.start_fraction = float(getattr(event, "start_epoch", 1) - 1)
            self.prepared.emit(event)
            self._set_state(PAUSED if self.runner.is_paused() else RUNNING)
        elif isinstance(event, BatchProgress):
            self.last_progress = event
            if self.history is not None:
                self.history.progress.append(event)
            self.progress.emit(event)
        elif isinstance(event, EpochEnd):
            if self.history is not None:
                self.history.epochs.append(event)
            self.epoch_ended.emit(event)
        elif isinstance(event, SpeedEstimate):
            self.estimated.emit(event)
        elif isinstance(event, (Finished, Stopped)):
            self.history = event.history
            self.ended.emit(event)
        else:
            self.hook_event.emit(event)

    def _on_runner_finished(self, stopped: bool) -> None:
        self._started = 0.0
        self._set_state(IDLE)
        self.finished.emit(stopped)

    def _set_state(self, state: str) -> None:
        self.state = state
        self.state_changed.emit(state)
