"""Build: compose a network layer by layer with live shapes, parameters and MACs.

The tab's state is one immutable ``NetworkSpec`` on an undo stack (``SpecHistory``):
every control makes a new spec and pushes it, ``_refresh`` redraws the views from it.
``summarize`` is analytic (~1 ms even for DarkNet-53), so it runs on the UI thread on
every edit; only the diagram is redrawn on a short timer.

What is displayed is what is in use: a property or input-shape field whose text is not
(yet) the network's value is *pending*; the status line says so instead of ✔, leaving the
field (or Send to Train) restores the value in use, and editing a preset renames it
("lenet (edited)") so its name and description no longer claim the preset's figures.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QLabel,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.builder import (
    NetworkSpec,
    Summary,
    export_code,
    format_summary,
    layer,
    list_presets,
    preset,
    summarize,
)
from engine.builder.memory import STATE_COPIES, TrainingMemory, device_memory, training_memory
from engine.builder.spec import parse_shape
from engine.files import write_text_atomic
from gui.context import AppContext
from gui.dialogs import NETWORK_DIR_KEY, NETWORK_FILTER, ask_path
from gui.tabs.base import PlaygroundTab
from gui.tabs.build.diagram import NetworkDiagram
from gui.tabs.build.footer import SummaryFooter, plural
from gui.tabs.build.history import SpecHistory
from gui.tabs.build.network_table import NetworkTable
from gui.tabs.build.palette import LayerPalette
from gui.tabs.build.properties import PropertiesPanel
from gui.tabs.build.toolbar import EMPTY_ITEM, BuildToolbar, RowButtons
from widgets.group_box import group_box

SETTINGS_KEY = "build/network"
DEFAULT_PRESET = "lenet"
EDITED = " (edited)"


class BuildTab(PlaygroundTab):
    key = "build"
    title = "Build"
    network_changed = Signal(object)  # the current NetworkSpec after every edit

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.history: SpecHistory[NetworkSpec] = SpecHistory(self._restore_network())
        self.summary: Summary = summarize(self.spec)
        self.memory: TrainingMemory | None = None
        self._input_pending: tuple[str, bool] | None = None  # (message, is an error)
        self._diagram_timer = QTimer(self, singleShot=True, interval=40)
        self._diagram_timer.timeout.connect(self._redraw_diagram)
        self._build()
        self._refresh(select=0 if self.spec.layers else None)

    @property
    def spec(self) -> NetworkSpec:
        return self.history.current

    # ---------------------------------------------------------------- build
    def _build(self) -> None:
        self.palette = LayerPalette()
        self.table = NetworkTable()
        self.properties = PropertiesPanel()
        self.diagram = NetworkDiagram()
        self.toolbar = BuildToolbar()
        self.row_buttons = RowButtons()
        menu = self.toolbar.export_menu
        menu.addAction("PyTorch script (.py)…", self._ask_export)
        menu.addAction("Copy PyTorch code", self.copy_code)
        menu.addAction("Copy summary table", self.copy_summary)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(group_box("Layers", self.palette, margin=4))
        splitter.addWidget(self._build_center())
        splitter.addWidget(self._build_right())
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([190, 690, 390])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.toolbar)
        layout.addWidget(splitter, 1)
        self._connect()
        self._build_shortcuts()

    def _build_center(self) -> QWidget:
        box = QWidget()
        col = QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.footer = SummaryFooter()
        col.addWidget(self.header)
        col.addWidget(self.table, 1)
        col.addWidget(self.row_buttons)
        col.addWidget(self.footer)
        return box

    def _build_right(self) -> QWidget:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.properties)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(group_box("Properties", scroll, margin=4))
        right.addWidget(group_box("Diagram", self.diagram, margin=4))
        right.setSizes([450, 290])
        right.setChildrenCollapsible(False)
        return right

    def _connect(self) -> None:
        self.palette.add_requested.connect(self.add_layer)
        self.table.type_dropped.connect(self._on_table_type_dropped)
        self.table.row_moved.connect(self.move_layer)
        self.table.current_row_changed.connect(self._on_table_current_row_changed)
        self.diagram.row_clicked.connect(self.table.select_index)
        self.properties.param_edited.connect(self.edit_param)
        self.properties.pending_changed.connect(self._on_properties_pending_changed)
        self.context.device_changed.connect(lambda _device: self._update_totals())
        self.properties.frozen_toggled.connect(self.set_frozen)
        bar, rows = self.toolbar, self.row_buttons
        bar.preset_combo.activated.connect(self._on_preset_combo_activated)
        bar.input_edit.textEdited.connect(self._on_input_edit_text_edited)
        bar.input_edit.editingFinished.connect(
            lambda: self.set_input_shape_text(bar.input_edit.text()))
        bar.undo_button.clicked.connect(self.undo)
        bar.redo_button.clicked.connect(self.redo)
        bar.save_button.clicked.connect(self._ask_save)
        bar.load_button.clicked.connect(self._ask_load)
        bar.send_button.clicked.connect(self.send_to_train)
        rows.remove_button.clicked.connect(self.remove_selected)
        rows.duplicate_button.clicked.connect(self.duplicate_selected)
        rows.up_button.clicked.connect(lambda: self.move_selected(-1))
        rows.down_button.clicked.connect(lambda: self.move_selected(1))
        rows.expand_button.toggled.connect(self._on_expand_button_toggled)

    def _build_shortcuts(self) -> None:
        tab = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys, slot in (("Ctrl+Z", self.undo), ("Ctrl+Shift+Z", self.redo),
                           ("Ctrl+Y", self.redo), ("Ctrl+D", self.duplicate_selected),
                           ("Alt+Up", lambda: self.move_selected(-1)),
                           ("Alt+Down", lambda: self.move_selected(1))):
            QShortcut(QKeySequence(keys), self, activated=slot, context=tab)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table,
                  activated=self.remove_selected, context=Qt.ShortcutContext.WidgetShortcut)

    # ---------------------------------------------------------------- edits
    def set_spec(self, spec: NetworkSpec, *, merge_key: object = None,
                 select: int | None = None, edit: bool = True) -> None:
        """Make ``spec`` current (one undo step, or merged with the last one).

        ``edit``: ``spec`` is an edit of the current network; an edited preset is renamed
        "NAME (edited)" (loading a preset or a file passes False)."""
        self.history.push(edited(spec) if edit else spec, merge_key=merge_key)
        self._refresh(select=select)

    def selected_index(self) -> int | None:
        return self.table.current_index()

    def add_layer(self, type_name: str, index: int | None = None) -> None:
        """Insert a ``type_name`` with default params at ``index`` (default: after the
        selected row, or at the end)."""
        if index is None:
            current = self.selected_index()
            index = len(self.spec.layers) if current is None else current + 1
        self._edit(lambda s: s.insert_layer(index, layer(type_name)), select=index)

    def remove_selected(self) -> None:
        i = self.selected_index()
        if i is not None:
            self._edit(lambda s: s.remove_layer(i), select=min(i, len(self.spec.layers) - 2))

    def duplicate_selected(self) -> None:
        i = self.selected_index()
        if i is not None:
            copy = replace(self.spec.layers[i], name=None)
            self._edit(lambda s: s.insert_layer(i + 1, copy), select=i + 1)

    def move_selected(self, delta: int) -> None:
        i = self.selected_index()
        if i is not None and 0 <= i + delta < len(self.spec.layers):
            self.move_layer(i, i + delta)

    def move_layer(self, src: int, dst: int) -> None:
        self._edit(lambda s: s.move_layer(src, dst), select=dst)

    def edit_param(self, name: str, value: object) -> None:
        """Set one parameter of the selected entry; an invalid value shows why."""
        i = self.selected_index()
        if i is None:
            return
        try:
            spec = self.spec.with_params(i, **{name: value})
        except ValueError as exc:
            self.properties.reject(name, str(exc))  # the status follows pending_changed
            return
        self.set_spec(spec, merge_key=("param", i, name), select=i)

    def set_frozen(self, frozen: bool) -> None:
        i = self.selected_index()
        if i is not None:
            entry = replace(self.spec.layers[i], frozen=bool(frozen))
            self._edit(lambda s: s.replace_layer(i, entry), select=i)

    def set_input_shape_text(self, text: str) -> bool:
        """Apply a typed input shape (Enter / focus out). A bad one is not kept in the
        field: the field goes back to the shape in use and the status says why."""
        self._input_pending = None
        try:
            shape = parse_shape(text)
        except ValueError as exc:
            self._show_input_text()
            self._set_status(f"{exc} — not applied; the input stays "
                             f"{self._input_text()}", error=True)
            return False
        self.toolbar.show_input_error(None)
        if shape != self.spec.input_shape:
            self.set_spec(replace(self.spec, input_shape=shape), select=self.selected_index())
        else:
            self._update_totals()
        return True

    def _input_text(self) -> str:
        return ",".join(str(n) for n in self.spec.input_shape)

    def _show_input_text(self) -> None:
        """The input field shows the shape in use."""
        self.toolbar.input_edit.setText(self._input_text())
        self.toolbar.show_input_error(None)
        self._input_pending = None

    def commit_pending_edits(self) -> list[str]:
        """Make every field show the value in use: apply a valid typed input shape,
        restore fields whose text cannot be used. Returns what was restored."""
        notes = self.properties.form.revert_pending()
        if self.toolbar.input_edit.text() != self._input_text():
            text = self.toolbar.input_edit.text()
            if not self.set_input_shape_text(text):
                notes.append(f"input shape {text!r} was not applied; back to "
                             f"{self._input_text()}")
        return notes

    def load_preset(self, name: str) -> None:
        spec = NetworkSpec("custom", self.spec.input_shape) if name == EMPTY_ITEM else preset(name)
        self.table.set_expanded_rows(set())
        self.set_spec(spec, select=0 if spec.layers else None, edit=False)
        self.context.info(f"Build: loaded {spec.name} ({self.summary.total_params:,} params)")

    def undo(self) -> None:
        self.history.undo()
        self._refresh(select=self.selected_index())

    def redo(self) -> None:
        self.history.redo()
        self._refresh(select=self.selected_index())

    def _edit(self, change, *, select: int | None) -> None:
        try:
            spec = change(self.spec)
        except ValueError as exc:  # e.g. removing a layer another one shares
            self.context.error(f"Build: {exc}")
            self._set_status(str(exc), error=True)
            return
        self.set_spec(spec, select=select if spec.layers else None)

    # ---------------------------------------------------------------- files
    def save_network(self, path: str | Path) -> bool:
        """Write the spec as JSON atomically (temp file in the same folder + replace)."""
        path = Path(path)
        try:
            write_text_atomic(path, self.spec.to_json() + "\n")
        except OSError as exc:
            self.context.error(f"Build: could not save {path}: {exc.strerror or exc}")
            return False
        self.context.info(f"Build: saved {self.spec.name} to {path}")
        return True

    def load_network(self, path: str | Path) -> bool:
        """Load a JSON spec; a bad file shows why and keeps the current network."""
        path = Path(path)
        try:
            spec = NetworkSpec.from_json(path.read_bytes())
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            message = f"Could not load {path.name}: {reason}. The current network is kept."
            self.context.error(f"Build: {message}")
            self._set_status(message, error=True)
            return False
        self.table.set_expanded_rows(set())
        self.set_spec(spec, select=0 if spec.layers else None, edit=False)
        self.context.info(f"Build: loaded {spec.name} from {path}")
        return True

    def export_code_to(self, path: str | Path) -> bool:
        code = self._code()
        if code is None:
            return False
        try:
            Path(path).write_text(code, encoding="utf-8")
        except OSError as exc:
            self.context.error(f"Build: could not write {path}: {exc.strerror or exc}")
            return False
        self.context.info(f"Build: exported PyTorch code to {path}")
        return True

    def copy_code(self) -> bool:
        code = self._code()
        if code is not None:
            QGuiApplication.clipboard().setText(code)
            self.context.info("Build: PyTorch code copied to the clipboard")
        return code is not None

    def copy_summary(self) -> None:
        QGuiApplication.clipboard().setText(format_summary(self.summary))
        self.context.info("Build: summary table copied to the clipboard")

    def _code(self) -> str | None:
        try:
            return export_code(self.spec)
        except ValueError as exc:
            self.context.error(f"Build: {exc}")
            return None

    def send_to_train(self) -> bool:
        """Hand the network to Train — the one displayed: fields holding text that is not
        in use are first restored (a valid typed input shape is applied)."""
        for note in self.commit_pending_edits():
            self.context.warn(f"Build: {note}")
        if not self.spec.layers or self.summary.error:
            why = self.summary.error or "the network is empty"
            self.context.error(f"Build: cannot send to Train: {why}")
            return False
        self.context.send_network(self.spec)
        self.context.info(f"Build: sent {self.spec.name} ({self.summary.total_params:,} "
                          "params) to the Train tab")
        return True

    def _ask_save(self) -> None:
        path = ask_path(self, self.context.settings, NETWORK_DIR_KEY, "Save network",
                        save=True, name=f"{self.spec.name}.json", file_filter=NETWORK_FILTER)
        if path:
            self.save_network(path)

    def _ask_load(self) -> None:
        path = ask_path(self, self.context.settings, NETWORK_DIR_KEY, "Load network",
                        file_filter=NETWORK_FILTER)
        if path:
            self.load_network(path)

    def _ask_export(self) -> None:
        path = ask_path(self, self.context.settings, NETWORK_DIR_KEY, "Export PyTorch code",
                        save=True, name=f"{self.spec.name}.py",
                        file_filter="Python script (*.py)")
        if path:
            self.export_code_to(path)

    # ------------------------------------------------------------- settings
    def _restore_network(self) -> NetworkSpec:
        text = self.context.settings.value(SETTINGS_KEY)
        if text:
            try:
                return NetworkSpec.from_json(str(text))
            except ValueError as exc:
                self.context.warn(f"Build: the last network could not be restored ({exc}); "
                                  f"starting from {DEFAULT_PRESET}")
        return preset(DEFAULT_PRESET)

    # ---------------------------------------------------------------- views
    def _refresh(self, *, select: int | None = None) -> None:
        spec = self.spec
        self.summary = summarize(spec)
        self.table.show_summary(spec, self.summary)
        if select is not None and spec.layers:
            self.table.select_index(max(0, min(select, len(spec.layers) - 1)), emit=False)
        self._update_properties()
        edit = self.toolbar.input_edit
        if not edit.hasFocus() and edit.text() != self._input_text():
            self._show_input_text()
        self._update_totals()
        self.header.setText(header_html(spec, self.summary))
        self.toolbar.undo_button.setEnabled(self.history.can_undo())
        self.toolbar.redo_button.setEnabled(self.history.can_redo())
        self.row_buttons.set_has_selection(self.selected_index() is not None)
        self.context.settings.setValue(SETTINGS_KEY, spec.to_json(indent=None))
        self._diagram_timer.start()
        self.network_changed.emit(spec)

    def _update_properties(self) -> None:
        i = self.selected_index()
        if i is None or i >= len(self.spec.layers):
            self.properties.show_entry(None, None, None)
            return
        row = next((r for r in self.summary.layers if r.index == i), None)
        self.properties.show_entry(i, self.spec.layers[i], row)

    def _update_totals(self) -> None:
        """Totals, training memory and the status line — which is never ✔ while a field
        holds text that is not in use."""
        self.memory = self._training_memory()
        device = device_memory(self.context.device) if self.memory is not None else None
        self.footer.show_summary(self.spec, self.summary, self.memory, device)
        pending = self.properties.form.pending_message()
        if self._input_pending is not None:
            message, is_error = self._input_pending
            self._set_status(message, error=is_error, muted=not is_error)
        elif pending:
            self._set_status(pending, error=True)

    def _training_memory(self) -> TrainingMemory | None:
        if self.summary.error or not self.spec.layers:
            return None
        defaults = self.spec.train_defaults
        optimizer = defaults.get("optimizer", "sgd")
        return training_memory(self.summary, batch_size=int(defaults["batch_size"]),
                               optimizer=optimizer if optimizer in STATE_COPIES else "sgd")

    def _set_status(self, text: str, *, error: bool = False, muted: bool = False) -> None:
        self.footer.set_status(text, error=error, muted=muted)

    def _redraw_diagram(self) -> None:
        self.diagram.show_network(self.spec, self.summary, self.selected_index())

    # ---------------------------------------------------------------- slots
    def _on_table_current_row_changed(self, _index: int) -> None:
        self._update_properties()
        self.row_buttons.set_has_selection(self.selected_index() is not None)
        self.history.break_merge()
        self._diagram_timer.start()

    def _on_table_type_dropped(self, type_name: str, index: int) -> None:
        self.add_layer(type_name, index)

    def _on_input_edit_text_edited(self, text: str) -> None:
        try:
            shape = parse_shape(text)
        except ValueError as exc:
            self.toolbar.show_input_error(str(exc))
            self._input_pending = (f"{exc} — not applied; the input stays "
                                   f"{self._input_text()}", True)
        else:
            self.toolbar.show_input_error(None)
            self._input_pending = None if shape == self.spec.input_shape else (
                f"Input {text.strip()} not applied yet: press Enter (the network still takes "
                f"{self._input_text()})", False)
        self._update_totals()

    def _on_properties_pending_changed(self, _message: str) -> None:
        self._update_totals()

    def _on_preset_combo_activated(self, index: int) -> None:
        combo = self.toolbar.preset_combo
        if index > 0:
            self.load_preset(combo.itemText(index))
        with QSignalBlocker(combo):
            combo.setCurrentIndex(0)

    def _on_expand_button_toggled(self, on: bool) -> None:
        if on:
            self.table.expandAll()
        else:
            self.table.collapseAll()



def edited(spec: NetworkSpec) -> NetworkSpec:
    """``spec`` renamed "NAME (edited)" when it is a changed copy of preset NAME, so the
    header, the saved file and the Train tab stop quoting the preset's figures; edited
    back to the preset, it is the preset again."""
    base = spec.name.removesuffix(EDITED)
    if base not in list_presets():
        return spec
    original = preset(base)
    if (spec.layers, spec.input_shape, spec.init) == (original.layers, original.input_shape,
                                                      original.init):
        return replace(spec, name=base, description=original.description)
    if spec.name == base:
        return replace(spec, name=base + EDITED, description=f"edited from the preset {base}")
    return spec


def header_html(spec: NetworkSpec, summary: Summary) -> str:
    """Name, description, init, entries and the parameters of this network (not the
    preset's)."""
    params = "" if summary.error else f" · {summary.total_params:,} params"
    return (f"<b>{spec.name}</b> <span style='color:#555'>{spec.description}</span> "
            f"<span style='color:#888'>· init {spec.init} · "
            f"{plural(len(spec.layers), 'entry', 'entries')}"
            f"{params}</span>")
