"""UI responsiveness while the Train tab trains: timer lateness and curve update rate.

    python benchmarks/ui_responsiveness.py [--seconds 10] [--idle 3] [--n-train 20000]
                                           [--torch-threads N]

Offscreen, the real MainWindow with its Train tab trains LeNet on the procedural set.
A 10 ms ``QTimer`` on the UI thread records how late each tick fires (interval - 10
ms): first with the window idle (the baseline, same process), then while the run is
live. Also counted while training: progress events received per second and curve
redraw passes per second (ticks in which ``PlotPanel.redraws`` grew). Goals: p99
lateness < 50 ms, curve updates >= 5 Hz. Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

GOAL_P99_MS = 50.0
GOAL_HZ = 5.0
TICK_MS = 10


class Probe:
    """Counts timer lateness and curve redraw passes, phase by phase."""

    def __init__(self, curves) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.curves = curves
        self.phase = "off"
        self.late: dict[str, list[float]] = {"idle": [], "train": []}
        self.redraw_ticks = 0
        self._last = time.perf_counter()
        self._redraws = curves.redraws
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._on_tick)
        self.timer.start()

    def _on_tick(self) -> None:
        now = time.perf_counter()
        if self.phase in self.late:
            self.late[self.phase].append(max(0.0, (now - self._last) * 1000 - TICK_MS))
        if self.phase == "train" and self.curves.redraws > self._redraws:
            self.redraw_ticks += 1
        self._redraws = self.curves.redraws
        self._last = now


def stats(values: list[float]) -> str:
    if not values:
        return "no samples"
    a = np.asarray(values)
    return (f"p50 {np.percentile(a, 50):6.2f} ms   p99 {np.percentile(a, 99):6.2f} ms   "
            f"max {a.max():7.2f} ms   ({len(a)} ticks)")


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="training time measured")
    parser.add_argument("--idle", type=float, default=3.0, help="idle baseline time")
    parser.add_argument("--n-train", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--torch-threads", type=int, default=0,
                        help="torch intra-op threads (0 = torch's default); fewer leaves a "
                             "core to the UI thread at the cost of throughput")
    args = parser.parse_args()
    if args.torch_threads > 0:
        import torch

        torch.set_num_threads(args.torch_threads)

    import pyqtgraph as pg
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from engine.training import BatchProgress
    from gui.context import AppContext
    from gui.main_window import MainWindow
    from gui.tabs.train.job import Prepared

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    pg.setConfigOptions(antialias=True, imageAxisOrder="row-major")
    tmp = tempfile.TemporaryDirectory()
    context = AppContext(QSettings(str(Path(tmp.name) / "s.ini"), QSettings.Format.IniFormat))
    context.detect_device(background=False)
    window = MainWindow(context)
    window.resize(1280, 820)
    window.show_tab("train")
    window.show()
    tab = window.tab("train")
    tab.source.set_preset("lenet")
    tab.data.set_subset(args.n_train, 2000)
    tab.hparams.set_values(num_epochs=1000, batch_size=args.batch_size)
    probe = Probe(tab.curves)
    loop = QEventLoop()
    state = {"events": 0, "t0": 0.0, "t1": 0.0, "ended": False}

    def on_event(event: object) -> None:
        if isinstance(event, Prepared):
            probe.phase, state["t0"] = "train", time.perf_counter()
            QTimer.singleShot(int(args.seconds * 1000), finish)
        elif isinstance(event, BatchProgress) and probe.phase == "train":
            state["events"] += 1

    def finish() -> None:
        probe.phase, state["t1"] = "off", time.perf_counter()
        tab.stop()

    def start() -> None:
        probe.phase = "off"
        tab.start_training()

    tab.runner.event.connect(on_event)
    tab.runner.finished.connect(lambda _s: loop.quit())
    tab.runner.failed.connect(lambda msg: print(f"training failed: {msg}", file=sys.stderr))
    probe.phase = "idle"
    QTimer.singleShot(int(args.idle * 1000), start)
    loop.exec()
    train_s = (state["t1"] or time.perf_counter()) - state["t0"] if state["t0"] else 0.0
    run = next(iter(tab.runs.values()), None)
    window.close()

    idle, live = probe.late["idle"], probe.late["train"]
    p99 = float(np.percentile(live, 99)) if live else float("inf")
    event_hz = state["events"] / train_s if train_s else 0.0
    redraw_hz = probe.redraw_ticks / train_s if train_s else 0.0
    print(f"LeNet on procedural-shapes, {args.n_train} examples, batch {args.batch_size}, "
          f"device {context.device}, {torch_threads()} torch threads, "
          f"{train_s:.1f} s of training"
          + (f", {run.final.get('examples_per_sec') or 0:,.0f} examples/s" if run else ""))
    print(f"10 ms timer lateness, idle baseline : {stats(idle)}")
    print(f"10 ms timer lateness, while training: {stats(live)}")
    if idle:
        base = max(float(np.percentile(idle, 99)), 0.01)
        print(f"p99 ratio training / idle: {p99 / base:.1f}x")
    print(f"progress events: {event_hz:.1f} /s   curve redraw passes: {redraw_hz:.1f} /s "
          f"(PlotPanel.redraws, all series: {tab.curves.redraws})")
    ok_late, ok_rate = p99 < GOAL_P99_MS, min(event_hz, redraw_hz) >= GOAL_HZ
    print(f"goal p99 < {GOAL_P99_MS:.0f} ms: {'met' if ok_late else 'NOT met'} ({p99:.1f} ms)")
    print(f"goal curve updates >= {GOAL_HZ:.0f} Hz: {'met' if ok_rate else 'NOT met'} "
          f"({min(event_hz, redraw_hz):.1f} Hz)")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
