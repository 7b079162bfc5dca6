"""Labelled float slider and range slider (superqt), with a title and tooltip.

Values are emitted debounced-free (superqt emits on every move); callers that do
heavy work on change should debounce (``superqt.utils.qdebounced``) or use a worker.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget
from superqt import QLabeledDoubleRangeSlider, QLabeledDoubleSlider


def _titled_row(owner: QWidget, title: str, slider: QWidget, tooltip: str) -> QLabel:
    """Lay out ``title  [slider]`` in ``owner`` (no margins, slider stretches), set
    ``owner``'s tooltip if given, and return the title label."""
    label = QLabel(title)
    label.setMinimumWidth(90)
    layout = QHBoxLayout(owner)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(label)
    layout.addWidget(slider, 1)
    if tooltip:
        owner.setToolTip(tooltip)
    return label


class LabeledSlider(QWidget):
    """``title  [====o====] 0.50`` — a float slider with its name and unit."""

    value_changed = Signal(float)

    def __init__(self, title: str, *, minimum: float = 0.0, maximum: float = 1.0,
                 value: float = 0.5, decimals: int = 2, step: float | None = None,
                 tooltip: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.slider.setDecimals(decimals)
        self.slider.setRange(minimum, maximum)
        if step is not None:
            self.slider.setSingleStep(step)
        self.slider.setValue(value)
        self.slider.valueChanged.connect(lambda v: self.value_changed.emit(float(v)))
        self.title = _titled_row(self, title, self.slider, tooltip)

    def value(self) -> float:
        return float(self.slider.value())

    def setValue(self, value: float) -> None:  # noqa: N802 (Qt naming)
        self.slider.setValue(value)


class LabeledRangeSlider(QWidget):
    """A float range slider with a title; emits ``range_changed(low, high)``."""

    range_changed = Signal(float, float)

    def __init__(self, title: str, *, minimum: float = 0.0, maximum: float = 1.0,
                 value: tuple[float, float] = (0.25, 0.75), decimals: int = 2,
                 tooltip: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QLabeledDoubleRangeSlider(Qt.Orientation.Horizontal)
        self.slider.setDecimals(decimals)
        self.slider.setRange(minimum, maximum)
        self.slider.setValue(value)
        self.slider.valueChanged.connect(self._emit)
        self.title = _titled_row(self, title, self.slider, tooltip)

    def _emit(self, value: tuple[float, float]) -> None:
        low, high = value
        self.range_changed.emit(float(low), float(high))

    def value(self) -> tuple[float, float]:
        low, high = self.slider.value()
        return float(low), float(high)

    def setValue(self, value: tuple[float, float]) -> None:  # noqa: N802
        self.slider.setValue(value)
