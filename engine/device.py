"""Compute-device choice: CUDA, then MPS, then CPU."""

from __future__ import annotations

import torch


def pick_device(*, force_cpu: bool = False) -> torch.device:
    """Return the best available device.

    Args:
        force_cpu: ignore accelerators (the user's "Use CPU only" preference).

    Returns:
        ``cuda`` if available, else ``mps`` if available, else ``cpu``.
    """
    if not force_cpu:
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
    return torch.device("cpu")


def describe_device(device: torch.device | str) -> str:
    """A short human label, e.g. ``"CUDA: NVIDIA A100"`` or ``"CPU (4 threads)"``."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "MPS (Apple GPU)"
    return f"CPU ({torch.get_num_threads()} threads)"


def fast_bfloat16(device: torch.device | str) -> bool:
    """True where bfloat16 matrix maths runs natively and so beats float32: CUDA GPUs
    that support it (Ampere and later), CPUs with AVX-512 BF16 or AMX (oneDNN's check).
    Elsewhere ``torch.autocast`` to bfloat16 works but is emulated and slower."""
    device = torch.device(device)
    try:
        if device.type == "cuda":
            return bool(torch.cuda.is_bf16_supported())
        if device.type == "cpu":
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # an older or stripped build: assume not
        return False
    return False
