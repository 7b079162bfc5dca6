"""The Animator for any task: the curves of one run, or of several selected runs overlaid.

Which curves and how they look come from each run's metric descriptions
(``gui.training.metrics.series_for``). One run: a colour and line style per curve (the
book's look for a classifier: train loss solid, train acc dashed, test acc dotted with a
dot per epoch end). Several runs: a colour per run, the line style per curve, legend
entries named after what differs between the runs ("run 2 lr=0.9 · train loss").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from gui.training.metrics import axis_label, series_for, short_label
from gui.training.runs import LIVE, Run
from widgets.plot_panel import PALETTE, PlotPanel

EMPTY_TEXT = "Press Train to start — curves appear here"
NOTE = ("x: fractional epoch · train loss / acc: running mean over the epoch so far, like "
        "the book's Animator")
NOTE_FOR = ("x: fractional epoch · train {}: running mean over the epoch so far, like the "
            "book's Animator")
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
    """A ``PlotPanel`` that draws ``Run`` curves; ``show_runs`` picks which runs,
    ``add_point`` records a live figure and draws it.

    Args:
        empty_text: the notice while no run is shown.
        note: the line under the plot (what x and the training figures mean); default
            from ``metrics``.
        metrics: the task's metric descriptions (``task_metrics("detection")``): the left
            axis label before a run is shown; default a classifier's (loss / accuracy).
    """

    def __init__(self, *, empty_text: str = EMPTY_TEXT, note: str | None = None,
                 metrics: Sequence[Any] = (), parent: QWidget | None = None) -> None:
        self.default_metrics = tuple(metrics)
        super().__init__(x_label="epoch", y_label=self._empty_axis_label(), parent=parent)
        if note is None:
            train = [short_label(m) for m in self.default_metrics
                     if "train" in getattr(m, "splits", ("train", "test"))]
            note = NOTE_FOR.format(" / ".join(["loss", *train])) if metrics else NOTE
        self.empty = empty_text
        self.plot_item.setXRange(0, 1)
        self.plot_item.setYRange(0, 1)
        self.empty_text = pg.TextItem(empty_text, color="#777", anchor=(0.5, 0.5))
        self.empty_text.setPos(0.5, 0.5)
        self.plot_item.addItem(self.empty_text, ignoreBounds=True)
        self.empty_label.setText(note)
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
            runs[0].status not in LIVE)
        self.empty_text.setText(self.empty if not runs else (
            f"no finite points to draw — {runs[0].reason or runs[0].status}" if blank else ""))
        self.empty_text.setVisible(not runs or blank)
        title = f"run {runs[0].number}: {runs[0].describe()}" if len(runs) == 1 else (
            f"{len(runs)} runs overlaid" if runs else "")
        self.plot_item.setTitle(title, color="#333", size="10pt")
        labels = run_labels(self.shown)
        many = len(self.shown) > 1
        for i, run in enumerate(self.shown):
            for s in series_for(run.metrics):
                if s.key not in run.curves and run.status not in LIVE:
                    continue  # a live run's legend is complete from the start
                name = f"{labels[run.number]} · {s.title}" if many else s.title
                colour = PALETTE[i % len(PALETTE)] if many else s.colour
                self.add_series(name, color=colour, style=s.style, symbol=s.symbol,
                                width=s.width)
                self._names[(run.number, s.key)] = name
                xs, ys = run.curves.get(s.key, ([], []))
                if xs:
                    self.set_series(name, np.asarray(xs, float), np.asarray(ys, float))
        self._set_axis()
        self.flush()
        if any(len(self.series_data(n)[0]) for n in self.series_names()):
            self.plot_item.enableAutoRange()
        else:  # nothing to fit: a fixed unit view keeps the notice in its middle
            self.plot_item.disableAutoRange()
            self.plot_item.setXRange(0, 1, padding=0.02)
            self.plot_item.setYRange(0, 1, padding=0.02)
        if self.empty_text.isVisible():
            self.empty_text.setPos(0.5, 0.5)

    def _set_axis(self) -> None:
        # Losses alone (regression) fall by orders of magnitude (30 -> 1e-4): a log axis.
        log = bool(self.shown) and not any(r.metrics for r in self.shown)
        self.plot_item.setLogMode(y=log)
        metrics = {m.key: m for r in self.shown for m in r.metrics}
        label = "loss (log scale)" if log else (
            axis_label(metrics.values()) if metrics else self._empty_axis_label())
        self.plot_item.setLabel("left", label, color="k")

    def _empty_axis_label(self) -> str:
        """The left axis with no run shown: the task's metrics, else a classifier's."""
        return axis_label(self.default_metrics) if self.default_metrics else "loss / accuracy"

    def add_point(self, run: Run, key: str, x: float, y: float | None) -> None:
        """Record a live point on ``run`` and draw it if that run is shown."""
        if not run.add_point(key, x, y):
            return
        self.draw_point(run, key, x, y)

    def draw_point(self, run: Run, key: str, x: float, y: float | None) -> None:
        """Draw a point already recorded on ``run`` (``record_progress`` / ``record_epoch``)."""
        if y is None:
            return
        name = self._names.get((run.number, key))
        if name is None:
            wanted = any(s.key == key for s in series_for(run.metrics))
            if wanted and any(r is run for r in self.shown):
                self.show_runs(self.shown)  # a curve the legend did not expect
            return
        self.append(name, x, float(y))
