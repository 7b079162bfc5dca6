"""The prediction viewer: image | prediction | ground truth side by side, or the
prediction (or the truth) over the image with an opacity; a legend of class colours;
hover a pixel for its class and confidence; drop your own image for a prediction.

Predictions run on the tab's worker (``JobRunner``): a dropped photo through the FCN
takes longer than a UI frame. Stale results (an older image, an older network) are
dropped by the runner's generation stamp.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.segmentation import label2image
from gui.image_io import load_for_canvas
from gui.tabs.segment.mask_layer import MaskLayer
from widgets.image_canvas import ImageCanvas
from widgets.sliders import LabeledSlider

MODES = ("Side by side", "Overlay: prediction", "Overlay: ground truth")


class ViewerPanel(QWidget):
    """Shows one image with its predicted and true label maps.

    The owner (the Segment tab) supplies ``predict_fn(image) -> job`` and calls
    ``show_prediction`` with the job's ``Prediction``; ``set_classes`` sets the legend.
    """

    title = "Viewer"

    def __init__(self, request_prediction: Callable[[np.ndarray], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.request_prediction = request_prediction
        self.image: np.ndarray | None = None
        self.truth: np.ndarray | None = None
        self.prediction: Any = None
        self.class_names: tuple[str, ...] = ()
        self.colors: list[tuple[int, int, int]] = []
        self.scenes: tuple[np.ndarray, np.ndarray] | None = None
        self._build()

    # -------------------------------------------------------------- build
    def _build(self) -> None:
        bar = QHBoxLayout()
        self.scene_spin = QSpinBox()
        self.scene_spin.setPrefix("held-out scene ")
        self.scene_spin.setToolTip("A scene from the procedural set's test split (never "
                                   "trained on)")
        self.scene_spin.valueChanged.connect(self.show_scene)
        self.mode = QComboBox()
        self.mode.addItems(MODES)
        self.mode.setToolTip("Three views side by side, or one label map over the image")
        self.mode.currentIndexChanged.connect(self._on_mode_changed)
        self.opacity = LabeledSlider("Opacity", minimum=0.0, maximum=1.0, value=0.55,
                                     tooltip="How opaque the label map is over the image")
        self.opacity.value_changed.connect(self._on_opacity_changed)
        open_btn = QPushButton("Open image…")
        open_btn.setToolTip("Predict the classes of your own photo (or drop it on the image)")
        open_btn.clicked.connect(self._on_open_clicked)
        bar.addWidget(self.scene_spin)
        bar.addWidget(open_btn)
        bar.addWidget(self.mode)
        bar.addWidget(self.opacity, 1)

        self.image_canvas = ImageCanvas(loader=load_for_canvas,
                                        empty_text="Drop an image here for a prediction")
        self.pred_canvas = ImageCanvas(empty_text="prediction")
        self.truth_canvas = ImageCanvas(empty_text="no ground truth for your own image")
        for c in (self.pred_canvas, self.truth_canvas):
            c.setAcceptDrops(False)
        self.image_canvas.image_loaded.connect(self._on_image_canvas_image_loaded)
        self.image_canvas.load_failed.connect(self._on_image_canvas_load_failed)
        self.overlay = MaskLayer(self.image_canvas)
        self.overlay.set_opacity(self.opacity.value())
        self.overlay.set_visible(False)
        # invisible layers on the side views only serve the hover readout
        self.pred_layer = MaskLayer(self.pred_canvas)
        self.truth_layer = MaskLayer(self.truth_canvas)
        for layer in (self.pred_layer, self.truth_layer):
            layer.set_opacity(0.0)
        for layer in (self.overlay, self.pred_layer, self.truth_layer):
            layer.hovered.connect(self._on_layer_hovered)
        views = QHBoxLayout()
        self.titles = []
        for title, canvas in (("image", self.image_canvas), ("prediction", self.pred_canvas),
                              ("ground truth", self.truth_canvas)):
            col = QVBoxLayout()
            label = QLabel(f"<b>{title}</b>")
            self.titles.append(label)
            col.addWidget(label)
            col.addWidget(canvas, 1)
            views.addLayout(col, 1)

        self.readout = QLabel("Hover a pixel for its class and confidence.")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(views, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.readout)
        layout.addWidget(self.status)

    # -------------------------------------------------------------- classes / scenes
    def set_classes(self, names: tuple[str, ...], colors: list[tuple[int, int, int]]) -> None:
        self.class_names, self.colors = tuple(names), list(colors)
        for layer in (self.overlay, self.pred_layer, self.truth_layer):
            layer.set_colors(self.colors)
        swatches = " ".join(
            f"<span style='background-color: rgb{tuple(c)}; color: rgb{tuple(c)}'>■■</span>"
            f"&nbsp;{n}&nbsp;&nbsp;" for n, c in zip(names, colors, strict=False))
        self.legend.setText(swatches)
        self._redraw()

    def set_scenes(self, images: np.ndarray, masks: np.ndarray) -> None:
        """Held-out scenes: ``images (N, H, W, 3) uint8``, ``masks (N, H, W)``."""
        self.scenes = (images, masks)
        self.scene_spin.blockSignals(True)
        self.scene_spin.setRange(0, len(images) - 1)
        self.scene_spin.blockSignals(False)
        self.show_scene(self.scene_spin.value())

    def show_scene(self, index: int) -> None:
        if self.scenes is None:
            return
        images, masks = self.scenes
        if self.scene_spin.value() != index:
            with QSignalBlocker(self.scene_spin):
                self.scene_spin.setValue(index)
        self.set_input(images[index], masks[index], f"held-out scene {index}")

    def set_input(self, image: np.ndarray, truth: np.ndarray | None, what: str) -> None:
        self.image, self.truth, self.prediction = image, truth, None
        self.what = what
        self.image_canvas.set_image(image)
        self.status.setText(f"{what}: {image.shape[1]}×{image.shape[0]} — predicting…")
        self._redraw()
        self.request_prediction(image)

    # -------------------------------------------------------------- prediction
    def show_prediction(self, prediction: Any) -> None:
        self.prediction = prediction
        conf = float(prediction.confidence.mean())
        note = f" ({prediction.notice})" if prediction.notice else ""
        self.status.setText(f"{self.what}: {self.image.shape[1]}×{self.image.shape[0]}, mean "
                            f"confidence {conf:.0%}{note}")
        self._redraw()

    def _redraw(self) -> None:
        mode = self.mode.currentIndex()
        side = mode == 0
        for canvas, title in zip((self.pred_canvas, self.truth_canvas), self.titles[1:],
                                 strict=True):
            canvas.setVisible(side)
            title.setVisible(side)
        p = self.prediction
        if p is not None and self.colors:
            self.pred_canvas.set_image(label2image(p.labels, self.colors), keep_view=True)
            self.pred_layer.set_labels(p.labels, p.confidence)
        else:
            self.pred_layer.set_labels(None)
        if self.truth is not None and self.colors:
            self.truth_canvas.set_image(label2image(self.truth, self.colors), keep_view=True)
            self.truth_layer.set_labels(self.truth)
        else:
            self.truth_layer.set_labels(None)
            self.truth_canvas.image_item.clear()
            self.truth_canvas.show_message("no ground truth for your own image")
        over = (p.labels, p.confidence) if p is not None else None
        if mode == 2:
            over = (self.truth, None) if self.truth is not None else None
        # side by side the overlay stays hidden but still answers hovers on the image
        self.overlay.set_visible(over is not None and mode != 0)
        self.overlay.set_labels(*(over or (None, None)))

    # -------------------------------------------------------------- hover
    def _on_layer_hovered(self, x: int, y: int, label: int, conf: float) -> None:
        if label < 0:
            return
        p, t = self.prediction, self.truth
        parts = [f"x={x}, y={y}"]
        if p is not None and 0 <= y < p.labels.shape[0] and 0 <= x < p.labels.shape[1]:
            parts.append(f"predicted <b>{self._name(int(p.labels[y, x]))}</b> "
                         f"({float(p.confidence[y, x]):.0%} confident)")
        if t is not None and 0 <= y < t.shape[0] and 0 <= x < t.shape[1]:
            parts.append(f"truth <b>{self._name(int(t[y, x]))}</b>")
        self.readout.setText(" · ".join(parts))

    def _name(self, label: int) -> str:
        if label == 255:
            return "border (not scored)"
        return self.class_names[label] if label < len(self.class_names) else f"class {label}"

    # -------------------------------------------------------------- controls
    def _on_mode_changed(self, _index: int) -> None:
        self._redraw()

    def _on_opacity_changed(self, value: float) -> None:
        self.overlay.set_opacity(value)

    def _on_open_clicked(self) -> None:
        from gui.dialogs import ask_path
        from gui.image_io import image_file_filter

        settings = getattr(getattr(self.window(), "context", None), "settings", None)
        path = ask_path(self, settings, "segment/image", "Image to segment",
                        file_filter=image_file_filter())
        if path:
            self.image_canvas.load_file(path)

    def _on_image_canvas_image_loaded(self, array: np.ndarray, path: str, notice: str) -> None:
        from pathlib import Path

        what = Path(path).name + (f" ({notice})" if notice else "")
        self.set_input(np.ascontiguousarray(array), None, what)

    def _on_image_canvas_load_failed(self, message: str) -> None:
        self.status.setText(f"<span style='color:#d32f2f'>{message}</span>")
