"""Train: the book's training loop (train_ch3 / train_ch6) with live Animator curves,
and live decision regions for 2-D classification data (TensorFlow Playground's view).

Everything heavy — loading the data, building the network, training, checkpoints — runs
in jobs on a ``JobRunner`` (gui/tabs/train/job.py); this tab only turns the events into
curves, progress and the runs list. Each run is a ``Run`` record (settings, curves,
final figures, the trained network once the worker let go of it).
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt
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

from engine.builder import NetworkSpec
from engine.data import TRUE_B, TRUE_W
from engine.files import SaveError, check_writable
from engine.training import (
    BatchProgress,
    DataSample,
    DecisionMap,
    EpochEnd,
    Finished,
    History,
    SpeedEstimate,
    Stopped,
)
from engine.training.runstore import (
    default_runs_dir,
    load_runs,
    new_run_id,
    purge_removed,
    remove_run,
    run_files,
    save_run,
    undo_remove,
)
from gui.context import AppContext
from gui.dialogs import ask_path
from gui.tabs.base import PlaygroundTab
from gui.tabs.build.format import shape_text
from gui.tabs.train.controls import Banner, ControlBar
from gui.tabs.train.curves import CurvesView
from gui.tabs.train.data_panel import FALLBACK, DataPanel
from gui.tabs.train.fit import BAD, WARN, check_fit
from gui.tabs.train.hparams import HyperParamsForm
from gui.tabs.train.job import (
    Loaded,
    Prepared,
    Saved,
    copy_job,
    is_2d_classification,
    load_job,
    save_job,
    train_job,
)
from gui.tabs.train.memory_check import confirm_training_memory
from gui.tabs.train.regions import RegionsView
from gui.tabs.train.runs import Run, RunsPanel, fill_from_history, learned_linear, record_epoch
from gui.tabs.train.source_panel import SourcePanel
from widgets.group_box import group_box

PRESET_KEY, SOURCE_KEY, DATASET_KEY = "train/preset", "train/source", "train/dataset"
KEEP_WEIGHTS_KEY = "train/keep_weights"
LONG_RUN_SECONDS = 10 * 60  # an estimate above this gets a warning with suggestions
SMALL_PRESETS = ("linear-regression", "softmax-regression", "mlp", "mlp-dropout", "lenet",
                 "lenet-relu", "lenet-bn")
DIR_KEY = "train/last_dir"
CKPT_FILTER = "Checkpoint (*.pt);;All files (*)"
SAVE_TIP = "Save the selected run's network, optimiser state, spec and history (.pt)"


def duration_text(seconds: float) -> str:
    """``2 h 41 min``, ``12 min``, ``45 s``."""
    seconds = max(0, round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    if seconds >= 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds} s"


def speed_tips(run: Run, device: str) -> list[str]:
    """What would make ``run`` practical: smaller images, fewer examples or epochs, a
    smaller network, a GPU."""
    s = run.settings
    tips = []
    resize = s.get("resize")
    if isinstance(resize, int) and resize > 28:
        tips.append(f"resize 28 (now {resize})")
    n_train = s.get("n_train")
    if isinstance(n_train, int) and n_train > 5000:
        tips.append(f"fewer examples (Train / test subset, e.g. 5,000 of {n_train:,})")
    if run.network not in SMALL_PRESETS:
        tips.append("a smaller preset (e.g. lenet or resnet-18 at 28 px)")
    epochs = s.get("num_epochs")
    if isinstance(epochs, int) and epochs > 2:
        tips.append(f"fewer epochs (now {epochs})")
    if device == "cpu":
        tips.append("a machine with a GPU")
    return tips or ["a smaller batch of work"]


def savable(run: Run) -> tuple[bool, str]:
    """Whether ``run``'s network is worth a checkpoint, and if not why (for the tooltip)."""
    if run.model is None and not run.weights:
        return False, "This run has no network to save (its weights were not kept)"
    if run.status in ("running", "paused"):
        return False, "Stop the run (or let it finish) before saving it"
    if run.status in ("failed", "diverged"):
        return False, f"Run {run.number} {run.status}: its weights are not a trained network"
    if run.status != "loaded" and (run.history is None or not run.history.progress):
        return False, f"Run {run.number} ended before its first training step"
    return True, ""


class TrainTab(PlaygroundTab):
    key = "train"
    title = "Train"
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.runs: dict[int, Run] = {}
        self.current: Run | None = None
        self._next = 1
        self._started = 0.0
        self._last_progress: BatchProgress | None = None
        self._restoring = False
        self._class_names: tuple[str, ...] = ()
        self._regions_key: tuple[object, ...] | None = None
        self.runs_dir = default_runs_dir()  # every run is kept here (runstore)
        self._removed: list[list[Run]] = []  # undo stack of removed runs
        self._pending_id = ""
        self.runner = self.make_runner("training")
        self.ckpt_runner = self.make_runner("checkpoint")
        self._build()
        self._connect()
        self._restore()
        self._restore_runs()
        self._set_state("idle")

    # ---------------------------------------------------------------- build
    def _build(self) -> None:
        self.source = SourcePanel(self.context.settings)
        self.data = DataPanel(self.context.settings)
        self.hparams = HyperParamsForm()
        left = QWidget()
        col = QVBoxLayout(left)
        col.setContentsMargins(0, 0, 6, 0)
        for title, widget in (("Network", self.source), ("Data", self.data),
                              ("Hyper-parameters", self.hparams)):
            col.addWidget(group_box(title, widget))
        col.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        # wide enough for the form and a vertical scroll bar (taller than the window)
        scroll.setMinimumWidth(max(380, left.minimumSizeHint().width()
                                   + scroll.verticalScrollBar().sizeHint().width()))
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.curves = CurvesView()
        self.runs_panel = RunsPanel()
        self.save_button = QPushButton("Save checkpoint…")
        self.save_button.setToolTip(SAVE_TIP)
        self.load_button = QPushButton("Load checkpoint…")
        self.load_button.setToolTip("Load a checkpoint saved here as a new run")
        self.runs_panel.buttons.insertWidget(0, self.save_button)
        self.runs_panel.buttons.insertWidget(1, self.load_button)
        right = QSplitter(Qt.Orientation.Vertical)
        self.regions = RegionsView()
        self.views = QTabWidget()
        self.views.setDocumentMode(True)
        self.views.addTab(self.curves, "Curves")
        self.views.addTab(self.regions, "Decision regions")
        right.addWidget(self.views)
        right.addWidget(group_box("Runs", self.runs_panel))
        right.setSizes([520, 200])
        right.setChildrenCollapsible(False)
        body = QVBoxLayout()
        body.addWidget(self._build_controls())
        banner_row = QHBoxLayout()
        banner_row.addWidget(self.banner, 1)
        banner_row.addWidget(self.fallback_button, 0, Qt.AlignmentFlag.AlignTop)
        body.addLayout(banner_row)
        body.addWidget(right, 1)
        body.addWidget(self.learned_label)
        box = QWidget()
        box.setLayout(body)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(box)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([400, 880])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter)

    def _build_controls(self) -> ControlBar:
        self.controls = c = ControlBar()
        self.train_button, self.pause_button = c.train_button, c.pause_button
        self.resume_button, self.stop_button = c.resume_button, c.stop_button
        self.progress, self.status, self.fallback_button = c.progress, c.status, c.fallback_button
        self.banner = Banner()
        self.learned_label = QLabel()
        self.learned_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.learned_label.hide()
        return c

    def _connect(self) -> None:
        self.train_button.clicked.connect(self.start_training)
        self.pause_button.clicked.connect(self.pause)
        self.resume_button.clicked.connect(self.resume)
        self.stop_button.clicked.connect(self.stop)
        self.save_button.clicked.connect(self._ask_save)
        self.load_button.clicked.connect(self._ask_load)
        self.fallback_button.clicked.connect(lambda: self.data.set_dataset(FALLBACK))
        self.runner.event.connect(self._on_runner_event)
        self.runner.failed.connect(self._on_runner_failed)
        self.runner.finished.connect(self._on_runner_finished)
        self.ckpt_runner.event.connect(self._on_ckpt_event)
        self.ckpt_runner.failed.connect(lambda msg: self.show_banner("error", msg))
        self.source.network_changed.connect(self._on_source_network_changed)
        self.source.error_found.connect(self._on_source_error_found)
        self.data.changed.connect(self._on_data_changed)
        self.hparams.changed.connect(self._on_hparams_changed)
        self.runs_panel.selection_changed.connect(self._on_runs_selection_changed)
        self.runs_panel.remove_requested.connect(self.remove_runs)
        self.runs_panel.undo_requested.connect(self.undo_remove)
        self.runs_panel.keep_weights.toggled.connect(
            lambda on: self.context.settings.setValue(KEEP_WEIGHTS_KEY, bool(on)))
        self.curves.exported.connect(lambda path: self.context.info(f"Train: curves saved to "
                                                                    f"{path}"))
        self.curves.export_failed.connect(self._on_curves_export_failed)
        self.context.network_sent.connect(self.source.set_build_network)
        self.context.device_changed.connect(lambda _d: self._show_device())

    def _restore(self) -> None:
        s = self.context.settings
        self._restoring = True  # the preset's defaults must not overwrite the saved values
        self.source.set_preset(str(s.value(PRESET_KEY, "lenet")))  # applies its defaults
        if self.context.current_network is not None:
            self.source.set_build_network(self.context.current_network)
        elif str(s.value(SOURCE_KEY, "preset")) != "preset":
            s.setValue(SOURCE_KEY, "preset")  # Build/file networks are not remembered
        self.data.set_dataset(str(s.value(DATASET_KEY, self.data.name)))
        self._restoring = False
        self.hparams.restore(s)
        self.runs_panel.keep_weights.setChecked(
            str(s.value(KEEP_WEIGHTS_KEY, "false")).lower() in ("true", "1"))
        self._check_fit()
        self._show_regions_dataset()
        self._show_device()

    # ---------------------------------------------------------------- actions
    def start_training(self) -> bool:
        """Start a run with the current network, data and hyper-parameters."""
        spec = self.source.spec()
        if spec is None or self.runner.is_running():
            if spec is None:
                self.show_banner("warning", "Choose a network first: a preset, a JSON file, "
                                 "or Build → Send to Train.")
            return False
        if not confirm_training_memory(self, spec, self.hparams.values(), self.data.input_shape(),
                                       self.context.device):
            return False
        self.hide_banner()
        self.learned_label.hide()
        self._spec, self._hp, self._data = spec, self.hparams.values(), self.data.options()
        self._pending_id = new_run_id()
        self.data.show_in_use("loading…")
        self.runner.start(train_job(spec, self._data, self._hp, device=self.context.device,
                                    keep_weights=self._weights_path(self._pending_id),
                                    hooks=tuple(self.context.make_training_hooks())))
        self._set_state("loading")
        return True

    def pause(self) -> None:
        if self.runner.is_running():
            self.runner.pause()
            self._set_state("paused")

    def resume(self) -> None:
        if self.runner.is_running():
            self.runner.resume()
            self._set_state("running")

    def stop(self) -> None:
        self.runner.stop()

    def remove_runs(self, numbers: list[int]) -> None:
        """Forget runs (their files are set aside, so ``undo_remove`` brings them back)."""
        keep = [n for n in numbers if self.current is not None and n == self.current.number]
        gone = [self.runs.pop(n) for n in numbers if n not in keep and n in self.runs]
        for run in gone:
            if run.id:
                try:
                    remove_run(self.runs_dir, run.id)
                except OSError as exc:
                    self.context.warn(f"Train: run {run.number}'s file stays in "
                                      f"{self.runs_dir}: {exc.strerror or exc}")
        self.runs_panel.remove_runs([r.number for r in gone])
        if gone:
            self._removed.append(gone)
            self.runs_panel.undo_button.setEnabled(True)
            names = ", ".join(str(r.number) for r in gone)
            self.context.info(f"Train: removed run{'s' * (len(gone) > 1)} {names} — "
                              f"Undo remove (Ctrl+Z) brings {'them' if len(gone) > 1 else 'it'} "
                              f"back")
        if keep:
            self.context.warn("Train: the running run cannot be removed; stop it first")

    def undo_remove(self) -> bool:
        """Bring back the runs removed last; False if there is nothing to undo."""
        if not self._removed:
            return False
        runs = self._removed.pop()
        for run in runs:
            if run.id:
                try:
                    undo_remove(self.runs_dir, run.id)
                except OSError as exc:
                    self.context.warn(f"Train: run {run.number}'s file could not be put "
                                      f"back: {exc.strerror or exc}")
            self.runs[run.number] = run
            self.runs_panel.add_run(run, select=False)
        self.runs_panel.select([r.number for r in runs])
        self.runs_panel.undo_button.setEnabled(bool(self._removed))
        return True

    def busy_description(self) -> str | None:
        """What closing the window would stop (MainWindow asks before closing)."""
        if not self.runner.is_running():
            return None
        run, p = self.current, self._last_progress
        if run is None:
            return "Train: a run is loading its data"
        where = f", epoch {p.epoch}/{run.settings.get('num_epochs')}" if p is not None else ""
        return f"Train: run {run.number} ({run.network} on {run.dataset}{where})"

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop the workers; a run that was still going is kept as stopped."""
        run = self.current
        ok = super().shutdown(timeout_ms)
        if run is not None and run.status in ("running", "paused"):
            p = self._last_progress
            where = f" at epoch {p.epoch} step {p.step}" if p is not None else ""
            run.status, run.reason = "stopped", f"stopped when the window closed{where}"
            if run.model is not None and run.model.kept:
                run.weights = run.model.kept
            self._store(run)
            self.current = None
        return ok

    def selected_runs(self) -> list[Run]:
        return [self.runs[n] for n in self.runs_panel.selected() if n in self.runs]

    def save_checkpoint(self, path: str) -> bool:
        runs = self.selected_runs()
        run = runs[-1] if len(runs) == 1 else None
        if run is None or not savable(run)[0]:
            self.show_banner("warning", "Select one finished or stopped run to save"
                             + (f": {savable(run)[1].lower()}." if run is not None else "."))
            return False
        extra = {"run": run.number, "network": run.network, "dataset": run.dataset,
                 "settings": {k: v for k, v in run.settings.items()},
                 "status": run.status, "reason": run.reason}
        try:
            check_writable(path)  # a missing or unwritable folder is said now, in one line
        except SaveError as exc:
            self.show_banner("error", str(exc))
            self.context.error(f"Train: {exc}")
            return False
        history = run.history or History(settings=dict(run.settings))
        if run.model is None:  # a restored run: its kept checkpoint is the file to save
            self.ckpt_runner.start(copy_job(run.weights, path))
        else:
            self.ckpt_runner.start(save_job(path, run.model, history, extra))
        return True

    def load_checkpoint(self, path: str) -> None:
        self.ckpt_runner.start(load_job(path))

    def show_banner(self, level: str, text: str) -> None:
        self.banner.show_message(level, text)

    def hide_banner(self) -> None:
        self.banner.hide()
        self.fallback_button.hide()

    # ---------------------------------------------------------------- runner events
    def _on_runner_event(self, event: object) -> None:
        if isinstance(event, Prepared):
            self._on_prepared(event)
        elif self.current is None:
            return
        elif isinstance(event, BatchProgress):
            self._on_progress(event)
        elif isinstance(event, SpeedEstimate):
            self._on_estimate(event)
        elif isinstance(event, DecisionMap):
            self.regions.show_map(event)
        elif isinstance(event, DataSample):
            self.regions.show_sample(event, self._class_names)
            self.regions.plot_item.setTitle(f"run {self.current.number}: "
                                            f"{self.current.describe()}", color="#333",
                                            size="10pt")
            self.views.setCurrentWidget(self.regions)
        elif isinstance(event, EpochEnd):
            run = self.current
            self.curves.add_point(run, "test_acc", event.epoch, event.test_acc)
            if run.task == "regression":
                self.curves.add_point(run, "test_loss", event.epoch, event.test_loss)
            record_epoch(run, event)
            self.runs_panel.update_run(run)
        elif isinstance(event, (Finished, Stopped)):
            self._on_ended(event)
            self.context.post_training_event(event)  # watchers learn the run ended
        else:  # events of other tabs' hooks (make_training_hooks)
            self.context.post_training_event(event)

    def _on_prepared(self, p: Prepared) -> None:
        hp, data = self._hp, self._data
        settings = {**hp.__dict__, "resize": data.resize, "n_train": p.n_train,
                    "n_test": p.n_test}
        run = Run(self._next, self._spec.name, data.name, settings, task=p.task,
                  source=p.source, model=p.model, id=self._pending_id)
        run.history = History(settings=dict(settings))
        self._next += 1
        self.runs[run.number] = self.current = run
        self.runs_panel.add_run(run)  # selects it: the plot shows it alone
        self._class_names = p.class_names
        if not is_2d_classification(p.task, p.input_shape):
            self.regions.show_dataset(data.name, p.task, p.input_shape)
            self.views.setCurrentWidget(self.curves)
        self._regions_key = None  # the next dataset choice redraws the view
        shape = shape_text(p.input_shape)
        self.data.show_in_use(f"In use: {p.source} · {p.n_train:,} train / {p.n_test:,} test "
                              f"· examples {shape}")
        self._started = time.perf_counter()
        self._set_state("paused" if self.runner.is_paused() else "running")

    def _on_progress(self, p: BatchProgress) -> None:
        run = self.current
        assert run is not None
        self._last_progress = p
        run.history.progress.append(p)
        self.curves.add_point(run, "train_loss", p.fraction, p.train_loss)
        self.curves.add_point(run, "train_acc", p.fraction, p.train_acc)
        self.controls.show_progress(p, int(run.settings["num_epochs"]),
                                    time.perf_counter() - self._started,
                                    self.runner.is_paused())
        self.status.setText(f"{p.examples_per_sec:,.0f} examples/s on {self.context.device}")

    def _on_estimate(self, e: SpeedEstimate) -> None:
        """Say up front when a run will take long here, and what would make it practical."""
        run = self.current
        assert run is not None
        total = duration_text(e.estimated_seconds)
        run.reason = f"estimated {total} on {self.context.device_label}"
        self.runs_panel.update_run(run)
        if e.estimated_seconds < LONG_RUN_SECONDS:
            return
        tips = speed_tips(run, self.context.device)
        self.show_banner("warning", f"Run {run.number}: estimated {total} on "
                         f"{self.context.device_label} ({e.seconds_per_batch:.2g} s per batch "
                         f"of {run.settings.get('batch_size')}, {e.steps_per_epoch:,} batches × "
                         f"{e.num_epochs} epochs) — consider " + ", ".join(tips)
                         + ". Stop keeps what it learned so far.")
        self.context.warn(f"Train: run {run.number} will take about {total}")

    def _on_ended(self, event: Finished | Stopped) -> None:
        run = self.current
        assert run is not None
        run.history = event.history
        if run.reason.startswith("estimated "):
            run.reason = ""  # the estimate was about the run in progress
        if isinstance(event, Finished):
            run.status = "finished"
            if self.banner.level == "warning" and self.banner.text().startswith(
                    f"Run {run.number}: estimated"):
                self.hide_banner()
            return
        run.status = {"diverged": "diverged", "out-of-memory": "out of memory"}.get(
            event.kind, "stopped")
        run.reason = event.reason
        level = "info" if event.kind == "user" else "error"
        self.show_banner(level, f"Run {run.number}: {event.reason}")
        if event.kind != "user":
            self.context.warn(f"Train: run {run.number} {event.reason}")

    def _on_runner_failed(self, message: str) -> None:
        self.show_banner("error", message)
        missing = "not found" in message or "could not be read" in message
        if missing and not self.data.info().offline:
            self.fallback_button.show()
            self.data.show_in_use("Files missing — see the message above; the offline "
                                  "procedural set needs none.", error=True)
        elif self.current is None:
            self.data.show_in_use("")
        if self.current is not None:
            self.current.status, self.current.reason = "failed", message

    def _on_runner_finished(self, stopped: bool) -> None:
        run, self.current = self.current, None
        self._set_state("idle")
        if run is None:
            self.progress.setFormat("stopped before training" if stopped else
                                    "not started — see the message above")
            return
        if run.status in ("running", "paused"):  # the runner ended it before Stopped came
            p = self._last_progress
            where = f" at epoch {p.epoch} step {p.step}" if p is not None else ""
            run.status, run.reason = "stopped", f"stopped by user{where}"
            self.show_banner("info", f"Run {run.number}: {run.reason}")
        self._last_progress = None
        if run.model is not None and run.status == "finished":
            self.context.share_model(run.model, f"run {run.number}: {run.network}")
        if (run.task == "regression" and run.model is not None and run.status != "diverged"
                and run.dataset == "synthetic-linear"):
            run.learned = learned_linear(run.model.net, TRUE_W, TRUE_B)
            self.learned_label.setText(f"Run {run.number}: {run.learned}")
            self.learned_label.setVisible(bool(run.learned))
        self.runs_panel.update_run(run)
        if any(r is run for r in self.curves.shown):
            self.curves.show_runs(self.curves.shown)  # final styling, empty-run notice
        self.progress.setFormat(f"run {run.number} {run.status}")
        if run.model is not None and run.model.kept:
            run.weights = run.model.kept
        elif run.model is not None and run.model.kept_error:
            self.context.warn(f"Train: run {run.number}'s weights were not kept: "
                              f"{run.model.kept_error}")
        self._store(run)
        self._update_ckpt_buttons()

    def _on_ckpt_event(self, event: object) -> None:
        if isinstance(event, Saved):
            self.context.info(f"Train: checkpoint saved to {event.path}")
            self.show_banner("info", f"Checkpoint saved to {event.path}")
        elif isinstance(event, Loaded):
            extra = event.extra
            saved = event.history.settings if event.history is not None else {}
            run = Run(self._next, event.model.spec.name, str(extra.get("dataset", "?")),
                      dict(extra.get("settings") or saved), status="loaded",
                      task=str(saved.get("task", "classification")),
                      reason=f"loaded from {event.path}", model=event.model, id=new_run_id())
            self._next += 1
            if event.history is not None:
                fill_from_history(run, event.history)
            self._store(run)
            self.runs[run.number] = run
            self.runs_panel.add_run(run)
            self.show_banner("info", f"Run {run.number}: loaded {Path(event.path).name}")

    # ---------------------------------------------------------------- kept runs
    def _weights_path(self, run_id: str) -> str | None:
        if not self.runs_panel.keep_weights.isChecked():
            return None
        try:
            self.runs_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.context.warn(f"Train: weights not kept — cannot create {self.runs_dir}: "
                              f"{exc.strerror or exc}")
            return None
        return str(run_files(self.runs_dir, run_id)[1])

    def _store(self, run: Run) -> bool:
        """Write ``run``'s record (settings, curves, figures) to the runs folder."""
        if not run.id or run.status in ("running", "paused"):
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
            self.context.error(f"Train: run {run.number} is not kept: {exc}")
            return False
        return True

    def _restore_runs(self) -> None:
        """The runs of earlier sessions, as they ended; unreadable files are skipped."""
        try:
            purge_removed(self.runs_dir)
            records, problems = load_runs(self.runs_dir)
        except OSError as exc:
            self.context.warn(f"Train: earlier runs could not be read from {self.runs_dir}: "
                              f"{exc.strerror or exc}")
            return
        for message in problems:
            self.context.warn(f"Train: {message}")
        for r in records:
            number = r["number"] if r["number"] not in self.runs else self._next
            run = Run(number, r["network"], r["dataset"], dict(r["settings"]),
                      task=r.get("task") or "classification", status=r["status"],
                      reason=r.get("reason", ""), source=r.get("source", ""),
                      learned=r.get("learned", ""), id=r["id"], weights=r["weights_path"])
            fill_from_history(run, r["history"])
            run.final = dict(r.get("final") or run.final)
            self.runs[run.number] = run
            self._next = max(self._next, run.number + 1)
            self.runs_panel.add_run(run, select=False)
        if records:  # show where the user left off: the latest run's curves
            self.runs_panel.select([max(self.runs)])
        if problems:
            self.show_banner("warning", f"{len(problems)} kept run file"
                             f"{'s' * (len(problems) > 1)} could not be read and "
                             f"{'were' if len(problems) > 1 else 'was'} skipped — see "
                             f"Messages (Ctrl+M): {problems[0]}")

    # ---------------------------------------------------------------- state → views
    def _set_state(self, state: str) -> None:
        self.controls.set_state(state, can_train=self.source.spec() is not None)
        if self.current is not None and state in ("running", "paused"):
            self.current.status = state
            self.runs_panel.update_run(self.current)
        self._update_ckpt_buttons()

    def _update_ckpt_buttons(self) -> None:
        runs = self.selected_runs()
        ok, why = (savable(runs[0]) if len(runs) == 1 else
                   (False, "Select one run to save its checkpoint"))
        self.save_button.setEnabled(ok)
        self.save_button.setToolTip(SAVE_TIP if ok else why)

    def _show_device(self) -> None:
        if not self.runner.is_running():
            self.status.setText(f"device: {self.context.device_label}")

    def _show_regions_dataset(self) -> None:
        """Regions view for the chosen dataset; a live run's view stays until it ends."""
        if self.runner.is_running():
            return
        info = self.data.info()
        key = (info.name, self.data.input_shape())
        if key == self._regions_key:  # e.g. only the subset size changed: keep the map
            return
        self._regions_key = key
        self.regions.show_dataset(info.name, info.task, self.data.input_shape())
        if not is_2d_classification(info.task, self.data.input_shape() or ()):
            self.views.setCurrentWidget(self.curves)

    def _check_fit(self) -> None:
        level, text = check_fit(self.source.spec(), self.data.info(), self.data.input_shape())
        self.source.show_fit(text, level != BAD, warn=level == WARN)

    # ---------------------------------------------------------------- slots
    def _on_source_network_changed(self, spec: NetworkSpec | None) -> None:
        s = self.context.settings
        s.setValue(SOURCE_KEY, self.source.kind())
        s.setValue(PRESET_KEY, self.source.preset_combo.currentText())
        if not self.runner.is_running() and self.banner.level in ("error", "warning"):
            self.hide_banner()  # about the previous network (or its run): no longer true
        if spec is not None:
            defaults = spec.train_defaults
            self.hparams.apply_recipe(self._recipe_name(spec), defaults)
            self.data.set_dataset(str(defaults.get("dataset", self.data.name)))
            self.data.set_resize(defaults.get("resize"))
        self._check_fit()
        if not self.runner.is_running():
            self._set_state("idle")

    def _recipe_name(self, spec: NetworkSpec) -> str:
        kind = self.source.kind()
        if kind == "preset":
            return f"preset {spec.name}"
        return f"{spec.name} (from {'Build' if kind == 'build' else 'file'})"

    def _on_curves_export_failed(self, message: str) -> None:
        self.show_banner("error", message)
        self.context.error(f"Train: {message}")

    def _on_hparams_changed(self) -> None:
        if not self._restoring:
            self.hparams.save(self.context.settings)

    def _on_source_error_found(self, message: str) -> None:
        self.show_banner("error", message)
        self.context.error(f"Train: {message}")

    def _on_data_changed(self) -> None:
        self.context.settings.setValue(DATASET_KEY, self.data.name)
        self._check_fit()
        self._show_regions_dataset()

    def _on_runs_selection_changed(self, numbers: list[int]) -> None:
        self.curves.show_runs([self.runs[n] for n in numbers if n in self.runs])
        self._update_ckpt_buttons()

    def _ask_save(self) -> None:
        path = ask_path(self, self.context.settings, DIR_KEY, "Save checkpoint", save=True,
                        name="run.pt", file_filter=CKPT_FILTER)
        if path:
            self.save_checkpoint(path)

    def _ask_load(self) -> None:
        path = ask_path(self, self.context.settings, DIR_KEY, "Load checkpoint",
                        file_filter=CKPT_FILTER)
        if path:
            self.load_checkpoint(path)


