"""Weights & gradients: per-parameter histograms and the gradient norm of each layer per
step, from ``engine.insight.stats.ParamStats`` events (the ``WeightStatsHook``)."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from widgets.plot_panel import PlotPanel

COLOURS = ("#1a73e8", "#d93025", "#188038", "#f9ab00", "#9334e6", "#12b5cb", "#e8710a",
           "#5f6368")
STYLES = ("solid", "dash", "dot")


class WeightsView(QWidget):
    """Grad-norm curves (one per layer and run, log scale) and the latest histograms of
    the chosen parameter (weights and gradients) for each run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.latest: dict[str, object] = {}  # run label -> latest ParamStats
        self._runs: list[str] = []
        self.norms = PlotPanel(title="Gradient norm per layer", x_label="step (batches)",
                               y_label="log₁₀ ‖∂loss/∂W‖")
        self.param = QComboBox()
        self.param.setToolTip("Which parameter tensor the histograms show")
        self.param.currentIndexChanged.connect(self._draw_histograms)
        self.hist_w = pg.PlotWidget(background="w", title="weights")
        self.hist_g = pg.PlotWidget(background="w", title="gradients")
        for p in (self.hist_w, self.hist_g):
            p.getPlotItem().addLegend(labelTextColor="k")
            p.getPlotItem().setLabel("left", "count", color="k")
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Histograms of"))
        top.addWidget(self.param, 1)
        hists = QWidget()
        hl = QVBoxLayout(hists)
        hl.setContentsMargins(0, 0, 0, 0)
        hl.addWidget(self.hist_w)
        hl.addWidget(self.hist_g)
        lower = QWidget()
        ll = QVBoxLayout(lower)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addLayout(top)
        ll.addWidget(hists, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.norms)
        split.addWidget(lower)
        split.setSizes([560, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(split, 1)

    def clear(self) -> None:
        self.latest.clear()
        self._runs.clear()
        self.norms.clear()
        self.param.clear()
        self.hist_w.clear()
        self.hist_g.clear()

    def add_stats(self, stats: object, run: str = "") -> None:
        """Add one ``ParamStats`` sample of run ``run``."""
        if run not in self._runs:
            self._runs.append(run)
        style = STYLES[self._runs.index(run) % len(STYLES)]
        layers = stats.layer_names()  # type: ignore[attr-defined]
        index = {n: i for i, n in enumerate(stats.names)}  # type: ignore[attr-defined]
        for j, name in enumerate(layers):
            key = f"{run} · {name}" if run else name
            if key not in self.norms.series_names():
                self.norms.add_series(key, color=COLOURS[j % len(COLOURS)], style=style)
            g = float(stats.grad_norm[index[name]])  # type: ignore[attr-defined]
            if math.isfinite(g) and g > 0:
                self.norms.append(key, float(stats.global_step), math.log10(g))  # type: ignore[attr-defined]
        self.latest[run] = stats
        if self.param.count() == 0:
            self.param.blockSignals(True)
            self.param.addItems(list(stats.names))  # type: ignore[attr-defined]
            self.param.blockSignals(False)
        self._draw_histograms()

    def _draw_histograms(self, *_: object) -> None:
        name = self.param.currentText()
        self.hist_w.clear()
        self.hist_g.clear()
        for k, (run, stats) in enumerate(self.latest.items()):
            if name not in stats.names:  # type: ignore[attr-defined]
                continue
            i = stats.names.index(name)  # type: ignore[attr-defined]
            colour = COLOURS[k % len(COLOURS)]
            label = f"{run} (step {stats.global_step})"  # type: ignore[attr-defined]
            for plot, counts, edges in ((self.hist_w, stats.weight_counts, stats.weight_edges),  # type: ignore[attr-defined]
                                        (self.hist_g, stats.grad_counts, stats.grad_edges)):  # type: ignore[attr-defined]
                plot.plot(np.asarray(edges[i]), np.asarray(counts[i]), stepMode="center",
                          pen=pg.mkPen(colour, width=2), name=label)

    def series_count(self) -> int:
        return len(self.norms.series_names())
