"""The JSON-lines run log: written line by line, read back tolerantly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.training.events import EpochEnd, Finished, History, Stopped
from engine.training.runlog import RunLogWriter, read_run_log

CONFIG = {"batch_size": 32, "lr": 0.1, "num_epochs": 3, "dataset": "spiral"}


def epoch(n: int, loss: float = 1.0) -> EpochEnd:
    return EpochEnd(n, {"train_loss": loss, "train_acc": 0.5 + n / 10, "test_loss": loss * 1.1,
                        "test_acc": 0.4 + n / 10}, 1000.0, 0.1, 2.0)


def write(path: Path, epochs: int = 3, *, end: object | None = None) -> None:
    with RunLogWriter(path, CONFIG, meta={"world_size": 2}) as log:
        log.note("69 examples over 2 processes")
        for n in range(1, epochs + 1):
            log.record(epoch(n, loss=1.0 / n))
        log.record(end if end is not None else Finished(History()))


def test_round_trip_header_epochs_end(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    write(path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["kind"] for line in lines] == ["header", "note", "epoch", "epoch", "epoch",
                                                "end"]
    log = read_run_log(path)
    assert log.config == CONFIG and log.meta == {"world_size": 2}
    assert log.status == "finished" and log.end["epochs"] == 3
    assert [e["epoch"] for e in log.epochs] == [1, 2, 3]
    assert log.notes == ["69 examples over 2 processes"]
    xs, ys = log.curves()["train_loss"]
    assert xs == [1.0, 2.0, 3.0] and ys == pytest.approx([1.0, 0.5, 1 / 3])
    history = log.history()
    assert history.epochs == [epoch(1, 1.0), epoch(2, 0.5), epoch(3, 1 / 3)]
    assert history.settings == CONFIG


def test_each_line_is_on_disk_before_the_run_ends(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    log = RunLogWriter(path, CONFIG)
    log.record(epoch(1))
    assert [e["epoch"] for e in read_run_log(path).epochs] == [1]  # not yet closed
    log.close()


def test_stopped_run_records_how(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    write(path, 1, end=Stopped("loss diverged at epoch 2 step 3", History(), 2, 3,
                               "diverged"))
    log = read_run_log(path)
    assert log.status == "diverged" and "step 3" in log.end["reason"]


def test_a_cut_off_last_line_is_skipped_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    write(path)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:4]) + lines[4][:25])  # killed while writing epoch 3
    log = read_run_log(path)
    assert [e["epoch"] for e in log.epochs] == [1, 2]
    assert log.status == "incomplete"
    assert any("line 5 is cut off" in n for n in log.notes)
    assert any("no final line" in n for n in log.notes)


def test_a_bad_line_in_the_middle_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    write(path)
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = "{broken\n"
    path.write_text("".join(lines))
    with pytest.raises(ValueError, match=r"run\.jsonl line 3 is not a run log line"):
        read_run_log(path)


@pytest.mark.parametrize(("content", "message"), [
    ("", "is empty"),
    ("\n\n", "is empty"),
    ('{\n  "name": "lenet",\n  "layers": []\n}\n', r"line 1 is not a run log line"),
    ("[1, 2, 3]\n", r"line 1 is not a run log line \(a JSON object expected, got list\)"),
    ('{"name": "lenet"}\n', r"line 1 is not a run log line \(no header"),
    ('{"kind": "header", "format": "something else"}\n', "line 1 is not a run log header"),
    ("hello world", r"line 1 is not a run log line"),
])
def test_not_a_run_log_raises_value_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "other.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as info:
        read_run_log(path)
    assert "other.json" in str(info.value)


def test_binary_and_missing_files(tmp_path: Path) -> None:
    blob = tmp_path / "weights.pt"
    blob.write_bytes(b"PK\x03\x04\xff\xfe\x00binary")
    with pytest.raises(ValueError, match=r"weights\.pt is not a run log: it is not text"):
        read_run_log(blob)
    with pytest.raises(ValueError, match=r"cannot read the run log .*missing\.jsonl"):
        read_run_log(tmp_path / "missing.jsonl")


def test_json_stdout_of_the_cli_reads_as_a_log(tmp_path: Path) -> None:
    """``train --json > out.jsonl``: epoch records without ``kind`` and no header."""
    path = tmp_path / "out.jsonl"
    path.write_text("".join(json.dumps(epoch(n).to_dict()) + "\n" for n in (1, 2)))
    log = read_run_log(path)
    assert [e["epoch"] for e in log.epochs] == [1, 2] and log.config == {}
    assert "test_acc" in log.curves()


def test_metrics_dict_becomes_curves(tmp_path: Path) -> None:
    path = tmp_path / "seg.jsonl"
    with RunLogWriter(path, CONFIG) as log:
        for n in (1, 2):
            log.epoch({"epoch": n, "metrics": {"train_loss": 1.0 / n, "mean_iou": 0.2 * n,
                                               "test_acc": None}})
    curves = read_run_log(path).curves()
    assert curves["mean_iou"] == ([1.0, 2.0], [0.2, 0.4])
    assert "test_acc" not in curves  # None values are not plotted


def test_appended_resume_keeps_the_latest_attempt_per_epoch(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with RunLogWriter(path, CONFIG) as log:
        log.record(epoch(1, 2.0))
        log.record(epoch(2, 2.0))  # then killed
    with RunLogWriter(path, CONFIG, append=True) as log:  # resumed from epoch 1
        log.record(epoch(2, 0.5))
        log.record(Finished(History()))
    log = read_run_log(path)
    assert [(e["epoch"], e["train_loss"]) for e in log.epochs] == [(1, 2.0), (2, 0.5)]
    assert any("started again" in n for n in log.notes)


def test_unknown_kind_is_skipped_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    write(path, 1)
    with path.open("a") as f:
        f.write(json.dumps({"kind": "sparkle", "x": 1}) + "\n")
    log = read_run_log(path)
    assert log.status == "finished" and any("unknown kind 'sparkle'" in n for n in log.notes)


def test_unwritable_path_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot write the run log"):
        RunLogWriter(tmp_path / "no" / "such" / "dir" / "run.jsonl", CONFIG)


def test_killed_then_resumed_with_append_skips_the_cut_line(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with RunLogWriter(path, CONFIG) as log:
        log.record(epoch(1, 2.0))
    with path.open("a") as f:
        f.write('{"kind": "epoch", "epo')  # killed mid-line
    with RunLogWriter(path, CONFIG, append=True) as log:
        log.record(epoch(2, 0.5))
        log.record(Finished(History()))
    log = read_run_log(path)
    assert [e["epoch"] for e in log.epochs] == [1, 2] and log.status == "finished"
    assert any("line 3 is cut off" in n for n in log.notes)


def test_version_1_json_lines_read_into_a_history(tmp_path: Path) -> None:
    """What ``train --json`` printed before issue 10: the book's names as fields."""
    path = tmp_path / "old.jsonl"
    old = {"epoch": 1, "train_loss": 0.9, "train_acc": 0.6, "test_loss": 1.0,
           "test_acc": 0.55, "examples_per_sec": 900.0, "lr": 0.1, "seconds": 3.0}
    path.write_text(json.dumps(old) + "\n")
    log = read_run_log(path)
    assert log.history().epochs[0].test_acc == 0.55
    assert log.curves()["train_acc"] == ([1.0], [0.6])


def spiral_config() -> str:
    from engine.builder import NetworkSpec
    from engine.builder.spec import layer
    from engine.models import ModelRef
    from engine.training.config import RunConfig

    spec = NetworkSpec("mlp-2d", (1, 2), (layer("Linear", in_features=2, out_features=8),
                                          layer("ReLU"), layer("Linear", out_features=2)),
                       "xavier")
    return RunConfig(model=ModelRef.from_spec(spec), dataset="spiral", n_train=64, n_test=32,
                     batch_size=16, num_epochs=2, lr=0.3, device="cpu").to_json()


def test_cli_run_log_of_one_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                    ) -> None:
    from engine.cli import main

    (tmp_path / "exp.json").write_text(spiral_config())
    code = main(["train", "--config", str(tmp_path / "exp.json"), "--json",
                 "--run-log", str(tmp_path / "run.jsonl")])
    assert code == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    log = read_run_log(tmp_path / "run.jsonl")
    assert log.status == "finished" and log.meta == {"world_size": 1}
    assert log.config["dataset"] == "spiral" and log.config["num_epochs"] == 2
    assert [e["metrics"] for e in log.epochs] == [p["metrics"] for p in printed]
    assert log.notes == []  # one process: nothing sharded


def test_interrupted_run_says_so_in_its_log(tmp_path: Path) -> None:
    from engine.training.config import RunConfig
    from engine.training.launch import RunOutputs

    with RunOutputs(RunConfig(), log=tmp_path / "run.jsonl", dist=None) as out:
        out.record(epoch(1))
        out.interrupted()  # what the CLI does on Ctrl+C
    log = read_run_log(tmp_path / "run.jsonl")
    assert log.status == "interrupted" and [e["epoch"] for e in log.epochs] == [1]
