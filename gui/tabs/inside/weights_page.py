"""The Weights & gradients page: the book's initialisation experiment one click away
(sigmoid + N(0, 1) vs Xavier, d2l 5.4) — the two runs' curves overlaid on the shared
training views, with their gradient norms per layer and histograms."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui.workers import JobRunner

from .run_pair import RunSequence
from .weights_view import WeightsView

INTRO = ("The same 4-layer sigmoid MLP on the offline shapes, started from weights "
         "~ N(0, 1) and from Xavier-uniform weights. Watch the first losses (N(0, 1) "
         "saturates the sigmoids and blows up the logits) and the gradient norm of each "
         "layer: through the sigmoids the first layer's gradient shrinks to about a "
         "hundredth of the last one's — the book's reason to prefer ReLU.")


class WeightsPage(QWidget):
    """Signals: experiment_requested()."""

    experiment_requested = Signal()

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sequence = RunSequence(runner, empty_text="Run the experiment to see both "
                                    "runs' curves", note="loss and accuracy of both runs")
        self.run = QPushButton("Run the book's experiment: sigmoid + N(0, 1) vs Xavier")
        self.run.setToolTip("Two short runs (3 epochs of 6,000 examples each) through the "
                            "one training loop, weights and gradients sampled every 5 "
                            "batches")
        self.run.clicked.connect(self.experiment_requested)
        self.watch = QCheckBox("Also show the Train tab's runs, live")
        self.watch.setChecked(True)
        self.watch.setToolTip("Runs started in the Train tab sample their weights and "
                              "gradients every 20 batches (about 1 % slower, "
                              "benchmarks/insight_overhead.py) and show here as they train")
        self.status = QLabel(INTRO)
        self.status.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(self.run)
        bar.addStretch(1)
        bar.addWidget(self.watch)
        self.view = WeightsView()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.sequence.curves)
        split.addWidget(self.view)
        split.setSizes([300, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.sequence.controls)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)

    def set_running(self, running: bool) -> None:
        self.run.setEnabled(not running)
        if running:
            self.view.clear()
