"""Summary: shape errors as messages, shared/frozen counts, MACs against a hook reference."""

from __future__ import annotations

import json
import math
import re

import pytest
import torch
from torch import nn

from engine.builder import NetworkSpec, build, format_summary, layer, preset, summarize

# a net using every layer type and every block, small input
ALL_TYPES = NetworkSpec("all-types", (2, 3, 32, 32), (
    layer("Conv2d", out_channels=8, kernel_size=3, padding=1, groups=1),
    layer("BatchNorm2d"), layer("LeakyReLU", negative_slope=0.2),
    layer("VGGBlock", num_convs=2, out_channels=8),
    layer("NiNBlock", out_channels=8, kernel_size=3, strides=1, padding=1),
    layer("Inception", c1=4, c2=(4, 8), c3=(2, 4), c4=4),
    layer("Residual", num_channels=16, use_1x1conv=True, strides=2),
    layer("Residual", num_channels=16),
    layer("DenseBlock", num_convs=2, growth_rate=4),
    layer("TransitionBlock", num_channels=8),
    layer("DarkNetConv", out_channels=16, kernel_size=3, stride=1),
    layer("DarkNetResidual"),
    layer("ConvTranspose2d", out_channels=8, kernel_size=4, stride=2, padding=1),
    layer("Conv2d", out_channels=8, kernel_size=3, stride=2, dilation=2, groups=2, bias=False),
    layer("MaxPool2d", kernel_size=3, stride=1, padding=1),
    layer("AvgPool2d", kernel_size=2), layer("GELU", approximate="tanh"),
    layer("AdaptiveAvgPool2d", output_size=(2, 3)), layer("Flatten"),
    layer("LayerNorm"), layer("Linear", out_features=16), layer("BatchNorm1d"),
    layer("Tanh"), layer("Dropout", p=0.1), layer("Linear", out_features=5, bias=False),
    layer("Identity"), layer("Sigmoid"), layer("Softmax", dim=-1),
))


def reference_macs(net: nn.Module, X: torch.Tensor) -> int:
    """Multiply-accumulates of Linear/Conv layers counted from real outputs via hooks."""
    total = 0

    def hook(m: nn.Module, inputs: tuple, out: torch.Tensor) -> None:
        nonlocal total
        w = m.weight
        if isinstance(m, nn.Linear):
            total += out.numel() * m.in_features
        elif isinstance(m, nn.Conv2d):
            total += out.numel() * w[0].numel()
        elif isinstance(m, nn.ConvTranspose2d):
            total += inputs[0].numel() * w[0].numel()

    handles = [m.register_forward_hook(hook) for m in net.modules()
               if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d))]
    net.eval()
    with torch.no_grad():
        net(X)
    for h in handles:
        h.remove()
    return total


def test_all_layer_types_match_the_real_module() -> None:
    s = summarize(ALL_TYPES)
    assert s.error is None
    net = build(ALL_TYPES)
    X = torch.randn(ALL_TYPES.input_shape)
    shapes: dict[str, tuple] = {}
    for path, m in net.named_modules():
        if path:
            m.register_forward_hook(
                lambda m, i, o, path=path: shapes.__setitem__(path, tuple(o.shape)))
    net.eval()
    with torch.no_grad():
        y = net(X)
    assert tuple(y.shape) == s.output_shape == (2, 5)
    for row in s.rows:
        assert shapes[row.path] == row.output_shape, row.path
        assert row.params == sum(p.numel() for p in net.get_submodule(row.path).parameters())
    assert s.total_params == sum(p.numel() for p in net.parameters())
    assert s.total_macs == reference_macs(net, X)
    assert s.total_activation_bytes == 4 * sum(math.prod(r.output_shape) for r in s.rows)


@pytest.mark.parametrize("name", ["lenet", "resnet-18", "googlenet", "densenet"])
def test_macs_match_hook_reference(name: str) -> None:
    spec = preset(name)
    assert summarize(spec).total_macs == reference_macs(build(spec),
                                                        torch.randn(spec.input_shape))


def test_lenet_macs_by_hand() -> None:
    s = summarize(preset("lenet"))
    conv1 = s.layers[0]
    assert conv1.macs == 6 * 28 * 28 * 25 and conv1.activation_bytes == 4 * 6 * 28 * 28
    assert s.layers[1].macs == 0  # activations are not counted


def test_input_shape_override_scales_with_batch() -> None:
    spec = preset("lenet")
    one, eight = summarize(spec), summarize(spec, (8, 1, 28, 28))
    assert eight.layers[0].output_shape == (8, 6, 28, 28)
    assert eight.total_macs == 8 * one.total_macs
    assert eight.total_params == one.total_params


@pytest.mark.parametrize(("spec", "index", "match"), [
    # kernel larger than the map: LeNet on a 4x4 image
    (preset("lenet"), 3, r"Conv2d-3 \(Conv2d\) cannot take input \(1, 6, 2, 2\): kernel 5 "
                         r"\(effective 5\) is larger than the padded input height 2\+2\*0=2"),
    # wrong flatten size for an explicit Linear
    (NetworkSpec("x", (1, 1, 28, 28), (layer("Flatten"),
                                        layer("Linear", in_features=256, out_features=10))),
     1, r"Linear-1 \(Linear\) cannot take input \(1, 784\): in_features=256 but the incoming "
        r"shape \(1, 784\) has 784 features.*set in_features=784 or 'auto'"),
    # channel mismatch
    (NetworkSpec("x", (1, 3, 8, 8), (layer("Conv2d", in_channels=1, out_channels=4),)),
     0, r"in_channels=1 but the incoming shape \(1, 3, 8, 8\) has 3 channels"),
    # conv after flatten
    (NetworkSpec("x", (1, 1, 8, 8), (layer("Flatten"), layer("Conv2d", out_channels=4))),
     1, r"expects input \(N, C, H, W\) but got \(1, 64\)"),
    # residual shortcut that cannot be added
    (NetworkSpec("x", (1, 8, 8, 8), (layer("Residual", num_channels=16),)),
     0, r"shortcut \(1, 8, 8, 8\) cannot be added to the main path \(1, 16, 8, 8\); set "
        r"use_1x1conv=true"),
    # transition pooling on a 1x1 map, reported inside the block
    (NetworkSpec("x", (1, 8, 1, 1), (layer("TransitionBlock", num_channels=4),)),
     0, r"inside the block, 3 \(AvgPool2d\): kernel 2"),
    (NetworkSpec("x", (1, 4), (layer("BatchNorm2d"),)), 0, r"use BatchNorm1d"),
    (NetworkSpec("x", (1, 4, 6), (layer("LayerNorm", normalized_shape=4),)),
     0, r"normalized_shape=\[4\] does not match the trailing dims"),
])
def test_impossible_shapes_are_reported_not_raised(spec: NetworkSpec, index: int,
                                                   match: str) -> None:
    # LeNet itself is fine; on a 4x4 image its second conv fails
    shape = (1, 1, 4, 4) if spec.name == "lenet" else None
    s = summarize(spec, shape)
    assert s.error is not None
    bad = s.layers[index]
    assert bad.error == s.error
    assert bad.output_shape is None
    assert re.search(match, s.error), s.error
    assert all(r.output_shape is None and r.error is None for r in s.layers[index + 1:])
    assert all(r.output_shape is not None for r in s.layers[:index])
    assert s.error in format_summary(s)
    if shape is None:
        with pytest.raises(ValueError) as info:
            build(spec)
        assert str(info.value) == s.error


def test_shared_parameters_counted_once() -> None:
    """d2l 5.2.3: the same Linear used twice; parameters counted once, like net.parameters()."""
    spec = NetworkSpec("tied", (2, 4), (
        layer("Linear", out_features=8), layer("ReLU"),
        layer("Linear", out_features=8, name="shared"), layer("ReLU"),
        layer("Linear", out_features=8, shared_with="shared"), layer("ReLU"),
        layer("Linear", out_features=1)))
    s = summarize(spec)
    net = build(spec)
    assert net[2] is net[4]
    assert s.layers[4].params == 0 and s.layers[4].shared_with == "shared"
    assert s.layers[4].macs == s.layers[2].macs == 2 * 8 * 8
    assert s.total_params == sum(p.numel() for p in net.parameters()) == 40 + 72 + 9
    # an input of the wrong size for the shared layer is a clear error
    bad = spec.with_params(2, out_features=6).with_params(4, out_features=6)
    assert "shares parameters with 'shared'" in summarize(bad).error


def test_frozen_parameters() -> None:
    spec = NetworkSpec("frozen", (1, 1, 8, 8), (
        layer("Conv2d", out_channels=4, kernel_size=3, frozen=True),
        layer("Residual", num_channels=4, frozen=True), layer("Flatten"),
        layer("Linear", out_features=3)))
    s = summarize(spec)
    net = build(spec)
    frozen = sum(p.numel() for p in net.parameters() if not p.requires_grad)
    trainable = sum(p.numel() for p in net.parameters() if p.requires_grad)
    assert (s.frozen_params, s.trainable_params) == (frozen, trainable)
    assert frozen == 40 + s.layers[1].params and trainable == 6 * 6 * 4 * 3 + 3
    assert all(r.frozen_params == r.params for r in s.children(1))


def test_summary_to_dict_is_json_ready() -> None:
    d = json.loads(json.dumps(summarize(preset("resnet-18")).to_dict()))
    assert d["total_params"] == 11_178_378
    row = d["layers"][4]
    assert {"name", "type", "output_shape", "params", "macs"} <= set(row)
    assert [c["name"] for c in row["children"]] == ["conv1", "bn1", "conv2", "bn2"]
    assert "multiply-accumulates" in d["macs_note"]


def test_tree_structure_and_empty_spec() -> None:
    s = summarize(preset("googlenet"))
    inc = next(r for r in s.layers if r.type == "Inception")
    kids = s.children(inc.index)
    assert [k.name for k in kids] == ["p1_1", "p2_1", "p2_2", "p3_1", "p3_2", "p4_1", "p4_2"]
    assert all(k.depth == 1 and k.parent == inc.index for k in kids)
    assert inc.params == sum(k.params for k in kids)
    empty = summarize(NetworkSpec("empty", (1, 3)))
    assert empty.output_shape == (1, 3) and empty.total_params == 0 and empty.error is None
