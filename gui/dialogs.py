"""File dialogs that start in the folder the user last used for the same kind of file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from widgets.file_filters import fit_suffix

IMAGE_DIR_KEY = "files/last_image_dir"
NETWORK_DIR_KEY = "build/last_dir"
NETWORK_FILTER = "Network spec (*.json);;All files (*)"


def ask_path(parent: QWidget, settings: QSettings | None, key: str, title: str, *,
             save: bool = False, name: str = "", file_filter: str = "All files (*)") -> str | None:
    """A save or open dialog starting in the folder remembered under ``key``; the chosen
    file's folder is remembered again. ``None`` when cancelled. ``name`` is the suggested
    file name of a save dialog.

    Saving, a name without an extension gets the chosen filter's (``pic`` -> ``pic.png``);
    a name with another extension (``pic.txt`` for PNG) is refused with a message box and
    the dialog opens again.
    """
    start = Path(str(settings.value(key, ""))) if settings is not None else Path()
    if save:
        suggested = str(start / name)
        while True:
            path, chosen = QFileDialog.getSaveFileName(parent, title, suggested, file_filter)
            if not path:
                return None
            path, problem = fit_suffix(path, chosen or file_filter.split(";;")[0])
            if problem is None:
                break
            QMessageBox.warning(parent, title, problem)
            suggested = path
    else:
        path, _ = QFileDialog.getOpenFileName(parent, title, str(start), file_filter)
    if not path:
        return None
    if settings is not None:
        settings.setValue(key, str(Path(path).parent))
    return path
