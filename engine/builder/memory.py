"""How much memory training a network needs, and how much the device has.

An estimate from the analytic summary (no tensors are made), float32 throughout:

* parameters: every parameter once (shared ones once);
* gradients: one per trainable parameter (frozen ones get none);
* optimiser state: SGD keeps nothing, SGD with momentum one buffer per trainable
  parameter, Adam and AdamW two (``exp_avg``, ``exp_avg_sq``); their per-tensor step
  counters (4 bytes each) are left out;
* activations: the outputs every row keeps for the backward pass (the summary's
  activation memory, which counts a block's output and its sub-layers' outputs) plus the
  input batch, times the batch size.

The real peak is higher by the allocator's rounding, temporary buffers of the backward
pass and the data loader — treat the figure as a lower bound of what must fit.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

from engine.builder.spec import NetworkSpec
from engine.builder.summary import BYTES_PER_FLOAT, Summary, summarize

# Copies of the trainable parameters each optimiser keeps (engine.training.setup names).
STATE_COPIES = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}


@dataclass(frozen=True)
class TrainingMemory:
    """Bytes training needs, by kind (see the module docstring)."""

    parameters: int
    gradients: int
    optimizer_state: int
    activations: int
    batch_size: int
    optimizer: str

    @property
    def total(self) -> int:
        return self.parameters + self.gradients + self.optimizer_state + self.activations


@dataclass(frozen=True)
class DeviceMemory:
    """What a device offers: ``bytes`` and how it was measured (``"RAM"``, ``"free"``)."""

    device: str
    bytes: int
    kind: str


def training_memory(net: Summary | NetworkSpec, *, batch_size: int, optimizer: str = "sgd",
                    input_shape: Sequence[int] | None = None) -> TrainingMemory:
    """Estimate the memory of training ``net`` with ``optimizer`` at ``batch_size``.

    Args:
        net: a ``Summary`` (its input shape is used) or a ``NetworkSpec`` (summarised
            for ``input_shape``, default its own).
        batch_size: examples per step; the summary's batch dim is scaled to it.
        optimizer: ``"sgd"``, ``"momentum"``, ``"adam"`` or ``"adamw"``.
        input_shape: only with a spec; shape incl. batch dim, e.g. ``(1, 1, 28, 28)``.

    Returns:
        ``TrainingMemory`` in bytes (``total`` adds the four parts).

    Raises:
        ValueError: unknown optimiser, batch size below 1, a summary with an error (its
            shapes are unknown after the bad row), or ``input_shape`` with a summary.
    """
    if optimizer not in STATE_COPIES:
        raise ValueError(f"optimizer={optimizer!r} is not supported; choose one of "
                         f"{', '.join(STATE_COPIES)}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} must be a positive integer")
    if isinstance(net, NetworkSpec):
        summary = summarize(net, input_shape)
    elif input_shape is not None:
        raise ValueError("input_shape goes with a NetworkSpec; a Summary has its own")
    else:
        summary = net
    if summary.error:
        raise ValueError(f"cannot estimate the memory of a network with an error: "
                         f"{summary.error}")
    per_batch = summary.input_shape[0]
    inputs = math.prod(summary.input_shape) * BYTES_PER_FLOAT
    activations = (summary.total_activation_bytes + inputs) * batch_size // per_batch
    trainable = summary.trainable_params * BYTES_PER_FLOAT
    return TrainingMemory(
        parameters=summary.total_params * BYTES_PER_FLOAT,
        gradients=trainable,
        optimizer_state=STATE_COPIES[optimizer] * trainable,
        activations=activations,
        batch_size=batch_size,
        optimizer=optimizer,
    )


def device_memory(device: str = "cpu") -> DeviceMemory | None:
    """Memory the device offers for training, or None where it cannot be read.

    CPU: the total physical RAM (``os.sysconf``; None on Windows). CUDA: the free memory
    of the current GPU (``torch.cuda.mem_get_info``). MPS: Metal's recommended maximum
    working set (``torch.mps.recommended_max_memory``).
    """
    kind = str(device).split(":")[0]
    try:
        if kind == "cpu":
            pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
            return DeviceMemory("cpu", int(pages) * int(size), "RAM")
        import torch

        if kind == "cuda" and torch.cuda.is_available():
            free, _total = torch.cuda.mem_get_info(torch.device(device))
            return DeviceMemory(str(device), int(free), "free")
        if kind == "mps" and hasattr(torch, "mps"):
            return DeviceMemory("mps", int(torch.mps.recommended_max_memory()), "usable")
    except (AttributeError, ValueError, OSError, RuntimeError):
        return None
    return None


def size_text(n: int) -> str:
    """Bytes for people, binary units: ``"37.3 GiB"``, ``"235.2 KiB"``, ``"12 B"``."""
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"
