"""The Detect tab's gallery: validation images with ground truth and predictions,
worst detected first."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from widgets.qimage import array_to_qimage

THUMB = 96


def thumbnail(image: np.ndarray, gt: np.ndarray, pred: np.ndarray) -> QPixmap:
    """``image`` scaled to a thumbnail with ground truth (green) and predictions (orange)."""
    h, w = image.shape[:2]
    pix = QPixmap.fromImage(array_to_qimage(image)).scaled(
        THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation)
    sx, sy = pix.width() / w, pix.height() / h
    painter = QPainter(pix)
    for boxes, color in ((gt, "#00e676"), (pred, "#ff9100")):
        painter.setPen(QPen(QColor(color), 2))
        for x1, y1, x2, y2 in np.asarray(boxes).reshape(-1, 4):
            painter.drawRect(int(x1 * sx), int(y1 * sy), int((x2 - x1) * sx),
                             int((y2 - y1) * sy))
    painter.end()
    return pix


class Gallery(QListWidget):
    """Icons of validation images, ordered by a quality figure, lowest first.

    Signals:
        image_chosen(int): the index (into the validation set) of a clicked image.
    """

    image_chosen = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setMovement(QListWidget.Movement.Static)
        self.setSpacing(4)
        self.setToolTip("Validation images, worst detected first: green = ground truth, "
                        "orange = predictions at the current thresholds. Click to inspect.")
        self.order: list[int] = []
        self.itemClicked.connect(self._on_item_clicked)

    def show_images(self, images: np.ndarray, gts: list[np.ndarray], preds: list[np.ndarray],
                    quality: list[float]) -> None:
        self.clear()
        self.order = [int(i) for i in np.argsort(np.asarray(quality), kind="stable")]
        for i in self.order:
            item = QListWidgetItem(QIcon(thumbnail(images[i], gts[i], preds[i])),
                                   f"#{i}  {quality[i]:.2f}")
            item.setData(Qt.ItemDataRole.UserRole, i)
            item.setToolTip(f"validation image {i}: quality {quality[i]:.2f} (mean best IoU "
                            f"with the ground truth, less 0.1 per extra box)")
            self.addItem(item)

    def _on_item_clicked(self, item: QListWidgetItem) -> None:
        self.image_chosen.emit(int(item.data(Qt.ItemDataRole.UserRole)))
