"""Cooperative control of long engine jobs (training, optimisation).

Long jobs are generators that yield small frozen dataclasses. They take a
``JobControl`` and call ``control.should_stop()`` once per step: it blocks while the
job is paused and returns True once a stop was requested. Thread-safe: the GUI
thread calls ``stop()/pause()/resume()`` while a worker thread runs the generator.
"""

from __future__ import annotations

import threading


class JobControl:
    """Stop / pause flags shared between the caller and a running job."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def stop(self) -> None:
        """Ask the job to stop at its next check (also releases a pause)."""
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        if not self._stop.is_set():
            self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def should_stop(self, *, poll: float = 0.1) -> bool:
        """Block while paused; return True if the job must stop now."""
        while not self._running.wait(poll):
            pass
        return self._stop.is_set()
