"""Panel 2 — multiscale anchors on a feature-map grid (d2l 14.5, display_anchors)."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSpinBox

from engine.detection import multiscale_anchors
from gui.tabs.detection.common import ANCHOR_COLORS, LabPanel, square_anchor_note, to_pixels
from widgets.float_list import FloatListEditor
from widgets.sliders import LabeledSlider

#: The book's three examples: (fmap_w, fmap_h, size).
BOOK_SETTINGS = ((4, 4, 0.15), (2, 2, 0.4), (1, 1, 0.8))
MAX_DRAWN = 20_000


class MultiscalePanel(LabPanel):
    title = "2 · Multiscale"
    intro = ("A detector predicts on feature maps smaller than the image. Each cell of "
             "a <b>fmap_w × fmap_h</b> map is the centre of anchors, so small maps with "
             "large sizes find large objects and large maps with small sizes find "
             "small ones (the book's <code>display_anchors</code>).")

    def __init__(self, lab) -> None:
        super().__init__(lab)
        grid = QGroupBox("Feature map")
        form = QFormLayout(grid)
        self.fmap_w = QSpinBox(minimum=1, maximum=128, value=4)
        self.fmap_h = QSpinBox(minimum=1, maximum=128, value=4)
        self.fmap_w.setToolTip("Feature-map width: anchor centres per row")
        self.fmap_h.setToolTip("Feature-map height: anchor centres per column")
        form.addRow("fmap_w", self.fmap_w)
        form.addRow("fmap_h", self.fmap_h)
        self.size = LabeledSlider("size s", minimum=0.05, maximum=1.0, value=0.15,
                                  tooltip="Anchor scale as a fraction of the image")
        form.addRow(self.size)
        self.ratios = FloatListEditor("ratio", (1.0, 2.0, 0.5), minimum=0.2, maximum=5.0)
        form.addRow(self.ratios)
        self.add(grid)
        presets = QHBoxLayout()
        for fw, fh, s in BOOK_SETTINGS:
            button = QPushButton(f"{fw}×{fh}, s={s}")
            button.setToolTip("The book's example")
            button.clicked.connect(lambda _=False, a=(fw, fh, s): self.apply(*a))
            presets.addWidget(button)
        self._layout.addLayout(presets)
        self.readout = QLabel()
        self.readout.setWordWrap(True)
        self.add(self.readout)
        self.finish_layout()
        for spin in (self.fmap_w, self.fmap_h):
            spin.valueChanged.connect(lambda _v: self.request_redraw())
        self.size.value_changed.connect(lambda _v: self.request_redraw())
        self.ratios.values_changed.connect(lambda _v: self.request_redraw())

    def apply(self, fmap_w: int, fmap_h: int, size: float) -> None:
        self.fmap_w.setValue(fmap_w)
        self.fmap_h.setValue(fmap_h)
        self.size.setValue(size)
        self.redraw()

    def redraw(self) -> None:
        if not self.active:
            return
        w, h = self.lab.image_size()
        if not w:
            self.readout.setText("Load an image first.")
            return
        ratios = self.ratios.values()
        anchors = multiscale_anchors(self.fmap_w.value(), self.fmap_h.value(),
                                     [self.size.value()], ratios).numpy()
        boxes = to_pixels(anchors, w, h)
        k = len(ratios)
        colors = [ANCHOR_COLORS[i % k] for i in range(len(boxes))]
        shown = boxes[:MAX_DRAWN]
        self.set_boxes("grid", shown, colors=colors[:MAX_DRAWN], width=1.5)
        fw, fh = self.fmap_w.value(), self.fmap_h.value()
        centres = (boxes[::k, :2] + boxes[::k, 2:]) / 2
        self.set_boxes("centres", [[x - 1.5, y - 1.5, x + 1.5, y + 1.5] for x, y in centres],
                       colors="#ffffff", fill="#ffffff", width=1)
        note = "" if len(boxes) <= MAX_DRAWN else f" (drawing the first {MAX_DRAWN:,})"
        self.readout.setText(
            f"{fw}×{fh} cells × {k} anchors (1 size, {k} ratios) = "
            f"<b>{len(boxes):,}</b> anchors{note}. Each cell covers "
            f"{w / fw:.0f}×{h / fh:.0f} image pixels.<br>"
            + square_anchor_note(self.size.value(), fw, fh, w, h))
