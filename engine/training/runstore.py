"""Runs kept between sessions: one JSON file per run, plus its weights when asked for.

Layout, in the app's data folder (``default_runs_dir()``, beside the datasets folder)::

    runs/<id>.json       settings, history (curves), final figures, status of one run
    runs/<id>.pt         its weights as a checkpoint (engine.training.checkpoint), optional
    runs/<id>.json.removed, <id>.pt.removed   removed, still undoable this session

Every write is atomic (``engine.files``). Reading never trusts a file: anything that is not
a run file of this app (bad JSON, another format, wrong types) is skipped with a sentence
naming it, never an exception. Removing renames to ``*.removed`` so it can be undone;
``purge_removed`` deletes those for good (at the next start).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from engine.files import write_text_atomic
from engine.training.events import History

FORMAT = "dl-playground-run"
VERSION = 1
REMOVED = ".removed"
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TEXT_FIELDS = ("network", "dataset", "task", "status", "reason", "source", "learned")


def default_runs_dir() -> Path:
    """``<app data>/runs``, e.g. ``~/.local/share/dl-playground/runs`` (``$XDG_DATA_HOME``
    respected; the datasets live in ``<app data>/data``). Not created here."""
    from engine.data import default_data_root

    return default_data_root().parent / "runs"


def new_run_id() -> str:
    """A file-name-safe id that sorts by time: ``20260101-120000-1a2b3c``."""
    return f"{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"


def run_files(folder: str | os.PathLike[str], run_id: str) -> tuple[Path, Path]:
    """``(json path, weights path)`` of run ``run_id`` in ``folder``."""
    _check_id(run_id)
    folder = Path(folder)
    return folder / f"{run_id}.json", folder / f"{run_id}.pt"


def save_run(folder: str | os.PathLike[str], record: dict[str, Any]) -> Path:
    """Write one run's record atomically (the folder is created if needed).

    Args:
        folder: the runs folder.
        record: ``id`` (str, see ``new_run_id``), ``number`` (int), ``network``,
            ``dataset``, ``task``, ``status``, ``reason``, ``source``, ``learned`` (str),
            ``settings`` (dict of plain values), ``history`` (``History`` or its dict),
            ``final`` (dict of floats/None), ``weights`` (bool: ``<id>.pt`` was written).

    Returns:
        The JSON file written.

    Raises:
        engine.files.SaveError: the file could not be written (a sentence naming it).
        ValueError: the record is not valid.
    """
    history = record.get("history")
    data = {"format": FORMAT, "version": VERSION,
            "saved": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **record,
            "history": history.to_dict() if isinstance(history, History) else history}
    _check_record(data)
    path, _ = run_files(folder, data["id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(data, default=_plain) + "\n")
    return path


def load_runs(folder: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Every readable run in ``folder``, oldest number first, and a sentence per file that
    was skipped. Records come back as saved, with ``history`` a ``History`` and
    ``weights_path`` the ``.pt`` file when it exists ('' otherwise)."""
    folder = Path(folder)
    if not folder.is_dir():
        return [], []
    records, problems = [], []
    for path in sorted(folder.glob("*.json")):
        try:
            record = _read(path)
        except ValueError as exc:
            problems.append(f"skipped {path}: {exc}")
            continue
        # The file decides, not the flag: weights still being written when the record was
        # (the window closed mid-save) count once they are there. A .pt is only ever
        # complete (atomic) and is checked again when it is loaded.
        weights = path.with_suffix(".pt")
        record["weights_path"] = str(weights) if weights.is_file() else ""
        records.append(record)
    records.sort(key=lambda r: (r["number"], r["id"]))
    return records, problems


def remove_run(folder: str | os.PathLike[str], run_id: str) -> None:
    """Set a run's files aside (``*.removed``) so ``undo_remove`` can bring them back."""
    for path in run_files(folder, run_id):
        if path.exists():
            os.replace(path, path.with_name(path.name + REMOVED))


def undo_remove(folder: str | os.PathLike[str], run_id: str) -> bool:
    """Put back the files ``remove_run`` set aside; False if there were none."""
    found = False
    for path in run_files(folder, run_id):
        aside = path.with_name(path.name + REMOVED)
        if aside.exists():
            os.replace(aside, path)
            found = True
    return found


def purge_removed(folder: str | os.PathLike[str]) -> int:
    """Delete the files of runs removed in an earlier session; returns how many."""
    folder = Path(folder)
    count = 0
    if folder.is_dir():
        for path in folder.glob(f"*{REMOVED}"):
            try:
                path.unlink()
                count += 1
            except OSError:
                pass  # retried at the next start
    return count


# ----------------------------------------------------------------------------- checks
def _check_id(run_id: object) -> None:
    if not isinstance(run_id, str) or not _ID.match(run_id):
        raise ValueError(f"run id {run_id!r} must be letters, digits, '-' or '_'")


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):  # a numpy / torch scalar
        return value.item()
    if isinstance(value, (tuple, set)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not plain data")


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot be read ({getattr(exc, 'strerror', None) or exc})") from exc
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("not a run file of this app")
    if data.get("version") != VERSION:
        raise ValueError(f"run file version {data.get('version')!r}; this app reads "
                         f"version {VERSION}")
    if data.get("id") != path.stem:
        raise ValueError(f"its id {data.get('id')!r} does not match the file name")
    _check_record(data)
    data["history"] = History.from_dict(data["history"])
    return data


def _check_record(data: dict[str, Any]) -> None:
    _check_id(data.get("id"))
    number = data.get("number")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValueError(f"run number {number!r} must be a positive integer")
    for key in _TEXT_FIELDS:
        if not isinstance(data.get(key, ""), str):
            raise ValueError(f"{key} must be text, not {data.get(key)!r}")
    if data.get("status") in ("running", "paused"):
        raise ValueError("a run is stored once it ended, not while it runs")
    if not isinstance(data.get("settings", {}), dict):
        raise ValueError("settings must be an object")
    final = data.get("final", {})
    if not isinstance(final, dict) or not all(_number(v) for v in final.values()):
        raise ValueError("final figures must be numbers")
    history = data.get("history")
    if not isinstance(history, dict):
        raise ValueError("history must be an object")
    for key in ("epochs", "progress"):
        rows = history.get(key, [])
        if not isinstance(rows, list) or not all(
                isinstance(row, dict) and all(_figure(k, v) for k, v in row.items())
                for row in rows):
            raise ValueError(f"history {key} must be a list of objects of numbers")
    History.from_dict(history)  # field names (raises ValueError)


def _figure(key: str, value: object) -> bool:
    """A history row's value: a number, or its ``metrics`` object of numbers."""
    if key == "metrics":
        return isinstance(value, dict) and all(_number(v) for v in value.values())
    return _number(value)


def _number(value: object) -> bool:
    """None or an int/float (NaN and inf included: a diverged run's figures)."""
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
