"""The Animator: loss / accuracy curves of one run, or of several selected runs overlaid.

One run: the book's look (train loss solid, train acc dashed, test acc with dots at
epoch ends). Several runs: a colour per run and a line style per metric, legend entries
named after what differs between them ("run 2 lr=0.9 · train loss").
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from gui.tabs.train.runs import Run
from widgets.plot_panel import PALETTE, PlotPanel

EMPTY_TEXT = "Press Train to start — curves appear here"
METRICS = {  # name -> (legend title, colour for a single run, line style, symbol)
    "train_loss": ("train loss", "#1f77b4", "solid", None),
    "train_acc": ("train acc", "#d62728", "dash", None),
    "test_loss": ("test loss", "#9467bd", "dash", "o"),
    "test_acc": ("test acc", "#2ca02c", "dot", "o"),
}
DIFF_KEYS = (("network", "{}"), ("dataset", "{}"), ("lr", "lr={:g}"),
             ("batch_size", "batch={}"), ("optimizer", "{}"), ("weight_decay", "wd={:g}"),
             ("loss", "{}"), ("init", "init={}"), ("seed", "seed={}"))


def _run_values(run: Run) -> dict[str, object]:
    return {"network": run.network, "dataset": run.dataset, **run.settings}


def run_labels(runs: list[Run]) -> dict[int, str]:
    """``run N`` plus the settings that differ between ``runs`` (lr first of all)."""
    values = [_run_values(r) for r in runs]
    differing = [(k, fmt) for k, fmt in DIFF_KEYS
                 if len({repr(v.get(k)) for v in values}) > 1]
    if len(runs) > 1 and not differing:
        differing = [("lr", "lr={:g}")]
    labels = {}
    for run, vals in zip(runs, values, strict=True):
        parts = [f"run {run.number}"]
        for key, fmt in differing:
            value = vals.get(key)
            if value is not None:
                parts.append(fmt.format(value))
        labels[run.number] = " ".join(parts)
    return labels


class CurvesView(PlotPanel):
    """A ``PlotPanel`` that draws ``Run`` curves; ``show_runs`` picks which."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(x_label="epoch", y_label="loss / accuracy", parent=parent)
        self.plot_item.setXRange(0, 1)
        self.plot_item.setYRange(0, 1)
        self.empty_text = pg.TextItem(EMPTY_TEXT, color="#777", anchor=(0.5, 0.5))
        self.empty_text.setPos(0.5, 0.5)
        self.plot_item.addItem(self.empty_text, ignoreBounds=True)
        self.empty_label.setText("x: fractional epoch · train loss / acc: running mean over "
                                 "the epoch so far, like the book's Animator")
        self.empty_label.setWordWrap(True)
        self.empty_label.setMinimumWidth(80)  # long text wraps instead of widening the window
        self.shown: list[Run] = []
        self._names: dict[tuple[int, str], str] = {}

    def show_runs(self, runs: list[Run]) -> None:
        """Redraw every series for ``runs`` (a selection change, not a live update)."""
        self.clear()
        self._names.clear()
        self.shown = list(runs)
        blank = len(runs) == 1 and not any(xs for xs, _ in runs[0].curves.values()) and (
            runs[0].status not in ("running", "paused"))
        self.empty_text.setText(EMPTY_TEXT if not runs else (
            f"no finite points to draw — {runs[0].reason or runs[0].status}" if blank else ""))
        self.empty_text.setVisible(not runs or blank)
        title = f"run {runs[0].number}: {runs[0].describe()}" if len(runs) == 1 else (
            f"{len(runs)} runs overlaid" if runs else "")
        self.plot_item.setTitle(title, color="#333", size="10pt")
        labels = run_labels(self.shown)
        many = len(self.shown) > 1
        for i, run in enumerate(self.shown):
            for metric, (title, color, style, symbol) in METRICS.items():
                if metric not in run.curves and not self._expects(run, metric):
                    continue
                name = f"{labels[run.number]} · {title}" if many else title
                if many:
                    color = PALETTE[i % len(PALETTE)]
                self.add_series(name, color=color, style=style, symbol=symbol,
                                width=2.0 if metric == "train_loss" else 1.6)
                self._names[(run.number, metric)] = name
                xs, ys = run.curves.get(metric, ([], []))
                if xs:
                    self.set_series(name, np.asarray(xs, float), np.asarray(ys, float))
        # Regression losses fall by orders of magnitude (30 -> 1e-4): a log axis shows it.
        log = bool(self.shown) and all(r.task == "regression" for r in self.shown)
        self.plot_item.setLogMode(y=log)
        self.plot_item.setLabel("left", "loss (log scale)" if log else "loss / accuracy",
                                color="k")
        self.flush()
        if any(len(self.series_data(n)[0]) for n in self.series_names()):
            self.plot_item.enableAutoRange()
        else:  # nothing to fit: a fixed unit view keeps the notice in its middle
            self.plot_item.disableAutoRange()
            self.plot_item.setXRange(0, 1, padding=0.02)
            self.plot_item.setYRange(0, 1, padding=0.02)
        if self.empty_text.isVisible():
            self.empty_text.setPos(0.5, 0.5)

    @staticmethod
    def _expects(run: Run, metric: str) -> bool:
        """Series a live run will fill, so the legend is complete from the start."""
        if run.status not in ("running", "paused"):
            return False
        if run.task == "regression":
            return metric in ("train_loss", "test_loss")
        return metric in ("train_loss", "train_acc", "test_acc")

    def add_point(self, run: Run, metric: str, x: float, y: float | None) -> None:
        """Record a live point on ``run`` and draw it if that run is shown."""
        if not run.add_point(metric, x, y):
            return
        name = self._names.get((run.number, metric))
        if name is None:
            if any(r is run for r in self.shown):
                self.show_runs(self.shown)  # a metric the legend did not expect
            return
        self.append(name, x, float(y))  # type: ignore[arg-type]
