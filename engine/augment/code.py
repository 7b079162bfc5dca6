"""``to_code``: a pipeline spec as runnable torchvision code (the tab's *Copy as code*)."""

from __future__ import annotations

from typing import Any

from engine.augment.catalog import Enum, step_type
from engine.augment.pipeline import plan
from engine.augment.spec import as_spec


def _literal(value: Any) -> str:
    if isinstance(value, Enum):
        return f"torch.{value.name}" if value.cls == "torch" else f"v2.{value.cls}.{value.name}"
    if isinstance(value, float):
        return repr(round(value, 6))
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_literal(v) for v in value)
        if isinstance(value, list):
            return f"[{inner}]"
        return f"({inner}{',' if len(value) == 1 else ''})"
    return repr(value)


def to_code(spec: Any, *, dtype: str = "uint8") -> str:
    """Python source that builds ``spec`` as ``augs``, a ``v2.Compose`` — the same
    transforms ``build_pipeline(spec, dtype=dtype)`` makes, so with the same torch seed it
    gives the same images. Batch steps become ``batch_aug`` (needs ``NUM_CLASSES``).

    >>> print(to_code([{"type": "RandomHorizontalFlip"}]).splitlines()[-2])
        v2.RandomHorizontalFlip(p=0.5),
    """
    spec = as_spec(spec)
    lines = [f'"""Augmentation pipeline {spec.name!r}, exported by Deep Learning Playground.',
             "",
             "Use: augs(image) on a uint8 (C, H, W) tensor or tv_tensors.Image; pass boxes",
             "(tv_tensors.BoundingBoxes) and masks (tv_tensors.Mask) along to move them too.",
             "torch.manual_seed(seed) before a call reproduces the app's sample of that seed.",
             '"""', "", "import torch", "from torchvision.transforms import v2", ""]
    if dtype == "float32":
        lines[2] = "Use: augs(image) on a float (C, H, W) tensor in [0, 1]; pass boxes"
    body = []
    for item in plan(spec, dtype=dtype):
        args = ", ".join(f"{k}={_literal(v)}" for k, v in item.kwargs.items())
        note = "  # Normalize needs a float image" if item.step is None else ""
        body.append(f"    v2.{item.cls}({args}),{note}")
    lines += ["augs = v2.Compose([", *body, "])"]
    batch = spec.batch_steps()
    if batch:
        made = [f"v2.{s.type}(num_classes=NUM_CLASSES, " + ", ".join(
            f"{k}={_literal(v)}" for k, v in step_type(s.type).kwargs(s.params,
                                                                     "float32").items()) + ")"
                for _, s in batch]
        expr = made[0] if len(made) == 1 else "v2.RandomChoice([" + ", ".join(made) + "])"
        lines += ["", "NUM_CLASSES = 10  # your dataset's number of classes",
                  "# on a batch (images float [B, C, H, W], labels [B]) after augs:",
                  f"batch_aug = {expr}"]
    return "\n".join(lines) + "\n"
