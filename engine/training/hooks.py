"""Hooks: where views that look inside training attach to the one loop.

A hook overrides any of ``run_start``, ``after_backward``, ``batch_end``,
``eval_batch_end`` and ``epoch_end``; each gets the loop's ``LoopState`` and may return
an iterable of extra events, which the loop yields right there (e.g. a decision map
after an epoch's ``EpochEnd``). The loop only calls the methods a hook overrides, and
with no hooks registered it calls nothing at all: no per-batch cost (see
``benchmarks/train_overhead.py``). Hooks run on the training thread and must not keep
references to the state's tensors past the call.

Order at each place: hooks in the order given; per batch ``after_backward`` (gradients
exist, before the optimiser step and any clipping) then ``batch_end`` (after the step,
``state.progress`` is the ``BatchProgress`` just yielded, or None between progress
points); ``eval_batch_end`` per test batch; ``epoch_end`` after the ``EpochEnd`` event.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

HOOK_METHODS = ("run_start", "after_backward", "batch_end", "eval_batch_end", "epoch_end")


@dataclass
class LoopState:
    """What a hook can see (mutable; the loop updates it in place).

    Attributes:
        net: the network (the DDP-wrapped one under ``torchrun``).
        optimizer: the optimiser.
        task: the ``Task``.
        device: where training runs.
        epoch: 1-based epoch; step: batches done in it; steps: batches per epoch.
        X, y, y_hat, loss: the current batch, its output and (device) loss tensor.
        progress: the latest ``BatchProgress`` at a progress point, else None.
        event: the ``EpochEnd`` at ``epoch_end``.
        info: run facts for hooks set up by ``run()`` (bundle, config, ...).
    """

    net: Any
    optimizer: Any
    task: Any
    device: Any
    epoch: int = 0
    step: int = 0
    steps: int = 0
    X: Any = None
    y: Any = None
    y_hat: Any = None
    loss: Any = None
    progress: Any = None
    event: Any = None
    info: Any = None


class Hook:
    """Base class; override the methods you need. Each may return events or None."""

    def run_start(self, state: LoopState) -> Iterable[object] | None:
        return None

    def after_backward(self, state: LoopState) -> Iterable[object] | None:
        return None

    def batch_end(self, state: LoopState) -> Iterable[object] | None:
        return None

    def eval_batch_end(self, state: LoopState) -> Iterable[object] | None:
        return None

    def epoch_end(self, state: LoopState) -> Iterable[object] | None:
        return None


def bound(hooks: Iterable[Hook], method: str) -> list[Callable[[LoopState], Any]]:
    """The ``method`` of each hook that overrides it (the loop calls only these)."""
    base = getattr(Hook, method)
    return [getattr(h, method) for h in hooks
            if getattr(type(h), method, base) is not base]


class DecisionMapHook(Hook):
    """Decision regions of a 2-D classifier, as TensorFlow Playground draws them: a
    ``DataSample`` at the start, a ``DecisionMap`` after each ``EpochEnd`` and, between,
    after a progress point when ``seconds`` passed since the last map.

    Args:
        X, y: the training points (``Tensor[N, 2]``, ``Tensor[N]``) for the bounds and
            the plotted sample.
        num_classes: classes of the data (logits beyond it are ignored).
        seconds: least time between maps inside an epoch.
        resolution: grid points per side.
        seed: picks the plotted sample.
    """

    def __init__(self, X: Any, y: Any, *, num_classes: int | None, seconds: float = 0.5,
                 resolution: int = 96, seed: int = 0) -> None:
        from engine.training.decision import data_sample

        self.sample = data_sample(X, y, seed=seed)
        self.num_classes, self.seconds, self.resolution = num_classes, seconds, resolution
        self._last = float("-inf")

    def run_start(self, state: LoopState) -> Iterable[object]:
        return [self.sample]

    def batch_end(self, state: LoopState) -> Iterable[object] | None:
        if state.progress is None or time.perf_counter() - self._last < self.seconds:
            return None
        return [self._map(state)]

    def epoch_end(self, state: LoopState) -> Iterable[object]:
        return [self._map(state)]

    def _map(self, state: LoopState) -> object:
        from engine.training.decision import decision_map

        net = getattr(state.net, "module", state.net)  # DDP wraps the network
        result = decision_map(net, bounds=self.sample.bounds, resolution=self.resolution,
                              device=state.device, num_classes=self.num_classes)
        self._last = time.perf_counter()
        return result
