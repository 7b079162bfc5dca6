"""training_memory against measured oracles: the real parameters, gradients and optimiser
state after one step; device_memory of the CPU."""

from __future__ import annotations

import os

import pytest
import torch

from engine.builder import build, layer, preset, summarize
from engine.builder.memory import (
    STATE_COPIES,
    device_memory,
    size_text,
    training_memory,
)
from engine.builder.spec import NetworkSpec
from engine.training.setup import OPTIMIZERS, make_optimizer

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def nbytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def lenet_with_a_frozen_layer() -> NetworkSpec:
    spec = preset("lenet")
    first = spec.layers[0]
    return spec.replace_layer(0, type(first)(first.type, first.params, frozen=True))


def test_optimizers_match_the_trainer() -> None:
    assert set(STATE_COPIES) == set(OPTIMIZERS)


@pytest.mark.parametrize("name", ["lenet", "mlp-dropout", "lenet-bn", "playground-mlp"])
def test_parameter_bytes_equal_the_built_network(name: str) -> None:
    spec = preset(name)
    net = build(spec)
    assert training_memory(spec, batch_size=8).parameters == nbytes(net.parameters())


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_gradients_and_optimizer_state_equal_one_real_step(optimizer: str) -> None:
    spec = lenet_with_a_frozen_layer()
    torch.manual_seed(0)
    net = build(spec)
    opt = make_optimizer(net.parameters(), optimizer, lr=0.01)
    X, y = torch.randn(4, 1, 28, 28), torch.randint(0, 10, (4,))
    torch.nn.functional.cross_entropy(net(X), y).backward()
    opt.step()
    est = training_memory(spec, batch_size=4, optimizer=optimizer)
    grads = [p.grad for p in net.parameters() if p.grad is not None]
    assert est.gradients == nbytes(grads) > 0
    state = [t for s in opt.state.values() for k, t in s.items()
             if torch.is_tensor(t) and k != "step"]
    assert est.optimizer_state == nbytes(state)
    steps = [t for s in opt.state.values() for k, t in s.items() if k == "step"]
    assert nbytes(steps) <= 4 * 10  # the step counters left out: 4 bytes per tensor
    assert est.total == est.parameters + est.gradients + est.optimizer_state + est.activations


def test_frozen_parameters_have_no_gradient_or_state() -> None:
    spec = lenet_with_a_frozen_layer()
    est = training_memory(spec, batch_size=1, optimizer="adam")
    s = summarize(spec)
    assert s.frozen_params == 156  # Conv2d(1, 6, 5)
    assert est.gradients == 4 * s.trainable_params and est.optimizer_state == 8 * s.trainable_params


def test_activations_scale_with_the_batch() -> None:
    spec = preset("lenet")
    s = summarize(spec)
    one = training_memory(s, batch_size=1)
    assert one.activations == s.total_activation_bytes + 4 * 28 * 28
    assert training_memory(s, batch_size=256).activations == 256 * one.activations
    twice = summarize(spec, (2, 1, 28, 28))  # a summary of two examples counts per example
    assert training_memory(twice, batch_size=256).activations == 256 * one.activations


def test_the_gigantic_linear_layer() -> None:
    spec = NetworkSpec("giant", (1, 100_000), (layer("Linear", out_features=100_000),))
    est = training_memory(spec, batch_size=256, optimizer="adam")
    params = 100_000 * 100_000 + 100_000
    assert est.parameters == 4 * params and est.gradients == 4 * params
    assert est.optimizer_state == 8 * params
    assert est.activations == 256 * 4 * (100_000 + 100_000)  # input and output rows
    assert size_text(est.total) == "149.2 GiB"


def test_bad_arguments() -> None:
    spec = preset("lenet")
    with pytest.raises(ValueError, match="optimizer='rmsprop'"):
        training_memory(spec, batch_size=1, optimizer="rmsprop")
    with pytest.raises(ValueError, match="batch_size=0"):
        training_memory(spec, batch_size=0)
    bad = spec.with_params(0, kernel_size=29)
    with pytest.raises(ValueError, match="with an error"):
        training_memory(bad, batch_size=1)


def test_cpu_memory_is_the_physical_ram() -> None:
    mem = device_memory("cpu")
    if not hasattr(os, "sysconf"):
        assert mem is None
        return
    with open("/proc/meminfo") as f:
        kib = int(f.readline().split()[1])  # MemTotal: N kB
    assert mem is not None and mem.kind == "RAM"
    assert abs(mem.bytes - kib * 1024) < 64 * 2**20


def test_size_text() -> None:
    assert size_text(12) == "12 B" and size_text(2**20) == "1.0 MiB"
    assert size_text(40 * 10**9) == "37.3 GiB"


def test_cli_summary_states_the_training_memory(capsys: pytest.CaptureFixture) -> None:
    from engine import cli

    assert cli.main(["summary", "lenet"]) == 0
    est = training_memory(preset("lenet"), batch_size=256)
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith(f"training memory (batch 256, SGD): {size_text(est.total)} = ")
