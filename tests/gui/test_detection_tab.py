"""Detection lab: anchors on click, IoU readout, labelling, NMS stepping vs the engine."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import QPoint, Qt

from engine.detection import box_iou, multiscale_anchors, nms
from engine.images import sample_images_dir
from gui.tabs.detection_tab import DetectionTab


@pytest.fixture
def lab(qtbot, context):
    tab = DetectionTab(context)
    qtbot.addWidget(tab)
    tab.resize(1200, 800)
    tab.show()
    qtbot.waitExposed(tab)
    return tab


def test_sample_image_with_ground_truth_is_default(lab):
    assert lab.image_size() == (451, 300)
    assert lab.gt_labels == ["cat", "eye", "eye", "nose"]
    assert "4 ground-truth boxes" in lab.info.text()


def test_click_pixel_draws_n_plus_m_minus_1_anchors(lab, qtbot):
    lab.show_panel(0)
    panel = lab.current_panel()
    canvas = lab.canvas
    vp = canvas.view.viewport()
    pos = vp.mapFrom(canvas, canvas.map_from_image(100.5, 80.5).toPoint())
    from PySide6.QtCore import Qt

    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=pos)
    assert panel.pixel in ((100, 80), (99, 80), (100, 79), (99, 79), (101, 80), (100, 81))
    layer = canvas.layer("AnchorsPanel:anchors")
    assert len(layer.boxes) == 5  # 3 sizes + 3 ratios - 1
    assert "676,500" in panel.readout.text()  # 300 * 451 * 5
    # Adding a size adds one anchor per pixel.
    panel.sizes.set_values([0.75, 0.5, 0.25, 0.1])
    qtbot.waitUntil(lambda: len(canvas.layer("AnchorsPanel:anchors").boxes) == 6, timeout=2000)
    assert lab.sizes == [0.75, 0.5, 0.25, 0.1]


def test_anchor_at_centre_pixel_matches_engine(lab):
    lab.show_panel(0)
    panel = lab.current_panel()
    panel.on_pixel_clicked(250.2, 150.9)
    boxes, labels = panel.current_anchors()
    cx, cy = (250 + 0.5), (150 + 0.5)
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    np.testing.assert_allclose(centres, [[cx, cy]] * 5, atol=1e-3)
    # s=0.75, r=1 is a square of side 0.75 * image height in pixels.
    np.testing.assert_allclose(boxes[0, 2] - boxes[0, 0], 0.75 * 300, rtol=1e-5)
    assert labels[0] == "s=0.75, r=1"


def test_multiscale_grid_counts(lab):
    lab.show_panel(1)
    panel = lab.current_panel()
    panel.apply(2, 2, 0.4)
    assert len(lab.canvas.layer("MultiscalePanel:grid").boxes) == 2 * 2 * 3
    assert "<b>12</b> anchors" in panel.readout.text()


def test_iou_readout_follows_boxes(lab, qtbot):
    lab.show_panel(2)
    panel = lab.current_panel()
    panel.box_a.set_box([0, 0, 100, 100])
    panel.box_b.set_box([50, 0, 150, 100])
    qtbot.wait(10)
    assert panel.details.iou == pytest.approx(1 / 3, abs=1e-4)
    assert "0.333" in panel.readout.text()
    panel.box_b.set_box([200, 200, 250, 250])
    assert panel.details.iou == 0.0
    assert lab.canvas.layer("IouPanel:overlap") is None  # nothing to shade


def test_labelling_matches_engine_and_threshold_changes_counts(lab, qtbot):
    lab.show_panel(3)
    panel = lab.current_panel()
    a = panel.assignment
    assert a.forced.sum() == 4  # one forced anchor per ground truth
    assert (a.gt_index >= 0).sum() >= 4
    panel.threshold.setValue(0.2)
    qtbot.wait(10)
    assert (panel.assignment.gt_index >= 0).sum() > (a.gt_index >= 0).sum()
    panel.on_pixel_clicked(300, 120)
    assert panel.table.rowCount() == 5
    forced_rows = [panel.table.item(r, 1).text() for r in range(5)]
    assert any("forced" in t or "#" in t or t == "background" for t in forced_rows)


def test_draw_new_ground_truth_box(lab, qtbot):
    lab.show_panel(3)
    panel = lab.current_panel()
    panel.class_combo.setCurrentText("whisker")
    panel.draw_button.setChecked(True)
    assert lab.canvas.draw_mode
    lab.canvas.box_drawn.emit(np.array([10.0, 200.0, 120.0, 290.0]))
    assert lab.gt_labels[-1] == "whisker" and len(lab.gt_boxes) == 5
    assert not lab.canvas.draw_mode
    assert panel.gt_list.count() == 5
    panel.gt_list.setCurrentRow(4)
    panel._delete_selected()
    assert len(lab.gt_boxes) == 4


def test_nms_stepping_reaches_engine_kept_set(lab, qtbot):
    lab.show_panel(4)
    panel = lab.current_panel()
    panel.score_threshold.setValue(0.0)
    panel.reset()
    steps = 0
    while not panel.at_end():
        panel.step()
        steps += 1
        assert steps < 500
    kept = panel.kept_indices()
    expected = nms(torch.tensor(panel.boxes), torch.tensor(panel.scores),
                   panel.nms_threshold.value()).tolist()
    assert kept == expected
    assert steps == len(kept) + 1 or steps == len(kept)
    assert "done" in panel.readout.text()
    # Every suppressed box really overlapped its suppressor above the threshold.
    state, suppressed, _ = panel.status()
    for i, ev in suppressed.items():
        iou = float(box_iou(torch.tensor(panel.boxes[[i]]), torch.tensor(panel.boxes[[ev.by]])))
        assert iou > panel.nms_threshold.value()


def test_nms_book_example(lab):
    lab.show_panel(4)
    panel = lab.current_panel()
    panel.source.setCurrentIndex(1)
    panel.score_threshold.setValue(0.0)
    panel.run_to_end()
    assert sorted(panel.kept_indices()) == [0, 3]  # dog 0.9 and cat 0.9
    assert [panel.names[i] for i in panel.final_kept()] == ["dog", "cat"]


def test_nms_slider_change_recomputes(lab, qtbot):
    lab.show_panel(4)
    panel = lab.current_panel()
    panel.run_to_end()
    strict = len(panel.kept_indices())
    panel.nms_threshold.setValue(0.95)
    assert panel.at_end()
    assert len(panel.kept_indices()) > strict


def test_own_image_without_boxes_and_bad_file(lab, tmp_path, qtbot):
    Image.fromarray(np.full((64, 80, 3), 90, np.uint8)).save(tmp_path / "mine.png")
    assert lab.open_image(str(tmp_path / "mine.png"))
    assert lab.image_size() == (80, 64) and lab.gt_labels == []
    lab.show_panel(4)
    assert "No predictions" in lab.current_panel().readout.text()
    (tmp_path / "bad.png").write_bytes(b"not an image")
    assert not lab.open_image(str(tmp_path / "bad.png"))
    assert lab.image_size() == (80, 64)  # the current image is kept


def test_boxes_json_beside_image_is_loaded_and_scaled(lab, tmp_path):
    Image.fromarray(np.zeros((100, 200, 3), np.uint8)).save(tmp_path / "pic.png")
    (tmp_path / "pic.boxes.json").write_text(
        '{"boxes": [{"label": "thing", "box": [10, 20, 110, 80]}]}')
    assert lab.open_image(str(tmp_path / "pic.png"))
    assert lab.gt_labels == ["thing"]
    np.testing.assert_allclose(lab.gt_boxes[0], [10, 20, 110, 80])


def test_save_ground_truth_round_trip(lab, tmp_path):
    Image.fromarray(np.zeros((100, 200, 3), np.uint8)).save(tmp_path / "pic.png")
    assert lab.open_image(str(tmp_path / "pic.png"))
    lab.state.add_box(np.array([5.0, 6.0, 50.0, 60.0]), "dog")
    lab.save_ground_truth(str(tmp_path / "pic.boxes.json"))
    assert lab.open_image(str(tmp_path / "pic.png"))  # reload: boxes come back
    assert lab.gt_labels == ["dog"]
    np.testing.assert_allclose(lab.gt_boxes[0], [5, 6, 50, 60])
    assert not list(tmp_path.glob(".*tmp*"))


# ------------------------------------------------ labelling: real mouse edits, undo
CAT = [10, 0, 405, 300]  # assets/cat.boxes.json, the first box


def mouse_drag(qtbot, canvas, start, end, steps: int = 6) -> None:
    """A real left-button drag on the canvas from image pixel ``start`` to ``end``."""
    vp = canvas.view.viewport()
    a = vp.mapFrom(canvas, canvas.map_from_image(*start).toPoint())
    b = vp.mapFrom(canvas, canvas.map_from_image(*end).toPoint())
    qtbot.mouseMove(vp, pos=a)
    qtbot.wait(20)
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=a)
    for t in np.linspace(0, 1, steps):
        qtbot.mouseMove(vp, pos=QPoint(int(a.x() + t * (b.x() - a.x())),
                                       int(a.y() + t * (b.y() - a.y()))))
        qtbot.wait(20)  # pyqtgraph rate-limits mouse moves
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=b)
    qtbot.wait(20)


@pytest.fixture
def labelling(lab, qtbot):
    lab.show_panel(3)
    lab.canvas.viewbox.scaleBy((2, 2))  # zoom out: room to drag past the image
    qtbot.wait(50)
    return lab.current_panel()


def test_draw_box_over_a_box_draws_and_the_caption_counts_it(lab, labelling, qtbot):
    labelling.class_combo.setCurrentText("whisker")
    labelling.draw_button.setChecked(True)
    lab.canvas.view.setFocus()
    qtbot.keyClick(lab.canvas.view, Qt.Key.Key_Escape)  # Esc leaves draw mode
    assert not lab.canvas.draw_mode
    labelling.draw_button.setChecked(True)
    mouse_drag(qtbot, lab.canvas, (40, 200), (120, 280))  # starts inside the cat box
    np.testing.assert_allclose(lab.gt_boxes[0], CAT)  # the cat box did not move
    assert lab.gt_labels == ["cat", "eye", "eye", "nose", "whisker"]
    np.testing.assert_allclose(lab.gt_boxes[4], [40, 200, 120, 280], atol=2.0)
    assert "5 ground-truth boxes" in lab.info.text()
    assert "edited, not saved" in lab.info.text()
    assert not labelling.draw_button.isChecked() and not lab.canvas.draw_mode
    assert len(lab.canvas.editable_boxes()) == 5


def test_boxes_stay_inside_the_image_and_are_saved_inside(lab, labelling, qtbot, tmp_path):
    mouse_drag(qtbot, lab.canvas, (60, 250), (160, 350))  # drag the cat box off
    np.testing.assert_allclose(lab.gt_boxes[0], [56, 0, 451, 300], atol=1e-6)
    mouse_drag(qtbot, lab.canvas, (294, 268), (520, 420))  # nose corner, far outside
    np.testing.assert_allclose(lab.gt_boxes[3], [232, 222, 451, 300], atol=1e-6)
    lab.save_ground_truth(str(tmp_path / "cat.boxes.json"))
    saved = json.loads((tmp_path / "cat.boxes.json").read_text())["boxes"]
    for entry in saved:
        x1, y1, x2, y2 = entry["box"]
        assert 0 <= x1 < x2 <= 451 and 0 <= y1 < y2 <= 300
    assert "edited, not saved" not in lab.info.text()


def test_undo_and_redo_every_kind_of_box_edit(lab, labelling, qtbot):
    original = lab.gt_boxes.copy()
    undo = lambda: qtbot.keyClick(lab, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # noqa: E731
    redo = lambda: qtbot.keyClick(  # noqa: E731
        lab, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert not labelling.undo_button.isEnabled()
    mouse_drag(qtbot, lab.canvas, (150, 120), (170, 140))  # move the left eye by (20, 20)
    np.testing.assert_allclose(lab.gt_boxes[1], [153, 104, 232, 167], atol=2.0)
    mouse_drag(qtbot, lab.canvas, (294, 268), (310, 280))  # resize the nose
    labelling.gt_list.setCurrentRow(2)
    labelling.class_combo.setCurrentText("pupil")
    labelling._rename_selected()
    labelling.gt_list.setCurrentRow(0)
    labelling._delete_selected()
    assert lab.gt_labels == ["eye", "pupil", "nose"]
    assert labelling.undo_button.isEnabled()
    assert "delete box 'cat'" in labelling.undo_button.toolTip()
    undo()
    assert lab.gt_labels == ["cat", "eye", "pupil", "nose"]
    undo()
    assert lab.gt_labels == ["cat", "eye", "eye", "nose"]
    undo()
    np.testing.assert_allclose(lab.gt_boxes[3], original[3])
    undo()
    np.testing.assert_allclose(lab.gt_boxes, original)
    np.testing.assert_allclose(lab.canvas.editable_boxes()[1].box(), original[1])  # view follows
    assert not labelling.undo_button.isEnabled() and "edited" not in lab.info.text()
    redo()
    redo()
    np.testing.assert_allclose(lab.gt_boxes[1], [153, 104, 232, 167], atol=2.0)
    assert lab.gt_boxes[3][2] > original[3][2]
    labelling.redo_button.click()
    assert lab.gt_labels == ["cat", "eye", "pupil", "nose"]


def test_panels_change_boxes_only_through_the_state(lab, qtbot):
    with pytest.raises(ValueError, match="read-only"):
        lab.gt_boxes[0] = [0, 0, 5, 5]
    with qtbot.waitSignal(lab.state.boxes_changed, timeout=1000):
        lab.state.move_box(0, [20, 10, 120, 110])
    seen = []
    lab.state.box_previewed.connect(seen.append)
    lab.state.preview_box(1, [0, 0, 30, 30])  # a live drag: shown, not an undo step
    assert seen == [1] and lab.state.undo_stack.count() == 1
    lab.state.move_box(1, [0, 0, 30, 30])
    assert lab.state.undo_stack.count() == 2
    lab.state.add_box([400, 250, 600, 500], "tail")  # reaches outside: clipped
    np.testing.assert_allclose(lab.gt_boxes[-1], [400, 250, 451, 300])


def test_box_file_reaching_outside_the_image_is_clipped(lab, tmp_path, context, monkeypatch):
    Image.fromarray(np.zeros((300, 451, 3), np.uint8)).save(tmp_path / "pic.png")
    (tmp_path / "pic.boxes.json").write_text(json.dumps({"boxes": [
        {"label": "cat", "box": [95.8, 73.6, 490.8, 373.6]},  # the saved box
        {"label": "ghost", "box": [500, 10, 600, 50]},  # wholly outside: dropped
        {"label": "eye", "box": [10, 10, 20, 20]}]}))
    warnings = []
    monkeypatch.setattr(context, "warn", warnings.append)
    assert lab.open_image(str(tmp_path / "pic.png"))
    assert lab.gt_labels == ["cat", "eye"]
    np.testing.assert_allclose(lab.gt_boxes[0], [95.8, 73.6, 451, 300])
    assert any("2 box(es) reached outside the 451×300 image" in w for w in warnings)


def test_save_boxes_never_writes_into_the_bundled_assets(lab, monkeypatch, tmp_path, context):
    import shutil

    from PySide6.QtWidgets import QFileDialog

    import gui.tabs.detection_tab as detection_tab

    # A copy stands in for assets/, so that a regression cannot overwrite the real one.
    assets = tmp_path / "assets"
    assets.mkdir()
    for name in ("cat.jpg", "cat.boxes.json"):
        shutil.copy(sample_images_dir() / name, assets / name)
    monkeypatch.setattr(detection_tab, "sample_images_dir", lambda: assets)
    before = (assets / "cat.boxes.json").read_bytes()
    assert lab.open_image(str(assets / "cat.jpg"))
    lab.show_panel(3)
    panel = lab.current_panel()
    asked = []

    def fake_dialog(_parent, _title, start, _filter):
        asked.append(start)
        return str(assets / "cat.boxes.json"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_dialog)
    errors = []
    monkeypatch.setattr(context, "error", errors.append)
    panel._ask_save()
    assert not asked[0].startswith(str(assets))  # the dialog does not start in assets/
    assert asked[0].endswith("cat.boxes.json")
    assert errors and "bundled assets folder" in errors[0]
    assert (assets / "cat.boxes.json").read_bytes() == before
    # a save elsewhere works, and the next dialog starts in that folder
    mine = tmp_path / "mine"
    mine.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a: (str(mine / "cat"), ""))
    panel._ask_save()
    assert (mine / "cat.boxes.json").exists()  # the extension was added
    assert lab.suggested_boxes_path() == mine / "cat.boxes.json"


@pytest.mark.parametrize(("fmap", "square"), [((4, 4), False), ((451, 300), True)])
def test_r1_note_tells_the_drawn_shape(lab, fmap, square):
    lab.show_panel(1)
    panel = lab.current_panel()
    panel.fmap_w.setMaximum(500)
    panel.fmap_h.setMaximum(500)
    panel.apply(*fmap, 0.15)
    drawn = multiscale_anchors(*fmap, [0.15], [1.0]).numpy()[0] * [451, 300, 451, 300]
    w, h = drawn[2] - drawn[0], drawn[3] - drawn[1]
    text = panel.readout.text()
    assert f"{w:.0f}×{h:.0f} px" in text
    assert ("not square" not in text) == square == (abs(w - h) < 0.5)


def test_ctrl_z_undoes_box_edits_only_while_the_lab_is_shown(qtbot, context):
    from PySide6.QtWidgets import QTabBar

    from gui.main_window import MainWindow

    window = MainWindow(context)  # context's device is known: the real tabs are built
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)  # shortcuts need it
    window.show_tab("detection")
    lab = window.tab("detection")
    lab.state.add_box([1, 1, 50, 50], "x")
    tab_bar = window.tabs.findChild(QTabBar)
    tab_bar.setFocus()  # as after clicking the tab: focus is not inside the lab
    qtbot.keyClick(tab_bar, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert lab.gt_labels == ["cat", "eye", "eye", "nose"]
    window.show_tab("build")
    lab.state.add_box([1, 1, 50, 50], "y")
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert lab.gt_labels[-1] == "y"  # the Build tab's Ctrl+Z is not the lab's


def test_unsaved_boxes_come_back_with_their_image(lab, tmp_path):
    lab.state.add_box([20, 20, 80, 90], "whisker")
    Image.fromarray(np.zeros((64, 80, 3), np.uint8)).save(tmp_path / "other.png")
    assert lab.open_image(str(tmp_path / "other.png"))
    assert lab.gt_labels == []
    lab.load_sample()
    assert lab.gt_labels == ["cat", "eye", "eye", "nose", "whisker"]
    assert "edited, not saved" in lab.info.text()
    lab.state.undo()  # back to the boxes of the file
    assert lab.gt_labels == ["cat", "eye", "eye", "nose"]
    assert "edited" not in lab.info.text()
    lab.load_sample()  # nothing edited now: nothing to restore
    assert lab.gt_labels == ["cat", "eye", "eye", "nose"]
