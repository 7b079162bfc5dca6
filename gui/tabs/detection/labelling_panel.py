"""Panel 4 — labelling anchors with classes and offsets (d2l 14.4.3)."""

from __future__ import annotations

import numpy as np
import torch
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from engine.detection import anchor_assignment, anchor_labels, multiscale_anchors
from gui.tabs.detection.common import (
    LabPanel,
    class_color,
    square_anchor_note,
    to_normalised,
    to_pixels,
)
from widgets.sliders import LabeledSlider

TABLE_COLUMNS = ("anchor", "assigned to", "class label", "IoU", "dx", "dy", "dw", "dh")


class LabellingPanel(LabPanel):
    title = "4 · Labelling"
    intro = ("Training needs a target for every anchor. Each ground truth first takes "
             "its best anchor (<b>forced</b>, dashed); every other anchor takes the "
             "ground truth it overlaps most if IoU ≥ threshold, else it is "
             "<b>background</b> (class 0, faint grey). Offsets: ((x<sub>b</sub>−x<sub>a</sub>)/w"
             "<sub>a</sub>·10, (y<sub>b</sub>−y<sub>a</sub>)/h<sub>a</sub>·10, "
             "log(w<sub>b</sub>/w<sub>a</sub>)·5, log(h<sub>b</sub>/h<sub>a</sub>)·5). "
             "<b>Click</b> a cell to see its anchors' targets.")

    def __init__(self, lab) -> None:
        super().__init__(lab)
        self.assignment = None
        self.anchors_px = np.zeros((0, 4))
        self.cell: tuple[int, int] | None = None
        self._gt_items: list = []
        self._gt_item_labels: list[str] = []
        self._syncing = False  # pushing the state into the editable boxes
        self._build_ground_truth()
        self._build_anchor_controls()
        self.table = QTableWidget(0, len(TABLE_COLUMNS))
        self.table.setHorizontalHeaderLabels(TABLE_COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setMinimumHeight(150)
        self.add(self.table)
        self.readout = QLabel()
        self.readout.setWordWrap(True)
        self.add(self.readout)
        self.lab.canvas.box_drawn.connect(self._on_canvas_box_drawn)
        self.lab.state.box_previewed.connect(self._on_state_box_previewed)

    # ------------------------------------------------------------- build
    def _build_ground_truth(self) -> None:
        box = QGroupBox("Ground truth")
        col = QVBoxLayout(box)
        self.gt_list = QListWidget()
        self.gt_list.setMaximumHeight(90)
        self.gt_list.setToolTip("Ground-truth boxes; drag them on the image to move, drag a "
                                "corner to resize (Delete removes the selected one)")
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.gt_list,
                  activated=self._delete_selected, context=Qt.ShortcutContext.WidgetShortcut)
        col.addWidget(self.gt_list)
        row = QHBoxLayout()
        self.class_combo = QComboBox(editable=True)
        self.class_combo.setToolTip("Class of the next box you draw (type a new name to add "
                                    "one); Set class gives it to the selected box")
        self.draw_button = QPushButton("Draw box")
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip("Then drag on the image to draw a ground-truth box "
                                    "(also over other boxes; it stays inside the image). "
                                    "Esc cancels")
        self.draw_button.toggled.connect(self.lab.canvas.set_draw_mode)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self.lab.canvas,
                  activated=lambda: self.draw_button.setChecked(False),
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        rename = QPushButton("Set class")
        rename.setToolTip("Give the selected box the class typed on the left")
        rename.clicked.connect(self._rename_selected)
        delete = QPushButton("Delete")
        delete.setToolTip("Delete the selected ground-truth box (Delete)")
        delete.clicked.connect(self._delete_selected)
        row.addWidget(QLabel("class"))
        row.addWidget(self.class_combo, 1)
        row.addWidget(self.draw_button)
        row.addWidget(rename)
        row.addWidget(delete)
        col.addLayout(row)
        row = QHBoxLayout()
        stack = self.lab.state.undo_stack
        self.undo_button = QPushButton("↶ Undo")
        self.redo_button = QPushButton("↷ Redo")
        self.undo_button.clicked.connect(self.lab.state.undo)
        self.redo_button.clicked.connect(self.lab.state.redo)
        stack.canUndoChanged.connect(self.undo_button.setEnabled)
        stack.canRedoChanged.connect(self.redo_button.setEnabled)
        stack.undoTextChanged.connect(self._on_undo_stack_undo_text_changed)
        stack.redoTextChanged.connect(self._on_undo_stack_redo_text_changed)
        self.undo_button.setEnabled(stack.canUndo())
        self.redo_button.setEnabled(stack.canRedo())
        self._on_undo_stack_undo_text_changed(stack.undoText())
        self._on_undo_stack_redo_text_changed(stack.redoText())
        save = QPushButton("Save boxes…")
        save.setToolTip("Save the ground-truth boxes as NAME.boxes.json; beside the image "
                        "they are loaded again with it (the bundled samples' folder is "
                        "read-only)")
        save.clicked.connect(self._ask_save)
        row.addWidget(self.undo_button)
        row.addWidget(self.redo_button)
        row.addStretch(1)
        row.addWidget(save)
        col.addLayout(row)
        self.add(box)

    def _build_anchor_controls(self) -> None:
        box = QGroupBox("Anchors (sizes and ratios from panel 1)")
        form = QFormLayout(box)
        grid = QHBoxLayout()
        self.fmap_w = QSpinBox(minimum=1, maximum=64, value=8)
        self.fmap_h = QSpinBox(minimum=1, maximum=64, value=6)
        for spin, name in ((self.fmap_w, "columns"), (self.fmap_h, "rows")):
            spin.setToolTip(f"Anchor centres: {name} of the grid")
            spin.valueChanged.connect(lambda _v: self.request_redraw())
            grid.addWidget(spin)
        form.addRow("grid (w × h)", grid)
        self.threshold = LabeledSlider("IoU threshold", minimum=0.0, maximum=1.0, value=0.5,
                                       tooltip="Phase 2: anchors with IoU ≥ this are assigned")
        self.threshold.value_changed.connect(lambda _v: self.request_redraw())
        form.addRow(self.threshold)
        self.show_background = QCheckBox("show background anchors")
        self.show_background.setChecked(True)
        self.show_background.toggled.connect(lambda _v: self.redraw())
        form.addRow(self.show_background)
        self.add(box)

    def _on_undo_stack_undo_text_changed(self, text: str) -> None:
        self.undo_button.setToolTip(f"Undo {text} (Ctrl+Z)" if text else
                                    "Undo the last box edit (Ctrl+Z)")

    def _on_undo_stack_redo_text_changed(self, text: str) -> None:
        self.redo_button.setToolTip(f"Redo {text} (Ctrl+Shift+Z)" if text else
                                    "Redo the last undone box edit (Ctrl+Shift+Z)")

    # ------------------------------------------------------- ground truth
    def activate(self) -> None:
        self._sync_ground_truth_items()
        super().activate()

    def deactivate(self) -> None:
        self.draw_button.setChecked(False)
        self._remove_gt_items()
        super().deactivate()

    def on_ground_truth_changed(self) -> None:
        self._refresh_gt_list()
        if self.active:
            self._sync_ground_truth_items()
            self.redraw()

    def on_image_changed(self) -> None:
        self.cell = None
        self._remove_gt_items()  # new bounds and boxes
        self.on_ground_truth_changed()

    def _remove_gt_items(self) -> None:
        for item in self._gt_items:
            self.canvas.remove_editable_box(item)
        self._gt_items = []
        self._gt_item_labels = []

    def _sync_ground_truth_items(self) -> None:
        """Editable boxes for the state's boxes: moved in place when only geometry
        changed (an undo, or the end of a drag), rebuilt when boxes or labels did."""
        state = self.lab.state
        if self._gt_item_labels == state.labels and len(self._gt_items) == state.box_count():
            self._syncing = True
            try:
                for item, box in zip(self._gt_items, state.boxes, strict=True):
                    if not np.allclose(item.box(), box):
                        item.set_box(box)
            finally:
                self._syncing = False
            return
        self._remove_gt_items()
        classes = state.class_names()
        for i, (box, label) in enumerate(zip(state.boxes, state.labels, strict=True)):
            item = self.canvas.add_editable_box(box, color=class_color(classes.index(label)),
                                                label=label)
            item.box_finished.connect(lambda b, k=i: self._on_gt_item_finished(k, b))
            item.box_changed.connect(lambda b, k=i: self._on_gt_item_changed(k, b))
            self._gt_items.append(item)
        self._gt_item_labels = state.labels

    def _refresh_gt_list(self) -> None:
        selected = self.gt_list.currentRow()
        self.gt_list.clear()
        for label, box in zip(self.lab.gt_labels, self.lab.gt_boxes, strict=True):
            self.gt_list.addItem(self._gt_text(label, box))
        if 0 <= selected < self.gt_list.count():
            self.gt_list.setCurrentRow(selected)
        current = self.class_combo.currentText()
        self.class_combo.clear()
        self.class_combo.addItems(self.lab.class_names() or ["object"])
        if current:
            self.class_combo.setCurrentText(current)

    @staticmethod
    def _gt_text(label: str, box: np.ndarray) -> str:
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        return f"{label}: ({x1}, {y1}) – ({x2}, {y2})"

    def _on_gt_item_changed(self, index: int, box: np.ndarray) -> None:
        if self._syncing:
            return
        self.lab.state.preview_box(index, box)  # live; one undo step when the drag ends

    def _on_gt_item_finished(self, index: int, box: np.ndarray) -> None:
        if not self._syncing:
            self.lab.state.move_box(index, box)

    def _on_state_box_previewed(self, index: int) -> None:
        item = self.gt_list.item(index)
        if item is not None:
            item.setText(self._gt_text(self.lab.gt_labels[index], self.lab.gt_boxes[index]))
        if self.active:
            self.request_redraw()

    def _on_canvas_box_drawn(self, box: np.ndarray) -> None:
        if not self.active:
            return
        label = self.class_combo.currentText().strip() or "object"
        self.draw_button.setChecked(False)
        self.lab.state.add_box(box, label)
        self.gt_list.setCurrentRow(self.gt_list.count() - 1)

    def _ask_save(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(
            self, "Save ground-truth boxes", str(self.lab.suggested_boxes_path()),
            "Box files (*.boxes.json);;All files (*)")
        if not path:
            return
        if not path.lower().endswith(".json"):
            path += ".boxes.json"
        try:
            self.lab.save_ground_truth(path)
        except (OSError, ValueError) as exc:
            self.lab.context.error(f"Boxes not saved: {exc}")

    def _selected_row(self) -> int:
        row = self.gt_list.currentRow()
        if row < 0 and self.lab.state.box_count():
            row = self.lab.state.box_count() - 1
        return row

    def _delete_selected(self) -> None:
        row = self._selected_row()
        if row >= 0:
            self.lab.state.remove_box(row)

    def _rename_selected(self) -> None:
        row = self._selected_row()
        label = self.class_combo.currentText().strip()
        if row >= 0 and label:
            self.lab.state.rename_box(row, label)

    # ------------------------------------------------------------ compute
    def grid_anchors(self) -> np.ndarray:
        """Normalised anchors of the grid, (H·W·k, 4), the book's order."""
        return multiscale_anchors(self.fmap_w.value(), self.fmap_h.value(),
                                  self.lab.sizes, self.lab.ratios).numpy()

    def compute(self) -> None:
        w, h = self.lab.image_size()
        anchors = self.grid_anchors()
        self.anchors_px = to_pixels(anchors, w, h)
        classes = self.lab.class_names()
        gt = self.lab.gt_boxes
        labels = np.zeros((len(gt), 5))
        if len(gt):
            labels[:, 0] = [classes.index(lbl) for lbl in self.lab.gt_labels]
            labels[:, 1:] = to_normalised(gt, w, h)
        self.assignment = anchor_assignment(torch.tensor(anchors), torch.tensor(labels).float(),
                                            iou_threshold=self.threshold.value())

    def on_pixel_clicked(self, x: float, y: float) -> None:
        w, h = self.lab.image_size()
        col = min(int(x / w * self.fmap_w.value()), self.fmap_w.value() - 1)
        row = min(int(y / h * self.fmap_h.value()), self.fmap_h.value() - 1)
        self.cell = (col, row)
        self.redraw()

    def chosen_indices(self) -> list[int]:
        if self.cell is None:
            return []
        k = len(self.lab.sizes) + len(self.lab.ratios) - 1
        col, row = self.cell
        start = (row * self.fmap_w.value() + col) * k
        return list(range(start, start + k))

    # --------------------------------------------------------------- draw
    def redraw(self) -> None:
        if not self.active:
            return
        w, _ = self.lab.image_size()
        if not w:
            self.readout.setText("Load an image first.")
            return
        self.compute()
        a = self.assignment
        classes = self.lab.class_names()
        gt_class = [classes.index(lbl) for lbl in self.lab.gt_labels]
        bg = a.gt_index < 0
        if self.show_background.isChecked():
            self.set_boxes("background", self.anchors_px[bg], colors=(200, 200, 200, 90),
                           width=1, style="solid", z=3)  # dotted pens paint ~3x slower
        else:
            self.canvas.clear_boxes(self.layer_prefix() + "background")
        for name, mask, style, width in (("assigned", ~bg & ~a.forced, "solid", 1.5),
                                         ("forced", a.forced, "dash", 3.0)):
            idx = np.nonzero(mask)[0]
            colors = [class_color(gt_class[a.gt_index[i]]) for i in idx]
            self.set_boxes(name, self.anchors_px[idx], colors=colors, width=width, style=style,
                           z=4)
        chosen = self.chosen_indices()
        self.set_boxes("chosen", self.anchors_px[chosen], colors="#ffffff", width=3, z=6,
                       labels=[str(i) for i in chosen])
        self._fill_table(chosen)
        self.readout.setText(
            f"{len(a.gt_index):,} anchors: <b>{int((~bg).sum())}</b> assigned "
            f"({int(a.forced.sum())} forced), <b>{int(bg.sum()):,}</b> background, "
            f"IoU threshold {a.iou_threshold:.2f}.<br>"
            + square_anchor_note(self.lab.sizes[0], self.fmap_w.value(), self.fmap_h.value(),
                                 w, self.lab.image_size()[1]))

    def _fill_table(self, chosen: list[int]) -> None:
        a = self.assignment
        names = anchor_labels(self.lab.sizes, self.lab.ratios)
        self.table.setRowCount(len(chosen))
        for r, i in enumerate(chosen):
            g = int(a.gt_index[i])
            target = "background" if g < 0 else f"{self.lab.gt_labels[g]} #{g}"
            if a.forced[i]:
                target += " (forced)"
            values = [f"#{i} {names[r % len(names)]}", target, str(int(a.class_labels[i])),
                      f"{a.iou[i]:.3f}" if g >= 0 else f"max {a.max_iou[i]:.3f}",
                      *(f"{v:.3f}" for v in a.offsets[i])]
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                if c >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
