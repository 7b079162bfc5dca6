"""Cost of looking inside: the weight/gradient statistics hook, and a feature-map refresh.

Run: ``python benchmarks/insight_overhead.py [--batches 200] [--reps 3] [--device cpu]``.

1. Training examples per second of LeNet (the book's, d2l 7.6) on procedural shapes
   through ``run()``, wall clock from ``Prepared`` to the epoch's end (hook, events and
   test pass included), with ``WeightStatsHook`` at its default rate (every 20 batches,
   30 bins) against the same run without it. Goal: on / off >= 0.9. Runs alternate
   (A B B A ...) so load from other processes hits both alike; the median of the
   per-pair ratios is the result.
2. The time of one feature-map refresh (``inspect_input``: every convolution's output
   plus the top-5) for torchvision's ResNet-18 on one 224×224 image, against one plain
   forward pass of the same image (the ratio is the hooks' and copies' cost).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.device import describe_device, pick_device  # noqa: E402
from engine.insight.features import inspect_input  # noqa: E402
from engine.insight.stats import DEFAULT_EVERY, WeightStatsHook  # noqa: E402
from engine.models import ModelRef  # noqa: E402
from engine.training import EpochEnd, Prepared, RunConfig, run  # noqa: E402

GOAL = 0.9


def examples_per_second(cfg: RunConfig, hooked: bool) -> float:
    """Wall clock from ``Prepared`` (data made, net built) to the epoch's end."""
    hooks = [WeightStatsHook()] if hooked else []
    start = None
    for event in run(cfg, hooks=hooks):
        if isinstance(event, Prepared):
            start = time.perf_counter()
        if isinstance(event, EpochEnd):
            return cfg.n_train / (time.perf_counter() - start)
    raise RuntimeError("the run ended without an epoch")


def training_ratio(device: str, batches: int, reps: int) -> float:
    cfg = RunConfig(model=ModelRef.preset("lenet"), dataset="procedural-shapes", lr=0.9,
                    batch_size=256, num_epochs=1, n_train=256 * batches, n_test=256,
                    device=device, progress_every=10)
    examples_per_second(cfg, False)  # warm-up: data generation, kernels
    ratios = []
    for i in range(reps):
        order = (False, True) if i % 2 == 0 else (True, False)
        rate = {h: examples_per_second(cfg, h) for h in order}
        ratios.append(rate[True] / rate[False])
        print(f"  pair {i + 1}: off {rate[False]:8.0f} ex/s   on {rate[True]:8.0f} ex/s   "
              f"ratio {ratios[-1]:.3f}")
    return statistics.median(ratios)


def feature_map_refresh(device: torch.device, reps: int) -> tuple[float, float]:
    from torchvision.models import resnet18

    net = resnet18(num_classes=1000).to(device).eval()
    x = torch.rand(3, 224, 224)
    inspect_input(net, x)  # warm-up
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    times, plain = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        inspection = inspect_input(net, x)
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with torch.no_grad():
            net(x[None].to(device))
        sync()
        plain.append(time.perf_counter() - t0)
    assert len(inspection.maps) == 20
    return statistics.median(times), statistics.median(plain)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)
    device = torch.device(args.device) if args.device else pick_device()
    print(f"device: {describe_device(device)}; {torch.get_num_threads()} threads")
    print(f"1. LeNet training, WeightStatsHook every {DEFAULT_EVERY} batches vs none "
          f"({args.batches} batches of 256):")
    ratio = training_ratio(str(device), args.batches, args.reps)
    verdict = "meets" if ratio >= GOAL else "MISSES"
    print(f"   median ratio on/off {ratio:.3f} — {verdict} the goal >= {GOAL}")
    refresh, plain = feature_map_refresh(device, max(3, args.reps))
    print(f"2. ResNet-18 feature-map refresh on one 224x224 image: {refresh * 1000:.1f} ms "
          f"(plain forward {plain * 1000:.1f} ms, ratio {refresh / plain:.2f})")
    return 0 if ratio >= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
