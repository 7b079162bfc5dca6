"""The runs of a tab: ``Run`` records, the ``RunsPanel`` list and the ``RunBook`` that
keeps them (numbering, the run store on disk, removal with undo).

A tab makes one ``RunBook(panel, runs_dir)``; a run is added when its session reports
``prepared`` (or a checkpoint / run log is opened), updated as events come, and written
to ``runs_dir`` (``engine.training.runstore``) once it ended — so it comes back at the
next start. The table's figure columns come from the task's metric descriptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
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

from gui.training.metrics import metrics_of, short_label, task_metrics

STATUS_COLORS = {"diverged": "#b00020", "failed": "#b00020", "stopped": "#9a6700",
                 "running": "#1f6feb", "paused": "#1f6feb"}
LIVE = ("running", "paused")


@dataclass
class Run:
    """One training run (or a loaded checkpoint, or an opened run log) as a tab keeps it.

    ``metrics`` are the task's ``MetricInfo`` descriptions (what the curves and the
    table show); ``curves`` map a series key (``train_loss``, ``test_miou``) to
    ``(xs, ys)`` with x the fractional epoch; ``final`` holds the last epoch's figures.
    """

    number: int
    network: str
    dataset: str
    settings: dict[str, Any]
    task: str = "classification"
    status: str = "running"  # running / paused / finished / stopped / diverged / loaded
    reason: str = ""
    source: str = ""
    model: Any = None  # the run's network (engine RunModel), once the worker let go of it
    history: Any = None  # engine History once ended (for checkpoints)
    curves: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    final: dict[str, float | None] = field(default_factory=dict)
    learned: str = ""
    id: str = ""  # its file in the runs folder (engine.training.runstore)
    weights: str = ""  # the kept checkpoint of a restored run ('' = none)
    metrics: tuple[Any, ...] | None = None  # None: the engine task's (by ``task``)

    def __post_init__(self) -> None:
        if self.metrics is None:
            self.metrics = task_metrics(self.task)

    def add_point(self, key: str, x: float, y: float | None) -> bool:
        if y is None:
            return False
        xs, ys = self.curves.setdefault(key, ([], []))
        xs.append(float(x))
        ys.append(float(y))
        return True

    @property
    def lr(self) -> float:
        return float(self.settings.get("lr", 0.0))

    def describe(self) -> str:
        s = self.settings
        parts = [f"{self.network} on {self.dataset}", f"lr={self.lr:g}"]
        parts += [text.format(s[key]) for key, text in (
            ("batch_size", "batch {}"), ("num_epochs", "{} epochs"), ("optimizer", "{}"),
            ("loss", "loss {}"), ("seed", "seed {}")) if s.get(key) is not None]
        if s.get("weight_decay"):
            parts.append(f"wd {s['weight_decay']:g}")
        if s.get("grad_clip"):
            parts.append(f"clip {s['grad_clip']:g}")
        return ", ".join(parts)


def record_progress(run: Run, p: Any) -> list[str]:
    """Add a ``BatchProgress``'s training figures to ``run``'s curves; the keys added."""
    added = [k for k, v in metrics_of(p).items() if k.startswith("train_")
             and run.add_point(k, p.fraction, v)]
    return added


def record_epoch(run: Run, e: Any) -> list[str]:
    """An ``EpochEnd``: its test figures as points, its figures as ``run.final``; the
    keys of the points added."""
    figures = metrics_of(e)
    added = [k for k, v in figures.items() if k.startswith("test_")
             and run.add_point(k, e.epoch, v)]
    run.final = {**figures, "examples_per_sec": e.examples_per_sec}
    run.settings["epochs_done"] = e.epoch
    return added


def run_settings(config: Any, prepared: Any, **extra: Any) -> dict[str, Any]:
    """A run's settings (what the runs list and the curves' labels read): the
    hyper-parameters of ``config``, the data size in use, and ``extra``."""
    from engine.training.config import hparam_names

    settings = {name: getattr(config, name) for name in hparam_names()}
    settings.update(resize=config.resize, n_train=prepared.n_train, n_test=prepared.n_test)
    settings.update(extra)
    return settings


def fill_from_history(run: Run, history: Any) -> None:
    """Curves and final figures of ``run`` from an engine ``History`` (a loaded run)."""
    run.history = history
    run.curves.clear()
    for p in history.progress:
        record_progress(run, p)
    for e in history.epochs:
        if not history.progress:  # a run log holds epochs only: train figures per epoch
            for k, v in metrics_of(e).items():
                if k.startswith("train_"):
                    run.add_point(k, e.epoch, v)
        record_epoch(run, e)


def _fmt(value: float | None, pattern: str = "{:.3f}") -> str:
    return "–" if value is None else pattern.format(value)


class RunsPanel(QWidget):
    """A list of runs, one column per figure of the task's metrics.

    Signals: ``selection_changed(list[int])`` (the selected run numbers);
    ``remove_requested(list[int])`` (Remove button, Delete key) and ``undo_requested``
    (Undo button, Ctrl+Z), handled by the ``RunBook``. ``buttons`` is the button row
    (a tab inserts its own, e.g. checkpoint buttons).
    """

    selection_changed = Signal(list)
    remove_requested = Signal(list)
    undo_requested = Signal()

    def __init__(self, metrics: Sequence[Any] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.metrics = tuple(metrics)
        self.figures = [("train_loss", "Train loss", "{:.4g}")] + [
            (f"{split}_{m.key}", f"{split.title()} {short_label(m)}",
             "{:" + getattr(m, "fmt", ".3f") + "}")
            for m in self.metrics for split in ("train", "test")
            if split in getattr(m, "splits", ("train", "test"))]
        self.columns = ("Run", "Network", "Dataset", "lr", "Epochs",
                        *(title for _, title, _ in self.figures), "Examples/s", "Status")
        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(self.columns))
        self.tree.setHeaderLabels(list(self.columns))
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setToolTip("Select several runs (Ctrl/Shift-click) to overlay their curves")
        self.tree.header().setStretchLastSection(True)
        widths = (48, 120, 130, 60, 58, 78, *(72,) * (len(self.figures) - 1), 84)
        for col, width in enumerate(widths):
            self.tree.setColumnWidth(col, width)
        self.tree.itemSelectionChanged.connect(self._on_tree_item_selection_changed)
        self._build_buttons()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addLayout(self.buttons)
        self._items: dict[int, QTreeWidgetItem] = {}

    def _build_buttons(self) -> None:
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
                  *(_fmt(f.get(key), pattern) for key, _, pattern in self.figures),
                  _fmt(f.get("examples_per_sec"), "{:,.0f}"), run.status)
        last = len(self.columns) - 1
        for col, text in enumerate(values):
            item.setText(col, text)
        for col in range(3, last):
            item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setForeground(last, QColor(STATUS_COLORS.get(run.status, "#1a7f37")))
        tip = run.describe() + (f"\n{run.reason}" if run.reason else "") + (
            "\nweights kept" if run.weights else "") + (
            f"\n{run.learned}" if run.learned else "") + (
            f"\ndata: {run.source}" if run.source else "")
        for col in range(len(self.columns)):
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


class RunBook(QObject):
    """A tab's runs: ``runs`` (number -> ``Run``), shown in ``panel``, kept in ``runs_dir``.

    Removal sets a run's files aside so ``undo_remove`` brings them back (Remove button /
    Delete, Undo button / Ctrl+Z on the panel); what stays removed is deleted at the next
    start. ``message(level, text)`` carries what the user should read (level ``info`` /
    ``warning`` / ``error``); ``live`` returns the run in progress, which cannot go.
    """

    message = Signal(str, str)

    def __init__(self, panel: RunsPanel, runs_dir: str | Path, *, live: Any = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel, self.runs_dir = panel, Path(runs_dir)
        self.runs: dict[int, Run] = {}
        self.next_number = 1
        self._live = live or (lambda: None)
        self._removed: list[list[Run]] = []
        panel.remove_requested.connect(self.remove)
        panel.undo_requested.connect(self.undo_remove)

    def take_number(self) -> int:
        number, self.next_number = self.next_number, self.next_number + 1
        return number

    def add(self, run: Run, *, select: bool = True) -> Run:
        self.runs[run.number] = run
        self.next_number = max(self.next_number, run.number + 1)
        self.panel.add_run(run, select=select)
        return run

    def update(self, run: Run) -> None:
        self.panel.update_run(run)

    def selected(self) -> list[Run]:
        return [self.runs[n] for n in self.panel.selected() if n in self.runs]

    # ------------------------------------------------------------ remove / undo
    def remove(self, numbers: list[int]) -> None:
        """Forget runs (their files are set aside, so ``undo_remove`` brings them back)."""
        from engine.training.runstore import remove_run

        live = self._live()
        keep = [n for n in numbers if live is not None and n == live.number]
        gone = [self.runs.pop(n) for n in numbers if n not in keep and n in self.runs]
        for run in gone:
            if run.id:
                try:
                    remove_run(self.runs_dir, run.id)
                except OSError as exc:
                    self.message.emit("warning", f"run {run.number}'s file stays in "
                                                 f"{self.runs_dir}: {exc.strerror or exc}")
        self.panel.remove_runs([r.number for r in gone])
        if gone:
            self._removed.append(gone)
            self.panel.undo_button.setEnabled(True)
            names = ", ".join(str(r.number) for r in gone)
            many = len(gone) > 1
            self.message.emit("info", f"removed run{'s' * many} {names} — Undo remove "
                                      f"(Ctrl+Z) brings {'them' if many else 'it'} back")
        if keep:
            self.message.emit("warning", "the running run cannot be removed; stop it first")

    def undo_remove(self) -> bool:
        """Bring back the runs removed last; False if there is nothing to undo."""
        from engine.training.runstore import undo_remove

        if not self._removed:
            return False
        runs = self._removed.pop()
        for run in runs:
            if run.id:
                try:
                    undo_remove(self.runs_dir, run.id)
                except OSError as exc:
                    self.message.emit("warning", f"run {run.number}'s file could not be put "
                                                 f"back: {exc.strerror or exc}")
            self.runs[run.number] = run
            self.panel.add_run(run, select=False)
        self.panel.select([r.number for r in runs])
        self.panel.undo_button.setEnabled(bool(self._removed))
        return True

    # ------------------------------------------------------------ the run store
    def store(self, run: Run) -> bool:
        """Write ``run``'s record (settings, curves, figures) to the runs folder."""
        from engine.training.events import History
        from engine.training.runstore import save_run

        if not run.id or run.status in LIVE:
            return False
        record = {"id": run.id, "number": run.number, "network": run.network,
                  "dataset": run.dataset, "task": run.task, "status": run.status,
                  "reason": run.reason, "source": run.source, "learned": run.learned,
                  "settings": dict(run.settings), "final": dict(run.final),
                  "history": run.history or History(settings=dict(run.settings)),
                  "weights": bool(run.weights)}
        try:
            save_run(self.runs_dir, record)
        except (OSError, ValueError) as exc:
            self.message.emit("error", f"run {run.number} is not kept: {exc}")
            return False
        return True

    def weights_path(self, run_id: str) -> str | None:
        """Where a new run keeps its weights when **Keep weights** is ticked, else None."""
        from engine.training.runstore import run_files

        if not self.panel.keep_weights.isChecked():
            return None
        try:
            self.runs_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.message.emit("warning", f"weights not kept — cannot create {self.runs_dir}: "
                                         f"{exc.strerror or exc}")
            return None
        return str(run_files(self.runs_dir, run_id)[1])

    def restore(self) -> list[str]:
        """The runs of earlier sessions, as they ended, the latest selected; returns the
        sentences about files that could not be read (each also a warning message)."""
        from engine.training.runstore import load_runs, purge_removed

        try:
            purge_removed(self.runs_dir)
            records, problems = load_runs(self.runs_dir)
        except OSError as exc:
            self.message.emit("warning", f"earlier runs could not be read from "
                                         f"{self.runs_dir}: {exc.strerror or exc}")
            return []
        for text in problems:
            self.message.emit("warning", text)
        for r in records:
            number = r["number"] if r["number"] not in self.runs else self.next_number
            run = Run(number, r["network"], r["dataset"], dict(r["settings"]),
                      task=r.get("task") or "classification", status=r["status"],
                      reason=r.get("reason", ""), source=r.get("source", ""),
                      learned=r.get("learned", ""), id=r["id"], weights=r["weights_path"])
            fill_from_history(run, r["history"])
            run.final = dict(r.get("final") or run.final)
            self.add(run, select=False)
        if records:  # show where the user left off: the latest run's curves
            self.panel.select([max(self.runs)])
        return problems
