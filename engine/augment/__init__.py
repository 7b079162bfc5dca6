"""Data augmentation (d2l 14.1): pipeline specs, previews, a step inspector, code export.

Qt-free. A ``PipelineSpec`` is a frozen, JSON-serialisable list of steps, each a
torchvision ``transforms.v2`` class with params checked against ``catalogue()`` (the
builder's schema machinery, so one form code serves both). ``build_pipeline`` makes the
``v2.Compose``; ``preview`` draws seeded samples with boxes and masks carried along and
the random parameters each step drew; ``inspect`` shows one sample after every step;
``to_code`` writes the pipeline as torchvision code.
"""

from __future__ import annotations

from engine.augment.catalog import GROUPS, AugParam, StepType, catalogue, step_type
from engine.augment.code import to_code
from engine.augment.pipeline import (
    AugmentedSample,
    InspectFrame,
    StepDraw,
    build_batch_transform,
    build_pipeline,
    inspect,
    iter_preview,
    mix_batch,
    plan,
    preview,
    sample_seed,
)
from engine.augment.presets import augment_preset, list_augment_presets
from engine.augment.spec import AugmentStep, PipelineSpec, as_spec, step
from engine.augment.synthetic import SCENE_CLASSES, Scene, synthetic_scene

__all__ = [
    "GROUPS", "SCENE_CLASSES", "AugParam", "AugmentStep", "AugmentedSample", "InspectFrame",
    "PipelineSpec", "Scene", "StepDraw", "StepType", "as_spec", "augment_preset",
    "build_batch_transform", "build_pipeline", "catalogue", "inspect", "iter_preview",
    "list_augment_presets", "mix_batch", "plan", "preview", "sample_seed", "step",
    "step_type", "synthetic_scene", "to_code",
]
