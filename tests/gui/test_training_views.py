"""The shared training pieces (gui/training) and the Train tab's experiment actions.

A per-pixel run (the engine's toy-masks set, toy FCN) is driven through
``TrainingSession`` + ``CurvesView`` + ``RunsPanel`` / ``RunBook`` with no Train-tab
code: its "mean IoU" curves and columns come from the task's metric descriptions.
Export experiment → ``python -m engine train --config`` (its ``main`` in-process);
Open run log; Resume from checkpoint continues from the saved epoch.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli import main as cli_main
from engine.models import ModelRef
from engine.training import BatchProgress, EpochEnd
from engine.training.config import RunConfig
from engine.training.runstore import new_run_id
from gui.training import (
    ControlBar,
    CurvesView,
    Run,
    RunBook,
    RunRecorder,
    RunsPanel,
    TrainingSession,
    record_epoch,
    record_progress,
)
from gui.workers import JobRunner

GUI_TRAINING = Path(__file__).resolve().parents[2] / "gui" / "training"


def test_the_shared_pieces_know_no_tab():
    for path in GUI_TRAINING.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "gui.tabs" not in text, f"{path.name} reaches into a tab"


def test_a_per_pixel_run_shows_its_mean_iou_without_train_tab_code(qtbot, tmp_path):
    from engine.training.task import PixelClassificationTask

    metrics = PixelClassificationTask.metrics
    host = ControlBar()
    qtbot.addWidget(host)
    curves, panel = CurvesView(), RunsPanel(metrics)
    qtbot.addWidget(curves)
    qtbot.addWidget(panel)
    session = TrainingSession(JobRunner(name="test:segment"), device_label="cpu")
    host.attach(session)
    book = RunBook(panel, tmp_path / "runs")
    recorder = RunRecorder(session, book, curves, make_run=lambda p: Run(
        book.take_number(), "toy-fcn", "toy-masks", {"lr": 0.5, "num_epochs": 2},
        task=p.task, metrics=tuple(p.metrics), model=p.model, id=new_run_id()))
    panel.selection_changed.connect(lambda ns: curves.show_runs([book.runs[n] for n in ns]))
    ended: list[tuple[object, bool]] = []
    recorder.run_ended.connect(lambda run, stopped: ended.append((run, stopped)))
    states: list[str] = []
    session.state_changed.connect(states.append)
    config = RunConfig(model=ModelRef.zoo("toy-fcn", hidden=4), dataset="toy-masks",
                       n_train=32, n_test=16, num_epochs=2, batch_size=8, lr=0.5,
                       device="cpu")
    with qtbot.waitSignal(session.finished, timeout=60000):
        assert session.start(config)
    run = book.runs[1]
    assert ended == [(run, False)] and run.status == "finished" and recorder.current is None
    assert run.task == "segmentation" and states[0] == "loading" and states[-1] == "idle"
    assert panel.selected() == [1] and curves.shown == [run]  # drawn live, as it trained
    names = set(curves.series_names())
    assert {"train loss", "train mean IoU", "test mean IoU", "train pixel accuracy",
            "test pixel accuracy"} <= names
    assert len(curves.series_data("test mean IoU")[0]) == 2  # one per epoch end
    iou = curves.series_data("train mean IoU")[1]
    assert len(iou) >= 2 and all(0.0 <= v <= 1.0 for v in iou)
    assert "mean IoU" in curves.plot_item.getAxis("left").labelText
    assert "Test mean IoU" in panel.columns and "Train acc" not in panel.columns
    column = panel.columns.index("Test mean IoU")
    assert panel.tree.topLevelItem(0).text(column) == f"{run.final['test_miou']:.3f}"
    assert session.history is not None and len(session.history.epochs) == 2
    assert "examples/s on cpu" in host.status.text()
    assert host.progress.format().startswith("done: epoch 2/2")  # the run is over
    again = RunBook(RunsPanel(metrics), tmp_path / "runs")  # kept for the next start
    assert again.restore() == [] and again.runs[1].final["test_miou"] == run.final["test_miou"]
    assert again.runs[1].curves["test_miou"] == run.curves["test_miou"]


def test_runs_of_a_task_without_metrics_show_losses_on_a_log_axis(qtbot):
    curves = CurvesView()
    qtbot.addWidget(curves)
    run = Run(1, "linear", "synthetic-linear", {}, task="regression", status="finished")
    assert run.metrics == ()  # the engine's regression task reports its loss only
    record_progress(run, BatchProgress(1, 5, 5, 1.0, {"train_loss": 3.0}, 100.0, 0.03))
    record_epoch(run, EpochEnd(1, {"train_loss": 3.0, "test_loss": 2.0}, 100.0, 0.03, 0.1))
    curves.show_runs([run])
    assert set(curves.series_names()) == {"train loss", "test loss"}
    assert curves.plot_item.getAxis("left").logMode


def test_the_eta_of_a_resumed_run_counts_only_the_epochs_it_trained(qtbot):
    bar = ControlBar()
    qtbot.addWidget(bar)
    p = BatchProgress(3, 5, 10, 2.5, {"train_loss": 1.0}, 500.0, 0.1)
    bar.show_progress(p, 3, 10.0, False, device="cpu", start=2.0)  # resumed after epoch 2
    assert bar.progress.format() == "epoch 3/3 · step 5/10 · ETA 0:10"  # 0.5 epoch in 10 s
    assert bar.progress.value() == 833 and bar.status.text() == "500 examples/s on cpu"
    bar.show_progress(p, 3, 10.0, True)  # from scratch: 2.5 epochs took 10 s
    assert bar.progress.format() == "epoch 3/3 · step 5/10 · ETA 0:02 (paused)"


@pytest.fixture
def tab(qtbot, context):
    from gui.tabs.train_tab import TrainTab

    t = TrainTab(context)
    qtbot.addWidget(t)
    t.resize(1280, 800)
    t.show()
    qtbot.waitExposed(t)
    yield t
    t.shutdown()


def tiny(tab, net: str = "softmax-regression", **hp: object) -> None:
    tab.source.set_preset(net)
    tab.data.set_subset(128, 64)
    tab.hparams.set_values(**{"num_epochs": 1, "batch_size": 32, **hp})


def test_export_experiment_runs_headless_with_the_cli(tab, tmp_path, capsys):
    tiny(tab, lr=0.2, seed=3)
    path = tmp_path / "exp.json"
    assert tab.export_experiment(str(path), script=True)
    data = json.loads(path.read_text())
    assert (data["lr"], data["seed"], data["n_train"], data["dataset"]) == (
        0.2, 3, 128, "procedural-shapes")
    assert data["device"] == "auto" and data["hooks"] == []  # for any machine, no GUI hook
    assert data["model"]["kind"] == "spec" and data["model"]["name"] == "softmax-regression"
    assert tab.banner.text() == (f"Experiment saved to {path}, training script to "
                                 f"{tmp_path / 'exp.py'} (python exp.py)")
    script = tmp_path / "exp.py"
    compile(script.read_text(), str(script), "exec")  # a real Python file
    assert "def train_ch6" in script.read_text()
    log = tmp_path / "exp.jsonl"
    assert cli_main(["train", "--config", str(path), "--json", "--run-log", str(log)]) == 0
    epochs = [json.loads(line) for line in capsys.readouterr().out.splitlines()
              if line.startswith("{")]
    assert len(epochs) == 1 and epochs[0]["epoch"] == 1
    assert RunConfig.from_json(path.read_text()).lr == 0.2
    only = tmp_path / "only.json"
    assert tab.export_experiment(str(only)) and not (tmp_path / "only.py").exists()
    assert "run it with `python -m engine train --config only.json`" in tab.banner.text()


def test_export_into_a_missing_folder_says_so_and_writes_nothing(tab, tmp_path):
    tiny(tab)
    target = tmp_path / "gone" / "exp.json"
    assert not tab.export_experiment(str(target))
    assert tab.banner.level == "error"
    assert tab.banner.text() == (f"could not save {target}: the folder {tmp_path / 'gone'} "
                                 f"does not exist")
    assert not (tmp_path / "gone").exists()


def test_open_run_log_shows_a_headless_runs_curves(tab, qtbot, tmp_path):
    config = RunConfig(model=ModelRef.preset("softmax-regression"),
                       dataset="procedural-shapes", n_train=128, n_test=64, num_epochs=2,
                       batch_size=32, lr=0.1)
    exp, log = tmp_path / "exp.json", tmp_path / "run.jsonl"
    exp.write_text(config.to_json())
    assert cli_main(["train", "--config", str(exp), "--run-log", str(log)]) == 0
    with qtbot.waitSignal(tab.ckpt_runner.finished, timeout=20000):
        tab.open_run_log(str(log))
    run = tab.runs[1]
    assert (run.network, run.dataset, run.status) == ("softmax-regression",
                                                     "procedural-shapes", "finished")
    assert run.curves["test_acc"][0] == [1.0, 2.0] and len(run.curves["train_loss"][0]) == 2
    assert run.settings["lr"] == 0.1 and run.settings["epochs_done"] == 2
    assert tab.runs_panel.selected() == [1]
    assert set(tab.curves.series_names()) == {"train loss", "train acc", "test acc"}
    assert len(tab.curves.series_data("test acc")[0]) == 2
    assert "run log run.jsonl, 2 epochs, finished" in tab.banner.text()
    tab.runs_panel.select([1])
    assert not tab.save_button.isEnabled()  # curves only, no weights to save


def test_open_run_log_reads_redirected_json_output(tab, qtbot, tmp_path, capsys):
    config = RunConfig(model=ModelRef.preset("softmax-regression"),
                       dataset="procedural-shapes", n_train=64, n_test=32, num_epochs=1,
                       batch_size=32)
    exp = tmp_path / "exp.json"
    exp.write_text(config.to_json())
    assert cli_main(["train", "--config", str(exp), "--json"]) == 0
    out = tmp_path / "stdout.txt"  # python -m engine train --json > stdout.txt
    out.write_text(capsys.readouterr().out)
    with qtbot.waitSignal(tab.ckpt_runner.finished, timeout=20000):
        tab.open_run_log(str(out))
    run = tab.runs[1]
    assert run.curves["test_acc"][0] == [1.0] and run.task == "classification"
    assert "no final line" in tab.banner.text() and tab.banner.level == "warning"


def test_a_file_that_is_not_a_run_log_is_refused_naming_it(tab, qtbot, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n")
    with qtbot.waitSignal(tab.ckpt_runner.finished, timeout=10000):
        tab.open_run_log(str(bad))
    assert tab.runs == {} and tab.banner.level == "error"
    assert str(bad) in tab.banner.text() and "not a run log" in tab.banner.text()


def test_resume_from_checkpoint_continues_from_the_saved_epoch(tab, qtbot, tmp_path):
    tiny(tab, num_epochs=1)
    with qtbot.waitSignal(tab.runner.finished, timeout=30000):
        assert tab.start_training()
    first = tab.runs[1]
    path = tmp_path / "one.pt"
    with qtbot.waitSignal(tab.ckpt_runner.finished, timeout=10000):
        assert tab.save_checkpoint(str(path))
    tab.hparams.set_values(num_epochs=2)  # a finished run goes on for the form's epochs
    seen: list[object] = []
    tab.runner.event.connect(seen.append)
    with qtbot.waitSignal(tab.runner.finished, timeout=30000):
        tab.resume_from_checkpoint(str(path))
        qtbot.waitUntil(lambda: tab.runner.is_running() or bool(seen), timeout=10000)
    resumed = tab.runs[2]
    assert resumed.status == "finished"
    assert "resumed from one.pt after epoch 1, to epoch 3" in resumed.reason
    epochs = [e.epoch for e in seen if isinstance(e, EpochEnd)]
    steps = [e.epoch for e in seen if isinstance(e, BatchProgress)]
    assert epochs == [2, 3] and min(steps) == 2  # no epoch trained twice
    assert resumed.settings["epochs_done"] == 3 and resumed.settings["num_epochs"] == 3
    assert resumed.curves["test_acc"][0] == [1.0, 2.0, 3.0]  # the saved epoch, then two
    assert resumed.curves["test_acc"][1][0] == pytest.approx(first.final["test_acc"])
    assert [e.epoch for e in resumed.history.epochs] == [1, 2, 3]


def test_resume_from_a_missing_checkpoint_says_which(tab, qtbot, tmp_path):
    gone = tmp_path / "gone.pt"
    with qtbot.waitSignal(tab.ckpt_runner.finished, timeout=10000):
        tab.resume_from_checkpoint(str(gone))
    assert tab.runs == {} and tab.banner.level == "error"
    assert "gone.pt" in tab.banner.text() and not tab.runner.is_running()


def test_a_zoo_models_checkpoint_loads_from_its_reference(qtbot, tmp_path):
    import torch

    from engine.training import Finished, run
    from gui.training import CheckpointActions, model_name

    config = RunConfig(model=ModelRef.zoo("toy-fcn", hidden=4), dataset="toy-masks",
                       n_train=16, n_test=8, num_epochs=1, batch_size=8, device="cpu")
    events = list(run(config))
    model, end = events[0].model, events[-1]
    assert isinstance(end, Finished) and model.spec is None  # no builder spec to rebuild
    path = tmp_path / "fcn.pt"
    model.save(path, history=end.history)
    files = CheckpointActions(JobRunner(name="test:ckpt"))
    with qtbot.waitSignal(files.loaded, timeout=20000) as got:
        files.load(str(path))
    loaded = got.args[0]
    assert model_name(loaded.model) == "toy-fcn" and loaded.epoch == 1
    assert loaded.model.config == config
    X = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    model.net.eval()
    with torch.no_grad():
        assert torch.equal(model.net(X), loaded.model.net(X))


def test_the_experiment_menu_exports_from_the_dialogs(tab, tmp_path, monkeypatch):
    import gui.tabs.train_tab as train_tab

    menu = [a.text() for a in tab.experiment_button.menu().actions()]
    assert menu == ["Export experiment…", "Open run log…", "Resume from checkpoint…"]
    tiny(tab)
    target = tmp_path / "mine.json"
    asked: list[str] = []
    monkeypatch.setattr(train_tab, "ask_path", lambda *a, **k: asked.append(k["name"]) or
                        str(target))
    monkeypatch.setattr(tab, "_ask_script", lambda script: script.name == "mine.py")
    tab.export_action.trigger()
    assert asked == ["softmax-regression.json"]  # named after the network
    assert target.is_file() and (tmp_path / "mine.py").is_file()
    assert tab.resume_action.isEnabled()
    tab.start_training()
    assert not tab.resume_action.isEnabled()  # one run at a time
    tab.stop()
