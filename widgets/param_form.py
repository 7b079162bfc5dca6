"""ParamForm: a property editor generated from a parameter schema.

Fields are plain objects with the attributes ``name``, ``kind`` (``"int"``, ``"float"``,
``"bool"``, ``"choice"``, ``"int-tuple"``), ``default``, ``min``, ``max``, ``choices``,
``help``, ``auto`` (the value ``"auto"`` is allowed) and ``length`` (for int-tuples) —
the engine's ``ParamSpec`` fits, but this module never imports the engine.

Editors: spin boxes for numbers (``auto`` shown as the special value below the minimum),
a check box for bools, a combo box for choices and a line edit for int-tuples (``5``,
``3, 3`` or ``auto``). ``param_edited(name, value)`` fires on every change with a parsed
value, so the network follows the keystrokes.

A field never keeps a text that differs from the value in use: a text that cannot be
parsed (``3.5``), or that the owner refuses (``reject``), is *pending* — a red note says
why and ``pending_changed(message)`` tells the owner, which must not claim the network is
fine meanwhile; the value goes back to the one in use before the edit began (re-emitted
when keystrokes on the way had changed it: typing ``1e9`` over ``5`` passes through
``1``). Enter, leaving the field (``editingFinished``) or ``revert_pending`` show that
value again and say so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

AUTO = "auto"
INT_LIMIT = 1_000_000
ERROR_STYLE = "color: #b00020;"


def form_layout_around(form: QWidget, rows: Any, empty_text: str) -> tuple[QLabel, QLabel]:
    """Lay out a parameter form: its ``rows`` layout, then an empty-state note and a hidden
    error line under them; returns ``(empty_label, error_label)``."""
    empty_label = QLabel(empty_text)
    empty_label.setStyleSheet("color: #666;")
    error_label = QLabel()
    error_label.setWordWrap(True)
    error_label.setStyleSheet(ERROR_STYLE)
    error_label.hide()
    layout = QVBoxLayout(form)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addLayout(rows)
    layout.addWidget(empty_label)
    layout.addWidget(error_label)
    return empty_label, error_label
PENDING_HINT = "Enter or leaving the field shows it again"


class ParamForm(QWidget):
    """Editors for one set of parameters; rebuild with ``set_fields``."""

    param_edited = Signal(str, object)
    pending_changed = Signal(str)  # why a field's text is not in use; "" when none is

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fields: dict[str, Any] = {}
        self.editors: dict[str, QWidget] = {}
        self._values: dict[str, Any] = {}  # the values in use (last set_values)
        self._before_edit: dict[str, Any] = {}  # value in use when typing in a field began
        self._pending: dict[str, str] = {}  # field -> why its text is not in use
        self._form = QFormLayout()
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.empty_label, self.error_label = form_layout_around(
            self, self._form, "This layer has no parameters.")

    # ---------------------------------------------------------------- public
    def set_fields(self, fields: Sequence[Any], values: Mapping[str, Any]) -> None:
        """Replace the editors by one per field, showing ``values``."""
        while self._form.rowCount():
            self._form.removeRow(0)
        self._fields = {f.name: f for f in fields}
        self.editors = {}
        self._values, self._before_edit = {}, {}
        had_pending, self._pending = bool(self._pending), {}
        for f in fields:
            editor = self._make_editor(f)
            self.editors[f.name] = editor
            label = QLabel(f.name)
            label.setToolTip(f.help)
            self._form.addRow(label, editor)
        self.empty_label.setVisible(not fields)
        self.set_values(values, force=True)
        self.show_error("")
        if had_pending:
            self.pending_changed.emit("")

    def set_values(self, values: Mapping[str, Any], *, force: bool = False) -> None:
        """Show ``values`` without emitting ``param_edited``; editors already showing an
        equal value are left alone (unless ``force``) so a half-typed entry keeps its
        cursor."""
        for name, editor in self.editors.items():
            if name not in values:
                continue
            self._values[name] = values[name]
            if name in self._pending or (not force and self._shows(name, values[name])):
                continue  # a pending text stays until Enter / focus-out reverts it
            with QSignalBlocker(editor):
                _set_editor(editor, self._fields[name], values[name])

    def _shows(self, name: str, value: Any) -> bool:
        try:
            return self.value(name) == value
        except ValueError:
            return False

    def value(self, name: str) -> Any:
        """The parsed value of editor ``name``; raises ValueError for unparsable text."""
        return _read_editor(self.editors[name], self._fields[name])

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setVisible(bool(text))

    def pending_message(self) -> str:
        """Why a field's text is not the value in use (the first such field), or ""."""
        return next(iter(self._pending.values()), "")

    def reject(self, name: str, message: str) -> None:
        """The text of ``name`` cannot be used (unparsable, or refused by the owner): it is
        pending until reverted, and the network goes back to the value it had before the
        edit (keystrokes on the way, the "1" of "1e9", are undone at once)."""
        before = self._before_edit.get(name, self._values.get(name))
        self._pending[name] = f"{message} — not applied, {name} stays {value_text(before)}"
        self.show_error(f"{self._pending[name]} ({PENDING_HINT})")
        if before is not None and before != self._values.get(name):
            self.param_edited.emit(name, before)
        self.pending_changed.emit(self.pending_message())

    def revert_pending(self) -> list[str]:
        """Put the value in use back into every pending field; return what was said."""
        return [note for name in list(self._pending) if (note := self._revert(name))]

    def _revert(self, name: str) -> str:
        """Field ``name`` back to the value in use before its edit began (re-emitted when
        the keystrokes on the way changed the network)."""
        before = self._before_edit.pop(name, self._values.get(name))
        if name not in self._pending:
            return ""
        text = _editor_text(self.editors[name])
        del self._pending[name]
        with QSignalBlocker(self.editors[name]):
            _set_editor(self.editors[name], self._fields[name], before)
        if before != self._values.get(name):
            self.param_edited.emit(name, before)
        note = f"{name}: {text!r} was not applied; back to {value_text(before)}"
        self.show_error("")
        self.pending_changed.emit(self.pending_message())
        return note

    # ---------------------------------------------------------------- build
    def _make_editor(self, f: Any) -> QWidget:
        tip = f.help + (" — lowest value = 'auto'" if f.auto and f.kind == "int" else "")
        if f.kind == "bool":
            editor: QWidget = QCheckBox()
            editor.toggled.connect(lambda _v, n=f.name: self._emit(n))
        elif f.kind == "choice":
            editor = QComboBox()
            editor.addItems([str(c) for c in f.choices])
            editor.currentIndexChanged.connect(lambda _i, n=f.name: self._emit(n))
        elif f.kind in ("int", "float"):
            editor = _number_editor(f)
            editor.valueChanged.connect(lambda _v, n=f.name: self._emit(n))
            # Text the spin box cannot take yet ("", "-", below the minimum) is pending.
            editor.lineEdit().textEdited.connect(lambda _t, n=f.name: self._check_spin(n))
            editor.editingFinished.connect(lambda n=f.name: self._on_editing_finished(n))
            lo, hi = editor.minimum() + (1 if f.auto else 0), editor.maximum()
            tip += f" — {lo:g} to {hi:g}"
        else:  # int-tuple
            editor = QLineEdit()
            n = f.length if f.length else "any number of"
            example = "3, 3" if f.length in (2, None) else ", ".join(["3"] * f.length)
            editor.setPlaceholderText(f"e.g. {example}" + (" or auto" if f.auto else ""))
            tip += f" — one int, or {n} ints separated by commas"
            editor.textEdited.connect(lambda _t, n=f.name: self._emit(n))
            editor.editingFinished.connect(lambda n=f.name: self._on_editing_finished(n))
        editor.setToolTip(tip)
        editor.setObjectName(f"param_{f.name}")
        return editor

    def _emit(self, name: str) -> None:
        if isinstance(self.editors[name], QLineEdit):  # typed text (spin boxes: _check_spin)
            self._before_edit.setdefault(name, self._values.get(name))
        try:
            value = self.value(name)
        except ValueError as exc:
            self.reject(name, str(exc))
            return
        was_pending = self._pending.pop(name, None) is not None
        self.show_error("")
        if was_pending:
            self.pending_changed.emit(self.pending_message())
        self.param_edited.emit(name, value)  # the owner may reject() it

    def _check_spin(self, name: str) -> None:
        editor = self.editors[name]
        self._before_edit.setdefault(name, self._values.get(name))
        if isinstance(editor, (QSpinBox, QDoubleSpinBox)) and not editor.hasAcceptableInput():
            lo = editor.minimum() + (1 if self._fields[name].auto else 0)
            self.reject(name, f"{name}: {editor.text()!r} is not a number from {lo:g} to "
                              f"{editor.maximum():g}")
        elif name in self._pending:
            self._emit(name)

    def _on_editing_finished(self, name: str) -> None:
        note = self._revert(name) if name in self._pending else ""
        self._before_edit.pop(name, None)
        if note:
            self.show_note(note)

    def show_note(self, text: str) -> None:
        """A grey line under the editors (e.g. what a revert restored)."""
        self.error_label.setText(text)
        self.error_label.setStyleSheet("color: #666;")
        self.error_label.setVisible(bool(text))


def _number_editor(f: Any) -> QSpinBox | QDoubleSpinBox:
    if f.kind == "int":
        editor: QSpinBox | QDoubleSpinBox = QSpinBox()
        lo = -INT_LIMIT if f.min is None else int(f.min)
        if f.auto:
            lo -= 1
            editor.setSpecialValueText(AUTO)
        editor.setRange(lo, INT_LIMIT if f.max is None else int(f.max))
        editor.setAccelerated(True)
    else:
        editor = QDoubleSpinBox()
        small = isinstance(f.default, float) and 0 < f.default < 1e-3
        editor.setDecimals(8 if small else 4)
        editor.setSingleStep(f.default if small else 0.05)
        editor.setRange(-1e9 if f.min is None else f.min, 1e9 if f.max is None else f.max)
    # Leaving with text it cannot take restores the value in use (Qt's default too).
    editor.setCorrectionMode(QSpinBox.CorrectionMode.CorrectToPreviousValue)
    return editor


def _editor_text(editor: QWidget) -> str:
    if isinstance(editor, (QSpinBox, QDoubleSpinBox)):
        return editor.text()
    return editor.text() if isinstance(editor, QLineEdit) else ""


def _set_editor(editor: QWidget, f: Any, value: Any) -> None:
    if isinstance(editor, QCheckBox):
        editor.setChecked(bool(value))
    elif isinstance(editor, QComboBox):
        editor.setCurrentIndex(max(0, editor.findText(str(value))))
    elif isinstance(editor, QSpinBox):
        editor.setValue(editor.minimum() if value == AUTO else int(value))
    elif isinstance(editor, QDoubleSpinBox):
        editor.setValue(float(value))
    elif isinstance(editor, QLineEdit):
        editor.setText(format_int_tuple(value))


def _read_editor(editor: QWidget, f: Any) -> Any:
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, QComboBox):
        text = editor.currentText()
        return next((c for c in f.choices if str(c) == text), text)
    if isinstance(editor, QSpinBox):
        if f.auto and editor.value() == editor.minimum():
            return AUTO
        return editor.value()
    if isinstance(editor, QDoubleSpinBox):
        return editor.value()
    return parse_int_tuple(editor.text(), f.name, auto=f.auto)


def value_text(value: Any) -> str:
    """A value as its editor shows it: ``5``, ``3, 3``, ``auto``, ``0.2``."""
    return format_int_tuple(value)


def format_int_tuple(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return ", ".join(str(v) for v in value)
    return str(value)


def parse_int_tuple(text: str, name: str = "value", *, auto: bool = False) -> Any:
    """``"5"`` -> 5, ``"3, 3"`` / ``"3x3"`` -> (3, 3), ``"auto"`` -> "auto" when allowed."""
    text = text.strip()
    if auto and text.lower() in (AUTO, ""):
        return AUTO
    parts = [p for p in text.replace("×", ",").replace("x", ",").replace(" ", ",").split(",")
             if p]
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        numbers = []
    if not numbers:
        hint = " or 'auto'" if auto else ""
        raise ValueError(f"{name}: {text!r} is not an integer or a list like '3, 3'{hint}")
    return numbers[0] if len(numbers) == 1 else tuple(numbers)
