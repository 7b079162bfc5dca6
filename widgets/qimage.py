"""numpy <-> QImage, in one place (honouring bytesPerLine)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def array_to_qimage(array: np.ndarray) -> QImage:
    """(H, W) gray or (H, W, 3) RGB or (H, W, 4) RGBA uint8 -> an owning QImage."""
    a = np.ascontiguousarray(array)
    if a.dtype != np.uint8:
        raise ValueError(f"array_to_qimage expects uint8, got {a.dtype}")
    if a.ndim == 2:
        h, w = a.shape
        img = QImage(a.data, w, h, a.strides[0], QImage.Format.Format_Grayscale8)
    elif a.ndim == 3 and a.shape[2] == 3:
        h, w, _ = a.shape
        img = QImage(a.data, w, h, a.strides[0], QImage.Format.Format_RGB888)
    elif a.ndim == 3 and a.shape[2] == 4:
        h, w, _ = a.shape
        img = QImage(a.data, w, h, a.strides[0], QImage.Format.Format_RGBA8888)
    else:
        raise ValueError(f"array_to_qimage: unsupported shape {a.shape}")
    return img.copy()  # detach from the numpy buffer


def qimage_to_array(image: QImage) -> np.ndarray:
    """QImage -> (H, W, 4) RGBA uint8 (rows copied, padding dropped)."""
    img = image.convertToFormat(QImage.Format.Format_RGBA8888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=bpl * h).reshape(h, bpl)
    return buf[:, : w * 4].reshape(h, w, 4).copy()
