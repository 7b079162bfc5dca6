"""MainWindow: every tab builds, menus, device in the status bar, settings, close."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gui.main_window import MainWindow
from gui.tabs import TABS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def window(qtbot, context):
    w = MainWindow(context)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.mark.parametrize("spec", TABS, ids=[t.key for t in TABS])
def test_every_tab_builds_and_shows(window, qtbot, spec):
    window.show_tab(spec.key)
    assert window.current_tab() is window.tab(spec.key)
    assert window.tabs.tabText(window.tabs.currentIndex()) == spec.title
    qtbot.wait(20)
    assert window.current_tab().isVisible()


def test_menus_and_status_bar(window):
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles == ["&File", "&View", "&Settings", "&Help"]
    assert window.open_action.shortcut().toString() == "Ctrl+O"
    assert window.device_label.text().startswith("Device: CPU")
    about = window.about_text()
    import torch

    assert torch.__version__ in about and "Qt" in about and "CPU" in about


def test_force_cpu_preference_is_remembered(window, context, qtbot):
    window.cpu_action.setChecked(True)
    qtbot.waitUntil(lambda: context.device_ready, timeout=5000)
    assert context.settings.value("device/force_cpu") in (True, "true")
    assert context.device == "cpu"


def test_open_image_goes_to_home_canvas(window, tmp_path):
    arr = np.zeros((12, 16, 3), np.uint8)
    Image.fromarray(arr).save(tmp_path / "x.png")
    assert window.open_image(str(tmp_path / "x.png"))
    home = window.tab("home")
    assert home.canvas.image_size() == (16, 12)


def test_open_bad_image_reports_error(window, tmp_path, qtbot):
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff garbage")
    window.show_tab("home")
    assert not window.open_image(str(tmp_path / "bad.jpg"))
    messages = window.messages.messages()
    assert messages and messages[-1][0] == "error"
    assert "bad.jpg" in messages[-1][1]


def test_tab_and_geometry_remembered(qtbot, context):
    w = MainWindow(context)
    qtbot.addWidget(w)
    w.show_tab(TABS[-1].key)
    w.close()
    w2 = MainWindow(context)
    qtbot.addWidget(w2)
    assert w2.current_tab() is w2.tab(TABS[-1].key)


def test_close_stops_running_job(window, qtbot):
    import time

    runner = window.tab("home").make_runner("test")

    def forever(control):
        while not control.should_stop():
            time.sleep(0.005)
            yield 0

    runner.start(forever)
    qtbot.wait(50)
    assert runner.is_running()
    window.close()
    assert runner.wait(100)  # close() already waited for it


def test_screenshot_option_writes_png(tmp_path):
    out = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "main.py", "--screenshot", str(out), "--settings",
         str(tmp_path / "s.ini"), "--image", str(ROOT / "assets" / "cat.jpg"), "--cpu"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    img = np.asarray(Image.open(out).convert("RGB"))
    assert img.shape[0] > 400 and img.shape[1] > 600
    assert img.std() > 20  # not blank


def test_save_tab_picture(window, tmp_path):
    window.show_tab("detection")
    assert window.save_tab_picture(str(tmp_path / "lab.png"))
    img = np.asarray(Image.open(tmp_path / "lab.png").convert("RGB"))
    assert img.std() > 10
    assert not list(tmp_path.glob(".*tmp*"))


def test_torch_tabs_are_built_once_torch_has_loaded(qtbot, settings):
    from gui.context import AppContext
    from gui.tabs.base import PendingTab

    ctx = AppContext(settings)  # device not probed yet: torch-backed tabs wait
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show_tab("detection")
    assert isinstance(w.tab("detection"), PendingTab) and not w.tabs_ready()
    assert not isinstance(w.tab("home"), PendingTab)
    with qtbot.waitSignal(w.tabs_loaded, timeout=60000):
        ctx.detect_device()  # in a thread, as at start-up
    assert w.tabs_ready()
    assert w.current_tab() is w.tab("detection")  # still the tab the user was on
    assert w.tab("detection").image_size() == (451, 300)
    assert [w.tabs.tabText(i) for i in range(w.tabs.count())] == [t.title for t in TABS]


def test_errors_do_not_open_the_messages_dock_a_badge_counts_them(window, context, qtbot):
    assert not window.messages_dock.isVisible() and window.messages_button.isHidden()
    context.error("Home: bad.jpg could not be loaded")
    context.info("Build: saved net.json")
    assert not window.messages_dock.isVisible()  # it used to pop open on every error
    assert not window.messages_button.isHidden()
    assert window.messages_button.text() == "✖ 1 error · 1 more"
    window.messages_button.click()
    assert window.messages_dock.isVisible() and window.messages_button.isHidden()
    assert window.messages_dock.height() < window.height() * 0.3


def test_a_good_load_replaces_the_error_in_the_status_bar(window, tmp_path, qtbot):
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff garbage")
    Image.fromarray(np.zeros((12, 16, 3), np.uint8)).save(tmp_path / "good.png")
    window.show_tab("home")
    assert not window.open_image(str(tmp_path / "bad.jpg"))
    assert "bad.jpg" in window.statusBar().currentMessage()
    qtbot.wait(10)
    assert window.open_image(str(tmp_path / "good.png"))
    qtbot.waitUntil(lambda: "bad.jpg" not in window.statusBar().currentMessage(), timeout=3000)
    assert window.statusBar().currentMessage() == "Opened good.png"


def test_window_restored_off_screen_comes_back_whole_on_a_screen(qtbot, context):
    w = MainWindow(context)
    qtbot.addWidget(w)
    w.show()
    w.setGeometry(-3000, -2000, 900, 600)  # e.g. saved on a monitor that is gone now
    w.close()
    w2 = MainWindow(context)
    qtbot.addWidget(w2)
    assert w2.on_screen(), w2.frameGeometry()


def test_save_tab_picture_failure_names_the_users_path(window, tmp_path):
    (tmp_path / "file.txt").write_text("x")
    target = tmp_path / "file.txt" / "lab.png"
    assert not window.save_tab_picture(str(target))
    level, text = window.messages.messages()[-1]
    assert level == "error" and text == (f"Could not save {target}: {tmp_path / 'file.txt'} is "
                                         f"a file, not a folder")
