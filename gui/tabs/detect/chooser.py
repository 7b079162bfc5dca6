"""The Detect tab's detector chooser: TinySSD, or one of torchvision's COCO detectors
when its weights file is already in torch's cache (the app never downloads)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox

from engine.detection.ssd_pretrained import DETECTORS

TINY_SSD_LABEL = "TinySSD (trained here)"


def cache_status(name: str) -> tuple[bool, str]:
    """Whether ``name``'s weights are cached, and where torchvision expects the file.
    A file check (``cache_file`` imports torchvision, loaded with the tab already)."""
    from engine.detection.ssd_pretrained import cache_file

    path = cache_file(name)
    return path.is_file(), str(path)


class DetectorChooser(QComboBox):
    """"TinySSD (trained here)" (data ``""``) and one entry per ``DETECTORS`` item (data:
    its name) marked "(cached)" or "(not cached)"; not-cached entries are disabled and
    their tooltip says where the file goes. Statuses are re-read each time the list opens
    (and on ``refresh``).

    Signals:
        opened(): the list is about to show, statuses just refreshed.
    """

    opened = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.addItem(TINY_SSD_LABEL, "")
        self.setItemData(0, "The book's TinySSD: train it (left) or load its weights; "
                            "boxes validation images and dropped images",
                         Qt.ItemDataRole.ToolTipRole)
        for name, (_weights, label) in DETECTORS.items():
            self.addItem(label, name)
        self.setToolTip("Which detector boxes dropped / opened images. torchvision's COCO "
                        "detectors run only from weights already in torch's cache — this "
                        "app never downloads them; validation images stay TinySSD's")
        self.refresh()

    def refresh(self) -> None:
        """Re-read which COCO detectors are cached (file checks only)."""
        for i in range(1, self.count()):
            name = self.itemData(i)
            label = DETECTORS[name][1]
            cached, path = cache_status(name)
            self.setItemText(i, f"{label} ({'cached' if cached else 'not cached'})")
            self.model().item(i).setEnabled(cached)
            tip = (f"{label}: weights found in torch's cache at {path}. Runs on dropped and "
                   f"opened images (COCO's classes)" if cached else
                   f"{label}: not cached. torchvision expects the weights file at {path} — "
                   f"this app never downloads; copy the file there (e.g. from a machine "
                   f"where torchvision fetched it) and open this list again")
            self.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)

    def showPopup(self) -> None:
        self.refresh()
        self.opened.emit()
        super().showPopup()
