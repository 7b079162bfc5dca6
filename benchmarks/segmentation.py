"""FCN training step time through the one loop (``engine.training.run``) against a plain
PyTorch loop, and the viewer's inference time per image.

Run: ``python benchmarks/segmentation.py [--height 320 --width 480] [--batches 4]
[--batch-size 2] [--reps 3] [--stride 32] [--device cpu]``.

Both sides train the same network (the book's FCN, ``fcn`` from the zoo, same seed so
the same initial weights) with the same optimiser (the book's SGD, lr 0.001, weight
decay 1e-3) on the same procedural scenes at the book's crop size through the same
DataLoader, for ``--batches`` batches. Our side runs ``run(config)`` with a JobControl
and progress events every batch; the time counted is from ``Prepared`` to the last
training batch's progress event (the test pass after the epoch is left out; the plain
loop has none). The plain loop is zero_grad, forward, cross-entropy, backward, step.
Runs alternate (A B B A ...) so load from other processes hits both alike, and the
median of the per-pair ratios (plain time / our time; > 1 means ours is faster) is
the result; goal >= 0.97.

The viewer's inference is ``engine.segmentation.predict`` on one image of the same
size (pad to the stride, softmax, label map and confidence, back to numpy).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.data import load_dataset  # noqa: E402
from engine.device import describe_device, pick_device  # noqa: E402
from engine.jobs import JobControl  # noqa: E402
from engine.models.ref import ModelRef  # noqa: E402
from engine.models.zoo import build_model  # noqa: E402
from engine.segmentation import predict  # noqa: E402
from engine.training import run  # noqa: E402
from engine.training.config import RunConfig  # noqa: E402
from engine.training.events import BatchProgress, Prepared  # noqa: E402

GOAL = 0.97


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def config(args: argparse.Namespace, device: torch.device) -> RunConfig:
    n = args.batches * args.batch_size
    return RunConfig(
        model=ModelRef.zoo("fcn", stride=args.stride), dataset="procedural-scenes",
        dataset_options={"size": args.height, "width": args.width}, n_train=n, n_test=1,
        num_epochs=1, batch_size=args.batch_size, lr=0.001, weight_decay=1e-3,
        optimizer="sgd", device=str(device), seed=0, progress_every=1)


def ours(cfg: RunConfig, device: torch.device) -> float:
    start = None
    for event in run(cfg, JobControl()):
        if isinstance(event, Prepared):
            sync(device)
            start = time.perf_counter()
        elif isinstance(event, BatchProgress) and event.step == event.steps_per_epoch:
            sync(device)
            return time.perf_counter() - start
    raise RuntimeError("the run ended before its last batch")


def plain(cfg: RunConfig, device: torch.device) -> float:
    bundle = load_dataset(cfg.dataset, batch_size=cfg.batch_size, n_train=cfg.n_train,
                          n_test=cfg.n_test, seed=cfg.seed, **cfg.dataset_options)
    torch.manual_seed(cfg.seed)
    net = build_model(cfg.model, input_shape=bundle.input_shape,
                      num_classes=bundle.num_classes).net.to(device)
    opt = torch.optim.SGD(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    net.train()
    sync(device)
    start = time.perf_counter()
    for X, y in bundle.train:
        X, y = X.to(device), y.to(device)
        opt.zero_grad()
        loss = F.cross_entropy(net(X), y, ignore_index=255)
        loss.backward()
        opt.step()
    sync(device)
    return time.perf_counter() - start


def inference(args: argparse.Namespace, device: torch.device, reps: int) -> float:
    torch.manual_seed(0)
    net = build_model(ModelRef.zoo("fcn", stride=args.stride), num_classes=5).net.to(device)
    image = np.random.default_rng(0).integers(0, 255, (args.height, args.width, 3), np.uint8)
    predict(net, image)  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        predict(net, image)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--height", type=int, default=320)
    p.add_argument("--width", type=int, default=480)
    p.add_argument("--batches", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=2)
    p.add_argument("--reps", type=int, default=3, help="A/B pairs")
    p.add_argument("--stride", type=int, default=32, choices=(8, 16, 32))
    p.add_argument("--device", default=None)
    args = p.parse_args(argv)
    device = torch.device(args.device) if args.device else pick_device()
    cfg = config(args, device)
    images = args.batches * args.batch_size
    print(f"FCN (stride {args.stride}) on {args.height}x{args.width} procedural scenes, "
          f"{args.batches} batches of {args.batch_size}, {describe_device(device)}")
    plain(cfg, device)  # warm-up both paths (allocator, kernels, scene cache)
    ours(cfg, device)
    ratios, ta, tb = [], [], []
    for i in range(args.reps):
        order = (plain, ours) if i % 2 == 0 else (ours, plain)
        t = {f.__name__: f(cfg, device) for f in order}
        ta.append(t["plain"])
        tb.append(t["ours"])
        ratios.append(t["plain"] / t["ours"])
        print(f"  pair {i + 1}: plain {t['plain'] / images * 1e3:7.1f} ms/image, run() "
              f"{t['ours'] / images * 1e3:7.1f} ms/image, ratio {ratios[-1]:.3f}")
    ratio = statistics.median(ratios)
    print(f"forward+backward per image: plain {statistics.median(ta) / images * 1e3:.1f} ms, "
          f"run() {statistics.median(tb) / images * 1e3:.1f} ms")
    print(f"ratio plain/run() (median of pairs): {ratio:.3f} (goal >= {GOAL}) -> "
          f"{'OK' if ratio >= GOAL else 'BELOW GOAL'}")
    print(f"viewer inference per {args.height}x{args.width} image: "
          f"{inference(args, device, max(3, args.reps)) * 1e3:.1f} ms")
    return 0 if ratio >= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
