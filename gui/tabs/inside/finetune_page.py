"""The Fine-tune page: the hot-dog recipe (d2l 14.2) on any image folder — ResNet-18
with ImageNet weights and a new head at 10× the learning rate, against the same
network trained from scratch; test accuracy and loss of both overlaid."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gui.workers import JobRunner

from .run_pair import RunSequence

WEIGHTS = (("pretrained", "ImageNet weights (torchvision's cache)"),
           ("file", "A weights file (.pth)…"),
           ("none", "None: from scratch only"))


def _spin(name: str, value: float, *, decimals: int | None = None) -> QWidget:
    """A spin box for a ``RunConfig`` field, with its label, help and range."""
    from engine.training.config import config_field

    meta = config_field(name).metadata
    box = QDoubleSpinBox() if decimals is not None else QSpinBox()
    if decimals is not None:
        box.setDecimals(decimals)
        box.setSingleStep(10 ** -decimals * 10)
    box.setRange(meta["min"] or 0, min(meta["max"] or 1e6, 1e6))
    box.setValue(value)
    box.setToolTip(meta["help"])
    return box


class FinetunePage(QWidget):
    """Signals: start_requested(); choose_folder(); choose_weights()."""

    start_requested = Signal()
    choose_folder = Signal()
    choose_weights = Signal()

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from engine.training.config import config_field

        self.sequence = RunSequence(runner, empty_text="Fine-tune to see both runs' curves",
                                    note="fine-tuned vs from scratch: loss and accuracy")
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("a folder with one sub-folder per class, e.g. "
                                       "hotdog/ and not-hotdog/ (optionally under train/, "
                                       "test/)")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self.choose_folder)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.weights = QComboBox()
        for key, label in WEIGHTS:
            self.weights.addItem(label, key)
        self.weights.activated.connect(self._on_weights)
        self.weights_file = ""
        self.weights_note = QLabel("")
        self.weights_note.setWordWrap(True)
        self.lr = _spin("lr", 5e-5, decimals=6)
        self.epochs = _spin("num_epochs", 5)
        self.batch = _spin("batch_size", 32)
        self.mult = QDoubleSpinBox()
        self.mult.setRange(1, 100)
        self.mult.setValue(10)
        self.mult.setToolTip("The new output layer learns this many times faster than the "
                             "pretrained body (the book: 10)")
        form = QFormLayout()
        form.addRow("Image folder", row)
        form.addRow("Weights", self.weights)
        form.addRow("", self.weights_note)
        form.addRow(config_field("lr").metadata["label"] + " (body)", self.lr)
        form.addRow("Head learning-rate ×", self.mult)
        form.addRow(config_field("num_epochs").metadata["label"], self.epochs)
        form.addRow(config_field("batch_size").metadata["label"], self.batch)
        self.start = QPushButton("Fine-tune, then train from scratch")
        self.start.setToolTip("Two runs on the same folder: the fine-tuned ResNet-18 and the "
                              "same network from random weights at 10× the learning rate "
                              "(the book's comparison)")
        self.start.clicked.connect(self.start_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start)
        buttons.addStretch(1)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.sequence.controls)
        layout.addWidget(self.status)
        layout.addWidget(self.sequence.curves, 1)

    def weights_choice(self) -> str | None:
        """``"pretrained"``, a file path, or None."""
        key = self.weights.currentData()
        if key == "file":
            return self.weights_file or None
        return "pretrained" if key == "pretrained" else None

    def _on_weights(self, *_: object) -> None:
        if self.weights.currentData() == "file":
            self.choose_weights.emit()

    def set_running(self, running: bool) -> None:
        self.start.setEnabled(not running)
