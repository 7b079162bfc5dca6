"""The pipeline as a list: add from the catalogue, remove, reorder (drag or buttons),
enable / disable with the check box. The panel only reports edits; the tab owns the spec
and pushes it back with ``show_spec``."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.augment import GROUPS, PipelineSpec, catalogue

GROUP_TITLES = {"geometry": "Geometry (boxes and masks follow)", "colour": "Colour",
                "auto": "Automatic policies", "erase": "Erasing", "normalise": "Normalise",
                "batch": "Batch level (MixUp / CutMix)"}


class _DragList(QListWidget):
    """A list whose internal drag reports ``moved(from, to)`` instead of moving rows
    itself (the tab rebuilds the rows from the new spec)."""

    moved = Signal(int, int)

    def dropEvent(self, event) -> None:  # noqa: N802
        source = self.currentRow()
        target_item = self.itemAt(event.position().toPoint())
        target = self.row(target_item) if target_item is not None else self.count() - 1
        event.ignore()  # never let Qt move the row: the spec is the truth
        if source >= 0 and target != source:
            self.moved.emit(source, target)


class PipelinePanel(QWidget):
    step_added = Signal(str)  # type
    step_removed = Signal(int)
    step_moved = Signal(int, int)
    step_toggled = Signal(int, bool)
    current_changed = Signal(int)  # -1: none

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = _DragList()
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setMinimumHeight(150)
        self.list.setToolTip("The steps run top to bottom. Tick to enable, drag to reorder.")
        self.list.currentRowChanged.connect(self.current_changed)
        self.list.itemChanged.connect(self._on_list_item_changed)
        self.list.moved.connect(self.step_moved)
        self.add_button = QToolButton()
        self.add_button.setText("Add step")
        self.add_button.setToolTip("Add a step from torchvision's transforms.v2")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_button.setMenu(self._catalogue_menu())
        self.remove_button = self._button("Remove", "Remove the selected step (Delete)",
                                          self._remove)
        self.up_button = self._button("↑", "Move the selected step up (Alt+Up)",
                                      lambda: self._move(-1))
        self.down_button = self._button("↓", "Move the selected step down (Alt+Down)",
                                        lambda: self._move(1))
        buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

    def _button(self, text: str, tip: str, slot) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        return b

    def _catalogue_menu(self) -> QMenu:
        menu = QMenu(self)
        self.add_actions: dict[str, QAction] = {}
        types = catalogue()
        for group in GROUPS:
            sub = menu.addMenu(GROUP_TITLES[group])
            sub.setToolTipsVisible(True)
            for t in (t for t in types if t.group == group):
                action = sub.addAction(t.type)
                action.setToolTip(t.description)
                action.triggered.connect(lambda _c=False, n=t.type: self.step_added.emit(n))
                self.add_actions[t.type] = action
        return menu

    # ---------------------------------------------------------------- state in
    def show_spec(self, spec: PipelineSpec, current: int) -> None:
        with QSignalBlocker(self.list):
            self.list.clear()
            for i, s in enumerate(spec.steps):
                item = QListWidgetItem(f"{i + 1}. {s.type}  {_summary(s)}")
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable
                              | Qt.ItemFlag.ItemIsDragEnabled)
                item.setCheckState(Qt.CheckState.Checked if s.enabled
                                   else Qt.CheckState.Unchecked)
                item.setToolTip(_tooltip(s))
                if not s.enabled:
                    item.setForeground(Qt.GlobalColor.gray)
                self.list.addItem(item)
            self.list.setCurrentRow(current if 0 <= current < len(spec.steps) else -1)
        has = 0 <= current < len(spec.steps)
        self.remove_button.setEnabled(has)
        self.up_button.setEnabled(has and current > 0)
        self.down_button.setEnabled(has and current < len(spec.steps) - 1)

    # ---------------------------------------------------------------- slots
    def _remove(self) -> None:
        if self.list.currentRow() >= 0:
            self.step_removed.emit(self.list.currentRow())

    def _move(self, delta: int) -> None:
        row = self.list.currentRow()
        if row >= 0 and 0 <= row + delta < self.list.count():
            self.step_moved.emit(row, row + delta)

    def _on_list_item_changed(self, item: QListWidgetItem) -> None:
        self.step_toggled.emit(self.list.row(item), item.checkState() == Qt.CheckState.Checked)


def _short(v: object) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, tuple):
        return "(" + ", ".join(_short(x) for x in v) + ")"
    return str(v)


def _summary(s) -> str:
    keys = list(s.params)[:2]
    return " ".join(f"{k}={_short(s.params[k])}" for k in keys)


def _tooltip(s) -> str:
    from engine.augment import step_type

    lines = [step_type(s.type).description, ""]
    lines += [f"{k} = {_short(v)}" for k, v in s.params.items()]
    if not s.enabled:
        lines.append("(disabled: tick to run it)")
    return "\n".join(lines)
