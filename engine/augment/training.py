"""Hand a pipeline to the training core as its train-time transform.

``training_transforms(spec, input_shape=...)`` checks that the pipeline can run on the
dataset's images — float (C, H, W) in [0, 1], as the in-memory sets hold them — and gives
the ``RunConfig.transforms`` entry that ``engine.data.transforms`` builds back into
``build_pipeline(spec, dtype="float32")``, drawn per example and seeded by the run.
"""

from __future__ import annotations

from typing import Any

from engine.augment.pipeline import make_transform, plan
from engine.augment.spec import PipelineSpec, as_spec

TRANSFORM_NAME = "pipeline"  # the name under which engine.data.transforms knows it


def training_transforms(spec: Any, *, input_shape: tuple[int, ...]) -> tuple[dict, ...]:
    """The ``RunConfig.transforms`` value for ``spec`` (empty for an empty pipeline).

    Args:
        spec: a ``PipelineSpec`` (or its dict / list of steps).
        input_shape: the dataset's ``(C, H, W)``.

    Raises:
        ValueError: naming the step when the pipeline cannot train on these images: a
            batch step (MixUp / CutMix need soft labels, which the classification task
            does not take yet), a step that fails on them, or output images of another
            size than the dataset's (the network expects that size).
    """
    spec = as_spec(spec)
    batch = spec.batch_steps()
    if batch:
        i, s = batch[0]
        raise ValueError(f"step {i + 1} ({s.type}) mixes labels; training with MixUp / CutMix "
                         f"is not supported yet — disable it to train with this pipeline")
    if not spec.enabled_steps():
        return ()
    check_on(spec, input_shape)
    return ({"name": TRANSFORM_NAME, "spec": spec.to_dict()},)


def check_on(spec: PipelineSpec, input_shape: tuple[int, ...], *, trials: int = 4) -> None:
    """Run the pipeline a few times on a float image of ``input_shape``; ValueError naming
    the step that fails or that changes the size."""
    import torch

    if len(input_shape) != 3:
        raise ValueError(f"augmentation needs image data (C, H, W), not shape {input_shape}")
    items = plan(spec, dtype="float32")
    transforms = [make_transform(item) for item in items]
    generator = torch.Generator().manual_seed(0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        for _ in range(trials):
            x = torch.rand(input_shape, generator=generator)
            for item, t in zip(items, transforms, strict=True):
                where = (f"step {item.index + 1} ({item.cls})" if item.index is not None
                         else item.cls)
                try:
                    x = t(x)
                except (TypeError, ValueError, RuntimeError) as exc:
                    raise ValueError(f"{where} cannot run on the dataset's "
                                     f"{_shape(input_shape)} images: {exc}") from None
                if x.shape[0] != input_shape[0]:
                    raise ValueError(f"{where} turns the dataset's {input_shape[0]}-channel "
                                     f"images into {x.shape[0]} channels; remove it or use a "
                                     f"colour dataset")
            if tuple(x.shape) != tuple(input_shape):
                raise ValueError(
                    f"the pipeline turns the dataset's {_shape(input_shape)} images into "
                    f"{_shape(tuple(x.shape))}; the network expects {_shape(input_shape)} — "
                    f"set the crop / resize size to {input_shape[1]}, {input_shape[2]} "
                    f"(e.g. RandomCrop with padding, as the CIFAR recipe does)")


def _shape(shape: tuple[int, ...]) -> str:
    return f"{shape[-1]}×{shape[-2]}" + (f"×{shape[0]}" if len(shape) == 3 else "")


def pipeline_transform(spec: Any) -> Any:
    """What ``engine.data.transforms`` builds for a ``{"name": "pipeline", "spec": ...}``
    entry: ``build_pipeline(spec, dtype="float32")``."""
    from engine.augment.pipeline import build_pipeline

    return build_pipeline(spec, dtype="float32")
