"""Train: the book's training loop (train_ch3 / train_ch6) with live Animator curves,
and live decision regions for 2-D classification data (TensorFlow Playground's view).

The tab composes the shared training pieces of ``gui.training``: a ``TrainingSession``
runs the engine's ``run(config)`` on a ``JobRunner`` and reports its events; the
``ControlBar``, ``CurvesView`` (curves from the task's metric descriptions), the runs
list (``RunsPanel`` + ``RunBook``: kept runs, overlays, undo), the ``RunRecorder`` (the
run in progress kept there) and ``CheckpointActions`` (save / load / resume, run logs)
draw and keep them. The Train tab's own: the network / data / hyper-parameter forms, the
decision regions, the speed-estimate advice, the learned w and b of linear regression,
and the Experiment menu (export, open run log, resume).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.builder import NetworkSpec
from engine.data import TRUE_B, TRUE_W
from engine.files import SaveError
from engine.training import (
    DataSample,
    DecisionMap,
    Finished,
    History,
    SpeedEstimate,
    Stopped,
)
from engine.training.runstore import default_runs_dir, new_run_id
from gui.context import AppContext
from gui.dialogs import ask_path
from gui.tabs.base import PlaygroundTab
from gui.tabs.build.format import shape_text
from gui.tabs.train.augmentation import AugmentationRow
from gui.tabs.train.data_panel import FALLBACK, DataPanel
from gui.tabs.train.experiment import (
    EXPERIMENT_FILTER,
    LOG_FILTER,
    export_experiment,
    log_run_fields,
    resume_config,
)
from gui.tabs.train.fit import BAD, WARN, check_fit, learned_linear
from gui.tabs.train.hparams import HyperParamsForm
from gui.tabs.train.job import config_job, is_2d_classification, make_config
from gui.tabs.train.memory_check import confirm_training_memory
from gui.tabs.train.regions import RegionsView
from gui.tabs.train.source_panel import SourcePanel
from gui.training import (
    Banner,
    CheckpointActions,
    ControlBar,
    CurvesView,
    Run,
    RunBook,
    RunRecorder,
    RunsPanel,
    TrainingSession,
    duration_text,
    fill_from_history,
    model_name,
    run_settings,
    savable,
    task_metrics,
)
from widgets.group_box import group_box

__all__ = ["TrainTab", "duration_text", "savable", "speed_tips"]

PRESET_KEY, SOURCE_KEY, DATASET_KEY = "train/preset", "train/source", "train/dataset"
KEEP_WEIGHTS_KEY = "train/keep_weights"
LONG_RUN_SECONDS = 10 * 60  # an estimate above this gets a warning with suggestions
SMALL_PRESETS = ("linear-regression", "softmax-regression", "mlp", "mlp-dropout", "lenet",
                 "lenet-relu", "lenet-bn")
DIR_KEY = "train/last_dir"
CKPT_FILTER = "Checkpoint (*.pt);;All files (*)"
SAVE_TIP = "Save the selected run's network, optimiser state, spec and history (.pt)"
PROGRESS_SECONDS = 0.15  # curves update several times a second


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


class TrainTab(PlaygroundTab):
    key = "train"
    title = "Train"

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self._restoring = False
        self._class_names: tuple[str, ...] = ()
        self._regions_key: tuple[object, ...] | None = None
        self._pending: dict[str, object] = {}  # what the next Prepared becomes
        self.runner = self.make_runner("training")
        self.ckpt_runner = self.make_runner("checkpoint")
        self.session = TrainingSession(self.runner, device_label=context.device)
        self.files = CheckpointActions(self.ckpt_runner)
        self._build()
        self.book = RunBook(self.runs_panel, default_runs_dir(), live=lambda: self.current)
        self.runs = self.book.runs  # number -> Run (the book's dict itself)
        self.recorder = RunRecorder(self.session, self.book, self.curves,
                                    make_run=self._make_run)
        self._connect()
        self._restore()
        self._restore_runs()
        self._set_state("idle")

    @property
    def current(self) -> Run | None:
        """The run in progress (``RunRecorder.current``), or None."""
        return self.recorder.current

    @property
    def runs_dir(self) -> Path:
        """Where every run is kept (``engine.training.runstore``)."""
        return self.book.runs_dir

    @property
    def progress(self):  # the control bar's progress bar (tests, benchmarks)
        return self.controls.progress

    # ---------------------------------------------------------------- build
    def _build(self) -> None:
        self.source = SourcePanel(self.context.settings)
        self.data = DataPanel(self.context.settings)
        self.augmentation = AugmentationRow()
        self.hparams = HyperParamsForm()
        left = QWidget()
        col = QVBoxLayout(left)
        col.setContentsMargins(0, 0, 6, 0)
        for title, widget in (("Network", self.source), ("Data", self.data),
                              ("Hyper-parameters", self.hparams)):
            col.addWidget(group_box(title, widget))
            if widget is self.data:
                col.addWidget(self.augmentation)
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
        self.runs_panel = RunsPanel(task_metrics("classification"))
        self._build_run_buttons()
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

    def _build_run_buttons(self) -> None:
        self.save_button = QPushButton("Save checkpoint…")
        self.save_button.setToolTip(SAVE_TIP)
        self.load_button = QPushButton("Load checkpoint…")
        self.load_button.setToolTip("Load a checkpoint saved here as a new run")
        self.experiment_button = QToolButton()
        self.experiment_button.setText("Experiment")
        self.experiment_button.setToolTip("Export this setup for the command line or "
                                          "torchrun, open a headless run's log, or resume "
                                          "training from a checkpoint")
        self.experiment_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.experiment_button)
        self.export_action = menu.addAction("Export experiment…", self._ask_export)
        self.export_action.setToolTip("Save the network, data and hyper-parameters as a run "
                                      "config (python -m engine train --config FILE), "
                                      "optionally with a standalone training script")
        self.open_log_action = menu.addAction("Open run log…", self._ask_open_log)
        self.open_log_action.setToolTip("Show the curves of a headless run's JSON-lines log "
                                        "(--run-log, or --json output) as a run")
        self.resume_action = menu.addAction("Resume from checkpoint…", self._ask_resume)
        self.resume_action.setToolTip("Continue training a checkpoint: its weights, "
                                      "optimiser, schedule and epoch count")
        menu.setToolTipsVisible(True)
        self.experiment_button.setMenu(menu)
        # as tall as the push buttons beside it (a tool button is slimmer by default)
        self.experiment_button.setMinimumHeight(self.load_button.sizeHint().height())
        for i, widget in enumerate((self.save_button, self.load_button,
                                    self.experiment_button)):
            self.runs_panel.buttons.insertWidget(i, widget)

    def _build_controls(self) -> ControlBar:
        self.controls = c = ControlBar()
        self.train_button, self.pause_button = c.train_button, c.pause_button
        self.resume_button, self.stop_button = c.resume_button, c.stop_button
        self.status = c.status
        self.fallback_button = QPushButton("Use the offline procedural set")
        self.fallback_button.setToolTip("Switch the dataset to procedural shapes (no files)")
        self.fallback_button.hide()
        self.banner = Banner()
        self.learned_label = QLabel()
        self.learned_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.learned_label.hide()
        return c

    def _connect(self) -> None:
        self.train_button.clicked.connect(self.start_training)
        self.controls.attach(self.session)
        self.save_button.clicked.connect(self._ask_save)
        self.load_button.clicked.connect(self._ask_load)
        self.fallback_button.clicked.connect(lambda: self.data.set_dataset(FALLBACK))
        s = self.session  # after the recorder's slots: the run is up to date here
        s.prepared.connect(self._on_session_prepared)
        s.estimated.connect(self._on_session_estimated)
        s.hook_event.connect(self._on_session_hook_event)
        s.ended.connect(self._on_session_ended)
        s.failed.connect(self._on_session_failed)
        s.state_changed.connect(self._set_state)
        self.recorder.run_ended.connect(self._on_recorder_run_ended)
        self.recorder.message.connect(self._on_book_message)
        self.files.saved.connect(self._on_files_saved)
        self.files.loaded.connect(self._on_files_loaded)
        self.files.log_read.connect(self._on_files_log_read)
        self.files.failed.connect(lambda msg: self.show_banner("error", msg))
        self.book.message.connect(self._on_book_message)
        self.source.network_changed.connect(self._on_source_network_changed)
        self.source.error_found.connect(self._on_source_error_found)
        self.data.changed.connect(self._on_data_changed)
        self.hparams.changed.connect(self._on_hparams_changed)
        self.runs_panel.selection_changed.connect(self._on_runs_selection_changed)
        self.runs_panel.keep_weights.toggled.connect(
            lambda on: self.context.settings.setValue(KEEP_WEIGHTS_KEY, bool(on)))
        self.curves.exported.connect(lambda path: self.context.info(f"Train: curves saved to "
                                                                    f"{path}"))
        self.curves.export_failed.connect(self._on_curves_export_failed)
        self.context.network_sent.connect(self.source.set_build_network)
        self.context.augmentation_sent.connect(self.use_augmentation)
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
        if spec is None or self.session.is_running():
            if spec is None:
                self.show_banner("warning", "Choose a network first: a preset, a JSON file, "
                                 "or Build → Send to Train.")
            return False
        hp = self.hparams.values()
        if not confirm_training_memory(self, spec, hp, self.data.input_shape(),
                                       self.context.device):
            return False
        try:
            transforms = self.augmentation.transforms(self.data.input_shape())
        except ValueError as exc:
            self.show_banner("error", f"Augmentation '{self.augmentation.name()}' cannot train "
                             f"on {self.data.name}: {exc}. Clear it or change it in the "
                             f"Augment tab.")
            return False
        data = dataclasses.replace(self.data.options(), transforms=transforms)
        config = make_config(spec, data, hp, device=self.context.device,
                             progress_seconds=PROGRESS_SECONDS)
        return self._start(config, spec.name)

    def resume_from_checkpoint(self, path: str) -> None:
        """Read the checkpoint at ``path``, then train it on from its saved epoch
        (weights, optimiser, schedule); a finished run gets the form's epochs more."""
        if self.session.is_running():
            self.show_banner("warning", "A run is in progress; stop it before resuming "
                             "another.")
            return
        self.files.load(path, purpose="resume")

    def _start(self, config: object, network: str, *, prefill: object = None,
               note: str = "") -> bool:
        self.hide_banner()
        self.learned_label.hide()
        run_id = new_run_id()
        self._pending = {"network": network, "id": run_id, "prefill": prefill, "note": note}
        self._end_posted = False
        self.data.show_in_use("loading…")
        self.session.device_label = self.context.device
        return self.session.start(config, job=config_job(
            config, keep_weights=self.book.weights_path(run_id),
            hooks=tuple(self.context.make_training_hooks())))

    def use_augmentation(self, spec: object) -> None:
        """Train the next runs with this augmentation pipeline (from the Augment tab); an
        image set that fits it is picked when the current data is not one (the offline
        colour set for 32×32 pipelines)."""
        from engine.augment.training import check_on

        self.augmentation.set_spec(spec)  # type: ignore[arg-type]
        if self.augmentation.spec is None:
            return
        shape = self.data.input_shape()
        try:
            self.augmentation.transforms(shape)
        except ValueError as exc:
            try:
                check_on(self.augmentation.spec, (3, 32, 32))
            except ValueError:
                self.show_banner("warning", f"Augmentation '{spec.name}' does not fit "
                                 f"{self.data.name}: {exc}")
                return
            before = self.data.name
            self.data.set_dataset("colour-shapes")
            self.show_banner("info", f"Augmentation '{spec.name}' does not fit {before} "
                             f"({exc}), so the data is now the offline colour shapes (32×32 "
                             f"RGB). Train once with it and once after Clear to compare.")
            return
        self.show_banner("info", f"The next runs train with augmentation '{spec.name}'; "
                         f"the runs list names it. Train once with it and once after Clear, "
                         f"then select both runs to overlay their curves.")

    def pause(self) -> None:
        self.session.pause()

    def resume(self) -> None:
        self.session.resume()

    def stop(self) -> None:
        self.session.stop()

    def remove_runs(self, numbers: list[int]) -> None:
        """Forget runs (their files are set aside, so ``undo_remove`` brings them back)."""
        self.book.remove(numbers)

    def undo_remove(self) -> bool:
        """Bring back the runs removed last; False if there is nothing to undo."""
        return self.book.undo_remove()

    def busy_description(self) -> str | None:
        """What closing the window would stop (MainWindow asks before closing)."""
        if not self.session.is_running():
            return None
        run, p = self.current, self.session.last_progress
        if run is None:
            return "Train: a run is loading its data"
        where = f", epoch {p.epoch}/{run.settings.get('num_epochs')}" if p is not None else ""
        return f"Train: run {run.number} ({run.network} on {run.dataset}{where})"

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop the workers; a run that was still going is kept as stopped."""
        ok = super().shutdown(timeout_ms)
        self.recorder.abandon("stopped when the window closed")
        return ok

    def selected_runs(self) -> list[Run]:
        return self.book.selected()

    def save_checkpoint(self, path: str) -> bool:
        runs = self.selected_runs()
        run = runs[-1] if len(runs) == 1 else None
        if run is None or not savable(run)[0]:
            self.show_banner("warning", "Select one finished or stopped run to save"
                             + (f": {savable(run)[1].lower()}." if run is not None else "."))
            return False
        extra = {"run": run.number, "network": run.network, "dataset": run.dataset,
                 "settings": dict(run.settings), "status": run.status, "reason": run.reason}
        try:
            return self.files.save(run, path, extra)
        except SaveError as exc:  # a missing or unwritable folder is said now, in one line
            self.show_banner("error", str(exc))
            self.context.error(f"Train: {exc}")
            return False

    def load_checkpoint(self, path: str) -> None:
        self.files.load(path)

    def open_run_log(self, path: str) -> None:
        """Show a headless run's JSON-lines log (``--run-log`` / ``--json``) as a run."""
        self.files.open_log(path)

    def export_experiment(self, path: str, *, script: bool = False) -> bool:
        """Write the current setup as a run config JSON at ``path`` (what ``python -m
        engine train --config FILE`` runs) and, with ``script``, the standalone training
        script beside it (``NAME.py``). False, with a message naming the file, if not."""
        spec = self.source.spec()
        if spec is None:
            self.show_banner("warning", "Choose a network first: there is nothing to export.")
            return False
        config = make_config(spec, self.data.options(), self.hparams.values(), device="auto")
        result = export_experiment(config, path, script=script)
        for level, text in result.messages:
            self.show_banner(level, text)
            getattr(self.context, {"error": "error", "warning": "warn"}.get(level, "info"))(
                f"Train: {text}")
        return result.ok

    def show_banner(self, level: str, text: str) -> None:
        self.banner.show_message(level, text)

    def hide_banner(self) -> None:
        self.banner.hide()
        self.fallback_button.hide()

    # ---------------------------------------------------------------- session events
    def _make_run(self, p: object) -> Run:
        """The ``Run`` of a ``Prepared``: named and set up as the form (or the resumed
        checkpoint) asked."""
        config, pending = self.session.config, self._pending
        dataset = str(config.dataset)
        if config.transforms:  # augmented and plain runs of one set read apart in the list
            dataset += f" + {self.augmentation.name()}"
        run = Run(self.book.take_number(), str(pending.get("network") or "?"),
                  dataset, run_settings(config, p), task=p.task, source=p.source,
                  model=p.model, id=str(pending.get("id", "")), metrics=tuple(p.metrics),
                  reason=str(pending.get("note", "")))
        prefill = pending.get("prefill")
        if prefill is not None:  # a resumed run: the epochs before it, then the new ones
            fill_from_history(run, prefill)
            run.history = self.session.history
            run.history.epochs[:0] = list(prefill.epochs)
            run.history.progress[:0] = list(prefill.progress)
        return run

    def _on_session_prepared(self, p: object) -> None:
        self._class_names = p.class_names
        if not is_2d_classification(p.task, p.input_shape):
            self.regions.show_dataset(self.session.config.dataset, p.task, p.input_shape)
            self.views.setCurrentWidget(self.curves)
        self._regions_key = None  # the next dataset choice redraws the view
        shape = shape_text(p.input_shape)
        weights = f" · {p.weights}" if getattr(p, "weights", "") else ""
        self.data.show_in_use(f"In use: {p.source} · {p.n_train:,} train / {p.n_test:,} test "
                              f"· examples {shape}{weights}")

    def _on_session_hook_event(self, event: object) -> None:
        if not isinstance(event, (DecisionMap, DataSample)):
            self.context.post_training_event(event)  # other tabs' hooks (add_training_hook)
            return
        if self.current is None:
            return
        if isinstance(event, DecisionMap):
            self.regions.show_map(event)
        elif isinstance(event, DataSample):
            self.regions.show_sample(event, self._class_names)
            self.regions.plot_item.setTitle(f"run {self.current.number}: "
                                            f"{self.current.describe()}", color="#333",
                                            size="10pt")
            self.views.setCurrentWidget(self.regions)

    def _on_session_estimated(self, e: SpeedEstimate) -> None:
        """Say up front when a run will take long here, and what would make it practical."""
        run = self.current
        if run is None:
            return
        total = duration_text(e.estimated_seconds)
        run.reason = f"estimated {total} on {self.context.device_label}"
        self.book.update(run)
        if e.estimated_seconds < LONG_RUN_SECONDS:
            return
        tips = speed_tips(run, self.context.device)
        self.show_banner("warning", f"Run {run.number}: estimated {total} on "
                         f"{self.context.device_label} ({e.seconds_per_batch:.2g} s per batch "
                         f"of {run.settings.get('batch_size')}, {e.steps_per_epoch:,} batches × "
                         f"{e.num_epochs} epochs) — consider " + ", ".join(tips)
                         + ". Stop keeps what it learned so far.")
        self.context.warn(f"Train: run {run.number} will take about {total}")

    def _on_session_ended(self, event: Finished | Stopped) -> None:
        self.context.post_training_event(event)  # watchers of the run learn it ended
        self._end_posted = True
        run = self.current
        if run is None:
            return
        if isinstance(event, Finished):
            if run.reason.startswith("estimated "):  # about the run in progress
                run.reason = str(self._pending.get("note", ""))  # e.g. "resumed from …"
            if self.banner.level == "warning" and self.banner.text().startswith(
                    f"Run {run.number}: estimated"):
                self.hide_banner()
            return
        self.show_banner("info" if event.kind == "user" else "error",
                         f"Run {run.number}: {event.reason}")
        if event.kind != "user":
            self.context.warn(f"Train: run {run.number} {event.reason}")

    def _on_session_failed(self, message: str) -> None:
        self.show_banner("error", message)
        missing = "not found" in message or "could not be read" in message
        if missing and not self.data.info().offline:
            self.fallback_button.show()
            self.data.show_in_use("Files missing — see the message above; the offline "
                                  "procedural set needs none.", error=True)
        elif self.current is None:
            self.data.show_in_use("")

    def _on_recorder_run_ended(self, run: Run | None, stopped: bool) -> None:
        if not getattr(self, "_end_posted", True):
            # The runner let the job go on a stop before the loop's own Stopped event
            # came through; watchers (the Inside tab's live view) must still learn it.
            self._end_posted = True
            p = self.session.last_progress
            self.context.post_training_event(Stopped(
                run.reason if run is not None and run.reason else "stopped by user",
                self.session.history or History(), p.epoch if p else 1, p.step if p else 0,
                "user"))
        if run is None:
            self.progress.setFormat("stopped before training" if stopped else
                                    "not started — see the message above")
            return
        if self.recorder.cut_short:
            self.show_banner("info", f"Run {run.number}: {run.reason}")
        if run.model is not None and run.status == "finished":
            self.context.share_model(run.model, f"run {run.number}: {run.network}")
        if (run.task == "regression" and run.model is not None and run.status != "diverged"
                and run.dataset == "synthetic-linear"):
            run.learned = learned_linear(run.model.net, TRUE_W, TRUE_B)
            self.learned_label.setText(f"Run {run.number}: {run.learned}")
            self.learned_label.setVisible(bool(run.learned))
            self.book.update(run)
            self.book.store(run)  # with what it learned
        self.progress.setFormat(f"run {run.number} {run.status}")
        self._update_ckpt_buttons()

    # ---------------------------------------------------------------- files
    def _on_files_saved(self, path: str) -> None:
        self.context.info(f"Train: checkpoint saved to {path}")
        self.show_banner("info", f"Checkpoint saved to {path}")

    def _on_files_loaded(self, loaded: object) -> None:
        if loaded.purpose == "resume":
            self._resume(loaded)
            return
        extra = loaded.extra
        saved = loaded.history.settings if loaded.history is not None else {}
        task = str(saved.get("task", "classification"))
        run = Run(self.book.take_number(), model_name(loaded.model),
                  str(extra.get("dataset", "?")), dict(extra.get("settings") or saved),
                  status="loaded", task=task, reason=f"loaded from {loaded.path}",
                  model=loaded.model, id=new_run_id())
        if loaded.history is not None:
            fill_from_history(run, loaded.history)
        self.book.store(run)
        self.book.add(run)
        self.show_banner("info", f"Run {run.number}: loaded {Path(loaded.path).name}")

    def _resume(self, loaded: object) -> None:
        if self.session.is_running():
            self.show_banner("warning", "A run is in progress; stop it before resuming "
                             "another.")
            return
        try:
            config, note = resume_config(loaded, fallback=lambda spec: make_config(
                spec, self.data.options(), self.hparams.values(), device=self.context.device),
                device=self.context.device, extra_epochs=self.hparams.values().num_epochs,
                progress_seconds=PROGRESS_SECONDS)
        except ValueError as exc:
            self.show_banner("error", str(exc))
            self.context.error(f"Train: {exc}")
            return
        self._start(config, model_name(loaded.model), prefill=loaded.history, note=note)
        self.context.info(f"Train: {note}")

    def _on_files_log_read(self, read: object) -> None:
        fields = log_run_fields(read.log)
        run = Run(self.book.take_number(), id=new_run_id(), **fields)
        fill_from_history(run, read.log.history())
        self.book.store(run)
        self.book.add(run)
        notes = "; ".join(read.log.notes)
        self.show_banner("warning" if notes else "info",
                         f"Run {run.number}: run log {Path(read.path).name}, "
                         f"{len(read.log.epochs)} epoch{'s' * (len(read.log.epochs) != 1)}, "
                         f"{run.status}" + (f" — {notes}" if notes else ""))

    # ---------------------------------------------------------------- kept runs
    def _restore_runs(self) -> None:
        """The runs of earlier sessions, as they ended; unreadable files are skipped."""
        problems = self.book.restore()
        if problems:
            self.show_banner("warning", f"{len(problems)} kept run file"
                             f"{'s' * (len(problems) > 1)} could not be read and "
                             f"{'were' if len(problems) > 1 else 'was'} skipped — see "
                             f"Messages (Ctrl+M): {problems[0]}")

    def _on_book_message(self, level: str, text: str) -> None:
        {"info": self.context.info, "warning": self.context.warn,
         "error": self.context.error}[level](f"Train: {text}")

    # ---------------------------------------------------------------- state → views
    def _set_state(self, state: str) -> None:
        self.controls.set_state(state, can_train=self.source.spec() is not None)
        self.resume_action.setEnabled(state == "idle")  # one run at a time
        self._update_ckpt_buttons()

    def _update_ckpt_buttons(self) -> None:
        runs = self.selected_runs()
        ok, why = (savable(runs[0]) if len(runs) == 1 else
                   (False, "Select one run to save its checkpoint"))
        self.save_button.setEnabled(ok)
        self.save_button.setToolTip(SAVE_TIP if ok else why)

    def _show_device(self) -> None:
        self.session.device_label = self.context.device
        if not self.session.is_running():
            self.status.setText(f"device: {self.context.device_label}")

    def _show_regions_dataset(self) -> None:
        """Regions view for the chosen dataset; a live run's view stays until it ends."""
        if self.session.is_running():
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
        if not self.session.is_running() and self.banner.level in ("error", "warning"):
            self.hide_banner()  # about the previous network (or its run): no longer true
        if spec is not None:
            defaults = spec.train_defaults
            self.hparams.apply_recipe(self._recipe_name(spec), defaults)
            self.data.set_dataset(str(defaults.get("dataset", self.data.name)))
            self.data.set_resize(defaults.get("resize"))
        self._check_fit()
        if not self.session.is_running():
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

    def _ask_resume(self) -> None:
        path = ask_path(self, self.context.settings, DIR_KEY, "Resume from checkpoint",
                        file_filter=CKPT_FILTER)
        if path:
            self.resume_from_checkpoint(path)

    def _ask_open_log(self) -> None:
        path = ask_path(self, self.context.settings, DIR_KEY, "Open run log",
                        file_filter=LOG_FILTER)
        if path:
            self.open_run_log(path)

    def _ask_export(self) -> None:
        spec = self.source.spec()
        name = f"{spec.name if spec is not None else 'experiment'}.json"
        path = ask_path(self, self.context.settings, DIR_KEY, "Export experiment", save=True,
                        name=name, file_filter=EXPERIMENT_FILTER)
        if path:
            self.export_experiment(path, script=self._ask_script(Path(path).with_suffix(".py")))

    def _ask_script(self, script: Path) -> bool:
        answer = QMessageBox.question(
            self, "Export experiment", f"Also write a standalone training script, "
            f"{script.name}? It trains this network with the book's train_ch6 loop and needs "
            f"only PyTorch, not this app.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes)
        return answer == QMessageBox.StandardButton.Yes
