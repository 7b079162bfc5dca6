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
from engine.training import (
    BatchProgress,
    DataSample,
    DecisionMap,
    EpochEnd,
    Finished,
    History,
    Stopped,
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
DIR_KEY = "train/last_dir"
CKPT_FILTER = "Checkpoint (*.pt);;All files (*)"


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
        self.runner = self.make_runner("training")
        self.ckpt_runner = self.make_runner("checkpoint")
        self._build()
        self._connect()
        self._restore()
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
        scroll.setMinimumWidth(380)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.curves = CurvesView()
        self.runs_panel = RunsPanel()
        self.save_button = QPushButton("Save checkpoint…")
        self.save_button.setToolTip("Save the selected run's network, optimiser state, spec "
                                    "and history (.pt)")
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
        self.data.show_in_use("loading…")
        self.runner.start(train_job(spec, self._data, self._hp, device=self.context.device))
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
        keep = [n for n in numbers if self.current is not None and n == self.current.number]
        gone = [n for n in numbers if n not in keep]
        for n in gone:
            self.runs.pop(n, None)
        self.runs_panel.remove_runs(gone)
        if keep:
            self.context.warn("Train: the running run cannot be removed; stop it first")

    def selected_runs(self) -> list[Run]:
        return [self.runs[n] for n in self.runs_panel.selected() if n in self.runs]

    def save_checkpoint(self, path: str) -> bool:
        runs = self.selected_runs()
        run = runs[-1] if len(runs) == 1 else None
        if run is None or run.model is None or run.status in ("running", "paused"):
            self.show_banner("warning", "Select one finished or stopped run to save.")
            return False
        extra = {"run": run.number, "network": run.network, "dataset": run.dataset,
                 "settings": {k: v for k, v in run.settings.items()},
                 "status": run.status, "reason": run.reason}
        history = run.history or History(settings=dict(run.settings))
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

    def _on_prepared(self, p: Prepared) -> None:
        hp, data = self._hp, self._data
        settings = {**hp.__dict__, "resize": data.resize, "n_train": p.n_train,
                    "n_test": p.n_test}
        run = Run(self._next, self._spec.name, data.name, settings, task=p.task,
                  source=p.source, model=p.model)
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

    def _on_ended(self, event: Finished | Stopped) -> None:
        run = self.current
        assert run is not None
        run.history = event.history
        if isinstance(event, Finished):
            run.status = "finished"
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
                      reason=f"loaded from {event.path}", model=event.model)
            self._next += 1
            if event.history is not None:
                fill_from_history(run, event.history)
            self.runs[run.number] = run
            self.runs_panel.add_run(run)
            self.show_banner("info", f"Run {run.number}: loaded {Path(event.path).name}")

    # ---------------------------------------------------------------- state → views
    def _set_state(self, state: str) -> None:
        self.controls.set_state(state, can_train=self.source.spec() is not None)
        if self.current is not None and state in ("running", "paused"):
            self.current.status = state
            self.runs_panel.update_run(self.current)
        self._update_ckpt_buttons()

    def _update_ckpt_buttons(self) -> None:
        runs = self.selected_runs()
        self.save_button.setEnabled(len(runs) == 1 and runs[0].model is not None
                                    and runs[0].status not in ("running", "paused"))

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
        if spec is not None:
            defaults = spec.train_defaults
            self.hparams.apply_defaults(defaults)
            self.hparams.set_values(init=None)
            self.data.set_dataset(str(defaults.get("dataset", self.data.name)))
            self.data.set_resize(defaults.get("resize"))
        self._check_fit()
        if not self.runner.is_running():
            self._set_state("idle")

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


