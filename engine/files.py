"""Atomic file writes: the one place the app replaces a file.

Every save (images, box files, network specs, exported scripts, checkpoints, pictures of a
tab, run files) writes a temporary file beside the target and renames it over the target,
so a crash, a full disk or an exception half-way never leaves a truncated file and never
destroys the previous version. A failure to write is a ``SaveError``: one sentence that
names the user's path (never the temporary file) and says why.
"""

from __future__ import annotations

import errno
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


class SaveError(OSError, ValueError):
    """A file could not be written; ``str()`` is a sentence naming the target path.

    Both an ``OSError`` (keeps ``errno``/``strerror``; ``filename`` is the target) and a
    ``ValueError`` (so every caller that shows ValueError text shows this sentence).
    """

    def __init__(self, target: str | os.PathLike[str], cause: OSError | None = None,
                 reason: str | None = None) -> None:
        code = cause.errno if cause is not None else None
        why = reason or _reason(Path(target), cause)
        super().__init__(code, why, str(target))
        self.message = f"could not save {target}: {why}"

    def __str__(self) -> str:
        return self.message


def _blocking_file(path: Path) -> Path | None:
    """The nearest ancestor of ``path`` that exists, if it is a file (not a folder)."""
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def _reason(target: Path, cause: OSError | None) -> str:
    code = cause.errno if cause is not None else None
    blocking = _blocking_file(target)
    if blocking is not None:
        return f"{blocking} is a file, not a folder"
    if code == errno.ENOENT or not target.parent.is_dir():
        return f"the folder {target.parent} does not exist"
    if code in (errno.EACCES, errno.EPERM):
        return f"no permission to write in {target.parent}"
    if code == errno.EROFS:
        return f"{target.parent} is on a read-only file system"
    if code == errno.ENOSPC:
        return "the disk is full"
    if code == errno.EISDIR or target.is_dir():
        return f"{target} is a folder"
    text = (cause.strerror if cause is not None else None) or str(cause or "unknown error")
    return text[0].lower() + text[1:] if text else "unknown error"


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Raise ``SaveError`` now if ``path`` clearly cannot be written (folder missing, a
    file in the way, no write permission, the path is a folder); returns it as a Path.

    For checks before long work (train, then save): the save itself still reports any
    other failure.
    """
    target = Path(path).expanduser()
    if target.is_dir():
        raise SaveError(target, reason=f"{target} is a folder; add a file name")
    blocking = _blocking_file(target)
    if blocking is not None or not target.parent.is_dir():
        raise SaveError(target)
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise SaveError(target, reason=f"no permission to write in {target.parent}")
    return target


def _is_ours(exc: OSError, tmp: Path, target: Path) -> bool:
    """Whether ``exc`` is about writing the file (not, say, reading a source file)."""
    names = {exc.filename, exc.filename2} - {None}
    return not names or bool(names & {str(tmp), str(target), tmp, target})


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    The temporary name keeps the target's suffix (writers that pick a format from it still
    work) and is removed if the block raises. The file is created by the writer, so it gets
    the usual permissions. An ``OSError`` about writing becomes a ``SaveError`` naming
    ``path``; cleaning up after a failure never raises a second error.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp"
                           f"{target.suffix}")
    try:
        yield tmp
        os.replace(tmp, target)
    except SaveError:
        raise
    except OSError as exc:
        if not _is_ours(exc, tmp, target):
            raise
        raise SaveError(target, exc) from exc
    finally:
        with suppress(OSError):  # e.g. the folder is missing or unwritable: nothing to remove
            tmp.unlink(missing_ok=True)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, flushed to disk; returns the path."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return Path(path)
