"""Analytic rules for single layers: shape inference, parameter counts, MACs, torch args.

Every rule works on plain tuples, so a summary costs microseconds per layer; tests check
the shapes and counts against the real modules. Shapes always include the batch dim.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from engine.builder.catalog import AUTO

Shape = tuple[int, ...]
Params = dict[str, Any]


class ShapeError(ValueError):
    """The incoming shape is impossible for a layer; the message says why and the fix."""


@dataclass(frozen=True)
class LeafRule:
    """How one layer type infers, counts and constructs.

    Attributes:
        infer: ``(params, in_shape) -> (concrete params, out_shape)``; raises ShapeError.
        positional: concrete params passed positionally to the torch constructor.
        torch_defaults: keyword params and torch's defaults (omitted from exported code).
        count: concrete params -> number of parameters.
        macs: ``(concrete, in_shape, out_shape) -> multiply-accumulates`` (0 if no weights).
    """

    infer: Callable[[Params, Shape], tuple[Params, Shape]]
    positional: tuple[str, ...] = ()
    torch_defaults: tuple[tuple[str, Any], ...] = ()
    count: Callable[[Params], int] = lambda c: 0
    macs: Callable[[Params, Shape, Shape], int] = lambda c, x, y: 0


def pair(v: int | tuple[int, ...]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (v[0], v[1])


def _rank(x: Shape, ranks: tuple[int, ...], layout: str, fix: str) -> None:
    if len(x) not in ranks:
        raise ShapeError(f"expects input {layout} but got {x}; {fix}")


def _need_4d(x: Shape) -> None:
    _rank(x, (4,), "(N, C, H, W)", "remove the Flatten before it or start from an image shape")


def _resolve_in(value: Any, actual: int, name: str, x: Shape, what: str) -> int:
    if value == AUTO:
        return actual
    if value != actual:
        raise ShapeError(f"{name}={value} but the incoming shape {x} has {actual} {what}; "
                         f"set {name}={actual} or 'auto'")
    return value


def _window(size: int, k: int, s: int, p: int, d: int, dim: str) -> int:
    eff = d * (k - 1) + 1
    if size + 2 * p < eff:
        raise ShapeError(f"kernel {k} (effective {eff}) is larger than the padded input {dim} "
                         f"{size}+2*{p}={size + 2 * p}; use a smaller kernel_size, more padding, "
                         "or a larger input")
    return (size + 2 * p - eff) // s + 1


def _conv_like(c: Params, x: Shape, *, dilation: Any = 1) -> tuple[int, int]:
    (kh, kw), (sh, sw), (ph, pw) = pair(c["kernel_size"]), pair(c["stride"]), pair(c["padding"])
    dh, dw = pair(dilation)
    return (_window(x[2], kh, sh, ph, dh, "height"), _window(x[3], kw, sw, pw, dw, "width"))


def _conv_in_channels(p: Params, x: Shape) -> int:
    """Input channels of a (transposed) convolution on ``x``, checked against ``groups``."""
    _need_4d(x)
    cin = _resolve_in(p["in_channels"], x[1], "in_channels", x, "channels")
    g = p["groups"]
    if cin % g or p["out_channels"] % g:
        raise ShapeError(f"groups={g} must divide in_channels={cin} and "
                         f"out_channels={p['out_channels']}; change groups")
    return cin


def _infer_conv(p: Params, x: Shape) -> tuple[Params, Shape]:
    cin = _conv_in_channels(p, x)
    c = {**p, "in_channels": cin}
    return c, (x[0], p["out_channels"], *_conv_like(c, x, dilation=p["dilation"]))


def _infer_conv_t(p: Params, x: Shape) -> tuple[Params, Shape]:
    cin = _conv_in_channels(p, x)
    out = []
    for size, k, s, pad, op, dim in zip(x[2:], pair(p["kernel_size"]), pair(p["stride"]),
                                        pair(p["padding"]), pair(p["output_padding"]),
                                        ("height", "width"), strict=True):
        if op >= s:
            raise ShapeError(f"output_padding {op} must be smaller than stride {s}; lower it")
        n = (size - 1) * s - 2 * pad + (k - 1) + op + 1
        if n < 1:
            raise ShapeError(f"output {dim} would be {n} (padding {pad} too large for input "
                             f"{dim} {size}); reduce padding")
        out.append(n)
    return {**p, "in_channels": cin}, (x[0], p["out_channels"], *out)


def _infer_pool(p: Params, x: Shape) -> tuple[Params, Shape]:
    _need_4d(x)
    stride = p["kernel_size"] if p["stride"] == AUTO else p["stride"]
    for k, pad in zip(pair(p["kernel_size"]), pair(p["padding"]), strict=True):
        if pad > k // 2:
            raise ShapeError(f"padding {pad} must be at most half the kernel size {k}; "
                             "lower padding")
    c = {**p, "stride": stride}
    return p, (x[0], x[1], *_conv_like(c, x))


def _infer_adaptive(p: Params, x: Shape) -> tuple[Params, Shape]:
    _need_4d(x)
    return p, (x[0], x[1], *pair(p["output_size"]))


def _infer_linear(p: Params, x: Shape) -> tuple[Params, Shape]:
    if len(x) > 3:
        raise ShapeError(f"expects (N, features) but got {x}; add a Flatten before it")
    n = _resolve_in(p["in_features"], x[-1], "in_features", x, "features (last dim)")
    return {**p, "in_features": n}, (*x[:-1], p["out_features"])


def _infer_bn(ranks: tuple[int, ...], layout: str) -> Callable[[Params, Shape], Any]:
    def infer(p: Params, x: Shape) -> tuple[Params, Shape]:
        fix = ("use BatchNorm2d after convolutions" if layout.startswith("(N, C)")
               else "use BatchNorm1d after Linear/Flatten")
        _rank(x, ranks, layout, fix)
        n = _resolve_in(p["num_features"], x[1], "num_features", x, "channels (dim 1)")
        return {**p, "num_features": n}, x
    return infer


def _infer_layer_norm(p: Params, x: Shape) -> tuple[Params, Shape]:
    ns = p["normalized_shape"]
    if ns == AUTO:
        ns = x[-1]
    dims = (ns,) if isinstance(ns, int) else tuple(ns)
    if len(dims) >= len(x) or tuple(x[-len(dims):]) != dims:
        raise ShapeError(f"normalized_shape={list(dims)} does not match the trailing dims of "
                         f"{x}; set it to {list(x[-len(dims):])} or 'auto'")
    return {**p, "normalized_shape": ns}, x


def _infer_flatten(p: Params, x: Shape) -> tuple[Params, Shape]:
    n = len(x)
    start, end = p["start_dim"], p["end_dim"]
    if not (-n <= start < n and -n <= end < n):
        raise ShapeError(f"start_dim={start}/end_dim={end} out of range for {n}-d input {x}")
    start, end = start % n, end % n
    if start > end:
        raise ShapeError(f"start_dim={start} comes after end_dim={end} for input {x}")
    return p, (*x[:start], math.prod(x[start:end + 1]), *x[end + 1:])


def _infer_softmax(p: Params, x: Shape) -> tuple[Params, Shape]:
    if not -len(x) <= p["dim"] < len(x):
        raise ShapeError(f"dim={p['dim']} is out of range for {len(x)}-d input {x}")
    return p, x


def _same(p: Params, x: Shape) -> tuple[Params, Shape]:
    return p, x


def _conv_count(c: Params) -> int:
    kh, kw = pair(c["kernel_size"])
    return c["out_channels"] * (c["in_channels"] // c["groups"]) * kh * kw + (
        c["out_channels"] if c["bias"] else 0)


def _conv_macs(c: Params, x: Shape, y: Shape) -> int:
    kh, kw = pair(c["kernel_size"])
    return math.prod(y) * (c["in_channels"] // c["groups"]) * kh * kw


def _conv_t_macs(c: Params, x: Shape, y: Shape) -> int:
    kh, kw = pair(c["kernel_size"])
    return math.prod(x) * (c["out_channels"] // c["groups"]) * kh * kw


def _ln_count(c: Params) -> int:
    ns = c["normalized_shape"]
    return 2 * math.prod((ns,) if isinstance(ns, int) else ns) if c["elementwise_affine"] else 0


_POOL_DEFAULTS = (("kernel_size", None), ("stride", None), ("padding", 0))
_BN = (("num_features",), (("eps", 1e-5), ("momentum", 0.1)), lambda c: 2 * c["num_features"])

RULES: dict[str, LeafRule] = {
    "Linear": LeafRule(_infer_linear, ("in_features", "out_features"), (("bias", True),),
                       lambda c: c["in_features"] * c["out_features"] + c["out_features"] * c[
                           "bias"],
                       lambda c, x, y: math.prod(y) * c["in_features"]),
    "Conv2d": LeafRule(_infer_conv, ("in_channels", "out_channels"),
                       (("kernel_size", None), ("stride", 1), ("padding", 0), ("dilation", 1),
                        ("groups", 1), ("bias", True)), _conv_count, _conv_macs),
    "ConvTranspose2d": LeafRule(_infer_conv_t, ("in_channels", "out_channels"),
                                (("kernel_size", None), ("stride", 1), ("padding", 0),
                                 ("output_padding", 0), ("groups", 1), ("bias", True)),
                                _conv_count, _conv_t_macs),
    "MaxPool2d": LeafRule(_infer_pool, (), _POOL_DEFAULTS),
    "AvgPool2d": LeafRule(_infer_pool, (), _POOL_DEFAULTS),
    "AdaptiveAvgPool2d": LeafRule(_infer_adaptive, ("output_size",)),
    "BatchNorm1d": LeafRule(_infer_bn((2, 3), "(N, C) or (N, C, L)"), *_BN),
    "BatchNorm2d": LeafRule(_infer_bn((4,), "(N, C, H, W)"), *_BN),
    "LayerNorm": LeafRule(_infer_layer_norm, ("normalized_shape",),
                          (("eps", 1e-5), ("elementwise_affine", True)), _ln_count),
    "Dropout": LeafRule(_same, ("p",)),
    "Flatten": LeafRule(_infer_flatten, (), (("start_dim", 1), ("end_dim", -1))),
    "Identity": LeafRule(_same),
    "ReLU": LeafRule(_same),
    "LeakyReLU": LeafRule(_same, ("negative_slope",)),
    "Sigmoid": LeafRule(_same),
    "Tanh": LeafRule(_same),
    "GELU": LeafRule(_same, (), (("approximate", "none"),)),
    "Softmax": LeafRule(_infer_softmax, (), (("dim", None),)),
}


def torch_args(type: str, concrete: Params) -> tuple[list[Any], dict[str, Any]]:
    """Constructor args for ``nn.<type>``: positional values and non-default keywords."""
    rule = RULES[type]
    args = [concrete[name] for name in rule.positional]
    kwargs = {}
    for name, default in rule.torch_defaults:
        value = concrete[name]
        if value == AUTO:  # pool stride: torch's None means "= kernel_size"
            continue
        if value != default:
            kwargs[name] = value
    return args, kwargs


def make_leaf(type: str, concrete: Params) -> nn.Module:
    """A real torch module for a resolved layer."""
    args, kwargs = torch_args(type, concrete)
    return getattr(nn, type)(*args, **kwargs)
