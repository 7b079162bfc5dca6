"""Inside tab: feature maps, attribution and evaluation views render for a tiny net;
dropped images are fitted; bad input gives messages; a trained run is offered."""

from __future__ import annotations

import numpy as np
import pytest

from gui.tabs.inside.jobs import Source
from gui.tabs.inside_tab import InsideTab


@pytest.fixture
def tab(qtbot, context):
    t = InsideTab(context)
    qtbot.addWidget(t)
    t.resize(1280, 800)
    t.show()
    qtbot.waitExposed(t)
    qtbot.waitUntil(lambda: t.subject is not None and t.maps.layer_count() > 0, timeout=60000)
    yield t
    t.shutdown()


def test_lenet_maps_render_and_enlarge(tab, qtbot):
    assert tab.subject.title == "lenet (untrained)" and tab.subject.input_shape == (1, 28, 28)
    assert tab.maps.layer_count() == 2
    shapes = [m.shape for m in tab.maps._maps]
    assert shapes == [(6, 28, 28), (16, 10, 10)]
    label = tab.maps.rows_layout.itemAt(3).widget()  # layer 2's grid
    m = label.mosaic
    assert (m.cols * m.rows >= 16) and m.channels == 16
    label.channel_clicked.emit(5)
    assert tab.maps.enlarged == (1, 5) and "channel 5" in tab.maps.big_title.text()
    assert "%" in tab.source.predictions.text() and "true class" in tab.source.predictions.text()
    image = tab.maps.grab().toImage()
    assert image.width() > 0


def test_colour_scale_toggle_and_sample_change_refresh(tab, qtbot):
    before = tab.maps._mosaics[0].image.copy()
    with qtbot.waitSignal(tab.maps_runner.finished, timeout=30000):
        tab.maps.shared.setChecked(False)
    after = tab.maps._mosaics[0].image
    assert before.shape == after.shape and not np.array_equal(before, after)
    with qtbot.waitSignal(tab.maps_runner.finished, timeout=30000):
        tab.source.sample.setValue(3)
    assert "test sample 3" in tab.source.input_note.text()


def test_dropped_colour_image_is_fitted_with_a_note(tab, qtbot):
    rgb = np.zeros((60, 90, 3), np.uint8)
    rgb[10:50, 20:70] = (255, 200, 0)
    with qtbot.waitSignal(tab.maps_runner.finished, timeout=30000):
        tab.set_input_image(rgb, "photo.png")
    note = tab.source.input_note.text()
    assert "greyscale" in note and "90×60" in note and "photo.png" in note
    assert tuple(tab.x.shape) == (1, 28, 28)


def test_attribution_views_render(tab, qtbot):
    tab.pages.setCurrentWidget(tab.attribution)
    for method in ("saliency", "integrated-gradients", "grad-cam"):
        tab.attribution.method.setCurrentIndex(tab.attribution.method.findData(method))
        with qtbot.waitSignal(tab.attr_runner.finished, timeout=30000):
            tab.attribution._emit()
        assert tab.attribution.overlay.pixmap() is not None
        assert not tab.attribution.overlay.pixmap().isNull()
        assert "predicts" in tab.attribution.summary.text()
    assert "layer 3" in tab.attribution.summary.text()  # Grad-CAM's default: the last conv


def test_evaluation_confusion_matrix_cells_and_gallery(tab, qtbot):
    tab.pages.setCurrentWidget(tab.evaluation)
    with qtbot.waitSignal(tab.eval_runner.finished, timeout=60000):
        tab.evaluate()
    result = tab.evaluation.result
    assert result is not None and result.confmat.sum() == len(result.labels) > 0
    table = tab.evaluation.confusion
    assert table.rowCount() == table.columnCount() == 10
    assert sum(int(table.item(i, j).text()) for i in range(10) for j in range(10)) == \
        result.confmat.sum()
    assert tab.evaluation.gallery.count() == 60
    first = result.ranked[0]
    assert str(int(first)) in tab.evaluation.gallery.item(0).toolTip()
    true, pred = int(result.labels[first]), int(result.preds[first])
    tab.evaluation.cell_clicked.emit(true, pred)
    assert tab.evaluation.gallery.count() == min(60, len(result.cell(true, pred)))
    assert "samples" in tab.evaluation.gallery_title.text()
    assert tab.evaluation.classes.rowCount() == 10


def test_network_without_conv_says_so(tab, qtbot):
    from engine.models import ModelRef

    with qtbot.waitSignal(tab.maps_runner.finished, timeout=60000):
        tab.load_source(Source("ref", "mlp (untrained)", ref=ModelRef.preset("mlp")))
    qtbot.waitUntil(lambda: tab.subject.title == "mlp (untrained)", timeout=30000)
    qtbot.waitUntil(lambda: "no convolutional layer" in tab.maps.rows.findChildren(
        type(tab.maps.status))[0].text() if tab.maps.rows.findChildren(
        type(tab.maps.status)) else False, timeout=30000)
    assert tab.attribution.layer.count() == 0


def test_bad_checkpoint_gives_a_message(tab, qtbot, tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"garbage")
    with qtbot.waitSignal(tab.subject_runner.finished, timeout=30000):
        tab.load_source(Source("checkpoint", path=str(bad)))
    assert "not a readable checkpoint" in tab.source.weights.text()


def test_a_shared_trained_run_is_offered_and_loads(tab, qtbot, context):
    from engine.models import ModelRef
    from engine.training import Prepared, RunConfig, run

    cfg = RunConfig(model=ModelRef.preset("lenet"), dataset="procedural-shapes", n_train=64,
                    n_test=32, batch_size=32, num_epochs=1, lr=0.9, device="cpu")
    model = next(e for e in run(cfg) if isinstance(e, Prepared)).model
    context.share_model(model, "run 1: lenet")
    assert tab.source.network.itemText(0) == "Trained: run 1: lenet"
    with qtbot.waitSignal(tab.maps_runner.finished, timeout=60000):
        tab.source._on_network_activated(0)
    qtbot.waitUntil(lambda: tab.subject.title == "run 1: lenet", timeout=30000)
    assert tab.subject.net is model.net


def test_init_experiment_fills_gradient_norms_and_histograms(tab, qtbot):
    tab.pages.setCurrentWidget(tab.weights)
    with qtbot.waitSignal(tab.weights.sequence.done, timeout=120000):
        tab.run_experiment(n_train=256, n_test=64, num_epochs=1, batch_size=32)
    view = tab.weights.view
    assert set(view.latest) == {"sigmoid + N(0, 1)", "sigmoid + Xavier"}
    assert view.series_count() == 2 * 5  # 5 weight layers per run
    x, y = view.norms.series_data("sigmoid + Xavier · 1.weight")
    assert len(x) == 2 and np.all(np.isfinite(y))  # steps 1 and 6 of 8 (every 5)
    assert len(view.hist_w.getPlotItem().listDataItems()) == 2
    curves = tab.weights.sequence.curves  # the shared CurvesView, both runs overlaid
    assert [r.network for r in curves.shown] == ["sigmoid + N(0, 1)", "sigmoid + Xavier"]
    assert all(r.status == "finished" and "test_acc" in r.curves for r in curves.shown)
    names = curves.series_names()
    assert any(n.startswith("run 1") for n in names) and any(n.startswith("run 2") for n in names)
    assert tab.weights.run.isEnabled() and "finished" in tab.weights.status.text()


def _image_folder(root, classes=("hotdog", "not-hotdog"), n=3):
    from PIL import Image

    rng = np.random.default_rng(0)
    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 255, (40, 50, 3), dtype=np.uint8)).save(
                root / c / f"{i}.png")
    return root


def test_finetune_without_weights_runs_from_scratch_and_says_so(tab, qtbot, tmp_path,
                                                                 monkeypatch):
    import torch

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "empty-hub"))
    page = tab.finetune
    assert not tab.run_finetune() and "Choose an image folder" in page.status.text()
    page.folder.setText(str(_image_folder(tmp_path / "imgs")))
    page.epochs.setValue(1)
    page.batch.setValue(4)
    with qtbot.waitSignal(page.sequence.done, timeout=180000):
        assert tab.run_finetune()
    assert "not in torchvision's cache" in page.weights_note.text()
    assert "from-scratch network only" in page.weights_note.text()
    runs = page.sequence.curves.shown
    assert [r.network for r in runs] == ["from scratch"] and "test_acc" in runs[0].curves
    assert "Finished: from scratch" in page.status.text()


def test_finetune_one_class_folder_gives_a_message(tab, qtbot, tmp_path):
    page = tab.finetune
    page.folder.setText(str(_image_folder(tmp_path / "one", classes=("hotdog",))))
    page.weights.setCurrentIndex(page.weights.findData("none"))
    with qtbot.waitSignal(page.sequence.done, timeout=60000):
        assert tab.run_finetune()
    assert "needs at least 2" in page.status.text()
    assert page.start.isEnabled()


def test_train_tab_runs_feed_the_weights_view_live(qtbot, context):
    from gui.tabs.train_tab import TrainTab

    inside = InsideTab(context)
    qtbot.addWidget(inside)
    train = TrainTab(context)
    qtbot.addWidget(train)
    train.source.set_preset("lenet")
    train.data.set_subset(256, 64)
    train.hparams.set_values(num_epochs=1, batch_size=32)
    with qtbot.waitSignal(train.runner.finished, timeout=60000):
        assert train.start_training()
    view = inside.weights.view
    assert "Train tab" in view.latest and view.series_count() == 5  # LeNet's 5 weights
    x, _ = view.norms.series_data("Train tab · 0.weight")
    assert x.tolist() == [1.0]  # 8 batches, sampled every 20 from the first
    inside.weights.watch.setChecked(False)
    from engine.insight.stats import WeightStatsHook

    assert not any(isinstance(h, WeightStatsHook) for h in context.make_training_hooks())
    inside.shutdown()
    train.shutdown()


def test_live_feature_maps_of_a_training_run(qtbot, context):
    from gui.tabs.train_tab import TrainTab

    inside = InsideTab(context)
    qtbot.addWidget(inside)
    qtbot.waitUntil(lambda: inside.subject is not None, timeout=60000)
    train = TrainTab(context)
    qtbot.addWidget(train)
    train.source.set_preset("lenet")
    train.data.set_subset(4096, 64)
    # Far more epochs than the test waits for (it stops the run itself), so the run is
    # still going when the live maps are asked for, however loaded the machine is.
    train.hparams.set_values(num_epochs=50, batch_size=16)
    assert train.start_training()
    qtbot.waitUntil(lambda: inside._live_info is not None, timeout=60000)
    assert inside.source.network.itemText(0) == "Training now: lenet (live)"
    inside.source._on_network_activated(0)
    qtbot.waitUntil(lambda: inside.maps.status.text().startswith("live: epoch"),
                    timeout=60000)
    assert [m.shape for m in inside.maps._maps] == [(6, 28, 28), (16, 10, 10)]
    inside._on_attribution_requested("saliency", -1, "")
    assert "only its feature maps" in inside.attribution.summary.text()
    train.stop()
    qtbot.waitUntil(lambda: inside._live_info is None, timeout=60000)
    assert not inside.source.network.itemText(0).startswith("Training now")
    inside.refresh_maps()
    assert "not training any more" in inside.maps.status.text()
    inside.shutdown()
    train.shutdown()
