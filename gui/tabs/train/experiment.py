"""The Train tab's experiment files: export the setup, resume a checkpoint, read a run log.

* ``export_experiment`` writes the ``RunConfig`` JSON that ``python -m engine train
  --config FILE`` (and ``torchrun … -m engine train --config FILE``) runs, and optionally
  the standalone ``train_ch6`` script (``engine.training.script_export``) beside it.
* ``resume_config`` turns a checkpoint read back (``gui.training.checkpoints.Loaded``)
  into the config that continues it (``RunConfig.resume``).
* ``log_run_fields``: a ``Run``'s fields from a run log (``run_settings``, from a config,
  is shared: ``gui.training.runs``).

Every save is atomic (``engine.files``); every failure is one sentence naming the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.files import SaveError, write_text_atomic

EXPERIMENT_FILTER = "Experiment (*.json);;All files (*)"
LOG_FILTER = "Run log (*.jsonl *.json *.log *.txt);;All files (*)"
LOG_STATUS = {"finished": "finished", "user": "stopped", "diverged": "diverged",
              "out-of-memory": "out of memory", "incomplete": "stopped"}


@dataclass
class ExportResult:
    ok: bool
    messages: list[tuple[str, str]] = field(default_factory=list)  # (level, sentence)


def headless(config: Any) -> Any:
    """``config`` as a file for another machine: any device, no GUI-only hooks or pacing."""
    return config.replace(device="auto", hooks=(), progress_seconds=None, resume=None)


def export_experiment(config: Any, path: str | Path, *, script: bool = False) -> ExportResult:
    """Write ``config`` (made headless) as JSON at ``path``; with ``script`` also
    ``path`` with ``.py`` — the book's loop for this network and recipe."""
    path = Path(path)
    config = headless(config)
    try:
        write_text_atomic(path, config.to_json() + "\n")
    except SaveError as exc:
        return ExportResult(False, [("error", str(exc))])
    command = f"python -m engine train --config {path.name}"
    result = ExportResult(True, [("info", f"Experiment saved to {path} — run it with "
                                          f"`{command}` (or under torchrun)")])
    if script:
        from engine.training.script_export import write_training_script

        target = path.with_suffix(".py")
        try:
            write_training_script(target, config)
        except SaveError as exc:
            result.messages.append(("error", f"{exc} (the experiment itself is saved)"))
        except ValueError as exc:
            result.messages.append(("warning", f"Experiment saved to {path}; no training "
                                               f"script: {exc}"))
        else:
            result.messages.append(("info", f"Experiment saved to {path}, training script "
                                            f"to {target} (python {target.name})"))
    result.messages = result.messages[-1:]  # the last sentence says it all
    return result


def resume_config(loaded: Any, *, fallback: Callable[[Any], Any], device: str,
                  extra_epochs: int, progress_seconds: float) -> tuple[Any, str]:
    """The config that trains ``loaded`` on, and a sentence saying what it does.

    The checkpoint's own config (its network, data and recipe) continues to its planned
    epochs; a run that already reached them gets ``extra_epochs`` more. A version-1
    checkpoint has no config: ``fallback(spec)`` (the form's data and recipe) is used.
    """
    config = loaded.model.config
    source = "its saved recipe"
    if config is None:
        config, source = fallback(loaded.model.spec), "the form's data and recipe"
    done = int(loaded.epoch or 0)
    target = config.num_epochs if config.num_epochs > done else done + int(extra_epochs)
    config = config.replace(resume=str(loaded.path), num_epochs=target, device=device,
                            hooks=("decision-map",), progress_seconds=progress_seconds)
    name = Path(loaded.path).name
    return config, (f"resumed from {name} after epoch {done}, to epoch {target} with "
                    f"{source}")


def log_run_fields(log: Any) -> dict[str, Any]:
    """``Run`` fields (network, dataset, settings, task, status, reason) of a run log."""
    from engine.training.config import hparam_names
    from gui.training.metrics import task_metrics

    config = dict(log.config)
    model = config.get("model") or {}
    network = str(model.get("name") or model.get("kind") or "?") if isinstance(
        model, dict) else "?"
    dataset = str(config.get("dataset") or "?")
    task = config.get("task")
    if not task:
        try:
            from engine.data import dataset_info

            task = dataset_info(dataset).task
        except ValueError:
            keys = {k for e in log.epochs for k in e}
            task = "classification" if "test_acc" in keys else "regression"
    settings = {k: config[k] for k in hparam_names() if k in config}
    settings.update({k: config.get(k) for k in ("resize", "n_train", "n_test")})
    status = LOG_STATUS.get(log.status, "stopped")
    reason = f"run log {log.path}"
    if log.end and log.end.get("reason"):
        reason += f": {log.end['reason']}"
    return {"network": network, "dataset": dataset, "settings": settings, "task": str(task),
            "status": status, "reason": reason, "source": str(log.meta.get("source", "")),
            "metrics": task_metrics(str(task))}
