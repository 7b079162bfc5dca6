"""The Build tab's footer: totals of the summary, the memory training needs, and one
status line."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engine.builder import MACS_NOTE, NetworkSpec, Summary
from engine.builder.memory import DeviceMemory, TrainingMemory, size_text
from gui.tabs.build.format import bytes_text, shape_text

OK_COLOR, WARN_COLOR, ERROR_COLOR, MUTED_COLOR = "#2e7d32", "#b26a00", "#b00020", "#666"
OPTIMIZER_TITLES = {"sgd": "SGD", "momentum": "SGD + momentum", "adam": "Adam",
                    "adamw": "AdamW"}
MEMORY_TIP = ("What training keeps in memory (float32): the parameters, one gradient per "
              "trainable parameter, the optimiser's state (SGD none, momentum 1×, Adam/AdamW "
              "2× the trainable parameters) and every row's output for the backward pass, "
              "times the batch size. A lower bound: the allocator and the backward pass's "
              "temporaries add to it.")


class SummaryFooter(QWidget):
    """Params (trainable / frozen), MACs, activation memory and training memory; below,
    the status line: green ✔ input → output, orange ⚠ when training will not fit in the
    device's memory, red ✖ the reason of an error, grey for hints."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.totals = QLabel()
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        self.totals.setToolTip(MACS_NOTE)
        self.memory = QLabel()
        self.memory.setTextFormat(Qt.TextFormat.RichText)
        self.memory.setWordWrap(True)
        self.memory.setToolTip(MEMORY_TIP)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.level = "ok"
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.totals)
        col.addWidget(self.memory)
        col.addWidget(self.status)

    def show_summary(self, spec: NetworkSpec, s: Summary, memory: TrainingMemory | None = None,
                     device: DeviceMemory | None = None) -> None:
        self.totals.setText(
            f"<b>Params</b> {s.total_params:,} <span style='color:#666'>(trainable "
            f"{s.trainable_params:,} · frozen {s.frozen_params:,})</span> &nbsp; "
            f"<b>MACs</b> {s.total_macs:,} &nbsp; <b>Activations</b> "
            f"{bytes_text(s.total_activation_bytes)}<br><span style='color:#777; "
            f"font-size:small'>{MACS_NOTE}; activations = float32 outputs of all rows</span>")
        self.memory.setText(memory_html(memory, device))
        self.memory.setVisible(memory is not None)
        if s.error:
            self.set_status(s.error, error=True)
        elif not spec.layers:
            self.set_status("Empty network: add layers from the palette or load a preset.",
                            muted=True)
        else:
            shapes = (f"{shape_text(s.input_shape)} → {shape_text(s.output_shape)}"
                      f" · {plural(len(spec.layers), 'entry', 'entries')}, "
                      f"{plural(len(s.rows), 'row')}")
            if memory is not None and device is not None and memory.total > device.bytes:
                self.set_status(f"{shapes} — but training needs ≈ {size_text(memory.total)} "
                                f"(batch {memory.batch_size}) and {device_text(device)}: use "
                                "a smaller batch, input or network", warning=True)
            else:
                self.set_status(f"✔ {shapes}")

    def set_status(self, text: str, *, error: bool = False, muted: bool = False,
                   warning: bool = False) -> None:
        prefix = "✖ " if error else "⚠ " if warning else ""
        self.status.setText(prefix + text)
        self.level = ("error" if error else "warning" if warning else "muted" if muted
                      else "ok")
        color = {"error": ERROR_COLOR, "warning": WARN_COLOR, "muted": MUTED_COLOR,
                 "ok": OK_COLOR}[self.level]
        self.status.setStyleSheet(f"color: {color};")


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def device_text(device: DeviceMemory) -> str:
    """``"this computer has 22.9 GiB of RAM"`` / ``"cuda has 70.1 GiB free"``."""
    if device.kind == "RAM":
        return f"this computer has {size_text(device.bytes)} of RAM"
    return f"{device.device} has {size_text(device.bytes)} {device.kind}"


def memory_html(memory: TrainingMemory | None, device: DeviceMemory | None) -> str:
    if memory is None:
        return ""
    too_big = device is not None and memory.total > device.bytes
    color = WARN_COLOR if too_big else "#333"
    optimizer = OPTIMIZER_TITLES.get(memory.optimizer, memory.optimizer)
    text = (f"<b>Training memory</b> <span style='color:{color}'>≈ "
            f"{size_text(memory.total)}</span> at batch {memory.batch_size} with {optimizer} "
            f"<span style='color:#666'>(parameters {size_text(memory.parameters)} · gradients "
            f"{size_text(memory.gradients)} · optimiser state "
            f"{size_text(memory.optimizer_state)} · activations "
            f"{size_text(memory.activations)})</span>")
    if device is not None:
        text += f" <span style='color:{color}'>· {device_text(device)}</span>"
    return text
