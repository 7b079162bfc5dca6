"""RunRecorder: the session's current run, kept in the runs list and drawn in the curves.

The bookkeeping every training tab needs between a ``TrainingSession`` and its
``RunBook`` / ``CurvesView``: a ``Run`` per ``prepared`` (made by the tab's factory, which
knows the run's name and settings), its figures recorded and drawn as they come, its
status as the session's state and terminal event say, its kept weights, and the record
written to the run store once the worker let go. The tab adds only what is its own
(banners, extra views) by connecting to the same session signals after the recorder,
and to ``run_ended``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from gui.training.curves import CurvesView
from gui.training.runs import LIVE, Run, RunBook, record_epoch, record_progress
from gui.training.session import TrainingSession

END_STATUS = {"diverged": "diverged", "out-of-memory": "out of memory"}


class RunRecorder(QObject):
    """Keeps ``session``'s run in ``book`` and ``curves``.

    Args:
        make_run: ``Prepared -> Run`` (number from ``book.take_number()``, the task's
            ``metrics`` from ``Prepared.metrics``).

    Signals:
        run_ended(run, stopped): the worker let go of the run (``run`` is None when it
            failed or stopped before its data was ready); the run is stored already.
        message(level, text): what the user should read (e.g. weights not kept).

    Attributes:
        current: the run in progress, or None.
        cut_short: the last run was stopped before it could say so itself (its reason is
            ``"stopped by user at epoch E step S"``).
    """

    run_ended = Signal(object, bool)
    message = Signal(str, str)

    def __init__(self, session: TrainingSession, book: RunBook, curves: CurvesView, *,
                 make_run: Callable[[Any], Run], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.book, self.curves = session, book, curves
        self.make_run = make_run
        self.current: Run | None = None
        self.cut_short = False
        session.prepared.connect(self._on_session_prepared)
        session.progress.connect(self._on_session_progress)
        session.epoch_ended.connect(self._on_session_epoch_ended)
        session.ended.connect(self._on_session_ended)
        session.failed.connect(self._on_session_failed)
        session.state_changed.connect(self._on_session_state_changed)
        session.finished.connect(self._on_session_finished)

    def _on_session_prepared(self, p: Any) -> None:
        run = self.make_run(p)
        if run.history is None:
            run.history = self.session.history
        self.current = run
        self.cut_short = False
        self.book.add(run)  # selects it: the plot shows it alone

    def _on_session_progress(self, p: Any) -> None:
        run = self.current
        if run is not None:
            for key in record_progress(run, p):
                self.curves.draw_point(run, key, p.fraction, run.curves[key][1][-1])

    def _on_session_epoch_ended(self, e: Any) -> None:
        run = self.current
        if run is not None:
            for key in record_epoch(run, e):
                self.curves.draw_point(run, key, e.epoch, run.curves[key][1][-1])
            self.book.update(run)

    def _on_session_ended(self, event: Any) -> None:
        from engine.training import Finished

        run = self.current
        if run is None:
            return
        run.history = event.history
        if isinstance(event, Finished):
            run.status = "finished"
        else:
            run.status = END_STATUS.get(event.kind, "stopped")
            run.reason = event.reason

    def _on_session_failed(self, message: str) -> None:
        if self.current is not None:
            self.current.status, self.current.reason = "failed", message

    def _on_session_state_changed(self, state: str) -> None:
        if self.current is not None and state in LIVE:
            self.current.status = state
            self.book.update(self.current)

    def _on_session_finished(self, stopped: bool) -> None:
        run, self.current = self.current, None
        if run is not None:
            if run.status in LIVE:  # the runner ended it before Stopped came
                self.cut_short = True
                run.status, run.reason = "stopped", f"stopped by user{self._where()}"
            self._keep(run)
        self.run_ended.emit(run, stopped)

    def abandon(self, why: str) -> Run | None:
        """Keep the run in progress as stopped (``why``, e.g. "stopped when the window
        closed") after its worker was stopped and waited for; returns it."""
        run, self.current = self.current, None
        if run is not None and run.status in LIVE:
            run.status, run.reason = "stopped", f"{why}{self._where()}"
            self._keep(run)
        return run

    def _where(self) -> str:
        p = self.session.last_progress
        return f" at epoch {p.epoch} step {p.step}" if p is not None else ""

    def _keep(self, run: Run) -> None:
        """Final row, final curves, kept weights, the record on disk."""
        self.book.update(run)
        if any(r is run for r in self.curves.shown):
            self.curves.show_runs(self.curves.shown)  # final styling, empty-run notice
        model = run.model
        if model is not None and getattr(model, "kept", ""):
            run.weights = model.kept
        elif model is not None and getattr(model, "kept_error", ""):
            self.message.emit("warning", f"run {run.number}'s weights were not kept: "
                                         f"{model.kept_error}")
        self.book.store(run)
