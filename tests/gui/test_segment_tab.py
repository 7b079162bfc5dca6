"""Segment tab: the explorer follows its settings, overlay + hover readout, predictions
on a dropped image, loading a trained network (and refusing a wrong file)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from gui.tabs.segment.grids import HIGHLIGHT
from gui.tabs.segment_tab import SegmentTab


@pytest.fixture
def tab(qtbot, context):
    t = SegmentTab(context)
    qtbot.addWidget(t)
    t.resize(1200, 800)
    t.show()
    qtbot.waitExposed(t)
    return t


def _wait_prediction(qtbot, viewer) -> None:
    qtbot.waitUntil(lambda: viewer.prediction is not None, timeout=20000)


def test_explorer_book_example_stride_and_editing(tab):
    ex = tab.explorer
    assert ex.output().tolist() == [[0, 0, 1], [0, 4, 6], [4, 12, 9]]
    assert "(2 − 1)·1 + 2 − 2·0 = <b>3</b>" in ex.formula.text()
    assert "equals vec(Y) ✔" in ex.matrix_note.text()
    ex.s_h.setValue(2)
    ex.s_w.setValue(2)
    assert ex.output().tolist() == [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]]
    assert "(2 − 1)·2 + 2 − 2·0 = <b>4</b>" in ex.formula.text()
    assert ex.w_grid.rowCount() == 4 and ex.w_grid.columnCount() == 16
    assert ex.wt_grid.rowCount() == 16 and ex.wt_grid.columnCount() == 4
    ex.s_w.setValue(1)  # unequal stride: 4 x 3
    assert ex.output().shape == (4, 3)
    ex.x_grid.item(0, 0).setText("5")  # the user edits X[0, 0]
    assert ex.x_grid.values()[0, 0] == 5 and ex.output()[0, 0] == 0  # K[0, 0] = 0
    assert ex.output()[1, 0] == 5 * 2  # X[0,0]·K[1,0]
    ex.x_grid.item(0, 1).setText("abc")  # not a number: the value in use stays
    assert ex.x_grid.item(0, 1).text() == "1" and ex.x_grid.values()[0, 1] == 1
    ex.p_h.setValue(3)  # padding removes everything: a message, no crash
    assert ex.output() is None and "removes the whole output" in ex.formula.text()
    ex.reset_to_book()
    assert ex.output().tolist() == [[0, 0, 1], [0, 4, 6], [4, 12, 9]]


def test_explorer_hover_highlights_the_contribution(tab):
    ex = tab.explorer
    ex.s_h.setValue(2)
    ex.s_w.setValue(2)
    ex.x_grid.cell_hovered.emit(1, 0)  # X[1,0] = 2 lands on Y[2:4, 0:2]
    lit = {(r, c) for r in range(4) for c in range(4)
           if ex.y_grid.item(r, c).background().color() == HIGHLIGHT}
    assert lit == {(2, 0), (2, 1), (3, 0), (3, 1)}
    assert "X[1, 0] = 2 adds 2 · K to Y[2:4, 0:2]" in ex.hover.text()
    ex.y_grid.cell_hovered.emit(3, 1)
    assert ex.hover.text().startswith("Y[3, 1] = X[1,0]·K[1,1] = 2·3") and "= 6" in ex.hover.text()
    ex.x_grid.cell_hovered.emit(-1, -1)
    assert not any(ex.y_grid.item(r, c).background().color() == HIGHLIGHT
                   for r in range(4) for c in range(4))


def test_bilinear_photo_sizes_shown(tab):
    ex = tab.explorer
    h, w = ex.photo.shape[:2]
    ex.factor.setCurrentIndex(2)  # x4
    assert ex.photo_out.image().shape[:2] == (4 * h, 4 * w)
    assert f"output {4 * w}×{4 * h}" in ex.photo_info.text()


def test_viewer_overlay_opacity_and_hover_readout(tab, qtbot):
    tab.sections.setCurrentIndex(2)
    v = tab.viewer
    _wait_prediction(qtbot, v)
    assert v.prediction.labels.shape == (64, 64) and v.truth.shape == (64, 64)
    assert "untrained" in tab.network_label.text()
    assert "disc" in v.legend.text() and "plus" in v.legend.text()
    canvas = v.image_canvas
    v.mode.setCurrentIndex(1)  # prediction over the image
    assert v.overlay.item.isVisible()
    v.opacity.setValue(0.0)
    qtbot.wait(50)
    clear = canvas.grab().toImage()
    v.opacity.setValue(1.0)
    qtbot.wait(50)
    assert v.overlay.item.opacity() == 1.0
    assert canvas.grab().toImage() != clear  # the label colours are drawn over the image
    # hover over pixel (20, 30): the readout names the predicted and the true class
    y, x = 30, 20
    scene = canvas.viewbox.mapViewToScene(QPointF(x + 0.5, y + 0.5))
    canvas.view.scene().sigMouseMoved.emit(scene)
    names = v.class_names
    text = v.readout.text()
    assert f"x={x}, y={y}" in text
    assert f"predicted <b>{names[v.prediction.labels[y, x]]}</b>" in text
    assert f"truth <b>{names[v.truth[y, x]]}</b>" in text
    conf = v.prediction.confidence[y, x]
    assert f"({conf:.0%} confident)" in text
    v.mode.setCurrentIndex(2)  # ground truth over the image
    assert np.array_equal(v.overlay.labels, v.truth)


def _drop_file(widget, path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = QPoint(widget.width() // 2, widget.height() // 2)
    action = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(pos, action, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(pos), action, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)


def test_prediction_on_a_dropped_image_of_any_size_and_mode(tab, qtbot, tmp_path):
    v = tab.viewer
    _wait_prediction(qtbot, v)
    path = tmp_path / "gray.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (37, 50), np.uint8)).save(path)
    v.prediction = None
    _drop_file(v.image_canvas, path)
    qtbot.waitUntil(lambda: v.prediction is not None and v.image.shape[:2] == (37, 50),
                    timeout=20000)
    assert v.prediction.labels.shape == (37, 50) and v.truth is None
    assert "gray.png" in v.status.text()
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    _drop_file(v.image_canvas, bad)
    qtbot.waitUntil(lambda: "bad.png" in v.status.text() or "not" in v.status.text(),
                    timeout=5000)
    assert v.image.shape[:2] == (37, 50)  # the last good image stays


def test_load_trained_network_and_refuse_others(tab, qtbot, tmp_path):
    from engine.models.ref import ModelRef
    from engine.training import run
    from engine.training.config import RunConfig
    from engine.training.events import Prepared

    wrong = tmp_path / "wrong.pt"
    wrong.write_bytes(b"junk")
    before = tab.model
    assert not tab.load_network(str(wrong))
    assert tab.model is before and "not a readable checkpoint" in tab.network_label.text()
    cfg = RunConfig(model=ModelRef.zoo("fcn", stride=8), dataset="procedural-scenes",
                    dataset_options={"size": 32}, n_train=8, n_test=4, num_epochs=1,
                    batch_size=4, device="cpu")
    events = list(run(cfg))
    model = next(e for e in events if isinstance(e, Prepared)).model
    path = tmp_path / "fcn.pt"
    model.save(path, history=events[-1].history)
    cls_cfg = RunConfig(model=ModelRef.preset("lenet"), dataset="procedural-shapes",
                        n_train=8, n_test=4, num_epochs=1, batch_size=4, device="cpu")
    cls_events = list(run(cls_cfg))
    lenet = tmp_path / "lenet.pt"
    next(e for e in cls_events if isinstance(e, Prepared)).model.save(lenet)
    assert not tab.load_network(str(lenet))
    assert "classification checkpoint" in tab.network_label.text()
    assert tab.load_network(str(path))
    assert "fcn from fcn.pt (procedural-scenes, 1 epoch)" in tab.network_label.text()
    v = tab.viewer
    v.prediction = None
    tab.sections.setCurrentIndex(2)
    v.show_scene(3)
    _wait_prediction(qtbot, v)
    assert v.prediction.labels.shape == (64, 64)
    assert v.scene_spin.value() == 3 and "held-out scene 3" in v.status.text()


def test_torchvision_segmenter_from_the_cache(tab, qtbot, tmp_path, monkeypatch):
    import torch
    import torchvision.models.segmentation as tvs

    from engine.segmentation.pretrained import cache_file

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    tab._fill_tv_menu()
    assert not any(a.isEnabled() for a in tab.tv_menu.actions())
    before = tab.model
    tab.load_segmenter("lraspp_mobilenet_v3_large")  # not cached: said, network kept
    qtbot.waitUntil(lambda: "still using" in tab.network_label.text(), timeout=20000)
    assert tab.model is before and "not in torchvision's cache" in tab.network_label.text()
    path = cache_file("lraspp_mobilenet_v3_large")
    path.parent.mkdir(parents=True)
    torch.save(tvs.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None,
                                             num_classes=21).state_dict(), path)
    tab._fill_tv_menu()
    enabled = [a.text() for a in tab.tv_menu.actions() if a.isEnabled()]
    assert enabled == ["lraspp_mobilenet_v3_large"]
    tab.tv_menu.actions()[2].trigger()
    qtbot.waitUntil(lambda: tab.model is not before, timeout=20000)
    assert "torchvision lraspp_mobilenet_v3_large" in tab.network_label.text()
    assert "aeroplane" in tab.viewer.legend.text()


def test_empty_train_curves_name_the_per_pixel_metrics(tab):
    left = tab.train_panel.curves.plot_item.getAxis("left").labelText
    assert left == "loss / pixel accuracy / mean IoU"


def test_train_section_runs_the_fcn_and_hands_it_to_the_viewer(tab, qtbot):
    panel = tab.train_panel
    assert panel.values()["optimizer"] == "adam" and panel.setting.currentData() == 8
    panel.apply_recipe("book")  # the book's values
    assert panel.values() == {**panel.values(), "optimizer": "sgd", "lr": 0.001,
                              "batch_size": 32, "num_epochs": 5}
    assert panel.setting.currentData() == 32
    panel.apply_recipe("offline")
    panel.set_values(num_epochs=1, batch_size=4)
    panel.n_train.setValue(8)
    panel.n_test.setValue(4)
    cfg = panel.config()
    assert (cfg.model.name, cfg.model.options["stride"], cfg.n_train) == ("fcn", 8, 8)
    with qtbot.waitSignal(panel.session.finished, timeout=120000):
        assert panel.start()
    run = panel.book.runs[1]
    assert run.status == "finished" and run.task == "segmentation"
    assert "Test mean IoU" in panel.runs_panel.columns
    assert {"test mean IoU", "train pixel accuracy"} <= set(panel.curves.series_names())
    names = [panel.iou_table.item(r, 0).text() for r in range(panel.iou_table.rowCount())]
    assert names == ["background", "disc", "square", "triangle", "plus"]
    assert "after epoch 1" in panel.iou_title.text()
    shown = {panel.iou_table.item(r, 1).text() for r in range(5)}
    assert any(t != "—" for t in shown)
    assert tab.network_label.text().startswith("Network: run 1: fcn on procedural-scenes")
    assert tab.model.net is run.model.net  # the viewer predicts with the trained network


def test_train_section_bad_voc_folder_is_said(tab, qtbot, tmp_path):
    panel = tab.train_panel
    panel.dataset.setCurrentIndex(panel.dataset.findData("voc2012"))
    panel.data_root.setText(str(tmp_path))
    with qtbot.waitSignal(panel.session.finished, timeout=60000):
        panel.start()
    assert panel.banner.level == "error"
    assert "Pascal VOC2012 is incomplete" in panel.banner.text()
    assert "untrained" in tab.network_label.text()  # the viewer's network is kept


def test_closing_mid_run_keeps_the_run_as_stopped(tab, qtbot):
    panel = tab.train_panel
    panel.set_values(num_epochs=20, batch_size=4)
    panel.n_train.setValue(64)
    panel.n_test.setValue(4)
    with qtbot.waitSignal(panel.session.progress, timeout=120000):
        assert panel.start()
    assert tab.shutdown()  # what the window's close does
    run = panel.book.runs[1]
    assert run.status == "stopped" and "window closed" in run.reason
    qtbot.waitUntil(lambda: not panel.session.runner.is_running(), timeout=5000)
