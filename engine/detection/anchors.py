"""Anchor boxes centred on every pixel (d2l 14.4.1) and on a feature-map grid (14.5).

Anchor ``k`` of a pixel uses, in this order, (s_1, r_1), (s_2, r_1), ..., (s_n, r_1),
(s_1, r_2), ..., (s_1, r_m): n + m - 1 anchors per pixel, as in the book. Widths
are scaled by h / w of the H × W given, so that r = 1 anchors are square in its
pixels: s·h·√r by s·h/√r. Anchors of a feature map drawn on an image of another shape
(the book's ``display_anchors``) are stretched by the two shapes' ratio.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from engine.detection._validate import check_positive_list, check_size


def _half_sizes(height: int, width: int, sizes: list[float], ratios: list[float],
                device: torch.device | str | None = None) -> Tensor:
    """Per-pixel corner deltas (-w/2, -h/2, w/2, h/2), Tensor[n+m-1, 4] float32.

    Same float32 operations as the book, so anchors are bit-identical to its code.
    """
    size_tensor = torch.tensor(sizes, dtype=torch.float32, device=device)
    ratio_tensor = torch.tensor(ratios, dtype=torch.float32, device=device)
    w = torch.cat((size_tensor * torch.sqrt(ratio_tensor[0]),
                   sizes[0] * torch.sqrt(ratio_tensor[1:]))) * height / width
    h = torch.cat((size_tensor / torch.sqrt(ratio_tensor[0]),
                   sizes[0] / torch.sqrt(ratio_tensor[1:])))
    return torch.stack((-w, -h, w, h)).T / 2


def _centers(n: int, device: torch.device | str | None = None) -> Tensor:
    """Normalised pixel centres (i + 0.5) / n, Tensor[n] float32 (book's arithmetic)."""
    return (torch.arange(n, device=device) + 0.5) * (1.0 / n)


def anchor_labels(sizes: Sequence[float], ratios: Sequence[float]) -> list[str]:
    """Labels "s=0.75, r=1" for the n + m - 1 anchors of one pixel, in anchor order."""
    sizes = check_positive_list(sizes, "sizes")
    ratios = check_positive_list(ratios, "ratios")
    pairs = [(s, ratios[0]) for s in sizes] + [(sizes[0], r) for r in ratios[1:]]
    return [f"s={s:g}, r={r:g}" for s, r in pairs]


def anchor_count(height: int, width: int, sizes: Sequence[float],
                 ratios: Sequence[float]) -> int:
    """Total anchors ``multibox_prior`` makes: height * width * (n + m - 1)."""
    height, width = check_size(height, "height"), check_size(width, "width")
    n = len(check_positive_list(sizes, "sizes"))
    m = len(check_positive_list(ratios, "ratios"))
    return height * width * (n + m - 1)


def multibox_prior(data: Tensor, sizes: Sequence[float], ratios: Sequence[float]) -> Tensor:
    """Generate anchors centred on every pixel of ``data`` (the book's ``multibox_prior``).

    Args:
        data (Tensor[..., H, W]): only its last two sizes and its device are used.
        sizes (list[float]): scales s_1..s_n, fraction of the image side, > 0.
        ratios (list[float]): aspect ratios r_1..r_m (width / height), > 0.

    Returns:
        Tensor[1, H * W * (n + m - 1), 4]: float32 (x1, y1, x2, y2) normalised to the
        image (may extend outside [0, 1]); ``reshape(H, W, n + m - 1, 4)[y, x]`` are the
        anchors of pixel (x, y).
    """
    if not isinstance(data, Tensor) or data.dim() < 2:
        raise ValueError("data must be a tensor of shape (..., H, W), e.g. an image batch "
                         f"(1, 3, H, W); got {getattr(data, 'shape', type(data).__name__)}.")
    height = check_size(data.shape[-2], "data height")
    width = check_size(data.shape[-1], "data width")
    sizes = check_positive_list(sizes, "sizes")
    ratios = check_positive_list(ratios, "ratios")
    device = data.device
    deltas = _half_sizes(height, width, sizes, ratios, device)
    k = deltas.shape[0]
    cy, cx = _centers(height, device), _centers(width, device)
    # x depends only on the column and y only on the row, so one image row of the
    # output, viewed flat (W * k * 4 floats), is a fixed template (finished x values,
    # y deltas) plus the row's y centre at the y places: template + cy * mask, where
    # mask is 1 at y and 0 at x. One addcmul over (H, W * k * 4) writes the result
    # as long contiguous rows. cy * 1 and cy * 0 are exact (fused or not), so each
    # value is the book's single float32 addition, centre + delta: bit-identical.
    row = deltas.expand(width, k, 4).clone()
    row[..., 0::2] += cx[:, None, None]
    mask = torch.tensor([0.0, 1.0, 0.0, 1.0], device=device).expand(width, k, 4)
    out = torch.empty((height, width * k * 4), dtype=torch.float32, device=device)
    torch.addcmul(row.reshape(1, -1), cy[:, None], mask.reshape(1, -1), out=out)
    return out.reshape(1, -1, 4)


def anchors_at_pixel(height: int, width: int, x: int, y: int, sizes: Sequence[float],
                     ratios: Sequence[float]) -> tuple[Tensor, list[str]]:
    """The anchors centred on one pixel, without building the whole image's anchors.

    Equals ``multibox_prior(img, sizes, ratios).reshape(height, width, -1, 4)[y, x]``.

    Args:
        height: image height in pixels.
        width: image width in pixels.
        x: pixel column, 0 <= x < width.
        y: pixel row, 0 <= y < height.
        sizes (list[float]): scales s_1..s_n.
        ratios (list[float]): aspect ratios r_1..r_m.

    Returns:
        (Tensor[n + m - 1, 4], list[str]): normalised (x1, y1, x2, y2) float32 anchors
        (multiply by (width, height, width, height) for pixels) and their labels
        "s=..., r=...".
    """
    height, width = check_size(height, "height"), check_size(width, "width")
    for name, value, limit in (("x", x, width), ("y", y, height)):
        if isinstance(value, bool) or int(value) != value or not 0 <= value < limit:
            raise ValueError(f"{name} must be an integer pixel index in [0, {limit - 1}]; "
                             f"got {value!r}.")
    sizes = check_positive_list(sizes, "sizes")
    ratios = check_positive_list(ratios, "ratios")
    deltas = _half_sizes(height, width, sizes, ratios)
    cx = (torch.tensor([int(x)]) + 0.5) * (1.0 / width)
    cy = (torch.tensor([int(y)]) + 0.5) * (1.0 / height)
    center = torch.stack((cx, cy, cx, cy), dim=1)
    return center + deltas, anchor_labels(sizes, ratios)


def multiscale_anchors(fmap_w: int, fmap_h: int, sizes: Sequence[float],
                       ratios: Sequence[float] = (1.0, 2.0, 0.5)) -> Tensor:
    """Anchors centred on a coarse feature-map grid (the book's ``display_anchors``).

    Args:
        fmap_w: feature-map width (grid columns), >= 1.
        fmap_h: feature-map height (grid rows), >= 1.
        sizes (list[float]): scales, e.g. [0.15].
        ratios (list[float]): aspect ratios, default the book's [1, 2, 0.5].

    Returns:
        Tensor[fmap_h * fmap_w * (n + m - 1), 4]: normalised (x1, y1, x2, y2); multiply
        by (img_w, img_h, img_w, img_h) to draw on an image.
    """
    fmap_w, fmap_h = check_size(fmap_w, "fmap_w"), check_size(fmap_h, "fmap_h")
    return multibox_prior(torch.zeros((fmap_h, fmap_w)), sizes, ratios)[0]
