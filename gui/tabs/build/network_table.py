"""NetworkTable: the network as a tree of rows (blocks expand to their sub-layers).

Shows one summary: per row the output shape, parameters and MACs; the first row that
cannot take its input gets a red background and the reason as tooltip. Rows are
reordered by drag (or by the tab's buttons) and palette types are dropped in; the
table never edits a spec itself, it emits ``row_moved`` / ``type_dropped`` and the tab
pushes the new spec and calls ``show_summary`` again.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QSignalBlocker, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QDrag,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
)

from engine.builder import NetworkSpec, Row, Summary
from gui.tabs.build.format import (
    arguments_text,
    bytes_text,
    count_text,
    settings_text,
    shape_text,
)
from gui.tabs.build.palette import LAYER_TYPE_MIME

ROW_INDEX_MIME = "application/x-dlp-layer-index"
COLUMNS = ("#", "Layer", "Settings", "Output shape", "Params", "MACs")
COL_INDEX, COL_LAYER, COL_SETTINGS, COL_SHAPE, COL_PARAMS, COL_MACS = range(6)
NUMBER_WIDTHS = {COL_PARAMS: 82, COL_MACS: 104}  # the least; grown to fit the numbers
ERROR_BG = QColor("#ffd3d3")
SELECTED_ERROR = QColor("#c62828")
MUTED = QColor("#8a8a8a")
EMPTY_TEXT = ("Empty network\n\nDouble-click a layer in the palette, drag it here,\n"
              "or choose a preset above.")


ERROR_ROLE = Qt.ItemDataRole.UserRole + 1


class _ErrorAwareDelegate(QStyledItemDelegate):
    """A selected error row stays red: the selection colour turns dark red."""

    def initStyleOption(self, option: QStyleOptionViewItem, index) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        if index.data(ERROR_ROLE):
            option.palette.setColor(QPalette.ColorRole.Highlight, SELECTED_ERROR)
            option.palette.setColor(QPalette.ColorRole.HighlightedText, QColor("white"))


class NetworkTable(QTreeWidget):
    """Rows of a ``Summary``; top-level item ``i`` is ``spec.layers[i]``."""

    row_moved = Signal(int, int)  # (src, dst) as NetworkSpec.move_layer takes them
    type_dropped = Signal(str, int)  # (layer type, insert index)
    current_row_changed = Signal(int)  # top-level index, -1 for none

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setColumnCount(len(COLUMNS))
        self.setHeaderLabels(list(COLUMNS))
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDropIndicatorShown(False)  # we draw our own line between top-level rows
        self._drop_y: int | None = None
        self._expanded: set[int] = set()
        self._set_header()
        self.setItemDelegate(_ErrorAwareDelegate(self))
        for i, tip in ((COL_SHAPE, "Output shape incl. the batch dim (N×C×H×W or N×features)"),
                       (COL_PARAMS, "Learnable parameters of the row (shared ones count once)"),
                       (COL_MACS, "Multiply-accumulates of Linear/Conv weights for the batch")):
            self.headerItem().setToolTip(i, tip)
        self.itemExpanded.connect(lambda it: self._expanded.add(self._top_index(it)))
        self.itemCollapsed.connect(lambda it: self._expanded.discard(self._top_index(it)))
        self.currentItemChanged.connect(self._on_current_item_changed)

    def _set_header(self) -> None:
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_SETTINGS, QHeaderView.ResizeMode.Stretch)
        for col, width in ((COL_INDEX, 52), (COL_LAYER, 130), (COL_SHAPE, 118),
                           *NUMBER_WIDTHS.items()):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            self.setColumnWidth(col, width)
        for col in (COL_PARAMS, COL_MACS):
            self.headerItem().setTextAlignment(col, Qt.AlignmentFlag.AlignRight
                                               | Qt.AlignmentFlag.AlignVCenter)

    # ------------------------------------------------------------- content
    def show_summary(self, spec: NetworkSpec, summary: Summary) -> None:
        """Rebuild the rows, keeping the selection and the expanded blocks."""
        current = self.current_index()
        with QSignalBlocker(self):
            self.clear()
            after_error = False
            for top in summary.layers:
                item = self._make_item(top, spec, after_error)
                for sub in summary.children(top.index):
                    item.addChild(self._make_item(sub, spec, after_error))
                self.addTopLevelItem(item)
                after_error = after_error or top.error is not None
            for i in sorted(self._expanded):
                if i < self.topLevelItemCount():
                    self.topLevelItem(i).setExpanded(True)
        if current is not None and self.topLevelItemCount():
            self.select_index(min(current, self.topLevelItemCount() - 1), emit=False)
        self._fit_number_columns(summary)

    def _fit_number_columns(self, summary: Summary) -> None:
        """Params and MACs wide enough for their longest number (never "10,000,10…");
        the full figures are in every row's tooltip too."""
        metrics = self.fontMetrics()
        for col, values in ((COL_PARAMS, [r.params for r in summary.rows]),
                            (COL_MACS, [r.macs for r in summary.rows])):
            longest = max((count_text(v) + " ❄" for v in values), key=len, default="")
            needed = metrics.horizontalAdvance(longest) + 2 * self.indentation()
            self.setColumnWidth(col, max(NUMBER_WIDTHS[col], needed))

    def _make_item(self, row: Row, spec: NetworkSpec, after_error: bool) -> QTreeWidgetItem:
        if row.depth == 0:
            entry = spec.layers[row.index]
            label = entry.type if entry.name is None else f"{entry.name} ({entry.type})"
            texts = [str(row.index), label, settings_text(entry.type, entry.params)]
        else:
            texts = ["", row.name, f"{row.type} {arguments_text(row.arguments)}".strip()]
        params = count_text(row.params)
        if row.shared_with:
            params = f"shared: {row.shared_with}"
        elif row.frozen_params:
            params += " ❄"
        texts += [shape_text(row.output_shape), params, count_text(row.macs)]
        item = QTreeWidgetItem(texts)
        item.setData(0, Qt.ItemDataRole.UserRole, row.index)
        for col in (COL_PARAMS, COL_MACS):
            item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if row.depth == 0:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        item.setFlags(flags)
        tip = self._tooltip(row, after_error)
        for col in range(len(COLUMNS)):
            item.setToolTip(col, tip)
            if row.error:
                item.setBackground(col, QBrush(ERROR_BG))
                item.setData(col, ERROR_ROLE, True)
            elif after_error or row.depth:
                item.setForeground(col, QBrush(MUTED))
        if row.error:
            item.setText(COL_SHAPE, "✖ error")
        return item

    @staticmethod
    def _tooltip(row: Row, after_error: bool) -> str:
        if row.error:
            return row.error
        if row.output_shape is None:
            return ("Not computed: an earlier layer cannot take its input (red row)"
                    if after_error else "")
        text = f"{row.name}: {shape_text(row.input_shape)} → {shape_text(row.output_shape)}"
        text += f"\nparams {row.params:,}, MACs {row.macs:,}, output "
        text += bytes_text(row.activation_bytes)
        if row.frozen_params:
            text += f"\nfrozen: {row.frozen_params:,} params get no gradient"
        return text

    # ----------------------------------------------------------- selection
    def current_index(self) -> int | None:
        item = self.currentItem()
        return None if item is None else self._top_index(item)

    def select_index(self, index: int, *, emit: bool = True) -> None:
        item = self.topLevelItem(index)
        if item is None:
            return
        if emit:
            self.setCurrentItem(item)
        else:
            with QSignalBlocker(self):
                self.setCurrentItem(item)
        self.scrollToItem(item)

    def set_expanded_rows(self, rows: set[int]) -> None:
        self._expanded = set(rows)

    def _top_index(self, item: QTreeWidgetItem) -> int:
        return int(item.data(0, Qt.ItemDataRole.UserRole))

    def _on_current_item_changed(self, item: QTreeWidgetItem | None, _prev) -> None:
        self.current_row_changed.emit(-1 if item is None else self._top_index(item))

    # ------------------------------------------------------- drag and drop
    def mimeData(self, items: list[QTreeWidgetItem]) -> QMimeData:  # noqa: N802
        mime = QMimeData()
        if items:
            mime.setData(ROW_INDEX_MIME, str(self._top_index(items[0])).encode())
        return mime

    def startDrag(self, _actions: Qt.DropAction) -> None:  # noqa: N802
        # Our own QDrag: the default would delete the source rows after a MoveAction,
        # but here the tab rebuilds every row from the new spec.
        item = self.currentItem()
        if item is None or item.parent() is not None:
            return
        drag = QDrag(self)
        drag.setMimeData(self.mimeData([item]))
        drag.exec(Qt.DropAction.MoveAction)

    def drop_gap(self, pos: QPoint) -> int:
        """Insert position 0..n for a viewport point: above/below the hovered row."""
        item = self.itemAt(pos)
        if item is None:
            return self.topLevelItemCount()
        while item.parent() is not None:
            item = item.parent()
        rect = self.visualItemRect(item)
        index = self.indexOfTopLevelItem(item)
        return index + 1 if pos.y() > rect.center().y() else index

    def _accepts(self, mime: QMimeData) -> bool:
        return mime.hasFormat(LAYER_TYPE_MIME) or mime.hasFormat(ROW_INDEX_MIME)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._accepts(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if not self._accepts(event.mimeData()):
            event.ignore()
            return
        self._drop_y = self._gap_y(self.drop_gap(event.position().toPoint()))
        self.viewport().update()
        event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802
        self._drop_y = None
        self.viewport().update()
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self._drop_y = None
        self.viewport().update()
        mime = event.mimeData()
        gap = self.drop_gap(event.position().toPoint())
        if mime.hasFormat(LAYER_TYPE_MIME):
            self.type_dropped.emit(bytes(mime.data(LAYER_TYPE_MIME)).decode(), gap)
        elif mime.hasFormat(ROW_INDEX_MIME):
            src = int(bytes(mime.data(ROW_INDEX_MIME)).decode())
            dst = gap if gap <= src else gap - 1
            if dst != src:
                self.row_moved.emit(src, dst)
        else:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()

    def _gap_y(self, gap: int) -> int:
        n = self.topLevelItemCount()
        if n == 0:
            return 0
        if gap < n:
            return self.visualItemRect(self.topLevelItem(gap)).top()
        last = self.topLevelItem(n - 1)
        while last.isExpanded() and last.childCount():
            last = last.child(last.childCount() - 1)
        return self.visualItemRect(last).bottom()

    # -------------------------------------------------------------- paint
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        if self.topLevelItemCount() == 0 or self._drop_y is not None:
            painter = QPainter(self.viewport())
            if self.topLevelItemCount() == 0:
                painter.setPen(MUTED)
                painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter,
                                 EMPTY_TEXT)
            if self._drop_y is not None:
                painter.setPen(QPen(QColor("#1a73e8"), 2))
                painter.drawLine(0, self._drop_y, self.viewport().width(), self._drop_y)
            painter.end()

