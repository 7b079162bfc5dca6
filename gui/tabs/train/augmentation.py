"""The Train tab's train-time augmentation: a pipeline handed over from the Augment tab.

Shown under the data panel as one line (its name and steps) with *Clear*; the next runs
train with it, drawn per example by the training core (``RunConfig.transforms``), and
the runs list names it, so an augmented run and a plain one overlay side by side — the
book's experiment (d2l 14.1.4).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from engine.augment import PipelineSpec
from engine.augment.training import training_transforms


class AugmentationRow(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec: PipelineSpec | None = None
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Train without augmentation again")
        self.clear_button.clicked.connect(lambda: self.set_spec(None))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.clear_button)
        self.set_spec(None)

    def set_spec(self, spec: PipelineSpec | None) -> None:
        self.spec = spec if spec is not None and spec.enabled_steps() else None
        if self.spec is None:
            self.label.setText("Augmentation: none (Augment tab → Use in training)")
            self.label.setStyleSheet("color: #666;")
        else:
            steps = ", ".join(s.type for _, s in self.spec.enabled_steps())
            self.label.setText(f"Augmentation: <b>{self.spec.name}</b> — {steps}, drawn per "
                               f"training example (test data stays plain)")
            self.label.setStyleSheet("")
        self.clear_button.setVisible(self.spec is not None)
        self.changed.emit()

    def name(self) -> str:
        return "" if self.spec is None else self.spec.name

    def transforms(self, input_shape: tuple[int, ...] | None) -> tuple[dict, ...]:
        """``RunConfig.transforms`` for data of ``input_shape``; ValueError saying why the
        pipeline cannot train on it (the step named)."""
        if self.spec is None:
            return ()
        if input_shape is None:
            raise ValueError("this dataset's image size is known only once it is loaded; "
                             "set Resize so the pipeline can be checked against it")
        return training_transforms(self.spec, input_shape=tuple(input_shape))
