"""PlotPanel: live curves (pyqtgraph) with legend, axis labels and export.

One ``PlotDataItem`` per series backed by growing numpy buffers. ``append`` only
marks the series dirty; a timer pushes ``setData`` at most ``max_fps`` times a
second, so a fast producer cannot stall the UI.

Axes show plain numbers (pyqtgraph's SI-prefix scaling turned "epoch 0.8" into
"epoch (x0.001)" with ticks to 800). The legend sits in rows below the plot, so it never
covers a curve.
"""

from __future__ import annotations

import csv
import os
from contextlib import suppress
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from widgets.file_filters import fit_suffix

CSV_FILTER, PNG_FILTER = "CSV files (*.csv)", "PNG images (*.png)"
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


class _Series:
    def __init__(self, item: pg.PlotDataItem) -> None:
        self.item = item
        self.x = np.empty(256)
        self.y = np.empty(256)
        self.n = 0
        self.dirty = False

    def append(self, x: float, y: float) -> None:
        if self.n == len(self.x):
            size = max(256, 2 * self.n)  # also after set() with empty arrays
            self.x = np.resize(self.x, size)
            self.y = np.resize(self.y, size)
        self.x[self.n] = x
        self.y[self.n] = y
        self.n += 1
        self.dirty = True

    def set(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x = np.array(x, dtype=np.float64)
        self.y = np.array(y, dtype=np.float64)
        self.n = len(self.x)
        self.dirty = True

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[: self.n], self.y[: self.n]


class _LegendBelow(pg.LegendItem):
    """A legend laid out by the plot's grid (below the axis) instead of floating in the
    view: it asks the layout for its size rather than setting its own geometry."""

    def updateSize(self) -> None:  # noqa: N802 (pyqtgraph naming)
        self.layout.setContentsMargins(4, 0, 4, 2)
        self.layout.invalidate()
        hint = self.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize)
        self.setMinimumHeight(hint.height())
        self.setMaximumHeight(hint.height())
        self.setPreferredWidth(hint.width())
        self.updateGeometry()

    def paint(self, p, *args) -> None:  # no frame: it is part of the plot's margin
        pass


class PlotPanel(QWidget):
    """Curves with a legend, labelled axes, CSV/PNG export.

    Signals: ``exported(path)`` after a save; ``export_failed(message)`` when one could
    not be written (a sentence naming the chosen path).
    """

    exported = Signal(str)
    export_failed = Signal(str)

    def __init__(self, *, title: str = "", x_label: str = "", x_unit: str | None = None,
                 y_label: str = "", y_unit: str | None = None, max_fps: float = 30.0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background="w")
        self.plot_item = self.plot.getPlotItem()
        if title:
            self.plot_item.setTitle(title, color="k")
        self.plot_item.setLabel("bottom", x_label, units=x_unit, color="k")
        self.plot_item.setLabel("left", y_label, units=y_unit, color="k")
        self.plot_item.showGrid(x=True, y=True, alpha=0.25)
        for name in ("bottom", "left"):
            axis = self.plot_item.getAxis(name)
            axis.enableAutoSIPrefix(False)
            # pyqtgraph 0.14 still scales the tick values when the prefix is off (only the
            # "(x0.001)" label goes); no enable ranges keeps the scale at 1.
            axis.setSIPrefixEnableRanges(())
        # The legend sits under the plot, in rows of up to three entries, so it never
        # covers a curve (inside the view it hid the top right, where accuracy climbs).
        self.legend = _LegendBelow(colCount=3, labelTextColor="k", labelTextSize="8pt",
                                   verSpacing=-8, horSpacing=18)
        self.plot_item.layout.addItem(self.legend, 4, 1)
        self.plot_item.legend = self.legend  # plot(name=...) adds its entry here
        self._series: dict[str, _Series] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, int(1000 / max_fps)))
        self._timer.timeout.connect(self.flush)
        self._timer.start()
        self.redraws = 0  # how many times data was pushed to the scene (for checks)

        csv_btn = QPushButton("Export CSV…")
        csv_btn.setToolTip("Save the curve data as a CSV file")
        csv_btn.clicked.connect(self._ask_csv)
        png_btn = QPushButton("Export PNG…")
        png_btn.setToolTip("Save the plot as a PNG picture")
        png_btn.clicked.connect(self._ask_png)
        self.empty_label = QLabel("")
        self.empty_label.setStyleSheet("color: #666;")
        bar = QHBoxLayout()
        bar.addWidget(self.empty_label, 1)
        bar.addWidget(csv_btn)
        bar.addWidget(png_btn)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addLayout(bar)

    # ------------------------------------------------------------ series
    def add_series(self, name: str, *, color: str | None = None, style: str = "solid",
                   width: float = 2.0, symbol: str | None = None) -> None:
        """Create a named series (idempotent)."""
        if name in self._series:
            return
        color = color or PALETTE[len(self._series) % len(PALETTE)]
        dash = {"solid": None, "dash": [6, 4], "dot": [2, 3]}.get(style)
        pen = pg.mkPen(color, width=width, dash=dash)
        item = self.plot_item.plot([], [], pen=pen, name=name, symbol=symbol,
                                   symbolBrush=color, symbolSize=6, symbolPen=None)
        self._series[name] = _Series(item)

    def append(self, name: str, x: float, y: float) -> None:
        if name not in self._series:
            self.add_series(name)
        self._series[name].append(float(x), float(y))

    def set_series(self, name: str, x: np.ndarray, y: np.ndarray, **style: object) -> None:
        if name not in self._series:
            self.add_series(name, **style)  # type: ignore[arg-type]
        self._series[name].set(x, y)

    def remove_series(self, name: str) -> None:
        series = self._series.pop(name, None)
        if series is not None:
            self.plot_item.removeItem(series.item)
            self.legend.removeItem(series.item)

    def clear(self) -> None:
        for name in list(self._series):
            self.remove_series(name)

    def series_names(self) -> list[str]:
        return list(self._series)

    def series_data(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        return self._series[name].data()

    def flush(self) -> None:
        """Push dirty series to the scene (called by the timer)."""
        for series in self._series.values():
            if series.dirty:
                x, y = series.data()
                series.item.setData(x, y)
                series.dirty = False
                self.redraws += 1

    # ------------------------------------------------------------ export
    def export_csv(self, path: str | os.PathLike[str]) -> bool:
        """One row per point: series, x, y. Written atomically; False (and
        ``export_failed``) if the file could not be written."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")

        def write() -> None:
            with open(tmp, "w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                x_name = self.plot_item.getAxis("bottom").labelText or "x"
                y_name = self.plot_item.getAxis("left").labelText or "y"
                writer.writerow(["series", x_name, y_name])
                for name, series in self._series.items():
                    for xv, yv in zip(*series.data(), strict=True):
                        writer.writerow([name, repr(float(xv)), repr(float(yv))])

        return self._write(path, tmp, write)

    def export_png(self, path: str | os.PathLike[str], *, width: int = 1200) -> bool:
        """The plot as a PNG ``width`` pixels wide; False (and ``export_failed``) if the
        file could not be written."""
        self.flush()
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp.png")

        def write() -> None:
            exporter = pyqtgraph.exporters.ImageExporter(self.plot_item)
            exporter.parameters()["width"] = width
            if exporter.export(str(tmp)) is False or not tmp.is_file():
                raise OSError(f"the picture could not be written in {path.parent}")

        return self._write(path, tmp, write)

    def _write(self, path: Path, tmp: Path, write) -> bool:
        try:
            write()
            os.replace(tmp, path)
        except OSError as exc:
            with suppress(OSError):
                tmp.unlink(missing_ok=True)
            self.export_failed.emit(f"could not save {path}: {_reason(path, exc)}")
            return False
        self.exported.emit(str(path))
        return True

    def _ask_csv(self) -> None:
        path = self._ask("Export curve data", "curves.csv", CSV_FILTER)
        if path:
            self.export_csv(path)

    def _ask_png(self) -> None:
        path = self._ask("Export plot", "plot.png", PNG_FILTER)
        if path:
            self.export_png(path)

    def _ask(self, title: str, name: str, file_filter: str) -> str | None:
        path, chosen = QFileDialog.getSaveFileName(self, title, name, file_filter)
        if not path:
            return None
        path, problem = fit_suffix(path, chosen or file_filter)
        if problem is not None:
            self.export_failed.emit(problem)
            return None
        return path


def _reason(path: Path, exc: OSError) -> str:
    """Why ``path`` could not be written, without naming the temporary file."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                return f"{parent} is a file, not a folder"
            break
    if not path.parent.is_dir():
        return f"the folder {path.parent} does not exist"
    if path.is_dir():
        return f"{path} is a folder"
    if exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    return str(exc)
