"""Evaluation: confusion matrix (click a cell for its samples), per-class table, and a
gallery of test samples with true and predicted labels, the most wrong first."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from widgets.qimage import array_to_qimage

THUMB = 72


def _item(text: str, *, tip: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
    if tip:
        item.setToolTip(tip)
    return item


class EvaluationView(QWidget):
    """Signals: evaluate_requested(); cell_clicked(int true, int predicted) (-1, -1 =
    all samples, most wrong first)."""

    evaluate_requested = Signal()
    cell_clicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result = None
        self.run = QPushButton("Evaluate on the test set")
        self.run.setToolTip("Predict every test example of the network's dataset")
        self.run.clicked.connect(self.evaluate_requested)
        self.all = QPushButton("All samples, most wrong first")
        self.all.clicked.connect(lambda: self.cell_clicked.emit(-1, -1))
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        bar = QHBoxLayout()
        for w in (self.run, self.all, self.progress):
            bar.addWidget(w)
        bar.addWidget(self.summary, 1)
        self.confusion = QTableWidget()
        self.confusion.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.confusion.cellClicked.connect(self.cell_clicked)
        self.confusion.setToolTip("Rows: true class; columns: predicted. Click a cell to "
                                  "see its samples.")
        self.classes = QTableWidget()
        self.classes.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.gallery = QListWidget()
        self.gallery.setViewMode(QListView.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(THUMB, THUMB))
        self.gallery.setResizeMode(QListView.ResizeMode.Adjust)
        self.gallery.setGridSize(QSize(THUMB + 48, THUMB + 44))
        self.gallery.setWordWrap(True)
        self.gallery_title = QLabel("")
        tables = QSplitter(Qt.Orientation.Vertical)
        tables.addWidget(self.confusion)
        tables.addWidget(self.classes)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.gallery_title)
        rl.addWidget(self.gallery, 1)
        self.classes.verticalHeader().setVisible(False)
        split = QSplitter()
        split.addWidget(tables)
        split.addWidget(right)
        split.setSizes([600, 360])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        self.all.setEnabled(False)

    def show_progress(self, done: int, total: int) -> None:
        self.progress.setVisible(True)
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def show_message(self, text: str) -> None:
        self.summary.setText(text)

    def set_result(self, result: object) -> None:
        """Fill the confusion matrix and the per-class table from an ``Evaluation``."""
        self.result = result
        self.progress.setVisible(False)
        self.all.setEnabled(True)
        names = result.class_names  # type: ignore[attr-defined]
        cm = result.confmat  # type: ignore[attr-defined]
        k = len(cm)
        self.confusion.setRowCount(k)
        self.confusion.setColumnCount(k)
        self.confusion.setVerticalHeaderLabels([f"true {n}" for n in names])
        self.confusion.setHorizontalHeaderLabels(list(names))
        rows = cm.sum(1, keepdims=True).clip(min=1)
        for i in range(k):
            for j in range(k):
                share = cm[i, j] / rows[i, 0]
                item = _item(str(int(cm[i, j])),
                             tip=f"true {names[i]}, predicted {names[j]}: {int(cm[i, j])} "
                                 f"({share:.0%} of the true {names[i]})")
                base = (46, 125, 50) if i == j else (198, 40, 40)
                alpha = int(40 + 200 * share) if cm[i, j] else 0
                item.setBackground(QBrush(QColor(*base, alpha)))
                self.confusion.setItem(i, j, item)
        self.confusion.resizeColumnsToContents()
        report = result.report  # type: ignore[attr-defined]
        headers = ["class", "precision", "recall", "F1", "support"]
        self.classes.setColumnCount(len(headers))
        self.classes.setHorizontalHeaderLabels(headers)
        self.classes.setRowCount(k)
        fmt = lambda v: "—" if np.isnan(v) else f"{v:.3f}"  # noqa: E731
        for i in range(k):
            for j, text in enumerate((names[i], fmt(report.precision[i]), fmt(report.recall[i]),
                                      fmt(report.f1[i]), str(int(report.support[i])))):
                self.classes.setItem(i, j, _item(text))
        self.classes.resizeColumnsToContents()
        n = int(cm.sum())
        self.summary.setText(f"{n} test examples, accuracy {result.accuracy:.1%}; "  # type: ignore[attr-defined]
                             f"{n - int(np.trace(cm))} wrong.")

    def set_gallery(self, title: str, indices: Sequence[int], images: Sequence[np.ndarray]
                    ) -> None:
        """Thumbnails with "true → predicted (loss)" under each; wrong ones in red."""
        self.gallery.clear()
        self.gallery_title.setText(title)
        r = self.result
        if r is None:
            return
        names = r.class_names
        for i, rgb in zip(indices, images, strict=True):
            true, pred = int(r.labels[i]), int(r.preds[i])
            pix = QPixmap.fromImage(array_to_qimage(rgb)).scaled(
                THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation)
            item = QListWidgetItem(QIcon(pix), f"{names[true]}\n→ {names[pred]}")
            item.setToolTip(f"test sample {int(i)}: true {names[true]}, predicted "
                            f"{names[pred]} ({r.probs[i]:.0%}), loss {r.losses[i]:.3g}")
            if true != pred:
                item.setForeground(QBrush(QColor("#c62828")))
            self.gallery.addItem(item)
