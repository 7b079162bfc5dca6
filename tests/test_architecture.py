"""The engine runs headless: importing all of it must not load any GUI module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHECK = r"""
import importlib, pkgutil, sys
import engine
failed = []
for m in pkgutil.walk_packages(engine.__path__, 'engine.'):
    importlib.import_module(m.name)  # __main__ included: importing it must not run the CLI
bad = sorted(m for m in sys.modules
             if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'superqt', 'gui', 'widgets'))
print('BAD:' + ','.join(bad))
"""


def test_engine_imports_no_gui_modules():
    out = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True,
                         text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    assert "BAD:\n" in out.stdout or out.stdout.strip() == "BAD:", out.stdout


WIDGETS_CHECK = r"""
import importlib, pkgutil, sys
import widgets
for m in pkgutil.walk_packages(widgets.__path__, 'widgets.'):
    importlib.import_module(m.name)
print('TORCH:' + str('torch' in sys.modules) + ' ENGINE:' + str(
    any(m.split('.')[0] == 'engine' for m in sys.modules)))
"""


def test_widgets_import_neither_torch_nor_engine():
    out = subprocess.run([sys.executable, "-c", WIDGETS_CHECK], cwd=ROOT, capture_output=True,
                         text=True, timeout=180, env={**__import__("os").environ,
                                                      "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr
    assert "TORCH:False ENGINE:False" in out.stdout, out.stdout
