"""Before a run: will training fit in the device's memory? Ask when the estimate says no.

``engine.builder.memory.training_memory`` estimates parameters, gradients, optimiser state
and activations × batch; ``device_memory`` reads the RAM (CPU) or the free GPU memory.
When the estimate exceeds it, the user is told the figures and chooses: train anyway
(the estimate is a lower bound, but the allocator may still say no — then the run stops
with the out-of-memory explanation) or change the settings first.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from engine.builder import NetworkSpec, summarize
from engine.builder.memory import (
    DeviceMemory,
    TrainingMemory,
    device_memory,
    size_text,
    training_memory,
)
from gui.tabs.build.footer import device_text


def estimate(spec: NetworkSpec, hp: Any, example_shape: tuple[int, ...] | None
             ) -> TrainingMemory | None:
    """The memory of training ``spec`` with ``hp`` on examples of ``example_shape`` (the
    data's, after any resize; None: the spec's own). None when the network does not take
    that input (the fit check already says so) or the optimiser is unknown."""
    shape = spec.input_shape if example_shape is None else (1, *example_shape)
    summary = summarize(spec, shape)
    if summary.error:
        return None
    try:
        return training_memory(summary, batch_size=int(hp.batch_size), optimizer=hp.optimizer)
    except ValueError:
        return None


def warning_text(spec: NetworkSpec, memory: TrainingMemory, device: DeviceMemory) -> str:
    return (f"Training {spec.name} at batch {memory.batch_size} needs about "
            f"{size_text(memory.total)} (parameters {size_text(memory.parameters)}, gradients "
            f"{size_text(memory.gradients)}, optimiser state {size_text(memory.optimizer_state)}"
            f", activations {size_text(memory.activations)}), but {device_text(device)}.\n\n"
            "It will most likely fail with an out-of-memory error. A smaller batch size, a "
            "smaller input (resize) or a smaller network would fit.")


def ask(parent: QWidget | None, title: str, text: str) -> bool:
    """Yes/No, No by default (tests replace this function)."""
    answer = QMessageBox.warning(parent, title, text + "\n\nTrain anyway?",
                                 QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                 QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def confirm_training_memory(parent: QWidget | None, spec: NetworkSpec, hp: Any,
                            example_shape: tuple[int, ...] | None, device: str) -> bool:
    """True when training may start: the estimate fits the device, cannot be made, or
    the user chose to train anyway."""
    memory = estimate(spec, hp, example_shape)
    available = device_memory(device) if memory is not None else None
    if memory is None or available is None or memory.total <= available.bytes:
        return True
    return ask(parent, "Not enough memory for this run", warning_text(spec, memory, available))
