"""The Weights & gradients page: the book's initialisation experiment one click away
(sigmoid + N(0, 1) vs Xavier, d2l 5.4) with its gradient norms and histograms."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .weights_view import WeightsView

INTRO = ("The same 4-layer sigmoid MLP on the offline shapes, started from weights "
         "~ N(0, 1) and from Xavier-uniform weights. Watch the first losses (N(0, 1) "
         "saturates the sigmoids and blows up the logits) and the gradient norm of each "
         "layer: through the sigmoids the first layer's gradient shrinks to about a "
         "hundredth of the last one's — the book's reason to prefer ReLU.")


class WeightsPage(QWidget):
    """Signals: experiment_requested(), stop_requested()."""

    experiment_requested = Signal()
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run = QPushButton("Run the book's experiment: sigmoid + N(0, 1) vs Xavier")
        self.run.setToolTip("Two short runs (3 epochs of 6,000 examples each) through the "
                            "one training loop, weights and gradients sampled every 5 "
                            "batches")
        self.run.clicked.connect(self.experiment_requested)
        self.stop = QPushButton("Stop")
        self.stop.setEnabled(False)
        self.stop.clicked.connect(self.stop_requested)
        self.status = QLabel(INTRO)
        self.status.setWordWrap(True)
        self.results = QLabel("")
        self.results.setWordWrap(True)
        self.watch = QCheckBox("Also show the Train tab's runs, live")
        self.watch.setChecked(True)
        self.watch.setToolTip("Runs started in the Train tab sample their weights and "
                              "gradients every 20 batches (about 1 % slower, "
                              "benchmarks/insight_overhead.py) and show here as they train")
        bar = QHBoxLayout()
        bar.addWidget(self.run)
        bar.addWidget(self.stop)
        bar.addStretch(1)
        bar.addWidget(self.watch)
        self.view = WeightsView()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(self.results)
        layout.addWidget(self.view, 1)
        self._epochs: dict[str, list[str]] = {}

    def set_running(self, running: bool) -> None:
        self.run.setEnabled(not running)
        self.stop.setEnabled(running)
        if running:
            self.view.clear()
            self._epochs.clear()
            self.results.setText("")

    def add_epoch(self, run: str, event: object) -> None:
        m = event.metrics  # type: ignore[attr-defined]
        line = (f"epoch {event.epoch}: loss {m.get('train_loss', float('nan')):.3f}, "  # type: ignore[attr-defined]
                f"test accuracy {m.get('test_acc', float('nan')):.1%}")
        self._epochs.setdefault(run, []).append(line)
        self.results.setText("<br>".join(f"<b>{r}</b> — " + "; ".join(lines)
                                         for r, lines in self._epochs.items()))
