"""The one place that runs engine jobs off the UI thread.

An engine job is ``job(control) -> Iterator[event]``: a generator that takes an
``engine.jobs.JobControl`` and yields small frozen dataclasses of plain data.
:class:`JobRunner` runs one job at a time on superqt's thread pool
(``GeneratorWorker``) and re-emits, on the UI thread:

* ``event(object)``   — each yielded item;
* ``failed(str)``     — the job raised; the message is user-facing;
* ``finished(bool)``  — the job ended (True if it was stopped).

Every run gets a generation number. Starting a new run supersedes the old one
(stops it) and anything the old run still delivers is dropped — the ndv pattern
for stale background results. ``shutdown_all`` stops every runner and waits; the
main window calls it from ``closeEvent``.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal
from superqt.utils import GeneratorWorker

from engine.errors import explain_out_of_memory, is_out_of_memory
from engine.jobs import JobControl

Job = Callable[[JobControl], Iterator[Any]]

_RUNNERS: weakref.WeakSet[JobRunner] = weakref.WeakSet()


@dataclass(frozen=True)
class _Event:
    generation: int
    payload: Any


@dataclass(frozen=True)
class _Failure:
    generation: int
    message: str
    details: str


@dataclass(frozen=True)
class _Done:
    generation: int
    stopped: bool


def describe_exception(exc: BaseException) -> str:
    """A message for people: ValueError text as is; known failure modes explained."""
    text = str(exc)
    if isinstance(exc, ValueError):
        return text
    if is_out_of_memory(exc):
        return explain_out_of_memory(exc)
    return f"Unexpected error — {type(exc).__name__}: {text}"


def _lower_thread_priority(niceness: int = 5) -> None:
    """Let the UI thread win the CPU over a busy worker (Linux: per-thread nice).

    The worker gets the main thread's niceness plus ``niceness`` — a fixed level, so a
    pool thread reused by many jobs does not sink lower each time. Threads the job starts
    afterwards (torch's intra-op pool) inherit it. Elsewhere, or without permission, this
    does nothing.
    """
    if not sys.platform.startswith("linux") or not hasattr(os, "setpriority"):
        return
    try:
        main_nice = os.getpriority(os.PRIO_PROCESS, os.getpid())  # the main thread's
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(),
                       min(19, main_nice + niceness))
    except OSError:
        pass


class _StoppedEarly(Exception):
    pass


def _run(job: Job, control: JobControl, generation: int,
         started: threading.Event, done: threading.Event) -> Iterator[object]:
    """Drive ``job`` in the worker thread, tagging everything with ``generation``."""
    started.set()
    _lower_thread_priority()
    stopped = False
    try:
        if control.stop_requested:  # stopped before the pool got to it
            raise _StoppedEarly
        gen = job(control)
        try:
            for item in gen:
                yield _Event(generation, item)
                if control.should_stop():
                    stopped = True
                    break
        finally:
            gen.close()
    except _StoppedEarly:
        stopped = True
    except Exception as exc:  # reported to the UI, never raised into the pool
        yield _Failure(generation, describe_exception(exc), traceback.format_exc())
        stopped = control.stop_requested
    try:
        yield _Done(generation, stopped or control.stop_requested)
    finally:
        done.set()


class JobRunner(QObject):
    """Runs one engine job at a time for a tab; see the module docstring."""

    event = Signal(object)
    failed = Signal(str)
    finished = Signal(bool)
    started = Signal()

    def __init__(self, parent: QObject | None = None, *, name: str = "job") -> None:
        super().__init__(parent)
        self.name = name
        self._generation = 0
        self._control: JobControl | None = None
        self._worker: GeneratorWorker | None = None
        self._done = threading.Event()
        self._done.set()
        self._started = threading.Event()
        self._running = False
        self.last_error_details = ""
        _RUNNERS.add(self)

    @property
    def generation(self) -> int:
        return self._generation

    def is_running(self) -> bool:
        return self._running

    def is_paused(self) -> bool:
        return bool(self._control and self._control.paused)

    def start(self, job: Job) -> int:
        """Start ``job`` (stopping a previous run). Returns the run's generation."""
        self.stop()
        self._generation += 1
        self._control = JobControl()
        self._done = threading.Event()
        self._started = threading.Event()
        worker = GeneratorWorker(_run, job, self._control, self._generation,
                                 self._started, self._done)
        worker.yielded.connect(self._on_worker_yielded)
        self._worker = worker
        self._running = True
        worker.start()
        self.started.emit()
        return self._generation

    def stop(self) -> None:
        """Ask the current run to stop (it ends within one engine step)."""
        if self._control is not None:
            self._control.stop()

    def pause(self) -> None:
        if self._control is not None:
            self._control.pause()

    def resume(self) -> None:
        if self._control is not None:
            self._control.resume()

    def wait(self, timeout_ms: int = 5000) -> bool:
        """Block until the current run's thread has finished. True if it did."""
        if self._control is not None and self._control.stop_requested \
                and not self._started.is_set():
            return True  # never started; it will see the stop flag if it ever does
        return self._done.wait(timeout_ms / 1000)

    def _on_worker_yielded(self, item: object) -> None:
        if getattr(item, "generation", None) != self._generation:
            return  # a superseded run: drop
        if isinstance(item, _Event):
            self.event.emit(item.payload)
        elif isinstance(item, _Failure):
            self.last_error_details = item.details
            self.failed.emit(item.message)
        elif isinstance(item, _Done):
            self._running = False
            self.finished.emit(item.stopped)


def shutdown_all(timeout_ms: int = 5000) -> bool:
    """Stop every live runner and wait for their threads. True if all ended."""
    runners = list(_RUNNERS)
    for runner in runners:
        runner.stop()
    ok = True
    for runner in runners:
        ok = runner.wait(timeout_ms) and ok
    return ok
