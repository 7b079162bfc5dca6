"""engine.training.runstore: runs kept between sessions, corrupt files skipped, undo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from torch import nn

from engine.data import load_dataset
from engine.training import Finished, train
from engine.training.runstore import (
    default_runs_dir,
    load_runs,
    new_run_id,
    purge_removed,
    remove_run,
    run_files,
    save_run,
    undo_remove,
)


@pytest.fixture(scope="module")
def history():
    bundle = load_dataset("blobs", batch_size=20, n_train=100, n_test=20)
    events = list(train(nn.Linear(2, 3), bundle, num_epochs=2, lr=0.1, device="cpu"))
    assert isinstance(events[-1], Finished)
    return events[-1].history


def record(run_id: str, number: int, history, **extra) -> dict:
    return {"id": run_id, "number": number, "network": "lin", "dataset": "blobs",
            "task": "classification", "status": "finished", "reason": "", "source": "gen",
            "learned": "", "settings": {"lr": 0.1, "num_epochs": 2, "init": None},
            "history": history, "final": {"test_acc": 0.5, "test_loss": None},
            "weights": False, **extra}


def test_round_trip_keeps_settings_history_and_figures(tmp_path: Path, history) -> None:
    rid = new_run_id()
    path = save_run(tmp_path / "runs", record(rid, 3, history))
    assert path == tmp_path / "runs" / f"{rid}.json"
    assert not list((tmp_path / "runs").glob(".*"))  # atomic: no temp file left
    records, problems = load_runs(tmp_path / "runs")
    assert problems == [] and len(records) == 1
    r = records[0]
    assert (r["id"], r["number"], r["settings"], r["final"]) == (
        rid, 3, {"lr": 0.1, "num_epochs": 2, "init": None}, {"test_acc": 0.5, "test_loss": None})
    assert r["history"].to_dict() == history.to_dict() and r["weights_path"] == ""


def test_corrupt_and_foreign_files_are_skipped_with_a_message(tmp_path: Path, history) -> None:
    good = new_run_id()
    save_run(tmp_path, record(good, 1, history))
    (tmp_path / "broken.json").write_text('{"format": "dl-playground-run", "vers')
    (tmp_path / "other.json").write_text(json.dumps({"name": "a network spec"}))
    bad_types = record("badtypes", 2, history.to_dict(), final={"test_acc": "high"})
    (tmp_path / "badtypes.json").write_text(json.dumps({"format": "dl-playground-run",
                                                        "version": 1, **bad_types}))
    (tmp_path / "deep.json").write_text("[" * 100000 + "]" * 100000)
    (tmp_path / "renamed.json").write_text((tmp_path / f"{good}.json").read_text())
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    records, problems = load_runs(tmp_path)
    assert [r["id"] for r in records] == [good]
    assert len(problems) == 6
    text = "\n".join(problems)
    for name in ("broken", "other", "badtypes", "deep", "renamed", "binary"):
        assert f"skipped {tmp_path / name}.json: " in text
    assert "not a run file" in text and "not valid JSON" in text and "numbers" in text


def test_remove_can_be_undone_until_purged(tmp_path: Path, history) -> None:
    rid = new_run_id()
    save_run(tmp_path, record(rid, 1, history, weights=True))
    json_path, pt_path = run_files(tmp_path, rid)
    pt_path.write_bytes(b"weights")
    assert load_runs(tmp_path)[0][0]["weights_path"] == str(pt_path)
    remove_run(tmp_path, rid)
    assert load_runs(tmp_path) == ([], []) and not json_path.exists()
    assert undo_remove(tmp_path, rid)
    assert json_path.exists() and pt_path.read_bytes() == b"weights"
    remove_run(tmp_path, rid)
    assert purge_removed(tmp_path) == 2 and not undo_remove(tmp_path, rid)
    assert list(tmp_path.iterdir()) == []


def test_bad_records_are_refused_before_writing(tmp_path: Path, history) -> None:
    with pytest.raises(ValueError, match="run id"):
        save_run(tmp_path, record("../escape", 1, history))
    with pytest.raises(ValueError, match="while it runs"):
        save_run(tmp_path, record(new_run_id(), 1, history, status="running"))
    assert list(tmp_path.iterdir()) == []


def test_runs_folder_sits_beside_the_data_folder(monkeypatch, tmp_path: Path) -> None:
    from engine.data import default_data_root

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_runs_dir() == default_data_root().parent / "runs"
