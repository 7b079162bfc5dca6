"""Build tab: edits, undo/redo, shapes and counts vs the engine, files, drag & drop."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from engine.builder import NetworkSpec, layer, preset, summarize
from engine.builder.spec import parse_shape
from gui.tabs.build.format import count_text, shape_text
from gui.tabs.build.history import SpecHistory
from gui.tabs.build.network_table import COL_MACS, COL_PARAMS, COL_SHAPE, ERROR_BG
from gui.tabs.build.toolbar import EMPTY_ITEM
from gui.tabs.build_tab import SETTINGS_KEY, BuildTab

LENET_SHAPES = ["1×6×28×28", "1×6×28×28", "1×6×14×14", "1×16×10×10", "1×16×10×10",
                "1×16×5×5", "1×400", "1×120", "1×120", "1×84", "1×84", "1×10"]


@pytest.fixture
def tab(qtbot, context):
    t = BuildTab(context)
    qtbot.addWidget(t)
    t.resize(1280, 760)
    t.show()
    qtbot.waitExposed(t)
    return t


def column(tab: BuildTab, col: int) -> list[str]:
    return [tab.table.topLevelItem(i).text(col) for i in range(tab.table.topLevelItemCount())]


def assert_table_matches_engine(tab: BuildTab) -> None:
    s = summarize(tab.spec)
    rows = [r for r in s.layers]
    assert tab.table.topLevelItemCount() == len(rows)
    for i, r in enumerate(rows):
        item = tab.table.topLevelItem(i)
        if r.error is None:
            assert item.text(COL_SHAPE) == shape_text(r.output_shape)
        assert item.text(COL_PARAMS).startswith(count_text(r.params))
        assert item.text(COL_MACS) == count_text(r.macs)
        assert item.childCount() == len(s.children(r.index))
    assert f"{s.total_params:,}" in tab.footer.totals.text()
    assert f"{s.total_macs:,}" in tab.footer.totals.text()


def type_into(qtbot, editor, text: str) -> None:
    editor.selectAll()
    qtbot.keyClicks(editor, text)


# --------------------------------------------------------------------- basics
def test_first_start_shows_lenet_with_the_books_shapes(tab):
    assert tab.spec == preset("lenet")
    assert column(tab, COL_SHAPE) == LENET_SHAPES
    assert "61,706" in tab.footer.totals.text()
    assert "multiply-accumulates" in tab.footer.totals.text()
    assert_table_matches_engine(tab)
    assert tab.table.current_index() == 0
    assert tab.properties.form.editors["out_channels"].value() == 6


def test_rebuild_lenet_by_hand_from_an_empty_network(tab, qtbot):
    tab.load_preset(EMPTY_ITEM)
    assert tab.spec.layers == ()
    assert "Empty network" in tab.footer.status.text()
    assert not tab.send_to_train()

    def add(type_name: str, **edits: object) -> None:
        tab.add_layer(type_name)
        form = tab.properties.form
        for name, value in edits.items():
            editor = form.editors[name]
            if isinstance(value, int) and hasattr(editor, "setValue"):
                editor.setValue(value)
            else:
                type_into(qtbot, editor, str(value))
        assert not form.error_label.isVisible()

    for _ in range(2):  # two conv stages: conv, sigmoid, avg-pool
        out, pad = (6, 2) if not tab.spec.layers else (16, 0)
        add("Conv2d", out_channels=out, kernel_size=5, padding=pad)
        add("Sigmoid")
        add("AvgPool2d", stride=2)
    add("Flatten")
    for width in (120, 84):
        add("Linear", out_features=width)
        add("Sigmoid")
    add("Linear", out_features=10)

    assert column(tab, COL_SHAPE) == LENET_SHAPES
    assert tab.summary.total_params == 61_706
    assert "61,706" in tab.footer.totals.text()
    assert tab.spec.layers == preset("lenet").layers
    assert_table_matches_engine(tab)


def test_edit_updates_row_live_and_one_gesture_is_one_undo_step(tab, qtbot):
    spin = tab.properties.form.editors["out_channels"]
    for value in (7, 8, 9):
        spin.setValue(value)
        assert tab.spec.layers[0].params["out_channels"] == value
        assert tab.table.topLevelItem(0).text(COL_SHAPE) == f"1×{value}×28×28"
        assert_table_matches_engine(tab)
    tab.undo()  # the three spin steps merge into one edit
    assert tab.spec == preset("lenet")
    assert_table_matches_engine(tab)
    tab.redo()
    assert tab.spec.layers[0].params["out_channels"] == 9
    assert tab.table.topLevelItem(0).text(COL_PARAMS) == f"{9 * 25 + 9:,}"


def test_undo_redo_shortcuts_and_buttons(tab, qtbot):
    tab.activateWindow()
    qtbot.waitActive(tab)
    tab.table.setFocus()
    tab.table.select_index(1)
    tab.row_buttons.remove_button.click()
    assert len(tab.spec.layers) == 11
    qtbot.keyClick(tab.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert tab.spec == preset("lenet")
    assert not tab.toolbar.undo_button.isEnabled() and tab.toolbar.redo_button.isEnabled()
    qtbot.keyClick(tab.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert len(tab.spec.layers) == 11
    assert_table_matches_engine(tab)


def test_reorder_duplicate_remove(tab, qtbot):
    lenet = preset("lenet")
    tab.table.select_index(1)
    tab.row_buttons.down_button.click()  # Sigmoid after the pool
    assert [e.type for e in tab.spec.layers[:3]] == ["Conv2d", "AvgPool2d", "Sigmoid"]
    assert tab.table.current_index() == 2
    assert_table_matches_engine(tab)
    tab.row_buttons.up_button.click()
    assert tab.spec == lenet
    tab.activateWindow()
    qtbot.waitActive(tab)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert tab.spec.layers[2].type == "Sigmoid"
    qtbot.keyClick(tab.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert [e.type for e in tab.spec.layers[2:4]] == ["Sigmoid", "Sigmoid"]
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    assert len(tab.spec.layers) == 12
    assert_table_matches_engine(tab)


def test_palette_double_click_and_add_button_insert_after_selection(tab, qtbot):
    tab.table.select_index(6)  # Flatten
    item = tab.palette.tree.type_item("Dropout")
    tab.palette.tree.setCurrentItem(item)
    tab.palette.add_button.click()
    assert tab.spec.layers[7].type == "Dropout"
    assert tab.table.current_index() == 7
    tree = tab.palette.tree
    rect = tree.visualItemRect(tree.type_item("ReLU"))
    # QTest turns a second press within the double-click interval into a double click.
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert tab.spec.layers[8].type == "ReLU"
    assert len(tab.spec.layers) == 14
    tree.setFocus()
    qtbot.keyClick(tree, Qt.Key.Key_Return)  # Enter adds the selected type too
    assert tab.spec.layers[9].type == "ReLU"
    assert "Dropout" in tab.palette.tree.type_item("Dropout").toolTip(0)
    assert "probability" in tab.palette.tree.type_item("Dropout").toolTip(0)


# --------------------------------------------------------------------- errors
def test_kernel_larger_than_the_map_highlights_the_row_with_the_reason(tab):
    tab.table.select_index(5)  # 16x5x5 after the second pool
    tab.add_layer("Conv2d")
    tab.properties.form.editors["kernel_size"].setText("7")
    tab.edit_param("kernel_size", 7)
    item = tab.table.topLevelItem(6)
    assert item.background(COL_SHAPE).color() == ERROR_BG
    assert "kernel 7" in item.toolTip(0) and "(1, 16, 5, 5)" in item.toolTip(0)
    assert "kernel 7" in tab.footer.status.text()
    assert "kernel 7" in tab.properties.info.text()
    assert tab.table.topLevelItem(7).text(COL_SHAPE) == "—"
    assert not tab.send_to_train()
    assert not tab.export_code_to(Path("/nonexistent/never.py"))
    tab.undo()
    tab.undo()
    assert tab.summary.error is None
    assert tab.table.topLevelItem(6).background(COL_SHAPE).color() != ERROR_BG


def test_input_shape_field_validates_and_reports_wrong_shapes(tab, qtbot):
    edit = tab.toolbar.input_edit
    edit.setFocus()
    type_into(qtbot, edit, "1,784")
    assert tab.spec.input_shape == (1, 1, 28, 28)  # applied on Enter only
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert tab.spec.input_shape == (1, 784)
    assert tab.table.topLevelItem(0).background(0).color() == ERROR_BG
    assert "expects input (N, C, H, W)" in tab.footer.status.text()
    type_into(qtbot, edit, "1,1,a")
    assert "border" in edit.styleSheet() and "integers" in tab.footer.status.text()
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert tab.spec.input_shape == (1, 784)  # unchanged
    type_into(qtbot, edit, "1,1,32,32")
    assert edit.styleSheet() == ""
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert tab.summary.error is None
    assert tab.table.topLevelItem(0).text(COL_SHAPE) == "1×6×32×32"
    tab.undo()
    tab.undo()
    assert tab.spec.input_shape == (1, 1, 28, 28)


def test_parse_shape():
    assert parse_shape("(1, 3, 96, 96)") == (1, 3, 96, 96)
    assert parse_shape("1×784") == (1, 784)
    for bad in ("", "1", "1,0,2", "a,b"):
        with pytest.raises(ValueError):
            parse_shape(bad)


def test_invalid_param_shows_a_message_and_keeps_the_spec(tab, qtbot):
    tab.load_preset("googlenet")
    index = next(i for i, e in enumerate(tab.spec.layers) if e.type == "Inception")
    tab.table.select_index(index)
    before = tab.spec
    form = tab.properties.form
    type_into(qtbot, form.editors["c2"], "5")  # c2 needs two channel counts
    assert tab.spec == before
    assert form.error_label.isVisible() and "c2" in form.error_label.text()
    type_into(qtbot, form.editors["c2"], "abc")
    assert tab.spec == before and "not an integer" in form.error_label.text()
    type_into(qtbot, form.editors["c2"], "96, 64")
    assert tab.spec.layers[index].params["c2"] == (96, 64)
    assert not form.error_label.isVisible()
    assert_table_matches_engine(tab)


# ---------------------------------------------------------------- presets/files
def test_preset_switch_is_undoable_and_blocks_expand(tab):
    combo = tab.toolbar.preset_combo
    combo.activated.emit(combo.findText("resnet-18"))
    assert tab.spec == preset("resnet-18")
    assert combo.currentIndex() == 0
    assert_table_matches_engine(tab)
    residual = next(i for i, e in enumerate(tab.spec.layers) if e.type == "Residual")
    item = tab.table.topLevelItem(residual)
    assert [item.child(j).text(1) for j in range(item.childCount())] == [
        "conv1", "bn1", "conv2", "bn2"]
    tab.row_buttons.expand_button.setChecked(True)
    assert item.isExpanded()
    tab.undo()
    assert tab.spec == preset("lenet")


def test_corrupt_json_shows_an_error_and_keeps_the_network(tab, qtbot, tmp_path, context):
    messages: list[tuple[str, str]] = []
    context.message_posted.connect(lambda level, text: messages.append((level, text)))
    before = tab.spec
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "dl-playground.network", "layers": [', encoding="utf-8")
    assert not tab.load_network(bad)
    assert tab.spec == before
    assert messages and messages[-1][0] == "error" and "not valid JSON" in messages[-1][1]
    assert "current network is kept" in tab.footer.status.text()
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"input_shape": [1, 4], "layers": [{"type": "Conv3d"}]}')
    assert not tab.load_network(wrong)
    assert "unknown layer type 'Conv3d'" in messages[-1][1]
    assert not tab.load_network(tmp_path / "missing.json")
    assert tab.spec == before


def test_save_load_round_trip_is_atomic(tab, tmp_path):
    tab.load_preset("resnet-18")
    tab.table.select_index(4)
    tab.set_frozen(True)
    saved = tab.spec
    folder = tmp_path / "nets"
    folder.mkdir()
    path = folder / "net.json"
    assert tab.save_network(path)
    assert tab.save_network(path)  # over an existing file
    assert sorted(p.name for p in folder.iterdir()) == ["net.json"]  # no temp left
    tab.load_preset("mlp")
    assert tab.load_network(path)
    assert tab.spec == saved
    assert "frozen 74,112" in tab.footer.totals.text()
    assert NetworkSpec.from_json(path.read_text()) == saved


def test_exported_code_runs_and_prints_the_same_param_count(tab, tmp_path):
    path = tmp_path / "lenet_export.py"
    assert tab.export_code_to(path)
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "parameters: 61706" in out.stdout
    assert "output shape: (1, 10)" in out.stdout
    assert tab.copy_code()
    assert "def build_net" in QApplication.clipboard().text()


def test_send_to_train_emits_the_spec(tab, qtbot, context):
    with qtbot.waitSignal(context.network_sent, timeout=1000) as blocker:
        tab.toolbar.send_button.click()
    assert blocker.args[0] == tab.spec == preset("lenet")
    assert context.current_network == tab.spec


def test_last_network_survives_a_restart(qtbot, context, tab):
    tab.load_preset("nin")
    tab.table.select_index(0)
    tab.edit_param("out_channels", 48)
    again = BuildTab(context)
    qtbot.addWidget(again)
    assert again.spec == tab.spec
    context.settings.setValue(SETTINGS_KEY, "{broken")
    third = BuildTab(context)
    qtbot.addWidget(third)
    assert third.spec == preset("lenet")


# --------------------------------------------------------------- drag & drop
def _drop(widget, mime: QMimeData, pos: QPoint) -> None:
    vp = widget.viewport()
    action = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos, action, mime, buttons, mods)
    QApplication.sendEvent(vp, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(pos, action, mime, buttons, mods)
    QApplication.sendEvent(vp, move)
    assert move.isAccepted()
    drop = QDropEvent(QPointF(pos), action, mime, buttons, mods)
    QApplication.sendEvent(vp, drop)
    assert drop.isAccepted()


def test_drag_from_palette_into_the_network(tab):
    palette = tab.palette.tree
    mime = palette.mimeData([palette.type_item("BatchNorm2d")])
    row = tab.table.visualItemRect(tab.table.topLevelItem(1))
    _drop(tab.table, mime, QPoint(row.center().x(), row.top() + 2))  # upper half: before
    assert [e.type for e in tab.spec.layers[:3]] == ["Conv2d", "BatchNorm2d", "Sigmoid"]
    assert tab.table.current_index() == 1
    assert tab.table.topLevelItem(1).text(COL_PARAMS) == "12"
    assert_table_matches_engine(tab)
    # Dropped below the last row: appended.
    _drop(tab.table, palette.mimeData([palette.type_item("Softmax")]),
          QPoint(20, tab.table.viewport().height() - 5))
    assert tab.spec.layers[-1].type == "Softmax"


def test_drag_a_row_to_reorder(tab):
    table = tab.table
    mime = table.mimeData([table.topLevelItem(1)])  # Sigmoid
    target = table.visualItemRect(table.topLevelItem(2))
    _drop(table, mime, QPoint(target.center().x(), target.bottom() - 2))  # below the pool
    assert [e.type for e in tab.spec.layers[:3]] == ["Conv2d", "AvgPool2d", "Sigmoid"]
    assert table.current_index() == 2
    assert_table_matches_engine(tab)
    tab.undo()
    assert tab.spec == preset("lenet")


def test_diagram_draws_a_box_per_entry_and_selects_rows(tab, qtbot):
    qtbot.waitUntil(lambda: len(tab.diagram.boxes) == 12, timeout=2000)
    tab.diagram.row_clicked.emit(3)
    assert tab.table.current_index() == 3
    assert tab.properties.form.editors["out_channels"].value() == 16


def test_a_gesture_that_ends_where_it_began_leaves_no_undo_step():
    h = SpecHistory(0)
    h.push(1, merge_key="k")
    h.push(0, merge_key="k")
    assert h.current == 0 and not h.can_undo()


def test_history_merges_and_truncates_redo():
    h = SpecHistory(0)
    h.push(1, merge_key="a")
    h.push(2, merge_key="a")
    assert h.undo() == 0 and h.redo() == 2
    h.undo()
    h.push(5)
    assert not h.can_redo() and h.current == 5
    h.push(6, merge_key="b")
    h.break_merge()
    h.push(7, merge_key="b")
    assert h.undo() == 6


def test_many_edits_on_a_big_network_keep_the_table_in_step(tab):
    # Edit speed is measured by benchmarks/summary.py, not asserted here.
    tab.load_preset("darknet-53")
    for c in (32, 48, 64):
        tab.table.select_index(0)
        tab.edit_param("out_channels", c)
    assert_table_matches_engine(tab)
    layer("Linear")  # the helper stays importable for specs in tests


# ------------------------------------------------- what is shown is what trains
def sent_spec(tab, qtbot, context):
    with qtbot.waitSignal(context.network_sent, timeout=1000) as blocker:
        assert tab.send_to_train()
    return blocker.args[0]


def status_is_ok(tab) -> bool:
    """The green tick: the network shown is valid and is what trains."""
    return tab.footer.status.text().startswith("✔") and "2e7d32" in tab.footer.status.styleSheet()


@pytest.mark.parametrize("typed", ["3.5", "1e9"])
def test_an_invalid_kernel_size_never_trains_a_hidden_value(tab, qtbot, context, typed):
    tab.activateWindow()
    qtbot.waitActive(tab)
    editor = tab.properties.form.editors["kernel_size"]  # LeNet's first conv: 5
    editor.setFocus()
    type_into(qtbot, editor, typed)
    assert editor.text() == typed
    assert not status_is_ok(tab)  # the ✔ would describe a network that does not train
    assert "not applied, kernel_size stays 5" in tab.footer.status.text()
    assert tab.spec.layers[0].params["kernel_size"] == 5  # not the "3" or "1" typed on the way
    assert "k 5" in tab.table.topLevelItem(0).text(2)
    spec = sent_spec(tab, qtbot, context)  # the button takes the focus first, or not
    shown = tab.properties.form.value("kernel_size")
    assert editor.text() == "5" and shown == 5
    assert spec.layers[0].params["kernel_size"] == shown == tab.spec.layers[0].params[
        "kernel_size"]
    assert status_is_ok(tab)


def test_leaving_an_invalid_field_restores_the_value_in_use(tab, qtbot):
    tab.activateWindow()
    qtbot.waitActive(tab)
    editor = tab.properties.form.editors["kernel_size"]
    editor.setFocus()
    type_into(qtbot, editor, "3.5")
    tab.table.setFocus()  # focus out
    assert editor.text() == "5" and tab.spec.layers[0].params["kernel_size"] == 5
    assert "'3.5' was not applied; back to 5" in tab.properties.form.error_label.text()
    assert status_is_ok(tab)
    type_into(qtbot, editor, "3")  # a valid text still applies at once
    assert tab.spec.layers[0].params["kernel_size"] == 3


def test_a_cleared_spin_box_is_pending_until_restored(tab, qtbot, context):
    spin = tab.properties.form.editors["out_channels"]  # 6
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClick(spin, Qt.Key.Key_Backspace)
    assert spin.text() == "" and not status_is_ok(tab)
    assert "out_channels" in tab.footer.status.text()
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.value() == 6 and spin.text() == "6" and status_is_ok(tab)
    assert sent_spec(tab, qtbot, context).layers[0].params["out_channels"] == 6


def test_a_float_field_below_its_minimum_is_pending(tab, qtbot, context):
    tab.load_preset("mlp-dropout")
    index = next(i for i, e in enumerate(tab.spec.layers) if e.type == "Dropout")
    tab.table.select_index(index)
    spin = tab.properties.form.editors["p"]
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "-")
    assert spin.text() == "-" and not status_is_ok(tab)
    assert sent_spec(tab, qtbot, context).layers[index].params["p"] == pytest.approx(0.2)
    assert spin.value() == pytest.approx(0.2) and status_is_ok(tab)


def test_the_input_shape_field_never_differs_from_the_shape_sent(tab, qtbot, context):
    edit = tab.toolbar.input_edit
    edit.setFocus()
    type_into(qtbot, edit, "1,1,a")
    assert not status_is_ok(tab)
    assert sent_spec(tab, qtbot, context).input_shape == (1, 1, 28, 28)
    assert edit.text() == "1,1,28,28"
    type_into(qtbot, edit, "1,1,32,32")  # valid but not applied yet: no ✔ either
    assert not status_is_ok(tab) and "press Enter" in tab.footer.status.text()
    assert sent_spec(tab, qtbot, context).input_shape == (1, 1, 32, 32)
    assert edit.text() == "1,1,32,32" and tab.spec.input_shape == (1, 1, 32, 32)
    type_into(qtbot, edit, "1,x")
    qtbot.keyClick(edit, Qt.Key.Key_Return)  # Enter on a bad shape restores the one in use
    assert edit.text() == "1,1,32,32" and "not applied" in tab.footer.status.text()


def test_an_edited_preset_is_named_as_edited_with_its_own_params(tab, qtbot, context):
    assert "<b>lenet</b>" in tab.header.text() and "61,706" in tab.header.text()
    tab.properties.form.editors["out_channels"].setValue(8)
    params = tab.summary.total_params
    assert params != 61_706
    assert "lenet (edited)" in tab.header.text() and "61,706" not in tab.header.text()
    assert f"{params:,} params" in tab.header.text()
    assert sent_spec(tab, qtbot, context).name == "lenet (edited)"
    tab.undo()
    assert tab.spec == preset("lenet") and "<b>lenet</b>" in tab.header.text()


# ---------------------------------------------------------------- memory
GIANT = NetworkSpec("giant", (1, 100_000), (layer("Linear", out_features=100_000),))


def test_a_gigantic_network_gets_a_memory_warning_not_a_tick(tab):
    tab.set_spec(GIANT)
    assert tab.footer.status.text().startswith("⚠") and not status_is_ok(tab)
    status = tab.footer.status.text()
    assert "training needs ≈ 74.7 GiB (batch 256)" in status and "RAM" in status
    memory = tab.footer.memory.text()
    assert "at batch 256 with SGD" in memory and "parameters 37.3 GiB" in memory
    width = tab.table.fontMetrics().horizontalAdvance("10,000,100,000")
    assert tab.table.columnWidth(COL_PARAMS) > width  # was 82 px: "10,000,10…"
    assert tab.table.topLevelItem(0).text(COL_PARAMS) == "10,000,100,000"


def test_lenet_fits_and_states_its_training_memory(tab):
    assert status_is_ok(tab)
    assert "Training memory" in tab.footer.memory.text()
    assert "≈ 15.9 MiB</span> at batch 256 with SGD" in tab.footer.memory.text()


# ---------------------------------------------------------------- bad files
@pytest.mark.parametrize(("text", "reason"), [
    ('{"input_shape": [1, 4], "layers": ' + "[" * 50_000 + "]" * 50_000 + "}",
     "nested too deeply"),
    ('{"input_shape": [1, 1, 28, 28], "layers": [{"type": "Conv2d", "params": '
     '{"out_channels": 1' + "0" * 30 + '}}]}', "above the maximum"),
    ('{"input_shape": [1, 8], "layers": [' + ", ".join(['{"type": "ReLU"}'] * 20_000) + "]}",
     "20,000 entries; at most 1,000"),
])
def test_bad_network_files_show_a_message_and_keep_the_network(tab, tmp_path, text, reason):
    path = tmp_path / "bad.json"
    path.write_text(text)
    assert not tab.load_network(path)
    assert reason in tab.footer.status.text() and tab.spec == preset("lenet")


def test_the_memory_warning_follows_the_device(tab, context, monkeypatch):
    from engine.builder.memory import DeviceMemory

    monkeypatch.setattr("gui.tabs.build_tab.device_memory",
                        lambda device: DeviceMemory(device, 10 * 2**20, "free"))
    context.device_changed.emit("cuda")  # e.g. Settings → Use CPU only switched off
    assert tab.footer.status.text().startswith("⚠") and "has 10.0 MiB free" in (
        tab.footer.status.text())
