"""``python -m engine train`` / ``datasets`` through engine.cli.main."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from engine.cli import main
from engine.training import load_checkpoint

builder = pytest.importorskip("engine.builder")


def test_train_linear_regression_json_lines_and_checkpoint(tmp_path: Path, capsys) -> None:
    ckpt = tmp_path / "lr.pt"
    assert main(["train", "--preset", "linear-regression", "--json", "--save", str(ckpt),
                 "--device", "cpu"]) == 0
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["epoch"] for line in lines] == [1, 2, 3]  # the preset's num_epochs
    assert {"epoch", "train_loss", "train_acc", "test_acc", "examples_per_sec"} <= lines[0].keys()
    assert lines[-1]["train_loss"] < 1e-3 and lines[-1]["test_acc"] is None
    assert "synthetic-linear" in err and "saved checkpoint" in err
    loaded = load_checkpoint(ckpt)
    assert loaded.spec["name"] == "linear-regression" and len(loaded.history.epochs) == 3
    net = builder.build(builder.NetworkSpec.from_dict(loaded.spec))
    loaded.restore(net)
    w = net[0].weight.detach().flatten()
    assert torch.allclose(w, torch.tensor([2.0, -3.4]), atol=0.01)


def test_train_lenet_text_lines_on_a_small_subset(capsys) -> None:
    assert main(["train", "--preset", "lenet", "--epochs", "1", "--limit-train", "256",
                 "--limit-test", "64", "--batch-size", "64", "--device", "cpu"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("training lenet on procedural-shapes: procedural (offline")
    assert out[1].startswith("epoch 1/1: loss ") and "test acc" in out[1]
    assert out[1].endswith("examples/sec on cpu")


def test_train_spec_file_with_overrides(tmp_path: Path, capsys) -> None:
    spec = tmp_path / "net.json"
    spec.write_text(builder.preset("softmax-regression").to_json())
    assert main(["train", "--spec", str(spec), "--dataset", "procedural-shapes", "--epochs", "1",
                 "--lr", "0.05", "--optimizer", "adam", "--limit-train", "200",
                 "--limit-test", "50", "--json", "--device", "cpu"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out.splitlines()[0])["lr"] == 0.05 and "lr 0.05" in err


def test_missing_files_and_bad_names_exit_2_with_the_reason(tmp_path: Path, capsys) -> None:
    assert main(["train", "--preset", "lenet", "--dataset", "fashion-mnist", "--data-root",
                 str(tmp_path), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "Fashion-MNIST files not found" in err and str(tmp_path) in err
    assert main(["train", "--preset", "no-such-net"]) == 2
    assert "unknown preset" in capsys.readouterr().err
    assert main(["train", "--spec", str(tmp_path / "missing.json")]) == 2
    assert "cannot read spec file" in capsys.readouterr().err


def test_diverging_run_exits_1_with_the_reason(capsys) -> None:
    assert main(["train", "--preset", "linear-regression", "--lr", "1000", "--device",
                 "cpu"]) == 1
    assert "stopped: loss diverged at epoch 1 step" in capsys.readouterr().err


def test_datasets_lists_names(capsys) -> None:
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("procedural-shapes") and "fashion-mnist" in out and "data folder" in out
    assert main(["datasets", "--json"]) == 0
    names = [d["name"] for d in json.loads(capsys.readouterr().out)]
    assert "image-folder" in names and "synthetic-linear" in names


def test_dump_config_then_config_runs_the_same_experiment(tmp_path: Path, capsys) -> None:
    exp = tmp_path / "exp.json"
    assert main(["train", "--preset", "softmax-regression", "--epochs", "1", "--lr", "0.2",
                 "--limit-train", "200", "--limit-test", "50", "--batch-size", "50",
                 "--device", "cpu", "--dump-config", str(exp)]) == 0
    assert "wrote run config" in capsys.readouterr().out
    from engine.training import RunConfig

    cfg = RunConfig.from_json(exp.read_text())
    assert (cfg.lr, cfg.num_epochs, cfg.n_train, cfg.dataset) == (0.2, 1, 200,
                                                                   "procedural-shapes")
    assert cfg.model.kind == "spec" and cfg.model.name == "softmax-regression"
    assert main(["train", "--config", str(exp), "--json"]) == 0
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    assert main(["train", "--config", str(exp), "--json", "--lr", "0.2"]) == 0
    again = json.loads(capsys.readouterr().out.splitlines()[0])
    assert first["train_loss"] == again["train_loss"] and first["metrics"] == again["metrics"]


def test_resume_a_checkpoint_for_more_epochs(tmp_path: Path, capsys) -> None:
    ckpt = tmp_path / "run.pt"
    assert main(["train", "--preset", "linear-regression", "--epochs", "2", "--device", "cpu",
                 "--json", "--save", str(ckpt)]) == 0
    capsys.readouterr()
    more = tmp_path / "more.pt"
    assert main(["train", "--resume", str(ckpt), "--epochs", "3", "--json", "--save",
                 str(more)]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["epoch"] for line in out.splitlines()] == [3]
    assert "resuming at epoch 3" in err
    assert len(load_checkpoint(more).history.epochs) == 3


BAD_EXPERIMENTS = [
    ({"lr": "fast"}, "lr='fast' has the wrong type"),
    ({"lerning_rate": 0.1}, "unknown field 'lerning_rate'"),
    ({"dataset": "imagenet-22k"}, "unknown dataset 'imagenet-22k'"),
    ({"model": {"kind": "zoo", "name": "resnet999"}}, "unknown model 'resnet999'"),
    ({"model": {"kind": "preset", "name": "linear-regression", "weights": "/no/w.pth"}},
     "model.weights: file /no/w.pth does not exist"),
]


@pytest.mark.parametrize(("change", "message"), BAD_EXPERIMENTS)
def test_bad_experiment_files_exit_2_naming_the_field_and_overwrite_nothing(
        tmp_path: Path, capsys, change: dict, message: str) -> None:
    from engine.models import ModelRef
    from engine.training import RunConfig

    base = RunConfig(model=ModelRef.preset("linear-regression"), dataset="synthetic-linear",
                     num_epochs=1, batch_size=10, lr=0.03, device="cpu").to_dict()
    exp = tmp_path / "exp.json"
    exp.write_text(json.dumps({**base, **change}))
    keep = tmp_path / "keep.pt"
    keep.write_bytes(b"precious")
    assert main(["train", "--config", str(exp), "--save", str(keep)]) == 2
    assert message in capsys.readouterr().err
    assert keep.read_bytes() == b"precious"


def test_checkpoint_of_another_architecture_names_the_tensor(tmp_path: Path, capsys) -> None:
    ckpt = tmp_path / "lin.pt"
    assert main(["train", "--preset", "linear-regression", "--epochs", "1", "--device", "cpu",
                 "--save", str(ckpt)]) == 0
    capsys.readouterr()
    before = ckpt.read_bytes()
    assert main(["train", "--preset", "softmax-regression", "--resume", str(ckpt), "--epochs",
                 "2", "--limit-train", "20", "--limit-test", "10", "--device", "cpu", "--save",
                 str(ckpt)]) == 2
    err = capsys.readouterr().err
    assert "does not fit this network" in err and "tensor" in err
    assert ckpt.read_bytes() == before


def test_zoo_models_train_other_tasks_from_the_command_line(tmp_path: Path, capsys,
                                                            monkeypatch) -> None:
    assert main(["train", "--zoo", "toy-fcn", "--dataset", "toy-masks", "--epochs", "1",
                 "--lr", "0.05", "--optimizer", "adam", "--batch-size", "16", "--limit-train",
                 "64", "--limit-test", "16", "--device", "cpu", "--json"]) == 0
    line = json.loads(capsys.readouterr().out.splitlines()[0])
    assert {"test_pixel_acc", "test_miou"} <= line["metrics"].keys() and line["test_acc"] is None
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    assert main(["train", "--zoo", "resnet18", "--weights", "pretrained", "--dataset",
                 "procedural-shapes", "--epochs", "1", "--batch-size", "8", "--limit-train", "8",
                 "--limit-test", "8", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "weights: random init — pretrained ResNet18_Weights.DEFAULT is not in" in out


def test_save_destination_is_checked_before_any_epoch(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "no-such-folder" / "net.pt"
    assert main(["train", "--preset", "linear-regression", "--save", str(missing),
                 "--device", "cpu"]) == 2
    out, err = capsys.readouterr()
    assert "epoch" not in out and "training" not in out  # refused before training
    assert err.strip() == (f"error: could not save {missing}: the folder "
                           f"{missing.parent} does not exist")


def test_unwritable_save_path_is_one_sentence_not_a_traceback(tmp_path: Path, capsys) -> None:
    (tmp_path / "file.txt").write_text("a file where a folder should be")
    target = tmp_path / "file.txt" / "out.pt"
    assert main(["train", "--preset", "linear-regression", "--save", str(target),
                 "--device", "cpu"]) == 2
    out, err = capsys.readouterr()
    assert "epoch" not in out and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert str(target) in err and "is a file, not a folder" in err and ".tmp" not in err


_BANANAS = ["train", "--zoo", "toy-ssd", "--dataset", "bananas", "--epochs", "1", "--n-train",
            "8", "--n-test", "4", "--batch-size", "4", "--device", "cpu"]


def test_dataset_options_reach_the_dataset_and_resize_is_said(capsys) -> None:
    assert main([*_BANANAS, "--dataset-option", "size=64", "--json"]) == 0
    out, err = capsys.readouterr()
    assert "procedural bananas (offline, seed 0, 64x64, 1 object per image)" in err
    assert "test_bbox_mae" in json.loads(out.splitlines()[0])["metrics"]
    # --resize works on bananas as on every image set: after generating, and the line says so
    assert main([*_BANANAS, "--dataset-option", "size=64", "--resize", "32"]) == 0
    assert "64x64, 1 object per image), resized to 32x32, 8 train" in capsys.readouterr().out


@pytest.mark.parametrize(("option", "message"), [
    ("sise=64", "unknown option(s) sise for dataset 'bananas'; it accepts: size (default 256), "
                "objects (default 1)"),
    ("size=big", "option size='big' of dataset 'bananas' must be an integer (default 256)"),
])
def test_bad_dataset_options_are_refused_before_anything_is_written(
        tmp_path: Path, capsys, option: str, message: str) -> None:
    exp = tmp_path / "exp.json"
    assert main([*_BANANAS, "--dataset-option", option, "--dump-config", str(exp)]) == 2
    assert capsys.readouterr().err.strip() == f"error: {message}"
    assert not exp.exists()
    with pytest.raises(SystemExit):  # not KEY=VALUE: argparse's usage error
        main([*_BANANAS, "--dataset-option", "size"])
    assert "'size' is not KEY=VALUE" in capsys.readouterr().err


def test_dataset_options_round_trip_through_dump_config(tmp_path: Path, capsys) -> None:
    from engine.training import RunConfig

    exp, again = tmp_path / "exp.json", tmp_path / "again.json"
    assert main([*_BANANAS, "--dataset-option", "size=64", "--dataset-option", "objects=2",
                 "--dump-config", str(exp)]) == 0
    cfg = RunConfig.from_json(exp.read_text())
    assert cfg.dataset_options == {"size": 64, "objects": 2}
    assert main(["train", "--config", str(exp), "--dump-config", str(again)]) == 0
    assert RunConfig.from_json(again.read_text()) == cfg
    # a flag overrides the file's option and keeps the others
    assert main(["train", "--config", str(exp), "--dataset-option", "size=32", "--dump-config",
                 str(again)]) == 0
    assert RunConfig.from_json(again.read_text()).dataset_options == {"size": 32, "objects": 2}
    capsys.readouterr()
