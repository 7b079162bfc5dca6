"""The offline default image set: 10 classes of 28x28 grayscale shapes.

Shaped like Fashion-MNIST (``1x28x28``, 10 classes, 60k/10k) so every LeNet-style
preset runs on it unchanged, but generated in memory from a seed — no files, no network.
Each image is one glyph drawn from a distance field with a random pose (rotation,
anisotropic scale, shift), stroke width and ink level, on a random background, with a
stray "clutter" stroke on some images and pixel noise on all. The clutter and
bars-vs-rings-vs-ellipses overlap keep a LeNet well below 100% after one epoch.

Everything is vectorised over the batch (one distance-field evaluation per class per
chunk); 10k images take a fraction of a second on one CPU core.
"""

from __future__ import annotations

import math

import torch

SHAPE_NAMES = ("ring", "disk", "square", "triangle", "plus", "equals", "bar", "corner",
               "ellipse", "chevron")
IMAGE_SIZE = 28
_CHUNK = 8192
# Ranges of the random pose / style; tuned so the book's sigmoid LeNet (lr 0.9) leaves
# its initial plateau within an epoch or two, as on Fashion-MNIST, yet stays < 100%.
STYLE = {
    "rotation": 0.5, "scale": (0.75, 1.0), "aspect": (0.8, 1.2), "shift": 0.12,
    "half_width": (0.12, 0.24), "background": (0.0, 0.1), "ink": (0.55, 1.0),
    "noise": (0.02, 0.12), "clutter_p": 0.35,
}


def _seg(px: torch.Tensor, py: torch.Tensor, a: tuple[float, float], b: tuple[float, float]
         ) -> torch.Tensor:
    """Distance from points ``(px, py)`` (any shape) to the segment ``a-b``."""
    bax, bay = b[0] - a[0], b[1] - a[1]
    pax, pay = px - a[0], py - a[1]
    h = ((pax * bax + pay * bay) / (bax * bax + bay * bay)).clamp_(0.0, 1.0)
    return torch.hypot(pax - bax * h, pay - bay * h)


def _ellipse_sdf(px: torch.Tensor, py: torch.Tensor, a: float, b: float) -> torch.Tensor:
    # Quilez's cheap ellipse distance bound: good to a fraction of a pixel at this size.
    k0 = torch.hypot(px / a, py / b)
    k1 = torch.hypot(px / (a * a), py / (b * b)).clamp_min(1e-6)
    return k0 * (k0 - 1.0) / k1


def _ink_distance(label: int, px: torch.Tensor, py: torch.Tensor, half_width: torch.Tensor
                  ) -> torch.Tensor:
    """Signed distance to the ink of class ``label`` (<= 0 on ink), local units."""
    if label == 0:  # ring
        return (torch.hypot(px, py) - 0.75).abs() - half_width
    if label == 1:  # disk (filled)
        return torch.hypot(px, py) - 0.6
    if label == 2:  # square outline
        return (torch.maximum(px.abs(), py.abs()) - 0.65).abs() - half_width
    if label == 3:  # filled triangle, pointing up
        c = math.cos(math.pi / 6)
        edges = torch.stack([-py, c * px + 0.5 * py, -c * px + 0.5 * py])
        return edges.amax(0) - 0.42
    if label == 4:  # plus
        d = torch.minimum(_seg(px, py, (-0.75, 0.0), (0.75, 0.0)),
                          _seg(px, py, (0.0, -0.75), (0.0, 0.75)))
    elif label == 5:  # equals
        d = torch.minimum(_seg(px, py, (-0.7, 0.3), (0.7, 0.3)),
                          _seg(px, py, (-0.7, -0.3), (0.7, -0.3)))
    elif label == 6:  # bar
        d = _seg(px, py, (0.0, -0.85), (0.0, 0.85))
    elif label == 7:  # corner (an L)
        d = torch.minimum(_seg(px, py, (-0.45, 0.8), (-0.45, -0.6)),
                          _seg(px, py, (-0.45, -0.6), (0.6, -0.6)))
    elif label == 8:  # ellipse outline
        return _ellipse_sdf(px, py, 0.85, 0.45).abs() - half_width
    else:  # chevron (a caret)
        d = torch.minimum(_seg(px, py, (-0.7, -0.5), (0.0, 0.6)),
                          _seg(px, py, (0.0, 0.6), (0.7, -0.5)))
    return d - half_width


def _render_chunk(labels: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Render ``labels (Tensor[n])`` to ``Tensor[n, 28, 28]`` float in [0, 1]."""
    n = len(labels)

    def u(lo: float, hi: float, *shape: int) -> torch.Tensor:
        return torch.rand(n, *shape, generator=g) * (hi - lo) + lo

    coords = (torch.arange(IMAGE_SIZE) + 0.5) / IMAGE_SIZE * 2 - 1
    gy, gx = coords.view(1, -1, 1), coords.view(1, 1, -1)  # y grows downwards, like images
    st = STYLE
    theta, scale = u(-st["rotation"], st["rotation"], 1, 1), u(*st["scale"], 1, 1)
    aspect = u(*st["aspect"], 1, 1)
    tx, ty = u(-st["shift"], st["shift"], 1, 1), u(-st["shift"], st["shift"], 1, 1)
    qx, qy = gx - tx, -(gy - ty)
    cos, sin = torch.cos(theta), torch.sin(theta)
    px = (cos * qx + sin * qy) / (scale * aspect)
    py = (-sin * qx + cos * qy) * aspect / scale
    pixel = (2.0 / IMAGE_SIZE) / scale  # one pixel in local units, for anti-aliasing
    half_width = u(*st["half_width"], 1, 1) / scale

    ink = torch.empty(n, IMAGE_SIZE, IMAGE_SIZE)
    for label in range(len(SHAPE_NAMES)):
        m = labels == label
        if m.any():
            d = _ink_distance(label, px[m], py[m], half_width[m])
            ink[m] = (0.5 - d / pixel[m]).clamp_(0.0, 1.0)

    # A stray stroke on ~40% of images, in image coordinates.
    ax, ay = u(-1, 1, 1, 1), u(-1, 1, 1, 1)
    ang, length = u(0, 2 * math.pi, 1, 1), u(0.3, 0.8, 1, 1)
    bx, by = ax + length * torch.cos(ang), ay + length * torch.sin(ang)
    pax, pay, bax, bay = gx - ax, gy - ay, bx - ax, by - ay
    h = ((pax * bax + pay * bay) / (bax * bax + bay * bay)).clamp_(0.0, 1.0)
    d = torch.hypot(pax - bax * h, pay - bay * h)
    clutter = (1.0 - d / (2.0 / IMAGE_SIZE)).clamp_(0.0, 1.0)
    clutter *= (torch.rand(n, 1, 1, generator=g) < st["clutter_p"]) * u(0.3, 0.8, 1, 1)

    img = u(*st["background"], 1, 1) + ink * u(*st["ink"], 1, 1)
    img = torch.maximum(img, clutter)
    img += torch.randn(n, IMAGE_SIZE, IMAGE_SIZE, generator=g) * u(*st["noise"], 1, 1)
    return img.clamp_(0.0, 1.0)


def make_shapes(n: int, *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Generate ``n`` procedural shape images, balanced over the 10 classes.

    Args:
        n: number of images.
        seed: the same ``(n, seed)`` always gives the same images and labels.

    Returns:
        ``X (Tensor[n, 1, 28, 28], uint8)`` (0 = black) and ``y (Tensor[n], int64)`` with
        each label appearing ``n // 10`` or ``n // 10 + 1`` times, in shuffled order.
    """
    g = torch.Generator().manual_seed(seed)
    y = (torch.arange(n) % len(SHAPE_NAMES))[torch.randperm(n, generator=g)]
    X = torch.empty(n, 1, IMAGE_SIZE, IMAGE_SIZE, dtype=torch.uint8)
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        img = _render_chunk(y[start:stop], g)
        X[start:stop, 0] = img.mul_(255.0).round_().to(torch.uint8)
    return X, y
