"""Training: one loop for every task, driven by a RunConfig, plus checkpoints.

>>> from engine.data import load_dataset
>>> bundle = load_dataset("procedural-shapes", batch_size=256)
>>> for event in train(net, bundle, num_epochs=10, lr=0.9, init="xavier"):
...     ...  # BatchProgress / EpochEnd, then Finished or Stopped (Diverged)

>>> config = RunConfig(model=ModelRef.preset("lenet"), dataset="procedural-shapes", lr=0.9)
>>> for event in run(config):   # what the Train tab, the CLI and torchrun call
...     ...  # Prepared, then the loop's events

Tasks (``task.py``) give the loss and on-device metric accumulators; hooks
(``hooks.py``) let views look inside; ``RunConfig`` (``config.py``) names every setting
once; ``run`` (``experiment.py``) builds data, model and hooks from it.
"""

from __future__ import annotations

from engine.training.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from engine.training.config import RunConfig
from engine.training.decision import DataSample, DecisionMap, data_sample, decision_map
from engine.training.events import (
    BatchProgress,
    Diverged,
    EpochEnd,
    Finished,
    History,
    Prepared,
    SpeedEstimate,
    Stopped,
    TrainEvent,
)
from engine.training.experiment import HOOKS, RunModel, run
from engine.training.hooks import DecisionMapHook, Hook, LoopState
from engine.training.setup import (
    INITS,
    LOSSES,
    OPTIMIZERS,
    SCHEDULES,
    init_weights,
    make_loss,
    make_optimizer,
    make_schedule,
)
from engine.training.task import (
    TASKS,
    AnchorBoxTask,
    ClassificationTask,
    MetricInfo,
    PixelClassificationTask,
    RegressionTask,
    Task,
    make_task,
)
from engine.training.trainer import TrainingRun, evaluate_accuracy, train

__all__ = [
    "INITS",
    "LOSSES",
    "OPTIMIZERS",
    "SCHEDULES",
    "TASKS",
    "AnchorBoxTask",
    "BatchProgress",
    "ClassificationTask",
    "DecisionMapHook",
    "Hook",
    "LoopState",
    "MetricInfo",
    "PixelClassificationTask",
    "Prepared",
    "RegressionTask",
    "HOOKS",
    "RunConfig",
    "RunModel",
    "SpeedEstimate",
    "Task",
    "Checkpoint",
    "DataSample",
    "DecisionMap",
    "Diverged",
    "EpochEnd",
    "Finished",
    "History",
    "Stopped",
    "TrainEvent",
    "TrainingRun",
    "data_sample",
    "decision_map",
    "evaluate_accuracy",
    "init_weights",
    "load_checkpoint",
    "make_loss",
    "make_task",
    "make_optimizer",
    "make_schedule",
    "run",
    "save_checkpoint",
    "train",
]
