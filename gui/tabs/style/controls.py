"""The Style tab's settings panel: weights source, loss weights, optimisation, layers.

Every control writes one field; the panel emits ``settings_edited(dict)`` with the change
and the tab applies it to the running job's ``LiveSettings``. ``show_settings`` pushes a
whole ``StyleSettings`` back into the controls without emitting.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.style import StyleSettings
from gui.tabs.style.layers import LayerPicker
from gui.tabs.style.log_slider import LogSlider
from widgets.sliders import LabeledSlider

SOURCE_TITLES = {
    "auto": "ImageNet if cached, else untrained",
    "imagenet": "ImageNet (torchvision)",
    "file": "VGG-19 .pth file…",
    "untrained": "Untrained (approximate)",
}


class StyleControls(QWidget):
    settings_edited = Signal(dict)
    weights_source_changed = Signal()
    pick_weights_file = Signal()
    defaults_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self._build_weights())
        col.addWidget(self._build_losses())
        col.addWidget(self._build_optimisation())
        layers = QGroupBox("VGG-19 layers")
        lay = QVBoxLayout(layers)
        self.layers = LayerPicker()
        self.layers.layers_changed.connect(
            lambda style, content: self.settings_edited.emit(
                {"style_layers": style, "content_layers": content}))
        lay.addWidget(self.layers)
        col.addWidget(layers)
        col.addStretch(1)

    # ------------------------------------------------------------ build
    def _build_weights(self) -> QGroupBox:
        box = QGroupBox("Feature network")
        lay = QVBoxLayout(box)
        self.source = QComboBox()
        for key, title in SOURCE_TITLES.items():
            self.source.addItem(title, key)
        self.source.setToolTip("Where the VGG-19 weights come from. Without the ImageNet "
                               "weights the untrained network gives an approximate result.")
        self.source.activated.connect(self._on_source_activated)
        self.download = QCheckBox("Allow download (548 MB)")
        self.download.setToolTip("Let torchvision download VGG19_Weights.IMAGENET1K_V1 into "
                                 "its cache when it is not there")
        self.download.toggled.connect(lambda _on: self.weights_source_changed.emit())
        self.weights_label = QLabel("")
        self.weights_label.setWordWrap(True)
        lay.addWidget(self.source)
        lay.addWidget(self.download)
        lay.addWidget(self.weights_label)
        return box

    def _build_losses(self) -> QGroupBox:
        box = QGroupBox("Loss weights")
        lay = QVBoxLayout(box)
        self.content_weight = LogSlider(
            "content", minimum=1e-3, maximum=1e4, value=1.0, allow_zero=True,
            tooltip="How much the picture keeps the content image's features (book: 1)")
        self.style_weight = LogSlider(
            "style", minimum=1e-2, maximum=1e8, value=1e4, allow_zero=True,
            tooltip="How strongly the style image's Gram matrices are matched (book: 1e4)")
        self.tv_weight = LogSlider(
            "TV", minimum=1e-2, maximum=1e4, value=10.0, allow_zero=True,
            tooltip="Total variation: smooths high-frequency noise (book: 10)")
        for name, slider in (("content_weight", self.content_weight),
                             ("style_weight", self.style_weight),
                             ("tv_weight", self.tv_weight)):
            slider.value_changed.connect(lambda v, n=name: self.settings_edited.emit({n: v}))
            lay.addWidget(slider)
        self.normalize = QCheckBox("Normalise each layer's loss")
        self.normalize.setToolTip(
            "Divide each layer's loss by the size of its target, so every layer counts "
            "alike. Needed for the untrained network; the book does not normalise.")
        self.normalize.setTristate(False)
        self.normalize.toggled.connect(
            lambda on: self.settings_edited.emit({"normalize": bool(on)}))
        lay.addWidget(self.normalize)
        return box

    def _build_optimisation(self) -> QGroupBox:
        box = QGroupBox("Optimisation")
        col = QVBoxLayout(box)
        self.lr = LogSlider("lr", minimum=1e-3, maximum=10.0, value=0.3,
                            tooltip="Adam's learning rate on the pixels (book: 0.3, ×0.8 "
                                    "every 50 steps)")
        self.lr.value_changed.connect(lambda v: self.settings_edited.emit({"lr": v}))
        col.addWidget(self.lr)
        form = QFormLayout()
        self.steps = QSpinBox()
        self.steps.setRange(1, 100_000)
        self.steps.setSingleStep(50)
        self.steps.setToolTip("Number of optimisation steps (book: 500); can change while "
                              "running")
        self.steps.valueChanged.connect(
            lambda v: self.settings_edited.emit({"num_epochs": int(v)}))
        self.size = LabeledSlider(
            "image size", minimum=32, maximum=1024, value=256, decimals=0, step=32,
            tooltip="Longer side of the synthesised image in pixels (book: 450, i.e. "
                    "300×450); used at the next Start")
        self.size.value_changed.connect(
            lambda v: self.settings_edited.emit({"image_size": int(round(v))}))
        col.addWidget(self.size)
        self.init = QComboBox()
        self.init.addItem("content image", "content")
        self.init.addItem("noise", "noise")
        self.init.setToolTip("What the synthesised image starts from (book: the content "
                             "image); used at the next Start")
        self.init.activated.connect(
            lambda i: self.settings_edited.emit({"init": self.init.itemData(i)}))
        self.snapshot_every = QSpinBox()
        self.snapshot_every.setRange(1, 10_000)
        self.snapshot_every.setValue(25)
        self.snapshot_every.setToolTip("Add the image to the snapshot strip every N steps")
        form.addRow("steps", self.steps)
        form.addRow("start from", self.init)
        form.addRow("snapshot every", self.snapshot_every)
        col.addLayout(form)
        row = QHBoxLayout()
        defaults = QPushButton("Defaults")
        defaults.setToolTip("Put back the defaults for the network in use (the book's "
                            "values; the untrained network's weights; a smaller run on "
                            "the CPU)")
        defaults.clicked.connect(self.defaults_requested)
        row.addStretch(1)
        row.addWidget(defaults)
        col.addLayout(row)
        return box

    # ------------------------------------------------------------ API
    def source_key(self) -> str:
        return str(self.source.currentData())

    def set_source(self, key: str) -> None:
        index = self.source.findData(key)
        if index >= 0:
            self.source.setCurrentIndex(index)

    def show_settings(self, s: StyleSettings, *, normalized: bool) -> None:
        widgets = (self.content_weight, self.style_weight, self.tv_weight, self.lr,
                   self.steps, self.size, self.init, self.normalize, self.layers)
        for w in widgets:
            w.blockSignals(True)
        try:
            self.content_weight.setValue(s.content_weight)
            self.style_weight.setValue(s.style_weight)
            self.tv_weight.setValue(s.tv_weight)
            self.lr.setValue(s.lr)
            self.steps.setValue(s.num_epochs)
            self.size.setValue(float(s.image_size))
            self.init.setCurrentIndex(max(0, self.init.findData(s.init)))
            self.normalize.setChecked(normalized)
            self.layers.set_layers(s.style_layers, s.content_layers)
        finally:
            for w in widgets:
                w.blockSignals(False)

    def _on_source_activated(self, _index: int) -> None:
        if self.source_key() == "file":
            self.pick_weights_file.emit()
        self.weights_source_changed.emit()
