"""engine.files: the one atomic-write helper every save goes through."""

import os
import stat

import pytest

from engine.files import atomic_path, write_bytes_atomic, write_text_atomic


def test_write_text_replaces_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "net.json"
    target.write_text("old")
    write_text_atomic(target, "new ✓")
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.json"]


def test_failure_keeps_the_previous_file_and_cleans_up(tmp_path):
    target = tmp_path / "picture.png"
    target.write_bytes(b"previous")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half a fi")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["picture.png"]


def test_temp_file_keeps_the_suffix_and_sits_beside_the_target(tmp_path):
    with atomic_path(tmp_path / "a.png") as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".png" and tmp.name.startswith(".")
        tmp.write_bytes(b"x")
    assert (tmp_path / "a.png").read_bytes() == b"x"


def test_new_files_get_ordinary_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        write_bytes_atomic(tmp_path / "c.pt", b"\0\1")
    finally:
        os.umask(umask)
    mode = stat.S_IMODE((tmp_path / "c.pt").stat().st_mode)
    assert mode == 0o644  # not mkstemp's 0o600


def test_missing_folder_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        write_text_atomic(tmp_path / "no" / "such" / "dir.json", "{}")
