"""One process against two under ``torchrun`` (gloo, CPU): examples/sec and all-reduce time.

Run: ``python benchmarks/ddp_cpu.py [--epochs 4] [--examples 8192] [--batch 256] [--reps 3]``.

Each configuration is a ``torchrun --standalone`` launch of this file (``--worker``)
training the same MLP (784-256-256-10) on the same random data through the engine's own
loop (``engine.training.train`` with a ``DistContext``), global batch ``--batch`` (each of
N processes takes batch / N), no test split:

- ``1 process x T threads``: plain ``python``, no torchrun, no DDP, every core;
- ``1 process x 1 thread``: the same with what one of the two processes gets;
- ``2 processes x T/2 threads``: ``torchrun``, DDP, gradients averaged by gloo.

The configurations run interleaved ``--reps`` times and the medians are printed.

Examples/sec = global examples / wall time of the epochs after the first (warm-up). The
all-reduce time is measured by a DDP communication hook that wraps the default
``allreduce`` hook and times each bucket from launch to completion. That includes waiting
for the other process to reach the same bucket (on a loaded machine, mostly that), and it
overlaps with the rest of ``backward()``: an upper bound on what the step waits for. The
printed ratios are 2-process examples/sec over each 1-process row. On a 2-core machine
shared with other jobs, expect no speed-up: the point is that the path works and where
its overhead goes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def worker(args: argparse.Namespace) -> None:
    import torch
    from torch import nn
    from torch.distributed.algorithms.ddp_comm_hooks import default_hooks
    from torch.utils import data

    from engine.training import EpochEnd, train
    from engine.training.distributed import DistContext

    torch.set_num_threads(args.threads)
    timings: list[float] = []

    def timed_allreduce(state, bucket):
        start = time.perf_counter()
        fut = default_hooks.allreduce_hook(state, bucket)

        def done(f):
            timings.append(time.perf_counter() - start)
            return f.value()

        return fut.then(done)

    class TimedDist(DistContext):
        def wrap_model(self, net, **kw):
            model = super().wrap_model(net, **kw)
            model.register_comm_hook(None, timed_allreduce)
            return model

    base = DistContext.from_env(device="cpu")  # None: a plain process, no DDP
    ctx = base and TimedDist(base.rank, base.world_size, base.local_rank, base.device,
                             base.backend, base._owns_group)
    g = torch.Generator().manual_seed(0)
    X = torch.randn(args.examples, 784, generator=g)
    y = torch.randint(0, 10, (args.examples,), generator=g)
    ds = data.TensorDataset(X, y)
    if ctx is None:
        loader = data.DataLoader(ds, batch_size=args.batch, shuffle=True, generator=g)
    else:
        loader = data.DataLoader(ds, batch_size=ctx.per_process_batch(args.batch),
                                 sampler=ctx.make_sampler(ds, shuffle=True, seed=0))
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                        nn.Linear(256, 10))
    marks, steps = [], len(loader)
    for event in train(net, (loader, None), num_epochs=args.epochs, lr=0.05, device="cpu",
                       task="classification", progress_every=steps, dist=ctx):
        if isinstance(event, EpochEnd):
            marks.append((time.perf_counter(), len(timings)))
    (t0, k0), (t1, k1) = marks[0], marks[-1]
    measured_steps = steps * (len(marks) - 1)
    result = {"examples_per_sec": args.examples * (len(marks) - 1) / (t1 - t0),
              "step_ms": 1000 * (t1 - t0) / measured_steps,
              "allreduce_ms": 1000 * sum(timings[k0:k1]) / measured_steps,
              "buckets_per_step": (k1 - k0) / measured_steps}
    if ctx is None or ctx.is_main:
        Path(args.out).write_text(json.dumps(result))
    if ctx is not None:
        ctx.close()


def launch(nproc: int, threads: int, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        from engine.training.distributed import ENV_VARS

        env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
        env.update(OMP_NUM_THREADS=str(threads), PYTHONPATH=str(ROOT))
        run = ([sys.executable, "-m", "torch.distributed.run", "--standalone",
                f"--nproc_per_node={nproc}"] if nproc > 1 else [sys.executable])
        cmd = [*run, __file__, "--worker", "--threads", str(threads),
               "--out", str(out), "--epochs", str(args.epochs), "--examples", str(args.examples),
               "--batch", str(args.batch)]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            sys.exit(f"{nproc} process(es) failed:\n{done.stderr[-3000:]}")
        return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4, help="epochs; the first is warm-up")
    parser.add_argument("--examples", type=int, default=8192, help="training examples")
    parser.add_argument("--batch", type=int, default=256, help="global batch")
    parser.add_argument("--reps", type=int, default=3, help="repeats of each configuration")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    cores = os.cpu_count() or 1
    print(f"MLP 784-256-256-10, {args.examples} examples, global batch {args.batch}, "
          f"{args.epochs - 1} timed epochs, {cores} CPU cores, gloo")
    half = max(1, cores // 2)
    configs = [(f"1 process x {cores} threads", 1, cores), ("1 process x 1 thread", 1, 1),
               (f"2 processes x {half} thread(s)", 2, half)]
    runs: dict[str, list[dict]] = {name: [] for name, _, _ in configs}
    for _ in range(args.reps):  # interleaved, so load from other jobs hits all alike
        for name, nproc, threads in configs:
            runs[name].append(launch(nproc, threads, args))
    rows = {name: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
            for name, rs in runs.items()}
    print(f"{'median of ' + str(args.reps):<28}{'examples/s':>12}{'ms/step':>10}"
          f"{'all-reduce ms/step':>20}")
    for name, r in rows.items():
        print(f"{name:<28}{r['examples_per_sec']:>12.0f}{r['step_ms']:>10.2f}"
              f"{r['allreduce_ms']:>20.2f}")
    two = rows[configs[2][0]]
    for name, _, _ in configs[:2]:
        print(f"ratio 2 processes / {name}: "
              f"{two['examples_per_sec'] / rows[name]['examples_per_sec']:.2f}")
    print(f"all-reduce: {two['allreduce_ms']:.2f} ms of a {two['step_ms']:.2f} ms 2-process "
          f"step ({two['allreduce_ms'] / two['step_ms']:.0%}; "
          f"{two['buckets_per_step']:.0f} bucket(s) per step, overlapping backward)")


if __name__ == "__main__":
    main()
