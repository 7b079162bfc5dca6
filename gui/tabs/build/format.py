"""Text for shapes, counts and layer settings, shared by the table and the diagram."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.builder import AUTO, GROUPS, layer_type

GROUP_TITLES = {
    "dense": "Dense",
    "conv": "Convolution",
    "pooling": "Pooling",
    "normalisation": "Normalisation",
    "activation": "Activation",
    "regularisation": "Regularisation",
    "reshape": "Reshape",
    "blocks": "Blocks (d2l ch. 8)",
}
# Pastel fills for the diagram and the palette icons, one per group.
GROUP_COLORS = {
    "dense": "#cfe3ff",
    "conv": "#d7f0d2",
    "pooling": "#fde7c4",
    "normalisation": "#efe0ff",
    "activation": "#fff6bf",
    "regularisation": "#e4e4e4",
    "reshape": "#e9edf1",
    "blocks": "#c9ece9",
}
assert set(GROUP_TITLES) == set(GROUPS)

_SHORT = {"out_channels": "out", "out_features": "out", "kernel_size": "k", "stride": "s",
          "strides": "s", "padding": "pad", "num_channels": "ch", "num_convs": "convs",
          "growth_rate": "growth", "negative_slope": "slope", "use_1x1conv": "1×1 conv",
          "output_size": "size", "normalized_shape": "shape", "output_padding": "out pad",
          "in_channels": "in", "in_features": "in", "num_features": "C",
          "elementwise_affine": "affine", "approximate": "approx"}
_MINOR = {"eps", "momentum", "start_dim", "end_dim", "dim", "bias"}


def shape_text(shape: Sequence[int] | None, *, batch: bool = True) -> str:
    """``(1, 6, 28, 28)`` -> ``"1×6×28×28"`` (``batch=False``: ``"6×28×28"``)."""
    if shape is None:
        return "—"
    dims = list(shape) if batch else list(shape)[1:]
    return "×".join(str(d) for d in dims) if dims else "scalar"


def count_text(n: int) -> str:
    return f"{n:,}" if n else "–"


def bytes_text(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:.2f} MiB"
    return f"{n / 2**10:.1f} KiB"


def value_text(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return "×".join(str(v) for v in value) if len(value) == 2 else str(list(value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def settings_text(type_name: str, params: Mapping[str, Any]) -> str:
    """The parameters worth reading in a table cell: non-defaults, never ``auto``.

    ``Conv2d(out_channels=6, kernel_size=5, padding=2)`` -> ``"out 6, k 5, pad 2"``.
    """
    parts = []
    schema = layer_type(type_name).params
    first = next((p.name for p in schema if not p.auto and p.name not in _MINOR), None)
    for p in schema:
        value = params.get(p.name, p.default)
        shown = (p.name == first or p.name == "kernel_size" or value != p.default
                 or type_name == "Inception")
        if value == AUTO or not shown:
            continue
        if p.kind == "bool":
            if value != p.default:
                parts.append(_SHORT.get(p.name, p.name) + ("" if value else " off"))
            continue
        parts.append(f"{_SHORT.get(p.name, p.name)} {value_text(value)}")
    return ", ".join(parts)


def arguments_text(arguments: Mapping[str, Any] | None) -> str:
    """Sub-layer constructor arguments, compact: ``"64→64, k 3, pad 1"``."""
    if not arguments:
        return ""
    args = dict(arguments)
    parts = []
    src = args.pop("in_channels", args.pop("in_features", None))
    dst = args.pop("out_channels", args.pop("out_features", None))
    if src is not None and dst is not None:
        parts.append(f"{src}→{dst}")
    for key in ("kernel_size", "stride", "padding", "num_features", "negative_slope"):
        trivial = args.get(key) in (0, 1, (0, 0), (1, 1)) and key != "kernel_size"
        if key in args and not trivial:
            parts.append(f"{_SHORT.get(key, key)} {value_text(args[key])}")
    return ", ".join(parts)
