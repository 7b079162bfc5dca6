"""Detection lab: anchors on click, IoU readout, labelling, NMS stepping vs the engine."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from engine.detection import box_iou, nms
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
    lab.add_ground_truth(np.array([5.0, 6.0, 50.0, 60.0]), "dog")
    lab.save_ground_truth(str(tmp_path / "pic.boxes.json"))
    assert lab.open_image(str(tmp_path / "pic.png"))  # reload: boxes come back
    assert lab.gt_labels == ["dog"]
    np.testing.assert_allclose(lab.gt_boxes[0], [5, 6, 50, 60])
    assert not list(tmp_path.glob(".*tmp*"))
