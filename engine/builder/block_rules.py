"""Analytic rules for blocks: expand a block into its sub-layers with their shapes.

Sub-layer paths are the attribute paths inside the modules of ``blocks.py`` (``conv1``,
``p2_2``, ``net.0.2``), listed in the order ``forward`` runs them, so a summary can show
them as a tree and tests can compare them with forward hooks on the real module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.builder.layers import RULES, Params, Shape, ShapeError


@dataclass(frozen=True)
class SubLayer:
    """A layer inside a block: module path relative to the block, type, shapes."""

    path: str
    type: str
    params: Params
    in_shape: Shape
    out_shape: Shape


Call = tuple[tuple[Any, ...], dict[str, Any]]
_Result = tuple[Params, Shape, Call]


class _Expander:
    """Collects sub-layers while a block's shape is traced through them."""

    def __init__(self) -> None:
        self.subs: list[SubLayer] = []

    def add(self, path: str, type: str, params: Params, x: Shape) -> Shape:
        try:
            concrete, y = RULES[type].infer(params, x)
        except ShapeError as exc:
            raise ShapeError(f"inside the block, {path} ({type}): {exc}") from None
        self.subs.append(SubLayer(path, type, concrete, x, y))
        return y


def _conv(cin: int, cout: int, k: int, s: int = 1, p: int = 0, bias: bool = True) -> Params:
    return {"in_channels": cin, "out_channels": cout, "kernel_size": k, "stride": s,
            "padding": p, "dilation": 1, "groups": 1, "bias": bias}


def _bn(c: int) -> Params:
    return {"num_features": c, "eps": 1e-5, "momentum": 0.1}


def _pool(k: int, s: int, p: int = 0) -> Params:
    return {"kernel_size": k, "stride": s, "padding": p}


def _channels(x: Shape, block: str) -> int:
    if len(x) != 4:
        raise ShapeError(f"{block} expects input (N, C, H, W) but got {x}; remove the Flatten "
                         "before it or start from an image shape")
    return x[1]


def _vgg(p: Params, x: Shape, e: _Expander) -> _Result:
    c0 = c = _channels(x, "VGGBlock")
    concrete = {**p, "in_channels": c}
    for i in range(p["num_convs"]):
        x = e.add(str(2 * i), "Conv2d", _conv(c, p["out_channels"], 3, p=1), x)
        x = e.add(str(2 * i + 1), "ReLU", {}, x)
        c = p["out_channels"]
    x = e.add(str(2 * p["num_convs"]), "MaxPool2d", _pool(2, 2), x)
    return concrete, x, ((p["num_convs"], c0, p["out_channels"]), {})


def _nin(p: Params, x: Shape, e: _Expander) -> _Result:
    c, out = _channels(x, "NiNBlock"), p["out_channels"]
    x = e.add("0", "Conv2d", _conv(c, out, p["kernel_size"], p["strides"], p["padding"]), x)
    for i, cin in enumerate((out, out, out)):
        if i:
            x = e.add(str(2 * i), "Conv2d", _conv(cin, out, 1), x)
        x = e.add(str(2 * i + 1), "ReLU", {}, x)
    return ({**p, "in_channels": c}, x,
            ((c, out, p["kernel_size"], p["strides"], p["padding"]), {}))


def _inception(p: Params, x: Shape, e: _Expander) -> _Result:
    c = _channels(x, "Inception")
    c2, c3 = p["c2"], p["c3"]
    y1 = e.add("p1_1", "Conv2d", _conv(c, p["c1"], 1), x)
    y2 = e.add("p2_2", "Conv2d", _conv(c2[0], c2[1], 3, p=1),
               e.add("p2_1", "Conv2d", _conv(c, c2[0], 1), x))
    y3 = e.add("p3_2", "Conv2d", _conv(c3[0], c3[1], 5, p=2),
               e.add("p3_1", "Conv2d", _conv(c, c3[0], 1), x))
    y4 = e.add("p4_2", "Conv2d", _conv(c, p["c4"], 1),
               e.add("p4_1", "MaxPool2d", _pool(3, 1, 1), x))
    out = (x[0], y1[1] + y2[1] + y3[1] + y4[1], *y1[2:])
    return {**p, "in_channels": c}, out, ((c, p["c1"], tuple(c2), tuple(c3), p["c4"]), {})


def _residual(p: Params, x: Shape, e: _Expander) -> _Result:
    c, n, s = _channels(x, "Residual"), p["num_channels"], p["strides"]
    y = e.add("conv1", "Conv2d", _conv(c, n, 3, s, 1), x)
    y = e.add("bn1", "BatchNorm2d", _bn(n), y)
    y = e.add("conv2", "Conv2d", _conv(n, n, 3, 1, 1), y)
    y = e.add("bn2", "BatchNorm2d", _bn(n), y)
    shortcut = e.add("conv3", "Conv2d", _conv(c, n, 1, s), x) if p["use_1x1conv"] else x
    if shortcut != y:
        raise ShapeError(f"the shortcut {shortcut} cannot be added to the main path {y}; set "
                         "use_1x1conv=true (or strides=1 and num_channels equal to the input "
                         "channels)")
    kwargs: dict[str, Any] = {}
    if p["use_1x1conv"]:
        kwargs["use_1x1conv"] = True
    if s != 1:
        kwargs["strides"] = s
    return {**p, "input_channels": c}, y, ((c, n), kwargs)


def _dense(p: Params, x: Shape, e: _Expander) -> _Result:
    c0 = c = _channels(x, "DenseBlock")
    g = p["growth_rate"]
    for i in range(p["num_convs"]):
        y = e.add(f"net.{i}.0", "BatchNorm2d", _bn(c), x)
        y = e.add(f"net.{i}.1", "ReLU", {}, y)
        y = e.add(f"net.{i}.2", "Conv2d", _conv(c, g, 3, p=1), y)
        c += g
        x = (x[0], c, *y[2:])
    return {**p, "input_channels": c0}, x, ((p["num_convs"], c0, g), {})


def _transition(p: Params, x: Shape, e: _Expander) -> _Result:
    c = _channels(x, "TransitionBlock")
    y = e.add("0", "BatchNorm2d", _bn(c), x)
    y = e.add("1", "ReLU", {}, y)
    y = e.add("2", "Conv2d", _conv(c, p["num_channels"], 1), y)
    y = e.add("3", "AvgPool2d", _pool(2, 2), y)
    return {**p, "input_channels": c}, y, ((c, p["num_channels"]), {})


def _dbl(e: _Expander, prefix: str, cin: int, cout: int, k: int, s: int, x: Shape) -> Shape:
    x = e.add(f"{prefix}0", "Conv2d", _conv(cin, cout, k, s, k // 2, bias=False), x)
    x = e.add(f"{prefix}1", "BatchNorm2d", _bn(cout), x)
    return e.add(f"{prefix}2", "LeakyReLU", {"negative_slope": 0.1}, x)


def _darknet_conv(p: Params, x: Shape, e: _Expander) -> _Result:
    c = _channels(x, "DarkNetConv")
    y = _dbl(e, "", c, p["out_channels"], p["kernel_size"], p["stride"], x)
    args = (c, p["out_channels"], p["kernel_size"], p["stride"])
    return {**p, "in_channels": c}, y, (args, {})


def _darknet_residual(p: Params, x: Shape, e: _Expander) -> _Result:
    c = _channels(x, "DarkNetResidual")
    if c < 2:
        raise ShapeError(f"needs at least 2 input channels (halved inside), got {x}")
    y = _dbl(e, "conv1.", c, c // 2, 1, 1, x)
    y = _dbl(e, "conv2.", c // 2, c, 3, 1, y)
    return {**p, "channels": c}, y, ((c,), {})


# type -> (params, in_shape, expander) -> (concrete params, out_shape, factory call)
BLOCK_RULES: dict[str, Callable[[Params, Shape, _Expander], _Result]] = {
    "VGGBlock": _vgg,
    "NiNBlock": _nin,
    "Inception": _inception,
    "Residual": _residual,
    "DenseBlock": _dense,
    "TransitionBlock": _transition,
    "DarkNetConv": _darknet_conv,
    "DarkNetResidual": _darknet_residual,
}


def expand(type: str, params: Params, x: Shape) -> tuple[Params, Shape, Call,
                                                          tuple[SubLayer, ...]]:
    """Trace ``x`` through block ``type``.

    Returns:
        concrete params (with the inferred input channels), output shape, the factory
        call ``(args, kwargs)`` for ``blocks.BLOCK_SOURCES[type][0]``, and the sub-layers.
    """
    e = _Expander()
    concrete, y, args = BLOCK_RULES[type](params, x, e)
    return concrete, y, args, tuple(e.subs)
