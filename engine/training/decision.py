"""Decision regions of a 2-D classifier, as TensorFlow Playground draws them.

``decision_map`` evaluates the network on a square grid over the data and keeps, for
each grid point, the predicted class and how sure the network is (the largest softmax
probability). ``data_sample`` gives the grid's bounds for a dataset and a few of its
points to draw on top. Everything returned is plain floats and CPU numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

Bounds = tuple[float, float, float, float]  # (x_min, x_max, y_min, y_max)


@dataclass(frozen=True, eq=False)
class DecisionMap:
    """The network's prediction over a grid.

    Attributes:
        bounds: ``(x_min, x_max, y_min, y_max)`` of the grid, in input units.
        classes: ``uint8[res, res]`` argmax class per grid point; row ``i`` is
            ``x2 = y_min + (i + 0.5) * (y_max - y_min) / res`` (row 0 at the bottom),
            column ``j`` likewise along ``x1``.
        confidence: ``float32[res, res]`` largest softmax probability, in
            ``[1 / num_classes, 1]``.
        num_classes: how many classes the argmax ran over.
    """

    bounds: Bounds
    classes: np.ndarray
    confidence: np.ndarray
    num_classes: int


@dataclass(frozen=True, eq=False)
class DataSample:
    """Some of a 2-D dataset's points and a square region around all of them.

    Attributes:
        bounds: ``(x_min, x_max, y_min, y_max)``, every point plus a margin.
        X: ``float32[N, 2]`` points (at most ``max_points`` of them).
        y: ``int64[N]`` their labels.
    """

    bounds: Bounds
    X: np.ndarray
    y: np.ndarray


def grid_points(bounds: Bounds, resolution: int) -> torch.Tensor:
    """Cell centres of a ``resolution``² grid: ``Tensor[res * res, 2]`` row-major, rows
    going up in ``x2`` and columns right in ``x1``."""
    x_min, x_max, y_min, y_max = bounds
    xs = x_min + (torch.arange(resolution) + 0.5) * (x_max - x_min) / resolution
    ys = y_min + (torch.arange(resolution) + 0.5) * (y_max - y_min) / resolution
    x2, x1 = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([x1.reshape(-1), x2.reshape(-1)], dim=1)


def decision_map(net: nn.Module, *, bounds: Bounds, resolution: int = 96,
                 device: torch.device | str = "cpu",
                 num_classes: int | None = None) -> DecisionMap:
    """Predicted class and confidence of ``net`` on a grid over ``bounds``.

    Args:
        net: a classifier taking ``X (Tensor[B, 2])`` and returning logits
            ``Tensor[B, k]``; it must already be on ``device``.
        bounds: ``(x_min, x_max, y_min, y_max)`` with ``x_min < x_max``, ``y_min < y_max``.
        resolution: grid points per side, 2..512.
        device: where ``net`` lives.
        num_classes: use only the first ``num_classes`` logits (a network with more
            outputs than the data has classes); None uses all ``k``.

    Returns:
        A ``DecisionMap``; ``net``'s train/eval mode is left as it was.

    Raises:
        ValueError: bad ``bounds`` / ``resolution``, or ``net`` does not map 2-D points
            to a ``[B, k]`` logit matrix.
    """
    x_min, x_max, y_min, y_max = (float(v) for v in bounds)
    if not (x_min < x_max and y_min < y_max):
        raise ValueError(f"bounds={bounds!r} must be (x_min, x_max, y_min, y_max) with "
                         f"x_min < x_max and y_min < y_max")
    if not 2 <= int(resolution) <= 512:
        raise ValueError(f"resolution={resolution!r} must be between 2 and 512, e.g. 96")
    res = int(resolution)
    X = grid_points((x_min, x_max, y_min, y_max), res).to(device)
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            logits = net(X)
    except RuntimeError as exc:
        raise ValueError(f"the network does not take 2-D points (Tensor[B, 2]): {exc}") from exc
    finally:
        net.train(was_training)
    if logits.dim() != 2 or logits.shape[0] != len(X) or logits.shape[1] < 1:
        raise ValueError(f"the network maps Tensor[B, 2] to {tuple(logits.shape)}; a 2-D "
                         f"classifier must return logits Tensor[B, k]")
    k = logits.shape[1] if num_classes is None else int(num_classes)
    if not 1 <= k <= min(logits.shape[1], 255):
        raise ValueError(f"num_classes={num_classes!r} must be between 1 and the network's "
                         f"{logits.shape[1]} outputs (at most 255)")
    probs = torch.softmax(logits[:, :k].float(), dim=1)
    confidence, classes = probs.max(dim=1)
    return DecisionMap((x_min, x_max, y_min, y_max),
                       classes.reshape(res, res).to(torch.uint8).cpu().numpy(),
                       confidence.reshape(res, res).cpu().numpy().astype(np.float32), k)


def data_sample(X: torch.Tensor, y: torch.Tensor, *, max_points: int = 400,
                margin: float = 0.1, seed: int = 0) -> DataSample:
    """Bounds around a 2-D dataset and up to ``max_points`` of its points to plot.

    Args:
        X: ``Tensor[N, 2]`` points (N >= 1).
        y: ``Tensor[N]`` integer labels.
        max_points: how many points to keep (a seeded random choice when N is larger).
        margin: extra room on each side, as a fraction of the larger extent.
        seed: random source for the choice.

    Returns:
        A ``DataSample``; its bounds are square (both sides as long as the larger
        extent) and centred on the data, so regions are not stretched.
    """
    if X.dim() != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"X has shape {tuple(X.shape)}; decision regions need 2-D points "
                         f"Tensor[N, 2] with N >= 1")
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} points but y has {len(y)} labels; they must match")
    X = X.detach().float().cpu()
    lo, hi = X.min(dim=0).values, X.max(dim=0).values
    centre, half = (lo + hi) / 2, float((hi - lo).max()) / 2
    half = (half or 1.0) * (1 + 2 * margin)
    cx, cy = float(centre[0]), float(centre[1])
    bounds = (cx - half, cx + half, cy - half, cy + half)
    if len(X) > max_points:
        keep = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))[:max_points]
        X, y = X[keep], y[keep]
    return DataSample(bounds, X.numpy().astype(np.float32),
                      y.detach().cpu().numpy().astype(np.int64))
