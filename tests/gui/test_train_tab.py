"""Train tab: runs with live curves, stop/pause, regression, divergence, overlays,
checkpoints, Build → Train hand-over, missing files, closing mid-run. Tiny data, seconds."""

from __future__ import annotations

import pytest
import torch
from PySide6.QtCore import Qt

from engine.builder import NetworkSpec, layer, preset
from engine.training import BatchProgress
from gui.tabs.train_tab import TrainTab
from gui.training.checkpoints import save_job
from gui.training.curves import EMPTY_TEXT


@pytest.fixture
def tab(qtbot, context):
    t = TrainTab(context)
    qtbot.addWidget(t)
    t.resize(1280, 800)
    t.show()
    qtbot.waitExposed(t)
    yield t
    t.shutdown()


def configure(tab: TrainTab, net: str = "lenet", *, dataset: str | None = None,
              n_train: int = 256, n_test: int = 128, **hp: object) -> None:
    tab.source.set_preset(net)  # applies the preset's train_defaults
    if dataset is not None:
        tab.data.set_dataset(dataset)
    tab.data.set_subset(n_train, n_test)
    tab.hparams.set_values(**{"num_epochs": 1, "batch_size": 64, **hp})


def run_to_end(qtbot, tab: TrainTab, timeout: int = 30000) -> None:
    with qtbot.waitSignal(tab.runner.finished, timeout=timeout):
        assert tab.start_training()


def wait_progress(qtbot, tab: TrainTab, count: int = 1) -> list[BatchProgress]:
    seen: list[BatchProgress] = []

    def on_event(e: object) -> None:
        if isinstance(e, BatchProgress):
            seen.append(e)

    tab.runner.event.connect(on_event)
    qtbot.waitUntil(lambda: len(seen) >= count, timeout=20000)
    tab.runner.event.disconnect(on_event)
    return seen


def test_empty_state_then_train_fills_the_curves(tab, qtbot):
    assert tab.curves.empty_text.isVisible() and EMPTY_TEXT in tab.curves.empty_text.toPlainText()
    assert tab.train_button.isEnabled() and not tab.stop_button.isEnabled()
    configure(tab, "lenet", n_train=512, num_epochs=2)
    assert tab.hparams.values().lr == pytest.approx(0.9)  # the book's LeNet lr
    run_to_end(qtbot, tab)
    run = tab.runs[1]
    assert run.status == "finished"
    assert not tab.curves.empty_text.isVisible()
    assert set(tab.curves.series_names()) == {"train loss", "train acc", "test acc"}
    xs, ys = tab.curves.series_data("train loss")
    assert len(xs) >= 4 and xs[-1] == pytest.approx(2.0)
    assert len(tab.curves.series_data("test acc")[0]) == 2
    assert tab.curves.redraws > 0
    assert run.final["test_acc"] is not None and run.final["examples_per_sec"] > 0
    assert "procedural" in tab.data.in_use.text() and "512 train" in tab.data.in_use.text()
    assert tab.runs_panel.tree.topLevelItem(0).text(9) == "finished"
    assert tab.train_button.isEnabled() and not tab.pause_button.isEnabled()
    assert tab.save_button.isEnabled()


def test_stop_mid_run_keeps_the_run_marked_stopped(tab, qtbot):
    configure(tab, "lenet", n_train=4096, batch_size=32, num_epochs=5)
    with qtbot.waitSignal(tab.runner.finished, timeout=30000) as blocker:
        tab.start_training()
        wait_progress(qtbot, tab)
        assert tab.stop_button.isEnabled() and not tab.train_button.isEnabled()
        tab.stop()
    assert blocker.args == [True]
    run = tab.runs[1]
    assert run.status == "stopped" and "stopped by user" in run.reason
    assert run.settings.get("epochs_done", 0) < 5
    assert tab.banner.isVisible() and "stopped by user" in tab.banner.text()
    assert tab.train_button.isEnabled() and not tab.stop_button.isEnabled()


def test_pause_then_resume(tab, qtbot):
    # 1,024 steps: long enough that the run cannot end between the first progress event
    # reaching the UI and the pause, even on a loaded machine (2,048 examples could).
    configure(tab, "softmax-regression", n_train=8192, batch_size=16, num_epochs=2)
    with qtbot.waitSignal(tab.runner.finished, timeout=60000) as blocker:
        tab.start_training()
        wait_progress(qtbot, tab)
        tab.pause()
        assert tab.resume_button.isEnabled() and not tab.pause_button.isEnabled()
        assert tab.runs[1].status == "paused" and "(paused)" in tab.progress.format()
        qtbot.wait(300)  # at most the event already in flight arrives
        n = len(tab.runs[1].curves["train_loss"][0])
        qtbot.wait(400)
        assert len(tab.runs[1].curves["train_loss"][0]) == n
        tab.resume()
        assert tab.pause_button.isEnabled() and not tab.resume_button.isEnabled()
    assert blocker.args == [False]
    assert tab.runs[1].status == "finished"
    assert tab.runs[1].curves["train_loss"][0][-1] == pytest.approx(2.0)


def test_linear_regression_recovers_w_and_b(tab, qtbot):
    configure(tab, "linear-regression", n_train=1000, n_test=200)
    hp = tab.hparams.values()
    assert (hp.lr, hp.batch_size, hp.loss) == (0.03, 64, "mse")
    assert tab.data.name == "synthetic-linear"
    tab.hparams.set_values(batch_size=10, num_epochs=3)
    run_to_end(qtbot, tab)
    run = tab.runs[1]
    assert set(tab.curves.series_names()) == {"train loss", "test loss"}  # losses only
    linear = run.model.net[0]
    w, b = linear.weight.detach().reshape(-1), float(linear.bias.detach())
    assert torch.allclose(w, torch.tensor([2.0, -3.4]), atol=0.01)
    assert b == pytest.approx(4.2, abs=0.01)
    assert tab.learned_label.isVisible()
    text = tab.learned_label.text()
    assert f"learned w = [{w[0]:.4f}, {w[1]:.4f}], b = {b:.4f}" in text
    assert "true w = [2, -3.4], b = 4.2" in text


def test_huge_learning_rate_diverges_with_the_reason(tab, qtbot, context):
    configure(tab, "linear-regression", n_train=1000, lr=1e3, batch_size=10)
    run_to_end(qtbot, tab)
    run = tab.runs[1]
    assert run.status == "diverged"
    assert "loss diverged at epoch 1 step" in run.reason and "lower learning rate" in run.reason
    assert tab.banner.isVisible() and "loss diverged" in tab.banner.text()
    assert tab.runs_panel.tree.topLevelItem(0).text(9) == "diverged"
    assert tab.curves.empty_text.isVisible()  # nothing finite to draw: say why
    assert "loss diverged" in tab.curves.empty_text.toPlainText()
    (x0, x1), (y0, y1) = tab.curves.plot_item.viewRange()
    assert x0 < 0.5 < x1 and y0 < 0.5 < y1  # the notice is inside the view, not off it
    assert not tab.learned_label.isVisible()


def test_two_runs_overlay_with_distinct_names(tab, qtbot):
    configure(tab, "softmax-regression", lr=0.1)
    run_to_end(qtbot, tab)
    tab.hparams.set_values(lr=0.5)
    run_to_end(qtbot, tab)
    assert tab.runs_panel.selected() == [2]
    assert set(tab.curves.series_names()) == {"train loss", "train acc", "test acc"}
    tab.runs_panel.select([1, 2])
    names = tab.curves.series_names()
    assert "run 1 lr=0.1 · train loss" in names and "run 2 lr=0.5 · train loss" in names
    assert "run 2 lr=0.5 · test acc" in names
    for name in names:
        assert len(tab.curves.series_data(name)[0]) > 0
    tab.remove_runs([1])
    assert list(tab.runs) == [2] and tab.runs_panel.count() == 1


def test_checkpoint_round_trip_gives_identical_predictions(tab, qtbot, tmp_path):
    configure(tab, "mlp", n_train=256)
    run_to_end(qtbot, tab)
    path = str(tmp_path / "mlp.pt")
    with qtbot.waitSignal(tab.ckpt_runner.finished, timeout=10000):
        assert tab.save_checkpoint(path)
    assert "saved" in tab.banner.text()
    with qtbot.waitSignal(tab.ckpt_runner.finished, timeout=10000):
        tab.load_checkpoint(path)
    original, loaded = tab.runs[1], tab.runs[2]
    assert loaded.status == "loaded" and loaded.network == "mlp"
    assert loaded.final["test_acc"] == pytest.approx(original.final["test_acc"])
    assert len(loaded.curves["train_loss"][0]) == len(original.curves["train_loss"][0])
    X = torch.randn(4, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    original.model.net.eval()
    with torch.no_grad():
        assert torch.equal(original.model.net(X), loaded.model.net(X))


def test_foreign_checkpoint_is_refused_with_a_message(tab, qtbot, tmp_path):
    path = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, path)
    with qtbot.waitSignal(tab.ckpt_runner.finished, timeout=10000):
        tab.load_checkpoint(str(path))
    assert tab.banner.isVisible()
    assert "not a Deep Learning Playground checkpoint" in tab.banner.text()
    assert tab.runs == {}


def test_network_sent_from_build_becomes_the_source(tab, context):
    assert "nothing sent yet" in tab.source.build_label.text()
    context.send_network(preset("mlp"))
    assert tab.source.kind() == "build"
    assert "mlp" in tab.source.build_label.text()
    assert "203,530 parameters" in tab.source.build_label.text()
    assert tab.source.spec().name == "mlp"
    assert tab.hparams.values().lr == pytest.approx(0.1)
    assert "fits" in tab.source.summary.text()


def test_missing_fashion_mnist_shows_the_message_and_suggests_offline(tab, qtbot, tmp_path,
                                                                      context):
    messages = []
    context.message_posted.connect(lambda level, text: messages.append((level, text)))
    configure(tab, "lenet", dataset="fashion-mnist")
    tab.data.set_data_root(str(tmp_path))
    run_to_end(qtbot, tab)
    assert tab.runs == {}
    assert "Fashion-MNIST files not found" in tab.banner.text()
    assert any(level == "error" and "not found" in text for level, text in messages)
    assert tab.fallback_button.isVisible()
    assert "procedural" in tab.data.in_use.text()
    tab.fallback_button.click()
    assert tab.data.name == "procedural-shapes"
    assert tab.train_button.isEnabled()


def test_shape_mismatch_is_reported_before_and_during_training(tab, qtbot, tmp_path):
    configure(tab, "mlp", dataset="spiral")  # auto sizes: Linear(2, 256) ... 10 outputs
    assert "2 outputs stay unused" not in tab.source.summary.text()
    assert "8 outputs stay unused" in tab.source.summary.text()
    spec = NetworkSpec("mlp-784", (1, 784), (layer("Linear", in_features=784, out_features=2),))
    path = tmp_path / "mlp-784.json"
    path.write_text(spec.to_json())
    assert tab.source.load_file(str(path))
    assert tab.source.kind() == "file" and "mlp-784.json" in tab.source.file_label.text()
    tab.data.set_dataset("spiral")
    assert "does not fit" in tab.source.summary.text()
    run_to_end(qtbot, tab)
    assert tab.banner.isVisible() and "does not fit" in tab.banner.text()
    assert tab.runs == {}


def test_closing_the_window_mid_run_asks_then_stops_and_keeps_the_run(qtbot, context,
                                                                     monkeypatch, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    from gui.main_window import MainWindow

    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes]
    asked: list[str] = []

    def answer(_parent, _title, text, *_args):
        asked.append(text)
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", answer)
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    window.show_tab("train")
    tab = window.tab("train")
    configure(tab, "lenet", n_train=8192, batch_size=32, num_epochs=10)
    tab.runs_panel.keep_weights.setChecked(True)
    tab.start_training()
    wait_progress(qtbot, tab)
    tab.pause()  # even a paused run must end
    assert not window.close()  # "Cancel": the window stays, the run goes on
    assert window.isVisible() and tab.runner.is_running()
    assert "run 1 (lenet on procedural-shapes, epoch 1/10)" in asked[0]
    assert window.close()  # "Yes": stop and quit
    assert tab.runner.wait(0) and len(asked) == 2
    restarted = TrainTab(context)  # the next start shows the run, stopped, with its curves
    qtbot.addWidget(restarted)
    run = restarted.runs[1]
    assert run.status == "stopped" and "window closed at epoch 1" in run.reason
    assert run.curves["train_loss"][0] and run.weights.endswith(".pt")
    restarted.runs_panel.select([1])
    assert restarted.save_button.isEnabled()  # its kept weights can still be saved
    target = tmp_path / "kept.pt"
    with qtbot.waitSignal(restarted.ckpt_runner.finished, timeout=20000):
        assert restarted.save_checkpoint(str(target))
    from engine.training import load_checkpoint

    assert load_checkpoint(target).spec["name"] == "lenet"


def test_hyper_parameters_are_remembered_and_presets_apply_their_defaults(tab, qtbot,
                                                                          context):
    tab.source.set_preset("alexnet")
    assert tab.data.resize_value() == 224 and tab.hparams.values().lr == pytest.approx(0.01)
    assert "224×224" in tab.source.summary.text()
    tab.source.set_preset("mlp")
    assert tab.data.resize_value() is None
    tab.hparams.set_values(lr=0.25, optimizer="momentum", grad_clip=2.0, seed=7)
    assert tab.hparams.momentum.isEnabled()
    again = TrainTab(context)
    qtbot.addWidget(again)
    hp = again.hparams.values()
    assert (hp.lr, hp.optimizer, hp.grad_clip, hp.seed) == (0.25, "momentum", 2.0, 7)
    assert again.source.preset_combo.currentText() == "mlp"


def tiny_2d_mlp(classes: int = 2) -> NetworkSpec:
    return NetworkSpec("mlp-2d", (1, 2), (layer("Linear", in_features=2, out_features=16),
                                          layer("ReLU"), layer("Linear", out_features=classes)))


def train_2d(qtbot, tab: TrainTab, context, dataset: str, classes: int = 2,
             **hp: object) -> None:
    context.send_network(tiny_2d_mlp(classes))
    tab.data.set_dataset(dataset)
    tab.data.set_subset(300, 100)
    tab.hparams.set_values(**{"num_epochs": 2, "batch_size": 32, "lr": 0.05,
                              "optimizer": "adam", **hp})
    run_to_end(qtbot, tab)
    qtbot.wait(50)  # let the last paint happen


def test_decision_regions_appear_live_with_the_points_for_2d_data(tab, qtbot, context):
    from engine.training import DecisionMap

    maps: list[DecisionMap] = []
    tab.runner.event.connect(lambda e: maps.append(e) if isinstance(e, DecisionMap) else None)
    train_2d(qtbot, tab, context, "spiral")
    assert tab.runs[1].status == "finished"
    assert len(maps) >= 2  # at least one per epoch end
    assert all(m.classes.shape == (96, 96) and m.num_classes == 2 for m in maps)
    assert tab.views.currentWidget() is tab.regions and not tab.regions.is_empty()
    assert tab.regions.regions_shape() == (96, 96)
    assert tab.regions.maps_shown == len(maps)
    assert tab.regions.points_shown() == 300  # the 300 training points, under the 400 cap
    assert [item.name() for item in tab.regions._scatters] == ["arm 0", "arm 1"]
    rect = tab.regions.image.mapRectToParent(tab.regions.image.boundingRect())
    x0, x1, y0, y1 = maps[-1].bounds
    assert (rect.left(), rect.right(), rect.top(), rect.bottom()) == pytest.approx(
        (x0, x1, y0, y1), abs=1e-6)
    assert "paler = less confident" in tab.regions.caption.text()


def test_non_2d_dataset_shows_the_regions_empty_state(tab, qtbot):
    configure(tab, "softmax-regression", n_train=256)
    tab.views.setCurrentWidget(tab.regions)
    assert tab.regions.is_empty()
    assert "spiral, circles, xor, blobs" in tab.regions.empty_label.text()
    run_to_end(qtbot, tab)
    assert tab.views.currentWidget() is tab.curves  # curves for image data
    assert tab.regions.is_empty() and tab.regions.maps_shown == 0
    tab.data.set_dataset("circles")
    assert "Press Train" in tab.regions.empty_label.text()


def test_trained_blobs_regions_show_both_class_colours(tab, qtbot, context):
    from widgets.decision_plot import class_rgb

    train_2d(qtbot, tab, context, "blobs", classes=3, num_epochs=2)
    assert tab.runs[1].status == "finished"
    assert set(tab.regions.last_map.classes.ravel().tolist()) == {0, 1, 2}
    image = tab.regions.plot.grab().toImage()
    found = {0: 0, 1: 0, 2: 0}
    for x in range(0, image.width(), 4):
        for y in range(0, image.height(), 4):
            c = image.pixelColor(x, y)
            rgb = (c.red(), c.green(), c.blue())
            for k in found:  # the region blend (class colour over white, 12..70 %), not dots
                r, g, b = class_rgb(k)
                w = 1 - (255 - rgb[0]) / max(255 - r, 1)
                expected = [255 * w + ch * (1 - w) for ch in (r, g, b)]
                error = max(abs(e - v) for e, v in zip(expected, rgb, strict=True))
                if 0.25 < 1 - w < 0.75 and error < 12:
                    found[k] += 1
    assert min(found.values()) > 50, found


def test_switching_network_applies_its_recipe_whole_and_marks_edits(tab):
    tab.source.set_preset("mlp")
    tab.hparams.set_values(optimizer="adam", weight_decay=0.01, schedule="cosine")
    tab.source.set_preset("lenet")
    hp = tab.hparams.values()  # the issue: LeNet + Adam at lr 0.9
    assert (hp.lr, hp.optimizer, hp.weight_decay, hp.schedule) == (0.9, "sgd", 0.0, "none")
    assert tab.hparams.edited() == [] and not tab.hparams.reset_button.isEnabled()
    assert tab.hparams.recipe_label.text() == "Recipe of preset lenet"
    tab.hparams.set_values(lr=0.3, optimizer="momentum")
    assert tab.hparams.edited() == ["lr", "optimizer"]
    assert tab.hparams.row_labels["lr"].text().endswith("✎")
    assert "0.9" in tab.hparams.row_labels["lr"].toolTip()
    assert not tab.hparams.row_labels["batch_size"].text().endswith("✎")
    assert tab.hparams.recipe_label.text() == "Recipe of preset lenet, 2 changed ✎"
    tab.hparams.reset_button.click()
    assert tab.hparams.values().lr == 0.9 and tab.hparams.values().optimizer == "sgd"
    assert tab.hparams.edited() == []


def test_a_restart_does_not_mix_recipes(qtbot, context):
    s = context.settings
    s.setValue("train/preset", "lenet")  # values remembered for another network's recipe
    for key, value in (("lr", 0.9), ("optimizer", "adam"), ("seed", 5), ("recipe", "preset mlp")):
        s.setValue(f"train/hparams/{key}", value)
    t = TrainTab(context)
    qtbot.addWidget(t)
    hp = t.hparams.values()
    assert (hp.lr, hp.optimizer, hp.seed) == (0.9, "sgd", 5)  # lenet's recipe whole
    t.hparams.set_values(optimizer="adam")  # an edit of lenet's recipe is remembered
    again = TrainTab(context)
    qtbot.addWidget(again)
    assert again.hparams.values().optimizer == "adam" and again.hparams.edited() == ["optimizer"]


def test_typing_an_out_of_range_lr_says_it_was_limited(tab, qtbot):
    box = tab.hparams.lr
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "1e6")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert box.value() == 1e4
    note = tab.hparams.notes["lr"]
    assert note.isVisible() and "limited to 10000" in note.text() and "1e+06" in note.text()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "1e-3")  # scientific notation is taken as typed
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert box.value() == pytest.approx(1e-3) and not note.isVisible()


def too_few_outputs() -> NetworkSpec:
    """Builds and runs, but its 2 outputs cannot score 10 classes: fails at the first step."""
    return NetworkSpec("two-outputs", (1, 1, 28, 28), (layer("Flatten"),
                                                        layer("Linear", out_features=2)))


def test_a_failed_run_cannot_be_saved_and_its_error_goes_with_a_new_network(tab, qtbot,
                                                                              context):
    context.send_network(too_few_outputs())
    tab.data.set_subset(128, 64)
    tab.hparams.set_values(num_epochs=1, batch_size=32)
    run_to_end(qtbot, tab)
    run = tab.runs[1]
    assert run.status == "failed" and run.model is not None
    tab.runs_panel.select([1])
    assert not tab.save_button.isEnabled()  # a failed 0-epoch run has nothing to save
    assert "failed" in tab.save_button.toolTip()
    assert tab.banner.isVisible() and tab.banner.level == "error"
    tab.source.set_preset("lenet")  # a new network: the old error no longer applies
    assert not tab.banner.isVisible()


def test_saving_a_checkpoint_into_a_missing_folder_says_so_at_once(tab, qtbot, tmp_path):
    configure(tab, "softmax-regression", n_train=128, n_test=64)
    run_to_end(qtbot, tab)
    target = tmp_path / "gone" / "run.pt"
    assert not tab.save_checkpoint(str(target))
    assert tab.banner.text() == (f"could not save {target}: the folder {tmp_path / 'gone'} "
                                 f"does not exist")
    (tmp_path / "file.txt").write_text("x")
    with qtbot.waitSignal(tab.ckpt_runner.failed, timeout=10000) as failed:
        tab.ckpt_runner.start(save_job(str(tmp_path / "file.txt" / "r.pt"), tab.runs[1].model,
                                       tab.runs[1].history, {}))
    message = failed.args[0]
    assert "Unexpected" not in message and "file.txt is a file, not a folder" in message


def test_runs_come_back_at_the_next_start_and_a_corrupt_file_is_skipped(tab, qtbot, context):
    configure(tab, "softmax-regression", n_train=128, n_test=64, num_epochs=2)
    run_to_end(qtbot, tab)
    first = tab.runs[1]
    assert first.status == "finished" and list(tab.runs_dir.glob("*.json"))
    (tab.runs_dir / "garbage.json").write_text("{not json")
    messages: list[tuple[str, str]] = []
    context.message_posted.connect(lambda level, text: messages.append((level, text)))
    again = TrainTab(context)
    qtbot.addWidget(again)
    run = again.runs[1]
    assert (run.status, run.network, run.settings["num_epochs"]) == (
        "finished", "softmax-regression", 2)
    assert run.final["test_acc"] == first.final["test_acc"]
    assert run.curves["train_loss"] == first.curves["train_loss"]
    assert run.curves["test_acc"] == first.curves["test_acc"]
    assert again.runs_panel.count() == 1 and again.book.next_number == 2
    assert any(level == "warning" and "garbage.json" in text for level, text in messages)
    assert not again.banner.isHidden() and "skipped" in again.banner.text()
    again.runs_panel.select([1])
    assert not again.save_button.isEnabled()  # weights were not asked for


def test_a_removed_run_can_be_undone_and_stays_removed_otherwise(tab, qtbot, context):
    configure(tab, "softmax-regression", n_train=128, n_test=64)
    run_to_end(qtbot, tab)
    run_to_end(qtbot, tab)
    assert sorted(tab.runs) == [1, 2]
    tab.runs_panel.select([1])
    tab.runs_panel.remove_button.click()
    assert sorted(tab.runs) == [2] and tab.runs_panel.undo_button.isEnabled()
    tab.runs_panel.tree.setFocus()
    qtbot.keyClick(tab.runs_panel.tree, "z", modifier=Qt.KeyboardModifier.ControlModifier)
    assert sorted(tab.runs) == [1, 2] and tab.runs_panel.selected() == [1]
    assert tab.runs_panel.tree.topLevelItem(0).text(0) == "1"  # back in its place
    assert not tab.runs_panel.undo_button.isEnabled()
    tab.runs_panel.select([2])
    tab.remove_runs([2])
    again = TrainTab(context)
    qtbot.addWidget(again)
    assert sorted(again.runs) == [1]  # removed and not undone: gone for good
    assert not list(again.runs_dir.glob("*.removed"))


def test_a_long_run_is_announced_up_front_with_what_would_help(tab, qtbot, monkeypatch):
    import gui.tabs.train_tab as train_tab
    from engine.training import SpeedEstimate

    monkeypatch.setattr(train_tab, "LONG_RUN_SECONDS", 0.0)  # every run counts as long here
    configure(tab, "densenet", n_train=256, n_test=64, num_epochs=3, batch_size=16)
    tab.data.set_resize(32)
    estimates: list[tuple[SpeedEstimate, int]] = []  # with the epochs done when it came
    tab.runner.event.connect(lambda e: estimates.append(
        (e, tab.runs[1].settings.get("epochs_done", 0))) if isinstance(e, SpeedEstimate)
        else None)
    with qtbot.waitSignal(tab.runner.finished, timeout=120000):
        tab.start_training()
        qtbot.waitUntil(lambda: bool(estimates), timeout=90000)
        text = tab.banner.text()
        assert tab.banner.level == "warning" and "Run 1: estimated " in text
        assert "resize 28 (now 32)" in text and "a smaller preset" in text
        assert "fewer epochs (now 3)" in text and "a machine with a GPU" in text
        assert tab.runs[1].reason.startswith("estimated ")
        tab.stop()
    estimate, epochs_done = estimates[0]
    assert epochs_done == 0  # said during the first epoch, not after it
    assert estimate.steps_per_epoch == 16 and estimate.num_epochs == 3


def test_duration_text():
    from gui.tabs.train_tab import duration_text

    assert [duration_text(s) for s in (45, 12 * 60 + 10, 2 * 3600 + 41 * 60 + 5)] == [
        "45 s", "12 min", "2 h 41 min"]


def test_watchers_learn_the_run_ended_even_when_the_runner_cut_it_short(tab, qtbot, context):
    # A stop that lands while an event is on its way makes the runner let the job go
    # before the loop yields its own Stopped; tabs watching the run must still hear of it.
    from engine.training import Finished, Stopped
    from engine.training.hooks import Hook

    class StopAfterFirstBatch(Hook):
        def batch_end(self, state):
            if state.step == 1:
                tab.session.runner._control.stop()  # as if Stop was pressed just then
                return ["a hook event"]
            return None

    context.add_training_hook(StopAfterFirstBatch)
    ends: list[object] = []
    context.training_event.connect(
        lambda e: ends.append(e) if isinstance(e, (Finished, Stopped)) else None)
    configure(tab, "softmax-regression", n_train=512, batch_size=16, num_epochs=1)
    run_to_end(qtbot, tab)
    qtbot.waitUntil(lambda: bool(ends), timeout=5000)
    assert len(ends) == 1 and isinstance(ends[0], Stopped)
    assert tab.runs[1].status == "stopped"


def test_mixed_precision_from_the_form_reaches_the_run(tab, qtbot) -> None:
    configure(tab, "lenet", n_train=64, n_test=32, amp="bf16")
    assert tab.hparams.amp.currentText() == "bf16" and tab.hparams.values().amp == "bf16"
    assert "Mixed precision" in tab.hparams.row_labels["amp"].text()
    run_to_end(qtbot, tab)
    assert tab.session.config.amp == "bf16"  # what the one loop was given
    assert tab.runs[1].settings["amp"] == "bf16" and tab.runs[1].status == "finished"
