"""Weight and gradient statistics per layer, sampled during training (d2l 5.4).

``WeightStatsHook`` attaches to the one loop (``engine.training.hooks``). Every
``every``-th batch, right after ``backward`` (gradients exist, before clipping and the
optimiser step), it computes for each parameter tensor a histogram of its values and of
its gradient and both norms, on the training device with tensor ops only, and reads
them back in one transfer: the event (``ParamStats``) holds numpy arrays and plain
numbers, no tensor. The gradient norms per layer per step show the book's lesson:
with sigmoid and N(0, 1) weights the early layers' gradients vanish; with Xavier they
do not.

>>> hook = WeightStatsHook(every=20, bins=30)
>>> for event in run(config, hooks=[hook]):
...     if isinstance(event, ParamStats): ...
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from engine.training.hooks import Hook, LoopState

DEFAULT_EVERY = 20
DEFAULT_BINS = 30


@dataclass(frozen=True, eq=False)
class ParamStats:
    """One sample of every parameter tensor's statistics.

    Attributes:
        epoch, step: 1-based epoch and batch in it; global_step: batches since the start.
        names: parameter names (``net.named_parameters()``), e.g. ``"0.weight"``.
        sizes (np.ndarray[P] int64): elements per tensor.
        weight_norm, grad_norm (np.ndarray[P] float64): L2 norms (grad NaN without one).
        weight_counts, grad_counts (np.ndarray[P, bins] int64): histograms; each row of
            ``weight_counts`` sums to the tensor's size (every element counted).
        weight_edges, grad_edges (np.ndarray[P, bins + 1] float64): their bin edges.
    """

    epoch: int
    step: int
    global_step: int
    names: tuple[str, ...]
    sizes: np.ndarray
    weight_norm: np.ndarray
    grad_norm: np.ndarray
    weight_counts: np.ndarray
    weight_edges: np.ndarray
    grad_counts: np.ndarray
    grad_edges: np.ndarray

    def layer_names(self) -> tuple[str, ...]:
        """The names of weight tensors (not biases / norms' shifts): one per layer."""
        return tuple(n for n in self.names if n.endswith("weight"))


def histograms(tensors: list[Tensor], bins: int) -> tuple[Tensor, Tensor]:
    """Histograms of each tensor over its own [min, max] range, with tensor ops only.

    Returns:
        ``(counts (Tensor[P, bins] int64), edges (Tensor[P, bins + 1] float64))`` on the
        tensors' device; every finite element is counted (the maximum in the last bin).
        A constant tensor gets the range value ± 0.5.
    """
    device = tensors[0].device
    counts = torch.zeros(len(tensors), bins, dtype=torch.long, device=device)
    edges = torch.empty(len(tensors), bins + 1, dtype=torch.float64, device=device)
    steps = torch.linspace(0.0, 1.0, bins + 1, dtype=torch.float64, device=device)
    for i, t in enumerate(tensors):  # no host read: NaN / inf simply go uncounted
        v = t.detach().reshape(-1).double()
        finite = torch.isfinite(v)
        lo = torch.where(finite, v, torch.inf).min() if v.numel() else steps[0]
        hi = torch.where(finite, v, -torch.inf).max() if v.numel() else steps[0]
        empty = ~torch.isfinite(lo)
        lo, hi = torch.where(empty, 0.0, lo), torch.where(empty, 0.0, hi)
        flat = hi <= lo
        lo, hi = torch.where(flat, lo - 0.5, lo), torch.where(flat, hi + 0.5, hi)
        edges[i] = lo + (hi - lo) * steps
        idx = ((v - lo) / (hi - lo) * bins).nan_to_num_(0.0).floor_().clamp_(0, bins - 1)
        counts[i].index_add_(0, idx.long(), finite.long())
    return counts, edges


class WeightStatsHook(Hook):
    """Samples weights and gradients every ``every`` batches (``ParamStats`` events).

    Args:
        every: batches between samples (the first batch is always sampled).
        bins: histogram bins.
    """

    def __init__(self, *, every: int = DEFAULT_EVERY, bins: int = DEFAULT_BINS) -> None:
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every={every!r} must be a whole number of batches >= 1")
        if not isinstance(bins, int) or not 2 <= bins <= 1000:
            raise ValueError(f"bins={bins!r} must be between 2 and 1000")
        self.every, self.bins = every, bins
        self.global_step = 0

    def run_start(self, state: LoopState) -> Iterable[object] | None:
        self.global_step = 0
        return None

    def after_backward(self, state: LoopState) -> Iterable[object] | None:
        self.global_step += 1
        if (self.global_step - 1) % self.every:
            return None
        return [param_stats(getattr(state.net, "module", state.net), bins=self.bins,
                            epoch=state.epoch, step=state.step,
                            global_step=self.global_step)]


def param_stats(net: torch.nn.Module, *, bins: int = DEFAULT_BINS, epoch: int = 0,
                step: int = 0, global_step: int = 0) -> ParamStats:
    """Statistics of ``net``'s parameters and their current gradients, one read-back."""
    named = [(n, p) for n, p in net.named_parameters()
             if not isinstance(p, torch.nn.parameter.UninitializedParameter)]
    if not named:
        raise ValueError("the network has no parameters to show")
    weights = [p.detach() for _, p in named]
    grads = [p.grad.detach() if p.grad is not None else torch.zeros_like(p) for _, p in named]
    has_grad = torch.tensor([p.grad is not None for _, p in named])
    with torch.no_grad():
        w_counts, w_edges = histograms(weights, bins)
        g_counts, g_edges = histograms(grads, bins)
        norms = torch.stack([torch.stack([w.double().norm(), g.double().norm()])
                             for w, g in zip(weights, grads, strict=True)])
    # one transfer for everything (a sync only at the sampled steps)
    w_counts, w_edges, g_counts, g_edges, norms = (t.cpu().numpy() for t in (
        w_counts, w_edges, g_counts, g_edges, norms))
    grad_norm = np.where(has_grad.numpy(), norms[:, 1], np.nan)
    g_counts[~has_grad.numpy()] = 0
    return ParamStats(epoch, step, global_step, tuple(n for n, _ in named),
                      np.array([p.numel() for _, p in named], dtype=np.int64),
                      norms[:, 0], grad_norm, w_counts, w_edges, g_counts, g_edges)
