"""The Style tab: start → the preview updates → stop; live steering; the fallback is
labelled; saving; remembered settings; a bad weights file is a message."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from engine.style import StyleSettings, untrained_features
from gui.tabs.style.job import NetReady, WeightsRequest
from gui.tabs.style_tab import StyleTab

TINY = StyleSettings(image_size=32, num_epochs=10_000, style_layers=(0, 5),
                     content_layers=(7,), content_weight=1.0, style_weight=100.0,
                     tv_weight=10.0)


@pytest.fixture(scope="module")
def small_net():
    return untrained_features(num_layers=8)


@pytest.fixture
def tab(qtbot, context, small_net):
    t = StyleTab(context)
    qtbot.addWidget(t)
    t.resize(1200, 800)
    t.show()
    t.live.set(TINY)
    t.controls.set_source("untrained")
    t._net = NetReady(WeightsRequest("untrained"), small_net)  # skip building all 37 layers
    yield t
    t.shutdown()


def progress_count(tab):
    return len(tab.plot.series_data("style")[0])


def test_start_updates_the_preview_then_stop_keeps_it(tab, qtbot):
    content = tab.content_pane.image().copy()
    assert tab.start()
    assert not tab.start_btn.isEnabled() and tab.stop_btn.isEnabled()
    qtbot.waitUntil(lambda: progress_count(tab) >= 3, timeout=20_000)
    shown = tab.output.image()
    assert shown.shape == (21, 32, 3) and shown.shape != content.shape
    assert "s/step" in tab.progress.format() and "ETA" in tab.progress.format()
    assert tab.snapshots.snapshots()[0][1] == 1
    with qtbot.waitSignal(tab.runner.finished, timeout=20_000):
        tab.stop()
    assert tab.start_btn.isEnabled() and not tab.stop_btn.isEnabled()
    assert "stopped at step" in tab.progress.format()
    assert tab.result() is not None and tab.save_btn.isEnabled()
    np.testing.assert_array_equal(tab.output.image(), tab.result())


def test_the_untrained_fallback_is_labelled(tab, qtbot):
    tab.start()
    qtbot.waitUntil(lambda: progress_count(tab) >= 1, timeout=20_000)
    assert tab.banner.isVisible() and "Approximate" in tab.banner.text()
    assert "approximate" in tab.controls.weights_label.text()
    assert "untrained" in tab.status.text() or "untrained" in tab.controls.weights_label.text()
    tab.stop()


def test_a_slider_steers_the_running_job(tab, qtbot):
    tab.start()
    qtbot.waitUntil(lambda: progress_count(tab) >= 2, timeout=20_000)
    tab.controls.style_weight.slider.setValue(0)  # leftmost but one: 1e-2
    assert tab.live.get().style_weight == pytest.approx(0.01)
    qtbot.waitUntil(lambda: "/ 0.01 /" in tab.status.text(), timeout=20_000)
    tab.controls.content_weight.edit.setText("0")
    tab.controls.content_weight.edit.editingFinished.emit()
    assert tab.live.get().content_weight == 0.0
    tab.controls.content_weight.edit.setText("banana")
    tab.controls.content_weight.edit.editingFinished.emit()
    assert tab.live.get().content_weight == 0.0  # bad text: the value in use stays
    tab.stop()


def test_pause_resume_and_reset(tab, qtbot):
    tab.start()
    qtbot.waitUntil(lambda: progress_count(tab) >= 1, timeout=20_000)
    tab.toggle_pause()
    assert tab.pause_btn.text() == "Resume" and tab.runner.is_paused()
    tab.toggle_pause()
    assert not tab.runner.is_paused()
    tab.reset()
    assert tab.result() is None and tab.snapshots.snapshots() == []
    qtbot.waitUntil(lambda: not tab.runner.is_running(), timeout=20_000)
    np.testing.assert_array_equal(tab.output.image(), tab.content_pane.image())


def test_save_result_png(tab, qtbot, tmp_path):
    assert not tab.save_result(str(tmp_path / "none.png"))  # nothing yet
    tab.live.set(TINY.with_changes(num_epochs=3))
    with qtbot.waitSignal(tab.runner.finished, timeout=20_000):
        tab.start()
    assert "done: 3 steps" in tab.progress.format()
    folder = tmp_path / "results"
    folder.mkdir()
    assert tab.save_result(str(folder / "out.png"))
    saved = np.asarray(Image.open(folder / "out.png"))
    np.testing.assert_array_equal(saved, tab.result())
    assert [p.name for p in folder.iterdir()] == ["out.png"]  # no temp file left


def test_settings_and_images_are_remembered(qtbot, context, tab, assets_dir):
    tab.controls.tv_weight.edit.setText("3.5")
    tab.controls.tv_weight.edit.editingFinished.emit()
    tab.style_pane.load(str(assets_dir / "hubble.jpg"))
    combo = tab.controls.source
    combo.setCurrentIndex(combo.findData("untrained"))
    combo.activated.emit(combo.currentIndex())  # as a user's pick does
    again = StyleTab(context)
    qtbot.addWidget(again)
    assert again.live.get().tv_weight == 3.5 and again.controls.tv_weight.value() == 3.5
    assert again.live.get().image_size == 32 and again.controls.size.value() == 32
    assert again.style_pane.path.endswith("hubble.jpg")
    assert again.controls.source_key() == "untrained"


def test_a_bad_weights_file_is_a_message(tab, qtbot, context, tmp_path):
    torch.save({"conv1.weight": torch.zeros(2, 2)}, tmp_path / "resnet.pth")
    tab.controls.set_source("file")
    tab._weights_path = str(tmp_path / "resnet.pth")
    messages = []
    context.message_posted.connect(lambda level, text: messages.append((level, text)))
    with qtbot.waitSignal(tab.runner.finished, timeout=20_000):
        assert tab.start()
    assert any(level == "error" and "'features.0.weight'" in text for level, text in messages)
    assert tab.start_btn.isEnabled()


def test_start_without_a_weights_file_says_so(tab):
    tab.controls.set_source("file")
    tab._weights_path = ""
    assert not tab.start()
    assert "Pick a VGG-19 .pth file" in tab.status.text()


def test_unusable_remembered_settings_fall_back_to_defaults(settings):
    from gui.tabs.style.state import SETTINGS_KEY, restore_settings

    for junk in ("{not json", "[1, 2]", '{"style_weight": -5}', '{"style_layers": [99]}'):
        settings.setValue(SETTINGS_KEY, junk)
        assert restore_settings(settings, TINY) == TINY
    settings.setValue(SETTINGS_KEY, '{"lr": 0.05, "unknown": 1}')
    assert restore_settings(settings, TINY) == TINY.with_changes(lr=0.05)


def drop_file(widget, path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(widget, QDropEvent(pos, Qt.DropAction.CopyAction, mime,
                                              Qt.MouseButton.LeftButton,
                                              Qt.KeyboardModifier.NoModifier))


def test_drop_a_style_image_of_another_mode_and_a_broken_one(tab, tmp_path, context):
    gray = np.tile(np.arange(60, dtype=np.uint8), (40, 1))
    Image.fromarray(gray, mode="L").save(tmp_path / "gray.png")
    drop_file(tab.style_pane.canvas, tmp_path / "gray.png")
    assert tab.style_pane.image().shape == (40, 60, 3)
    assert context.settings.value("style/style_path").endswith("gray.png")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff not really")
    drop_file(tab.style_pane.canvas, tmp_path / "broken.jpg")
    assert tab.style_pane.image().shape == (40, 60, 3)  # the previous image stays
    assert "broken.jpg" in tab.style_pane.info.text()


def test_a_diverging_run_is_reported_and_keeps_the_last_good_image(tab, qtbot, context):
    from torch import nn

    from engine.style import StyleNet

    class Poison(nn.Module):  # identity for the target pass and two steps, then NaN
        calls = 0

        def forward(self, X):
            Poison.calls += 1
            return X * float("nan") if Poison.calls > 3 else X

    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), Poison()).requires_grad_(False)
    tab._net = NetReady(WeightsRequest("untrained"), StyleNet(net, "untrained", "poison",
                                                              approximate=True))
    tab.live.set(TINY.with_changes(content_layers=(1,), style_layers=(0,)))
    messages = []
    context.message_posted.connect(lambda level, text: messages.append((level, text)))
    with qtbot.waitSignal(tab.runner.finished, timeout=20_000):
        tab.start()
    assert "diverged at step 3" in tab.progress.format()
    assert any(level == "error" and "non-finite at step 3" in text for level, text in messages)
    assert "last good image is kept" in tab.status.text()
    np.testing.assert_array_equal(tab.output.image(), tab.result())
    assert tab.snapshots.snapshots()[0][1] == 1 and tab.start_btn.isEnabled()
