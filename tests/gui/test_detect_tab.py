"""Detect tab: train -> curves -> stop, predictions on a dropped image, thresholds that
re-filter without the network, raw predictions handed to the Detection lab's NMS panel."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

from engine.detection import box_iou
from engine.models import ModelRef
from engine.training import RunConfig
from gui.tabs.detect_tab import DetectTab
from gui.tabs.detection_tab import DetectionTab


def tiny_config(**changes) -> RunConfig:
    cfg = RunConfig(model=ModelRef.zoo("tiny-ssd"), dataset="bananas",
                    dataset_options={"size": 64}, n_train=8, n_test=4, batch_size=4,
                    num_epochs=1, lr=0.2, weight_decay=5e-4, device="cpu")
    return cfg.replace(**changes)


class Window(QWidget):
    """The two tabs side by side, with the main window's tab()/show_tab()."""

    def __init__(self, context) -> None:
        super().__init__()
        self.detect, self.lab = DetectTab(context), DetectionTab(context)
        row = QHBoxLayout(self)
        row.addWidget(self.detect)
        row.addWidget(self.lab)
        self.shown = ""

    def tab(self, key):
        return {"detect": self.detect, "detection": self.lab}[key]

    def show_tab(self, key):
        self.shown = key


@pytest.fixture
def window(qtbot, context):
    w = Window(context)
    qtbot.addWidget(w)
    w.resize(1600, 700)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.detect.shutdown()


@pytest.fixture
def trained(window, qtbot):
    tab = window.detect
    with qtbot.waitSignal(tab.predict_runner.finished, timeout=120_000):
        tab.start_training(tiny_config(num_epochs=2))
    return window


def test_empty_curves_name_the_detection_metrics_not_accuracy(window) -> None:
    curves = window.detect.curves
    assert not curves.shown
    left = curves.plot_item.getAxis("left").labelText
    assert left == "loss / class error / bbox MAE / mAP@0.5 / mAP@[.5:.95]"
    assert "acc" not in curves.empty_label.text() and "class error" in curves.empty_label.text()
    curves.show_runs([])  # a cleared selection keeps the task's label
    assert curves.plot_item.getAxis("left").labelText == left


def test_train_draws_curves_of_the_tasks_metrics_then_the_gallery(trained) -> None:
    tab = trained.detect
    # the shared views: a run in the list, curves from the task's metric descriptions
    assert len(tab.book.runs) == 1
    run = next(iter(tab.book.runs.values()))
    assert run.status == "finished"
    title = run.describe()  # the curves' title and the runs list read the run's settings
    assert "batch 4" in title and "2 epochs" in title and "None" not in title
    bar = tab.controls.progress.format()  # the shared ControlBar: where it ended, no ETA
    assert bar.startswith("done: epoch 2/2 · step 2/2") and "ETA" not in bar
    assert {"test_class_err", "test_bbox_mae", "test_map50", "test_map"} <= set(run.curves)
    xs, ys = run.curves["test_map50"]
    assert list(xs) == [1.0, 2.0] and all(0 <= v <= 1 for v in ys)
    names = " ".join(tab.curves.series_names())
    assert "mAP@0.5" in names and "class error" in names
    assert tab.gallery.count() == 4
    assert tab.view.raw is not None and tab.view.image.shape == (64, 64, 3)
    assert tab.train_button.isEnabled() and not tab.stop_button.isEnabled()


def test_stop_ends_the_run_and_keeps_the_network(window, qtbot) -> None:
    tab = window.detect
    tab.start_training(tiny_config(num_epochs=50))
    qtbot.waitUntil(lambda: tab.net is not None, timeout=60_000)
    qtbot.waitUntil(lambda: tab.stop_button.isEnabled(), timeout=60_000)
    with qtbot.waitSignal(tab.train_runner.finished, timeout=60_000) as blocker:
        tab.stop_button.click()
    assert blocker.args == [True]
    assert "stopped" in tab.status.text()
    assert tab.controls.progress.format().startswith("stopped")
    assert next(iter(tab.book.runs.values())).status == "stopped"
    assert tab.train_button.isEnabled() and tab.net is not None


def test_thresholds_refilter_without_rerunning_the_network(trained, monkeypatch) -> None:
    tab = trained.detect
    view = tab.view
    calls = []
    monkeypatch.setattr(tab.net, "forward", lambda *a: calls.append(a))
    view.score.setValue(0.0)
    view.nms.setValue(1.0)
    view.redraw()
    many = len(view.detections)
    view.nms.setValue(0.1)
    view.redraw()
    few = len(view.detections)
    assert few < many and calls == []
    boxes = torch.from_numpy(view.detections.boxes)
    assert float(box_iou(boxes, boxes).fill_diagonal_(0).max()) <= 0.1 + 1e-6
    view.score.setValue(1.0)
    view.redraw()
    assert len(view.detections) == 0  # nothing scores 1.0 after 2 tiny epochs
    view.show_raw.setChecked(True)
    view.score.setValue(0.0)
    view.redraw()
    assert len(view.canvas.layer("raw").boxes) > len(view.detections)


def _drop_file(widget, path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    QApplication.sendEvent(widget, QDropEvent(pos, Qt.DropAction.CopyAction, mime,
                                              Qt.MouseButton.LeftButton,
                                              Qt.KeyboardModifier.NoModifier))


def test_a_dropped_image_of_any_size_and_mode_gets_boxes(trained, qtbot, tmp_path) -> None:
    tab = trained.detect
    tab.view.score.setValue(0.0)
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (50, 130), np.uint8),
                    mode="L").save(tmp_path / "gray.png")
    with qtbot.waitSignal(tab.predict_runner.finished, timeout=30_000):
        _drop_file(tab.view.canvas, tmp_path / "gray.png")
    assert tab.view.image.shape == (50, 130, 3)
    boxes = tab.view.canvas.layer("pred").boxes
    assert len(boxes) >= 1
    assert tab.view.raw.image_size == (130, 50)  # boxes in the dropped image's pixels


def test_a_dropped_image_before_training_says_so(window, qtbot, tmp_path, context) -> None:
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "x.png")
    with qtbot.waitSignal(window.detect.view.canvas.image_loaded, timeout=10_000):
        _drop_file(window.detect.view.canvas, tmp_path / "x.png")
    assert "no detector" in window.detect.view.readout.text()


def test_raw_predictions_reach_the_nms_panel(trained) -> None:
    tab, lab = trained.detect, trained.lab
    tab.view.score.setValue(0.05)
    tab.view.redraw()
    payload = tab.view.nms_payload()
    tab.view.step_nms.click()
    assert trained.shown == "detection"
    panel = lab.current_panel()
    assert type(panel).__name__ == "NmsPanel"
    np.testing.assert_allclose(panel.boxes, payload["boxes"], rtol=1e-6)
    assert lab.image_size() == (64, 64)
    assert panel.score_threshold.value() == pytest.approx(0.05, abs=0.01)
    # stepping to the end keeps what the Detect tab's NMS kept
    panel.run_to_end()
    kept = sorted(panel.final_kept())
    assert len(kept) == len(tab.view.detections)


def test_weights_of_another_architecture_give_a_message(window, tmp_path, qtbot) -> None:
    from engine.models.toys import ToySSD

    path = tmp_path / "toy.pth"
    torch.save(ToySSD(3, 1).state_dict(), path)
    assert not window.detect.load_weights(str(path))
    assert "another architecture" in window.detect.status.text()
    (tmp_path / "junk.pth").write_text("not weights")
    assert not window.detect.load_weights(str(tmp_path / "junk.pth"))
    assert window.detect.net is None


def test_good_weights_load_and_predict(window, tmp_path, qtbot) -> None:
    from engine.detection.ssd import TinySSD

    path = tmp_path / "tiny.pth"
    torch.save(TinySSD(1).state_dict(), path)
    tab = window.detect
    tab.form.n_train.setValue(32)
    with qtbot.waitSignal(tab.predict_runner.finished, timeout=120_000):
        assert tab.load_weights(str(path), side=64)
    assert tab.gallery.count() == 100 and tab.view.raw is not None


def test_the_form_defaults_to_adam_and_remembers_what_the_learner_chose(qtbot, context) -> None:
    from engine.detection.ssd import RECIPES

    tab = DetectTab(context)
    qtbot.addWidget(tab)
    controls = tab.controls  # before any run: only Train can be pressed
    assert controls.train_button.isEnabled()
    assert not any(b.isEnabled() for b in (controls.pause_button, controls.resume_button,
                                           controls.stop_button))
    cfg = tab.config()
    assert (cfg.optimizer, cfg.lr, cfg.dataset_options["size"]) == ("adam", 1e-3, 128)
    assert cfg.model.name == "tiny-ssd" and cfg.dataset == "bananas"
    tab.form.recipe.setCurrentIndex(tab.form.recipe.findData("sgd"))  # the book's recipe
    assert tab.form.lr.value() == pytest.approx(RECIPES["sgd"]["lr"])
    tab.form.size.setCurrentIndex(tab.form.size.findData(256))
    tab.form.epochs.setValue(3)
    tab.form.remember()  # what Train does before starting
    tab.shutdown()

    again = DetectTab(context)
    qtbot.addWidget(again)
    cfg = again.config()
    assert (cfg.optimizer, cfg.lr, cfg.num_epochs) == ("sgd", 0.2, 3)
    assert cfg.dataset_options == {"size": 256}
    again.shutdown()


# -- torchvision's COCO detectors, from the cache only --------------------------------------
class FakeCocoDetector(torch.nn.Module):
    """Stands in for a torchvision detector: fixed boxes in torchvision's output format."""

    def __init__(self) -> None:
        super().__init__()
        self.bias = torch.nn.Parameter(torch.zeros(1))
        self.calls: list[tuple[int, ...]] = []

    def forward(self, images):
        self.calls.append(tuple(images[0].shape))
        device = images[0].device
        return [{"boxes": torch.tensor([[2.0, 3.0, 20.0, 15.0], [40.0, 5.0, 70.0, 30.0]],
                                       device=device),
                 "scores": torch.tensor([0.9, 0.3], device=device),
                 "labels": torch.tensor([1, 2], device=device)}]


FAKE_CATEGORIES = ("__background__", "cat", "kite")


@pytest.fixture
def cached(monkeypatch, tmp_path):
    """Every COCO detector 'cached' (a file where cache_file points)."""
    from engine.detection import ssd_pretrained

    def cache_file(name):
        path = tmp_path / "hub" / "checkpoints" / f"{name}.pth"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        return path

    monkeypatch.setattr(ssd_pretrained, "cache_file", cache_file)


def _messages(context):
    seen = []
    context.message_posted.connect(lambda level, text: seen.append((level, text)))
    return seen


def test_not_cached_coco_detectors_are_disabled_with_the_path(window, tmp_path) -> None:
    from engine.detection.ssd_pretrained import DETECTORS, cache_file

    chooser = window.detect.detector
    before = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / "empty-hub"))
    try:
        chooser.showPopup()  # opening the list re-reads the cache
        chooser.hidePopup()
        assert chooser.count() == 1 + len(DETECTORS)
        assert chooser.itemText(0) == "TinySSD (trained here)"
        for i, name in enumerate(DETECTORS, start=1):
            assert chooser.itemData(i) == name
            assert chooser.itemText(i).endswith("(not cached)")
            assert not chooser.model().item(i).isEnabled()
            tip = chooser.itemData(i, Qt.ItemDataRole.ToolTipRole)
            path = str(cache_file(name))
            assert path.startswith(str(tmp_path / "empty-hub")) and path in tip
            assert "never downloads" in tip
    finally:
        torch.hub.set_dir(before)


def test_showing_the_tab_rereads_the_cache(window, monkeypatch, tmp_path) -> None:
    from engine.detection import ssd_pretrained

    tab = window.detect
    monkeypatch.setattr(ssd_pretrained, "cache_file", lambda name: tmp_path / f"{name}.pth")
    tab.detector.refresh()
    assert not tab.detector.model().item(1).isEnabled()
    for name in ssd_pretrained.DETECTORS:  # the files copied in while the tab was hidden
        (tmp_path / f"{name}.pth").write_bytes(b"x")
    tab.hide()
    tab.show()
    assert all(tab.detector.model().item(i).isEnabled() for i in (1, 2))
    assert tab.detector.itemText(1).endswith("(cached)")
    assert str(tmp_path) in tab.detector.itemData(1, Qt.ItemDataRole.ToolTipRole)


def test_a_cached_coco_detector_boxes_a_dropped_image_and_the_sliders_refilter(
        window, qtbot, tmp_path, monkeypatch, cached) -> None:
    from engine.detection import ssd_pretrained

    fake = FakeCocoDetector()
    monkeypatch.setattr(ssd_pretrained, "load_detector", lambda name: (fake, FAKE_CATEGORIES))
    tab = window.detect
    tab.detector.refresh()
    assert tab.detector.itemText(1).endswith("(cached)")
    assert tab.detector.model().item(1).isEnabled()
    with qtbot.waitSignal(tab.load_runner.finished, timeout=10_000):
        tab.detector.setCurrentIndex(1)
    assert tab.coco is not None and "ready" in tab.detector_status.text()
    assert "stay TinySSD" in tab.view.caption.text() and not tab.view.caption.isHidden()
    tab.view.score.setValue(0.2)
    Image.fromarray(np.full((40, 90), 128, np.uint8), mode="L").save(tmp_path / "photo.png")
    with qtbot.waitSignal(tab.predict_runner.finished, timeout=10_000):
        _drop_file(tab.view.canvas, tmp_path / "photo.png")
    assert fake.calls == [(3, 40, 90)]  # the full image, RGB
    assert tab.view.raw.image_size == (90, 40)
    np.testing.assert_allclose(tab.view.canvas.layer("pred").boxes,
                               [[2, 3, 20, 15], [40, 5, 70, 30]])
    assert tab.view.pred_labels == ["cat 0.90", "kite 0.30"]
    assert "photo.png" in tab.view.readout.text()
    tab.view.score.setValue(0.5)  # above the kite's score
    tab.view.redraw()
    assert tab.view.pred_labels == ["cat 0.90"]
    assert len(tab.view.canvas.layer("pred").boxes) == 1
    assert len(fake.calls) == 1  # re-filtered, not re-run
    tab.detector.setCurrentIndex(0)  # back to TinySSD: untrained, so no boxes
    assert tab.view.raw is None and not tab.view.caption.isVisible()
    assert "no detector" in tab.view.readout.text()


def test_a_coco_detector_that_fails_to_load_gives_a_message_and_tinyssd(
        window, qtbot, monkeypatch, cached, context) -> None:
    from engine.detection import ssd_pretrained

    def broken(name):
        raise ValueError(f"{name}: could not load the cached weights /x/y.pth")

    monkeypatch.setattr(ssd_pretrained, "load_detector", broken)
    seen = _messages(context)
    tab = window.detect
    tab.detector.refresh()
    with qtbot.waitSignal(tab.load_runner.finished, timeout=10_000):
        tab.detector.setCurrentIndex(2)
    assert tab.detector.currentIndex() == 0 and tab.coco is None
    assert any(level == "error" and "could not load the cached weights" in text
               for level, text in seen)
    assert "back to TinySSD" in tab.detector_status.text()
    assert not tab.view.caption.isVisible()
