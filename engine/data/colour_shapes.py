"""An offline colour image set: the procedural shapes on colours, 32×32 RGB like CIFAR-10.

For the book's augmentation experiment (d2l 14.1.4: train with and without
augmentation, compare the curves) without CIFAR-10 on disk. Each image is one of the 10
procedural glyphs (``engine.data.procedural``) in a random colour on a background of
another random colour, padded from 28 to 32 pixels, with colour noise. The class is the
shape, never the colour, so colour jitter and flips change what a network sees but not
the answer — as on CIFAR-10.
"""

from __future__ import annotations

import torch

from engine.data.procedural import make_shapes

COLOUR_SIZE = 32  # (a name of its own: a training script embeds this beside procedural.py)


def _random_colours(n: int, g: torch.Generator, *, value: tuple[float, float]
                    ) -> torch.Tensor:
    """``Tensor[n, 3]`` RGB in [0, 1]: random hue, saturation 0.4-1, value in ``value``."""
    h = torch.rand(n, generator=g) * 6
    s = torch.rand(n, generator=g) * 0.6 + 0.4
    v = torch.rand(n, generator=g) * (value[1] - value[0]) + value[0]
    k = torch.stack([(5 + h) % 6, (3 + h) % 6, (1 + h) % 6], dim=1)
    channel = torch.clamp(torch.minimum(k, 4 - k), 0, 1)
    return v[:, None] * (1 - s[:, None] * channel)


def make_colour_shapes(n: int, *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` colour shape images, balanced over the 10 classes of
    ``engine.data.procedural.SHAPE_NAMES``.

    Returns:
        ``X (Tensor[n, 3, 32, 32], uint8)`` and ``y (Tensor[n], int64)``; the same
        ``(n, seed)`` always gives the same images.
    """
    gray, y = make_shapes(n, seed=seed)
    g = torch.Generator().manual_seed(seed + 7919)
    pad = (COLOUR_SIZE - gray.shape[-1]) // 2  # 28 -> 32
    ink = torch.nn.functional.pad(gray.to(torch.float32) / 255, (pad, pad, pad, pad),
                                  mode="replicate")  # [n, 1, 32, 32], no visible frame
    fg = _random_colours(n, g, value=(0.6, 1.0))[:, :, None, None]
    bg = _random_colours(n, g, value=(0.05, 0.5))[:, :, None, None]
    img = bg * (1 - ink) + fg * ink
    img += torch.randn(n, 3, COLOUR_SIZE, COLOUR_SIZE, generator=g) * 0.03
    return img.clamp_(0, 1).mul_(255).round_().to(torch.uint8), y

