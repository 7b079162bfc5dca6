"""The Build tab's controls around the table: the top bar and the row buttons."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QToolButton,
    QWidget,
)

from engine.builder import list_presets, preset

EMPTY_ITEM = "(empty network)"
INPUT_TIP = ("Input shape incl. the batch dim, e.g. 1,1,28,28 (N, C, H, W) or 1,784; "
             "press Enter to apply")


class BuildToolbar(QWidget):
    """Preset menu, input-shape field, undo/redo, save/load, export menu, Send to Train.

    The tab connects the buttons; the export menu's actions are connected by the tab
    through :meth:`set_export_actions`.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preset_combo = QComboBox()
        self.preset_combo.addItem("Load a preset…")
        self.preset_combo.addItem(EMPTY_ITEM)
        self.preset_combo.setItemData(1, "Start from an empty network", Qt.ItemDataRole.ToolTipRole)
        for name in list_presets():
            self.preset_combo.addItem(name)
            self.preset_combo.setItemData(self.preset_combo.count() - 1,
                                          preset(name).description, Qt.ItemDataRole.ToolTipRole)
        self.preset_combo.setToolTip("Replace the network by one of the book's (undoable)")
        self.preset_combo.setMinimumContentsLength(16)
        self.input_edit = QLineEdit()
        self.input_edit.setToolTip(INPUT_TIP)
        self.input_edit.setFixedWidth(120)
        self.undo_button = tool_button("↶ Undo", "Undo the last edit (Ctrl+Z)")
        self.redo_button = tool_button("↷ Redo", "Redo (Ctrl+Shift+Z)")
        self.save_button = tool_button("Save…", "Save the network as JSON")
        self.load_button = tool_button("Load…", "Load a network from JSON")
        self.export_button = tool_button("Export ▾", "Export PyTorch code or the summary")
        self.export_button.setStyleSheet("QToolButton::menu-indicator { image: none; }")
        self.export_menu = QMenu(self.export_button)
        self.export_button.setMenu(self.export_menu)
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.send_button = QPushButton("Send to Train ▶")
        self.send_button.setToolTip("Hand this network to the Train tab")
        self.send_button.setStyleSheet("QPushButton { font-weight: bold; padding: 4px 12px; }")
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel("Preset"))
        bar.addWidget(self.preset_combo)
        bar.addSpacing(10)
        bar.addWidget(QLabel("Input"))
        bar.addWidget(self.input_edit)
        bar.addSpacing(10)
        for b in (self.undo_button, self.redo_button, self.save_button, self.load_button,
                  self.export_button):
            bar.addWidget(b)
        bar.addStretch(1)
        bar.addWidget(self.send_button)

    def show_input_error(self, message: str | None) -> None:
        """Red border and the reason as tooltip, or back to normal for ``None``."""
        self.input_edit.setStyleSheet(
            "" if message is None else "QLineEdit { border: 2px solid #c62828; }")
        self.input_edit.setToolTip(INPUT_TIP if message is None else message)


class RowButtons(QWidget):
    """Remove / Duplicate / Up / Down for the selected row, and Expand blocks."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.remove_button = tool_button("Remove", "Remove the selected row (Del)")
        self.duplicate_button = tool_button("Duplicate", "Insert a copy below (Ctrl+D)")
        self.up_button = tool_button("▲ Up", "Move the selected row up (Alt+Up)")
        self.down_button = tool_button("▼ Down", "Move the selected row down (Alt+Down)")
        self.expand_button = tool_button("Expand blocks", "Show or hide the sub-layers of blocks")
        self.expand_button.setCheckable(True)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for b in self.row_actions():
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.expand_button)

    def row_actions(self) -> tuple[QToolButton, ...]:
        return (self.remove_button, self.duplicate_button, self.up_button, self.down_button)

    def set_has_selection(self, has: bool) -> None:
        for b in self.row_actions():
            b.setEnabled(has)


def tool_button(text: str, tip: str) -> QToolButton:
    b = QToolButton()
    b.setText(text)
    b.setToolTip(tip)
    b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return b

