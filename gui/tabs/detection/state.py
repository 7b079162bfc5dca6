"""The Detection lab's state: image, ground-truth boxes (with undo), anchor shape.

Panels never write the lab's arrays; they call methods here and redraw when a signal
says what changed (ndv's model/view split, with Qt signals):

* ``image_changed``: a new image and the ground truth that came with it.
* ``boxes_changed``: the ground-truth boxes or labels changed (an edit, undo, redo).
* ``box_previewed(index)``: one box is being dragged; ``boxes`` already shows where it
  is, but nothing is committed (no undo step) until ``move_box`` at the drag's end.
* ``anchor_shape_changed``: the anchor sizes or ratios changed.

Every box edit (add, move or resize, delete, rename) is one step on ``undo_stack``
(a ``QUndoStack``); ``is_edited`` says whether the boxes differ from those loaded
or last saved. Boxes are always kept inside the image.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

#: Smallest side a box may have, in image pixels.
MIN_SIDE = 1.0


def clip_boxes(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    """Clip xyxy pixel boxes (N, 4) to the image [0, width] × [0, height]."""
    b = np.array(boxes, dtype=np.float64).reshape(-1, 4)
    b[:, 0::2] = b[:, 0::2].clip(0, width)
    b[:, 1::2] = b[:, 1::2].clip(0, height)
    return b


def fit_box(box: Sequence[float], width: int, height: int) -> np.ndarray:
    """One box made valid inside the image: corners ordered, clipped, >= MIN_SIDE."""
    x1, y1, x2, y2 = (float(v) for v in box)
    sides = []
    for a, b, size in ((x1, x2, width), (y1, y2, height)):
        lo, hi = sorted((min(max(a, 0.0), size), min(max(b, 0.0), size)))
        if hi - lo < MIN_SIDE:
            hi = min(lo + MIN_SIDE, size)
            lo = max(hi - MIN_SIDE, 0.0)
        sides.append((lo, hi))
    (x1, x2), (y1, y2) = sides
    return np.array([x1, y1, x2, y2])


class _BoxesEdit(QUndoCommand):
    """One undoable edit: the boxes and labels before and after."""

    def __init__(self, state: LabState, text: str,
                 before: tuple[np.ndarray, list[str]], after: tuple[np.ndarray, list[str]]
                 ) -> None:
        super().__init__(text)
        self._state, self._before, self._after = state, before, after

    def redo(self) -> None:
        self._state._apply(*self._after)

    def undo(self) -> None:
        self._state._apply(*self._before)


class LabState(QObject):
    """What the Detection lab shows and edits; panels change it only through methods."""

    image_changed = Signal()
    boxes_changed = Signal()
    box_previewed = Signal(int)
    anchor_shape_changed = Signal()

    def __init__(self, sizes: Sequence[float], ratios: Sequence[float],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self._sizes = [float(s) for s in sizes]
        self._ratios = [float(r) for r in ratios]
        self._size = (0, 0)
        self._path = ""
        self._boxes = self._frozen(np.zeros((0, 4)))
        self._labels: list[str] = []
        self._saved = (self._boxes, list(self._labels))  # as loaded or last saved
        self._preview: int | None = None  # index of the box being dragged
        self._committed = (self._boxes, self._labels)  # what the drag started from

    # ------------------------------------------------------------ reading
    @property
    def boxes(self) -> np.ndarray:
        """Ground-truth boxes, (N, 4) xyxy image pixels (read-only)."""
        return self._boxes

    @property
    def labels(self) -> list[str]:
        return list(self._labels)

    @property
    def sizes(self) -> list[float]:
        return list(self._sizes)

    @property
    def ratios(self) -> list[float]:
        return list(self._ratios)

    @property
    def image_path(self) -> str:
        return self._path

    @property
    def image_size(self) -> tuple[int, int]:
        """(width, height) of the shown image, (0, 0) before one is loaded."""
        return self._size

    def class_names(self) -> list[str]:
        return list(dict.fromkeys(self._labels))

    def box_count(self) -> int:
        return len(self._labels)

    def is_edited(self) -> bool:
        """Whether the boxes differ from those loaded with the image or last saved."""
        boxes, labels = self._saved
        return labels != self._labels or not np.array_equal(boxes, self._boxes)

    # ------------------------------------------------------------ changing
    def set_image(self, path: str, width: int, height: int, boxes: np.ndarray,
                  labels: Sequence[str]) -> int:
        """A new image with its ground truth (clipped to the image; boxes left with no
        area are dropped). Clears the undo history. Returns how many boxes were
        clipped or dropped."""
        self._path, self._size = path, (int(width), int(height))
        raw = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        clipped = clip_boxes(raw, width, height)
        keep = ((clipped[:, 2] - clipped[:, 0] >= MIN_SIDE)
                & (clipped[:, 3] - clipped[:, 1] >= MIN_SIDE))
        changed = int((~np.all(np.isclose(raw, clipped), axis=1) | ~keep).sum())
        self._boxes = self._frozen(clipped[keep])
        self._labels = [str(lbl) for lbl, k in zip(labels, keep, strict=True) if k]
        self._preview = None
        self._saved = (self._boxes, list(self._labels))
        self.undo_stack.clear()
        self.image_changed.emit()
        self.boxes_changed.emit()
        return changed

    def set_anchor_shape(self, sizes: Sequence[float], ratios: Sequence[float]) -> None:
        sizes, ratios = [float(s) for s in sizes], [float(r) for r in ratios]
        if (sizes, ratios) != (self._sizes, self._ratios):
            self._sizes, self._ratios = sizes, ratios
            self.anchor_shape_changed.emit()

    def fit(self, box: Sequence[float]) -> np.ndarray:
        """``box`` made valid inside the current image."""
        w, h = self._size
        return fit_box(box, w, h) if w and h else np.asarray(box, dtype=np.float64)

    def replace_boxes(self, boxes: np.ndarray, labels: Sequence[str], text: str) -> None:
        """Replace all boxes (clipped to the image) as one undo step named ``text``."""
        fitted = [self.fit(b) for b in np.asarray(boxes, dtype=np.float64).reshape(-1, 4)]
        self._edit(text, np.array(fitted).reshape(-1, 4), [str(lbl) for lbl in labels])

    def add_box(self, box: Sequence[float], label: str) -> None:
        boxes = np.vstack([self._boxes, self.fit(box)[None]])
        self._edit(f"add box '{label}'", boxes, [*self._labels, label])

    def move_box(self, index: int, box: Sequence[float]) -> None:
        """Commit a move or resize of box ``index`` (one undo step; none if unchanged)."""
        self._check_index(index)
        before = self._committed[0] if self._preview is not None else self._boxes
        new = self.fit(box)
        self._end_preview()
        if np.allclose(before[index], new, atol=1e-6):
            return
        boxes = before.copy()
        boxes[index] = new
        moved = np.allclose(before[index, 2:] - before[index, :2], new[2:] - new[:2])
        self._edit(f"{'move' if moved else 'resize'} box '{self._labels[index]}'",
                   boxes, self._labels, before=(before, list(self._labels)))

    def preview_box(self, index: int, box: Sequence[float]) -> None:
        """Show box ``index`` at ``box`` while it is dragged, without an undo step."""
        self._check_index(index)
        if self._preview is None:
            self._committed = (self._boxes, list(self._labels))
            self._preview = index
        boxes = self._boxes.copy()
        boxes[index] = self.fit(box)
        self._boxes = self._frozen(boxes)
        self.box_previewed.emit(index)

    def remove_box(self, index: int) -> None:
        self._check_index(index)
        keep = [i for i in range(len(self._labels)) if i != index]
        self._edit(f"delete box '{self._labels[index]}'", self._boxes[keep],
                   [self._labels[i] for i in keep])

    def rename_box(self, index: int, label: str) -> None:
        self._check_index(index)
        label = label.strip()
        if not label or label == self._labels[index]:
            return
        labels = list(self._labels)
        old, labels[index] = labels[index], label
        self._edit(f"rename '{old}' to '{label}'", self._boxes, labels)

    def undo(self) -> None:
        self._end_preview()
        self.undo_stack.undo()

    def redo(self) -> None:
        self._end_preview()
        self.undo_stack.redo()

    def mark_saved(self) -> None:
        self._end_preview()
        self._saved = (self._boxes, list(self._labels))
        self.undo_stack.setClean()

    # ------------------------------------------------------------ internals
    def _edit(self, text: str, boxes: np.ndarray, labels: list[str], *,
              before: tuple[np.ndarray, list[str]] | None = None) -> None:
        self._end_preview()
        before = before or (self._boxes, list(self._labels))
        self.undo_stack.push(_BoxesEdit(self, text, before, (self._frozen(boxes), labels)))

    def _end_preview(self) -> None:
        if self._preview is not None:
            self._boxes, self._labels = self._committed[0], self._committed[1]
            self._preview = None

    def _apply(self, boxes: np.ndarray, labels: list[str]) -> None:
        self._boxes, self._labels = self._frozen(boxes), list(labels)
        self.boxes_changed.emit()

    def _check_index(self, index: int) -> None:
        if not 0 <= index < len(self._labels):
            raise IndexError(f"no ground-truth box #{index} (there are {len(self._labels)})")

    @staticmethod
    def _frozen(boxes: np.ndarray) -> np.ndarray:
        b = np.array(boxes, dtype=np.float64).reshape(-1, 4)
        b.setflags(write=False)  # panels change boxes through methods, not in place
        return b
