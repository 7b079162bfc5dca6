"""A synthetic scene whose mask is its own coloured regions (to watch masks follow)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: class id -> (name, RGB colour); 0 is the background.
SCENE_CLASSES = {1: ("disk", (230, 60, 50)), 2: ("square", (40, 170, 80)),
                 3: ("triangle", (50, 90, 220))}


@dataclass(frozen=True)
class Scene:
    """image (np.ndarray[H, W, 3] uint8), mask (np.ndarray[H, W] uint8: class ids),
    boxes (np.ndarray[3, 4] float: xyxy of each shape), labels (class names)."""

    image: np.ndarray
    mask: np.ndarray
    boxes: np.ndarray
    labels: tuple[str, ...]


def synthetic_scene(size: int = 256) -> Scene:
    """A grey-gradient square with a red disk, a green square and a blue triangle.

    Every pixel of class ``k`` in ``mask`` has exactly the colour ``SCENE_CLASSES[k]`` in
    ``image`` (no anti-aliasing), so after any geometric step image and mask must still
    agree — a check a test and a learner can both make.
    """
    if not 16 <= size <= 4096:
        raise ValueError(f"size={size}: use 16 to 4096 pixels")
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    grey = (90 + 80 * xx + 40 * yy).astype(np.uint8)
    image = np.stack([grey, grey, grey + 20], axis=-1).astype(np.uint8)
    mask = np.zeros((size, size), np.uint8)
    mask[(xx - 0.3) ** 2 + (yy - 0.32) ** 2 < 0.18 ** 2] = 1
    mask[(np.abs(xx - 0.72) < 0.15) & (np.abs(yy - 0.3) < 0.15)] = 2
    tri = (yy < 0.9) & (yy - 0.5 > 2 * np.abs(xx - 0.5) - 0.1 + 0.0) & (yy > 0.5)
    mask[tri & (mask == 0)] = 3
    boxes, labels = [], []
    for k, (name, colour) in SCENE_CLASSES.items():
        image[mask == k] = colour
        ys, xs = np.nonzero(mask == k)
        boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
        labels.append(name)
    return Scene(image, mask, np.asarray(boxes, np.float32), tuple(labels))
