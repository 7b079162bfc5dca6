"""RunSequence: a few runs one after the other on the shared training views, their
curves overlaid — the book's comparisons (N(0, 1) vs Xavier, fine-tuned vs scratch).

Composes ``gui.training``: a ``TrainingSession`` runs each ``RunConfig`` through the one
loop, a ``ControlBar`` shows progress and stops, a ``CurvesView`` overlays the runs
(``Run`` s filled by ``record_progress`` / ``record_epoch``). Runs here are comparisons,
not kept in the Train tab's list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from gui.training import ControlBar, CurvesView, Run, TrainingSession
from gui.training.runs import record_epoch, record_progress
from gui.workers import JobRunner


class RunSequence(QObject):
    """Runs ``{title: RunConfig}`` in order on ``runner``.

    Signals:
        hook_event(str, object): a hook's event of the run ``title``.
        run_prepared(str, object): a run's ``Prepared``.
        done(bool, str): all ended (True if stopped) and the last message ("" if none).
    """

    hook_event = Signal(str, object)
    run_prepared = Signal(str, object)
    done = Signal(bool, str)

    def __init__(self, runner: JobRunner, *, empty_text: str, note: str,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = TrainingSession(runner)
        self.controls = ControlBar()
        self.controls.attach(self.session)
        self.controls.train_button.hide()  # the page has its own start button
        self.curves = CurvesView(empty_text=empty_text, note=note)
        self.runs: list[Run] = []
        self._queue: list[tuple[str, Any]] = []
        self._hooks: Callable[[], list[Any]] = list
        self._current: Run | None = None
        self._stopped = False
        self._error = ""
        s = self.session
        s.prepared.connect(self._on_prepared)
        s.progress.connect(self._on_progress)
        s.epoch_ended.connect(self._on_epoch)
        s.hook_event.connect(lambda e: self.hook_event.emit(self._title(), e))
        s.ended.connect(self._on_ended)
        s.failed.connect(self._on_failed)
        s.finished.connect(self._on_finished)
        s.state_changed.connect(lambda st: self.controls.set_state(st, can_train=False))

    def start(self, configs: dict[str, Any], *, hooks: Callable[[], list[Any]] = list,
              device_label: str = "") -> None:
        self.runs.clear()
        self.curves.show_runs([])
        self._queue = list(configs.items())
        self._hooks, self._stopped, self._error = hooks, False, ""
        self.session.device_label = device_label
        self._next()

    def stop(self) -> None:
        self._stopped = True
        self._queue.clear()
        self.session.stop()

    def is_running(self) -> bool:
        return self.session.is_running() or bool(self._queue)

    def _title(self) -> str:
        return self._current.network if self._current is not None else ""

    def _next(self) -> None:
        title, config = self._queue.pop(0)
        self._current = Run(len(self.runs) + 1, title, str(config.dataset),
                            {"init": config.init, "lr": config.lr})
        self.session.start(config, hooks=self._hooks())

    def _on_prepared(self, p: Any) -> None:
        run = self._current
        run.metrics, run.task = tuple(p.metrics), p.task
        self.runs.append(run)
        self.curves.show_runs(self.runs)
        self.run_prepared.emit(run.network, p)

    def _on_progress(self, p: Any) -> None:
        run = self._current
        if run is not None and run in self.runs:
            for key in record_progress(run, p):
                self.curves.draw_point(run, key, p.fraction, run.curves[key][1][-1])

    def _on_epoch(self, e: Any) -> None:
        run = self._current
        if run is not None and run in self.runs:
            for key in record_epoch(run, e):
                self.curves.draw_point(run, key, e.epoch, run.curves[key][1][-1])

    def _on_ended(self, event: Any) -> None:
        from engine.training import Finished

        if self._current is not None:
            self._current.status = "finished" if isinstance(event, Finished) else "stopped"
            self._current.reason = getattr(event, "reason", "") or ""

    def _on_failed(self, message: str) -> None:
        self._error = message
        self._queue.clear()

    def _on_finished(self, stopped: bool) -> None:
        self._stopped = self._stopped or stopped
        if self._queue and not self._stopped:
            self._next()
            return
        self.curves.show_runs(self.runs)
        self.controls.set_state("idle", can_train=False)
        self.done.emit(self._stopped, self._error)
