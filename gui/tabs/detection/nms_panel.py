"""Panel 5 — non-maximum suppression, one decision at a time (d2l 14.4.4)."""

from __future__ import annotations

import numpy as np
import torch
from PySide6.QtCore import QSignalBlocker, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSpinBox,
)

from engine.detection import (
    NmsDropped,
    NmsFinished,
    NmsKept,
    NmsSuppressed,
    jitter_predictions,
    nms_example,
    nms_steps,
)
from gui.tabs.detection.common import LabPanel, to_pixels
from widgets.sliders import LabeledSlider

SOURCES = ("Jittered around the ground truth", "The book's 4-box example")
HANDED = "Handed over from the Detect tab"


class NmsPanel(LabPanel):
    title = "5 · NMS"
    intro = ("A detector predicts many overlapping boxes. <b>NMS</b> keeps the "
             "highest-scoring box, removes every remaining box whose IoU with it is "
             "<b>&gt; threshold</b>, and repeats. <b>Step</b> through the decisions.")

    def __init__(self, lab) -> None:
        super().__init__(lab)
        self.boxes = np.zeros((0, 4))
        self.scores = np.zeros(0)
        self.names: list[str] = []
        self.events: list = []
        self.position = 0  # events applied so far
        self.handed: tuple[np.ndarray, np.ndarray, list[str]] | None = None
        self._build_controls()
        self.timer = QTimer(self)
        self.timer.setInterval(350)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.finish_layout()

    def _build_controls(self) -> None:
        source = QGroupBox("Predicted boxes")
        form = QFormLayout(source)
        self.source = QComboBox()
        self.source.addItems(SOURCES)
        self.source.setToolTip("Where the predictions come from (a trained detector arrives "
                               "with the detector tab)")
        form.addRow("source", self.source)
        self.per_box = QSpinBox(minimum=1, maximum=200, value=8)
        self.per_box.setToolTip("Predictions around each ground-truth box")
        self.seed = QSpinBox(minimum=0, maximum=9999, value=0)
        self.seed.setToolTip("Random seed of the jitter")
        form.addRow("boxes per ground truth", self.per_box)
        form.addRow("seed", self.seed)
        self.add(source)
        thresholds = QGroupBox("Thresholds")
        t_form = QFormLayout(thresholds)
        self.nms_threshold = LabeledSlider("NMS IoU", minimum=0.0, maximum=1.0, value=0.5,
                                           tooltip="Suppress boxes whose IoU with a kept box "
                                                   "is greater than this")
        self.score_threshold = LabeledSlider("min score", minimum=0.0, maximum=1.0, value=0.3,
                                             tooltip="Boxes scoring below this never compete")
        t_form.addRow(self.nms_threshold)
        t_form.addRow(self.score_threshold)
        self.add(thresholds)
        buttons = QHBoxLayout()
        self.step_button = QPushButton("Step ▶")
        self.step_button.setToolTip("Keep the next box and suppress its overlaps (Space)")
        self.run_button = QPushButton("Run ▶▶")
        self.run_button.setCheckable(True)
        self.run_button.setToolTip("Animate all steps")
        self.reset_button = QPushButton("Reset ⟲")
        for b in (self.step_button, self.run_button, self.reset_button):
            buttons.addWidget(b)
        self._layout.addLayout(buttons)
        legend = QLabel("<span style='color:#d4b000'>■</span> current &nbsp; "
                        "<span style='color:#00c853'>■</span> kept &nbsp; "
                        "<span style='color:#ff5252'>■</span> suppressed now &nbsp; "
                        "<span style='color:#ff9e9e'>┈</span> suppressed earlier &nbsp; "
                        "<span style='color:#aaa'>□</span> undecided")
        legend.setToolTip("Colours of the boxes on the image")
        self.add(legend)
        self.log = QListWidget()
        self.log.setMinimumHeight(140)
        self.add(self.log)
        self.readout = QLabel()
        self.readout.setWordWrap(True)
        self.add(self.readout)
        self.step_button.clicked.connect(self.step)
        self.run_button.toggled.connect(self._on_run_toggled)
        self.reset_button.clicked.connect(self.reset)
        for w in (self.source, ):
            w.currentIndexChanged.connect(lambda _i: self.regenerate())
        for spin in (self.per_box, self.seed):
            spin.valueChanged.connect(lambda _v: self.regenerate())
        self.nms_threshold.value_changed.connect(lambda _v: self.recompute())
        self.score_threshold.value_changed.connect(lambda _v: self.recompute())

    # ------------------------------------------------------------ data
    def activate(self) -> None:
        if not len(self.boxes):
            self.regenerate()
        super().activate()

    def deactivate(self) -> None:
        self.run_button.setChecked(False)
        super().deactivate()

    def on_image_changed(self) -> None:
        self._forget_handed()
        self.regenerate()

    def show_predictions(self, image: np.ndarray, boxes: np.ndarray, scores: np.ndarray,
                         names: list[str], *, nms_threshold: float, score_threshold: float,
                         gt_boxes: np.ndarray | None = None, gt_labels: list[str] = (),
                         title: str = "Detector output") -> None:
        """Show ``image`` in the lab and step through NMS on a detector's own predictions
        (the Detect tab's raw boxes, in ``image`` pixels); the source list gains a
        "handed over" entry until another image is loaded. Selects this panel."""
        lab = self.lab
        lab.canvas.set_image(image)
        h, w = image.shape[:2]
        gt = np.zeros((0, 4)) if gt_boxes is None else np.asarray(gt_boxes, dtype=np.float64)
        # the lab's state takes the image like a loaded one (every panel follows it)
        lab.state.set_image(title.replace("/", "-"), w, h, gt.reshape(-1, 4), list(gt_labels))
        self.handed = (np.asarray(boxes, dtype=np.float64).reshape(-1, 4),
                       np.asarray(scores, dtype=np.float64).reshape(-1), list(names))
        if self.source.findText(HANDED) < 0:
            self.source.addItem(HANDED)
        with QSignalBlocker(self.source), QSignalBlocker(self.nms_threshold), \
                QSignalBlocker(self.score_threshold):
            self.source.setCurrentIndex(self.source.findText(HANDED))
            self.nms_threshold.setValue(nms_threshold)
            self.score_threshold.setValue(score_threshold)
        self.regenerate()
        self.reset()
        lab.show_panel(lab.panels.index(self))
        if self.active:
            self.redraw()
        else:
            self.activate()

    def _forget_handed(self) -> None:
        if self.handed is None:
            return
        self.handed = None
        index = self.source.findText(HANDED)
        with QSignalBlocker(self.source):
            if self.source.currentIndex() == index:
                self.source.setCurrentIndex(0)
            self.source.removeItem(index)

    def on_ground_truth_changed(self) -> None:
        if self.source.currentIndex() == 0:
            self.regenerate()

    def regenerate(self) -> None:
        """Make a fresh set of predicted boxes from the chosen source."""
        w, h = self.lab.image_size()
        if not w:
            self.boxes, self.scores, self.names = np.zeros((0, 4)), np.zeros(0), []
        elif self.handed is not None and self.source.currentText() == HANDED:
            self.boxes, self.scores, names = self.handed
            self.names = list(names)
        elif self.source.currentIndex() == 1:
            ex = nms_example()
            self.boxes = to_pixels(ex.anchors.numpy(), w, h)
            self.scores = ex.scores.numpy().astype(np.float64)
            cls = ex.cls_probs[1:].argmax(dim=0).tolist()
            self.names = [ex.class_names[c] for c in cls]
        elif len(self.lab.gt_boxes):
            boxes, scores, gt_index = jitter_predictions(
                torch.tensor(self.lab.gt_boxes).float(), self.per_box.value(),
                seed=self.seed.value(), bounds=(0, 0, w, h))
            self.boxes, self.scores = boxes.numpy().astype(np.float64), scores.numpy()
            self.names = [self.lab.gt_labels[i] for i in gt_index.tolist()]
        else:
            self.boxes, self.scores, self.names = np.zeros((0, 4)), np.zeros(0), []
        self.position = 0
        self.recompute(keep_position=False)

    def recompute(self, *, keep_position: bool = True) -> None:
        """Re-run NMS with the current thresholds, keeping how many steps were shown."""
        steps_shown = self._steps_done() if keep_position else 0
        was_at_end = keep_position and bool(self.events) and self.at_end()
        if len(self.boxes):
            self.events = list(nms_steps(torch.tensor(self.boxes), torch.tensor(self.scores),
                                         self.nms_threshold.value(),
                                         self.score_threshold.value()))
        else:
            self.events = []
        self.position = (len(self.events) if was_at_end
                         else self._position_after_steps(steps_shown))
        self.redraw()

    # ----------------------------------------------------------- stepping
    def _steps_done(self) -> int:
        return sum(isinstance(e, NmsKept) for e in self.events[: self.position])

    def _position_after_steps(self, steps: int) -> int:
        """Event index just before the (steps+1)-th NmsKept (dropped boxes always shown)."""
        kept = 0
        for i, e in enumerate(self.events):
            if isinstance(e, NmsKept):
                if kept == steps:
                    return i
                kept += 1
            elif isinstance(e, NmsFinished):
                return i + 1 if kept <= steps else i
        return len(self.events)

    def at_end(self) -> bool:
        return self.position >= len(self.events)

    def step(self) -> None:
        """Apply the next kept box and all the suppressions it causes."""
        if self.at_end():
            return
        self.position = self._position_after_steps(self._steps_done() + 1)
        self.redraw()

    def run_to_end(self) -> None:
        self.position = len(self.events)
        self.redraw()

    def reset(self) -> None:
        self.run_button.setChecked(False)
        self.position = self._position_after_steps(0)
        self.redraw()

    def _on_run_toggled(self, on: bool) -> None:
        if on:
            if self.at_end():
                self.reset()
                self.run_button.setChecked(True)
            self.timer.start()
        else:
            self.timer.stop()

    def _on_timer_timeout(self) -> None:
        self.step()
        if self.at_end():
            self.run_button.setChecked(False)

    def kept_indices(self) -> list[int]:
        return [e.index for e in self.events[: self.position] if isinstance(e, NmsKept)]

    def final_kept(self) -> tuple[int, ...]:
        done = [e for e in self.events if isinstance(e, NmsFinished)]
        return done[0].kept if done else ()

    # --------------------------------------------------------------- draw
    def status(self) -> tuple[np.ndarray, dict[int, NmsSuppressed], int | None]:
        """Per-box state after ``position`` events: 0 candidate, 1 kept, 2 suppressed, 3 dropped."""
        state = np.zeros(len(self.boxes), dtype=int)
        suppressed: dict[int, NmsSuppressed] = {}
        current = None
        for e in self.events[: self.position]:
            if isinstance(e, NmsDropped):
                state[e.index] = 3
            elif isinstance(e, NmsKept):
                state[e.index], current = 1, e.index
            elif isinstance(e, NmsSuppressed):
                state[e.index] = 2
                suppressed[e.index] = e
        return state, suppressed, current

    def redraw(self) -> None:
        self._fill_log()
        if not self.active:
            return
        if not len(self.boxes):
            self.clear_overlays()
            self.readout.setText("No predictions: add ground-truth boxes in panel 4 or "
                                 "choose the book's example.")
            return
        state, suppressed, current = self.status()
        label = [f"{n}={s:.2f}" for n, s in zip(self.names, self.scores, strict=True)]
        step_now = sum(isinstance(e, NmsKept) for e in self.events[: self.position]) - 1
        recent = np.array([i in suppressed and suppressed[i].step == step_now
                           for i in range(len(self.boxes))], dtype=bool)
        groups = {
            "candidates": (state == 0, (200, 200, 200, 230), "solid", 1.2, 3),
            "dropped": (state == 3, (150, 150, 150, 90), "dot", 1.0, 2),
            "suppressed_before": ((state == 2) & ~recent, (255, 82, 82, 110), "dot", 1.0, 2),
            "suppressed": ((state == 2) & recent, "#ff5252", "dash", 1.5, 4),
            "kept": (state == 1, "#00e676", "solid", 2.5, 5),
        }
        for name, (mask, color, style, width, z) in groups.items():
            idx = np.nonzero(mask)[0]
            texts = None
            if name == "suppressed":
                texts = [f"✕ #{i} IoU {suppressed[i].iou:.2f}" for i in idx]
            elif name == "kept" or (name == "candidates" and len(idx) <= 12):
                texts = [f"#{i} {label[i]}" for i in idx]
            self.set_boxes(name, self.boxes[idx], colors=color, style=style, width=width,
                           labels=texts, z=z)
        if current is not None:
            self.set_boxes("current", self.boxes[[current]], colors="#ffeb3b", width=4, z=6)
        else:
            self.canvas.clear_boxes(self.layer_prefix() + "current")
        kept = self.kept_indices()
        done = "done — " if self.at_end() else ""
        self.readout.setText(
            f"{done}{len(self.boxes)} boxes: <b>{len(kept)}</b> kept, "
            f"{int((state == 2).sum())} suppressed, {int((state == 3).sum())} below the "
            f"score threshold, {int((state == 0).sum())} undecided.<br>"
            f"Kept so far: {', '.join(f'#{i}' for i in kept) or '—'}")

    def _fill_log(self) -> None:
        self.log.clear()
        for e in self.events[: self.position]:
            if isinstance(e, NmsKept):
                self.log.addItem(f"keep #{e.index} ({self.names[e.index]}, score {e.score:.2f}) "
                                 f"— {e.remaining} left")
            elif isinstance(e, NmsSuppressed):
                self.log.addItem(f"   suppress #{e.index} (score {e.score:.2f}): IoU "
                                 f"{e.iou:.2f} > {self.nms_threshold.value():.2f} with #{e.by}")
            elif isinstance(e, NmsDropped):
                self.log.addItem(f"drop #{e.index}: score {e.score:.2f} < "
                                 f"{self.score_threshold.value():.2f}")
            elif isinstance(e, NmsFinished):
                self.log.addItem(f"finished: kept {list(e.kept)}")
        self.log.scrollToBottom()
