"""Where the Augment tab's image comes from: bundled samples (the cat with its boxes), any
file (with ``NAME.boxes.json`` beside it when there is one) or the synthetic masked scene."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.augment import synthetic_scene
from engine.images import image_file_size, list_sample_images, load_boxes_json, load_image

SYNTHETIC = "synthetic shapes (mask + boxes)"


@dataclass(frozen=True)
class Source:
    """image (uint8 HWC), boxes (K, 4) xyxy or None, their labels, mask or None, a name,
    and one line saying what came with it (and any notice from loading)."""

    image: np.ndarray
    boxes: np.ndarray | None
    labels: tuple[str, ...]
    mask: np.ndarray | None
    name: str
    info: str
    notice: str = ""


def source_names() -> list[str]:
    """The bundled sample images' names, then the synthetic scene."""
    return [p.name for p in list_sample_images()] + [SYNTHETIC]


def load_source(path_or_name: str) -> Source:
    """A bundled sample by name, the synthetic scene, or any image file.

    Raises:
        ValueError: a file that is not a readable image (the message says why).
    """
    if path_or_name == SYNTHETIC:
        scene = synthetic_scene(256)
        return Source(scene.image, scene.boxes, scene.labels, scene.mask, SYNTHETIC,
                      "256×256 — 3 boxes and a mask whose classes are the shapes' colours")
    path = Path(path_or_name)
    if not path.is_absolute() and not path.exists():
        samples = {p.name: p for p in list_sample_images()}
        path = samples.get(path_or_name, path)
    loaded = load_image(path)
    boxes, labels, note = _boxes_for(path, loaded.width)
    h, w = loaded.array.shape[:2]
    return Source(loaded.array, boxes, labels, None, path.name, f"{w}×{h} — {note}",
                  loaded.notice)


def _boxes_for(path: Path, shown_width: int) -> tuple[np.ndarray | None, tuple[str, ...], str]:
    json_path = path.with_name(path.stem + ".boxes.json")
    if not json_path.exists():
        return None, (), f"no boxes (put a {path.stem}.boxes.json beside it to see boxes)"
    try:
        gt = load_boxes_json(json_path)
    except ValueError as exc:
        return None, (), f"boxes file unreadable: {exc}"
    original = image_file_size(path)[0]
    scale = shown_width / original if original else 1.0  # the loader may have downscaled
    return gt.boxes * scale, tuple(gt.labels), f"{len(gt.labels)} boxes from {json_path.name}"
