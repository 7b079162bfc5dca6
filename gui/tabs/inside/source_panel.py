"""Which network to look inside, and which input: a test sample or a dropped image."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gui.image_io import load_for_canvas
from widgets.image_canvas import ImageCanvas

CHECKPOINT = "checkpoint"
PRESETS = ("lenet", "lenet-relu", "lenet-bn", "softmax-regression", "mlp", "alexnet",
           "vgg-11-small", "nin", "resnet-18")


class SourcePanel(QWidget):
    """The network picker, the input picker and the input with its top-k predictions.

    Signals:
        source_chosen(object): a ``jobs.Source`` (or the string ``CHECKPOINT``: ask for
            a file).
        sample_chosen(int): a test sample's index.
        image_dropped(object, str): an RGB uint8 array and its file name.
    """

    source_chosen = Signal(object)
    sample_chosen = Signal(int)
    image_dropped = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sources: list[object] = []
        self.network = QComboBox()
        self.network.setToolTip("The network to look inside: a trained run from the Train "
                                "tab, the network sent from Build, an untrained preset, or "
                                "a checkpoint file")
        self.network.activated.connect(self._on_network_activated)
        self.weights = QLabel("")
        self.weights.setWordWrap(True)
        self.weights.setStyleSheet("color: #5f6368;")
        self.sample = QSpinBox()
        self.sample.setToolTip("Which test example of the network's dataset to feed in")
        self.sample.valueChanged.connect(self.sample_chosen)
        self.open_button = QPushButton("Open image…")
        self.open_button.setToolTip("Or drop an image on the input below; it is resized / "
                                    "greyscaled to what the network takes")
        row = QHBoxLayout()
        row.addWidget(self.sample, 1)
        row.addWidget(self.open_button)
        form = QFormLayout()
        form.addRow("Network", self.network)
        form.addRow("", self.weights)
        form.addRow("Test sample", row)
        self.canvas = ImageCanvas(loader=load_for_canvas,
                                  empty_text="Drop an image here, or pick a test sample")
        self.canvas.setMinimumSize(220, 200)
        self.canvas.image_loaded.connect(self._on_canvas_loaded)
        self.input_note = QLabel("")
        self.input_note.setWordWrap(True)
        self.input_note.setStyleSheet("color: #5f6368;")
        self.predictions = QLabel("")
        self.predictions.setWordWrap(True)
        self.predictions.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.input_note)
        layout.addWidget(QLabel("<b>Top predictions</b>"))
        layout.addWidget(self.predictions)

    # ------------------------------------------------------------------ networks
    def set_sources(self, sources: list[tuple[str, object]], current: int = 0) -> None:
        """``(label, Source)`` entries; a "Checkpoint file…" entry is added last."""
        self._sources = [s for _, s in sources] + [CHECKPOINT]
        self.network.blockSignals(True)
        self.network.clear()
        for label, _ in sources:
            self.network.addItem(label)
        self.network.addItem("Checkpoint file…")
        self.network.setCurrentIndex(current)
        self.network.blockSignals(False)

    def source_index(self) -> int:
        return self.network.currentIndex()

    def _on_network_activated(self, index: int) -> None:
        if 0 <= index < len(self._sources):
            self.source_chosen.emit(self._sources[index])

    def set_subject(self, title: str, weights: str, n_samples: int, sample_note: str) -> None:
        self.weights.setText(f"{title} — {weights}")
        self.sample.blockSignals(True)
        self.sample.setRange(0, max(0, n_samples - 1))
        self.sample.blockSignals(False)
        self.sample.setEnabled(n_samples > 0)
        self.sample.setToolTip(sample_note or f"Test examples 0 … {max(0, n_samples - 1)}")
        if sample_note:
            self.input_note.setText(f"No test samples: {sample_note}. Drop an image.")

    # ------------------------------------------------------------------ input
    def _on_canvas_loaded(self, array: object, path: str, notice: str) -> None:
        from pathlib import Path

        self.image_dropped.emit(array, Path(path).name if path else "image")

    def show_input(self, rgb: object, note: str) -> None:
        self.canvas.set_image(rgb)  # type: ignore[arg-type]
        self.canvas.show_message("")
        self.input_note.setText(note)

    def show_predictions(self, prediction: object | None, true_name: str = "") -> None:
        if prediction is None:
            self.predictions.setText("—")
            return
        rows = []
        for name, p in zip(prediction.names, prediction.probs, strict=True):  # type: ignore[attr-defined]
            mark = " ✓" if true_name and name == true_name else ""
            width = max(1, round(p * 120))
            rows.append(f"<tr><td align='right'>{p:.1%}</td><td><table cellspacing=0 "
                        f"cellpadding=0><tr><td bgcolor='#1a73e8' width={width} "
                        f"height=10></td></tr></table></td><td>{name}{mark}</td></tr>")
        head = f"true class: <b>{true_name}</b><br>" if true_name else ""
        lines = ["<table cellspacing=3>", *rows, "</table>"]
        self.predictions.setText(head + "".join(lines))
