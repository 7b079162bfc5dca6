"""Home: what the app does, the sample images, and a first look at an image."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.images import list_sample_images
from gui.context import AppContext
from gui.dialogs import IMAGE_DIR_KEY, ask_path
from gui.image_io import image_file_filter, load_for_canvas
from gui.tabs.base import PlaygroundTab
from widgets.image_canvas import ImageCanvas

COMING_NEXT: tuple[str, ...] = ()  # what the intro lists as "in development", if anything


class HomeTab(PlaygroundTab):
    key = "home"
    title = "Home"
    tab_requested = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None,
                 *, tabs: list[tuple[str, str, str]] | None = None) -> None:
        super().__init__(context, parent)
        self._tabs = tabs or []
        self.current_path = ""
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._build_intro())
        splitter.addWidget(self._build_preview())
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    def _build_intro(self) -> QWidget:
        box = QWidget()
        col = QVBoxLayout(box)
        heading = QLabel("<h2>Deep Learning Playground</h2>"
                         "<p>A visual companion to <i>Dive into Deep Learning</i> (d2l). "
                         "Everything runs on this computer, offline; nothing is faked — "
                         "when a fallback is used, the app says so.</p>"
                         "<p><b>Quick start:</b> Build → pick the <i>lenet</i> preset → "
                         "<i>Send to Train</i> → <i>Train</i>, and watch the book's LeNet "
                         "learn. Or open the Detection lab and click on the cat.</p>")
        heading.setWordWrap(True)
        col.addWidget(heading)

        features = QGroupBox("What you can do here")
        grid = QGridLayout(features)
        for row, (key, title, text) in enumerate(self._tabs):
            label = QLabel(f"<b>{title}</b> — {text}")
            label.setWordWrap(True)
            grid.addWidget(label, row, 0)
            button = QPushButton(f"Open {title}")
            button.setToolTip(f"Switch to the {title} tab")
            button.clicked.connect(lambda _=False, k=key: self.tab_requested.emit(k))
            grid.addWidget(button, row, 1)
        grid.setColumnStretch(0, 1)
        if COMING_NEXT:
            coming = QLabel("<span style='color:#666'>In development: "
                            + ", ".join(COMING_NEXT) + ".</span>")
            coming.setWordWrap(True)
            grid.addWidget(coming, len(self._tabs), 0, 1, 2)
        col.addWidget(features)

        samples = QGroupBox("Sample images (bundled, CC0 / public domain)")
        s_col = QVBoxLayout(samples)
        self.gallery = QListWidget()
        self.gallery.setViewMode(QListWidget.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(96, 72))
        self.gallery.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.gallery.setMovement(QListWidget.Movement.Static)
        self.gallery.setFixedHeight(120)
        self.gallery.setToolTip("Click a sample to look at it")
        for path in list_sample_images():
            pix = QPixmap(str(path))
            item = QListWidgetItem(QIcon(pix.scaled(96, 72, Qt.AspectRatioMode.KeepAspectRatio,
                                                    Qt.TransformationMode.SmoothTransformation)),
                                   path.stem)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(path.name)
            self.gallery.addItem(item)
        self.gallery.itemClicked.connect(
            lambda item: self.open_image(item.data(Qt.ItemDataRole.UserRole)))
        s_col.addWidget(self.gallery)
        open_btn = QPushButton("Open your own image…")
        open_btn.setToolTip("PNG, JPEG, BMP, WebP, TIFF or GIF (Ctrl+O). You can also drop "
                            "a file on the picture.")
        open_btn.clicked.connect(self._ask_open)
        s_col.addWidget(open_btn)
        col.addWidget(samples)
        col.addStretch(1)
        return box

    def _build_preview(self) -> QWidget:
        box = QWidget()
        col = QVBoxLayout(box)
        self.canvas = ImageCanvas(loader=load_for_canvas,
                                  empty_text="Pick a sample on the left or drop an image here.")
        self.canvas.image_loaded.connect(self._on_canvas_image_loaded)
        self.canvas.load_failed.connect(self._on_canvas_load_failed)
        self.canvas.pixel_clicked.connect(self._on_canvas_pixel_clicked)
        self.info = QLabel("No image yet.")
        self.info.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.info, 1)
        col.addWidget(self.canvas, 1)
        col.addLayout(row)
        return box

    # ---------------------------------------------------------------- API
    def accepts_images(self) -> bool:
        return True

    def open_image(self, path: str) -> bool:
        return self.canvas.load_file(path)

    def _ask_open(self) -> None:
        path = ask_path(self, self.context.settings, IMAGE_DIR_KEY, "Open image",
                        file_filter=image_file_filter())
        if path:
            self.open_image(path)

    # -------------------------------------------------------------- slots
    def _on_canvas_image_loaded(self, array: object, path: str, notice: str) -> None:
        self.current_path = path
        h, w = array.shape[:2]  # type: ignore[attr-defined]
        text = f"<b>{Path(path).name}</b> — {w}×{h} pixels. Click a pixel to read its value."
        if notice:
            text += f"<br><span style='color:#b06000'>Note: {notice}.</span>"
            self.context.warn(f"{Path(path).name}: {notice}")
        self.info.setText(text)

    def _on_canvas_load_failed(self, message: str) -> None:
        self.info.setText(f"<span style='color:#c5221f'>{message}</span>")
        self.context.error(message)

    def _on_canvas_pixel_clicked(self, x: float, y: float) -> None:
        image = self.canvas.image()
        if image is None:
            return
        px, py = int(x), int(y)
        value = image[py, px]
        self.info.setText(f"<b>{Path(self.current_path).name}</b> — pixel (x={px}, y={py}) "
                          f"= RGB {tuple(int(v) for v in value)}")
