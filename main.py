"""Deep Learning Playground — start the desktop app.

    python main.py [--tab KEY] [--image PATH] [--cpu] [--screenshot OUT.png]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def parse_args(argv: list[str]) -> argparse.Namespace:
    from gui.tabs import tab_keys

    parser = argparse.ArgumentParser(prog="python main.py",
                                     description="Deep Learning Playground (d2l, offline).")
    parser.add_argument("--tab", choices=tab_keys(), help="tab to show first")
    parser.add_argument("--image", metavar="PATH", help="image to open in that tab")
    parser.add_argument("--cpu", action="store_true", help="compute on the CPU only")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="render the window after start-up to a PNG and exit")
    parser.add_argument("--size", default="1280x820", metavar="WxH",
                        help="window size (default 1280x820)")
    parser.add_argument("--settings", metavar="FILE.ini", help=argparse.SUPPRESS)
    parser.add_argument("--quit-when-shown", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--screenshot-delay", type=int, default=400, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    import engine  # noqa: F401  (first: it sets torch's allocator options before torch loads)

    args = parse_args(sys.argv[1:] if argv is None else argv)

    import pyqtgraph as pg
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from gui.context import APP, ORG, AppContext
    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORG)
    app.setApplicationName(APP)
    app.setStyle("Fusion")
    pg.setConfigOptions(antialias=True, imageAxisOrder="row-major")

    settings = (QSettings(args.settings, QSettings.Format.IniFormat) if args.settings
                else QSettings(ORG, APP))
    context = AppContext(settings, force_cpu=True if args.cpu else None)
    window = MainWindow(context)
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
        window.resize(w, h)
    except ValueError:
        print(f"--size: expected WxH like 1280x820, got {args.size!r}", file=sys.stderr)
        return 2
    if args.tab:
        window.show_tab(args.tab)
    window.show()
    if args.quit_when_shown:
        QTimer.singleShot(0, lambda: (print("shown", flush=True), app.quit()))
        return app.exec()

    context.detect_device()
    if args.image:  # once the tabs exist (torch-backed tabs are built when it has loaded)
        if window.tabs_ready():
            QTimer.singleShot(0, lambda: window.open_image(args.image))
        else:
            window.tabs_loaded.connect(lambda: window.open_image(args.image))
    if args.screenshot:
        _schedule_screenshot(app, window, context, Path(args.screenshot), args.screenshot_delay)
    return app.exec()


def _schedule_screenshot(app, window, context, out: Path, delay_ms: int) -> None:
    """Grab the window once the device is known and the tab has settled."""
    from PySide6.QtCore import QElapsedTimer, QTimer

    clock = QElapsedTimer()
    clock.start()

    def poll() -> None:
        if not (context.device_ready and window.tabs_ready()) and clock.elapsed() < 30000:
            QTimer.singleShot(100, poll)
            return
        QTimer.singleShot(delay_ms, grab)

    def grab() -> None:
        ok = window.grab().save(str(out))
        print(f"screenshot: {out}" if ok else f"screenshot: could not write {out}",
              file=sys.stderr if not ok else sys.stdout, flush=True)
        window.close()
        app.exit(0 if ok else 1)

    QTimer.singleShot(0, poll)


if __name__ == "__main__":
    raise SystemExit(main())
