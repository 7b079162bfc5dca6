"""Overhead of engine.training.train against a bare hand-written PyTorch loop.

Run: ``python benchmarks/train_overhead.py [--batches 300] [--reps 5] [--device cpu]``.
The same small CNN (same initial weights), the same procedural data and the same
DataLoader are trained for one epoch by (a) the book-style loop below — zero_grad,
forward, loss, backward, step, nothing else — and (b) our trainer with a JobControl,
progress events every 10 batches (what the Train tab uses) and no test pass. Examples per
second are measured by wall clock around the whole epoch for both, so every cost of the
trainer (bookkeeping, stop checks, syncs, events) counts. The two alternate so load from
other processes hits both alike (A B B A ...), and the median of the per-pair ratios is
the result (goal >= 0.95); on a shared, busy machine single runs vary by 2x, pairs far less.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.data import load_dataset  # noqa: E402
from engine.device import describe_device, pick_device  # noqa: E402
from engine.jobs import JobControl  # noqa: E402
from engine.training import EpochEnd, Finished, train  # noqa: E402

GOAL = 0.95


def small_cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


def fresh_net(device: torch.device) -> nn.Module:
    torch.manual_seed(0)
    return small_cnn().to(device)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bare_loop(loader, device: torch.device, lr: float) -> tuple[float, float, nn.Module]:
    """One epoch of the plainest correct loop; returns (examples per wall second,
    examples per CPU second, the trained net)."""
    net = fresh_net(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    torch.manual_seed(0)
    loader.sampler.sampler.generator.manual_seed(0)
    net.train()
    n = 0
    sync(device)
    start, cpu = time.perf_counter(), time.process_time()
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(net(X), y)
        loss.backward()
        optimizer.step()
        n += X.shape[0]
    loss.item()  # the sync that ends the timed region on a GPU
    return n / (time.perf_counter() - start), n / (time.process_time() - cpu), net


def our_trainer(loader, device: torch.device, lr: float
                ) -> tuple[float, float, float, nn.Module]:
    """One epoch through ``train``; returns (examples per wall second, per CPU second,
    examples/sec as the trainer reports it, the trained net)."""
    net = fresh_net(device)
    control = JobControl()
    sync(device)
    start, cpu = time.perf_counter(), time.process_time()
    events = list(train(net, (loader, None), num_epochs=1, lr=lr, optimizer="momentum",
                        device=device, seed=0, progress_every=10, control=control))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert isinstance(events[-1], Finished), events[-1]
    epoch = next(e for e in events if isinstance(e, EpochEnd))
    n = len(loader.dataset)
    return n / elapsed, n / cpu, epoch.examples_per_sec, net


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--reps", type=int, default=11)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device() if args.device == "auto" else torch.device(args.device)
    bundle = load_dataset("procedural-shapes", batch_size=args.batch_size,
                          n_train=args.batches * args.batch_size, n_test=args.batch_size)
    lr = 0.05
    print(f"torch {torch.__version__}, {describe_device(device)}; small CNN, "
          f"{args.batches} batches of {args.batch_size}, median of {args.reps} runs each")
    bare_loop(bundle.train, device, lr)  # warm-up (allocator, kernels)
    our_trainer(bundle.train, device, lr)
    bare, ours, bare_cpu, ours_cpu, reported = [], [], [], [], []
    for rep in range(args.reps):
        for which in ("bare", "ours") if rep % 2 == 0 else ("ours", "bare"):
            if which == "bare":
                rate, cpu_rate, bare_net = bare_loop(bundle.train, device, lr)
                bare.append(rate)
                bare_cpu.append(cpu_rate)
            else:
                rate, cpu_rate, self_rate, our_net = our_trainer(bundle.train, device, lr)
                ours.append(rate)
                ours_cpu.append(cpu_rate)
                reported.append(self_rate)

    def pair_ratio(a: list[float], b: list[float]) -> float:
        return statistics.median(x / y for x, y in zip(a, b, strict=True))

    ratio, cpu_ratio = pair_ratio(ours, bare), pair_ratio(ours_cpu, bare_cpu)
    for name, runs in (("bare loop  ", bare), ("our trainer", ours)):
        print(f"{name} {statistics.median(runs):10.1f} examples/sec (wall clock)   runs: "
              + " ".join(f"{r:.0f}" for r in runs))
    print(f"our trainer {statistics.median(reported):10.1f} examples/sec as reported in "
          f"EpochEnd (forward/backward/step time only, like train_ch6)")
    same = all(torch.allclose(a, b, atol=1e-4) for a, b in
               zip(bare_net.parameters(), our_net.parameters(), strict=True))
    print(f"same work: both end with {'the same' if same else 'DIFFERENT'} weights")
    print(f"per CPU second: median of per-pair ratios {cpu_ratio:.3f} (less sensitive to "
          f"other processes on a shared machine)")
    q1, _, q3 = statistics.quantiles([x / y for x, y in zip(ours, bare, strict=True)], n=4)
    print(f"per-pair ratios: quartiles {q1:.3f} .. {q3:.3f} (the spread is this machine's noise)")
    print(f"examples/sec ratio trainer/bare, median of per-pair ratios {ratio:.3f} "
          f"(goal >= {GOAL}): {'met' if ratio >= GOAL else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
