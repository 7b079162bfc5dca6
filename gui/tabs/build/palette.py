"""LayerPalette: the catalog grouped by kind; double-click or drag a type into the net."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QDrag
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.builder import GROUPS, LayerType, catalog
from gui.tabs.build.format import GROUP_COLORS, GROUP_TITLES

LAYER_TYPE_MIME = "application/x-dlp-layer-type"


def palette_tooltip(lt: LayerType) -> str:
    lines = [f"<b>{lt.type}</b> — {lt.description}"]
    if lt.params:
        lines.append("<br>" + "<br>".join(
            f"<i>{p.name}</i> = {p.default!r}: {p.help}" for p in lt.params))
    lines.append("<br><span style='color:#666'>Double-click, press Enter or drag into the "
                 "network to add.</span>")
    return "".join(lines)


class PaletteTree(QTreeWidget):
    """The tree itself: group headers with layer types as children; drags a type name."""

    type_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(10)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.itemActivated.connect(self._on_item_activated)
        self._populate()

    def _populate(self) -> None:
        by_group: dict[str, QTreeWidgetItem] = {}
        for g in GROUPS:
            head = QTreeWidgetItem([GROUP_TITLES[g]])
            font = head.font(0)
            font.setBold(True)
            head.setFont(0, font)
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            head.setForeground(0, QBrush(QColor("#444")))
            self.addTopLevelItem(head)
            by_group[g] = head
        for lt in catalog():
            item = QTreeWidgetItem([lt.type])
            item.setData(0, Qt.ItemDataRole.UserRole, lt.type)
            item.setToolTip(0, palette_tooltip(lt))
            item.setBackground(0, QBrush(QColor(GROUP_COLORS[lt.group])))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                          | Qt.ItemFlag.ItemIsDragEnabled)
            by_group[lt.group].addChild(item)
        self.expandAll()

    def current_type(self) -> str | None:
        item = self.currentItem()
        return None if item is None else item.data(0, Qt.ItemDataRole.UserRole)

    def type_item(self, type_name: str) -> QTreeWidgetItem:
        for i in range(self.topLevelItemCount()):
            head = self.topLevelItem(i)
            for j in range(head.childCount()):
                if head.child(j).data(0, Qt.ItemDataRole.UserRole) == type_name:
                    return head.child(j)
        raise KeyError(type_name)

    def filter(self, text: str) -> None:
        text = text.strip().lower()
        for i in range(self.topLevelItemCount()):
            head = self.topLevelItem(i)
            visible = 0
            for j in range(head.childCount()):
                child = head.child(j)
                hit = not text or text in child.text(0).lower() or text in (
                    child.toolTip(0).lower())
                child.setHidden(not hit)
                visible += hit
            head.setHidden(visible == 0)

    def mimeData(self, items: list[QTreeWidgetItem]) -> QMimeData:  # noqa: N802
        mime = QMimeData()
        names = [i.data(0, Qt.ItemDataRole.UserRole) for i in items]
        if names and names[0]:
            mime.setData(LAYER_TYPE_MIME, names[0].encode())
            mime.setText(names[0])
        return mime

    def startDrag(self, _actions: Qt.DropAction) -> None:  # noqa: N802
        item = self.currentItem()
        if item is None or not item.data(0, Qt.ItemDataRole.UserRole):
            return
        drag = QDrag(self)
        drag.setMimeData(self.mimeData([item]))
        drag.exec(Qt.DropAction.CopyAction)

    def _on_item_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        name = item.data(0, Qt.ItemDataRole.UserRole)
        if name:
            self.type_activated.emit(name)


class LayerPalette(QWidget):
    """Filter box, the palette tree and an "Add" button."""

    add_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter layers…")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Type part of a name or description, e.g. 'pool' or '8.6'")
        self.tree = PaletteTree()
        self.add_button = QPushButton("Add to network")
        self.add_button.setToolTip("Insert the selected type after the selected row "
                                   "(or at the end)")
        self.add_button.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.add_button)
        self.search.textChanged.connect(self.tree.filter)
        self.tree.type_activated.connect(self.add_requested)
        self.tree.currentItemChanged.connect(
            lambda *_: self.add_button.setEnabled(self.tree.current_type() is not None))
        self.add_button.clicked.connect(self._on_add_button_clicked)

    def _on_add_button_clicked(self) -> None:
        name = self.tree.current_type()
        if name:
            self.add_requested.emit(name)
