"""The Build tab's footer: totals of the summary and one status line."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engine.builder import MACS_NOTE, NetworkSpec, Summary
from gui.tabs.build.format import bytes_text, shape_text


class SummaryFooter(QWidget):
    """Params (trainable / frozen), MACs and activation memory; below, the status line:
    green ✔ input → output, red ✖ the reason of an error, grey for hints."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.totals = QLabel()
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        self.totals.setToolTip(MACS_NOTE)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.totals)
        col.addWidget(self.status)

    def show_summary(self, spec: NetworkSpec, s: Summary) -> None:
        self.totals.setText(
            f"<b>Params</b> {s.total_params:,} <span style='color:#666'>(trainable "
            f"{s.trainable_params:,} · frozen {s.frozen_params:,})</span> &nbsp; "
            f"<b>MACs</b> {s.total_macs:,} &nbsp; <b>Activations</b> "
            f"{bytes_text(s.total_activation_bytes)}<br><span style='color:#777; "
            f"font-size:small'>{MACS_NOTE}; activations = float32 outputs of all rows</span>")
        if s.error:
            self.set_status(s.error, error=True)
        elif not spec.layers:
            self.set_status("Empty network: add layers from the palette or load a preset.",
                            muted=True)
        else:
            self.set_status(f"✔ {shape_text(s.input_shape)} → {shape_text(s.output_shape)}"
                            f" · {len(spec.layers)} entries, {len(s.rows)} rows")

    def set_status(self, text: str, *, error: bool = False, muted: bool = False) -> None:
        self.status.setText(("✖ " if error else "") + text)
        color = "#b00020" if error else "#666" if muted else "#2e7d32"
        self.status.setStyleSheet(f"color: {color};")
