"""Argument checks shared by the detection ops.

Every check raises ``ValueError`` naming the offending value and how to fix it, so
the GUI can show the message as-is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor


def as_float_tensor(value: Tensor, name: str) -> Tensor:
    """Return ``value`` as a floating tensor (integer tensors become float32)."""
    if not isinstance(value, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor; got {type(value).__name__}. "
                         f"Wrap it with torch.tensor(...).")
    return value if value.is_floating_point() else value.float()


def check_boxes(boxes: Tensor, name: str = "boxes", *, ndim: int = 2) -> Tensor:
    """Check ``boxes`` is Tensor[..., 4] xyxy with finite coordinates and x2>=x1, y2>=y1.

    Args:
        boxes (Tensor[N, 4]): (x1, y1, x2, y2); ``ndim`` fixes the number of dims.
        name: name used in error messages.

    Returns:
        Tensor: ``boxes`` as a floating tensor.
    """
    boxes = as_float_tensor(boxes, name)
    if boxes.dim() != ndim or boxes.shape[-1] != 4:
        want = "(N, 4)" if ndim == 2 else f"a {ndim}-D shape ending in 4"
        raise ValueError(f"{name} must have shape {want} as (x1, y1, x2, y2); got "
                         f"{tuple(boxes.shape)}. Reshape it, e.g. {name}.reshape(-1, 4).")
    if boxes.numel() == 0:
        return boxes
    if not bool(torch.isfinite(boxes).all()):
        raise ValueError(f"{name} contains NaN or infinite coordinates; "
                         f"remove or fix those boxes.")
    bad = (boxes[..., 2] < boxes[..., 0]) | (boxes[..., 3] < boxes[..., 1])
    if bool(bad.any()):
        i = int(torch.nonzero(bad.reshape(-1))[0])
        box = [round(v, 4) for v in boxes.reshape(-1, 4)[i].tolist()]
        raise ValueError(f"{name} has a degenerate box at flat index {i}: {box} has "
                         f"x2 < x1 or y2 < y1. Use corner format (x1, y1, x2, y2) with "
                         f"x1 <= x2 and y1 <= y2 (box_center_to_corner converts cx,cy,w,h).")
    return boxes


def check_scores(scores: Tensor, n: int, name: str = "scores") -> Tensor:
    """Check ``scores`` is Tensor[n] without NaN."""
    scores = as_float_tensor(scores, name)
    if scores.dim() != 1 or scores.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},), one score per box; got "
                         f"{tuple(scores.shape)}.")
    if bool(torch.isnan(scores).any()):
        raise ValueError(f"{name} contains NaN; replace NaN scores (e.g. "
                         f"torch.nan_to_num(scores, nan=0.0)) or drop those boxes.")
    return scores


def check_unit_interval(value: float, name: str) -> float:
    """Check a threshold is a real number in [0, 1]."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in [0, 1]; got {value!r}.") from None
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1]; got {value}. Pick e.g. 0.5.")
    return value


def check_positive_list(values: Sequence[float], name: str) -> list[float]:
    """Check a non-empty list of finite positive numbers (anchor sizes / ratios)."""
    if isinstance(values, Tensor):
        values = values.reshape(-1).tolist()
    try:
        out = [float(v) for v in values]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a list of numbers; got {values!r}.") from None
    if not out:
        raise ValueError(f"{name} is empty; give at least one value, e.g. [0.5].")
    for v in out:
        if not math.isfinite(v) or v <= 0:
            raise ValueError(f"{name} must contain finite values > 0; got {v} in {out}.")
    return out


def check_size(value: int, name: str) -> int:
    """Check an image / feature-map side length is an int >= 1."""
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value!r}.")
    return int(value)


def threshold_as(dtype: torch.dtype, value: float) -> float:
    """Round a threshold to ``dtype`` the way a ``tensor <= python_float`` comparison does.

    torch compares a float32 tensor with a Python float in float32, while torchvision's
    NMS kernel compares in double; rounding first makes both give the book's answer.
    """
    return float(torch.tensor(value, dtype=dtype))
