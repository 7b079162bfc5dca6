"""The Detect tab's prediction view: one image, its ground truth, the detector's boxes.

The network runs once per image (in a worker); the score and NMS sliders re-filter its
raw predictions on the UI thread (``engine.detection.ssd.filter_predictions``: a
threshold and torchvision's NMS on a few thousand boxes, well under the 50 ms budget).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import qthrottled

from engine.detection.ssd import Detections, RawPredictions, filter_predictions
from gui.image_io import load_for_canvas
from widgets.image_canvas import ImageCanvas
from widgets.sliders import LabeledSlider

#: raw boxes drawn at most (highest scores first), so the view stays fast
MAX_RAW_SHOWN = 300


class PredictionView(QWidget):
    """Canvas + thresholds. ``show_image(image, raw, gt_boxes, title)`` sets what is shown.

    Signals:
        nms_requested(dict): "Step through NMS" pressed; image, boxes, scores, names,
            thresholds and ground truth of the current raw predictions.
        image_dropped(object, str): an image was dropped / opened (array, path).
    """

    nms_requested = Signal(dict)
    image_dropped = Signal(object, str)

    def __init__(self, class_names: tuple[str, ...] = ("banana",)) -> None:
        super().__init__()
        self.class_names = class_names
        self.image: np.ndarray | None = None
        self.raw: RawPredictions | None = None
        self.gt = np.zeros((0, 4), np.float32)
        self.title = ""
        self.detections: Detections | None = None
        self.pred_labels: list[str] = []  # "name score" of each kept box, as drawn
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.hide()
        self.canvas = ImageCanvas(loader=load_for_canvas, empty_text=(
            "Train TinySSD (left), then pick a validation image in the gallery — or drop "
            "any image here"))
        self.score = LabeledSlider("score threshold", minimum=0.0, maximum=1.0, value=0.5,
                                   tooltip="Boxes whose best class probability is below "
                                           "this are dropped before NMS")
        self.nms = LabeledSlider("NMS IoU threshold", minimum=0.0, maximum=1.0, value=0.5,
                                 tooltip="NMS removes a box whose IoU with a higher-scoring "
                                         "kept box is greater than this")
        self.show_raw = QCheckBox("Show raw predictions")
        self.show_raw.setToolTip(f"Draw the boxes above the score threshold before NMS "
                                 f"(at most {MAX_RAW_SHOWN}, highest scores first)")
        self.step_nms = QPushButton("Step through NMS…")
        self.step_nms.setToolTip("Hand these raw boxes to the Detection lab's NMS panel "
                                 "and watch NMS decide, one box at a time")
        self.step_nms.setEnabled(False)
        self.readout = QLabel()
        self.readout.setWordWrap(True)
        self._build()
        self.score.value_changed.connect(self._on_threshold_changed)
        self.nms.value_changed.connect(self._on_threshold_changed)
        self.show_raw.toggled.connect(lambda _on: self.redraw())
        self.step_nms.clicked.connect(self._on_step_nms_clicked)
        self.canvas.image_loaded.connect(self._on_canvas_image_loaded)

    def _build(self) -> None:
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.caption)
        col.addWidget(self.canvas, 1)
        col.addWidget(self.score)
        col.addWidget(self.nms)
        row = QHBoxLayout()
        row.addWidget(self.show_raw)
        row.addStretch(1)
        row.addWidget(self.step_nms)
        col.addLayout(row)
        col.addWidget(self.readout)

    # ------------------------------------------------------------------ state
    def show_image(self, image: np.ndarray, raw: RawPredictions | None, gt: np.ndarray | None,
                   title: str) -> None:
        self.image, self.raw, self.title = image, raw, title
        self.gt = np.zeros((0, 4), np.float32) if gt is None else np.asarray(gt)
        self.canvas.set_image(image)
        self.canvas.show_message("")
        self.step_nms.setEnabled(raw is not None)
        self.redraw()

    def set_caption(self, text: str) -> None:
        """A line above the image (e.g. which detector boxes dropped images); hidden when
        empty."""
        self.caption.setText(text)
        self.caption.setVisible(bool(text))

    def names_of(self, raw: RawPredictions, classes: np.ndarray) -> list[str]:
        """Class names of ``classes``: the raw predictions' own (a COCO detector's) or the
        view's (TinySSD's "banana")."""
        names = raw.class_names or self.class_names
        return [names[int(k)] if int(k) < len(names) else str(k) for k in classes]

    def thresholds(self) -> tuple[float, float]:
        return self.score.value(), self.nms.value()

    def filtered(self, raw: RawPredictions) -> Detections:
        score, nms = self.thresholds()
        return filter_predictions(raw, score_threshold=score, nms_threshold=nms)

    @qthrottled(timeout=30, leading=True)
    def _on_threshold_changed(self, _value: float) -> None:
        self.redraw()

    def redraw(self) -> None:
        c = self.canvas
        if self.image is None:
            return
        c.set_boxes("gt", self.gt, colors="#00e676", width=2,
                    labels=["ground truth"] * len(self.gt), z=4)
        if self.raw is None:
            for name in ("raw", "pred"):
                c.clear_boxes(name)
            self.detections = None
            self.pred_labels = []
            self.readout.setText(f"<b>{self.title}</b> — no detector yet")
            return
        score, nms = self.thresholds()
        det = self.filtered(self.raw)
        self.detections = det
        names = self.names_of(self.raw, det.classes)
        self.pred_labels = [f"{n} {s:.2f}" for n, s in zip(names, det.scores, strict=True)]
        c.set_boxes("pred", det.boxes, colors="#ff9100", width=2.5, z=6,
                    labels=self.pred_labels)
        above = np.nonzero(self.raw.scores >= score)[0]
        if self.show_raw.isChecked():
            shown = above[np.argsort(-self.raw.scores[above], kind="stable")][:MAX_RAW_SHOWN]
            c.set_boxes("raw", self.raw.boxes[shown], colors=(120, 200, 255, 140),
                        style="dot", width=1, z=5)
        else:
            c.clear_boxes("raw")
        # TinySSD: one raw box per anchor; a COCO detector: its boxes scoring >= 0.05,
        # after its own per-class NMS (the slider's NMS is class-agnostic, on top)
        candidates = "anchors" if len(self.raw.anchors) else "boxes from the detector"
        self.readout.setText(
            f"<b>{self.title}</b> — {len(self.raw)} {candidates}, {len(above)} score ≥ "
            f"{score:.2f}, <b>{len(det)}</b> kept by NMS (IoU &gt; {nms:.2f} suppressed)"
            + (f"; best score {float(self.raw.scores.max()):.3f}" if len(self.raw) else ""))

    def nms_payload(self) -> dict:
        """What the Detection lab's NMS panel needs: the raw boxes above the score
        threshold (at most ``MAX_RAW_SHOWN``, so stepping stays readable)."""
        assert self.raw is not None and self.image is not None
        score, nms = self.thresholds()
        above = np.nonzero(self.raw.scores >= score)[0]
        shown = above[np.argsort(-self.raw.scores[above], kind="stable")][:MAX_RAW_SHOWN]
        names = self.names_of(self.raw, self.raw.classes[shown])
        return {"image": self.image, "boxes": self.raw.boxes[shown],
                "scores": self.raw.scores[shown], "names": names, "nms_threshold": nms,
                "score_threshold": score, "gt_boxes": self.gt,
                "gt_labels": ["ground truth"] * len(self.gt), "title": self.title}

    def _on_step_nms_clicked(self) -> None:
        if self.raw is not None:
            self.nms_requested.emit(self.nms_payload())

    def _on_canvas_image_loaded(self, array: np.ndarray, path: str, _notice: str) -> None:
        self.image_dropped.emit(array, path)
