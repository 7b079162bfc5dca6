"""Detect: train the book's TinySSD on the banana set, then play with its raw output.

Left: the run (image size, training images, epochs, learning rate), Train / Stop and
curves of the task's metrics (class error, bbox MAE, mAP — their names come from the
task's metric descriptions). Centre: one image with ground truth and predictions; the
score and NMS sliders re-filter the network's raw predictions without rerunning it;
**Show raw predictions** draws the boxes before NMS; **Step through NMS** hands them
to the Detection lab's NMS panel. Right: the validation images, worst detected first.

Above the image, the **Detector** chooser: TinySSD, or one of torchvision's COCO
detectors (``engine.detection.ssd_pretrained``) when its weights file is already in
torch's cache — nothing is downloaded. A chosen COCO detector loads in a worker and boxes
dropped / opened images with COCO's class names; it runs once per image with a low score
threshold, so the same sliders re-filter its boxes. Validation images stay TinySSD's.

Training goes through the engine's one loop (``engine.training.run`` with the
``detection`` task) and the shared training views of ``gui.training``: a
``TrainingSession`` on this tab's runner, the ``ControlBar`` (Train / Pause / Resume /
Stop, progress), ``CurvesView`` (curves from the task's metric descriptions),
``RunsPanel`` + ``RunBook`` (this tab's own runs folder) and the ``RunRecorder``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui.context import AppContext
from gui.tabs.base import PlaygroundTab
from gui.tabs.detect.chooser import DetectorChooser
from gui.tabs.detect.gallery import Gallery
from gui.tabs.detect.jobs import (
    ImagePredictions,
    LoadedDetector,
    PredictProgress,
    SplitPredictions,
    coco_image_job,
    load_detector_job,
    predict_image_job,
    predict_validation_job,
)
from gui.tabs.detect.prediction_view import PredictionView
from gui.tabs.detect.run_form import RunForm
from gui.training import (
    ControlBar,
    CurvesView,
    Run,
    RunBook,
    RunRecorder,
    RunsPanel,
    TrainingSession,
    run_settings,
    task_metrics,
)


class DetectTab(PlaygroundTab):
    key = "detect"
    title = "Detect"

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.net: Any = None
        self.image_side = 128
        self.val: SplitPredictions | None = None
        self.metrics: tuple[Any, ...] = ()
        self.run_config: Any = None
        self.train_runner = self.make_runner("train")
        self.session = TrainingSession(self.train_runner, device_label="")
        self.predict_runner = self.make_runner("predict")
        self.load_runner = self.make_runner("detector")  # COCO detectors, from the cache
        self.coco: LoadedDetector | None = None  # the chosen COCO detector, once loaded
        self._loaded: dict[str, LoadedDetector] = {}
        self._dropped: tuple[np.ndarray, str] | None = None  # the dropped image shown
        self.view = PredictionView()
        self.gallery = Gallery()
        self._build()
        self._build_recorder()
        for problem in self.book.restore():  # earlier sessions' runs of this tab
            self.context.warn(f"Detect: {problem}")
        self.session.prepared.connect(self._on_session_prepared)
        self.session.epoch_ended.connect(self._on_session_epoch_ended)
        self.session.finished.connect(self._on_session_finished)
        self.session.state_changed.connect(
            lambda state: self.controls.set_state(state, can_train=True))
        self.predict_runner.event.connect(self._on_predict_runner_event)
        self.load_runner.event.connect(self._on_load_runner_event)
        self.load_runner.failed.connect(self._on_load_runner_failed)
        self.predict_runner.failed.connect(self._on_predict_runner_failed)
        self.detector.currentIndexChanged.connect(self._on_detector_changed)
        self.view.nms_requested.connect(self._on_view_nms_requested)
        self.view.image_dropped.connect(self._on_view_image_dropped)
        self.view.score.value_changed.connect(lambda _v: self._refresh_gallery_later())
        self.view.nms.value_changed.connect(lambda _v: self._refresh_gallery_later())
        self.gallery.image_chosen.connect(self.show_validation_image)

    # ------------------------------------------------------------------ build
    def _build(self) -> None:
        left = QWidget()
        col = QVBoxLayout(left)
        col.setContentsMargins(0, 0, 0, 0)
        self.form = RunForm(self.context.settings)
        col.addWidget(self.form)
        self.controls = ControlBar()
        self.controls.attach(self.session)
        self.controls.train_button.setToolTip("Generate the banana set and train TinySSD in "
                                              "the background")
        self.controls.train_button.clicked.connect(lambda: self.start_training())
        self.train_button, self.stop_button = (self.controls.train_button,
                                               self.controls.stop_button)
        col.addWidget(self.controls)
        self.load_button = QPushButton("Load weights…")
        self.load_button.setToolTip("Use a TinySSD state dict (.pth, e.g. saved by the CLI's "
                                    "train --save) instead of training; checked tensor by "
                                    "tensor against the network")
        self.load_button.clicked.connect(self._ask_weights)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.load_button)
        col.addLayout(row)
        self.status = QLabel("Not trained yet.")
        self.status.setWordWrap(True)
        col.addWidget(self.status)
        self.curves = CurvesView(metrics=task_metrics("detection"))
        col.addWidget(self.curves, 3)
        self.runs_panel = RunsPanel(task_metrics("detection"))
        col.addWidget(self.runs_panel, 1)
        centre = self._build_centre()
        right = QWidget()
        rcol = QVBoxLayout(right)
        rcol.setContentsMargins(0, 0, 0, 0)
        rcol.addWidget(QLabel("<b>Validation images</b> (worst first)"))
        rcol.addWidget(self.gallery, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        for w, stretch in ((left, 2), (centre, 4), (right, 2)):
            splitter.addWidget(w)
            splitter.setStretchFactor(splitter.count() - 1, stretch)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([420, 680, 300])
        self.runs_panel.setMinimumWidth(0)
        left.setMinimumWidth(300)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

    def _build_centre(self) -> QWidget:
        """The detector chooser and its status line above the prediction view."""
        centre = QWidget()
        col = QVBoxLayout(centre)
        col.setContentsMargins(0, 0, 0, 0)
        self.detector = DetectorChooser()
        row = QHBoxLayout()
        label = QLabel("Detector")
        label.setBuddy(self.detector)
        row.addWidget(label)
        row.addWidget(self.detector, 1)
        col.addLayout(row)
        self.detector_status = QLabel()
        self.detector_status.setWordWrap(True)
        self.detector_status.hide()
        col.addWidget(self.detector_status)
        col.addWidget(self.view, 1)
        return centre

    def showEvent(self, event: Any) -> None:
        self.detector.refresh()  # a weights file copied into the cache meanwhile
        super().showEvent(event)

    # --------------------------------------------------------------- training
    def config(self) -> Any:
        return self.form.config(force_cpu=bool(self.context.force_cpu))

    def start_training(self, config: Any = None) -> None:
        if config is None:
            config = self.config()
            self.form.remember()
        self.image_side = int(config.dataset_options.get("size", 256))
        self.run_config = config
        self.status.setText("Generating the banana set and building TinySSD…")
        self.session.start(config)

    def _build_recorder(self) -> None:
        from engine.training.runstore import default_runs_dir, new_run_id

        self.book = RunBook(self.runs_panel, default_runs_dir() / "detect")

        def make_run(p: Any) -> Run:
            c = self.session.config
            settings = run_settings(c, p, size=c.dataset_options.get("size"))
            return Run(self.book.take_number(), "tiny-ssd", "bananas", settings, task=p.task,
                       model=p.model, metrics=tuple(p.metrics), id=new_run_id())

        self.recorder = RunRecorder(self.session, self.book, self.curves, make_run=make_run)
        self.runs_panel.selection_changed.connect(
            lambda numbers: self.curves.show_runs([self.book.runs[n] for n in numbers
                                                   if n in self.book.runs]))

    def _on_session_prepared(self, event: Any) -> None:
        self.metrics = tuple(event.metrics)
        self.net = event.model.net
        from engine.training.trainer import execution_text

        device = "cpu" if self.run_config.device == "cpu" else self.context.device
        speed = execution_text(self.run_config, device)
        self.status.setText(f"{event.source}; {event.params:,} parameters ({event.weights})"
                            + (f"; {speed}" if speed else "") + ".")

    def _on_session_epoch_ended(self, event: Any) -> None:
        figures = ", ".join(f"{m.label} {event.metrics[f'test_{m.key}']:{m.fmt}}"
                            for m in self.metrics if f"test_{m.key}" in event.metrics)
        self.status.setText(f"epoch {event.epoch} (validation): {figures}")

    def _on_session_finished(self, stopped: bool) -> None:
        if self.net is not None:
            self.status.setText(self.status.text() + (" — stopped." if stopped else " — done."))
            self.predict_validation()

    def _ask_weights(self) -> None:
        from gui.dialogs import ask_path

        path = ask_path(self, self.context.settings, "paths/detect_weights",
                        "Load TinySSD weights", file_filter="PyTorch weights (*.pth *.pt)"
                                                            ";;All files (*)")
        if path:
            self.load_weights(path)

    def load_weights(self, path: str, side: int | None = None) -> bool:
        """Load a TinySSD state dict (or one of our checkpoints); a message, never a
        crash, for a file of another architecture. Then predict the validation set."""
        from engine.detection.ssd import TinySSD
        from engine.models.zoo import load_weights_file

        net = TinySSD(1)
        try:
            load_weights_file(net, path)
        except ValueError as exc:
            self.context.error(f"Detect: {exc}")
            self.status.setText(f"Not loaded: {exc}")
            return False
        self.net = net
        self.image_side = int(side or self.form.side())
        self.run_config = self.config().replace(dataset_options={"size": self.image_side})
        self.status.setText(f"Loaded {Path(path).name}; predicting on "
                            f"{self.image_side}×{self.image_side} validation images.")
        self.predict_validation()
        return True

    # ------------------------------------------------------------- predictions
    def predict_validation(self) -> None:
        """Raw predictions for the validation images (loaded and predicted in a worker),
        then the gallery."""
        self.predict_runner.start(predict_validation_job(self.net, self.run_config))

    def _on_predict_runner_event(self, event: object) -> None:
        if isinstance(event, PredictProgress):
            self.status.setText(f"Predicting validation images: {event.done}/{event.total}")
        elif isinstance(event, SplitPredictions):
            self.val = event
            self.refresh_gallery()
            self.status.setText(self.found_text())
            if self.gallery.order:
                self.show_validation_image(self.gallery.order[0])
        elif isinstance(event, ImagePredictions):
            title = Path(event.name).name or "image"
            self.view.show_image(event.image, event.raw, None,
                                 f"{title} — {event.detector}" if event.detector else title)
            if event.detector:
                from engine.detection.ssd_pretrained import RAW_SCORE_THRESHOLD

                self._set_detector_status(
                    f"{event.detector}: {len(event.raw)} boxes scoring ≥ "
                    f"{RAW_SCORE_THRESHOLD:g} on {title}; the sliders re-filter them")

    def refresh_gallery(self) -> None:
        from engine.detection.ssd import detection_quality

        if self.val is None:
            return
        dets = [self.view.filtered(raw) for raw in self.val.raws]
        quality = [detection_quality(d, gt) for d, gt in zip(dets, self.val.gt_boxes,
                                                             strict=True)]
        self.gallery.show_images(self.val.images, list(self.val.gt_boxes),
                                 [d.boxes for d in dets], quality)

    def found_text(self) -> str:
        """'Found the banana in K of N validation images' at the current thresholds."""
        from engine.detection.ssd import count_found

        if self.val is None:
            return ""
        found, total = count_found([self.view.filtered(raw) for raw in self.val.raws],
                                   self.val.gt_boxes)
        score, nms = self.view.thresholds()
        return (f"Found {found} of {total} bananas of the {len(self.val.raws)} validation "
                f"images (a kept box with IoU ≥ 0.5) at score ≥ {score:.2f}, NMS {nms:.2f}.")

    def _refresh_gallery_later(self) -> None:
        from PySide6.QtCore import QTimer

        if not hasattr(self, "_gallery_timer"):
            self._gallery_timer = QTimer(self, singleShot=True, interval=300)
            self._gallery_timer.timeout.connect(self.refresh_gallery)
            self._gallery_timer.timeout.connect(
                lambda: self.status.setText(self.found_text()))
        self._gallery_timer.start()

    def show_validation_image(self, index: int) -> None:
        if self.val is None:
            return
        self._dropped = None
        self.view.show_image(self.val.images[index], self.val.raws[index],
                       self.val.gt_boxes[index], f"validation image {index}")

    def accepts_images(self) -> bool:
        return True

    def open_image(self, path: str) -> bool:
        return self.view.canvas.load_file(path)

    def _on_view_image_dropped(self, array: np.ndarray, path: str) -> None:
        self._dropped = (array, path)
        if self.detector.currentData():
            self._predict_dropped_with_coco()
            return
        if self.net is None:
            self.view.show_image(array, None, None, Path(path).name)
            self.context.warn("Detect: train TinySSD first; then dropped images get boxes")
            return
        self.predict_runner.start(predict_image_job(self.net, array, path, self.image_side))

    # ---------------------------------------------------------- COCO detectors
    def _set_detector_status(self, text: str) -> None:
        self.detector_status.setText(text)
        self.detector_status.setVisible(bool(text))

    def _on_detector_changed(self, _index: int) -> None:
        name = self.detector.currentData()
        self.coco = None
        if not name:
            self.load_runner.stop()
            self.view.set_caption("")
            self._set_detector_status("")
            if self._dropped is not None:  # the dropped image shown: TinySSD's boxes or none
                array, path = self._dropped
                if self.net is None:
                    self.view.show_image(array, None, None, Path(path).name)
                else:
                    self._on_view_image_dropped(array, path)
            return
        label = self.detector.currentText()
        self.view.set_caption(f"<b>{label}</b> boxes dropped and opened images (COCO's "
                              f"classes); validation images and the gallery stay "
                              f"TinySSD's.")
        if name in self._loaded:
            self._on_load_runner_event(self._loaded[name])
            return
        self._set_detector_status(f"Loading {label} from torch's cache…")
        self.load_runner.start(load_detector_job(name))

    def _on_load_runner_event(self, event: object) -> None:
        if not isinstance(event, LoadedDetector) or event.name != self.detector.currentData():
            return
        self._loaded[event.name] = self.coco = event
        self._set_detector_status(
            f"{event.label} ready ({event.params:,} parameters, runs on "
            f"{self.context.device}): drop or open a photo")
        if self._dropped is not None:
            self._predict_dropped_with_coco()

    def _on_load_runner_failed(self, message: str) -> None:
        """The message is already in the window (the runner's ``failed``); back to TinySSD."""
        with QSignalBlocker(self.detector):
            self.detector.setCurrentIndex(0)
        self.coco = None
        self.view.set_caption("")
        self._set_detector_status(f"Not loaded: {message} — back to TinySSD.")
        self.detector.refresh()

    def _on_predict_runner_failed(self, message: str) -> None:
        if self.detector.currentData():  # the message panel has it; the status line too
            self._set_detector_status(f"Detection failed: {message}")

    def _predict_dropped_with_coco(self) -> None:
        assert self._dropped is not None
        array, path = self._dropped
        if self.coco is None:  # still loading: boxed once it is ready
            self.view.show_image(array, None, None, Path(path).name)
            return
        self._set_detector_status(f"{self.coco.label}: detecting on {Path(path).name}…")
        self.predict_runner.start(coco_image_job(self.coco, array, path, self.context.device))

    def _on_view_nms_requested(self, payload: dict) -> None:
        window = self.window()
        if not hasattr(window, "tab") or not hasattr(window, "show_tab"):
            self.context.warn("Detect: the Detection lab is not open in this window")
            return
        lab = window.tab("detection")
        nms_panel = next(p for p in lab.panels if hasattr(p, "show_predictions"))
        window.show_tab("detection")
        nms_panel.show_predictions(
            payload["image"], payload["boxes"], payload["scores"], payload["names"],
            nms_threshold=payload["nms_threshold"],
            score_threshold=payload["score_threshold"], gt_boxes=payload["gt_boxes"],
            gt_labels=payload["gt_labels"], title=payload["title"])

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop the workers; a run that was still going is kept as stopped."""
        ok = super().shutdown(timeout_ms)
        self.recorder.abandon("stopped when the window closed")
        return ok
