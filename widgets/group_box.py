"""A titled group box around one widget (the panels of the tabs)."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QVBoxLayout, QWidget


def group_box(title: str, widget: QWidget, *, margin: int = 6) -> QGroupBox:
    box = QGroupBox(title)
    lay = QVBoxLayout(box)
    lay.setContentsMargins(margin, margin, margin, margin)
    lay.addWidget(widget)
    return box
