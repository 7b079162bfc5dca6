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


def test_an_unwritable_folder_is_one_error_naming_the_target(tmp_path):
    """The clean-up used to fail again (NotADirectoryError inside the finally)."""
    from engine.files import SaveError

    (tmp_path / "file.txt").write_text("x")
    target = tmp_path / "file.txt" / "out.pt"
    with pytest.raises(SaveError) as info:
        write_bytes_atomic(target, b"data")
    exc = info.value
    assert isinstance(exc, OSError) and isinstance(exc, ValueError)
    assert str(exc) == f"could not save {target}: {tmp_path / 'file.txt'} is a file, not a folder"
    assert exc.filename == str(target) and ".tmp" not in str(exc)
    assert isinstance(exc.__cause__, NotADirectoryError)
    assert exc.__cause__.__context__ is None  # no second failure chained on


def test_missing_folder_and_folder_targets_say_so(tmp_path):
    from engine.files import SaveError, check_writable

    with pytest.raises(SaveError, match="the folder .*no does not exist"):
        write_text_atomic(tmp_path / "no" / "x.json", "{}")
    with pytest.raises(SaveError, match="is a folder"):
        check_writable(tmp_path)
    with pytest.raises(SaveError, match="does not exist"):
        check_writable(tmp_path / "a" / "b.pt")
    assert check_writable(tmp_path / "ok.pt") == tmp_path / "ok.pt"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_read_only_folder_is_refused_up_front(tmp_path):
    from engine.files import SaveError, check_writable

    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(SaveError, match="no permission to write in"):
            check_writable(ro / "x.pt")
        with pytest.raises(SaveError, match="no permission"):
            write_text_atomic(ro / "x.json", "{}")
    finally:
        ro.chmod(0o700)


def test_errors_reading_a_source_are_not_blamed_on_the_target(tmp_path):
    with pytest.raises(FileNotFoundError), atomic_path(tmp_path / "out.bin"):
        (tmp_path / "source-that-is-missing.gz").read_bytes()
