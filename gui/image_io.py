"""The GUI's image loader: engine.images behind the canvas's loader interface."""

from __future__ import annotations

import numpy as np

from engine.images import IMAGE_SUFFIXES, load_image


def load_for_canvas(path: str) -> tuple[np.ndarray, str]:
    """Loader for ``ImageCanvas``: (RGB uint8 array, notice). ValueError on bad files."""
    image = load_image(path)
    return image.array, image.notice


def image_file_filter() -> str:
    patterns = " ".join(f"*{s}" for s in IMAGE_SUFFIXES)
    return f"Images ({patterns});;All files (*)"
