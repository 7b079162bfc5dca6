"""GUI glue for the Train tab's worker jobs: a ``RunConfig`` from the form, then ``run()``.

Each job is ``job(control) -> Iterator[event]`` for ``JobRunner``. A training job is the
engine's ``run(config, control)`` (``engine.training.experiment``): ``Prepared`` (which
data is in use, the built network — ``Prepared.model`` travels to the UI thread so a
stopped or finished run can be saved; the UI only touches it after the runner's
``finished`` signal), then ``BatchProgress`` / ``EpochEnd`` / ``Finished`` /
``Stopped``, and for 2-D classification data the ``decision-map`` hook's
``DataSample`` and ``DecisionMap`` events, computed in the worker. Checkpoint and
run-log jobs are shared with other tabs: ``gui.training.checkpoints``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from engine.jobs import JobControl
from engine.training.config import RunConfig, config_fields
from engine.training.events import Prepared
from engine.training.experiment import RunModel as Model  # the run's network (runs.py)
from engine.training.setup import LOSSES

__all__ = ["DataOptions", "HyperParams", "Model", "Prepared", "config_job",
           "is_2d_classification", "make_config", "train_job"]


@dataclass(frozen=True)
class DataOptions:
    """What the data panel picked (``RunConfig``'s data fields); ``root`` is the data
    folder or the image folder."""

    name: str
    root: str | None = None
    download: bool = False
    resize: int | None = None
    n_train: int | None = None
    n_test: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    transforms: tuple[dict[str, Any], ...] = ()  # train-time augmentation (RunConfig's)


# The form's values: RunConfig's "hparams" fields, names and defaults taken from there
# (the form always shows a loss: the task's default for classes when the config has none).
HyperParams = dataclasses.make_dataclass(
    "HyperParams",
    [(f.name, f.type, field(default=f.default if f.default is not None or f.name != "loss"
                            else LOSSES[0])) for f in config_fields("hparams")],
    frozen=True)
HyperParams.__doc__ = "The Train tab's hyper-parameters: RunConfig's 'hparams' fields."


def is_2d_classification(task: str, input_shape: tuple[int, ...]) -> bool:
    """Whether decision regions can be drawn for data of this task and example shape."""
    return task == "classification" and tuple(input_shape) == (2,)


def make_config(spec: Any, data: DataOptions, hp: Any, *, device: str,
                progress_seconds: float = 0.15) -> RunConfig:
    """The ``RunConfig`` of the form's current choices."""
    from engine.data import dataset_info
    from engine.models import ModelRef

    values = {f.name: getattr(hp, f.name) for f in config_fields("hparams")}
    if dataset_info(data.name).task == "regression" and values["loss"] == "cross-entropy":
        values["loss"] = "mse"  # the form's default loss is for classes
    return RunConfig(model=ModelRef.from_spec(spec), dataset=data.name, data_root=data.root,
                     download=data.download, resize=data.resize, n_train=data.n_train,
                     n_test=data.n_test, dataset_options=dict(data.options),
                     transforms=data.transforms, device=device,
                     progress_seconds=progress_seconds, hooks=("decision-map",), **values)


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


def train_job(spec: Any, data: DataOptions, hp: Any, *, device: str,
              progress_seconds: float = 0.15, keep_weights: str | None = None):
    """``config_job`` of the form's choices: train ``spec`` on ``data`` with ``hp``."""
    return config_job(make_config(spec, data, hp, device=device,
                                  progress_seconds=progress_seconds), keep_weights=keep_weights)
