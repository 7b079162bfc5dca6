"""The Augment tab's layout: the controls column and the views (grid, inspector).

Functions of the tab (``self`` is the ``AugmentTab``): they create its widgets as its
attributes and connect them to its slots, so the tab file holds state and behaviour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.augment import list_augment_presets
from gui.tabs.augment.pipeline_list import PipelinePanel
from gui.tabs.augment.sample_grid import InspectorStrip, SampleGrid
from gui.tabs.augment.slider_form import SliderForm
from gui.tabs.augment.source import source_names
from widgets.group_box import group_box

if TYPE_CHECKING:
    from gui.tabs.augment_tab import AugmentTab


def build_left(self: AugmentTab) -> QWidget:
    panel = QWidget()
    col = QVBoxLayout(panel)
    col.setContentsMargins(0, 0, 4, 0)
    # --- source
    src = QWidget()
    src_col = QVBoxLayout(src)
    src_col.setContentsMargins(0, 0, 0, 0)
    row = QHBoxLayout()
    self.source_combo = QComboBox()
    self.source_combo.addItems(source_names())
    self.source_combo.setToolTip("Bundled samples (the cat comes with its boxes) and a "
                                 "synthetic scene with a mask; or drop any image here")
    self.source_combo.activated.connect(
        lambda _i: self.load(self.source_combo.currentText()))
    open_button = QPushButton("Open…")
    open_button.setToolTip("Open an image file (a NAME.boxes.json beside it brings boxes)")
    open_button.clicked.connect(self._ask_open)
    row.addWidget(self.source_combo, 1)
    row.addWidget(open_button)
    self.source_info = QLabel()
    self.source_info.setWordWrap(True)
    src_col.addLayout(row)
    src_col.addWidget(self.source_info)
    col.addWidget(group_box("Image", src))
    # --- pipeline
    pipe = QWidget()
    pipe_col = QVBoxLayout(pipe)
    pipe_col.setContentsMargins(0, 0, 0, 0)
    row = QHBoxLayout()
    self.preset_combo = QComboBox()
    for name, desc in list_augment_presets():
        self.preset_combo.addItem(name)
        self.preset_combo.setItemData(self.preset_combo.count() - 1, desc,
                                      Qt.ItemDataRole.ToolTipRole)
    self.preset_combo.setToolTip("The book's pipelines (d2l 14.1) and a few more")
    use_preset = QPushButton("Use preset")
    use_preset.setToolTip("Replace the pipeline by this preset (undo brings it back)")
    use_preset.clicked.connect(lambda: self.use_preset(self.preset_combo.currentText()))
    row.addWidget(self.preset_combo, 1)
    row.addWidget(use_preset)
    pipe_col.addLayout(row)
    self.pipeline = PipelinePanel()
    self.pipeline.step_added.connect(self.add_step)
    self.pipeline.step_removed.connect(self.remove_step)
    self.pipeline.step_moved.connect(self.move_step)
    self.pipeline.step_toggled.connect(self.toggle_step)
    self.pipeline.current_changed.connect(self._on_pipeline_current_changed)
    pipe_col.addWidget(self.pipeline, 1)
    row = QHBoxLayout()
    self.undo_button = QPushButton("Undo")
    self.undo_button.setToolTip("Undo the last pipeline edit (Ctrl+Z)")
    self.undo_button.clicked.connect(self.undo)
    self.redo_button = QPushButton("Redo")
    self.redo_button.setToolTip("Redo (Ctrl+Shift+Z)")
    self.redo_button.clicked.connect(self.redo)
    row.addWidget(self.undo_button)
    row.addWidget(self.redo_button)
    row.addStretch(1)
    pipe_col.addLayout(row)
    col.addWidget(group_box("Pipeline", pipe), 1)
    # --- parameters of the selected step
    params = QWidget()
    params_col = QVBoxLayout(params)
    params_col.setContentsMargins(0, 0, 0, 0)
    self.step_description = QLabel()
    self.step_description.setWordWrap(True)
    self.step_description.setStyleSheet("color: #444;")
    self.form = SliderForm()
    self.form.param_edited.connect(self._on_form_param_edited)
    params_col.addWidget(self.step_description)
    params_col.addWidget(self.form)
    self.params_box = group_box("Step", params)
    col.addWidget(self.params_box)
    # --- file / hand-over buttons
    row = QHBoxLayout()
    for text, tip, slot in (
            ("Copy as code", "Copy the pipeline as torchvision code", self.copy_code),
            ("Save…", "Save the pipeline as JSON", self._ask_save),
            ("Load…", "Load a pipeline JSON file", self._ask_load)):
        b = QPushButton(text)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        row.addWidget(b)
    col.addLayout(row)
    self.train_button = QPushButton("Use in training")
    self.train_button.setToolTip("Hand this pipeline to the Train tab as the train-time "
                                 "transform, drawn per example (the book's experiment: "
                                 "train with it and without, compare the curves)")
    self.train_button.clicked.connect(self.use_in_training)
    col.addWidget(self.train_button)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(panel)
    scroll.setMinimumWidth(360)
    return scroll

def build_views(self: AugmentTab) -> QWidget:
    views = QWidget()
    col = QVBoxLayout(views)
    col.setContentsMargins(4, 0, 0, 0)
    bar = QHBoxLayout()
    self.rows_spin = _spin(1, 6, 2, "Rows of the grid")
    self.cols_spin = _spin(1, 8, 4, "Columns of the grid")
    self.seed_spin = _spin(0, 2**31 - 1, 0, "Seed of the grid: the same seed gives "
                                                 "the same samples")
    self.seed_spin.valueChanged.connect(self._on_seed_spin_value_changed)
    reroll = QPushButton("Reroll")
    reroll.setToolTip("New random draws: the next seed (R)")
    reroll.clicked.connect(self.reroll)
    self.overlay_check = QCheckBox("Boxes && mask")
    self.overlay_check.setChecked(True)
    self.overlay_check.setToolTip("Draw the boxes and the mask on every sample")
    self.overlay_check.toggled.connect(lambda _on: self._redraw())
    for label, w in (("Rows", self.rows_spin), ("Columns", self.cols_spin),
                     ("Seed", self.seed_spin)):
        bar.addWidget(QLabel(label))
        bar.addWidget(w)
    bar.addWidget(reroll)
    bar.addWidget(self.overlay_check)
    bar.addStretch(1)
    col.addLayout(bar)
    self.status = QLabel()
    self.status.setWordWrap(True)
    col.addWidget(self.status)
    self.views = QTabWidget()
    self.grid = SampleGrid()
    self.grid.sample_clicked.connect(self.show_large)
    self.views.addTab(self.grid, "Samples")
    inspector = QWidget()
    icol = QVBoxLayout(inspector)
    irow = QHBoxLayout()
    self.inspect_spin = _spin(1, 48, 1, "Which sample of the grid to follow")
    self.inspect_spin.valueChanged.connect(lambda _v: self._request_inspect())
    irow.addWidget(QLabel("Sample"))
    irow.addWidget(self.inspect_spin)
    self.inspect_info = QLabel("One sample after each step, in order; the text says "
                               "what each step drew.")
    irow.addWidget(self.inspect_info, 1)
    icol.addLayout(irow)
    self.inspector = InspectorStrip()
    icol.addWidget(self.inspector, 1)
    self.views.addTab(inspector, "Inspector")
    self.views.currentChanged.connect(lambda _i: self._request_inspect())
    col.addWidget(self.views, 1)
    self.rows_spin.valueChanged.connect(self._on_grid_shape_changed)
    self.cols_spin.valueChanged.connect(self._on_grid_shape_changed)
    return views

def _spin(lo: int, hi: int, value: int, tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(lo, hi)
    spin.setValue(value)
    spin.setToolTip(tip)
    return spin
