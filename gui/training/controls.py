"""Train / Pause / Resume / Stop, the progress bar (epoch, step, ETA), examples per
second, and a message banner — for any tab that trains (``ControlBar.attach`` connects
the bar to a ``TrainingSession``)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

BANNER_STYLES = {"error": "background: #fde7e9; color: #8a0010; border: 1px solid #f1aeb5;",
                 "warning": "background: #fff4ce; color: #5c4400; border: 1px solid #f0d58a;",
                 "info": "background: #e6f4ea; color: #0d5223; border: 1px solid #a8dab5;"}
PAUSED = " (paused)"


class ControlBar(QWidget):
    """Buttons and progress. The tab connects ``train_button`` (it knows what to train);
    ``attach(session)`` does the rest: Pause / Resume / Stop, the state, the progress."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.train_button = QPushButton("▶ Train")
        self.train_button.setToolTip("Load the data, build the network and train it")
        self.train_button.setStyleSheet("QPushButton { font-weight: bold; padding: 4px 14px; }")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Pause after the current batch")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Continue the paused run")
        self.stop_button = QPushButton("■ Stop")
        self.stop_button.setToolTip("Stop within one batch; the run is kept")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("idle")
        self.progress.setMinimumWidth(260)
        self.status = QLabel()
        self.status.setMinimumWidth(200)
        self.status.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        for b in (self.train_button, self.pause_button, self.resume_button, self.stop_button):
            bar.addWidget(b)
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.status)
        self.set_state("idle", can_train=True)  # nothing to pause or stop yet

    def attach(self, session) -> None:
        """Drive Pause / Resume / Stop and the progress bar from ``session``
        (a ``gui.training.TrainingSession``); ``can_train()`` on the session's owner
        still decides whether **Train** is enabled (``set_state``)."""
        self.pause_button.clicked.connect(session.pause)
        self.resume_button.clicked.connect(session.resume)
        self.stop_button.clicked.connect(session.stop)
        session.progress.connect(lambda p: self.show_progress(
            p, session.num_epochs, session.elapsed(), session.is_paused(),
            device=session.device_label, start=session.start_fraction))
        session.finished.connect(lambda stopped: self.show_ended(stopped, session.elapsed()))

    def show_ended(self, stopped: bool, elapsed: float) -> None:
        """The bar once a run is over: where it ended and how long it took (no ETA)."""
        where = self.progress.format().removesuffix(PAUSED).split(" · ETA")[0]
        end = "stopped" if stopped else "done"
        self.progress.setFormat(f"{end}: {where} · {duration_text(elapsed)}"
                                if where.startswith("epoch ") else end)

    def set_state(self, state: str, *, can_train: bool) -> None:
        """``idle`` / ``loading`` / ``running`` / ``paused``."""
        busy = state in ("loading", "running", "paused")
        self.train_button.setEnabled(not busy and can_train)
        self.pause_button.setEnabled(state == "running")
        self.resume_button.setEnabled(state == "paused")
        self.stop_button.setEnabled(busy)
        text = self.progress.format().removesuffix(PAUSED)
        if state == "loading":
            self.progress.setValue(0)
            self.progress.setFormat("loading data and building the network…")
        elif state == "paused":
            self.progress.setFormat(text + PAUSED)
        elif state == "running":
            self.progress.setFormat(text)

    def show_progress(self, p, num_epochs: int, elapsed: float, paused: bool, *,
                      device: str = "", start: float = 0.0) -> None:
        """A ``BatchProgress`` ``p``: bar, epoch/step/ETA text, examples per second.

        ``elapsed`` seconds went into the epochs since ``start`` (a resumed run starts
        after its saved epochs), so the ETA is measured on those alone."""
        done = p.fraction / num_epochs
        trained = p.fraction - start
        eta = elapsed * (num_epochs - p.fraction) / trained if trained > 0 else 0.0
        self.progress.setValue(int(1000 * done))
        self.progress.setFormat(f"epoch {p.epoch}/{num_epochs} · step {p.step}/"
                                f"{p.steps_per_epoch} · ETA {_clock(eta)}"
                                + (PAUSED if paused else ""))
        where = f" on {device}" if device else ""
        self.status.setText(f"{p.examples_per_sec:,.0f} examples/s{where}")


class Banner(QLabel):
    """A coloured, selectable message line above the plot (hidden when empty)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.level = ""
        self.hide()

    def show_message(self, level: str, text: str) -> None:
        self.level = level
        self.setStyleSheet(f"QLabel {{ {BANNER_STYLES[level]} padding: 6px; "
                           "border-radius: 4px; }")
        self.setText(text)
        self.show()

    def hide(self) -> None:
        self.level = ""
        super().hide()


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else (
        f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}")


def duration_text(seconds: float) -> str:
    """``2 h 41 min``, ``12 min``, ``45 s``."""
    seconds = max(0, round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    if seconds >= 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds} s"
