"""numpy images for the Inside views: channel mosaics, colour maps, heat overlays.

Plain numpy, cheap enough to run on a worker thread next to the engine call that made
the numbers (a ResNet-18's 20 layers take a few tens of milliseconds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

GAP = 1  # pixels between tiles


def _lut() -> np.ndarray:
    """A 256-entry perceptual colour map (viridis anchors, linearly interpolated)."""
    anchors = np.array([[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142],
                        [38, 130, 142], [31, 158, 137], [53, 183, 121], [109, 205, 89],
                        [180, 222, 44], [253, 231, 37]], dtype=np.float64)
    t = np.linspace(0, len(anchors) - 1, 256)
    i = np.minimum(t.astype(int), len(anchors) - 2)
    f = (t - i)[:, None]
    return (anchors[i] * (1 - f) + anchors[i + 1] * f).round().astype(np.uint8)


VIRIDIS = _lut()


def colorize(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Map floats to RGB uint8 through ``VIRIDIS`` over [lo, hi] (NaN: grey)."""
    span = hi - lo if hi > lo else 1.0
    idx = np.clip((np.nan_to_num(values, nan=lo) - lo) / span * 255, 0, 255).astype(np.uint8)
    out = VIRIDIS[idx]
    out[np.isnan(values)] = 128
    return out


@dataclass(frozen=True, eq=False)
class Mosaic:
    """One layer's channels tiled in a grid.

    Attributes:
        image (np.ndarray[H, W, 3] uint8): the tiles, ``GAP`` px apart on white.
        cols, rows: the grid; tile_h, tile_w: one channel's size (after upscaling).
        channels: how many tiles.
        lo, hi: the shared range (or the range over all maps when per-map).
    """

    image: np.ndarray
    cols: int
    rows: int
    tile_h: int
    tile_w: int
    channels: int
    lo: float
    hi: float

    def channel_at(self, x: float, y: float) -> int | None:
        """The channel under image pixel (x, y), or None for a gap / outside."""
        col, row = int(x // (self.tile_w + GAP)), int(y // (self.tile_h + GAP))
        if not (0 <= col < self.cols and 0 <= row < self.rows):
            return None
        if x - col * (self.tile_w + GAP) >= self.tile_w or y - row * (
                self.tile_h + GAP) >= self.tile_h:
            return None
        index = row * self.cols + col
        return index if index < self.channels else None


def as_channels(activation: np.ndarray) -> np.ndarray:
    """An activation as ``(C, H, W)``: a vector becomes one row of 1 pixel high."""
    a = np.asarray(activation, dtype=np.float32)
    if a.ndim == 3:
        return a
    if a.ndim == 2:
        return a[None]
    if a.ndim == 1:
        return a[None, None, :]
    return a.reshape(a.shape[0], a.shape[1], -1)


def mosaic(activation: np.ndarray, *, shared: bool = True, max_channels: int = 256,
           min_tile: int = 24) -> Mosaic:
    """Tile ``activation (C, H, W)`` in a near-square grid, each tile upscaled (nearest)
    to at least ``min_tile`` px; one colour range for all (``shared``) or per tile."""
    a = as_channels(activation)[:max_channels]
    c, h, w = a.shape
    scale = max(1, math.ceil(min_tile / max(h, w)))
    th, tw = h * scale, w * scale
    cols = max(1, math.ceil(math.sqrt(c * th / max(tw, 1))))
    rows = math.ceil(c / cols)
    out = np.full((rows * (th + GAP) - GAP, cols * (tw + GAP) - GAP, 3), 255, np.uint8)
    lo, hi = float(np.nanmin(a)), float(np.nanmax(a))
    for i in range(c):
        tile = a[i]
        t_lo, t_hi = (lo, hi) if shared else (float(tile.min()), float(tile.max()))
        rgb = colorize(tile, t_lo, t_hi)
        if scale > 1:
            rgb = rgb.repeat(scale, 0).repeat(scale, 1)
        r, col = divmod(i, cols)
        y, x = r * (th + GAP), col * (tw + GAP)
        out[y:y + th, x:x + tw] = rgb
    return Mosaic(out, cols, rows, th, tw, c, lo, hi)


def enlarge(channel: np.ndarray, *, lo: float | None = None, hi: float | None = None,
            size: int = 256) -> np.ndarray:
    """One channel as an RGB image about ``size`` px on its long side."""
    a = as_channels(channel)[0] if channel.ndim != 2 else channel
    lo = float(a.min()) if lo is None else lo
    hi = float(a.max()) if hi is None else hi
    scale = max(1, size // max(a.shape))
    return colorize(a, lo, hi).repeat(scale, 0).repeat(scale, 1)


def input_image(x: np.ndarray, mean: tuple[float, ...] | None = None,
                std: tuple[float, ...] | None = None) -> np.ndarray:
    """A network input ``(C, H, W)`` float as RGB uint8 (normalisation undone)."""
    a = np.asarray(x, dtype=np.float32)
    if mean is not None and std is not None:
        a = a * np.asarray(std, np.float32)[:, None, None] + np.asarray(mean, np.float32)[
            :, None, None]
    a = np.clip(a, 0, 1)
    if a.shape[0] == 1:
        a = np.repeat(a, 3, 0)
    return (a[:3].transpose(1, 2, 0) * 255).round().astype(np.uint8)


def overlay(image: np.ndarray, heat: np.ndarray, *, alpha: float = 0.55) -> np.ndarray:
    """``heat (H, W)`` (>= 0) in the colour map over ``image (H, W, 3)`` uint8; the
    heat is scaled to its maximum and weighs the blend, so cold pixels show the image."""
    h = np.asarray(heat, dtype=np.float32)
    top = float(h.max()) if h.size else 0.0
    h = h / top if top > 0 else np.zeros_like(h)
    colour = colorize(h, 0.0, 1.0).astype(np.float32)
    weight = (alpha * h)[..., None]
    out = image.astype(np.float32) * (1 - weight) + colour * weight
    return out.round().clip(0, 255).astype(np.uint8)
