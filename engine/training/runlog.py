"""The run log: a headless run's record as JSON lines, and reading it back for the GUI.

One JSON object per line, so a run that is killed leaves every finished epoch readable::

    {"kind": "header", "format": "dl-playground run log", "version": 1,
     "started": "2026-12-01T17:30:00+00:00", "config": {...}, "meta": {"world_size": 2}}
    {"kind": "note", "text": "69 training examples do not split evenly over 2 ..."}
    {"kind": "epoch", "epoch": 1, "train_loss": 0.93, ..., "metrics": {...}}
    {"kind": "epoch", "epoch": 2, ...}
    {"kind": "end", "status": "finished", "reason": null, "epochs": 2, "seconds": 41.2}

``status`` is ``"finished"``, or the ``kind`` of a ``Stopped`` event (``"user"``,
``"diverged"``, ``"out-of-memory"``). Under ``torchrun`` only rank 0 writes it.

:func:`read_run_log` also reads what ``python -m engine train --json`` prints (lines of
epoch records without ``kind``), so a redirected stdout opens as a run log too.
"""

from __future__ import annotations

import datetime
import json
import time
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import IO, Any

FORMAT = "dl-playground run log"
VERSION = 1


def _plain(record: Any) -> dict[str, Any]:
    if hasattr(record, "to_dict"):  # events: flat, with the book's names and ``metrics``
        return dict(record.to_dict())
    if is_dataclass(record) and not isinstance(record, type):
        return asdict(record)
    if isinstance(record, dict):
        return dict(record)
    raise ValueError(f"a run-log record must be a dataclass or a dict, not "
                     f"{type(record).__name__}")


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as f:
        f.seek(-1, 2)
        return f.read(1) == b"\n"


class RunLogWriter:
    """Writes a run log line by line, flushing each so a killed run keeps its epochs.

    >>> with RunLogWriter("run.jsonl", config.to_dict(), meta={"world_size": 2}) as log:
    ...     for event in run(config):
    ...         log.record(event)

    Args:
        path: the ``.jsonl`` file; replaced if it exists (``append=True`` adds to it,
            e.g. when a run resumes).
        config: the run's configuration as plain JSON data (``RunConfig`` as a dict).
        meta: anything else worth keeping: world size, device, dataset source.
    """

    def __init__(self, path: str | Path, config: dict[str, Any], *,
                 meta: dict[str, Any] | None = None, append: bool = False) -> None:
        self.path = Path(path)
        self.epochs = 0
        self._started = time.perf_counter()
        try:
            self._file: IO[str] | None = self.path.open("a" if append else "w",
                                                        encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot write the run log {self.path}: {exc.strerror}") from exc
        if append and self._file.tell() > 0 and not _ends_with_newline(self.path):
            self._file.write("\n")  # a killed run's cut-off line stays a line of its own
        self._write({"kind": "header", "format": FORMAT, "version": VERSION,
                     "started": datetime.datetime.now(datetime.timezone.utc).isoformat(
                         timespec="seconds"),
                     "config": config, "meta": dict(meta or {})})

    def __enter__(self) -> RunLogWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, line: dict[str, Any]) -> None:
        if self._file is None:
            raise ValueError(f"the run log {self.path} is closed")
        self._file.write(json.dumps(line) + "\n")
        self._file.flush()

    def note(self, text: str) -> None:
        """A sentence for whoever reads the log (e.g. how the data was sharded)."""
        self._write({"kind": "note", "text": str(text)})

    def epoch(self, record: Any) -> None:
        """One finished epoch (an ``EpochEnd`` or its dict)."""
        self._write({"kind": "epoch", **_plain(record)})
        self.epochs += 1

    def end(self, status: str, reason: str | None = None) -> None:
        """The final line; ``status`` is ``"finished"`` or how the run stopped."""
        self._write({"kind": "end", "status": status, "reason": reason, "epochs": self.epochs,
                     "seconds": round(time.perf_counter() - self._started, 3)})

    def record(self, event: Any) -> None:
        """Log a training event: epoch ends and the terminal event; others are skipped."""
        from engine.training.events import EpochEnd, Finished, Stopped

        if isinstance(event, EpochEnd):
            self.epoch(event)
        elif isinstance(event, Finished):
            self.end("finished")
        elif isinstance(event, Stopped):
            self.end(event.kind, event.reason)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


@dataclass
class RunLog:
    """A run log read back (see :func:`read_run_log`).

    Attributes:
        path: the file.
        config: the run's configuration from the header; empty for ``--json`` output.
        meta: the header's extra facts (world size, device…).
        started: ISO time the run started, or None.
        epochs: one dict per finished epoch, in order.
        end: the final line, or None when the run did not finish writing it.
        notes: the log's own notes plus what the reader noticed (a cut-off last line,
            a missing final line).
    """

    path: Path
    config: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    started: str | None = None
    epochs: list[dict[str, Any]] = field(default_factory=list)
    end: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``"finished"``, how it stopped, or ``"incomplete"`` without a final line."""
        return self.end.get("status", "incomplete") if self.end else "incomplete"

    def curves(self) -> dict[str, tuple[list[float], list[float]]]:
        """Each numeric figure against the epoch: ``{key: (epochs, values)}``.

        Keys are the epoch records' numeric fields (``train_loss``, ``test_acc``…) and
        the entries of their ``metrics`` dict; ``None`` values are left out.
        """
        out: dict[str, tuple[list[float], list[float]]] = {}
        for record in self.epochs:
            x = float(record["epoch"])
            values = {k: v for k, v in record.items() if k not in ("epoch", "kind")}
            values.update(record.get("metrics") or {})
            for key, value in values.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    xs, ys = out.setdefault(key, ([], []))
                    xs.append(x)
                    ys.append(float(value))
        return out

    def history(self) -> Any:
        """The epochs as an ``engine.training.History`` (settings = the config)."""
        from engine.training.events import History

        epochs = [{k: v for k, v in e.items() if k != "kind"} for e in self.epochs]
        try:
            return History.from_dict({"settings": self.config, "epochs": epochs})
        except ValueError as exc:
            raise ValueError(f"{self.path}: the epochs do not match this version's "
                             f"records: {exc}") from exc


def _is_header(line: str) -> bool:
    try:
        item = json.loads(line)
    except json.JSONDecodeError:
        return False
    return isinstance(item, dict) and item.get("kind") == "header"


def _is_epoch(line: dict[str, Any]) -> bool:
    return isinstance(line.get("epoch"), int) and ("metrics" in line or "train_loss" in line)


def read_run_log(path: str | Path) -> RunLog:
    """Read a run log written by :class:`RunLogWriter` (or ``train --json`` output).

    A cut-off last line (a run killed while writing) is skipped with a note in
    ``notes``; so is a line of an unknown kind (a newer version's).

    Raises:
        ValueError: the file cannot be read, is empty, or is not a run log — naming the
            file and the first bad line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read the run log {path}: {exc.strerror}") from exc
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a run log: it is not text (JSON lines)") from None
    lines = text.splitlines()
    numbered = [(i, line) for i, line in enumerate(lines, 1) if line.strip()]
    if not numbered:
        raise ValueError(f"{path} is empty: not a run log")
    log = RunLog(path)
    for k, (number, line) in enumerate(numbered):
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            # Cut off by a kill: the last line, or the line before a resumed run's header.
            last = k == len(numbered) - 1 and not text.endswith("\n") and k > 0
            if last or (k > 0 and k + 1 < len(numbered) and _is_header(numbered[k + 1][1])):
                log.notes.append(f"line {number} is cut off (the run was probably killed "
                                 f"while writing it); skipped")
                continue
            raise ValueError(f"{path} line {number} is not a run log line (JSON expected: "
                             f"{exc.msg})") from None
        if not isinstance(item, dict):
            raise ValueError(f"{path} line {number} is not a run log line (a JSON object "
                             f"expected, got {type(item).__name__})")
        _take(log, item, number)
    if not log.epochs and log.end is None and not log.config:
        raise ValueError(f"{path} line {numbered[0][0]} is not a run log line (no header, "
                         f"epoch or final line)")
    if log.end is None:
        log.notes.append("no final line: the run was stopped abruptly or is still running")
    return log


def _take(log: RunLog, item: dict[str, Any], number: int) -> None:
    kind = item.get("kind")
    if kind == "header":
        if item.get("format") != FORMAT:
            raise ValueError(f"{log.path} line {number} is not a run log header "
                             f"(format {item.get('format')!r})")
        if not isinstance(item.get("version"), int) or item["version"] > VERSION:
            log.notes.append(f"line {number}: written by a newer version "
                             f"({item.get('version')!r}); read as version {VERSION}")
        log.config = dict(item.get("config") or {})
        log.meta = dict(item.get("meta") or {})
        log.started = item.get("started")
        if log.epochs:  # a resumed run appended to its log: keep the latest attempt
            log.notes.append(f"line {number}: the run was started again here")
    elif kind == "epoch" or (kind is None and _is_epoch(item)):
        if not _is_epoch(item):
            raise ValueError(f"{log.path} line {number} is an epoch line without an "
                             f"epoch number and figures")
        item = {k: v for k, v in item.items() if k != "kind"}
        log.epochs = [e for e in log.epochs if e["epoch"] < item["epoch"]] + [item]
    elif kind == "note":
        log.notes.append(str(item.get("text", "")))
    elif kind == "end":
        log.end = {k: v for k, v in item.items() if k != "kind"}
    else:
        log.notes.append(f"line {number}: unknown kind {kind!r}; skipped")

