"""Random training transforms by name, drawn per example, following boxes and masks.

A config lists them as plain data, e.g. ``[{"name": "hflip", "p": 0.5}, {"name":
"rotate", "degrees": 10}]``; ``make_augment`` turns that into an ``Augment`` that the
in-memory datasets apply to each example of a batch on its own (a batch of 256 gets 256
independent draws, not one), with torchvision ``transforms.v2`` on ``tv_tensors`` so a
mask (``tv_tensors.Mask``) or a box list (``tv_tensors.BoundingBoxes``) moves with its
image. The draws come from a generator seeded by the run's seed, so a rerun with the
same seed sees the same augmented batches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from engine.rng import seeded

# name -> (factory(**options) -> v2 transform, option defaults, description)
TRANSFORMS: dict[str, tuple[Callable[..., Any], dict[str, Any], str]] = {}


def _register() -> None:
    from torchvision.transforms import v2

    TRANSFORMS.update({
        "hflip": (lambda p: v2.RandomHorizontalFlip(p), {"p": 0.5},
                  "mirror left-right with probability p"),
        "vflip": (lambda p: v2.RandomVerticalFlip(p), {"p": 0.5},
                  "mirror top-bottom with probability p"),
        "rotate": (lambda degrees: v2.RandomRotation(degrees), {"degrees": 10.0},
                   "rotate by a uniform angle in [-degrees, degrees]"),
        "crop": (lambda padding, size: v2.RandomCrop(size, padding=padding), {"padding": 2,
                 "size": None}, "pad by padding pixels, crop back to size at a random place"),
        "brightness": (lambda amount: v2.ColorJitter(brightness=amount), {"amount": 0.2},
                       "scale brightness by a factor in [1 - amount, 1 + amount]"),
        "pipeline": (_pipeline, {"spec": None},
                     "an augmentation pipeline (engine.augment: the Augment tab's "
                     "PipelineSpec.to_dict()), any torchvision v2 steps"),
    })


def _pipeline(spec: Any) -> Any:
    if spec is None:
        raise ValueError("needs 'spec': an augmentation pipeline (engine.augment "
                         "PipelineSpec.to_dict())")
    from engine.augment.training import pipeline_transform

    return pipeline_transform(spec)


def transform_names() -> tuple[str, ...]:
    if not TRANSFORMS:
        _register()
    return tuple(TRANSFORMS)


class Augment:
    """Per-example random transforms over whole batches.

    Args:
        transform: a ``transforms.v2`` transform of ``(image, target)``.
        target: ``"label"`` (class indices / float targets pass through), ``"mask"``
            (``y (Tensor[B, H, W])`` transformed with the image) or ``"boxes"``
            (``y (Tensor[B, G, 5])`` rows ``(class, x1, y1, x2, y2)`` in [0, 1]).
        seed: seeds the draws (``reseed`` restarts them).
    """

    def __init__(self, transform: Any, *, target: str = "label", seed: int = 0) -> None:
        self.transform, self.target = transform, target
        self.generator = torch.Generator().manual_seed(seed)

    def reseed(self, seed: int) -> None:
        self.generator.manual_seed(seed)

    def __call__(self, X: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """``X (Tensor[B, C, H, W])`` and its targets, each example drawn on its own."""
        from torchvision import tv_tensors

        seed = int(torch.randint(0, 2**62, (1,), generator=self.generator))
        xs, ys = [], []
        # v2 draws from torch's global generator: seeded under engine.rng's lock, so a
        # preview on another thread (the Augment tab) never mixes its draws with these.
        with seeded(seed):
            for i in range(X.shape[0]):
                image = tv_tensors.Image(X[i])
                if self.target == "mask":
                    out_x, out_y = self.transform(image, tv_tensors.Mask(y[i]))
                elif self.target == "boxes":
                    out_x, out_y = self._boxes(image, y[i])
                else:
                    out_x, out_y = self.transform(image), y[i]
                xs.append(out_x.as_subclass(Tensor))
                ys.append(out_y.as_subclass(Tensor))
        return torch.stack(xs), torch.stack(ys)

    def _boxes(self, image: Any, rows: Tensor) -> tuple[Any, Tensor]:
        from torchvision import tv_tensors

        h, w = image.shape[-2:]
        scale = torch.tensor([w, h, w, h], dtype=rows.dtype)
        boxes = tv_tensors.BoundingBoxes(rows[:, 1:] * scale, format="XYXY", canvas_size=(h, w))
        out_x, out_b = self.transform(image, boxes)
        nh, nw = out_x.shape[-2:]
        corners = out_b.as_subclass(Tensor) / torch.tensor([nw, nh, nw, nh], dtype=rows.dtype)
        return out_x, torch.cat([rows[:, :1], corners], dim=1)


def make_augment(specs: Sequence[Mapping[str, Any]], *, image_size: tuple[int, int] | None,
                 target: str = "label", seed: int = 0) -> Augment | None:
    """An ``Augment`` for ``specs`` (None when empty).

    Raises:
        ValueError: naming ``transforms[i]`` for an unknown name or option.
    """
    if not specs:
        return None
    from torchvision.transforms import v2

    names = transform_names()
    steps = []
    for i, spec in enumerate(specs):
        name = spec.get("name")
        if name not in TRANSFORMS:
            raise ValueError(f"transforms[{i}].name={name!r} is not a transform; choose one "
                             f"of {', '.join(names)}")
        factory, defaults, _ = TRANSFORMS[name]
        options = {k: v for k, v in spec.items() if k != "name"}
        unknown = sorted(set(options) - set(defaults))
        if unknown:
            raise ValueError(f"transforms[{i}] ({name}): unknown option {unknown[0]!r}; it "
                             f"takes {', '.join(defaults) or 'none'}")
        options = {**defaults, **options}
        if name == "crop" and options["size"] is None:
            options["size"] = list(image_size) if image_size else None
        try:
            steps.append(factory(**options))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"transforms[{i}] ({name}): {exc}") from exc
    return Augment(v2.Compose(steps), target=target, seed=seed)
