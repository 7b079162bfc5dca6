"""Undo/redo for the Build tab: a stack of immutable NetworkSpecs."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class SpecHistory(Generic[T]):
    """Snapshots with a cursor. ``push`` drops the redo branch.

    Consecutive pushes with the same ``merge_key`` (e.g. one spin box being scrolled)
    replace the top snapshot, so one undo reverts the whole gesture — like
    ``QUndoCommand.mergeWith``.
    """

    def __init__(self, initial: T, *, limit: int = 200) -> None:
        self._items: list[T] = [initial]
        self._index = 0
        self._merge_key: Hashable | None = None
        self._limit = limit

    @property
    def current(self) -> T:
        return self._items[self._index]

    def can_undo(self) -> bool:
        return self._index > 0

    def can_redo(self) -> bool:
        return self._index < len(self._items) - 1

    def push(self, item: T, *, merge_key: Hashable | None = None) -> None:
        del self._items[self._index + 1:]
        if merge_key is not None and merge_key == self._merge_key and self._index > 0:
            self._items[self._index] = item
            if item == self._items[self._index - 1]:  # the gesture ended where it began
                del self._items[self._index]
                self._index -= 1
                merge_key = None
        else:
            self._items.append(item)
            if len(self._items) > self._limit:
                del self._items[0]
            self._index = len(self._items) - 1
        self._merge_key = merge_key

    def undo(self) -> T:
        if self.can_undo():
            self._index -= 1
        self._merge_key = None
        return self.current

    def redo(self) -> T:
        if self.can_redo():
            self._index += 1
        self._merge_key = None
        return self.current

    def break_merge(self) -> None:
        """The next push starts a new undo step even with the same key."""
        self._merge_key = None
