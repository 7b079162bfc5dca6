"""The runs list: every run's settings, curves and final figures; select to overlay."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.tabs.train.job import Model

STATUS_COLORS = {"diverged": "#b00020", "failed": "#b00020", "stopped": "#9a6700",
                 "running": "#1f6feb", "paused": "#1f6feb"}
COLUMNS = ("Run", "Network", "Dataset", "lr", "Epochs", "Train loss", "Train acc",
           "Test acc", "Examples/s", "Status")


@dataclass
class Run:
    """One training run (or a loaded checkpoint) as the UI keeps it."""

    number: int
    network: str
    dataset: str
    settings: dict[str, Any]
    task: str = "classification"
    status: str = "running"  # running / paused / finished / stopped / diverged / loaded
    reason: str = ""
    source: str = ""
    model: Model | None = None
    history: Any = None  # engine History once ended (for checkpoints)
    # Curves: metric -> (xs, ys); x is the fractional epoch.
    curves: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    final: dict[str, float | None] = field(default_factory=dict)
    learned: str = ""
    id: str = ""  # its file in the runs folder (engine.training.runstore)
    weights: str = ""  # the kept checkpoint of a restored run ('' = none)

    def add_point(self, metric: str, x: float, y: float | None) -> bool:
        if y is None:
            return False
        xs, ys = self.curves.setdefault(metric, ([], []))
        xs.append(float(x))
        ys.append(float(y))
        return True

    @property
    def lr(self) -> float:
        return float(self.settings.get("lr", 0.0))

    def describe(self) -> str:
        s = self.settings
        parts = [f"{self.network} on {self.dataset}", f"lr={self.lr:g}",
                 f"batch {s.get('batch_size')}", f"{s.get('num_epochs')} epochs",
                 f"{s.get('optimizer')}", f"loss {s.get('loss')}", f"seed {s.get('seed')}"]
        if s.get("weight_decay"):
            parts.append(f"wd {s['weight_decay']:g}")
        if s.get("grad_clip"):
            parts.append(f"clip {s['grad_clip']:g}")
        return ", ".join(parts)


def _fmt(value: float | None, pattern: str = "{:.3f}") -> str:
    return "–" if value is None else pattern.format(value)


class RunsPanel(QWidget):
    """A list of runs. ``selection_changed(list[int])`` gives the selected run numbers;
    ``remove_requested(list[int])`` (Remove button, Delete key) and ``undo_requested``
    (Undo button, Ctrl+Z) go to the tab, which owns the runs."""

    selection_changed = Signal(list)
    remove_requested = Signal(list)
    undo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setToolTip("Select several runs (Ctrl/Shift-click) to overlay their curves")
        header = self.tree.header()
        header.setStretchLastSection(True)
        for col, width in enumerate((48, 120, 130, 60, 58, 78, 72, 72, 84)):
            self.tree.setColumnWidth(col, width)
        self.tree.itemSelectionChanged.connect(self._on_tree_item_selection_changed)
        self.remove_button = QPushButton("Remove run")
        self.remove_button.setToolTip("Forget the selected runs (their curves and weights)")
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self._request_remove)
        self.undo_button = QPushButton("Undo remove")
        self.undo_button.setToolTip("Bring back the runs removed last (Ctrl+Z)")
        self.undo_button.setEnabled(False)
        self.undo_button.clicked.connect(self.undo_requested.emit)
        self.keep_weights = QCheckBox("Keep weights")
        self.keep_weights.setToolTip("Keep each new run's trained network in the runs folder, "
                                     "so it can still be saved as a checkpoint after a "
                                     "restart (settings and curves are always kept)")
        for keys, slot in ((QKeySequence.StandardKey.Delete, self._request_remove),
                           (QKeySequence.StandardKey.Undo, self.undo_requested.emit)):
            shortcut = QShortcut(QKeySequence(keys), self.tree)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self.buttons = QHBoxLayout()
        self.buttons.addWidget(self.keep_weights)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.remove_button)
        self.buttons.addWidget(self.undo_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addLayout(self.buttons)
        self._items: dict[int, QTreeWidgetItem] = {}

    def _request_remove(self) -> None:
        if self.selected():
            self.remove_requested.emit(self.selected())

    def add_run(self, run: Run, *, select: bool = True) -> None:
        item = QTreeWidgetItem()
        item.setData(0, Qt.ItemDataRole.UserRole, run.number)
        self._items[run.number] = item
        later = [n for n in self._items if n > run.number]  # undo puts a run back in place
        if later:
            self.tree.insertTopLevelItem(self.tree.indexOfTopLevelItem(
                self._items[min(later)]), item)
        else:
            self.tree.addTopLevelItem(item)
        self.update_run(run)
        if select:
            self.select([run.number])

    def update_run(self, run: Run) -> None:
        item = self._items.get(run.number)
        if item is None:
            return
        f = run.final
        values = (str(run.number), run.network, run.dataset, f"{run.lr:g}",
                  f"{run.settings.get('epochs_done', 0)}/{run.settings.get('num_epochs', '?')}",
                  _fmt(f.get("train_loss"), "{:.4g}"), _fmt(f.get("train_acc")),
                  _fmt(f.get("test_acc")), _fmt(f.get("examples_per_sec"), "{:,.0f}"),
                  run.status)
        for col, text in enumerate(values):
            item.setText(col, text)
        for col in range(3, len(COLUMNS) - 1):
            item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        color = QColor(STATUS_COLORS.get(run.status, "#1a7f37"))
        item.setForeground(len(COLUMNS) - 1, color)
        tip = run.describe() + (f"\n{run.reason}" if run.reason else "") + (
            "\nweights kept" if run.weights else "") + (
            f"\n{run.learned}" if run.learned else "") + (
            f"\ndata: {run.source}" if run.source else "")
        for col in range(len(COLUMNS)):
            item.setToolTip(col, tip)

    def remove_runs(self, numbers: list[int]) -> None:
        for number in numbers:
            item = self._items.pop(number, None)
            if item is not None:
                self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))
        self._on_tree_item_selection_changed()

    def select(self, numbers: list[int]) -> None:
        self.tree.clearSelection()
        for number in numbers:
            item = self._items.get(number)
            if item is not None:
                item.setSelected(True)
                self.tree.setCurrentItem(item, 0,
                                         self.tree.selectionModel().SelectionFlag.NoUpdate)

    def selected(self) -> list[int]:
        numbers = [int(i.data(0, Qt.ItemDataRole.UserRole)) for i in self.tree.selectedItems()]
        return sorted(numbers)

    def count(self) -> int:
        return self.tree.topLevelItemCount()

    def _on_tree_item_selection_changed(self) -> None:
        numbers = self.selected()
        self.remove_button.setEnabled(bool(numbers))
        self.selection_changed.emit(numbers)


def fill_from_history(run: Run, history: Any) -> None:
    """Curves and final figures of ``run`` from an engine ``History`` (a loaded run)."""
    run.history = history
    run.curves.clear()
    for p in history.progress:
        run.add_point("train_loss", p.fraction, p.train_loss)
        run.add_point("train_acc", p.fraction, p.train_acc)
    for e in history.epochs:
        run.add_point("test_acc", e.epoch, e.test_acc)
        if run.task == "regression":
            run.add_point("test_loss", e.epoch, e.test_loss)
        record_epoch(run, e)


def record_epoch(run: Run, e: Any) -> None:
    """Final figures after an ``EpochEnd`` (the caller draws its points)."""
    run.final = {"train_loss": e.train_loss, "train_acc": e.train_acc,
                 "test_acc": e.test_acc, "test_loss": e.test_loss,
                 "examples_per_sec": e.examples_per_sec}
    run.settings["epochs_done"] = e.epoch


def learned_linear(net: Any, true_w: tuple[float, ...], true_b: float) -> str:
    """``learned w = [...], b = ...`` for a one-Linear regression net, else ''."""
    from torch import nn

    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    if len(linears) != 1 or linears[0].out_features != 1 or linears[0].bias is None:
        return ""
    w = linears[0].weight.detach().cpu().reshape(-1).tolist()
    b = float(linears[0].bias.detach().cpu().reshape(-1)[0])
    text = f"learned w = [{', '.join(f'{v:.4f}' for v in w)}], b = {b:.4f}"
    if len(w) == len(true_w):
        err_w = max(abs(a - t) for a, t in zip(w, true_w, strict=True))
        text += (f"   (true w = [{', '.join(f'{v:g}' for v in true_w)}], b = {true_b:g};"
                 f" errors {err_w:.1e}, {abs(b - true_b):.1e})")
    return text
