"""torch's global CPU generator, seeded for a block of work without races between threads.

torchvision's ``transforms.v2`` draw every random parameter from torch's global CPU
generator; there is no way to hand them a generator of their own. Code that reseeds it
for a reproducible block (the Augment tab's previews, the training core's per-example
transforms) does so inside ``seeded(seed)``: a process-wide lock, the generator seeded,
its previous state put back afterwards. Two such blocks on different threads (a preview
and an inspector job, or a preview while a run augments its batches) then never
interleave their draws, so each stays the same for the same seed.

What the lock cannot cover: code on another thread that draws from the generator without
it (dropout in a training step while the Augment tab previews). Its draws made during a
block are rewound when the block puts the state back, so such a run is not bit-for-bit
what the same seed gives alone; nothing else is affected.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

LOCK = threading.RLock()


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Hold ``LOCK`` and run with the global CPU generator seeded ``seed`` (what
    ``torch.manual_seed`` seeds, without its CUDA side); its state is put back after.

    ``torch.manual_seed`` is avoided on purpose: it also queues a CUDA seed with a
    formatted stack trace (~1 ms a call), and CUDA draws are not what v2 transforms use.
    """
    import torch

    generator = torch.default_generator
    with LOCK:
        state = generator.get_state()
        generator.manual_seed(seed)
        try:
            yield
        finally:
            generator.set_state(state)
