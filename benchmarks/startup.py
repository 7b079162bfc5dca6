"""Start-up time: process start -> main window shown, vs a bare PySide6 window.

    python benchmarks/startup.py [--runs 5]

Both are measured the same way in the same run: spawn the process, read stdout
until it prints "shown" (after the window's first show has been processed), take
the wall time. Prints medians, the ratio, and whether the 2.5 s goal is met.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_S = 2.5

BARE = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.resize(1280, 820); w.show()
QTimer.singleShot(0, lambda: (print("shown", flush=True), app.quit()))
app.exec()
"""


def time_to_shown(cmd: list[str]) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == "shown":
            elapsed = time.perf_counter() - start
            break
    else:
        raise RuntimeError(f"{cmd} never printed 'shown'")
    proc.wait(timeout=60)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app_cmd = [sys.executable, "main.py", "--quit-when-shown", "--settings",
                   str(Path(tmp) / "s.ini")]
        bare_cmd = [sys.executable, "-c", BARE]
        time_to_shown(app_cmd)  # warm the OS file cache once for both
        time_to_shown(bare_cmd)
        app_times, bare_times = [], []
        for _ in range(args.runs):
            app_times.append(time_to_shown(app_cmd))
            bare_times.append(time_to_shown(bare_cmd))
    app_s, bare_s = statistics.median(app_times), statistics.median(bare_times)
    runs = ", ".join(f"{t:.2f}" for t in app_times)
    print(f"main window shown : median {app_s:.2f} s  ({runs})")
    runs = ", ".join(f"{t:.2f}" for t in bare_times)
    print(f"bare PySide6 window: median {bare_s:.2f} s  ({runs})")
    print(f"ratio app/bare: {app_s / bare_s:.2f}x")
    print(f"goal: shown in < {GOAL_S} s -> {'met' if app_s < GOAL_S else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
