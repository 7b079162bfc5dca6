"""Panel 3 — IoU explorer: two boxes, their intersection and union (d2l 14.4.2)."""

from __future__ import annotations

import numpy as np
import torch
from PySide6.QtWidgets import QLabel, QPushButton

from engine.detection import iou_details
from gui.tabs.detection.common import LabPanel


class IouPanel(LabPanel):
    title = "3 · IoU"
    intro = ("Jaccard index: <b>IoU = |A ∩ B| / |A ∪ B|</b>, from 0 (no overlap) to 1 "
             "(identical). <b>Drag or resize</b> the two boxes; the overlap is shaded.")

    def __init__(self, lab) -> None:
        super().__init__(lab)
        self.readout = QLabel()
        self.readout.setWordWrap(True)
        self.readout.setStyleSheet("font-size: 13px;")
        self.add(self.readout)
        reset = QPushButton("Reset boxes")
        reset.setToolTip("Put the two boxes back in the middle of the image")
        reset.clicked.connect(self.reset_boxes)
        self.add(reset)
        self.finish_layout()
        self.box_a = None
        self.box_b = None
        self.details = None

    def default_boxes(self) -> tuple[np.ndarray, np.ndarray]:
        w, h = self.lab.image_size()
        a = np.array([0.15 * w, 0.2 * h, 0.55 * w, 0.7 * h])
        b = np.array([0.4 * w, 0.35 * h, 0.85 * w, 0.85 * h])
        return a, b

    def activate(self) -> None:
        w, _ = self.lab.image_size()
        if w and self.box_a is None:
            a, b = self.default_boxes()
            self.box_a = self.canvas.add_editable_box(a, color="#ff5252", label="A")
            self.box_b = self.canvas.add_editable_box(b, color="#40c4ff", label="B")
            for box in (self.box_a, self.box_b):
                box.box_changed.connect(lambda _b: self.redraw())
        super().activate()

    def deactivate(self) -> None:
        for box in (self.box_a, self.box_b):
            if box is not None:
                self.canvas.remove_editable_box(box)
        self.box_a = self.box_b = None
        super().deactivate()

    def reset_boxes(self) -> None:
        if self.box_a is None:
            return
        a, b = self.default_boxes()
        self.box_a.set_box(a)
        self.box_b.set_box(b)

    def on_image_changed(self) -> None:
        if self.active:
            self.deactivate()
            self.activate()

    def redraw(self) -> None:
        if not self.active or self.box_a is None:
            if self.active:
                self.readout.setText("Load an image first.")
            return
        a, b = self.box_a.box(), self.box_b.box()
        d = iou_details(torch.tensor(a), torch.tensor(b))
        self.details = d
        if d.intersection_box is not None:
            self.set_boxes("overlap", [d.intersection_box], colors="#ffffff",
                           fill=(255, 235, 59, 110), width=1, z=5)
        else:
            self.clear_overlays()
        self.readout.setText(
            f"<table cellspacing=4>"
            f"<tr><td>area A</td><td align=right>{d.area_a:,.0f} px²</td></tr>"
            f"<tr><td>area B</td><td align=right>{d.area_b:,.0f} px²</td></tr>"
            f"<tr><td>intersection |A ∩ B|</td><td align=right>{d.intersection:,.0f} px²</td></tr>"
            f"<tr><td>union |A ∪ B|</td><td align=right>{d.union:,.0f} px²</td></tr>"
            f"<tr><td><b>IoU</b></td><td align=right><b>{d.iou:.3f}</b></td></tr></table>")
