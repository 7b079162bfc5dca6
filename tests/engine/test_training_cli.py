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
