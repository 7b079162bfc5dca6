"""Training jobs for ``TrainingSession.start(config, job=…)``: ``run(config)`` plus the
run's weights kept on disk when the runs list's **Keep weights** is ticked.

Moved here from the Train tab's ``job.py`` (issue 12) so every training tab keeps
weights the same way; the Train tab's job module re-exports ``config_job``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.jobs import JobControl
from engine.training.config import RunConfig
from engine.training.events import Prepared


def _keep_weights(path: str, model: Any, extra: dict[str, Any]) -> None:
    """Write the run's checkpoint to ``path`` (in the worker, also when the run was
    stopped or the window closes); the outcome goes on ``model``, never raises."""
    try:
        model.save(path, history=model.history, extra=extra)
        model.kept = path
    except (OSError, ValueError, RuntimeError) as exc:
        model.kept_error = str(exc)


def config_job(config: RunConfig, *, keep_weights: str | None = None,
               hooks: tuple = ()):
    """A job for ``JobRunner.start`` (or ``TrainingSession.start(config, job=…)``):
    ``run(config)``; with ``keep_weights`` (a ``.pt`` path) the trained network is saved
    there at the end unless the run diverged or never took a step. ``hooks``: extra
    hooks (other tabs' views, ``AppContext.make_training_hooks``)."""

    def job(control: JobControl) -> Iterator[object]:
        from engine.training import Diverged
        from engine.training.experiment import run

        events = run(config, control, hooks=hooks)
        model, source, last = None, "", None
        try:
            for event in events:
                if isinstance(event, Prepared):
                    model, source = event.model, event.source
                last = event
                yield event
        finally:
            events.close()  # run() puts the network back on the CPU
            if (keep_weights and model is not None and model.history is not None
                    and model.history.progress and not isinstance(last, Diverged)):
                _keep_weights(keep_weights, model, {"dataset": config.dataset,
                                                    "source": source})

    return job
