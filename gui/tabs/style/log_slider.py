"""A slider on a log scale with a typed value beside it (weights, learning rates).

The leftmost position means 0 when ``allow_zero`` ("off"); any value typed into the box
is used as is (within ``maximum``), the slider follows as well as it can.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QSlider, QWidget

STEPS_PER_DECADE = 20


def format_value(value: float) -> str:
    if value == 0:
        return "0"
    return f"{value:.3g}" if 1e-3 <= abs(value) < 1e4 else f"{value:.2e}".replace("e+0", "e")\
        .replace("e-0", "e-").replace("e+", "e")


class LogSlider(QWidget):
    """``title  [===o===]  [1e4]``; emits ``value_changed(float)`` on each change."""

    value_changed = Signal(float)

    def __init__(self, title: str, *, minimum: float, maximum: float, value: float,
                 allow_zero: bool = False, tooltip: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if minimum <= 0 or maximum <= minimum:
            raise ValueError("LogSlider needs 0 < minimum < maximum")
        self._lo, self._hi = math.log10(minimum), math.log10(maximum)
        self._allow_zero = allow_zero
        self._value = value
        self.title = QLabel(title)
        self.title.setMinimumWidth(80)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        n = round((self._hi - self._lo) * STEPS_PER_DECADE)
        self.slider.setRange(-1 if allow_zero else 0, n)
        self.slider.setPageStep(STEPS_PER_DECADE)
        self.edit = QLineEdit()
        self.edit.setFixedWidth(72)
        self.edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.title)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.edit)
        if tooltip:
            self.setToolTip(tooltip)
        self.edit.setToolTip("Type any value, e.g. 1e4" + (" or 0 (off)" if allow_zero else ""))
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.edit.editingFinished.connect(self._on_edit_editing_finished)
        self.setValue(value)

    def value(self) -> float:
        return self._value

    def setValue(self, value: float) -> None:  # noqa: N802 (Qt naming)
        """Show ``value`` without emitting ``value_changed``."""
        self._value = float(value)
        self.slider.blockSignals(True)
        self.slider.setValue(self._position(self._value))
        self.slider.blockSignals(False)
        self.edit.setText(format_value(self._value))
        self.edit.setStyleSheet("")

    def _position(self, value: float) -> int:
        if value <= 0:
            return self.slider.minimum()
        pos = round((math.log10(value) - self._lo) * STEPS_PER_DECADE)
        return max(0, min(self.slider.maximum(), pos))

    def _on_slider_value_changed(self, pos: int) -> None:
        value = 0.0 if pos < 0 else 10 ** (self._lo + pos / STEPS_PER_DECADE)
        value = float(f"{value:.3g}")
        self._value = value
        self.edit.setText(format_value(value))
        self.edit.setStyleSheet("")
        self.value_changed.emit(value)

    def _on_edit_editing_finished(self) -> None:
        text = self.edit.text().strip()
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not math.isfinite(value) or value < 0 or (value == 0 and not self._allow_zero) \
                or value > 10 ** self._hi * 1e4:
            self.edit.setStyleSheet("QLineEdit { background: #fce8e6; }")
            self.edit.setToolTip(f"'{text}' is not a usable value; "
                                 f"{format_value(self._value)} stays in use.")
            return
        if value == self._value:
            self.setValue(value)
            return
        self.setValue(value)
        self.value_changed.emit(value)
