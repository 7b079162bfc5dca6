"""Benchmark: our analytic summary vs a forward pass with shape hooks on the same net.

For the resnet-18 and densenet presets at their default input, prints the median time
of ``summarize(spec)`` and of a plain forward pass (eval, no grad) through
``build(spec)`` with a forward hook on every submodule recording its output shape (what a
hook-based summary tool does), and their ratio. Goal: ratio <= 1.5 so the summary can be
recomputed on every edit in the Build tab.

Run: ``.venv/bin/python benchmarks/summary.py [--repeats 30]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from engine.builder import build, preset, summarize

GOAL = 1.5


def median_time(fn: Callable[[], object], *, repeats: int, warmup: int = 3) -> float:
    """Median wall time of ``fn()`` in seconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def hooked_forward(net: nn.Module, X: torch.Tensor) -> Callable[[], dict[str, tuple]]:
    """A forward pass that records every submodule's output shape through hooks."""
    shapes: dict[str, tuple] = {}
    for path, module in net.named_modules():
        if path:
            module.register_forward_hook(
                lambda m, i, o, path=path: shapes.__setitem__(path, tuple(o.shape)))

    def run() -> dict[str, tuple]:
        with torch.no_grad():
            net(X)
        return shapes
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"median of {args.repeats} runs")
    all_met = True
    for name in ("resnet-18", "densenet"):
        spec = preset(name)
        torch.manual_seed(0)
        net = build(spec).eval()
        forward = median_time(hooked_forward(net, torch.randn(spec.input_shape)),
                              repeats=args.repeats)
        ours = median_time(lambda spec=spec: summarize(spec), repeats=args.repeats)
        ratio = ours / forward
        met = ratio <= GOAL
        all_met &= met
        print(f"{name:<10} input {spec.input_shape}: summary {ours * 1e3:7.2f} ms, "
              f"hooked forward {forward * 1e3:7.2f} ms, ratio {ratio:.3f} "
              f"(goal <= {GOAL}: {'met' if met else 'NOT met'})")
    return 0 if all_met else 1


if __name__ == "__main__":
    raise SystemExit(main())
