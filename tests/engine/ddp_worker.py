"""Run by tests/engine/test_training_distributed.py under ``torchrun --nproc_per_node=2``.

Not a test module: a tiny hand-written DDP training step through ``DistContext`` (the
engine's loop is tested through the CLI). Writes ``rank{R}.pt`` into the folder given as
the first argument.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils import data

from engine.training.distributed import DistContext

GLOBAL_BATCH = 16


class Indexed(data.Dataset):
    """``(X[i], y[i], i)`` so each rank can report which examples it saw."""

    def __init__(self, n: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.X, self.y = torch.randn(n, 4, generator=g), torch.randint(0, 3, (n,), generator=g)

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, i: int):
        return self.X[i], self.y[i], i


def tiny_net(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))


def train(ctx: DistContext, n: int, epochs: int) -> tuple[dict, list[list[int]]]:
    ds = Indexed(n, seed=1)
    # A different init on each rank: DDP must broadcast rank 0's weights.
    net = ctx.wrap_model(tiny_net(seed=ctx.rank))
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    sampler = ctx.make_sampler(ds, shuffle=True, seed=0)
    loader = data.DataLoader(ds, batch_size=ctx.per_process_batch(GLOBAL_BATCH),
                             sampler=sampler)
    seen = []
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        indices: list[int] = []
        for X, y, i in loader:
            opt.zero_grad()
            F.cross_entropy(net(X), y).backward()
            opt.step()
            indices += i.tolist()
        seen.append(indices)
    state = {k: v.detach().clone() for k, v in ctx.unwrap(net).state_dict().items()}
    return state, seen


def evaluate(ctx: DistContext, net: nn.Module, n: int) -> tuple[int, int, list[int]]:
    ds = Indexed(n, seed=2)
    sampler = ctx.make_sampler(ds, shuffle=False, seed=0, pad=False)
    loader = data.DataLoader(ds, batch_size=4, sampler=sampler)
    correct, total = torch.zeros(()), torch.zeros(())
    seen: list[int] = []
    with torch.no_grad():
        for X, y, i in loader:
            correct += (net(X).argmax(1) == y).sum()
            total += len(y)
            seen += i.tolist()
    ctx.all_reduce_sum(correct), ctx.all_reduce_sum(total)
    return int(correct), int(total), seen


def main(out: Path) -> None:
    ctx = DistContext.from_env(device="cpu")
    assert ctx is not None, "not started by torchrun"
    reduced = ctx.all_reduce_sum(torch.tensor([ctx.rank + 1.0, 10.0]))
    even, even_seen = train(ctx, 64, epochs=2)
    odd, odd_seen = train(ctx, 69, epochs=2)
    net = tiny_net(0)
    net.load_state_dict(even)
    correct, total, eval_seen = evaluate(ctx, net, 7)
    ctx.barrier()
    torch.save({"rank": ctx.rank, "world_size": ctx.world_size, "backend": ctx.backend,
                "is_main": ctx.is_main, "reduced": reduced, "even": even, "odd": odd,
                "even_seen": even_seen, "odd_seen": odd_seen, "eval": (correct, total),
                "eval_seen": eval_seen, "note": ctx.shard_note(69)},
               out / f"rank{ctx.rank}.pt")
    ctx.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
