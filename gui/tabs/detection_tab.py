"""Detection lab: anchors, multiscale anchors, IoU, anchor labelling and NMS on an image.

The lab's state (image, ground-truth boxes with undo, anchor sizes/ratios) is a
``LabState`` (gui/tabs/detection/state.py); five panels (gui/tabs/detection/) change
it through its methods, redraw on its signals and draw their own overlays on the
shared canvas while selected. Every computation here is small (a few thousand boxes
at most, never the millions of a full ``multibox_prior``), so it runs on the UI thread.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.data.core import default_data_root
from engine.detection import BOOK_RATIOS, BOOK_SIZES
from engine.images import (
    image_file_size,
    load_boxes_json,
    sample_image,
    sample_images_dir,
    save_boxes_json,
)
from gui.context import AppContext
from gui.image_io import load_for_canvas
from gui.tabs.base import PlaygroundTab
from gui.tabs.detection.anchors_panel import AnchorsPanel
from gui.tabs.detection.common import LabPanel
from gui.tabs.detection.iou_panel import IouPanel
from gui.tabs.detection.labelling_panel import LabellingPanel
from gui.tabs.detection.multiscale_panel import MultiscalePanel
from gui.tabs.detection.nms_panel import NmsPanel
from gui.tabs.detection.state import LabState
from widgets.image_canvas import ImageCanvas

DEFAULT_IMAGE = "cat.jpg"
#: QSettings key: the folder ground-truth boxes were last saved in.
BOXES_DIR_KEY = "detection/last_boxes_dir"


class DetectionTab(PlaygroundTab):
    key = "detection"
    title = "Detection lab"
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.state = LabState(BOOK_SIZES, BOOK_RATIOS, self)
        self._notice = ""  # what loading the image changed (downscale, frames, ...)
        self._gt_source = ""  # where the ground truth came from
        # Unsaved box edits of images no longer shown, by path: opening another image
        # must not throw away boxes someone drew; they come back with their image.
        self._unsaved: dict[str, tuple[np.ndarray, list[str]]] = {}
        self.canvas = ImageCanvas(loader=load_for_canvas,
                                  empty_text="Drop an image here or use File → Open image…")
        self.panels: list[LabPanel] = []
        self._build()
        # after the panels, which connect to the state in their __init__
        self.state.image_changed.connect(self._on_state_image_changed)
        self.state.boxes_changed.connect(self._update_caption)  # also after undo to saved
        self.canvas.image_loaded.connect(self._on_canvas_image_loaded)
        self.canvas.load_failed.connect(self._on_canvas_load_failed)
        self.canvas.pixel_clicked.connect(self._on_canvas_pixel_clicked)
        self.load_sample()

    # -------------------------------------------------------------- build
    def _build(self) -> None:
        left = QWidget()
        col = QVBoxLayout(left)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.canvas, 1)
        bar = QHBoxLayout()
        self.info = QLabel()
        self.info.setWordWrap(True)
        sample = QPushButton("Sample image")
        sample.setToolTip("Show the bundled cat photo with its ground-truth boxes (boxes "
                          "you edited and did not save come back too; Undo drops them)")
        sample.clicked.connect(self.load_sample)
        fit = QPushButton("Fit")
        fit.setToolTip("Zoom to fit the image (scroll to zoom, drag to pan)")
        fit.clicked.connect(self.canvas.fit)
        bar.addWidget(self.info, 1)
        bar.addWidget(sample)
        bar.addWidget(fit)
        col.addLayout(bar)

        self.panel_tabs = QTabWidget()
        for cls in (AnchorsPanel, MultiscalePanel, IouPanel, LabellingPanel, NmsPanel):
            panel = cls(self)
            self.panels.append(panel)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setWidget(panel)
            self.panel_tabs.addTab(scroll, panel.title)
        self.panel_tabs.currentChanged.connect(self._on_panel_tabs_current_changed)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.panel_tabs)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([760, 500])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        QShortcut(QKeySequence(Qt.Key.Key_Space), self, activated=self._on_space)
        # Window-wide, but a hidden tab's shortcuts are off: active while this tab shows.
        for keys, slot in (("Ctrl+Z", self.state.undo), ("Ctrl+Shift+Z", self.state.redo),
                           ("Ctrl+Y", self.state.redo)):
            QShortcut(QKeySequence(keys), self, activated=slot)

    # -------------------------------------------------------------- state
    # Read-only views of the state, for the panels and tests; changes go through
    # ``self.state`` (add_box, move_box, remove_box, rename_box, undo, ...).
    @property
    def sizes(self) -> list[float]:
        return self.state.sizes

    @property
    def ratios(self) -> list[float]:
        return self.state.ratios

    @property
    def gt_boxes(self) -> np.ndarray:
        return self.state.boxes

    @property
    def gt_labels(self) -> list[str]:
        return self.state.labels

    @property
    def image_path(self) -> str:
        return self.state.image_path

    def image_size(self) -> tuple[int, int]:
        return self.canvas.image_size()

    def class_names(self) -> list[str]:
        return self.state.class_names()

    def current_panel(self) -> LabPanel:
        return self.panels[self.panel_tabs.currentIndex()]

    def show_panel(self, index: int) -> None:
        self.panel_tabs.setCurrentIndex(index)

    def set_anchor_shape(self, sizes: list[float], ratios: list[float]) -> None:
        self.state.set_anchor_shape(sizes, ratios)

    # ------------------------------------------------------------- images
    def accepts_images(self) -> bool:
        return True

    def open_image(self, path: str) -> bool:
        return self.canvas.load_file(path)

    def load_sample(self) -> None:
        self.open_image(str(sample_image(DEFAULT_IMAGE)))

    def _on_canvas_image_loaded(self, array: np.ndarray, path: str, notice: str) -> None:
        self._notice = notice
        if notice:
            self.context.warn(f"{Path(path).name}: {notice}")
        if self.state.image_path and self.state.is_edited():
            self._unsaved[self.state.image_path] = (self.state.boxes.copy(), self.state.labels)
        boxes, labels, self._gt_source = self._ground_truth_for(Path(path))
        h, w = array.shape[:2]
        clipped = self.state.set_image(path, w, h, boxes, labels)
        if clipped:
            self.context.warn(
                f"{Path(path).stem}.boxes.json: {clipped} box(es) reached outside the "
                f"{w}×{h} image and were clipped to it (boxes with no area left dropped).")
        edits = self._unsaved.pop(path, None)
        if edits is not None:
            self.state.replace_boxes(*edits, "restore unsaved box edits")
            self.context.info(f"{Path(path).name}: your unsaved box edits are back "
                              "(Undo returns to the saved boxes).")

    def _on_state_image_changed(self) -> None:
        self._update_caption()
        self._activate_current()

    def _update_caption(self) -> None:
        path = self.state.image_path
        if not path:
            self.info.setText("")
            return
        w, h = self.state.image_size
        n = self.state.box_count()
        if n:
            boxes = f"{n} ground-truth box{'es' if n != 1 else ''}"
        else:
            boxes = self._gt_source or "no ground truth yet: draw some in panel 4"
        text = f"<b>{Path(path).name}</b> {w}×{h} px — {boxes}"
        if self.state.is_edited():
            text += " <i>(edited, not saved)</i>"
        if self._notice:
            text += f" <span style='color:#b06000'>({self._notice})</span>"
        self.info.setText(text)

    def _ground_truth_for(self, path: Path) -> tuple[np.ndarray, list[str], str]:
        """Boxes from ``<stem>.boxes.json`` beside the image, scaled to the shown size."""
        json_path = path.with_name(path.stem + ".boxes.json")
        if not json_path.exists():
            return np.zeros((0, 4)), [], ""
        try:
            gt = load_boxes_json(json_path)
        except ValueError as exc:
            self.context.warn(str(exc))
            return np.zeros((0, 4)), [], "ground-truth file unreadable"
        scale = 1.0 / self._file_to_shown_scale(path)
        return gt.boxes * scale, list(gt.labels), ""

    def _file_to_shown_scale(self, path: Path) -> float:
        """File pixels per shown pixel (> 1 when a huge image was downscaled on load)."""
        shown = max(self.canvas.image_size())
        original = max(image_file_size(path)) if shown else 0  # header only
        return original / shown if shown and original else 1.0

    def save_ground_truth(self, path: str) -> None:
        """Write the boxes (in the file's pixels) as a ``.boxes.json`` file.

        Raises:
            ValueError: ``path`` is inside the bundled ``assets/`` folder (the app's
                read-only sample material), or the boxes cannot be written.
        """
        if is_bundled(path):
            raise ValueError(
                f"'{Path(path).name}' would go into the app's bundled assets folder, "
                "which holds its read-only samples; save the boxes in another folder.")
        scale = self._file_to_shown_scale(Path(self.image_path)) if self.image_path else 1.0
        save_boxes_json(path, self.gt_boxes * scale, self.gt_labels,
                        image=Path(self.image_path).name)
        self.state.mark_saved()
        self._update_caption()
        self.context.settings.setValue(BOXES_DIR_KEY, str(Path(path).parent))
        self.context.info(f"Saved {len(self.gt_labels)} ground-truth boxes to {path}")

    def suggested_boxes_path(self) -> Path:
        """Where the save dialog starts: beside the image (where it is loaded from
        again), except for the bundled samples: then the folder last saved in, else the
        app's data folder, else the home folder."""
        image = Path(self.image_path or "image.png")
        name = image.stem + ".boxes.json"
        if self.image_path and not is_bundled(image):
            return image.with_name(name)
        last = str(self.context.settings.value(BOXES_DIR_KEY, "") or "")
        for folder in ([Path(last)] if last else []) + [default_data_root(), Path.home()]:
            if folder.is_dir() and not is_bundled(folder / name):
                return folder / name
        return Path.home() / name

    def _on_canvas_load_failed(self, message: str) -> None:
        self.context.error(f"Detection lab: {message}")

    # -------------------------------------------------------------- slots
    def _activate_current(self) -> None:
        for panel in self.panels:
            if panel.active and panel is not self.current_panel():
                panel.deactivate()
        self.current_panel().activate()

    def _on_panel_tabs_current_changed(self, _index: int) -> None:
        self._activate_current()

    def _on_canvas_pixel_clicked(self, x: float, y: float) -> None:
        self.current_panel().on_pixel_clicked(x, y)

    def _on_space(self) -> None:
        panel = self.current_panel()
        if isinstance(panel, NmsPanel):
            panel.step()


def is_bundled(path: str | Path) -> bool:
    """Whether ``path`` lies in the bundled ``assets/`` folder (never written to)."""
    try:
        return Path(path).resolve().is_relative_to(sample_images_dir().resolve())
    except OSError:
        return False
