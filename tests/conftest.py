"""Test set-up: offscreen Qt, isolated settings, few torch threads."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

import engine  # noqa: E402,F401  (before torch: the app's allocator settings)


@pytest.fixture(autouse=True)
def _app_data_in_tmp(tmp_path, monkeypatch):
    """The app's data folder (datasets, kept runs) in a temp folder: tests never read or
    write the user's runs."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "xdg-data"))


def pytest_collection_modifyitems(config, items):
    """Skip ``@pytest.mark.needs_cuda`` tests where torch sees no CUDA device (torch is
    imported only when such a test was collected)."""
    marked = [item for item in items if item.get_closest_marker("needs_cuda")]
    if not marked:
        return
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in marked:
        item.add_marker(skip)


@pytest.fixture
def settings(tmp_path):
    """A QSettings in a temp INI file so tests never touch the user's settings."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def context(qapp, settings):
    from gui.context import AppContext

    ctx = AppContext(settings)
    ctx.detect_device(background=False)
    return ctx


@pytest.fixture(autouse=True, scope="session")
def _pyqtgraph_config():
    try:
        import pyqtgraph as pg
    except ImportError:  # engine-only environments
        return
    pg.setConfigOptions(antialias=False, imageAxisOrder="row-major")


@pytest.fixture
def assets_dir() -> Path:
    return ROOT / "assets"
