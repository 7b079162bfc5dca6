"""MessagePanel: where worker errors, warnings and notices appear."""

from __future__ import annotations

import time

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

LEVEL_COLORS = {"info": "#8ab4f8", "warning": "#fbbc04", "error": "#f28b82"}
LEVEL_PREFIX = {"info": "ℹ", "warning": "⚠", "error": "✖"}


class MessagePanel(QWidget):
    """A list of timestamped messages, newest last. ``message_added(level, text)``."""

    message_added = Signal(str, str)

    def __init__(self, parent: QWidget | None = None, *, max_items: int = 500) -> None:
        super().__init__(parent)
        self._max = max_items
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        clear = QPushButton("Clear")
        clear.setToolTip("Remove all messages")
        clear.clicked.connect(self.clear)
        top = QHBoxLayout()
        top.addStretch(1)
        top.addWidget(clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.list)

    def add(self, level: str, text: str) -> None:
        level = level if level in LEVEL_COLORS else "info"
        stamp = time.strftime("%H:%M:%S")
        item = QListWidgetItem(f"{LEVEL_PREFIX[level]} {stamp}  {text}")
        item.setForeground(QColor(LEVEL_COLORS[level]).darker(130))
        item.setData(0x0100, level)  # Qt.UserRole
        self.list.addItem(item)
        while self.list.count() > self._max:
            self.list.takeItem(0)
        self.list.scrollToBottom()
        self.message_added.emit(level, text)

    def messages(self) -> list[tuple[str, str]]:
        """(level, text) of every message, oldest first (text without stamp)."""
        out = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            out.append((item.data(0x0100), item.text().split("  ", 1)[-1]))
        return out

    def clear(self) -> None:
        self.list.clear()
