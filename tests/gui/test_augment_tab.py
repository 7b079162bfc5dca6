"""Augment tab: sliders update the grid, inspector, undo, files, drops, bad images."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from engine.augment import PipelineSpec, augment_preset, step, to_code
from gui.tabs.augment.source import SYNTHETIC
from gui.tabs.augment_tab import PIPELINE_KEY, AugmentTab


@pytest.fixture
def tab(qtbot, context):
    context.settings.setValue(PIPELINE_KEY, augment_preset("book: horizontal flip").to_json())
    t = AugmentTab(context)
    qtbot.addWidget(t)
    t.resize(1200, 800)
    t.show()
    qtbot.waitExposed(t)
    _wait_idle(qtbot, t)
    yield t
    assert t.shutdown()  # no preview job outlives its test


def _wait_idle(qtbot, tab):
    qtbot.waitUntil(lambda: bool(tab.samples) and not tab.preview_runner.is_running()
                    and not tab._dirty, timeout=20000)


def _grid_images(tab):
    return [t.data.image.copy() for t in tab.grid.tiles if t.data is not None]


def test_default_is_the_cat_with_its_boxes_in_a_2x4_grid(tab):
    assert tab.source.name == "cat.jpg" and tab.source.labels == ("cat", "eye", "eye", "nose")
    assert len(tab.grid.tiles) == 8 and all(t.data is not None for t in tab.grid.tiles)
    assert all(len(t.data.boxes) == 4 for t in tab.grid.tiles)  # a flip keeps every box
    assert "eye" in tab.grid.tiles[0].data.labels
    assert "RandomHorizontalFlip" in tab.grid.tiles[0].toolTip()


def test_moving_a_slider_updates_the_grid(tab, qtbot):
    tab.set_spec(PipelineSpec((step("ColorJitter", brightness=0.0, contrast=0.0,
                                    saturation=0.0, hue=0.0),)), current=0)
    _wait_idle(qtbot, tab)
    before = _grid_images(tab)
    assert all(np.array_equal(b, tab.source.image) for b in before)  # factor 0: unchanged
    slider = tab.form.editors["brightness"]
    slider.slider.setValue(0.8)  # as a drag does: superqt emits valueChanged
    qtbot.waitUntil(lambda: tab.spec.steps[0].params["brightness"] == pytest.approx(0.8),
                    timeout=5000)
    _wait_idle(qtbot, tab)
    after = _grid_images(tab)
    assert not any(np.array_equal(b, a) for b, a in zip(before, after, strict=True))
    assert "brightness ×" in tab.grid.tiles[0].toolTip()
    # one slider gesture is one undo step
    slider.slider.setValue(0.9)
    qtbot.waitUntil(lambda: tab.spec.steps[0].params["brightness"] == pytest.approx(0.9))
    tab.undo()
    assert tab.spec.steps[0].params["brightness"] == 0.0


def test_range_slider_edits_the_crop_scale(tab, qtbot):
    tab.use_preset("book: shape_aug")
    _wait_idle(qtbot, tab)
    tab.form.editors["scale"].slider.setValue((0.5, 0.6))
    qtbot.waitUntil(lambda: tab.spec.steps[0].params["scale"] == (0.5, 0.6), timeout=5000)
    _wait_idle(qtbot, tab)
    for s in tab.samples:
        left, top, w, h = s.draws[0].params["crop"]
        assert 0.45 <= w * h / (451 * 300) <= 0.65


def test_inspector_shows_every_step(tab, qtbot):
    tab.use_preset("book: augs")
    tab.set_spec(tab.spec.append(step("RandomRotation")))
    _wait_idle(qtbot, tab)
    tab.views.setCurrentIndex(1)
    qtbot.waitUntil(lambda: len(tab.inspector.frames) == 5, timeout=20000)
    titles = [label.text() for _tile, label in tab.inspector.frames]
    for i, name in enumerate(["RandomHorizontalFlip", "ColorJitter", "RandomResizedCrop",
                              "RandomRotation"], start=1):
        assert f"{i}. {name}" in titles[i]
    assert "crop" in titles[3] and "rotate" in titles[4]
    np.testing.assert_array_equal(tab.frames[-1].image, tab.samples[0].image)
    tab.inspect_spin.setValue(3)
    qtbot.waitUntil(lambda: np.array_equal(tab.frames[-1].image, tab.samples[2].image),
                    timeout=20000)


def test_add_remove_reorder_disable_and_undo_redo(tab, qtbot):
    tab.pipeline.add_actions["RandomRotation"].trigger()
    assert [s.type for s in tab.spec.steps] == ["RandomHorizontalFlip", "RandomRotation"]
    assert tab.params_box.title() == "Step 2: RandomRotation"
    tab.move_step(1, 0)
    assert [s.type for s in tab.spec.steps] == ["RandomRotation", "RandomHorizontalFlip"]
    item = tab.pipeline.list.item(0)
    item.setCheckState(Qt.CheckState.Unchecked)
    assert not tab.spec.steps[0].enabled
    tab.remove_step(1)
    assert [s.type for s in tab.spec.steps] == ["RandomRotation"]
    tab.undo()
    tab.undo()
    assert [s.type for s in tab.spec.steps] == ["RandomRotation", "RandomHorizontalFlip"]
    assert tab.spec.steps[0].enabled
    tab.redo()
    assert not tab.spec.steps[0].enabled
    _wait_idle(qtbot, tab)
    assert "RandomRotation" not in tab.grid.tiles[0].toolTip()  # disabled: not run


def test_synthetic_scene_shows_its_mask_following_the_image(tab, qtbot):
    tab.load(SYNTHETIC)
    tab.use_preset("geometry: rotate + perspective")
    _wait_idle(qtbot, tab)
    data = tab.grid.tiles[0].data
    assert data.mask is not None and data.mask.shape == data.image.shape[:2]
    assert (data.mask > 0).sum() > 1000
    tab.overlay_check.setChecked(False)
    assert not tab.grid.tiles[0].show_overlays


def test_copy_as_code_and_save_load_round_trip(tab, qtbot, tmp_path):
    tab.use_preset("book: augs")
    code = tab.copy_code()
    assert QApplication.clipboard().text() == code == to_code(tab.spec)
    path = tmp_path / "pipe.json"
    assert tab.save_pipeline(str(path))
    assert json.loads(path.read_text())["steps"][2]["params"]["scale"] == [0.1, 1.0]
    tab.use_preset("AutoAugment")
    assert tab.load_pipeline(str(path))
    assert tab.spec == augment_preset("book: augs")
    bad = tmp_path / "bad.json"
    bad.write_text('{"steps": [{"type": "ColorJitter", "params": {"hue": 0.9}}]}')
    assert not tab.load_pipeline(str(bad))
    assert "ColorJitter.hue" in tab.status.text()
    assert tab.spec == augment_preset("book: augs")  # nothing lost


def test_pipeline_survives_closing_the_tab(qtbot, context):
    context.settings.setValue(PIPELINE_KEY, "")
    first = AugmentTab(context)
    qtbot.addWidget(first)
    first.use_preset("book: color_aug")
    first.shutdown()
    second = AugmentTab(context)
    qtbot.addWidget(second)
    assert second.spec == augment_preset("book: color_aug")
    second.shutdown()


def test_a_corrupt_image_shows_a_message_and_keeps_the_image(tab, qtbot, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    messages = []
    tab.context.message_posted.connect(lambda level, text: messages.append((level, text)))
    assert not tab.open_image(str(bad))
    assert "broken.png" in tab.source_info.text()
    assert messages and messages[-1][0] == "error"
    assert tab.source.name == "cat.jpg"


def test_dropping_an_image_file_loads_it(tab, qtbot, tmp_path):
    from PIL import Image

    path = tmp_path / "red.png"
    Image.fromarray(np.full((40, 60, 3), (200, 10, 10), np.uint8)).save(path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    tab.dropEvent(event)
    assert tab.source.name == "red.png" and tab.source.boxes is None
    _wait_idle(qtbot, tab)
    assert tab.samples[0].image.shape == (40, 60, 3)


def test_click_opens_a_large_view(tab, qtbot):
    qtbot.mouseClick(tab.grid.tiles[2], Qt.MouseButton.LeftButton)
    assert tab.large_view is not None and tab.large_view.isVisible()
    assert "Sample 3" in tab.large_view.tile.data.tooltip
    tab.large_view.close()


def test_a_failing_step_shows_its_message(tab, qtbot):
    tab.set_spec(PipelineSpec((step("RandomCrop", size=(900, 900), pad_if_needed=False),)))
    qtbot.waitUntil(lambda: "RandomCrop" in tab.status.text()
                    or "larger" in tab.status.text(), timeout=10000)


def test_no_preview_starts_after_shutdown(tab, qtbot):
    tab.set_spec(tab.spec.append(step("RandomRotation")))
    tab.set_spec(tab.spec.append(step("ColorJitter")))  # pending while the first one runs
    assert tab.shutdown()
    qtbot.wait(300)  # the finished signal of the stopped preview is delivered here
    assert not tab.preview_runner.is_running()
    tab.request_preview()
    assert not tab.preview_runner.is_running()


def test_kernel_size_slider_moves_in_odd_steps(tab, qtbot):
    tab.set_spec(PipelineSpec((step("GaussianBlur"),)), current=0)
    slider = tab.form.editors["kernel_size"]
    slider.slider.setValue(8.0)  # between two odd sizes: the form snaps, never sends 8
    qtbot.waitUntil(lambda: tab.spec.steps[0].params["kernel_size"] != 5, timeout=5000)
    assert tab.spec.steps[0].params["kernel_size"] in (7, 9)
    assert slider.value() == tab.spec.steps[0].params["kernel_size"]  # shown as used
    assert not tab.form.error_label.isVisible()


def test_use_in_training_reaches_the_train_tab_and_trains_with_it(qtbot, context):
    """The book's experiment from the tab: an augmented and a plain run, overlaid."""
    from gui.main_window import MainWindow

    context.settings.setValue(PIPELINE_KEY, "")
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(window.tabs_ready, timeout=20000)
    aug, train = window.tab("augment"), window.tab("train")
    window.show_tab("augment")
    aug.use_preset("32×32 training: crop + flip")
    train.data.set_dataset("procedural-shapes")  # 28×28 grey: a 32×32 crop does not fit
    qtbot.mouseClick(aug.train_button, Qt.MouseButton.LeftButton)
    assert window.current_tab() is train
    assert train.augmentation.spec == aug.spec
    assert train.data.name == "colour-shapes"  # switched to the offline colour set, and said so
    assert "does not fit procedural-shapes" in train.banner.text()
    assert "colour shapes" in train.banner.text()
    train.source.set_preset("softmax-regression")
    train.data.set_dataset("colour-shapes")
    train.data.set_subset(128, 64)
    train.hparams.set_values(num_epochs=1, batch_size=32)
    with qtbot.waitSignal(train.runner.finished, timeout=60000):
        assert train.start_training()
    assert train.session.config.transforms[0]["name"] == "pipeline"
    assert train.session.config.transforms[0]["spec"] == aug.spec.to_dict()
    train.augmentation.clear_button.click()
    with qtbot.waitSignal(train.runner.finished, timeout=60000):
        assert train.start_training()
    assert train.session.config.transforms == ()
    first, second = train.runs[1], train.runs[2]
    assert first.status == second.status == "finished"
    assert first.dataset == "colour-shapes + 32×32 training: crop + flip"
    assert second.dataset == "colour-shapes"
    train.runs_panel.select([1, 2])
    names = train.curves.series_names()
    assert "run 1 colour-shapes + 32×32 training: crop + flip · test acc" in names
    assert "run 2 colour-shapes · test acc" in names
    window.close()


def test_use_in_training_refuses_mixup_with_a_message(tab):
    tab.use_preset("MixUp / CutMix")
    sent = []
    tab.context.augmentation_sent.connect(sent.append)
    assert not tab.use_in_training()
    assert not sent and "MixUp" in tab.status.text()
