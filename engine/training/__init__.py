"""Training: the book's training loop as a generator of events, plus checkpoints.

>>> from engine.data import load_dataset
>>> bundle = load_dataset("procedural-shapes", batch_size=256)
>>> for event in train(net, bundle, num_epochs=10, lr=0.9, init="xavier"):
...     ...  # BatchProgress / EpochEnd, then Finished or Stopped (Diverged)
"""

from __future__ import annotations

from engine.training.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from engine.training.decision import DataSample, DecisionMap, data_sample, decision_map
from engine.training.events import (
    BatchProgress,
    Diverged,
    EpochEnd,
    Finished,
    History,
    SpeedEstimate,
    Stopped,
    TrainEvent,
)
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
from engine.training.trainer import TrainingRun, evaluate_accuracy, train

__all__ = [
    "INITS",
    "LOSSES",
    "OPTIMIZERS",
    "SCHEDULES",
    "BatchProgress",
    "Checkpoint",
    "DataSample",
    "DecisionMap",
    "Diverged",
    "EpochEnd",
    "Finished",
    "History",
    "SpeedEstimate",
    "Stopped",
    "TrainEvent",
    "TrainingRun",
    "data_sample",
    "decision_map",
    "evaluate_accuracy",
    "init_weights",
    "load_checkpoint",
    "make_loss",
    "make_optimizer",
    "make_schedule",
    "save_checkpoint",
    "train",
]
