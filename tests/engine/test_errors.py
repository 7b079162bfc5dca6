"""is_out_of_memory / explain_out_of_memory on the allocators' real texts."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from engine.data import load_dataset
from engine.errors import explain_out_of_memory, is_out_of_memory
from engine.training import Stopped, train

# Texts as the allocators print them (CUDA caching allocator, MPS, Windows CPU allocator).
CUDA_TEXT = ("CUDA out of memory. Tried to allocate 37.25 GiB. GPU 0 has a total capacity of "
             "79.15 GiB of which 12.81 GiB is free. Of the allocated memory 60.02 GiB is "
             "allocated by PyTorch")
MPS_TEXT = ("MPS backend out of memory (MPS allocated: 17.95 GB, other allocations: 2.31 MB, "
            "max allowed: 18.13 GB). Tried to allocate 256.00 MB on private pool.")
WINDOWS_CPU_TEXT = ("[enforce fail at alloc_cpu.cpp:114] data. DefaultCPUAllocator: not enough "
                    "memory: you tried to allocate 40000000000 bytes.")


def cpu_allocation_failure() -> RuntimeError:
    """A real allocator failure: 4 TiB of float32 on the CPU."""
    try:
        torch.empty(2**40)
    except RuntimeError as exc:
        return exc
    pytest.skip("this machine over-commits memory: a 4 TiB torch.empty succeeded")


def test_real_cpu_allocation_failure_is_out_of_memory() -> None:
    exc = cpu_allocation_failure()
    assert "out of memory" not in str(exc).lower()  # why the old text check missed it
    assert is_out_of_memory(exc)
    message = explain_out_of_memory(exc, device="cpu")
    assert message.startswith("Ran out of memory on cpu")
    assert "smaller batch size" in message and "4398046511104 bytes" in message


@pytest.mark.parametrize("exc", [
    torch.OutOfMemoryError(CUDA_TEXT),
    RuntimeError(CUDA_TEXT),
    RuntimeError(MPS_TEXT),
    RuntimeError(WINDOWS_CPU_TEXT),
    MemoryError(),
])
def test_allocator_texts_are_out_of_memory(exc: BaseException) -> None:
    assert is_out_of_memory(exc)


@pytest.mark.parametrize("exc", [
    RuntimeError("mat1 and mat2 shapes cannot be multiplied (10x2 and 3x2)"),
    RuntimeError("Storage size calculation overflowed with sizes=[4611686018427387904]"),
    ValueError("lr=0 must be positive"),
    KeyError("out of memory"),  # not an allocator's exception type
])
def test_other_errors_are_not(exc: BaseException) -> None:
    assert not is_out_of_memory(exc)


def test_explanation_keeps_the_figure_and_stays_short() -> None:
    message = explain_out_of_memory(torch.OutOfMemoryError(CUDA_TEXT), device="cuda",
                                    where="at epoch 1 step 2")
    assert message.startswith("Ran out of memory on cuda at epoch 1 step 2 — try a smaller")
    assert "Tried to allocate 37.25 GiB" in message and len(message) < 360


def test_trainer_stops_with_the_explanation_on_a_real_cpu_allocation_failure() -> None:
    failure = cpu_allocation_failure()  # skips where the allocation would succeed
    del failure

    class Hungry(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, X: torch.Tensor) -> torch.Tensor:
            if self.training:
                torch.empty(2**40)  # the real allocator refuses
            return self.lin(X)

    bundle = load_dataset("xor", batch_size=10, n_train=20, n_test=10)
    end = list(train(Hungry(), bundle, num_epochs=1, lr=0.1, device="cpu"))[-1]
    assert isinstance(end, Stopped) and end.kind == "out-of-memory"
    assert end.reason.startswith("Ran out of memory on cpu at epoch 1 step 1")
