"""The Segment tab's Train section: the FCN on the offline procedural scenes or VOC2012,
with the shared training views (``gui.training``: session, control bar, curves from the
task's metric descriptions, runs list, checkpoints) and a per-class IoU table filled at
each epoch end.

The form only turns its values into a ``RunConfig`` — labels, tooltips and ranges of the
hyper-parameters come from ``RunConfig``'s field metadata, so each name is written once.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.models.ref import ModelRef
from engine.training.config import RunConfig, config_field
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
    config_job,
    run_settings,
)
from widgets.group_box import group_box

DATASETS = (("procedural-scenes", "Procedural scenes (offline, 64×64)"),
            ("voc2012", "Pascal VOC2012 (data folder, 320×480 crops)"))
SETTINGS = ((8, "Light: stride 8 (small images; minutes on a CPU)"),
            (32, "Book: stride 32 (ResNet-18 body, ConvTranspose2d 64/32/16)"))
WEIGHTS = (("random", "Random init"),
           ("pretrained", "Pretrained ImageNet backbone (torchvision's cache)"),
           ("file", "From a .pth file…"))
RECIPES = {
    # the book's FCN (d2l 14.11): stride 32, SGD, lr 0.001, weight decay 1e-3, batch 32,
    # 5 epochs (the book also starts from ImageNet weights: pick them under Weights)
    "book": ({"optimizer": "sgd", "lr": 0.001, "weight_decay": 1e-3, "batch_size": 32,
              "num_epochs": 5}, 32),
    # the offline default: Adam learns the random-init light FCN within minutes
    "offline": ({"optimizer": "adam", "lr": 0.001, "weight_decay": 1e-3, "batch_size": 32,
                 "num_epochs": 8}, 8),
}
HPARAMS = ("lr", "batch_size", "num_epochs", "weight_decay", "optimizer", "seed")


def _field_widget(name: str) -> QWidget:
    meta = config_field(name).metadata
    kind = meta["kind"]
    if meta["choices"]:
        w: QWidget = QComboBox()
        for c in meta["choices"]:
            w.addItem(c, c)
    elif kind is int:
        w = QSpinBox()
        w.setRange(int(meta["min"] or 0), int(min(meta["max"] or 2**31 - 1, 2**31 - 1)))
    else:
        w = QDoubleSpinBox()
        w.setDecimals(6)
        w.setRange(float(meta["min"] or 0.0), float(meta["max"] or 1e6))
        w.setSingleStep(0.001 if name == "lr" else 0.0001)
    w.setToolTip(meta["help"])
    return w


class TrainPanel(QWidget):
    """Form + shared training views. Signals ``network_trained(RunModel, class_names,
    source)`` when a run ended with a network the viewer can use."""

    title = "Train"
    network_trained = Signal(object, object, str)

    def __init__(self, tab: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from engine.training.runstore import default_runs_dir

        self.tab = tab
        self.weights_file = ""
        self.session = TrainingSession(tab.make_runner("training"))
        self.controls = ControlBar()
        self.controls.attach(self.session)
        self.banner = Banner()
        from engine.training.task import PixelClassificationTask

        self.curves = CurvesView(metrics=PixelClassificationTask.metrics)
        self.runs_panel = RunsPanel(PixelClassificationTask.metrics)
        self.book = RunBook(self.runs_panel, default_runs_dir() / "segment")
        self.recorder = RunRecorder(self.session, self.book, self.curves,
                                    make_run=self._make_run)
        self.files = CheckpointActions(tab.make_runner("checkpoint"))
        self._build()
        self.apply_recipe("offline")
        self.session.state_changed.connect(self._on_session_state_changed)
        self.session.prepared.connect(self._on_session_prepared)
        self.session.epoch_ended.connect(self._on_session_epoch_ended)
        self.session.failed.connect(lambda m: self.banner.show_message("error", m))
        self.recorder.run_ended.connect(self._on_recorder_run_ended)
        self.recorder.message.connect(self.banner.show_message)
        self.runs_panel.selection_changed.connect(
            lambda ns: self.curves.show_runs([self.book.runs[n] for n in ns]))
        self.files.saved.connect(lambda p: self.banner.show_message("info", f"Saved {p}"))
        self.files.failed.connect(lambda m: self.banner.show_message("error", m))
        self.controls.train_button.clicked.connect(self.start)
        self.controls.set_state("idle", can_train=True)
        self.book.restore()
        self.class_names: tuple[str, ...] = ()

    # -------------------------------------------------------------- build
    def _build(self) -> None:
        form = QFormLayout()
        self.dataset = QComboBox()
        for key, label in DATASETS:
            self.dataset.addItem(label, key)
        self.dataset.setToolTip("The offline scenes need no files; VOC2012 is read from the "
                                "data folder (VOCdevkit/VOC2012)")
        self.download = QCheckBox("allow downloading")
        self.download.setToolTip(config_field("download").metadata["help"])
        self.setting = QComboBox()
        for stride, label in SETTINGS:
            self.setting.addItem(label, stride)
        self.weights = QComboBox()
        for key, label in WEIGHTS:
            self.weights.addItem(label, key)
        self.weights.activated.connect(self._on_weights_activated)
        self.weights.setToolTip("Where the backbone starts; the run says which it got")
        self.data_root = QLineEdit()
        from engine.data import default_data_root

        self.data_root.setPlaceholderText(str(default_data_root()))
        self.data_root.setToolTip("Folder holding VOCdevkit/VOC2012 (empty: the default data "
                                  "folder)")
        self.n_train, self.n_test = QSpinBox(), QSpinBox()
        for spin, name in ((self.n_train, "n_train"), (self.n_test, "n_test")):
            spin.setRange(0, 100000)
            spin.setSpecialValueText("all")
            spin.setToolTip(config_field(name).metadata["help"] + " (all = the set's own)")
        form.addRow("Dataset", self.dataset)
        form.addRow("Data folder", self.data_root)
        form.addRow("", self.download)
        form.addRow("Train examples", self.n_train)
        form.addRow("Test examples", self.n_test)
        form.addRow("Network", self.setting)
        form.addRow("Weights", self.weights)
        self.fields: dict[str, QWidget] = {}
        for name in HPARAMS:
            w = _field_widget(name)
            self.fields[name] = w
            form.addRow(config_field(name).metadata["label"] or name, w)
        recipes = QHBoxLayout()
        for key, text, tip in (("book", "Book's values", "SGD, lr 0.001, weight decay 1e-3, "
                                "batch 32, 5 epochs (d2l 14.11)"),
                               ("offline", "Quick offline", "Adam, lr 0.001: the light FCN "
                                "learns the scenes in a few minutes on a CPU")):
            b = QPushButton(text)
            b.setToolTip(tip)
            b.clicked.connect(lambda _=False, k=key: self.apply_recipe(k))
            recipes.addWidget(b)
        form.addRow(recipes)
        save = QPushButton("Save checkpoint…")
        save.setToolTip("Save the selected run's network (atomically) to open it later")
        save.clicked.connect(self._on_save_clicked)
        self.runs_panel.buttons.addWidget(save)

        left = QWidget()
        left.setMaximumWidth(380)
        col = QVBoxLayout(left)
        col.addLayout(form)
        col.addStretch(1)
        self.iou_table = QTableWidget(0, 2)
        self.iou_table.setHorizontalHeaderLabels(["class", "test IoU"])
        self.iou_table.horizontalHeader().setStretchLastSection(True)
        self.iou_table.verticalHeader().setVisible(False)
        self.iou_title = QLabel("Per-class IoU (test split) after each epoch")
        right = QWidget()
        rcol = QVBoxLayout(right)
        rcol.addWidget(self.controls)
        rcol.addWidget(self.banner)
        split = QSplitter()
        split.addWidget(self.curves)
        iou = QWidget()
        icol = QVBoxLayout(iou)
        icol.setContentsMargins(0, 0, 0, 0)
        icol.addWidget(self.iou_title)
        icol.addWidget(self.iou_table)
        split.addWidget(iou)
        split.setSizes([700, 240])
        rcol.addWidget(split, 2)
        rcol.addWidget(self.runs_panel, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(group_box("Run", left))
        layout.addWidget(right, 1)

    # -------------------------------------------------------------- form
    def apply_recipe(self, key: str) -> None:
        values, stride = RECIPES[key]
        self.set_values(**values)
        self.setting.setCurrentIndex(self.setting.findData(stride))

    def set_values(self, **values: Any) -> None:
        for name, value in values.items():
            w = self.fields[name]
            if isinstance(w, QComboBox):
                w.setCurrentIndex(w.findData(value))
            else:
                w.setValue(value)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, w in self.fields.items():
            out[name] = w.currentData() if isinstance(w, QComboBox) else w.value()
        return out

    def _on_weights_activated(self, _index: int) -> None:
        if self.weights.currentData() != "file":
            return
        from gui.dialogs import ask_path

        path = ask_path(self, self.tab.context.settings, "segment/weights", "FCN weights",
                        file_filter="PyTorch weights (*.pth *.pt);;All files (*)")
        if path:
            self.weights_file = path
            self.weights.setItemText(2, f"From {path.rsplit('/', 1)[-1]}")
        else:
            self.weights.setCurrentIndex(0)

    def config(self) -> RunConfig:
        choice = self.weights.currentData()
        weights = {"random": None, "pretrained": "pretrained"}.get(choice, self.weights_file
                                                                   or None)
        stride = int(self.setting.currentData())
        dataset = self.dataset.currentData()
        options = {"size": 64} if dataset == "procedural-scenes" else {}
        return RunConfig(model=ModelRef.zoo("fcn", weights=weights, stride=stride),
                         dataset=dataset, dataset_options=options,
                         data_root=self.data_root.text().strip() or None,
                         n_train=self.n_train.value() or None,
                         n_test=self.n_test.value() or None,
                         download=self.download.isChecked(),
                         device=self.tab.context.device, **self.values()).validate()

    # -------------------------------------------------------------- runs
    def start(self) -> bool:
        try:
            config = self.config()
        except ValueError as exc:
            self.banner.show_message("error", str(exc))
            return False
        from engine.training.runstore import new_run_id

        self.banner.hide()
        self.session.device_label = self.tab.context.device_label
        self._run_id = new_run_id()
        return self.session.start(config, job=config_job(
            config, keep_weights=self.book.weights_path(self._run_id)))

    def _make_run(self, p: Any) -> Run:
        cfg = self.session.config
        settings = run_settings(cfg, p, stride=cfg.model.options.get("stride"),
                                weights=p.weights)
        return Run(self.book.take_number(), f"fcn (stride {settings['stride']})",
                   cfg.dataset, settings, task=p.task, model=p.model,
                   metrics=tuple(p.metrics), id=self._run_id, source=p.source)

    def _on_session_state_changed(self, state: str) -> None:
        self.controls.set_state(state, can_train=True)

    def _on_session_prepared(self, p: Any) -> None:
        self.class_names = tuple(p.class_names)
        self.iou_table.setRowCount(0)
        self.banner.show_message("info", f"{p.source}: {p.n_train} train / {p.n_test} test; "
                                         f"network {p.weights}")

    def _on_session_epoch_ended(self, e: Any) -> None:
        names = self.class_names
        self.iou_table.setRowCount(len(names))
        for c, name in enumerate(names):
            v = e.metrics.get(f"test_iou_{c}")
            self.iou_table.setItem(c, 0, QTableWidgetItem(name))
            self.iou_table.setItem(c, 1, QTableWidgetItem("—" if v is None else f"{v:.3f}"))
        self.iou_title.setText(f"Per-class IoU (test split) after epoch {e.epoch}")

    def _on_recorder_run_ended(self, run: Run | None, stopped: bool) -> None:
        if run is None or run.model is None or not run.history or not run.history.epochs:
            return  # nothing trained (failed or stopped in the first epoch)
        self.network_trained.emit(run.model, self.class_names,
                                  f"run {run.number}: fcn on {run.dataset}, "
                                  f"{len(run.history.epochs)} epochs ({run.status})")

    def _on_save_clicked(self) -> None:
        from engine.files import SaveError
        from gui.dialogs import ask_path
        from gui.training import savable

        runs = self.book.selected()
        if not runs:
            self.banner.show_message("warning", "Select a run to save")
            return
        ok, why = savable(runs[0])
        if not ok:
            self.banner.show_message("warning", why)
            return
        path = ask_path(self, self.tab.context.settings, "segment/checkpoint", "Save checkpoint",
                        save=True, name=f"fcn-run{runs[0].number}.pt",
                        file_filter="Checkpoints (*.pt)")
        if path:
            try:
                self.files.save(runs[0], path, {"class_names": list(self.class_names)})
            except SaveError as exc:
                self.banner.show_message("error", str(exc))

    def shutdown(self) -> None:
        self.recorder.abandon("stopped when the window closed")
