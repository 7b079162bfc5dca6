"""FloatListEditor: edit a short list of floats (e.g. anchor sizes) with sliders.

One labelled slider per entry, a remove button per row and an "Add" button.
``values_changed(list)`` fires on every change.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QToolButton, QVBoxLayout, QWidget

from widgets.sliders import LabeledSlider


class FloatListEditor(QWidget):
    values_changed = Signal(list)

    def __init__(self, name: str, values: Sequence[float], *, minimum: float, maximum: float,
                 decimals: int = 2, max_items: int = 8, tooltip: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._name, self._min, self._max = name, minimum, maximum
        self._decimals, self._max_items, self._tooltip = decimals, max_items, tooltip
        self._rows: list[tuple[QWidget, LabeledSlider]] = []
        self._rows_layout = QVBoxLayout()
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self.add_button = QPushButton(f"+ Add {name}")
        self.add_button.setToolTip(f"Add another {name} value")
        self.add_button.clicked.connect(self._on_add_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._rows_layout)
        layout.addWidget(self.add_button)
        self.set_values(values)

    def values(self) -> list[float]:
        return [slider.value() for _, slider in self._rows]

    def set_values(self, values: Sequence[float]) -> None:
        for row, _ in self._rows:
            row.setParent(None)
            row.deleteLater()
        self._rows = []
        for v in values:
            self._add_row(float(v))
        self._update_buttons()
        self.values_changed.emit(self.values())

    def _add_row(self, value: float) -> None:
        row = QWidget()
        h = QHBoxLayout(row)
        h.setContentsMargins(0, 0, 0, 0)
        slider = LabeledSlider(f"{self._name} {len(self._rows) + 1}", minimum=self._min,
                               maximum=self._max, value=value, decimals=self._decimals,
                               tooltip=self._tooltip)
        slider.value_changed.connect(lambda _v: self.values_changed.emit(self.values()))
        remove = QToolButton()
        remove.setText("✕")
        remove.setToolTip(f"Remove this {self._name}")
        remove.clicked.connect(lambda _=False, r=row: self._remove_row(r))
        h.addWidget(slider, 1)
        h.addWidget(remove)
        self._rows_layout.addWidget(row)
        self._rows.append((row, slider))

    def _remove_row(self, row: QWidget) -> None:
        if len(self._rows) <= 1:
            return
        self._rows = [(r, s) for r, s in self._rows if r is not row]
        row.setParent(None)
        row.deleteLater()
        for i, (_, slider) in enumerate(self._rows):
            slider.title.setText(f"{self._name} {i + 1}")
        self._update_buttons()
        self.values_changed.emit(self.values())

    def _on_add_clicked(self) -> None:
        last = self.values()[-1] if self._rows else (self._min + self._max) / 2
        self._add_row(min(self._max, max(self._min, last / 2 if last / 2 >= self._min else last)))
        self._update_buttons()
        self.values_changed.emit(self.values())

    def _update_buttons(self) -> None:
        self.add_button.setEnabled(len(self._rows) < self._max_items)
        removable = len(self._rows) > 1
        for row, _ in self._rows:
            for button in row.findChildren(QToolButton):
                button.setEnabled(removable)
