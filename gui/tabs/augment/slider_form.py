"""SliderForm: the slider variant of ``widgets.param_form.ParamForm``.

The same schema objects (``name``, ``kind``, ``default``, ``min``, ``max``, ``choices``,
``help``, plus ``step``) and the same ``param_edited(name, value)`` signal, but numbers
are sliders (superqt, through ``widgets.sliders``) and ``"float-range"`` fields are range
sliders, so a preview follows the hand. Bools, choices and int-tuples (sizes) keep the
editors a form needs: a check box, a combo box, a line edit read with ParamForm's parser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from widgets.param_form import form_layout_around, format_int_tuple, parse_int_tuple
from widgets.sliders import LabeledRangeSlider, LabeledSlider


def _decimals(f: Any) -> int:
    if f.kind == "int":
        return 0
    span = (f.max if f.max is not None else 1.0) - (f.min if f.min is not None else 0.0)
    return 3 if span <= 1.0 else 2


class SliderForm(QWidget):
    """Sliders for one step's params; rebuild with ``set_fields``."""

    param_edited = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fields: dict[str, Any] = {}
        self.editors: dict[str, QWidget] = {}
        self._rows = QVBoxLayout()
        self._rows.setSpacing(4)
        self.empty_label, self.error_label = form_layout_around(
            self, self._rows, "This step has no parameters.")

    def set_fields(self, fields: Sequence[Any], values: Mapping[str, Any]) -> None:
        while self._rows.count():
            item = self._rows.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self._fields = {f.name: f for f in fields}
        self.editors = {}
        for f in fields:
            editor = self._make_editor(f)
            self.editors[f.name] = editor
            self._rows.addWidget(editor)
        self.empty_label.setVisible(not fields)
        self.set_values(values)
        self.show_error("")

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show ``values`` without emitting ``param_edited``."""
        for name, editor in self.editors.items():
            if name in values and not self._shows(name, values[name]):
                with QSignalBlocker(editor), QSignalBlocker(_inner(editor)):
                    _set(editor, values[name])

    def value(self, name: str) -> Any:
        return self._read(name)

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    # ---------------------------------------------------------------- build
    def _make_editor(self, f: Any) -> QWidget:
        tip = f.help
        if f.kind in ("int", "float"):
            editor: QWidget = LabeledSlider(f.name, minimum=float(f.min), maximum=float(f.max),
                                            value=float(f.default), decimals=_decimals(f),
                                            step=getattr(f, "step", None) or (
                                                1.0 if f.kind == "int" else None),
                                            tooltip=tip)
            editor.value_changed.connect(lambda _v, n=f.name: self._emit(n))
        elif f.kind == "float-range":
            editor = LabeledRangeSlider(f.name, minimum=float(f.min), maximum=float(f.max),
                                        value=tuple(f.default), decimals=_decimals(f),
                                        tooltip=tip)
            editor.range_changed.connect(lambda _a, _b, n=f.name: self._emit(n))
        elif f.kind == "bool":
            editor = QCheckBox(f.name)
            editor.setToolTip(tip)
            editor.toggled.connect(lambda _v, n=f.name: self._emit(n))
        elif f.kind == "choice":
            editor = _Titled(f.name, QComboBox(), tip)
            editor.inner.addItems([str(c) for c in f.choices])
            editor.inner.currentIndexChanged.connect(lambda _i, n=f.name: self._emit(n))
        else:  # int-tuple: sizes like "200, 200"
            editor = _Titled(f.name, QLineEdit(), tip + " — one int, or ints separated by "
                                                       "commas (height, width)")
            editor.inner.editingFinished.connect(lambda n=f.name: self._emit(n))
        editor.setObjectName(f"param_{f.name}")
        return editor

    def _read(self, name: str) -> Any:
        f, editor = self._fields[name], self.editors[name]
        if f.kind == "int":
            step = getattr(f, "step", None) or 1
            lo = int(f.min)
            return lo + int(round((editor.value() - lo) / step)) * int(step)
        if f.kind == "float":
            return round(editor.value(), 6)
        if f.kind == "float-range":
            low, high = editor.value()
            return (round(low, 6), round(high, 6))
        if f.kind == "bool":
            return editor.isChecked()
        if f.kind == "choice":
            text = editor.inner.currentText()
            return next((c for c in f.choices if str(c) == text), text)
        return parse_int_tuple(editor.inner.text(), name)

    def _shows(self, name: str, value: Any) -> bool:
        try:
            return self._read(name) == value
        except ValueError:
            return False

    def _emit(self, name: str) -> None:
        try:
            value = self._read(name)
        except ValueError as exc:
            self.show_error(str(exc))
            return
        self.show_error("")
        editor = self.editors[name]
        if self._fields[name].kind == "int" and editor.value() != value:
            with QSignalBlocker(editor), QSignalBlocker(editor.slider):
                editor.setValue(float(value))  # show the snapped value (odd kernel sizes)
        self.param_edited.emit(name, value)


class _Titled(QWidget):
    """``title  [editor]`` in one row, like the sliders."""

    def __init__(self, title: str, inner: QWidget, tip: str) -> None:
        super().__init__()
        from PySide6.QtWidgets import QHBoxLayout

        self.inner = inner
        label = QLabel(title)
        label.setMinimumWidth(90)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(label)
        row.addWidget(inner, 1)
        self.setToolTip(tip)


def _inner(editor: QWidget) -> QWidget:
    return getattr(editor, "inner", None) or getattr(editor, "slider", None) or editor


def _set(editor: QWidget, value: Any) -> None:
    if isinstance(editor, (LabeledSlider, LabeledRangeSlider)):
        editor.setValue(tuple(value) if isinstance(value, (list, tuple)) else float(value))
    elif isinstance(editor, QCheckBox):
        editor.setChecked(bool(value))
    elif isinstance(editor.inner, QComboBox):
        editor.inner.setCurrentIndex(max(0, editor.inner.findText(str(value))))
    else:
        editor.inner.setText(format_int_tuple(value))
