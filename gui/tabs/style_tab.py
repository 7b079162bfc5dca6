"""Style: neural style transfer you watch and steer (d2l 14.12).

Drop a content photo and a style image, press Start, and watch the synthesised image
change while you move the loss weights, the learning rate or the layers: the job reads
its ``LiveSettings`` before every step. The optimisation runs on the project's
``JobRunner``; the UI thread only draws the images and curves it sends.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.images import sample_images_dir, save_image
from engine.style import (
    APPROXIMATE_WEIGHTS,
    LiveSettings,
    StyleFinished,
    StyleProgress,
    StyleSettings,
    StyleStarted,
    default_settings,
    imagenet_weights_cached,
)
from gui.context import AppContext
from gui.dialogs import ask_path
from gui.tabs.base import PlaygroundTab
from gui.tabs.style.controls import StyleControls
from gui.tabs.style.image_pane import ImagePane
from gui.tabs.style.job import NetReady, WeightsRequest, style_job
from gui.tabs.style.snapshots import SnapshotStrip
from gui.tabs.style.state import restore_settings, save_settings
from widgets.image_canvas import ImageCanvas
from widgets.plot_panel import PlotPanel

DEFAULT_CONTENT, DEFAULT_STYLE = "cat.jpg", "hubble.jpg"
RESULT_DIR_KEY = "style/last_result_dir"
WEIGHTS_DIR_KEY = "style/last_weights_dir"
BOOK_WEIGHTS = (1.0, 1e4, 10.0)
APPROX = tuple(APPROXIMATE_WEIGHTS[k] for k in ("content_weight", "style_weight", "tv_weight"))
APPROXIMATE_TEXT = ("Approximate: untrained VGG-19 features (random weights, each layer's "
                    "loss normalised) — not the book's pre-trained network.")


def _eta(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "–"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"


class StyleTab(PlaygroundTab):
    key = "style"
    title = "Style"

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        qs = context.settings
        self._cpu = context.device == "cpu"
        self.live = LiveSettings(restore_settings(qs, default_settings(
            approximate=not imagenet_weights_cached(), cpu=self._cpu)))
        self._net: NetReady | None = None
        self._result: np.ndarray | None = None
        self._approximate: bool | None = None
        self._seconds_per_step = float("nan")
        self._paused = False
        self._accept_events = False
        self._last_epoch = 0
        self.runner = self.make_runner("style")
        self.runner.event.connect(self._on_runner_event)
        self.runner.finished.connect(self._on_runner_finished)
        self._build()
        self.controls.set_source(str(qs.value("style/weights_source", "auto")))
        self._weights_path = str(qs.value("style/weights_path", ""))
        self.controls.download.setChecked(
            str(qs.value("style/allow_download", "false")).lower() == "true")
        self._show_settings()
        self._show_weights_choice()
        self._restore_images()
        self._set_running(False)

    # ------------------------------------------------------------ build
    def _build(self) -> None:
        self.controls = StyleControls()
        self.controls.settings_edited.connect(self._on_controls_settings_edited)
        self.controls.weights_source_changed.connect(self._on_controls_weights_source_changed)
        self.controls.pick_weights_file.connect(self._ask_weights_file)
        self.controls.defaults_requested.connect(self.apply_defaults)
        scroll = QScrollArea()
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(330)
        scroll.setMaximumWidth(400)

        self.content_pane = ImagePane("Content", settings=self.context.settings)
        self.style_pane = ImagePane("Style", settings=self.context.settings)
        for pane, kind in ((self.content_pane, "content"), (self.style_pane, "style")):
            pane.image_changed.connect(
                lambda _a, path, notice, k=kind: self._on_pane_image_changed(k, path, notice))
            pane.failed.connect(lambda msg: self.context.error(f"Style: {msg}"))
        inputs = QVBoxLayout()
        inputs.addWidget(self.content_pane, 1)
        inputs.addWidget(self.style_pane, 1)
        inputs_box = QWidget()
        inputs_box.setLayout(inputs)
        inputs_box.setMaximumWidth(340)

        right = QSplitter(Qt.Orientation.Vertical)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(inputs_box)
        top.addWidget(self._build_output())
        top.setStretchFactor(0, 1)
        top.setStretchFactor(1, 3)
        right.addWidget(top)
        self.snapshots = SnapshotStrip()
        self.snapshots.snapshot_clicked.connect(self._on_snapshots_snapshot_clicked)
        self.plot = PlotPanel(title="Losses (weighted, log scale)", x_label="step",
                              y_label="loss")
        self.plot.plot_item.setLogMode(y=True)
        for name, color in (("content", "#1f77b4"), ("style", "#ff7f0e"), ("TV", "#2ca02c")):
            self.plot.add_series(name, color=color)
        self.plot.setMinimumHeight(150)
        bottom = QWidget()
        b_col = QVBoxLayout(bottom)
        b_col.setContentsMargins(0, 0, 0, 0)
        b_col.addWidget(self.snapshots)
        b_col.addWidget(self.plot, 1)
        right.addWidget(bottom)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        right.setSizes([430, 370])

        layout = QHBoxLayout(self)
        layout.addWidget(scroll)
        layout.addWidget(right, 1)

    def _build_output(self) -> QWidget:
        box = QWidget()
        col = QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.start_btn = QPushButton("Start")
        self.start_btn.setToolTip("Start optimising the image (a new run)")
        self.start_btn.clicked.connect(self.start)
        self.pause_btn = QPushButton("Pause")
        self.pause_btn.setToolTip("Pause / resume the run")
        self.pause_btn.clicked.connect(self.toggle_pause)
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.setToolTip("Stop the run; the image so far is kept")
        self.stop_btn.clicked.connect(self.stop)
        self.reset_btn = QPushButton("Reset")
        self.reset_btn.setToolTip("Stop, clear the result, curves and snapshots")
        self.reset_btn.clicked.connect(self.reset)
        self.save_btn = QPushButton("Save result…")
        self.save_btn.setToolTip("Save the synthesised image as a PNG")
        self.save_btn.clicked.connect(self._ask_save)
        self.progress = QProgressBar()
        self.progress.setFormat("idle")
        self.progress.setTextVisible(True)
        for w in (self.start_btn, self.pause_btn, self.stop_btn, self.reset_btn):
            bar.addWidget(w)
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.save_btn)
        col.addLayout(bar)
        self.banner = QLabel(APPROXIMATE_TEXT)
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("QLabel { background: #fef7e0; color: #7a4f01; "
                                  "padding: 4px; border: 1px solid #f9cc6f; }")
        self.banner.hide()
        col.addWidget(self.banner)
        self.output = ImageCanvas(empty_text="Press Start: the synthesised image appears "
                                             "here and changes as it is optimised.")
        self.output.setAcceptDrops(False)  # drops belong to the content / style panes
        col.addWidget(self.output, 1)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        col.addWidget(self.status)
        return box

    # ------------------------------------------------------------ images
    def _restore_images(self) -> None:
        qs = self.context.settings
        for pane, key, default in ((self.content_pane, "style/content_path", DEFAULT_CONTENT),
                                   (self.style_pane, "style/style_path", DEFAULT_STYLE)):
            path = str(qs.value(key, ""))
            if not (path and Path(path).is_file() and pane.load(path)):
                pane.load(str(sample_images_dir() / default))

    def accepts_images(self) -> bool:
        return True

    def open_image(self, path: str) -> bool:
        """File → Open and drops on the window: the content image."""
        return self.content_pane.load(path)

    def _on_pane_image_changed(self, kind: str, path: str, notice: str) -> None:
        self.context.settings.setValue(f"style/{kind}_path", path)
        if notice:
            self.context.warn(f"Style: {Path(path).name}: {notice}")
        if self.runner.is_running():
            self.status.setText(f"The new {kind} image is used at the next Start.")

    # ------------------------------------------------------------ settings
    def settings(self) -> StyleSettings:
        return self.live.get()

    def _normalized(self) -> bool:
        s = self.live.get()
        if s.normalize is not None:
            return s.normalize
        return bool(self._approximate if self._approximate is not None
                    else self._expect_approximate())

    def _show_settings(self) -> None:
        self.controls.show_settings(self.live.get(), normalized=self._normalized())

    def _on_controls_settings_edited(self, changes: dict) -> None:
        try:
            self.live.update(**changes)
        except ValueError as exc:
            self.context.warn(f"Style: {exc}")
            self.status.setText(f"<span style='color:#c5221f'>{exc}</span>")
            self._show_settings()
            return
        save_settings(self.context.settings, self.live.get())
        if self.runner.is_running():
            later = {"image_size", "init"} & set(changes)
            if later:
                self.status.setText(f"{', '.join(sorted(later)).replace('_', ' ')}: used at "
                                    "the next Start; the other settings apply at once.")

    def apply_defaults(self) -> None:
        """The defaults for the network in use (or the one a run would use)."""
        approximate = self._approximate if self._approximate is not None \
            else self._expect_approximate()
        self.live.set(default_settings(approximate=approximate, cpu=self._cpu))
        save_settings(self.context.settings, self.live.get())
        self._show_settings()

    # ------------------------------------------------------------ weights
    def weights_request(self) -> WeightsRequest:
        source = self.controls.source_key()
        return WeightsRequest(source, self._weights_path if source == "file" else "",
                              self.controls.download.isChecked())

    def _expect_approximate(self) -> bool:
        r = self.weights_request()
        if r.source == "untrained":
            return True
        if r.source == "auto":
            return not (imagenet_weights_cached() or r.allow_download)
        return False

    def _show_weights_choice(self) -> None:
        r = self.weights_request()
        if self._net is not None and self._net.request == r:
            net = self._net.style_net
            text = f"In use: <b>{net.label}</b>"
            if net.notice:
                text += f"<br><span style='color:#7a4f01'>{net.notice}</span>"
        elif r.source == "file":
            text = (f"File: {Path(r.path).name}" if r.path else "No file chosen yet.")
        elif r.source == "untrained":
            text = "Untrained VGG-19: an <b>approximate</b> result, no download needed."
        elif imagenet_weights_cached():
            text = "ImageNet weights found in torchvision's cache."
        elif r.allow_download:
            text = "ImageNet weights will be downloaded at Start (548 MB)."
        elif r.source == "auto":
            text = ("ImageNet weights not cached: the untrained network will be used "
                    "(<b>approximate</b>).")
        else:
            text = "ImageNet weights not cached: allow the download or pick a file."
        self.controls.weights_label.setText(text)

    def _on_controls_weights_source_changed(self) -> None:
        qs = self.context.settings
        qs.setValue("style/weights_source", self.controls.source_key())
        qs.setValue("style/allow_download", self.controls.download.isChecked())
        self._show_weights_choice()
        if self.runner.is_running():
            self.status.setText("The new weights are used at the next Start.")

    def _ask_weights_file(self) -> None:
        path = ask_path(self, self.context.settings, WEIGHTS_DIR_KEY, "VGG-19 weights",
                        file_filter="PyTorch weights (*.pth *.pt);;All files (*)")
        if path:
            self._weights_path = path
            self.context.settings.setValue("style/weights_path", path)

    # ------------------------------------------------------------ run
    def start(self) -> bool:
        """Start a new run on the current images; False (with a message) if not possible."""
        content, style = self.content_pane.image(), self.style_pane.image()
        if content is None or style is None:
            self.status.setText("Load a content and a style image first.")
            return False
        request = self.weights_request()
        if request.source == "file" and not request.path:
            self.status.setText("Pick a VGG-19 .pth file first (Feature network).")
            return False
        self.reset(keep_result=False)
        self.output.set_image(content)
        self.progress.setRange(0, self.live.get().num_epochs)
        self.progress.setValue(0)
        self.progress.setFormat("loading the feature network…")
        self.runner.start(style_job(content, style, self.live, request, self.context.device,
                                    self._net))
        self._accept_events = True
        self._set_running(True)
        return True

    def toggle_pause(self) -> None:
        if not self.runner.is_running():
            return
        if self._paused:
            self.runner.resume()
        else:
            self.runner.pause()
        self._paused = not self._paused
        self.pause_btn.setText("Resume" if self._paused else "Pause")
        if self._paused:
            self.progress.setFormat(self.progress.format() + " (paused)")

    def stop(self) -> None:
        self.runner.stop()

    def reset(self, *, keep_result: bool = False) -> None:
        """Stop any run; clear curves and snapshots (and the result unless kept)."""
        # No waiting for the worker (a step can take seconds on a CPU): what the stopped
        # run still sends is ignored, and a new Start supersedes it in the runner.
        self._accept_events = False
        self.runner.stop()
        self.plot.clear()
        for name, color in (("content", "#1f77b4"), ("style", "#ff7f0e"), ("TV", "#2ca02c")):
            self.plot.add_series(name, color=color)
        self.snapshots.clear_snapshots()
        self._seconds_per_step = float("nan")
        if not keep_result:
            self._result = None
            content = self.content_pane.image()
            if content is not None:
                self.output.set_image(content)
            self.progress.setValue(0)
            self.progress.setFormat("idle")
            self.status.setText("")
        self._set_running(False)

    def _set_running(self, running: bool) -> None:
        self.start_btn.setEnabled(not running)
        self.pause_btn.setEnabled(running)
        self.stop_btn.setEnabled(running)
        self.save_btn.setEnabled(self._result is not None)
        if not running:
            self._paused = False
            self.pause_btn.setText("Pause")

    # ------------------------------------------------------------ events
    def _on_runner_event(self, event: object) -> None:
        if isinstance(event, NetReady):  # a loaded net is worth keeping even after Reset
            self._on_net_ready(event)
        if not self._accept_events:
            return
        if isinstance(event, StyleStarted):
            self._on_started(event)
        elif isinstance(event, StyleProgress):
            self._on_progress(event)
        elif isinstance(event, StyleFinished):
            self._on_finished(event)

    def _on_net_ready(self, event: NetReady) -> None:
        self._net = event
        net = event.style_net
        if net.notice:
            self.context.info(f"Style: {net.notice}")
        weights = self.live.get()
        current = (weights.content_weight, weights.style_weight, weights.tv_weight)
        if net.approximate and current == BOOK_WEIGHTS:
            self.live.update(**APPROXIMATE_WEIGHTS)
            self.context.info("Style: the untrained network uses style weight "
                              f"{APPROX[1]:g} (the book's 1e4 only blurs random features).")
        elif not net.approximate and current == APPROX:
            self.live.update(content_weight=1.0, style_weight=1e4, tv_weight=10.0)
        self._show_weights_choice()

    def _on_started(self, event: StyleStarted) -> None:
        self._approximate = event.approximate
        self.banner.setVisible(event.approximate)
        self._show_settings()
        h, w = event.image_shape
        for notice in event.notices:
            self.context.warn(f"Style: {notice}.")
        self.status.setText(f"{w}×{h} on {event.device} with {event.weights_label}"
                            + (f"; {'; '.join(event.notices)}" if event.notices else ""))
        self.progress.setFormat("step 0 / %m")

    def _on_progress(self, p: StyleProgress) -> None:
        self._result = p.image
        self._last_epoch = p.epoch
        self.output.set_image(p.image, keep_view=True)
        for name, value in (("content", p.content_loss), ("style", p.style_loss),
                            ("TV", p.tv_loss)):
            if value > 0:  # a log axis has no place for 0
                self.plot.append(name, p.epoch, value)
        every = self.controls.snapshot_every.value()
        if p.epoch == 1 or p.epoch % every == 0:
            self.snapshots.add_snapshot(p.image, p.epoch)
        sps = p.seconds_per_step
        self._seconds_per_step = sps if not math.isfinite(self._seconds_per_step) \
            else 0.8 * self._seconds_per_step + 0.2 * sps
        eta = (p.num_epochs - p.epoch) * self._seconds_per_step
        self.progress.setRange(0, p.num_epochs)
        self.progress.setValue(p.epoch)
        self.progress.setFormat(f"step %v / %m · {self._seconds_per_step:.2f} s/step · "
                                f"ETA {_eta(eta)}" + (" (paused)" if self._paused else ""))
        c, s, t = p.weights
        self.status.setText(
            f"step {p.epoch}: content {p.content_loss:.3g} · style {p.style_loss:.3g} · "
            f"TV {p.tv_loss:.3g} · total {p.total_loss:.4g} — weights {c:g} / {s:g} / {t:g}, "
            f"lr {p.lr:.3g}")
        self.save_btn.setEnabled(True)

    def _on_finished(self, event: StyleFinished) -> None:
        self._result = event.image
        self.output.set_image(event.image, keep_view=True)
        if event.reason == "diverged":
            self.context.error(f"Style: {event.message} The last good image is kept.")
            self.status.setText(f"<span style='color:#c5221f'>Stopped: {event.message} "
                                "The last good image is kept.</span>")
            self.progress.setFormat(f"diverged at step {event.epoch + 1}")
        elif event.reason == "stopped":
            self.progress.setFormat(f"stopped at step {event.epoch} / %m")
        else:
            self.progress.setFormat(f"done: {event.epoch} steps")
            shots = self.snapshots.snapshots()
            if not shots or shots[-1][1] != event.epoch:
                self.snapshots.add_snapshot(event.image, event.epoch)

    def _on_runner_finished(self, stopped: bool) -> None:
        # The runner closes a stopped job right after its last event, so the engine's
        # own StyleFinished("stopped") may never arrive: the last image shown is kept.
        if stopped and self._accept_events and "stopped" not in self.progress.format():
            self.progress.setFormat(f"stopped at step {self._last_epoch} / %m")
        self._set_running(False)

    def _on_snapshots_snapshot_clicked(self, image: np.ndarray, step: int) -> None:
        self.output.set_image(image, keep_view=True)
        self.status.setText(f"Showing the snapshot of step {step}.")

    # ------------------------------------------------------------ save
    def result(self) -> np.ndarray | None:
        return self._result

    def save_result(self, path: str) -> bool:
        if self._result is None:
            return False
        try:
            save_image(self._result, path)
        except (OSError, ValueError) as exc:
            self.context.error(f"Style: could not save {Path(path).name}: {exc}")
            return False
        self.context.info(f"Style: saved {path}")
        return True

    def _ask_save(self) -> None:
        path = ask_path(self, self.context.settings, RESULT_DIR_KEY, "Save result",
                        save=True, name="style-transfer.png",
                        file_filter="PNG images (*.png)")
        if path:
            if not path.lower().endswith(".png"):
                path += ".png"
            self.save_result(path)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        save_settings(self.context.settings, self.live.get())
        return super().shutdown(timeout_ms)

