"""A label map drawn over an ``ImageCanvas`` through a colour table, with an opacity,
and hover → (class, confidence) without per-pixel Python loops: the labels are a
second pyqtgraph ``ImageItem`` (its lookup table does the colouring on the GPU/raster
side) and a hover reads one element of the arrays.

It imports no torch and could live in ``widgets/`` (where the issue puts canvas mask
layers); it sits here until the canvas owner takes it over.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, Signal

from widgets.image_canvas import ImageCanvas


def colour_table(colors: Sequence[Sequence[int]]) -> np.ndarray:
    """``(256, 4) uint8`` RGBA lookup: entry ``c`` is class ``c``'s colour, the rest
    (e.g. 255 = void border) transparent."""
    lut = np.zeros((256, 4), np.uint8)
    for c, rgb in enumerate(colors[:255]):
        lut[c, :3] = rgb
        lut[c, 3] = 255
    return lut


class MaskLayer(QObject):
    """Labels (``np.ndarray[H, W]``) drawn over ``canvas`` and read back on hover.

    Signals:
        hovered(x, y, label, confidence): image pixel under the mouse, its label
            (-1 outside the map) and confidence (nan when there is none).
    """

    hovered = Signal(int, int, int, float)

    def __init__(self, canvas: ImageCanvas, *, z: float = 5.0) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.item = pg.ImageItem(axisOrder="row-major")
        self.item.setZValue(z)  # above the image (0), under box layers (10+)
        canvas.viewbox.addItem(self.item)
        self.labels: np.ndarray | None = None
        self.confidence: np.ndarray | None = None
        self.lut = colour_table([])
        canvas.view.scene().sigMouseMoved.connect(self._on_scene_mouse_moved)

    def set_colors(self, colors: Sequence[Sequence[int]]) -> None:
        self.lut = colour_table(colors)
        if self.labels is not None:
            self._draw()

    def set_labels(self, labels: np.ndarray | None, confidence: np.ndarray | None = None
                   ) -> None:
        self.labels = None if labels is None else np.asarray(labels)
        self.confidence = None if confidence is None else np.asarray(confidence)
        if self.labels is None:
            self.item.clear()
            return
        self._draw()

    def _draw(self) -> None:
        data = np.clip(self.labels, 0, 255).astype(np.uint8)
        self.item.setImage(data, lut=self.lut, levels=(0, 255), autoLevels=False)

    def set_opacity(self, opacity: float) -> None:
        self.item.setOpacity(float(opacity))

    def set_visible(self, on: bool) -> None:
        self.item.setVisible(on)

    def value_at(self, x: int, y: int) -> tuple[int, float]:
        """``(label, confidence)`` at image pixel ``(x, y)``; ``(-1, nan)`` outside."""
        if self.labels is None or not (0 <= y < self.labels.shape[0]
                                       and 0 <= x < self.labels.shape[1]):
            return -1, float("nan")
        conf = float(self.confidence[y, x]) if self.confidence is not None else float("nan")
        return int(self.labels[y, x]), conf

    def _on_scene_mouse_moved(self, pos: QPointF) -> None:
        if self.labels is None:
            return
        p = self.canvas.viewbox.mapSceneToView(pos)
        x, y = int(np.floor(p.x())), int(np.floor(p.y()))
        label, conf = self.value_at(x, y)
        self.hovered.emit(x, y, label, conf)
