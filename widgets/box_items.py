"""Graphics items for boxes on an :class:`~widgets.image_canvas.ImageCanvas`.

``BoxLayer`` paints many boxes (thousands) as one item: a single ``QPicture`` is
recorded when the data changes and replayed on every repaint, so panning and
zooming stay cheap. Labels are separate text items and are capped, because
thousands of text items would be slow and unreadable anyway.

``EditableBox`` is a draggable, resizable rectangle (pyqtgraph ``RectROI``) whose
geometry is reported in image-pixel xyxy. Given ``bounds`` (the image), it stays
inside them: a drag stops at the edge, a corner handle is held at the edge.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPicture

ColorLike = str | tuple[int, int, int] | tuple[int, int, int, int] | QColor

#: Most labels a layer draws; beyond this only the boxes are drawn.
MAX_LABELS = 300

_STYLES = {
    "solid": Qt.PenStyle.SolidLine,
    "dash": Qt.PenStyle.DashLine,
    "dot": Qt.PenStyle.DotLine,
}


def to_qcolor(color: ColorLike) -> QColor:
    if isinstance(color, QColor):
        return QColor(color)
    if isinstance(color, str):
        return QColor(color)
    return QColor(*[int(c) for c in color])


class BoxLayer(pg.GraphicsObject):
    """Many axis-aligned boxes drawn as one graphics item.

    Args (of :meth:`set_boxes`):
        boxes (np.ndarray[N, 4]): (x1, y1, x2, y2) in image pixels.
        colors: one colour for all, or a sequence of N colours.
        labels: optional N strings (only the first ``MAX_LABELS`` are drawn).
        width: pen width in screen pixels (cosmetic: independent of zoom).
        style: "solid", "dash" or "dot".
        fill: optional fill colour (use alpha), one for all or N colours.
    """

    def __init__(self) -> None:
        super().__init__()
        self._boxes = np.zeros((0, 4))
        self._picture = QPicture()
        self._bounds = QRectF()
        self._labels: list[pg.TextItem] = []

    @property
    def boxes(self) -> np.ndarray:
        return self._boxes

    def set_boxes(
        self,
        boxes: np.ndarray | Sequence[Sequence[float]],
        *,
        colors: ColorLike | Sequence[ColorLike] = "#ffcc00",
        labels: Sequence[str] | None = None,
        width: float = 2.0,
        style: str = "solid",
        fill: ColorLike | Sequence[ColorLike] | None = None,
    ) -> None:
        b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        self.prepareGeometryChange()
        self._boxes = b
        n = len(b)
        pen_keys, pen_colors = self._color_groups(colors, n)
        fill_keys, fill_colors = (self._color_groups(fill, n) if fill is not None
                                  else (np.zeros(n, dtype=np.int64), [None]))
        # One pen/brush switch per distinct (colour, fill) pair, then drawRects: a Python
        # loop over thousands of boxes with a state change each was 10x slower.
        group = pen_keys * len(fill_colors) + fill_keys
        self._picture = QPicture()
        painter = QPainter(self._picture)
        pen_style = _STYLES.get(style, Qt.PenStyle.SolidLine)
        for g in np.unique(group):
            idx = np.nonzero(group == g)[0]
            pen = QPen(pen_colors[int(g) // len(fill_colors)])
            pen.setWidthF(width)
            pen.setCosmetic(True)
            pen.setStyle(pen_style)
            painter.setPen(pen)
            fill_color = fill_colors[int(g) % len(fill_colors)]
            painter.setBrush(QBrush(fill_color) if fill_color is not None
                             else Qt.BrushStyle.NoBrush)
            painter.drawRects([QRectF(x1, y1, x2 - x1, y2 - y1)
                               for x1, y1, x2, y2 in b[idx].tolist()])
        painter.end()
        pens = [pen_colors[k] for k in pen_keys[:MAX_LABELS]] if labels else []
        if n:
            lo, hi = b[:, :2].min(axis=0), b[:, 2:].max(axis=0)
            self._bounds = QRectF(QPointF(*lo), QPointF(*hi)).adjusted(-2, -2, 2, 2)
        else:
            self._bounds = QRectF()
        self._set_labels(b, labels, pens)
        self.update()

    @staticmethod
    def _color_groups(colors: ColorLike | Sequence[ColorLike] | None,
                      n: int) -> tuple[np.ndarray, list[QColor]]:
        """(per-box index into the distinct colours, the distinct QColors)."""
        if isinstance(colors, (str, QColor)) or (
            isinstance(colors, tuple) and len(colors) in (3, 4) and all(
                isinstance(c, (int, np.integer)) for c in colors)
        ):
            return np.zeros(n, dtype=np.int64), [to_qcolor(colors)]  # type: ignore[arg-type]
        seq = list(colors)  # type: ignore[arg-type]
        if len(seq) != n:
            raise ValueError(f"got {len(seq)} colours for {n} boxes")
        index: dict[object, int] = {}
        keys = np.empty(n, dtype=np.int64)
        for i, c in enumerate(seq):
            key = c.rgba() if isinstance(c, QColor) else (c if isinstance(c, str) else tuple(c))
            keys[i] = index.setdefault(key, len(index))
        distinct = [None] * len(index)
        for i, k in enumerate(keys.tolist()):
            if distinct[k] is None:
                distinct[k] = to_qcolor(seq[i])
        return keys, distinct  # type: ignore[return-value]

    def _set_labels(self, b: np.ndarray, labels: Sequence[str] | None,
                    colors: list[QColor]) -> None:
        for item in self._labels:
            item.setParentItem(None)
            if item.scene() is not None:
                item.scene().removeItem(item)
        self._labels = []
        if not labels:
            return
        for i, text in enumerate(list(labels)[:MAX_LABELS]):
            if not text:
                continue
            fill = QColor(colors[i])
            fill.setAlpha(200)
            item = pg.TextItem(str(text), color="k" if fill.lightness() > 140 else "w",
                               fill=pg.mkBrush(fill), anchor=(0, 0))
            item.setParentItem(self)
            item.setPos(b[i, 0], b[i, 1])
            self._labels.append(item)

    def label_items(self) -> list[pg.TextItem]:
        return list(self._labels)

    def paint(self, painter: QPainter, *args: object) -> None:
        self._picture.play(painter)

    def boundingRect(self) -> QRectF:
        return QRectF(self._bounds)


class EditableBox(pg.RectROI):
    """A draggable, resizable box; ``box_changed`` carries (x1, y1, x2, y2) pixels.

    ``box_changed`` fires while it moves, ``box_finished`` once when a drag or resize
    ends. ``bounds`` (x1, y1, x2, y2) keeps it inside a rectangle (the image).
    """

    box_changed = Signal(object)  # np.ndarray[4]
    box_finished = Signal(object)

    def __init__(self, box: Sequence[float], *, color: ColorLike = "#00e0ff",
                 label: str = "", movable: bool = True,
                 bounds: Sequence[float] | None = None) -> None:
        x1, y1, x2, y2 = (float(v) for v in box)
        pen = pg.mkPen(to_qcolor(color), width=2)
        super().__init__([x1, y1], [max(x2 - x1, 1.0), max(y2 - y1, 1.0)], pen=pen,
                         movable=movable, removable=False, invertible=False)
        self.addScaleHandle([0, 0], [1, 1])
        self.addScaleHandle([1, 0], [0, 1])
        self.addScaleHandle([0, 1], [1, 0])
        self._movable = movable
        self.set_bounds(bounds)
        self._label = pg.TextItem(label, color="w", fill=pg.mkBrush(to_qcolor(color).darker()),
                                  anchor=(0, 1)) if label else None
        if self._label is not None:
            self._label.setParentItem(self)
        self.sigRegionChanged.connect(self._on_region_changed)
        self.sigRegionChangeFinished.connect(lambda _: self.box_finished.emit(self.box()))

    def box(self) -> np.ndarray:
        pos, size = self.pos(), self.size()
        return np.array([pos.x(), pos.y(), pos.x() + size.x(), pos.y() + size.y()])

    def set_box(self, box: Sequence[float]) -> None:
        x1, y1, x2, y2 = (float(v) for v in box)
        self.setPos([x1, y1], update=False, finish=False)
        self.setSize([max(x2 - x1, 1.0), max(y2 - y1, 1.0)], finish=False)

    def set_label(self, text: str) -> None:
        if self._label is not None:
            self._label.setText(text)

    def set_bounds(self, bounds: Sequence[float] | None) -> None:
        """Keep the box inside (x1, y1, x2, y2), or anywhere when None."""
        if bounds is None:
            self.maxBounds = None
            return
        x1, y1, x2, y2 = (float(v) for v in bounds)
        self.maxBounds = QRectF(x1, y1, x2 - x1, y2 - y1)

    def set_interactive(self, on: bool) -> None:
        """Off: the box ignores the mouse (drags reach the view, e.g. to draw a box)."""
        self.translatable = bool(on) and self._movable
        for handle in self.getHandles():
            handle.setVisible(bool(on))  # hidden items get no hover or drag events

    def is_interactive(self) -> bool:
        return all(h.isVisible() for h in self.getHandles())

    def movePoint(self, handle, pos, modifiers=None, finish=True,  # noqa: N802 (pyqtgraph API)
                  coords="parent") -> None:
        """Hold a dragged corner at the bounds instead of refusing the move.

        pyqtgraph refuses any handle move that would leave ``maxBounds``, so a corner
        dragged past the edge would stop short of it; clamping the handle's position
        first puts that side exactly on the edge.
        """
        bounds = self.maxBounds
        if bounds is None:
            super().movePoint(handle, pos, modifiers, finish, coords)
            return
        p = self.mapSceneToParent(pos) if coords == "scene" else QPointF(pos)
        clamped = QPointF(min(max(p.x(), bounds.left()), bounds.right()),
                          min(max(p.y(), bounds.top()), bounds.bottom()))
        self.maxBounds = None  # already clamped; its check would also refuse rounding
        try:
            super().movePoint(handle, clamped, modifiers, finish, "parent")
        finally:
            self.maxBounds = bounds

    def _on_region_changed(self, _roi: object) -> None:
        self.box_changed.emit(self.box())
