"""A content or style image: a canvas you can drop on, Open…, and the bundled samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from engine.images import list_sample_images
from gui.dialogs import IMAGE_DIR_KEY, ask_path
from gui.image_io import image_file_filter, load_for_canvas
from widgets.image_canvas import ImageCanvas


class ImagePane(QWidget):
    """``image_changed(array, path, notice)`` when a new image is shown."""

    image_changed = Signal(object, str, str)
    failed = Signal(str)

    def __init__(self, title: str, *, settings=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.path = ""
        self.title = QLabel(f"<b>{title}</b>")
        self.canvas = ImageCanvas(loader=load_for_canvas,
                                  empty_text=f"Drop a {title.lower()} image here")
        self.canvas.setMinimumSize(160, 110)
        self.canvas.image_loaded.connect(self._on_canvas_image_loaded)
        self.canvas.load_failed.connect(self._on_canvas_load_failed)
        self.samples = QComboBox()
        self.samples.addItem("Samples…", "")
        for path in list_sample_images():
            self.samples.addItem(path.stem, str(path))
        self.samples.setToolTip("Bundled sample images (CC0 / public domain)")
        self.samples.activated.connect(self._on_samples_activated)
        open_btn = QPushButton("Open…")
        open_btn.setToolTip(f"Open a {title.lower()} image (or drop one on the picture)")
        open_btn.clicked.connect(self._ask_open)
        self.info = QLabel("")
        self.info.setWordWrap(True)
        self.info.setStyleSheet("color: #555;")
        row = QHBoxLayout()
        row.addWidget(self.title)
        row.addStretch(1)
        row.addWidget(self.samples)
        row.addWidget(open_btn)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.addLayout(row)
        col.addWidget(self.canvas, 1)
        col.addWidget(self.info)

    def image(self) -> np.ndarray | None:
        return self.canvas.image()

    def load(self, path: str) -> bool:
        return self.canvas.load_file(path)

    def _ask_open(self) -> None:
        path = ask_path(self, self.settings, IMAGE_DIR_KEY, "Open image",
                        file_filter=image_file_filter())
        if path:
            self.load(path)

    def _on_samples_activated(self, index: int) -> None:
        path = self.samples.itemData(index)
        self.samples.setCurrentIndex(0)
        if path:
            self.load(path)

    def _on_canvas_image_loaded(self, array: object, path: str, notice: str) -> None:
        self.path = path
        h, w = array.shape[:2]  # type: ignore[attr-defined]
        text = f"{Path(path).name} — {w}×{h}"
        if notice:
            text += f" <span style='color:#b06000'>({notice})</span>"
        self.info.setText(text)
        self.image_changed.emit(array, path, notice)

    def _on_canvas_load_failed(self, message: str) -> None:
        self.info.setText(f"<span style='color:#c5221f'>{message}</span>")
        self.failed.emit(message)
