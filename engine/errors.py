"""Recognising and explaining failures people meet: running out of memory.

Allocators report exhaustion in different words — ``torch.OutOfMemoryError`` ("CUDA out
of memory"), a ``RuntimeError`` from the CPU allocator ("DefaultCPUAllocator: can't
allocate memory", "not enough memory"), MPS ("MPS backend out of memory") or Python's
``MemoryError``. The trainer and the GUI's job runner both ask ``is_out_of_memory`` and
say ``explain_out_of_memory``, so every one of them reads the same. No torch import:
the GUI uses this before torch is loaded.
"""

from __future__ import annotations

# Lower-case fragments of the allocators' messages (CUDA, CPU, MPS, XPU, Windows CRT).
_OOM_TEXTS = (
    "out of memory",
    "can't allocate memory",
    "cannot allocate memory",
    "not enough memory",
    "failed to allocate memory",
    "defaultcpuallocator",
)
OOM_ADVICE = ("try a smaller batch size, a smaller input (resize), a smaller network, "
              "or a device with more memory")


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is an allocator failure (any device) rather than a bug.

    Args:
        exc: any exception, e.g. caught around a forward/backward pass.

    Returns:
        True for ``MemoryError``, ``torch.OutOfMemoryError`` (by class name, so torch
        need not be imported) and ``RuntimeError``s whose text is an allocator's.
    """
    if isinstance(exc, MemoryError):
        return True
    if any(cls.__name__ == "OutOfMemoryError" for cls in type(exc).__mro__):
        return True
    if not isinstance(exc, RuntimeError):
        return False
    text = str(exc).lower()
    return any(fragment in text for fragment in _OOM_TEXTS)


def explain_out_of_memory(exc: BaseException | None = None, *, device: object = None,
                          where: str = "") -> str:
    """One sentence for people: what ran out, where, and what to change.

    Args:
        exc: the allocator's exception; its first line is appended in brackets, cut to
            160 characters, so the figure it names (e.g. "tried to allocate 40.00 GiB")
            stays visible.
        device: the device that ran out (``"cpu"``, ``"cuda"``, a ``torch.device``).
        where: e.g. ``"at epoch 1 step 3"``.

    Returns:
        e.g. ``"Ran out of memory on cuda at epoch 1 step 3 — try a smaller batch size, …
        (CUDA out of memory. Tried to allocate 40.00 GiB …)"``.
    """
    on = f" on {device}" if device is not None else ""
    at = f" {where}" if where else ""
    text = f"Ran out of memory{on}{at} — {OOM_ADVICE}."
    if exc is not None:
        detail = (str(exc).strip().splitlines() or [""])[0]
        if len(detail) > 160:
            detail = detail[:159] + "…"
        text += f" ({type(exc).__name__}: {detail})" if detail else f" ({type(exc).__name__})"
    return text
