"""Panel 1 — anchor boxes of one pixel (d2l 14.4.1)."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout
from superqt.utils import qthrottled

from engine.detection import anchor_count, anchors_at_pixel
from gui.tabs.detection.common import ANCHOR_COLORS, LabPanel, to_pixels
from widgets.float_list import FloatListEditor


class AnchorsPanel(LabPanel):
    title = "1 · Anchors"
    intro = ("Each pixel is the centre of <b>n + m − 1</b> anchor boxes: every size "
             "s<sub>i</sub> with the first ratio r<sub>1</sub>, and the first size "
             "s<sub>1</sub> with every other ratio. In pixels an anchor is s·h·√r wide and "
             "s·h/√r tall (h = image height), so here r = 1 gives squares. (Panels 2 and 4 "
             "make anchors for a feature-map grid: the book scales their widths by the "
             "grid's h/w, so on a grid shaped unlike the image r = 1 is not square.) "
             "<b>Click a pixel</b> to see its anchors.")

    def __init__(self, lab) -> None:
        super().__init__(lab)
        sizes_box = QGroupBox("Sizes s (fraction of the image)")
        self.sizes = FloatListEditor("size", lab.sizes, minimum=0.05, maximum=1.0,
                                     tooltip="Anchor scale relative to the image side")
        QVBoxLayout(sizes_box).addWidget(self.sizes)
        ratios_box = QGroupBox("Aspect ratios r (width : height)")
        self.ratios = FloatListEditor("ratio", lab.ratios, minimum=0.2, maximum=5.0,
                                      tooltip="Width / height of the anchor")
        QVBoxLayout(ratios_box).addWidget(self.ratios)
        self.add(sizes_box)
        self.add(ratios_box)
        self.readout = QLabel()
        self.readout.setWordWrap(True)
        self.add(self.readout)
        self.finish_layout()
        self.sizes.values_changed.connect(self._on_values_changed)
        self.ratios.values_changed.connect(self._on_values_changed)
        self.pixel: tuple[int, int] | None = None

    @qthrottled(timeout=30)
    def _on_values_changed(self, _values: list) -> None:
        self.lab.state.set_anchor_shape(self.sizes.values(), self.ratios.values())

    def on_pixel_clicked(self, x: float, y: float) -> None:
        self.pixel = (int(x), int(y))
        self.redraw()

    def on_image_changed(self) -> None:
        w, h = self.lab.image_size()
        self.pixel = (w // 2, h // 2) if w else None
        super().on_image_changed()

    def current_anchors(self) -> tuple[np.ndarray, list[str]]:
        """Pixel-space anchors of the chosen pixel and their labels."""
        w, h = self.lab.image_size()
        if not w or self.pixel is None:
            return np.zeros((0, 4)), []
        boxes, labels = anchors_at_pixel(h, w, self.pixel[0], self.pixel[1],
                                         self.lab.sizes, self.lab.ratios)
        return to_pixels(boxes.numpy(), w, h), labels

    def redraw(self) -> None:
        if not self.active:
            return
        w, h = self.lab.image_size()
        n, m = len(self.lab.sizes), len(self.lab.ratios)
        if not w:
            self.readout.setText("Load an image first.")
            return
        boxes, labels = self.current_anchors()
        colors = [ANCHOR_COLORS[i % len(ANCHOR_COLORS)] for i in range(len(boxes))]
        self.set_boxes("anchors", boxes, colors=colors, labels=labels, width=2)
        px, py = self.pixel or (0, 0)
        self.set_boxes("pixel", [[px, py, px + 1, py + 1]], colors="#ffffff", width=3,
                       fill="#ffffff")
        total = anchor_count(h, w, self.lab.sizes, self.lab.ratios)
        self.readout.setText(
            f"<b>{n + m - 1}</b> anchors per pixel (n = {n} sizes, m = {m} ratios).<br>"
            f"Image {w}×{h} → {h}·{w}·{n + m - 1} = <b>{total:,}</b> anchors in total.<br>"
            f"Showing pixel (x={px}, y={py}).")
