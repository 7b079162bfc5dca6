"""build(): init schemes, seeding, inferred sizes become real (non-lazy) modules."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from engine.builder import NetworkSpec, build, layer, preset

MLP = NetworkSpec("mlp", (4, 1, 28, 28), (
    layer("Flatten"), layer("Linear", out_features=512), layer("ReLU"),
    layer("Linear", out_features=256),
    layer("ReLU"), layer("Linear", out_features=10)))
CONV = NetworkSpec("conv", (1, 3, 16, 16), (
    layer("Conv2d", out_channels=64, kernel_size=3), layer("BatchNorm2d"), layer("ReLU"),
    layer("ConvTranspose2d", out_channels=32, kernel_size=2, stride=2)))


def _weights(net: nn.Module) -> list[torch.nn.Module]:
    return [m for m in net.modules() if isinstance(m, (nn.Linear, nn.Conv2d,
                                                       nn.ConvTranspose2d))]


def test_normal_init_has_std_001_and_zero_bias() -> None:
    torch.manual_seed(0)
    net = build(dataclasses.replace(MLP, init="normal"))
    w = torch.cat([m.weight.flatten() for m in _weights(net)])
    assert abs(w.std().item() - 0.01) < 5e-4 and abs(w.mean().item()) < 5e-4
    assert all(torch.all(m.bias == 0) for m in _weights(net))


def test_xavier_init_bound() -> None:
    torch.manual_seed(0)
    net = build(dataclasses.replace(MLP, init="xavier"))
    fc = net[1]  # Linear(784, 512)
    bound = (6 / (784 + 512)) ** 0.5
    assert fc.weight.abs().max().item() <= bound
    assert fc.weight.abs().max().item() > 0.95 * bound  # uniform fills the range
    assert abs(fc.weight.std().item() - bound / 3 ** 0.5) < 0.02 * bound


def test_kaiming_init_std() -> None:
    torch.manual_seed(0)
    net = build(dataclasses.replace(CONV, init="kaiming"))
    conv = net[0]  # fan_in = 3 * 3 * 3
    assert abs(conv.weight.std().item() - (2 / 27) ** 0.5) < 0.03
    assert torch.all(conv.bias == 0)
    bn = net[1]
    assert torch.all(bn.weight == 1) and torch.all(bn.bias == 0)  # untouched


def test_default_init_is_pytorch_default_and_seeded() -> None:
    torch.manual_seed(1)
    a = build(MLP)
    torch.manual_seed(1)
    ref = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256),
                        nn.ReLU(), nn.Linear(256, 10))
    for x, y in zip(a.parameters(), ref.parameters(), strict=True):
        assert torch.equal(x, y)
    torch.manual_seed(1)
    same = zip(build(MLP).parameters(), a.parameters(), strict=True)
    assert all(torch.equal(x, y) for x, y in same)
    other = zip(build(MLP).parameters(), a.parameters(), strict=True)  # RNG moved on
    assert not any(torch.equal(x, y) for x, y in other if x.dim() > 1)


def test_auto_sizes_become_real_modules() -> None:
    net = build(preset("lenet"))
    assert not any(isinstance(m, nn.modules.lazy.LazyModuleMixin) for m in net.modules())
    assert net[7].in_features == 400 and net[3].in_channels == 6


def test_batch_size_independent_and_trainable() -> None:
    net = build(preset("lenet-bn"))
    net.train()
    y = net(torch.randn(4, 1, 28, 28))
    y.sum().backward()
    assert y.shape == (4, 10) and all(p.grad is not None for p in net.parameters())


def test_build_rejects_impossible_spec() -> None:
    bad = NetworkSpec("bad", (1, 1, 3, 3), (layer("Conv2d", out_channels=2, kernel_size=5),))
    with pytest.raises(ValueError, match=r"Conv2d-0 \(Conv2d\) cannot take input \(1, 1, 3, 3\)"):
        build(bad)
