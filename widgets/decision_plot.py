"""DecisionPlot: a 2-D classifier's decision regions with the data on top (numpy in).

The regions are one ``ImageItem`` placed over the grid's bounds with ``setRect``: each
cell takes its predicted class's colour, blended towards white where the classifier is
unsure (TensorFlow Playground's look). The points are one ``ScatterPlotItem`` per class,
so the legend names the classes. An empty state explains when there is nothing to draw.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

# TensorFlow Playground's orange and blue first, then distinct hues.
CLASS_COLORS = ("#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
CAPTION = "colour = predicted class, paler = less confident · dots = data points"


def class_rgb(index: int) -> tuple[int, int, int]:
    color = QColor(CLASS_COLORS[index % len(CLASS_COLORS)])
    return color.red(), color.green(), color.blue()


def region_rgb(classes: np.ndarray, confidence: np.ndarray, num_classes: int, *,
               palest: float = 0.12, strongest: float = 0.7) -> np.ndarray:
    """Colour per cell: ``uint8[H, W, 3]`` from ``classes (int[H, W])`` and
    ``confidence (float[H, W])`` in ``[1 / num_classes, 1]``.

    A cell at chance level (confidence ``1 / num_classes``) gets ``palest`` of its class
    colour over white, a certain one ``strongest`` (below 1 so the dots stay visible).
    """
    k = max(int(num_classes), 1)
    palette = np.array([class_rgb(i) for i in range(max(k, int(classes.max(initial=0)) + 1))],
                       dtype=np.float32)
    chance = 1.0 / k
    sure = np.nan_to_num(confidence.astype(np.float32), nan=chance)
    t = np.clip((sure - chance) / max(1.0 - chance, 1e-6), 0.0, 1.0)
    weight = (palest + (strongest - palest) * t)[..., None]
    rgb = 255.0 * (1.0 - weight) + palette[classes.astype(np.intp)] * weight
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


class DecisionPlot(QWidget):
    """Decision regions (``set_regions``) and data points (``set_points``) on x₁, x₂ axes;
    ``show_empty(text)`` swaps both for a message."""

    def __init__(self, *, x_label: str = "x₁", y_label: str = "x₂",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background="w")
        self.plot_item = self.plot.getPlotItem()
        self.plot_item.setLabel("bottom", x_label, color="k")
        self.plot_item.setLabel("left", y_label, color="k")
        self.plot_item.setAspectLocked(True)
        self.plot_item.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        self.plot_item.addItem(self.image)
        self.legend = self.plot_item.addLegend(offset=(-8, 8), labelTextColor="k",
                                               brush=pg.mkBrush(255, 255, 255, 210))
        self._scatters: list[pg.ScatterPlotItem] = []
        self.caption = QLabel(CAPTION)
        self.caption.setStyleSheet("color: #555;")
        self.caption.setWordWrap(True)
        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet("color: #777; font-size: 11pt; background: white;")
        page = QWidget()
        col = QVBoxLayout(page)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.plot, 1)
        col.addWidget(self.caption)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.show_empty("")

    def is_empty(self) -> bool:
        return self.stack.currentIndex() == 0

    def show_empty(self, text: str) -> None:
        """Hide regions and points; show ``text`` instead."""
        self.empty_label.setText(text)
        self.stack.setCurrentIndex(0)
        self.image.clear()
        self.set_points(np.zeros((0, 2), np.float32), np.zeros(0, np.int64), ())

    def set_points(self, X: np.ndarray, y: np.ndarray, class_names: tuple[str, ...]) -> None:
        """Data points ``X (float[N, 2])`` with labels ``y (int[N])``, one colour per class."""
        for item in self._scatters:
            self.plot_item.removeItem(item)
            self.legend.removeItem(item)
        self._scatters = []
        n_classes = max(len(class_names), int(y.max(initial=-1)) + 1)
        for c in range(n_classes):
            pts = X[y == c]
            name = class_names[c] if c < len(class_names) else f"class {c}"
            item = pg.ScatterPlotItem(pts[:, 0], pts[:, 1], size=6, name=name,
                                      brush=pg.mkBrush(*class_rgb(c)),
                                      pen=pg.mkPen("w", width=0.8))
            self.plot_item.addItem(item)
            self._scatters.append(item)
        if len(X):
            self.stack.setCurrentIndex(1)

    def set_regions(self, classes: np.ndarray, confidence: np.ndarray,
                    bounds: tuple[float, float, float, float], num_classes: int) -> None:
        """Regions from ``classes (int[H, W])`` and ``confidence (float[H, W])``; row 0 is
        the bottom of ``bounds = (x_min, x_max, y_min, y_max)``, column 0 the left."""
        rgb = region_rgb(classes, confidence, num_classes)
        self.image.setImage(rgb, autoLevels=False, levels=(0, 255))
        x0, x1, y0, y1 = bounds
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self.plot_item.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self.stack.setCurrentIndex(1)

    def points_shown(self) -> int:
        return sum(len(item.data) for item in self._scatters)

    def regions_shape(self) -> tuple[int, ...] | None:
        image = self.image.image
        return None if image is None else tuple(image.shape[:2])
