"""Training speed of our TinySSD through the shared loop vs the book's training loop.

Run: ``python benchmarks/tinyssd.py [--device cpu|cuda] [--images N] [--size S]
[--rounds R] [--threads T]``. Both sides train the same TinySSD initial weights on the
same generated banana images (batch 32, SGD lr 0.2, weight decay 5e-4, the book's
settings) on the same device, in this one run:

* baseline: the book's loop (d2l 14.7.2) — ``book_multibox_target`` with its
  per-ground-truth Python loop and per-image labelling, its ``calc_loss``, and
  ``cls_eval`` / ``bbox_eval`` read back to the host every batch
  (tests/engine/d2l_ssd_reference.py);
* ours: ``engine.training.train`` with the ``detection`` task (batched
  ``multibox_target``, metric sums kept on the device, one read-back per progress
  point) with the Detect tab's settings: channels-last batches on a CPU and bfloat16
  mixed precision where the hardware has bfloat16 maths (``amp="auto"``; the line
  printed says whether it was on).

Each side runs one warm-up epoch, then ``--rounds`` timed epochs, the two sides taking
turns epoch by epoch; the figure is training examples per second of the median epoch (no
evaluation). Goal >= 3x, bar >= 1.5x (issue 14).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "engine"))

# isort: off
import engine  # noqa: E402,F401  (first, as in the app: torch's allocator settings)
import torch  # noqa: E402
# isort: on

import d2l_ssd_reference as book  # noqa: E402

from engine.data.bananas import make_bananas  # noqa: E402
from engine.data.core import TensorBatchDataset, make_loader  # noqa: E402
from engine.detection.ssd import TRAINING_DEFAULTS, TinySSD  # noqa: E402
from engine.device import fast_bfloat16  # noqa: E402
from engine.training import train  # noqa: E402
from engine.training.events import EpochEnd  # noqa: E402


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def rates(loader, device, rounds: int, state: dict) -> tuple[float, float]:
    """Examples/s of the book's loop and of ours: median epoch of ``rounds`` rounds, each
    round one book epoch then one of ours, so that load from other processes hits both
    alike (one warm-up epoch each first)."""
    book_net = book.TinySSD(num_classes=1).to(device)
    book_net.load_state_dict(state)
    book_opt = torch.optim.SGD(book_net.parameters(), lr=0.2, weight_decay=5e-4)
    net = TinySSD(1)
    net.load_state_dict(state)
    ours = iter(train(net, (loader, None), task="detection", num_epochs=rounds + 1, lr=0.2,
                      weight_decay=5e-4, device=str(device),
                      channels_last=TRAINING_DEFAULTS["channels_last"],
                      amp=TRAINING_DEFAULTS["amp"]))

    def our_epoch() -> float:  # the shared loop is suspended while the book's epoch runs
        t0 = time.perf_counter()
        for event in ours:
            if isinstance(event, EpochEnd):
                _sync(device)
                return time.perf_counter() - t0
        raise RuntimeError("the shared loop ended early")

    def book_epoch() -> float:
        t0 = time.perf_counter()
        book.book_train_epoch(book_net, loader, book_opt, device)
        _sync(device)
        return time.perf_counter() - t0

    book_epoch(), our_epoch()  # warm-up
    book_times, our_times = [], []
    for _ in range(rounds):
        book_times.append(book_epoch())
        our_times.append(our_epoch())
    for _ in ours:  # let the run finish (its Finished event)
        pass
    n = len(loader.dataset)
    return n / statistics.median(book_times), n / statistics.median(our_times)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--images", type=int, default=256)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--rounds", type=int, default=4, help="timed epochs of each side")
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    X, y = make_bananas(args.images, size=args.size, seed=0)
    loader = make_loader(TensorBatchDataset(X, y), batch_size=32, shuffle=True, seed=0)
    torch.manual_seed(0)
    state = {k: v.clone() for k, v in book.TinySSD(num_classes=1).state_dict().items()}
    print(f"TinySSD training, {args.images} images {args.size}x{args.size}, batch 32, "
          f"median of {args.rounds} alternating epochs after 1 warm-up, device {device}, "
          f"{torch.get_num_threads()} CPU threads; ours: channels-last "
          f"{TRAINING_DEFAULTS['channels_last'] and device.type == 'cpu'}, bfloat16 autocast "
          f"{TRAINING_DEFAULTS['amp'] == 'bf16' or fast_bfloat16(device)}")
    baseline, ours = rates(loader, device, args.rounds, state)
    ratio = ours / baseline
    verdict = "goal met (>= 3x)" if ratio >= 3 else (
        "bar met (>= 1.5x), goal not" if ratio >= 1.5 else "below the 1.5x bar")
    print(f"book's loop : {baseline:9.1f} examples/s")
    print(f"shared loop : {ours:9.1f} examples/s")
    print(f"ratio       : {ratio:9.2f}x  — {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
