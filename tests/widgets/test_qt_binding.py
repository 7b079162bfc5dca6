"""Guard against a Qt binding that corrupts Python's reference to None.

PySide6 6.12.0 on Python 3.11 decrements None's reference count on every call of a
method that returns void; after a few thousand calls (one paint of a big overlay)
the interpreter aborts. pyproject.toml excludes that release; this test fails
loudly if a broken binding is installed anyway.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter, QPen, QPicture


def test_void_methods_keep_none_refcount(qapp):
    if sys.version_info >= (3, 12):  # None is immortal there
        return
    picture = QPicture()
    painter = QPainter(picture)
    pen = QPen(QColor("red"))
    before = sys.getrefcount(None)
    for _ in range(200):
        pen.setWidthF(2.0)
        painter.setPen(pen)
        painter.drawRect(QRectF(0, 0, 1, 1))
    after = sys.getrefcount(None)
    painter.end()
    assert after - before > -50, (
        f"None lost {before - after} references in 600 void calls: this PySide6 build "
        "has the refcount bug; install PySide6-Essentials<6.12")
