"""ParamForm: a field never keeps a value other than the one in use."""

from __future__ import annotations

from types import SimpleNamespace

from PySide6.QtCore import Qt

from widgets.param_form import ParamForm


def field(name, kind, default, **kw):
    base = dict(min=None, max=None, choices=(), help="", auto=False, length=2)
    return SimpleNamespace(name=name, kind=kind, default=default, **{**base, **kw})


def make_form(qtbot, fields, values):
    form = ParamForm()
    qtbot.addWidget(form)
    form.set_fields(fields, values)
    in_use = dict(values)
    emitted, pending = [], []

    def accept(name, value):  # the owner: takes every value the form sends
        emitted.append(value)
        in_use[name] = value
        form.set_values(in_use)

    form.param_edited.connect(accept)
    form.pending_changed.connect(pending.append)
    form.show()
    return form, in_use, emitted, pending


def test_typing_1e9_over_5_passes_through_1_and_comes_back_to_5(qtbot):
    form, in_use, emitted, pending = make_form(
        qtbot, [field("kernel_size", "int-tuple", 3, min=1)], {"kernel_size": 5})
    editor = form.editors["kernel_size"]
    editor.selectAll()
    qtbot.keyClicks(editor, "1e9")
    assert emitted == [1, 5] and in_use["kernel_size"] == 5  # "1" undone at "1e"
    assert editor.text() == "1e9" and "kernel_size stays 5" in pending[-1]
    assert form.error_label.isVisible()
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert editor.text() == "5" and pending[-1] == "" and form.pending_message() == ""
    assert "'1e9' was not applied; back to 5" in form.error_label.text()


def test_an_owner_refusal_is_pending_too(qtbot):
    form, in_use, emitted, pending = make_form(
        qtbot, [field("c2", "int-tuple", (1, 2), min=1)], {"c2": (1, 2)})
    form.param_edited.disconnect()
    form.param_edited.connect(lambda name, value: form.reject(name, f"{name} needs two"))
    editor = form.editors["c2"]
    editor.selectAll()
    qtbot.keyClicks(editor, "7")
    assert "c2 needs two — not applied, c2 stays 1, 2" in form.pending_message()
    assert form.revert_pending() == ["c2: '7' was not applied; back to 1, 2"]
    assert editor.text() == "1, 2" and form.pending_message() == ""


def test_an_empty_spin_box_is_pending_until_enter(qtbot):
    form, in_use, emitted, pending = make_form(
        qtbot, [field("out_channels", "int", 64, min=1, max=1000)], {"out_channels": 6})
    spin = form.editors["out_channels"]
    spin.lineEdit().selectAll()
    qtbot.keyClick(spin, Qt.Key.Key_Backspace)
    assert spin.text() == "" and "from 1 to 1000" in pending[-1]
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.text() == "6" and pending[-1] == "" and in_use["out_channels"] == 6
