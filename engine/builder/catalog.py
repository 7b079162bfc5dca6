"""The layer and block catalog: types, groups, tooltips and parameter schemas.

This is what a GUI palette and property panel show. ``validate_params`` turns a user's
params into canonical ones (defaults filled, int-tuples as tuples, inferable sizes as
``"auto"``) or raises ValueError naming the value and the fix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

GROUPS = ("dense", "conv", "pooling", "normalisation", "activation", "regularisation",
          "reshape", "blocks")
KINDS = ("int", "float", "bool", "choice", "int-tuple")
AUTO = "auto"


@dataclass(frozen=True)
class ParamSpec:
    """Schema of one parameter.

    Attributes:
        name: keyword as in the spec's ``params`` (PyTorch's / d2l's name).
        kind: one of ``"int"``, ``"float"``, ``"bool"``, ``"choice"``, ``"int-tuple"``
            (an int, or a list of ``length`` ints; ``length=None`` means any length).
        default: value used when the param is omitted.
        min, max: inclusive bounds for numbers (each element for int-tuples).
        choices: allowed values for ``"choice"``.
        help: one line for a tooltip.
        auto: ``"auto"`` (or None) is allowed and means "inferred from the incoming shape".
        scalar_ok: for int-tuples, a single int is allowed (used for both dims).
    """

    name: str
    kind: str
    default: Any
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] = ()
    help: str = ""
    auto: bool = False
    length: int | None = 2
    scalar_ok: bool = True


@dataclass(frozen=True)
class LayerType:
    """A palette entry.

    Attributes:
        type: the spec type name (PyTorch class name for layers, d2l name for blocks).
        group: one of ``GROUPS``.
        description: one-line tooltip with the d2l section.
        params: the parameter schema, in display order.
        is_block: True for composite blocks (they expand to sub-layers in a summary).
    """

    type: str
    group: str
    description: str
    params: tuple[ParamSpec, ...] = ()
    is_block: bool = False


# Upper bounds of integer params without a tighter one of their own, so a typo or a file
# with 1e30 gets a message instead of an overflow in torch (or in a Qt spin box).
MAX_UNITS = 1_000_000  # channels, features, groups: Linear(1e6, 1e6) already needs 4 TB
MAX_WINDOW = 10_000  # kernel sizes, strides, paddings, dilations, output sizes
_WINDOW_PARAMS = {"kernel_size", "stride", "strides", "padding", "dilation", "output_padding",
                  "output_size"}


def _p(name: str, kind: str, default: Any, **kw: Any) -> ParamSpec:
    if kind in ("int", "int-tuple") and kw.get("max") is None:
        kw["max"] = MAX_WINDOW if name in _WINDOW_PARAMS else MAX_UNITS
    return ParamSpec(name, kind, default, **kw)


def is_finite(value: int | float) -> bool:
    """``math.isfinite`` that says False for ints too large for a float (10**400)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _in(name: str, what: str) -> ParamSpec:
    return _p(name, "int", AUTO, min=1, auto=True,
              help=f"{what}; 'auto' infers it from the incoming shape (like d2l's Lazy layers)")


def _kernel(default: Any = 3) -> ParamSpec:
    return _p("kernel_size", "int-tuple", default, min=1, help="window height, width")


def _stride(default: Any = 1, name: str = "stride") -> ParamSpec:
    return _p(name, "int-tuple", default, min=1, help="step of the window")


def _padding(default: Any = 0) -> ParamSpec:
    return _p("padding", "int-tuple", default, min=0, help="zeros added on each side")


_BIAS = _p("bias", "bool", True, help="learn an additive bias")
_EPS = _p("eps", "float", 1e-5, min=0.0, help="added to the variance for stability")
_MOMENTUM = _p("momentum", "float", 0.1, min=0.0, max=1.0, help="running-stats update rate")
_OUT_CH = _p("out_channels", "int", 64, min=1, help="number of output channels")

_TYPES: tuple[LayerType, ...] = (
    LayerType("Linear", "dense", "Fully connected layer y = xW^T + b on the last dim (d2l 3.5, "
              "5.1)", (_in("in_features", "input features"),
                       _p("out_features", "int", 10, min=1, help="output features"), _BIAS)),
    LayerType("Conv2d", "conv", "2-D cross-correlation over (N, C, H, W) (d2l 7.2-7.4)",
              (_in("in_channels", "input channels"), _OUT_CH, _kernel(), _stride(),
               _padding(), _p("dilation", "int-tuple", 1, min=1, help="spacing of kernel taps"),
               _p("groups", "int", 1, min=1, help="channel groups (in and out divisible)"),
               _BIAS)),
    LayerType("ConvTranspose2d", "conv", "Transposed convolution: upsamples (d2l 14.10)",
              (_in("in_channels", "input channels"), _OUT_CH, _kernel(), _stride(),
               _padding(), _p("output_padding", "int-tuple", 0, min=0,
                              help="extra rows/cols on one side of the output"),
               _p("groups", "int", 1, min=1, help="channel groups"), _BIAS)),
    LayerType("MaxPool2d", "pooling", "Maximum over each window (d2l 7.5)",
              (_kernel(2), _p("stride", "int-tuple", AUTO, min=1, auto=True,
                              help="step; 'auto' = kernel_size"), _padding())),
    LayerType("AvgPool2d", "pooling", "Average over each window (d2l 7.5)",
              (_kernel(2), _p("stride", "int-tuple", AUTO, min=1, auto=True,
                              help="step; 'auto' = kernel_size"), _padding())),
    LayerType("AdaptiveAvgPool2d", "pooling", "Average to a fixed output size; (1, 1) = global "
              "average pooling (d2l 8.3)",
              (_p("output_size", "int-tuple", 1, min=1, help="output height, width"),)),
    LayerType("BatchNorm1d", "normalisation", "Batch normalisation of (N, C) or (N, C, L) "
              "features (d2l 8.5)", (_in("num_features", "features C"), _EPS, _MOMENTUM)),
    LayerType("BatchNorm2d", "normalisation", "Batch normalisation per channel of (N, C, H, W) "
              "(d2l 8.5)", (_in("num_features", "channels C"), _EPS, _MOMENTUM)),
    LayerType("LayerNorm", "normalisation", "Normalise over the trailing dims of each example "
              "(d2l 8.5, 11.7)",
              (_p("normalized_shape", "int-tuple", AUTO, min=1, auto=True, length=None,
                  help="trailing dims to normalise; 'auto' = the last dim"), _EPS,
               _p("elementwise_affine", "bool", True, help="learn a scale and a shift"))),
    LayerType("Dropout", "regularisation", "Zero each value with probability p while training, "
              "scale the rest by 1/(1-p) (d2l 5.6)",
              (_p("p", "float", 0.5, min=0.0, max=1.0, help="drop probability"),)),
    LayerType("Flatten", "reshape", "Merge dims start_dim..end_dim, e.g. (N, C, H, W) -> "
              "(N, C*H*W) (d2l 4.1)",
              (_p("start_dim", "int", 1, min=-5, max=4, help="first dim to merge"),
               _p("end_dim", "int", -1, min=-5, max=4, help="last dim to merge"))),
    LayerType("Identity", "reshape", "Passes its input through unchanged"),
    LayerType("ReLU", "activation", "max(x, 0) (d2l 5.1)"),
    LayerType("LeakyReLU", "activation", "x if x > 0 else slope * x (DarkNet uses 0.1)",
              (_p("negative_slope", "float", 0.01, min=0.0, help="slope for x < 0"),)),
    LayerType("Sigmoid", "activation", "1 / (1 + exp(-x)) (d2l 5.1; LeNet)"),
    LayerType("Tanh", "activation", "(1 - exp(-2x)) / (1 + exp(-2x)) (d2l 5.1)"),
    LayerType("GELU", "activation", "x * Phi(x), smooth ReLU used by transformers",
              (_p("approximate", "choice", "none", choices=("none", "tanh"),
                  help="'tanh' uses the faster approximation"),)),
    LayerType("Softmax", "activation", "exp(x) / sum exp(x) along dim; for training leave it "
              "out, the cross-entropy loss includes it (d2l 4.4)",
              (_p("dim", "int", 1, min=-5, max=4, help="dim that sums to 1"),)),
    LayerType("VGGBlock", "blocks", "num_convs x (3x3 conv, pad 1, ReLU) then 2x2 max-pool "
              "(d2l 8.2 vgg_block)",
              (_p("num_convs", "int", 1, min=1, max=16, help="3x3 convolutions"),
               _p("out_channels", "int", 64, min=1, help="channels of every conv")), True),
    LayerType("NiNBlock", "blocks", "conv, ReLU, then two 1x1 conv + ReLU (d2l 8.3 nin_block)",
              (_p("out_channels", "int", 96, min=1, help="channels of every conv"),
               _kernel(11), _stride(4, "strides"), _padding(0)), True),
    LayerType("Inception", "blocks", "Four parallel paths (1x1; 1x1-3x3; 1x1-5x5; pool-1x1), "
              "ReLU after each conv, concatenated on channels (d2l 8.4)",
              (_p("c1", "int", 64, min=1, help="path 1: 1x1 conv channels"),
               _p("c2", "int-tuple", (96, 128), min=1, scalar_ok=False,
                  help="path 2: 1x1 then 3x3 conv channels"),
               _p("c3", "int-tuple", (16, 32), min=1, scalar_ok=False,
                  help="path 3: 1x1 then 5x5 conv channels"),
               _p("c4", "int", 32, min=1, help="path 4: 3x3 max-pool then 1x1 conv channels")),
              True),
    LayerType("Residual", "blocks", "conv3x3-BN-ReLU-conv3x3-BN, add the input (optionally "
              "through a 1x1 conv), ReLU (d2l 8.6)",
              (_p("num_channels", "int", 64, min=1, help="output channels"),
               _p("use_1x1conv", "bool", False,
                  help="project the shortcut with a 1x1 conv (needed when shapes change)"),
               _p("strides", "int", 1, min=1, help="stride of the first conv and the 1x1 conv")),
              True),
    LayerType("DenseBlock", "blocks", "num_convs x (BN, ReLU, 3x3 conv), each output "
              "concatenated to its input on channels (d2l 8.7)",
              (_p("num_convs", "int", 4, min=1, max=64, help="conv blocks"),
               _p("growth_rate", "int", 32, min=1, help="channels added by each conv block")),
              True),
    LayerType("TransitionBlock", "blocks", "BN, ReLU, 1x1 conv, 2x2 avg-pool: fewer channels, "
              "half the size (d2l 8.7 transition_block)",
              (_p("num_channels", "int", 64, min=1, help="output channels"),), True),
    LayerType("DarkNetConv", "blocks", "Conv (no bias, 'same' padding), BN, LeakyReLU(0.1): "
              "YOLOv3's DBL unit",
              (_OUT_CH, _p("kernel_size", "int", 3, min=1, help="square kernel"),
               _p("stride", "int", 1, min=1, help="2 halves the size (DarkNet downsampling)")),
              True),
    LayerType("DarkNetResidual", "blocks", "DarkNetConv 1x1 to C/2, DarkNetConv 3x3 back to C, "
              "add the input (YOLOv3 Darknet-53)", (), True),
)
_BY_NAME = {t.type: t for t in _TYPES}


def catalog() -> list[LayerType]:
    """All layer and block types, grouped in ``GROUPS`` order."""
    return sorted(_TYPES, key=lambda t: GROUPS.index(t.group))


def layer_type(name: str) -> LayerType:
    """The catalog entry for ``name``; ValueError listing the known types otherwise."""
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown layer type {name!r}; known types: "
                         f"{', '.join(_BY_NAME)}") from None


def validate_params(type: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check ``params`` against the schema of ``type`` and return canonical params.

    Args:
        type: a catalog type name.
        params: user values; missing ones take the default.

    Returns:
        A new dict with every parameter: ints, floats, bools, tuples, or ``"auto"``.

    Raises:
        ValueError: unknown type or param, wrong kind, or a value out of range
            (e.g. negative channels, dropout ``p > 1``), naming the value and the fix.
    """
    lt = layer_type(type)
    params = dict(params or {})
    known = {p.name for p in lt.params}
    unknown = sorted(set(params) - known)
    if unknown:
        hint = f"known: {', '.join(sorted(known))}" if known else "it takes no parameters"
        raise ValueError(f"{type} has no parameter {unknown[0]!r}; {hint}")
    return {p.name: _check(type, p, params.get(p.name, p.default)) for p in lt.params}


def _check(type: str, p: ParamSpec, value: Any) -> Any:
    where = f"{type}.{p.name}={value!r}"
    if p.auto and (value is None or value == AUTO):
        return AUTO
    if p.kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{where} must be true or false")
        return value
    if p.kind == "choice":
        if value not in p.choices:
            raise ValueError(f"{where} must be one of {list(p.choices)}")
        return value
    if p.kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not is_finite(
            value
        ):
            raise ValueError(f"{where} must be a number")
        _bounds(where, p, value)
        return float(value)
    if p.kind == "int":
        _int(where, p, value)
        return value
    return _int_tuple(where, p, value)


def _int(where: str, p: ParamSpec, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        extra = " or 'auto'" if p.auto else ""
        raise ValueError(f"{where} must be an integer{extra}")
    _bounds(where, p, value)


def _int_tuple(where: str, p: ParamSpec, value: Any) -> int | tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        if not p.scalar_ok:
            raise ValueError(f"{where} must be a list of {p.length} integers, e.g. "
                             f"{list(p.default)}")
        _bounds(where, p, value)
        return value
    if not isinstance(value, (list, tuple)) or not value or (
        p.length is not None and len(value) != p.length
    ):
        n = p.length if p.length is not None else "one or more"
        raise ValueError(f"{where} must be an integer or a list of {n} integers")
    for v in value:
        _int(where, p, v)
    return tuple(value)


def _bounds(where: str, p: ParamSpec, value: float) -> None:
    if p.min is not None and value < p.min:
        raise ValueError(f"{where} is below the minimum {p.min}; use a value >= {p.min}")
    if p.max is not None and value > p.max:
        raise ValueError(f"{where} is above the maximum {p.max}; use a value <= {p.max}")
