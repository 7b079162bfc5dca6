"""Small editable number grids for the transposed-convolution explorer."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

CELL = 34
HIGHLIGHT = QColor("#ffd54f")
SOURCE = QColor("#80deea")


def _fmt(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.2f}"


class NumberGrid(QTableWidget):
    """A ``rows x cols`` grid of numbers; editable ones emit ``values_changed``; hovering
    a cell emits ``cell_hovered(row, col)`` (-1, -1 when the mouse leaves)."""

    values_changed = Signal()
    cell_hovered = Signal(int, int)

    def __init__(self, *, editable: bool, cell: int = CELL) -> None:
        super().__init__()
        self.editable, self.cell = editable, cell
        self.setMouseTracking(True)
        self.cellEntered.connect(self.cell_hovered.emit)
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
            header.setDefaultSectionSize(cell)
            header.setMinimumSectionSize(cell)
        self.horizontalHeader().setFixedHeight(20)
        self.verticalHeader().setFixedWidth(22)
        if not editable:
            self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.itemChanged.connect(self._on_item_changed)
        self._values = np.zeros((0, 0))
        self._pushing = False

    def leaveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.cell_hovered.emit(-1, -1)
        super().leaveEvent(event)

    def values(self) -> np.ndarray:
        return self._values.copy()

    def set_values(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=float)
        self._pushing = True
        try:
            rows, cols = values.shape
            self.setRowCount(rows)
            self.setColumnCount(cols)
            self.setHorizontalHeaderLabels([str(c) for c in range(cols)])
            self.setVerticalHeaderLabels([str(r) for r in range(rows)])
            for r in range(rows):
                for c in range(cols):
                    item = self.item(r, c)
                    if item is None:
                        item = QTableWidgetItem()
                        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                        self.setItem(r, c, item)
                    item.setText(_fmt(values[r, c]))
            self._values = values.copy()
            frame = 2 * self.frameWidth()
            w = self.verticalHeader().width() + self.horizontalHeader().length() + frame
            h = self.horizontalHeader().height() + self.verticalHeader().length() + frame
            self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            self.setFixedSize(max(w, 60), max(h, 40))
        finally:
            self._pushing = False
        self.highlight(set())

    def resize_to(self, rows: int, cols: int) -> None:
        """Keep the values that still fit; new cells are 0."""
        new = np.zeros((rows, cols))
        r, c = min(rows, self._values.shape[0]), min(cols, self._values.shape[1])
        new[:r, :c] = self._values[:r, :c]
        self.set_values(new)

    def highlight(self, cells: set[tuple[int, int]], color: QColor = HIGHLIGHT) -> None:
        self._pushing = True
        try:
            for r in range(self.rowCount()):
                for c in range(self.columnCount()):
                    item = self.item(r, c)
                    if item is not None:
                        item.setBackground(color if (r, c) in cells else QColor(0, 0, 0, 0))
        finally:
            self._pushing = False

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._pushing:
            return
        r, c = item.row(), item.column()
        try:
            value = float(item.text().replace(",", "."))
            if not np.isfinite(value):
                raise ValueError
        except ValueError:
            # Not a number: put the value in use back (nothing lost, nothing crashes).
            self._pushing = True
            item.setText(_fmt(self._values[r, c]))
            item.setToolTip(f"'{item.text()}' kept: type a number")
            self._pushing = False
            return
        self._values[r, c] = value
        self.values_changed.emit()


class HeatGrid(QTableWidget):
    """A read-only matrix drawn as small coloured cells (white 0, blue positive, red
    negative), values in tooltips — the matrix view of a convolution."""

    def __init__(self, cell: int = 22) -> None:
        super().__init__()
        self.cell = cell
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
            header.setDefaultSectionSize(cell)
            header.setMinimumSectionSize(cell)
        self.horizontalHeader().setVisible(False)
        self.verticalHeader().setVisible(False)
        self.setShowGrid(True)

    def set_matrix(self, M: np.ndarray) -> None:
        M = np.asarray(M, dtype=float)
        self.setRowCount(M.shape[0])
        self.setColumnCount(M.shape[1])
        top = (float(np.abs(M).max()) if M.size else 0.0) or 1.0
        for r in range(M.shape[0]):
            for c in range(M.shape[1]):
                item = self.item(r, c)
                if item is None:
                    item = QTableWidgetItem()
                    self.setItem(r, c, item)
                v = M[r, c]
                t = abs(v) / top
                base = (33, 150, 243) if v >= 0 else (229, 57, 53)
                color = QColor(*(round(255 - (255 - b) * t) for b in base))
                item.setBackground(color)
                item.setToolTip(f"[{r}, {c}] = {_fmt(v)}")
                if self.cell >= 22:
                    item.setText(_fmt(v) if v else "")
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        frame = 2 * self.frameWidth()
        w = self.horizontalHeader().length() + frame
        h = self.verticalHeader().length() + frame
        fits = w <= 600 and h <= 420
        policy = Qt.ScrollBarPolicy.ScrollBarAlwaysOff if fits else \
            Qt.ScrollBarPolicy.ScrollBarAsNeeded
        self.setHorizontalScrollBarPolicy(policy)
        self.setVerticalScrollBarPolicy(policy)
        self.setFixedSize(min(w, 600) + (0 if fits else 16), min(h, 420) + (0 if fits else 16))
