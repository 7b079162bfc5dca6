"""Base class of every tab: what the main window may ask of it."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from gui.context import AppContext
from gui.workers import JobRunner


class PlaygroundTab(QWidget):
    """A feature tab. Subclasses set ``title``/``key`` and build their UI.

    The main window calls ``open_image(path)`` for File → Open / ``--image`` /
    drops, and ``shutdown()`` when closing (stop and wait for workers).
    """

    key = "tab"
    title = "Tab"

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._runners: list[JobRunner] = []

    def make_runner(self, name: str) -> JobRunner:
        """A JobRunner owned by this tab; errors go to the message panel."""
        runner = JobRunner(self, name=f"{self.key}:{name}")
        runner.failed.connect(lambda msg: self.context.error(f"{self.title}: {msg}"))
        self._runners.append(runner)
        return runner

    def accepts_images(self) -> bool:
        return False

    def open_image(self, path: str) -> bool:
        """Show the image at ``path``; return False if this tab has no image view."""
        return False

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        for runner in self._runners:
            runner.stop()
        return all(runner.wait(timeout_ms) for runner in self._runners)


class PendingTab(PlaygroundTab):
    """Stands in for a tab whose module needs torch while torch is still loading."""

    def __init__(self, context: AppContext, key: str, title: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.key, self.title = key, title
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QLabel, QVBoxLayout

        label = QLabel(f"<h3>{title}</h3><p>Loading PyTorch…</p>")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        QVBoxLayout(self).addWidget(label)
