"""Small in-memory datasets: the book's linear-regression data and 2-D toy sets.

The 2-D sets follow TensorFlow Playground (spiral, circles, XOR, gaussian blobs); points
lie roughly in ``[-1, 1]^2`` and ``noise`` is a standard deviation in those units.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

TRUE_W = (2.0, -3.4)
TRUE_B = 4.2


def synthetic_data(w: torch.Tensor, b: float, num_examples: int, *, noise: float = 0.01,
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The book's ``synthetic_data``: ``y = Xw + b + noise``.

    Args:
        w: ``Tensor[d]`` true weights.
        b: true bias.
        num_examples: N.
        noise: standard deviation of the additive gaussian noise.
        generator: random source (seeded by the caller for determinism).

    Returns:
        ``X (Tensor[N, d])`` standard normal features and ``y (Tensor[N, 1])`` targets.
    """
    X = torch.normal(0.0, 1.0, (num_examples, len(w)), generator=generator)
    y = X @ w + b
    y += torch.normal(0.0, noise, y.shape, generator=generator)
    return X, y.reshape(-1, 1)


def _spiral(n: int, noise: float, g: torch.Generator, classes: int) -> tuple[torch.Tensor, ...]:
    y = torch.arange(n) % classes
    t = torch.rand(n, generator=g)  # position along the arm, 0 at the centre
    r = t
    angle = 1.75 * 2 * math.pi * t + 2 * math.pi * y / classes
    X = torch.stack([r * torch.sin(angle), r * torch.cos(angle)], dim=1)
    return X + noise * torch.randn(n, 2, generator=g), y


def _circles(n: int, noise: float, g: torch.Generator, classes: int) -> tuple[torch.Tensor, ...]:
    y = torch.arange(n) % 2
    # inner disc r in [0, 0.5], outer ring r in [0.7, 1.0], as in TF Playground
    inner, outer = 0.5 * torch.rand(n, generator=g), 0.7 + 0.3 * torch.rand(n, generator=g)
    r = torch.where(y == 0, inner, outer)
    angle = 2 * math.pi * torch.rand(n, generator=g)
    X = torch.stack([r * torch.sin(angle), r * torch.cos(angle)], dim=1)
    return X + noise * torch.randn(n, 2, generator=g), y


def _xor(n: int, noise: float, g: torch.Generator, classes: int) -> tuple[torch.Tensor, ...]:
    y = torch.arange(n) % 2
    # |coordinates| in [0.06, 1] keeps points off the axes so the label is unambiguous;
    # the sign of y is tied to the label so the classes are balanced.
    mag = torch.rand(n, 2, generator=g) * 0.94 + 0.06
    sx = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
    sy = torch.where(y == 0, sx, -sx)
    X = mag * torch.stack([sx, sy], dim=1)
    return X + noise * torch.randn(n, 2, generator=g), y


def _blobs(n: int, noise: float, g: torch.Generator, classes: int) -> tuple[torch.Tensor, ...]:
    y = torch.arange(n) % classes
    angle = 2 * math.pi * torch.arange(classes) / classes + math.pi / 4
    centers = 0.6 * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    X = centers[y] + noise * torch.randn(n, 2, generator=g)
    return X, y


TOY_MAKERS: dict[str, Callable[..., tuple[torch.Tensor, ...]]] = {
    "spiral": _spiral,
    "circles": _circles,
    "xor": _xor,
    "blobs": _blobs,
}


def make_toy(name: str, n: int, *, noise: float, classes: int, seed: int
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """Generate ``n`` points of a 2-D toy set.

    Returns:
        ``X (Tensor[n, 2], float32)`` and ``y (Tensor[n], int64)``; classes are balanced
        (label ``i % classes`` before shuffling).
    """
    if not isinstance(noise, (int, float)) or noise < 0:
        raise ValueError(f"noise={noise!r} must be a number >= 0, e.g. 0.1")
    if not isinstance(classes, int) or classes < 2:
        raise ValueError(f"classes={classes!r} must be an integer >= 2")
    g = torch.Generator().manual_seed(seed)
    X, y = TOY_MAKERS[name](n, float(noise), g, classes)
    perm = torch.randperm(n, generator=g)
    return X[perm].float().contiguous(), y[perm].long().contiguous()
