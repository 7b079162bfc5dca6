"""File dialogs of the Build tab (the folder last used is remembered)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget

DIR_KEY = "build/last_dir"
JSON_FILTER = "Network spec (*.json);;All files (*)"
SCRIPT_FILTER = "Python script (*.py)"


def ask_path(parent: QWidget, settings: QSettings, title: str, *, save: bool,
             name: str = "", file_filter: str = JSON_FILTER) -> str | None:
    """A save or open dialog starting in the remembered folder; ``None`` if cancelled."""
    start = Path(str(settings.value(DIR_KEY, "")))
    if save:
        path, _ = QFileDialog.getSaveFileName(parent, title, str(start / name), file_filter)
    else:
        path, _ = QFileDialog.getOpenFileName(parent, title, str(start), file_filter)
    if not path:
        return None
    settings.setValue(DIR_KEY, str(Path(path).parent))
    return path
