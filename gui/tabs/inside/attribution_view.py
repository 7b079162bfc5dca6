"""Attribution: a heat map over the input of what a class score depends on."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from widgets.qimage import array_to_qimage

METHODS = (("saliency", "Saliency (|∂score/∂pixel|)"),
           ("integrated-gradients", "Integrated gradients (from a black image)"),
           ("grad-cam", "Grad-CAM (a convolution's evidence)"))
PREDICTED = -1


def _pixmap(rgb: np.ndarray, side: int = 280) -> QPixmap:
    pix = QPixmap.fromImage(array_to_qimage(rgb))
    mode = (Qt.TransformationMode.FastTransformation if max(rgb.shape[:2]) < side // 2
            else Qt.TransformationMode.SmoothTransformation)
    return pix.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, mode)


class AttributionView(QWidget):
    """Method / class / layer pickers, the overlay and the heat map.

    Signals:
        requested(str, int, str): method, target class (``PREDICTED`` = the predicted
            one), Grad-CAM layer ("" = the last convolution).
    """

    requested = Signal(str, int, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.method = QComboBox()
        for key, label in METHODS:
            self.method.addItem(label, key)
        self.method.setToolTip("captum's attribution methods: saliency (Simonyan 2014), "
                               "integrated gradients (Sundararajan 2017), Grad-CAM "
                               "(Selvaraju 2017)")
        self.target = QComboBox()
        self.target.setToolTip("Explain the score of this class")
        self.layer = QComboBox()
        self.layer.setToolTip("Grad-CAM weighs this convolution's maps by their gradients")
        self.explain = QPushButton("Explain")
        self.explain.clicked.connect(self._emit)
        for combo in (self.method, self.target, self.layer):
            combo.activated.connect(self._emit)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(18)
        self.method.currentIndexChanged.connect(self._sync_layer)
        form = QFormLayout()
        form.addRow("Method", self.method)
        form.addRow("Class", self.target)
        form.addRow("Layer", self.layer)
        form.addRow(self.explain)
        self.overlay = QLabel("Pick a network and an input")
        self.heat = QLabel()
        for label in (self.overlay, self.heat):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setMinimumSize(220, 220)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        images = QHBoxLayout()
        images.addWidget(self.overlay, 1)
        images.addWidget(self.heat, 1)
        right = QVBoxLayout()
        right.addLayout(images, 1)
        right.addWidget(self.summary)
        layout = QHBoxLayout(self)
        left = QWidget()
        left.setLayout(form)
        left.setMaximumWidth(340)
        layout.addWidget(left, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(right, 1)
        self._sync_layer()

    def set_network(self, class_names: Sequence[str], convs: Sequence[str]) -> None:
        """Fill the class and layer pickers for a new network."""
        self.target.clear()
        self.target.addItem("the predicted class", PREDICTED)
        for i, name in enumerate(class_names):
            self.target.addItem(f"{i}: {name}", i)
        self.layer.clear()
        for name in reversed(convs):  # the last convolution first: Grad-CAM's default
            self.layer.addItem(name, name)
        self._convs = tuple(convs)
        self._sync_layer()
        if not convs and self.method.currentData() == "grad-cam":
            self.method.setCurrentIndex(0)

    def _sync_layer(self) -> None:
        grad_cam = self.method.currentData() == "grad-cam"
        has = self.layer.count() > 0
        self.layer.setEnabled(grad_cam and has)
        if grad_cam and not has:
            self.summary.setText("Grad-CAM needs a convolutional layer; this network has "
                                 "none — use saliency or integrated gradients.")

    def _emit(self, *_: object) -> None:
        method = self.method.currentData()
        target = self.target.currentData()
        layer = self.layer.currentData() if method == "grad-cam" else ""
        self.requested.emit(method, PREDICTED if target is None else int(target), layer or "")

    def show_result(self, result: object, input_rgb: np.ndarray, overlay_rgb: np.ndarray,
                    class_names: Sequence[str]) -> None:
        from .render import colorize

        heat = result.heat  # type: ignore[attr-defined]
        top = float(heat.max()) if heat.size else 0.0
        self.overlay.setPixmap(_pixmap(overlay_rgb))
        self.heat.setPixmap(_pixmap(colorize(heat, 0.0, top or 1.0)))
        name = lambda i: class_names[i] if i < len(class_names) else f"class {i}"  # noqa: E731
        where = f" at layer {result.layer}" if result.layer else ""  # type: ignore[attr-defined]
        self.summary.setText(
            f"{dict(METHODS)[result.method].split(' (')[0]}{where} for class "  # type: ignore[attr-defined]
            f"<b>{name(result.target)}</b>; the network predicts "  # type: ignore[attr-defined]
            f"<b>{name(result.predicted)}</b>. Left: the heat over the input; right: "  # type: ignore[attr-defined]
            f"the heat alone (0 … {top:.3g})."
            + (" The map is zero everywhere: nothing at this layer raises that class's "
               "score (an untrained or stuck network often shows this)." if top == 0 else ""))

    def show_message(self, text: str) -> None:
        self.summary.setText(text)
