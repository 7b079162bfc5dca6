"""Shared pieces of the Detection lab panels: base class, colours, conversions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget
from superqt.utils import qthrottled

if TYPE_CHECKING:
    from gui.tabs.detection_tab import DetectionTab

CLASS_COLORS = ("#ff5252", "#40c4ff", "#ffd740", "#69f0ae", "#e040fb", "#ffab40",
                "#b2ff59", "#18ffff")
ANCHOR_COLORS = ("#4285f4", "#ea4335", "#fbbc04", "#34a853", "#ab47bc", "#00acc1",
                 "#ff7043", "#9e9d24")


def class_color(index: int) -> str:
    return CLASS_COLORS[index % len(CLASS_COLORS)]


def to_pixels(boxes_norm: np.ndarray, width: int, height: int) -> np.ndarray:
    """Normalised xyxy -> image pixels."""
    return np.asarray(boxes_norm, dtype=np.float64) * np.array([width, height, width, height])


def to_normalised(boxes_px: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.asarray(boxes_px, dtype=np.float64) / np.array([width, height, width, height])


def square_anchor_note(size: float, fmap_w: int, fmap_h: int, width: int, height: int) -> str:
    """Why an r = 1 anchor of a feature-map grid is drawn the size it is.

    ``multibox_prior`` makes normalised widths s·√r·h/w for the map it is given (the
    book's ``display_anchors`` passes the feature map), so drawn on a width × height
    image an anchor is s·√r·(fmap_h/fmap_w)·width by s/√r·height pixels.
    """
    px_w = size * fmap_h / fmap_w * width
    px_h = size * height
    shape = ("square, because the map has the image's shape"
             if abs(px_w - px_h) < 0.5 else
             f"not square: widths are scaled by the map's h/w ({fmap_h}/{fmap_w}), not "
             f"the image's ({height}/{width}), as in the book's <code>display_anchors</code>")
    return f"An r = 1 anchor of size {size:g} is {px_w:.0f}×{px_h:.0f} px here: {shape}."


class LabPanel(QWidget):
    """One step of the lab. Owns its canvas layers while active."""

    title = "Panel"
    intro = ""  # one or two sentences shown at the top of the panel

    def __init__(self, lab: DetectionTab) -> None:
        super().__init__()
        self.lab = lab
        self.canvas = lab.canvas
        self.active = False
        lab.state.image_changed.connect(self.on_image_changed)
        lab.state.boxes_changed.connect(self.on_ground_truth_changed)
        lab.state.anchor_shape_changed.connect(self.on_anchor_shape_changed)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(6, 6, 6, 6)
        if self.intro:
            intro = QLabel(self.intro)
            intro.setWordWrap(True)
            intro.setTextFormat(Qt.TextFormat.RichText)
            intro.setStyleSheet("color: #444;")
            self._layout.addWidget(intro)

    def add(self, widget: QWidget) -> QWidget:
        self._layout.addWidget(widget)
        return widget

    def finish_layout(self) -> None:
        self._layout.addStretch(1)

    # Hooks the tab calls -------------------------------------------------
    def activate(self) -> None:
        self.active = True
        self.redraw()

    def deactivate(self) -> None:
        self.active = False
        self.clear_overlays()

    def clear_overlays(self) -> None:
        for name in self.canvas.layer_names():
            if name.startswith(self.layer_prefix()):
                self.canvas.clear_boxes(name)

    def layer_prefix(self) -> str:
        return type(self).__name__ + ":"

    def set_boxes(self, name: str, boxes: np.ndarray, **style: object) -> None:
        self.canvas.set_boxes(self.layer_prefix() + name, boxes, **style)  # type: ignore[arg-type]

    def redraw(self) -> None:
        """Redraw this panel's overlays from the lab's state."""

    @qthrottled(timeout=40)
    def request_redraw(self) -> None:
        """Redraw at most ~25 times a second while a slider or spin box is moving."""
        self.redraw()

    def on_pixel_clicked(self, x: float, y: float) -> None:
        """A click on the image while this panel is active (image pixels)."""

    def on_image_changed(self) -> None:
        """The lab's image and its ground truth changed (``state.image_changed``)."""
        if self.active:
            self.redraw()

    def on_ground_truth_changed(self) -> None:
        """The ground-truth boxes were edited (``state.boxes_changed``)."""
        if self.active:
            self.redraw()

    def on_anchor_shape_changed(self) -> None:
        """The anchor sizes or ratios changed (``state.anchor_shape_changed``)."""
        if self.active:
            self.redraw()
