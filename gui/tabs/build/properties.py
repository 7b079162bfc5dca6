"""PropertiesPanel: edit the selected entry's parameters (a ParamForm from the catalog)."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget

from engine.builder import AUTO, LayerSpec, Row, layer_type
from gui.tabs.build.format import bytes_text, shape_text
from widgets.param_form import ParamForm

EMPTY_TEXT = "Select a row in the network to edit its parameters."


class PropertiesPanel(QWidget):
    """Header, parameter editors, a "frozen" switch and the row's numbers.

    ``param_edited(name, value)`` and ``frozen_toggled(bool)`` carry the user's edits;
    the tab validates them against the spec and calls ``show_error`` when they fail.
    """

    param_edited = Signal(str, object)
    frozen_toggled = Signal(bool)
    pending_changed = Signal(str)  # a field holds text not in use ("" when none)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._showing: tuple[int, str] | None = None
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.form = ParamForm()
        self.frozen = QCheckBox("Frozen (no gradient)")
        self.frozen.setToolTip("Create this layer's parameters with requires_grad=False; "
                               "they count as frozen in the totals")
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.TextFormat.RichText)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: #777; padding: 16px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        for w in (self.empty, self.title, self.form, self.frozen, self.info):
            layout.addWidget(w)
        layout.addStretch(1)
        self.form.param_edited.connect(self.param_edited)
        self.form.pending_changed.connect(self.pending_changed)
        self.frozen.toggled.connect(self.frozen_toggled)
        self.show_entry(None, None, None)

    def show_entry(self, index: int | None, entry: LayerSpec | None, row: Row | None) -> None:
        """Show ``entry`` (rebuilding the editors only when the entry/type changed)."""
        has = entry is not None and index is not None
        for w in (self.title, self.form, self.frozen, self.info):
            w.setVisible(has)
        self.empty.setVisible(not has)
        if not has:
            self._showing = None
            return
        lt = layer_type(entry.type)
        key = (index, entry.type)
        if key != self._showing:
            self.form.set_fields(lt.params, entry.params)
            self._showing = key
        else:
            self.form.set_values(entry.params)
        name = entry.name or f"{entry.type}-{index}"
        kind = "block" if lt.is_block else "layer"
        self.title.setText(f"<b>{name}</b> <span style='color:#666'>({kind} {index})</span>"
                           f"<br><span style='color:#444'>{lt.description}</span>")
        with QSignalBlocker(self.frozen):
            self.frozen.setChecked(entry.frozen)
        self.frozen.setEnabled(entry.shared_with is None)
        inferred = [k for k, v in entry.params.items() if v == AUTO]
        self.info.setText(_row_html(row, inferred))

    def reject(self, name: str, text: str) -> None:
        """The tab refused ``name``'s value: the field shows why until it is reverted."""
        self.form.reject(name, text)


def _row_html(row: Row | None, inferred: list[str]) -> str:
    if row is None:
        return ""
    if row.error:
        return f"<span style='color:#b00020'><b>Shape error:</b> {row.error}</span>"
    if row.output_shape is None:
        return "<span style='color:#777'>Not computed: an earlier row has an error.</span>"
    lines = [f"<b>in</b> {shape_text(row.input_shape)} → <b>out</b> "
             f"{shape_text(row.output_shape)}",
             f"params {row.params:,} · MACs {row.macs:,} · output "
             f"{bytes_text(row.activation_bytes)}"]
    if row.shared_with:
        lines.append(f"shares its parameters with <i>{row.shared_with}</i>")
    if inferred:
        args = ", ".join(f"{k}={row.arguments[k]!r}" for k in inferred
                         if row.arguments and k in row.arguments)
        if args:
            lines.append(f"<span style='color:#666'>auto → {args}</span>")
    return "<br>".join(lines)
