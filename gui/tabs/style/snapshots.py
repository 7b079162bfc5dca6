"""A strip of snapshots of the synthesised image every N steps."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from widgets.qimage import array_to_qimage


class SnapshotStrip(QListWidget):
    """Thumbnails labelled by step; ``snapshot_clicked(image, step)``."""

    snapshot_clicked = Signal(object, int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setFlow(QListWidget.Flow.LeftToRight)
        self.setWrapping(False)
        self.setIconSize(QSize(96, 64))
        self.setMovement(QListWidget.Movement.Static)
        self.setFixedHeight(100)
        self.setToolTip("The image every N steps; click one to look at it")
        self._images: list[tuple[np.ndarray, int]] = []
        self.itemClicked.connect(self._on_item_clicked)

    def add_snapshot(self, image: np.ndarray, step: int) -> None:
        pix = QPixmap.fromImage(array_to_qimage(image)).scaled(
            96, 64, Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation)
        item = QListWidgetItem(QIcon(pix), f"step {step}")
        item.setData(Qt.ItemDataRole.UserRole, len(self._images))
        self._images.append((image, step))
        self.addItem(item)
        self.scrollToItem(item)

    def snapshots(self) -> list[tuple[np.ndarray, int]]:
        return list(self._images)

    def clear_snapshots(self) -> None:
        self.clear()
        self._images.clear()

    def _on_item_clicked(self, item: QListWidgetItem) -> None:
        image, step = self._images[item.data(Qt.ItemDataRole.UserRole)]
        self.snapshot_clicked.emit(image, step)
