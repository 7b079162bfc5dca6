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


def make_toy_masks(n: int, *, size: int = 16, classes: int = 3, noise: float = 0.1,
                   seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-pixel toy set: each image holds an axis-aligned square (class 1) and, for
    ``classes >= 3``, a disc (class 2) on a dark background (class 0), with pixel noise.
    The ink levels differ per class, so a per-pixel classifier can learn them — a 1x1
    conv net reaches a high pixel accuracy, a 3x3 one better.

    Returns:
        ``X (Tensor[n, 1, size, size], float32)`` and masks ``y (Tensor[n, size, size],
        int64)`` with values in ``[0, classes)``.
    """
    if not isinstance(classes, int) or not 2 <= classes <= 3:
        raise ValueError(f"classes={classes!r} must be 2 or 3")
    g = torch.Generator().manual_seed(seed)
    coords = torch.arange(size, dtype=torch.float32)
    yy, xx = coords.view(1, -1, 1), coords.view(1, 1, -1)
    side = torch.randint(size // 4, size // 2 + 1, (n, 1, 1), generator=g).float()
    x0 = (torch.rand(n, 1, 1, generator=g) * (size - side)).floor()
    y0 = (torch.rand(n, 1, 1, generator=g) * (size - side)).floor()
    square = (xx >= x0) & (xx < x0 + side) & (yy >= y0) & (yy < y0 + side)
    mask = square.long()
    if classes >= 3:
        r = size / 8 + torch.rand(n, 1, 1, generator=g) * size / 8
        cx, cy = (torch.rand(n, 1, 1, generator=g) * size, torch.rand(n, 1, 1, generator=g)
                  * size)
        disc = (xx + 0.5 - cx) ** 2 + (yy + 0.5 - cy) ** 2 <= r ** 2
        mask = torch.where(disc, 2, mask)
    levels = torch.tensor([0.1, 0.5, 0.9])[:classes]
    X = levels[mask] + noise * torch.randn(n, size, size, generator=g)
    return X.unsqueeze(1).clamp_(0.0, 1.0).contiguous(), mask.contiguous()


def make_toy_boxes(n: int, *, size: int = 32, noise: float = 0.05, seed: int = 0
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """Box toy set: one bright rectangle per image; its box is the target.

    Returns:
        ``X (Tensor[n, 1, size, size], float32)`` and box lists ``y (Tensor[n, 1, 5])``
        of rows ``(class, x1, y1, x2, y2)`` with class 0 and corners in [0, 1] (the
        layout of the book's banana data set).
    """
    g = torch.Generator().manual_seed(seed)
    wh = 0.25 + 0.35 * torch.rand(n, 2, generator=g)
    xy = torch.rand(n, 2, generator=g) * (1 - wh)
    boxes = torch.cat([xy, xy + wh], dim=1)
    coords = (torch.arange(size, dtype=torch.float32) + 0.5) / size
    yy, xx = coords.view(1, -1, 1), coords.view(1, 1, -1)
    b = boxes.view(n, 4, 1, 1)
    inside = (xx >= b[:, 0]) & (xx < b[:, 2]) & (yy >= b[:, 1]) & (yy < b[:, 3])
    X = 0.1 + 0.8 * inside.float() + noise * torch.randn(n, size, size, generator=g)
    y = torch.cat([torch.zeros(n, 1), boxes], dim=1).unsqueeze(1)
    return X.unsqueeze(1).clamp_(0.0, 1.0).contiguous(), y.contiguous()
