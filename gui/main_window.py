"""MainWindow: thin. Builds tabs, menus, status bar; stops workers on close."""

from __future__ import annotations

import platform
from pathlib import Path

from PySide6.QtCore import QRect, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QToolButton,
    QWidget,
)

from gui.context import AppContext
from gui.dialogs import IMAGE_DIR_KEY, ask_path
from gui.image_io import image_file_filter
from gui.tabs import TABS, TabSpec
from gui.tabs.base import PendingTab, PlaygroundTab
from gui.workers import shutdown_all
from widgets.image_canvas import ImageCanvas
from widgets.message_panel import MessagePanel

PICTURE_DIR_KEY = "files/last_picture_dir"


class MainWindow(QMainWindow):
    tabs_loaded = Signal()  # every tab is built (torch imported)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle("Deep Learning Playground")
        self.resize(1280, 820)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        self._tab_by_key: dict[str, PlaygroundTab] = {}
        self._status_level = ""  # level of the message the status bar shows now
        self._unread: dict[str, int] = {}
        self._build_messages()
        self._build_tabs()
        self._build_menus()
        self._build_status_bar()
        self._restore_settings()
        context.message_posted.connect(self._on_context_message_posted)
        context.device_changed.connect(self._on_context_device_changed)
        context.network_sent.connect(self._on_context_network_sent)
        context.augmentation_sent.connect(lambda _spec: self.show_tab("train"))

    # ------------------------------------------------------------- build
    def _build_tabs(self) -> None:
        """Build the tabs; those needing torch wait until torch is imported (off the UI
        thread, by the device probe) so the window shows at once."""
        for spec in TABS:
            if spec.needs_torch and not self.context.device_ready:
                tab: PlaygroundTab = PendingTab(self.context, spec.key, spec.title)
            else:
                tab = self._make_tab(spec)
            self._tab_by_key[spec.key] = tab
            self.tabs.addTab(tab, spec.title)
            self.tabs.setTabToolTip(self.tabs.count() - 1, spec.description)
        if self.tabs_ready():
            QTimer.singleShot(0, self.tabs_loaded.emit)
        else:
            self.context.device_changed.connect(self._on_context_device_found)

    def _make_tab(self, spec: TabSpec) -> PlaygroundTab:
        if spec.key == "home":
            summaries = [(s.key, s.title, s.description) for s in TABS if s.key != "home"]
            tab = spec.load()(self.context, tabs=summaries)
            tab.tab_requested.connect(self.show_tab)
        else:
            tab = spec.load()(self.context)
        for canvas in tab.findChildren(ImageCanvas):
            canvas.image_loaded.connect(self._on_image_loaded)
        return tab

    def tabs_ready(self) -> bool:
        return not any(isinstance(t, PendingTab) for t in self._tab_by_key.values())

    def _on_context_device_found(self, _device: str) -> None:
        self.context.device_changed.disconnect(self._on_context_device_found)
        for spec in TABS:
            pending = self._tab_by_key[spec.key]
            if not isinstance(pending, PendingTab):
                continue
            index = self.tabs.indexOf(pending)
            was_current = self.tabs.currentIndex() == index
            tab = self._make_tab(spec)
            self._tab_by_key[spec.key] = tab
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, tab, spec.title)
            self.tabs.setTabToolTip(index, spec.description)
            if was_current:
                self.tabs.setCurrentIndex(index)
            pending.deleteLater()
        self.tabs_loaded.emit()

    def _build_messages(self) -> None:
        self.messages = MessagePanel()
        self.messages_dock = QDockWidget("Messages", self)
        self.messages_dock.setObjectName("messages_dock")
        self.messages_dock.setWidget(self.messages)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.messages_dock)
        self.messages_dock.hide()
        self.messages_dock.visibilityChanged.connect(self._on_messages_dock_visibility_changed)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = QAction("&Open image…", self, shortcut=QKeySequence.StandardKey.Open)
        self.open_action.setStatusTip("Open an image in the current tab")
        self.open_action.triggered.connect(self._ask_open_image)
        file_menu.addAction(self.open_action)
        shot = QAction("Save &picture of this tab…", self, shortcut=QKeySequence("Ctrl+Shift+S"))
        shot.setStatusTip("Save what the current tab shows as a PNG")
        shot.triggered.connect(self._ask_save_tab_picture)
        file_menu.addAction(shot)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        view_menu = bar.addMenu("&View")
        for i, spec in enumerate(TABS):
            action = QAction(spec.title, self)
            if i < 9:
                action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _=False, k=spec.key: self.show_tab(k))
            view_menu.addAction(action)
        view_menu.addSeparator()
        toggle = self.messages_dock.toggleViewAction()
        toggle.setShortcut(QKeySequence("Ctrl+M"))
        view_menu.addAction(toggle)

        settings_menu = bar.addMenu("&Settings")
        self.cpu_action = QAction("Use CPU only", self, checkable=True)
        self.cpu_action.setChecked(self.context.force_cpu)
        self.cpu_action.setStatusTip("Ignore CUDA/MPS GPUs and compute on the CPU")
        self.cpu_action.toggled.connect(self.context.set_force_cpu)
        settings_menu.addAction(self.cpu_action)

        help_menu = bar.addMenu("&Help")
        about = QAction("&About", self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)

    def _build_status_bar(self) -> None:
        # Errors do not pop the Messages dock open (it took ~45 % of the window): a badge
        # counts what came since the dock was last looked at, and opens it.
        self.messages_button = QToolButton()
        self.messages_button.setAutoRaise(True)
        self.messages_button.setToolTip("Open the Messages panel (Ctrl+M)")
        self.messages_button.clicked.connect(self.show_messages)
        self.messages_button.hide()
        self.statusBar().addPermanentWidget(self.messages_button)
        self.device_label = QLabel("Device: detecting…")
        self.device_label.setToolTip("Where tensors are computed: CUDA → MPS → CPU "
                                     "(Settings → Use CPU only)")
        self.statusBar().addPermanentWidget(self.device_label)
        if self.context.device_ready:
            self.device_label.setText(f"Device: {self.context.device_label}")
        self.statusBar().showMessage("Ready", 3000)

    # ------------------------------------------------------------- public
    def tab(self, key: str) -> PlaygroundTab:
        return self._tab_by_key[key]

    def current_tab(self) -> PlaygroundTab:
        return self.tabs.currentWidget()  # type: ignore[return-value]

    def show_tab(self, key: str) -> None:
        tab = self._tab_by_key.get(key)
        if tab is None:
            raise ValueError(f"No tab '{key}'. Tabs: {', '.join(self._tab_by_key)}")
        self.tabs.setCurrentWidget(tab)

    def open_image(self, path: str) -> bool:
        """Open ``path`` in the current tab (or Home if it shows no images)."""
        tab = self.current_tab()
        if not tab.accepts_images():
            tab = self._tab_by_key["home"]
            self.tabs.setCurrentWidget(tab)
        return tab.open_image(path)

    def show_messages(self) -> None:
        """Show the Messages dock at a modest height (the badge's action)."""
        self.messages_dock.show()
        self.messages_dock.raise_()
        self.resizeDocks([self.messages_dock], [max(120, self.height() // 5)],
                         Qt.Orientation.Vertical)

    def show_about(self) -> None:
        QMessageBox.about(self, "About Deep Learning Playground", self.about_text())

    def about_text(self) -> str:
        import pyqtgraph
        import PySide6
        import torch
        import torchvision
        from PySide6.QtCore import qVersion

        from engine import __version__

        return (f"<h3>Deep Learning Playground {__version__}</h3>"
                "<p>A visual, offline companion to <i>Dive into Deep Learning</i>.</p>"
                f"<p>Python {platform.python_version()}<br>"
                f"torch {torch.__version__}, torchvision {torchvision.__version__}<br>"
                f"Qt {qVersion()} (PySide6 {PySide6.__version__}), "
                f"pyqtgraph {pyqtgraph.__version__}<br>"
                f"Compute device: {self.context.device_label}</p>")

    # -------------------------------------------------------------- slots
    def _ask_open_image(self) -> None:
        path = ask_path(self, self.context.settings, IMAGE_DIR_KEY, "Open image",
                        file_filter=image_file_filter())
        if path:
            self.open_image(path)

    def save_tab_picture(self, path: str) -> bool:
        """Render the current tab to a PNG (written to a temp file, then renamed)."""
        from engine.files import SaveError, atomic_path, check_writable

        try:
            check_writable(path)  # Qt only says False: name the reason first where we can
            with atomic_path(path) as tmp:
                if not self.current_tab().grab().save(str(tmp), "PNG"):
                    raise SaveError(path, reason=f"Qt could not write a PNG in "
                                                 f"{Path(path).parent}")
        except SaveError as exc:
            self.context.error(str(exc)[0].upper() + str(exc)[1:])
            return False
        self.context.info(f"Saved a picture of {self.current_tab().title} to {path}")
        return True

    def _ask_save_tab_picture(self) -> None:
        name = f"{self._key_of(self.current_tab())}.png"
        path = ask_path(self, self.context.settings, PICTURE_DIR_KEY, "Save picture of this tab",
                        save=True, name=name, file_filter="PNG images (*.png)")
        if path:
            self.save_tab_picture(path)

    def _on_context_message_posted(self, level: str, text: str) -> None:
        self.messages.add(level, text)
        self._show_status(level, text)
        if not self.messages_dock.isVisible():
            self._unread[level] = self._unread.get(level, 0) + 1
            self._update_messages_button()

    def _show_status(self, level: str, text: str) -> None:
        # An error stays until the next message replaces it (an info of a later success
        # does); infos and warnings fade after a while.
        self._status_level = level
        self.statusBar().showMessage(("✖ " if level == "error" else "") + text,
                                     0 if level == "error" else 8000)

    def _on_image_loaded(self, _array: object, path: str, _notice: str) -> None:
        """A good load replaces an error the status bar still shows (e.g. of a bad file)."""
        if self._status_level == "error":
            self._show_status("info", f"Opened {Path(path).name}")

    def _update_messages_button(self) -> None:
        total = sum(self._unread.values())
        errors = self._unread.get("error", 0)
        self.messages_button.setVisible(total > 0)
        if total:
            icon = "⚠" if self._unread.get("warning") else "ℹ"
            text = f"✖ {errors} error{'s' * (errors > 1)}" if errors else icon
            rest = total - errors
            if rest and errors:
                text += f" · {rest} more"
            elif not errors:
                text += f" {total} new message{'s' * (total > 1)}"
            self.messages_button.setText(text)
            self.messages_button.setStyleSheet("color: #b00020; font-weight: bold;"
                                               if errors else "")

    def _on_messages_dock_visibility_changed(self, visible: bool) -> None:
        if visible:
            self._unread.clear()
            self._update_messages_button()

    def _on_context_network_sent(self, _spec: object) -> None:
        if "train" in self._tab_by_key:
            self.show_tab("train")

    def _on_context_device_changed(self, _device: str) -> None:
        self.device_label.setText(f"Device: {self.context.device_label}")

    # ------------------------------------------------------ persistence
    def _restore_settings(self) -> None:
        s = self.context.settings
        geometry = s.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
            self._ensure_on_screen()
        last = str(s.value("window/tab", "home"))
        if last in self._tab_by_key:
            self.show_tab(last)

    def _save_settings(self) -> None:
        s = self.context.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/tab", self._key_of(self.current_tab()))

    def _ensure_on_screen(self) -> None:
        """Keep the whole restored frame, title bar included, on a screen that exists now
        (it came back at (1, 25) with its frame cut off, or on an unplugged monitor)."""
        screen = (QGuiApplication.screenAt(self.frameGeometry().center())
                  or QGuiApplication.primaryScreen())
        if screen is None:
            return
        avail = screen.availableGeometry()
        frame = self.frameGeometry()
        extra_w = frame.width() - self.width()  # the frame's borders and title bar
        extra_h = frame.height() - self.height()
        self.resize(min(self.width(), avail.width() - extra_w),
                    min(self.height(), avail.height() - extra_h))
        frame = self.frameGeometry()
        x = min(max(frame.x(), avail.left()), avail.right() + 1 - frame.width())
        y = min(max(frame.y(), avail.top()), avail.bottom() + 1 - frame.height())
        if (x, y) != (frame.x(), frame.y()):
            self.move(x, y)  # move() places the frame, not the client area

    def on_screen(self) -> bool:
        """Whether the window's frame lies within a screen's available area."""
        frame: QRect = self.frameGeometry()
        return any(s.availableGeometry().contains(frame) for s in QGuiApplication.screens())

    def _key_of(self, tab: QWidget) -> str:
        return next((k for k, t in self._tab_by_key.items() if t is tab), "home")

    def busy_work(self) -> list[str]:
        """What the tabs are doing that closing would stop (``busy_description()``)."""
        out = []
        for tab in self._tab_by_key.values():
            describe = getattr(tab, "busy_description", None)
            text = describe() if describe is not None else None
            if text:
                out.append(text)
        return out

    def confirm_close(self, work: list[str]) -> bool:
        """Ask whether to stop ``work`` and quit; True to close."""
        answer = QMessageBox.question(
            self, "Stop and quit?",
            "Closing stops what is running:\n\n" + "\n".join(f"• {w}" for w in work)
            + "\n\nThe run is kept as stopped, with its curves so far.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        work = self.busy_work()
        if work and not self.confirm_close(work):
            event.ignore()
            return
        self._save_settings()
        self.statusBar().showMessage("Stopping background jobs…")
        for tab in self._tab_by_key.values():
            tab.shutdown()
        shutdown_all(5000)
        event.accept()

