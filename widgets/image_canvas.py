"""ImageCanvas: a zoom/pan image view in image-pixel coordinates.

* ``set_image(array)`` shows an (H, W[, 3|4]) uint8 array; pixel (x, y) = column x,
  row y, origin top-left, y down, aspect locked.
* Drop an image file on it: it calls the injected ``loader`` (the GUI passes the
  engine's robust loader; widgets never import torch) and emits ``image_loaded`` or,
  for bad files, shows the message and emits ``load_failed``.
* Named box layers (``set_boxes(name, boxes, ...)``) for overlays; thousands of
  boxes per layer stay fast (one item per layer).
* ``pixel_clicked(x, y)`` in image pixels; a "draw a box" mode that emits
  ``box_drawn``; editable boxes via ``add_editable_box``. Drawn and edited boxes stay
  inside the image.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget
from superqt.utils import create_worker

from widgets.box_items import BoxLayer, ColorLike, EditableBox

#: Image files bigger than this are decoded on a worker thread.
BACKGROUND_BYTES = 4_000_000

#: loader(path) -> (array HWC uint8, notice). Raises ValueError with a message.
ImageLoader = Callable[[str], tuple[np.ndarray, str]]


class _CanvasViewBox(pg.ViewBox):
    """ViewBox that can turn a left-drag into a rubber-band box."""

    def __init__(self, canvas: ImageCanvas) -> None:
        super().__init__(lockAspect=True, invertY=True, enableMenu=False)
        self._canvas = canvas
        self._band = BoxLayer()
        self._band.setZValue(1000)
        self.addItem(self._band, ignoreBounds=True)
        self._start: QPointF | None = None

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: N802 (Qt API)
        if not self._canvas.draw_mode or ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        pos = self._canvas.clamp_to_image(self.mapSceneToView(ev.scenePos()))
        if ev.isStart():
            self._start = self._canvas.clamp_to_image(
                self.mapSceneToView(ev.buttonDownScenePos()))
        if self._start is None:
            return
        box = _xyxy(self._start, pos)
        self._band.set_boxes([box], colors="#ffffff", style="dash", width=1.5)
        if ev.isFinish():
            self._band.set_boxes(np.zeros((0, 4)))
            self._start = None
            if box[2] - box[0] >= 1 and box[3] - box[1] >= 1:
                self._canvas.box_drawn.emit(np.array(box))


def _load_error(path: str, exc: BaseException) -> str:
    if isinstance(exc, ValueError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return f"'{Path(path).name}' is too large to load into memory."
    return f"'{Path(path).name}' could not be loaded: {type(exc).__name__}: {exc}"


def _xyxy(a: QPointF, b: QPointF) -> list[float]:
    return [min(a.x(), b.x()), min(a.y(), b.y()), max(a.x(), b.x()), max(a.y(), b.y())]


class ImageCanvas(QWidget):
    """Image view with overlays, clicks, drag & drop and box drawing."""

    image_loaded = Signal(object, str, str)  # array, path, notice
    load_failed = Signal(str)  # message
    pixel_clicked = Signal(float, float)  # x, y in image pixels
    box_drawn = Signal(object)  # np.ndarray[4] xyxy

    def __init__(self, parent: QWidget | None = None, *,
                 loader: ImageLoader | None = None,
                 empty_text: str = "Drop an image here, or use File → Open image…") -> None:
        super().__init__(parent)
        self.loader = loader
        self.draw_mode = False
        self._empty_text = empty_text
        self._image: np.ndarray | None = None
        self._layers: dict[str, BoxLayer] = {}
        self._editable: list[EditableBox] = []
        self._load_generation = 0
        self._workers: set = set()

        self.view = pg.GraphicsView(self)
        self.viewbox = _CanvasViewBox(self)
        self.view.setCentralItem(self.viewbox)
        self.view.setBackground(QColor("#202124"))
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.viewbox.addItem(self.image_item)
        self.view.scene().sigMouseClicked.connect(self._on_scene_clicked)

        self.setAcceptDrops(True)
        self.view.setAcceptDrops(False)  # the canvas widget handles drops
        self._message = QLabel(self.view)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._message.setStyleSheet(
            "QLabel { color: #e8eaed; background: rgba(32,33,36,200); padding: 12px;"
            " border-radius: 6px; font-size: 13px; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.setMinimumSize(200, 150)
        self.show_message(empty_text)

    # ----------------------------------------------------------------- image
    def set_image(self, array: np.ndarray, *, keep_view: bool = False) -> None:
        """Show an (H, W), (H, W, 3) or (H, W, 4) uint8 array."""
        a = np.asarray(array)
        if a.ndim not in (2, 3) or a.dtype != np.uint8:
            raise ValueError(f"set_image expects uint8 (H, W[, C]), got {a.dtype} {a.shape}")
        same_size = self._image is not None and self._image.shape[:2] == a.shape[:2]
        self._image = a
        self.image_item.setImage(a, autoLevels=False, levels=(0, 255))
        for item in self._editable:
            item.set_bounds((0, 0, a.shape[1], a.shape[0]))
        self.show_message("")
        if not (keep_view and same_size):
            self.fit()

    def image(self) -> np.ndarray | None:
        return self._image

    def image_size(self) -> tuple[int, int]:
        """(width, height) of the shown image, (0, 0) if none."""
        if self._image is None:
            return (0, 0)
        return (int(self._image.shape[1]), int(self._image.shape[0]))

    def fit(self) -> None:
        w, h = self.image_size()
        if w and h:
            self.viewbox.setRange(QRectF(0, 0, w, h), padding=0.02)

    def load_file(self, path: str | Path, *, background: bool | None = None) -> bool:
        """Load ``path`` with the loader; show it or show why not.

        Files larger than ``BACKGROUND_BYTES`` (or any file with ``background=True``) are
        decoded on a worker thread so the window stays responsive; the result arrives
        through ``image_loaded`` / ``load_failed`` and this returns True ("started").
        Otherwise it loads at once and returns whether it succeeded.
        """
        if self.loader is None:
            self.show_message("This view has no image loader.")
            return False
        path = str(path)
        self._load_generation += 1
        if background is None:
            try:
                background = os.path.getsize(path) > BACKGROUND_BYTES
            except OSError:
                background = False
        if background:
            self._load_in_background(path, self._load_generation)
            return True
        try:
            array, notice = self.loader(path)
        except (ValueError, MemoryError) as exc:
            self._fail(_load_error(path, exc))
            return False
        self._show_loaded(array, path, notice)
        return True

    def _load_in_background(self, path: str, generation: int) -> None:
        self.show_message(f"Loading {Path(path).name}…")
        loader = self.loader

        def load() -> tuple[np.ndarray | None, str]:
            # Failures come back as (None, message): superqt treats a raised *or
            # returned* exception as a crash of the worker.
            try:
                return loader(path)
            except Exception as exc:  # noqa: BLE001 - reported as a message, not raised
                return None, _load_error(path, exc)

        worker = create_worker(load, _start_thread=False)
        worker.returned.connect(
            lambda result: self._on_loader_returned(generation, path, result))
        self._workers.add(worker)
        worker.finished.connect(lambda: self._workers.discard(worker))
        worker.start()

    def _on_loader_returned(self, generation: int, path: str, result: object) -> None:
        if generation != self._load_generation:
            return  # a newer load superseded this one
        array, text = result  # type: ignore[misc]
        if array is None:
            self.show_message("")
            self._fail(text)
        else:
            self._show_loaded(array, path, text)

    def _show_loaded(self, array: np.ndarray, path: str, notice: str) -> None:
        self.set_image(array)
        self.image_loaded.emit(array, path, notice)

    def _fail(self, message: str) -> None:
        self.show_message(message if self._image is None else "")
        self.load_failed.emit(message)

    def show_message(self, text: str) -> None:
        """Centred text over the view (empty states, errors); "" hides it."""
        self._message.setText(text)
        self._message.setVisible(bool(text))
        self._place_message()

    def message(self) -> str:
        return self._message.text() if self._message.isVisible() else ""

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._place_message()

    def _place_message(self) -> None:
        w, h = self.view.width(), self.view.height()
        mw = min(max(240, w - 40), 520)
        self._message.setFixedWidth(mw)
        self._message.adjustSize()
        self._message.move((w - mw) // 2, max(0, (h - self._message.height()) // 2))

    # ------------------------------------------------------------ overlays
    def set_boxes(self, name: str, boxes: np.ndarray | Sequence[Sequence[float]], *,
                  colors: ColorLike | Sequence[ColorLike] = "#ffcc00",
                  labels: Sequence[str] | None = None, width: float = 2.0,
                  style: str = "solid", fill: ColorLike | Sequence[ColorLike] | None = None,
                  z: float = 10) -> BoxLayer:
        """Create or replace the named box layer (boxes in image-pixel xyxy)."""
        layer = self._layers.get(name)
        if layer is None:
            layer = BoxLayer()
            self.viewbox.addItem(layer, ignoreBounds=True)
            self._layers[name] = layer
        layer.setZValue(z)
        layer.set_boxes(boxes, colors=colors, labels=labels, width=width, style=style,
                        fill=fill)
        return layer

    def layer_names(self) -> list[str]:
        return list(self._layers)

    def layer(self, name: str) -> BoxLayer | None:
        return self._layers.get(name)

    def clear_boxes(self, name: str | None = None) -> None:
        """Remove one named layer, or all layers when ``name`` is None."""
        names = list(self._layers) if name is None else [name]
        for n in names:
            layer = self._layers.pop(n, None)
            if layer is not None:
                self.viewbox.removeItem(layer)

    def add_editable_box(self, box: Sequence[float], *, color: ColorLike = "#00e0ff",
                         label: str = "") -> EditableBox:
        """A draggable, resizable box kept inside the image; while draw mode is on it
        ignores the mouse, so a drag that starts on it draws a new box."""
        w, h = self.image_size()
        item = EditableBox(box, color=color, label=label,
                           bounds=(0, 0, w, h) if w and h else None)
        item.set_interactive(not self.draw_mode)
        item.setZValue(50)
        self.viewbox.addItem(item, ignoreBounds=True)
        self._editable.append(item)
        return item

    def remove_editable_box(self, item: EditableBox) -> None:
        if item in self._editable:
            self._editable.remove(item)
            self.viewbox.removeItem(item)

    def editable_boxes(self) -> list[EditableBox]:
        return list(self._editable)

    def set_draw_mode(self, on: bool) -> None:
        """While on, a left-drag draws a box (``box_drawn``) instead of panning, also
        when it starts on an editable box (those ignore the mouse meanwhile)."""
        self.draw_mode = bool(on)
        self.view.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)
        for item in self._editable:
            item.set_interactive(not self.draw_mode)

    def clamp_to_image(self, p: QPointF) -> QPointF:
        """``p`` (image pixels) moved inside the image, if one is shown."""
        w, h = self.image_size()
        if not (w and h):
            return QPointF(p)
        return QPointF(min(max(p.x(), 0.0), w), min(max(p.y(), 0.0), h))

    # ----------------------------------------------------- coordinates
    def map_to_image(self, scene_pos: QPointF) -> tuple[float, float]:
        p = self.viewbox.mapSceneToView(scene_pos)
        return float(p.x()), float(p.y())

    def map_from_image(self, x: float, y: float) -> QPointF:
        """Image pixel -> this widget's coordinates (for tests and tooltips)."""
        scene = self.viewbox.mapViewToScene(QPointF(x, y))
        return QPointF(self.view.mapFromScene(scene)) + QPointF(self.view.pos())

    def _on_scene_clicked(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or self._image is None or ev.double():
            return
        x, y = self.map_to_image(ev.scenePos())
        w, h = self.image_size()
        if 0 <= x < w and 0 <= y < h:
            self.pixel_clicked.emit(x, y)

    # ------------------------------------------------------- drag & drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if not urls:
            self._fail("Only local files can be dropped here.")
            event.ignore()
            return
        event.acceptProposedAction()
        self.load_file(urls[0].toLocalFile())
