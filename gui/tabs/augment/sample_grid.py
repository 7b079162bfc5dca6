"""The grid of augmented samples, the inspector's strip and the large view.

Tiles get plain data (a uint8 image, boxes in its pixels, labels, an optional mask, a
caption and a tooltip) and paint it scaled to fit, boxes and the mask drawn on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from widgets.qimage import array_to_qimage

BOX_COLORS = ("#ffd740", "#40c4ff", "#ff5252", "#69f0ae", "#e040fb", "#ffab40")
# Mask tints that stand out from the synthetic scene's own red / green / blue shapes.
MASK_COLORS = np.array([[0, 0, 0], [255, 235, 59], [236, 64, 255], [0, 229, 255],
                        [255, 145, 0], [118, 255, 3]], np.float32)


@dataclass(frozen=True)
class TileData:
    image: np.ndarray  # uint8 HWC
    boxes: np.ndarray  # (K, 4) xyxy in the image's pixels
    labels: tuple[str, ...]
    mask: np.ndarray | None
    caption: str
    tooltip: str


def overlay_mask(image: np.ndarray, mask: np.ndarray | None, alpha: float = 0.35) -> np.ndarray:
    """``image`` with each mask class > 0 tinted in its colour and the mask's borders drawn
    white, so a mask that does not follow its image shows at once."""
    if mask is None or mask.shape != image.shape[:2] or not mask.any():
        return image
    colours = MASK_COLORS[np.minimum(mask, len(MASK_COLORS) - 1)]
    tinted = image.astype(np.float32)
    on = mask > 0
    tinted[on] = (1 - alpha) * tinted[on] + alpha * colours[on]
    edge = np.zeros(mask.shape, bool)
    edge[:-1] |= mask[:-1] != mask[1:]
    edge[:, :-1] |= mask[:, :-1] != mask[:, 1:]
    tinted[edge] = 255
    return tinted.round().astype(np.uint8)


class SampleTile(QWidget):
    """One sample, scaled to fit with its boxes (and mask tint); click emits ``clicked``."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None, *, min_side: int = 96) -> None:
        super().__init__(parent)
        self._qimage: QImage | None = None
        self.data: TileData | None = None
        self.show_overlays = True
        self.setMinimumSize(min_side, min_side + 18)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def set_data(self, data: TileData | None, show_overlays: bool = True) -> None:
        self.data, self.show_overlays = data, show_overlays
        if data is None:
            self._qimage = None
            self.setToolTip("")
        else:
            shown = overlay_mask(data.image, data.mask) if show_overlays else data.image
            self._qimage = array_to_qimage(shown)
            self.setToolTip(data.tooltip)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(180, 200)

    def image_rect(self) -> QRectF:
        """Where the image is drawn (aspect kept, centred above the caption)."""
        if self._qimage is None:
            return QRectF()
        w, h = self.width(), self.height() - 18
        iw, ih = self._qimage.width(), self._qimage.height()
        scale = min(w / iw, h / ih) if iw and ih else 1.0
        dw, dh = iw * scale, ih * scale
        return QRectF((w - dw) / 2, (h - dh) / 2, dw, dh)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#1e1e1e"))
        if self._qimage is None or self.data is None:
            painter.setPen(QColor("#999"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "…")
            return
        rect = self.image_rect()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(rect, self._qimage)
        if self.show_overlays and len(self.data.boxes):
            sx = rect.width() / self._qimage.width()
            sy = rect.height() / self._qimage.height()
            for i, (x1, y1, x2, y2) in enumerate(np.asarray(self.data.boxes, float)):
                colour = QColor(BOX_COLORS[i % len(BOX_COLORS)])
                painter.setPen(QPen(colour, 2))
                painter.drawRect(QRectF(rect.x() + x1 * sx, rect.y() + y1 * sy,
                                        (x2 - x1) * sx, (y2 - y1) * sy))
                if i < len(self.data.labels):
                    painter.drawText(QPointF(rect.x() + x1 * sx + 3, rect.y() + y1 * sy + 12),
                                     self.data.labels[i])
        painter.setPen(QColor("#ddd"))
        painter.drawText(QRectF(0, self.height() - 18, self.width(), 18),
                         Qt.AlignmentFlag.AlignCenter, self.data.caption)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.data is not None:
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class SampleGrid(QWidget):
    """rows × columns of tiles; ``sample_clicked(k)``."""

    sample_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tiles: list[SampleTile] = []
        self._grid = QGridLayout(self)
        self._grid.setSpacing(4)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self.rows, self.cols = 0, 0
        self.set_shape(2, 4)

    def set_shape(self, rows: int, cols: int) -> None:
        if (rows, cols) == (self.rows, self.cols):
            return
        for tile in self.tiles:
            tile.deleteLater()
        self.tiles = []
        self.rows, self.cols = rows, cols
        for k in range(rows * cols):
            tile = SampleTile(self)
            tile.clicked.connect(lambda k=k: self.sample_clicked.emit(k))
            self._grid.addWidget(tile, k // cols, k % cols)
            self.tiles.append(tile)

    def set_samples(self, data: Sequence[TileData], show_overlays: bool) -> None:
        for k, tile in enumerate(self.tiles):
            tile.set_data(data[k] if k < len(data) else None, show_overlays)


class InspectorStrip(QScrollArea):
    """The frames of one sample, left to right, each with what its step did."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self._inner = QWidget()
        self._row = QHBoxLayout(self._inner)
        self._row.setContentsMargins(4, 4, 4, 4)
        self.setWidget(self._inner)
        self.frames: list[tuple[SampleTile, QLabel]] = []

    def set_frames(self, frames: Sequence[tuple[TileData, str]], show_overlays: bool) -> None:
        while self._row.count():
            item = self._row.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.frames = []
        for data, text in frames:
            box = QWidget()
            col = QVBoxLayout(box)
            col.setContentsMargins(0, 0, 0, 0)
            tile = SampleTile(box, min_side=150)
            tile.setFixedHeight(196)  # square-ish frames; the text goes below
            tile.set_data(data, show_overlays)
            label = QLabel(text)
            label.setWordWrap(True)
            label.setFixedWidth(170)
            label.setAlignment(Qt.AlignmentFlag.AlignTop)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            col.addWidget(tile)
            col.addWidget(label)
            col.addStretch(1)
            box.setFixedWidth(176)
            self._row.addWidget(box)
            self.frames.append((tile, label))
        self._row.addStretch(1)


class LargeView(QDialog):
    """One sample, big, with its draws as text."""

    def __init__(self, data: TileData, text: str, show_overlays: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(data.caption)
        self.tile = SampleTile(self, min_side=420)
        self.tile.set_data(data, show_overlays)
        label = QLabel(text)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tile, 1)
        layout.addWidget(label)
        self.resize(640, 720)
