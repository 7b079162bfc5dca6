"""Where the network comes from: the Build tab, one of the book's presets, or a JSON file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QWidget,
)

from engine.builder import NetworkSpec, list_presets, preset, summarize
from gui.dialogs import NETWORK_DIR_KEY, NETWORK_FILTER, ask_path

BUILD, PRESET, FILE = "build", "preset", "file"


class SourcePanel(QWidget):
    """``network_changed(spec or None)`` when the chosen network changes;
    ``error_found(str)`` when a JSON file cannot be used."""

    network_changed = Signal(object)
    error_found = Signal(str)

    def __init__(self, settings: QSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings  # remembers the folder of the last network file
        self.build_spec: NetworkSpec | None = None
        self.file_spec: NetworkSpec | None = None
        self.file_path = ""
        self.build_radio = QRadioButton("From Build tab")
        self.build_radio.setToolTip("The network last sent with Build → \"Send to Train\"")
        self.preset_radio = QRadioButton("Preset")
        self.preset_radio.setToolTip("One of the book's networks with its training settings")
        self.file_radio = QRadioButton("File")
        self.file_radio.setToolTip("A network saved as JSON from the Build tab")
        self.group = QButtonGroup(self)
        for button in (self.build_radio, self.preset_radio, self.file_radio):
            self.group.addButton(button)
        self.preset_combo = QComboBox()
        for name in list_presets():
            self.preset_combo.addItem(name)
            self.preset_combo.setItemData(self.preset_combo.count() - 1,
                                          preset(name).description, Qt.ItemDataRole.ToolTipRole)
        self.build_label = QLabel("nothing sent yet — use Build → Send to Train")
        self.build_label.setStyleSheet("color: #666;")
        self.build_label.setWordWrap(True)  # a long network name must not widen the form
        self.load_button = QPushButton("Load…")
        self.load_button.setToolTip("Load a network spec (.json)")
        self.file_label = QLabel("no file")
        self.file_label.setStyleSheet("color: #666;")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.build_radio, 0, 0)
        grid.addWidget(self.build_label, 0, 1, 1, 2)
        grid.addWidget(self.preset_radio, 1, 0)
        grid.addWidget(self.preset_combo, 1, 1, 1, 2)
        grid.addWidget(self.file_radio, 2, 0)
        grid.addWidget(self.load_button, 2, 1)
        grid.addWidget(self.file_label, 2, 2)
        grid.addWidget(self.summary, 3, 0, 1, 3)
        grid.setColumnStretch(2, 1)
        self.preset_radio.setChecked(True)
        self.group.buttonToggled.connect(self._on_group_button_toggled)
        self.preset_combo.currentIndexChanged.connect(self._on_preset_changed)
        self.load_button.clicked.connect(self._ask_load)

    # ------------------------------------------------------------------ state
    def kind(self) -> str:
        if self.build_radio.isChecked():
            return BUILD
        return FILE if self.file_radio.isChecked() else PRESET

    def spec(self) -> NetworkSpec | None:
        kind = self.kind()
        if kind == BUILD:
            return self.build_spec
        if kind == FILE:
            return self.file_spec
        return preset(self.preset_combo.currentText())

    def set_kind(self, kind: str) -> None:
        button = {BUILD: self.build_radio, FILE: self.file_radio}.get(kind, self.preset_radio)
        if not button.isChecked():
            button.setChecked(True)  # emits network_changed via the group

    def set_preset(self, name: str) -> None:
        index = self.preset_combo.findText(name)
        if index < 0:
            return
        with QSignalBlocker(self.preset_combo):
            self.preset_combo.setCurrentIndex(index)
        if self.kind() == PRESET:
            self.network_changed.emit(self.spec())
        else:
            self.set_kind(PRESET)

    def set_build_network(self, spec: NetworkSpec | None) -> None:
        """A network from the Build tab; selects that source."""
        self.build_spec = spec
        self.build_label.setText(self._describe(spec) if spec is not None else
                                 "nothing sent yet — use Build → Send to Train")
        self.build_label.setStyleSheet("" if spec is not None else "color: #666;")
        if spec is None:
            return
        if self.kind() == BUILD:
            self.network_changed.emit(spec)
        else:
            self.set_kind(BUILD)

    def load_file(self, path: str) -> bool:
        try:
            spec = NetworkSpec.from_json(Path(path).read_bytes())
        except (OSError, ValueError) as exc:
            self.error_found.emit(f"cannot load network {Path(path).name}: {exc}")
            return False
        self.file_spec, self.file_path = spec, path
        self.file_label.setText(f"{Path(path).name} — {self._describe(spec)}")
        self.file_label.setToolTip(path)
        self.file_label.setStyleSheet("")
        if self.kind() == FILE:
            self.network_changed.emit(spec)
        else:
            self.set_kind(FILE)
        return True

    def show_fit(self, text: str, ok: bool, *, warn: bool = False) -> None:
        color = "#9a6700" if warn else "#1a7f37" if ok else "#b00020"
        self.summary.setText(f"<span style='color:{color}'>{text}</span>")

    @staticmethod
    def _describe(spec: NetworkSpec) -> str:
        try:
            params = f"{summarize(spec).total_params:,} parameters"
        except ValueError:
            params = "parameters unknown"
        return f"{spec.name} ({len(spec.layers)} layers, {params})"

    # ------------------------------------------------------------------ slots
    def _on_group_button_toggled(self, _button: object, checked: bool) -> None:
        if checked:
            self.network_changed.emit(self.spec())

    def _on_preset_changed(self, *_: object) -> None:
        if self.kind() == PRESET:
            self.network_changed.emit(self.spec())
        else:
            self.set_kind(PRESET)

    def _ask_load(self) -> None:
        path = ask_path(self, self._settings, NETWORK_DIR_KEY, "Load network",
                        file_filter=NETWORK_FILTER)
        if path:
            self.load_file(path)
