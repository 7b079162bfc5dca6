"""Detection lab: anchors, multiscale anchors, IoU, anchor labelling and NMS on an image.

The tab owns the image, its ground-truth boxes and the anchor sizes/ratios; five
panels (gui/tabs/detection/) each draw their own overlays on the shared canvas
while selected. Every computation here is small (a few thousand boxes at most,
never the millions of a full ``multibox_prior``), so it runs on the UI thread.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.detection import BOOK_RATIOS, BOOK_SIZES
from engine.images import image_file_size, load_boxes_json, sample_image, save_boxes_json
from gui.context import AppContext
from gui.image_io import load_for_canvas
from gui.tabs.base import PlaygroundTab
from gui.tabs.detection.anchors_panel import AnchorsPanel
from gui.tabs.detection.common import LabPanel
from gui.tabs.detection.iou_panel import IouPanel
from gui.tabs.detection.labelling_panel import LabellingPanel
from gui.tabs.detection.multiscale_panel import MultiscalePanel
from gui.tabs.detection.nms_panel import NmsPanel
from widgets.image_canvas import ImageCanvas

DEFAULT_IMAGE = "cat.jpg"


class DetectionTab(PlaygroundTab):
    key = "detection"
    title = "Detection lab"
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.sizes: list[float] = list(BOOK_SIZES)
        self.ratios: list[float] = list(BOOK_RATIOS)
        self.gt_boxes = np.zeros((0, 4))
        self.gt_labels: list[str] = []
        self.image_path = ""
        self.canvas = ImageCanvas(loader=load_for_canvas,
                                  empty_text="Drop an image here or use File → Open image…")
        self.panels: list[LabPanel] = []
        self._build()
        self.canvas.image_loaded.connect(self._on_canvas_image_loaded)
        self.canvas.load_failed.connect(self._on_canvas_load_failed)
        self.canvas.pixel_clicked.connect(self._on_canvas_pixel_clicked)
        self.load_sample()

    # -------------------------------------------------------------- build
    def _build(self) -> None:
        left = QWidget()
        col = QVBoxLayout(left)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.canvas, 1)
        bar = QHBoxLayout()
        self.info = QLabel()
        self.info.setWordWrap(True)
        sample = QPushButton("Sample image")
        sample.setToolTip("Reload the bundled cat photo with its ground-truth boxes")
        sample.clicked.connect(self.load_sample)
        fit = QPushButton("Fit")
        fit.setToolTip("Zoom to fit the image (scroll to zoom, drag to pan)")
        fit.clicked.connect(self.canvas.fit)
        bar.addWidget(self.info, 1)
        bar.addWidget(sample)
        bar.addWidget(fit)
        col.addLayout(bar)

        self.panel_tabs = QTabWidget()
        for cls in (AnchorsPanel, MultiscalePanel, IouPanel, LabellingPanel, NmsPanel):
            panel = cls(self)
            self.panels.append(panel)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setWidget(panel)
            self.panel_tabs.addTab(scroll, panel.title)
        self.panel_tabs.currentChanged.connect(self._on_panel_tabs_current_changed)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.panel_tabs)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([760, 500])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        QShortcut(QKeySequence(Qt.Key.Key_Space), self, activated=self._on_space)

    # -------------------------------------------------------------- state
    def image_size(self) -> tuple[int, int]:
        return self.canvas.image_size()

    def class_names(self) -> list[str]:
        return list(dict.fromkeys(self.gt_labels))

    def current_panel(self) -> LabPanel:
        return self.panels[self.panel_tabs.currentIndex()]

    def show_panel(self, index: int) -> None:
        self.panel_tabs.setCurrentIndex(index)

    def set_anchor_shape(self, sizes: list[float], ratios: list[float]) -> None:
        self.sizes, self.ratios = list(sizes), list(ratios)
        for panel in self.panels:
            if panel.active and not isinstance(panel, AnchorsPanel):
                panel.redraw()

    def set_ground_truth(self, boxes: np.ndarray, labels: list[str]) -> None:
        self.gt_boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        self.gt_labels = list(labels)
        for panel in self.panels:
            panel.on_ground_truth_changed()

    def add_ground_truth(self, box: np.ndarray, label: str) -> None:
        self.set_ground_truth(np.vstack([self.gt_boxes, np.asarray(box)[None]]),
                              [*self.gt_labels, label])

    def remove_ground_truth(self, index: int) -> None:
        keep = [i for i in range(len(self.gt_labels)) if i != index]
        self.set_ground_truth(self.gt_boxes[keep], [self.gt_labels[i] for i in keep])

    def move_ground_truth(self, index: int, box: np.ndarray) -> None:
        boxes = self.gt_boxes.copy()
        boxes[index] = box
        self.set_ground_truth(boxes, self.gt_labels)

    # ------------------------------------------------------------- images
    def accepts_images(self) -> bool:
        return True

    def open_image(self, path: str) -> bool:
        return self.canvas.load_file(path)

    def load_sample(self) -> None:
        self.open_image(str(sample_image(DEFAULT_IMAGE)))

    def _on_canvas_image_loaded(self, array: np.ndarray, path: str, notice: str) -> None:
        self.image_path = path
        boxes, labels, source = self._ground_truth_for(Path(path), array.shape[1])
        self.gt_boxes, self.gt_labels = boxes, labels
        h, w = array.shape[:2]
        text = f"<b>{Path(path).name}</b> {w}×{h} px — {source}"
        if notice:
            text += f" <span style='color:#b06000'>({notice})</span>"
            self.context.warn(f"{Path(path).name}: {notice}")
        self.info.setText(text)
        for panel in self.panels:
            panel.on_image_changed()
        self._activate_current()

    def _ground_truth_for(self, path: Path, _shown_width: int) -> tuple[np.ndarray, list[str], str]:
        """Boxes from ``<stem>.boxes.json`` beside the image, scaled to the shown size."""
        json_path = path.with_name(path.stem + ".boxes.json")
        if not json_path.exists():
            return np.zeros((0, 4)), [], "no ground truth yet: draw some in panel 4"
        try:
            gt = load_boxes_json(json_path)
        except ValueError as exc:
            self.context.warn(str(exc))
            return np.zeros((0, 4)), [], "ground-truth file unreadable"
        scale = 1.0 / self._file_to_shown_scale(path)
        return gt.boxes * scale, list(gt.labels), f"{len(gt.labels)} ground-truth boxes"

    def _file_to_shown_scale(self, path: Path) -> float:
        """File pixels per shown pixel (> 1 when a huge image was downscaled on load)."""
        shown = max(self.canvas.image_size())
        original = max(image_file_size(path)) if shown else 0  # header only
        return original / shown if shown and original else 1.0

    def save_ground_truth(self, path: str) -> None:
        """Write the boxes (in the file's pixels) as a ``.boxes.json`` file."""
        scale = self._file_to_shown_scale(Path(self.image_path)) if self.image_path else 1.0
        save_boxes_json(path, self.gt_boxes * scale, self.gt_labels,
                        image=Path(self.image_path).name)
        self.context.info(f"Saved {len(self.gt_labels)} ground-truth boxes to {path}")

    def _on_canvas_load_failed(self, message: str) -> None:
        self.context.error(f"Detection lab: {message}")

    # -------------------------------------------------------------- slots
    def _activate_current(self) -> None:
        for panel in self.panels:
            if panel.active and panel is not self.current_panel():
                panel.deactivate()
        self.current_panel().activate()

    def _on_panel_tabs_current_changed(self, _index: int) -> None:
        self._activate_current()

    def _on_canvas_pixel_clicked(self, x: float, y: float) -> None:
        self.current_panel().on_pixel_clicked(x, y)

    def _on_space(self) -> None:
        panel = self.current_panel()
        if isinstance(panel, NmsPanel):
            panel.step()
