"""Scale-out: the same training loop under ``torchrun``, as a thin wrapper (like
accelerate's ``Accelerator.prepare``).

>>> dist = DistContext.from_env()          # None unless started by torchrun
>>> for event in run(config, dist=dist):   # the one loop; dist=None is one process
...     ...

What changes with N processes, and nothing else:

- **Model**: ``wrap_model`` puts the net in ``DistributedDataParallel`` (gloo on the CPU,
  nccl on CUDA), which averages the gradients over the processes in ``backward()``.
- **Batch**: the config's ``batch_size`` is the *global* batch. Each process takes
  ``per_process_batch(batch_size) == batch_size // N`` examples per step, so one step of
  N processes sees the same examples as one step of a single process, and the averaged
  gradient is the single process's gradient. ``batch_size`` must be a multiple of N.
- **Data**: ``make_sampler`` shards the epoch's order. The order is the one a single
  process would use (the same seeded ``RandomSampler``); process ``r`` takes positions
  ``r, r + N, r + 2N, …`` of it, so global batch ``k`` of N processes holds exactly the
  examples of batch ``k`` of a single process.
- **Metrics**: the loop sums its accumulators over the processes with ``all_reduce_sum``
  only at progress points and epoch ends (no per-batch synchronisation).
- **Files**: only ``is_main`` (rank 0) prints, writes the run log and the checkpoints.

A world size that does not divide the data (the policy, also in :meth:`shard_note`):

- *Training* shards are padded: the order is extended with its own first few examples
  until its length is a multiple of N (at most N - 1 repeats per epoch, the policy of
  ``torch.utils.data.DistributedSampler``). Every process then takes the same number of
  steps — DDP's all-reduce inside ``backward()`` would wait forever for a process that has
  run out of batches — and the last, partial batch is split evenly. Nothing is dropped;
  up to N - 1 examples count twice that epoch, so the last step differs slightly from a
  single process's.
- *Evaluation* shards (``pad=False``) are not padded: every test example is seen exactly
  once in all, processes may differ by one example, and the summed metrics are exact.
  Evaluate with :meth:`unwrap` (plain forward passes, no collective per batch).
"""

from __future__ import annotations

import datetime
import math
import os
from collections.abc import Iterator, Sized
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils import data

ENV_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
"""What ``torchrun`` (``python -m torch.distributed.run``) sets for each process."""


class ShardSampler(data.Sampler[int]):
    """Process ``rank``'s share of another sampler's order (see the module docstring).

    Args:
        sampler: the order of one epoch for a single process, e.g. a seeded
            ``RandomSampler``; it is iterated once per epoch on every process, so all
            processes draw the same order (its generator advances identically).
        rank: this process, ``0 <= rank < world_size``.
        world_size: number of processes.
        pad: repeat the first examples of the order until its length is a multiple of
            ``world_size`` (training: equal step counts); False gives uneven shards
            that together hold each example exactly once (evaluation).
    """

    def __init__(self, sampler: data.Sampler[int], *, rank: int, world_size: int,
                 pad: bool = True) -> None:
        if world_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"rank={rank} must be in [0, world_size={world_size})")
        self.sampler, self.rank, self.world_size, self.pad = sampler, rank, world_size, pad
        self.epoch = 0

    @property
    def generator(self) -> torch.Generator | None:
        """The shuffle generator of ``sampler``, found where a single process's loader
        has it, so a checkpoint's RNG states resume the same order in either mode."""
        return getattr(self.sampler, "generator", None)

    @property
    def total(self) -> int:
        """Examples in one epoch's order before sharding."""
        return len(self.sampler)  # type: ignore[arg-type]

    @property
    def padding(self) -> int:
        """Examples repeated per epoch to make the shards equal (0 when ``pad`` is off)."""
        return -self.total % self.world_size if self.pad else 0

    def __len__(self) -> int:
        n = self.total + self.padding
        return len(range(self.rank, n, self.world_size))

    def __iter__(self) -> Iterator[int]:
        order = list(self.sampler)
        if self.padding:
            order += (order * math.ceil(self.padding / max(len(order), 1)))[:self.padding]
        return iter(order[self.rank::self.world_size])

    def set_epoch(self, epoch: int) -> None:
        """Kept for ``DistributedSampler``'s interface. The order does not depend on it:
        it comes from ``sampler``, whose generator moves on one permutation per epoch
        exactly as a single process's loader does."""
        self.epoch = epoch


def _env_int(name: str) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"environment variable {name}={value!r} must be an integer "
                         f"(torchrun sets it; unset it to train in one process)") from None


@dataclass
class DistContext:
    """One process of a ``torchrun`` job. Build it with :meth:`from_env`.

    Attributes:
        rank: this process's global rank, 0 … world_size - 1.
        world_size: number of processes in the job (all nodes).
        local_rank: rank on this node; picks the GPU ``cuda:local_rank``.
        device: where this process trains.
        backend: ``"gloo"`` (CPU) or ``"nccl"`` (CUDA).
    """

    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    backend: str
    _owns_group: bool = field(default=False, repr=False)

    @classmethod
    def from_env(cls, *, device: str | torch.device | None = None,
                 timeout_s: float = 600.0) -> DistContext | None:
        """The context of this process when started by ``torchrun``, else None.

        Reads ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` (and, through ``env://``,
        ``MASTER_ADDR`` / ``MASTER_PORT``) and joins the process group.

        Args:
            device: ``None`` / ``"auto"``: ``cuda:LOCAL_RANK`` with nccl when CUDA is
                available, else the CPU with gloo. ``"cpu"`` forces gloo on the CPU,
                ``"cuda"`` (any index is replaced by LOCAL_RANK) needs CUDA.
            timeout_s: how long a collective waits for the other processes.

        Raises:
            ValueError: a torchrun variable is malformed, or CUDA was asked for and is
                not available.
        """
        if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
            return None
        rank, world_size = _env_int("RANK"), _env_int("WORLD_SIZE")
        local_rank = _env_int("LOCAL_RANK") if "LOCAL_RANK" in os.environ else rank
        if world_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"RANK={rank} must be in [0, WORLD_SIZE={world_size})")
        if device is None or device == "auto":
            kind = "cuda" if torch.cuda.is_available() else "cpu"
        else:
            try:
                kind = torch.device(device).type
            except RuntimeError:
                raise ValueError(f"device={device!r} is not a device; use auto, cpu or "
                                 f"cuda") from None
        if kind == "cuda":
            if not torch.cuda.is_available():
                raise ValueError("device 'cuda' was asked for but CUDA is not available; "
                                 "use --device cpu (gloo)")
            dev, backend = torch.device("cuda", local_rank), "nccl"
            torch.cuda.set_device(dev)
        elif kind == "cpu":
            dev, backend = torch.device("cpu"), "gloo"
        else:
            raise ValueError(f"device {device!r} is not supported under torchrun; use "
                             f"'cpu' (gloo) or 'cuda' (nccl)")
        import torch.distributed as td

        owns = not td.is_initialized()
        if owns:
            td.init_process_group(backend, init_method="env://", rank=rank,
                                  world_size=world_size,
                                  timeout=datetime.timedelta(seconds=timeout_s))
        return cls(rank, world_size, local_rank, dev, backend, owns)

    # -- who -----------------------------------------------------------------------------
    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that prints, writes the log and the checkpoints."""
        return self.rank == 0

    def describe(self) -> str:
        """E.g. ``"process 0 of 2 (gloo on cpu)"``."""
        return f"process {self.rank} of {self.world_size} ({self.backend} on {self.device})"

    # -- the three things the loop asks for ------------------------------------------------
    def per_process_batch(self, global_batch: int) -> int:
        """The batch one process takes per step: ``global_batch // world_size``.

        Raises:
            ValueError: ``global_batch`` is not a positive multiple of the world size.
        """
        if not isinstance(global_batch, int) or isinstance(global_batch, bool) or (
                global_batch < 1):
            raise ValueError(f"batch_size={global_batch!r} must be a positive integer")
        if global_batch % self.world_size:
            lower = global_batch - global_batch % self.world_size
            options = " or ".join(str(b) for b in (lower, lower + self.world_size) if b > 0)
            raise ValueError(
                f"batch_size={global_batch} is the global batch and must be a multiple of "
                f"the {self.world_size} processes so each takes the same share; use "
                f"{options}")
        return global_batch // self.world_size

    def make_sampler(self, dataset: Sized, *, shuffle: bool, seed: int,
                     pad: bool = True, base: data.Sampler[int] | None = None
                     ) -> ShardSampler:
        """This process's sampler for ``dataset`` (see the module docstring).

        Args:
            dataset: anything with a length.
            shuffle: a seeded ``RandomSampler`` order (as ``engine.data.make_loader``
                makes for one process) or the plain order.
            seed: the shuffle seed, the same on every process.
            pad: True for training (equal step counts), False for evaluation (each
                example once).
            base: the single-process sampler to shard instead of building one.
        """
        if base is None:
            base = (data.RandomSampler(dataset, generator=torch.Generator().manual_seed(seed))
                    if shuffle else data.SequentialSampler(dataset))  # type: ignore[arg-type]
        return ShardSampler(base, rank=self.rank, world_size=self.world_size, pad=pad)

    def shard_note(self, n_examples: int, *, pad: bool = True) -> str | None:
        """A sentence for the log when ``world_size`` does not divide ``n_examples``."""
        extra = -n_examples % self.world_size
        if not extra:
            return None
        if pad:
            first = "example" if extra == 1 else f"{extra} examples"
            verb = "is" if extra == 1 else "are"
            return (f"{n_examples} training examples do not split evenly over "
                    f"{self.world_size} processes: the first {first} of each epoch's order "
                    f"{verb} used twice so every process takes "
                    f"{(n_examples + extra) // self.world_size}")
        return (f"{n_examples} test examples over {self.world_size} processes: shards differ "
                f"by one example; each example is evaluated once")

    def wrap_model(self, net: nn.Module, *, find_unused_parameters: bool = False) -> nn.Module:
        """``net`` (already on :attr:`device`) in ``DistributedDataParallel``.

        Rank 0's weights are broadcast to every process here, so all start equal. A net
        with nothing to train is returned as is (there is no gradient to average).
        """
        if not any(p.requires_grad for p in net.parameters()):
            return net
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(net, device_ids=ids,
                                       find_unused_parameters=find_unused_parameters)

    @staticmethod
    def unwrap(net: nn.Module) -> nn.Module:
        """The plain module inside a DDP wrapper (for evaluation and saving)."""
        return getattr(net, "module", net)

    def all_reduce_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """Sum ``tensor`` over all processes, in place; returns it. A collective: every
        process must call it, in the same order."""
        import torch.distributed as td

        td.all_reduce(tensor, op=td.ReduceOp.SUM)
        return tensor

    def barrier(self) -> None:
        """Wait until every process gets here."""
        import torch.distributed as td

        td.barrier()

    def close(self) -> None:
        """Leave the process group (if :meth:`from_env` joined it).

        Garbage is collected first, so objects that still hold the group (the loop's
        generator keeps its DDP wrapper in a reference cycle) go while it exists. Without
        it, 2 of 16 two-process gloo runs on a loaded 2-core machine aborted at exit
        ("terminate called without an active exception") after training had finished;
        with it, none of 20.
        """
        import gc

        import torch.distributed as td

        if self._owns_group and td.is_initialized():
            gc.collect()
            td.destroy_process_group()
        self._owns_group = False
