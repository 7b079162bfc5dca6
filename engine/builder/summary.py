"""Per-layer output shapes, parameter counts, MACs and activation memory of a spec.

Computed analytically from the spec (no tensors, no modules), so it costs far less than
a forward pass and stays live while a learner edits; tests check every shape and count
against the real module (forward hooks, ``sum(p.numel())``).

MACs are multiply-accumulates of the weight layers only (Linear, Conv2d,
ConvTranspose2d) for the whole input batch; bias adds, normalisation, activations and
pooling are not counted. One MAC is about two FLOPs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from engine.builder.block_rules import SubLayer
from engine.builder.layers import RULES, Shape
from engine.builder.resolve import Resolved, first_error, resolve
from engine.builder.spec import NetworkSpec, jsonable

BYTES_PER_FLOAT = 4
MACS_NOTE = ("MACs = multiply-accumulates of Linear/Conv layers only (weights), for the "
             "whole batch; ~2 FLOPs each")


@dataclass(frozen=True)
class Row:
    """One line of a summary: a top-level layer/block (depth 0) or a block's sub-layer.

    Attributes:
        name: the entry's name or ``"<type>-<index>"``; for sub-rows the attribute path
            inside the block (``"conv1"``, ``"net.0.2"``).
        type: catalog type (sub-rows: the torch layer type).
        path: module path in ``build(spec)`` (``"3"``, ``"3.conv1"``).
        depth: 0 for a top-level entry, 1 for a sub-layer of a block.
        parent: for sub-rows, the index of the top-level entry; None otherwise.
        index: index of the top-level entry this row belongs to.
        output_shape: shape incl. batch dim; None on or after an error.
        params: number of parameters owned by this row (0 when shared with an earlier
            row, which already counted them).
        trainable_params, frozen_params: ``params`` split by ``requires_grad``.
        macs: multiply-accumulates (weight layers only, see module docstring).
        activation_bytes: size of the output tensor in float32.
        shared_with: name of the row whose parameters this one reuses.
        arguments: the resolved constructor parameters (``"auto"`` filled in).
        error: why this entry cannot take its input (only on the first bad row).
    """

    name: str
    type: str
    path: str
    depth: int
    parent: int | None
    index: int
    input_shape: Shape | None
    output_shape: Shape | None
    params: int = 0
    trainable_params: int = 0
    frozen_params: int = 0
    macs: int = 0
    activation_bytes: int = 0
    shared_with: str | None = None
    arguments: dict[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True)
class Summary:
    """Rows in display order (each block followed by its sub-rows) and totals.

    Totals count each parameter once; ``total_activation_bytes`` adds the outputs of all
    rows (top-level and inside blocks), a rough size of what backprop keeps.
    ``error`` is the first row's error, or None when the whole net is valid.
    """

    name: str
    input_shape: Shape
    output_shape: Shape | None
    rows: tuple[Row, ...]
    total_params: int
    trainable_params: int
    frozen_params: int
    total_macs: int
    total_activation_bytes: int
    error: str | None

    @property
    def layers(self) -> tuple[Row, ...]:
        """The top-level rows only (one per spec entry)."""
        return tuple(r for r in self.rows if r.depth == 0)

    def children(self, index: int) -> tuple[Row, ...]:
        """Sub-rows of top-level entry ``index``."""
        return tuple(r for r in self.rows if r.parent == index)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``layers`` (with ``children``), totals and the MACs note."""
        def row(r: Row) -> dict[str, Any]:
            d = asdict(r)
            d["output_shape"] = _list(r.output_shape)
            d["input_shape"] = _list(r.input_shape)
            d["arguments"] = jsonable(r.arguments)
            return d
        layers = []
        for r in self.layers:
            d = row(r)
            d["children"] = [row(c) for c in self.children(r.index)]
            layers.append(d)
        return {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "output_shape": _list(self.output_shape),
            "layers": layers,
            "total_params": self.total_params,
            "trainable_params": self.trainable_params,
            "frozen_params": self.frozen_params,
            "total_macs": self.total_macs,
            "total_activation_bytes": self.total_activation_bytes,
            "error": self.error,
            "macs_note": MACS_NOTE,
        }


def summarize(spec: NetworkSpec, input_shape: Sequence[int] | None = None) -> Summary:
    """Summarise ``spec`` for an input shape.

    Args:
        spec: the network.
        input_shape: shape incl. batch dim, e.g. ``(1, 1, 28, 28)``; default
            ``spec.input_shape``.

    Returns:
        Summary whose rows carry output shapes, parameter counts (trainable / frozen,
        shared parameters counted once), MACs (multiply-accumulates of Linear/Conv
        weights only), activation bytes (float32). An impossible shape is not raised:
        it appears as ``row.error`` / ``summary.error`` naming the layer and the shapes,
        and later rows have ``output_shape=None``.

    Raises:
        ValueError: only for a malformed ``input_shape``.
    """
    resolved = resolve(spec, input_shape)
    rows: list[Row] = []
    for r in resolved:
        rows.extend(_rows(r, resolved))
    x = tuple(spec.input_shape if input_shape is None else input_shape)
    out = resolved[-1].out_shape if resolved else x
    trainable = sum(r.trainable_params for r in rows if r.depth == 0)
    frozen = sum(r.frozen_params for r in rows if r.depth == 0)
    return Summary(
        name=spec.name, input_shape=x, output_shape=out, rows=tuple(rows),
        total_params=trainable + frozen, trainable_params=trainable, frozen_params=frozen,
        total_macs=sum(r.macs for r in rows if r.depth == 0),
        total_activation_bytes=sum(r.activation_bytes for r in rows),
        error=first_error(resolved),
    )


def _rows(r: Resolved, resolved: list[Resolved]) -> list[Row]:
    entry = r.entry
    if r.out_shape is None or r.concrete is None:
        return [Row(r.name, entry.type, str(r.index), 0, None, r.index, r.in_shape, None,
                    error=r.error)]
    owned = r.shared_index is None
    subs = [_sub_row(s, r, owned) for s in r.subs]
    if subs:
        params = sum(s.params for s in subs)
        macs = sum(s.macs for s in subs)
    else:
        params = RULES[entry.type].count(r.concrete) if owned else 0
        macs = RULES[entry.type].macs(r.concrete, r.in_shape, r.out_shape)
    shared = resolved[r.shared_index].name if r.shared_index is not None else None
    top = Row(r.name, entry.type, str(r.index), 0, None, r.index, r.in_shape, r.out_shape,
              params, 0 if entry.frozen else params, params if entry.frozen else 0, macs,
              _bytes(r.out_shape), shared, r.concrete)
    return [top, *subs]


def _sub_row(s: SubLayer, r: Resolved, owned: bool) -> Row:
    rule = RULES[s.type]
    params = rule.count(s.params) if owned else 0
    frozen = r.entry.frozen
    return Row(s.path, s.type, f"{r.index}.{s.path}", 1, r.index, r.index, s.in_shape,
               s.out_shape, params, 0 if frozen else params, params if frozen else 0,
               rule.macs(s.params, s.in_shape, s.out_shape), _bytes(s.out_shape),
               arguments=s.params)


def _bytes(shape: Shape) -> int:
    return math.prod(shape) * BYTES_PER_FLOAT


def _list(shape: Shape | None) -> list[int] | None:
    return None if shape is None else list(shape)




def format_summary(summary: Summary) -> str:
    """A fixed-width text table (what ``python -m engine summary`` prints)."""
    lines = [f"{summary.name}: input {summary.input_shape}",
             f"{'layer':<28} {'type':<18} {'output shape':<22} {'params':>12} {'MACs':>15}"]
    lines.append("-" * len(lines[1]))
    for r in summary.rows:
        indent = "  " * r.depth
        shape = "-" if r.output_shape is None else str(tuple(r.output_shape))
        params = f"{r.params:,}" + (" (frozen)" if r.frozen_params else "")
        if r.shared_with:
            params = f"shared:{r.shared_with}"
        lines.append(f"{indent + r.name:<28} {r.type:<18} {shape:<22} {params:>12} "
                     f"{r.macs:>15,}")
        if r.error:
            lines.append(f"  !! {r.error}")
    lines.append("-" * len(lines[1]))
    lines.append(f"total params: {summary.total_params:,} (trainable "
                 f"{summary.trainable_params:,}, frozen {summary.frozen_params:,})")
    lines.append(f"total MACs: {summary.total_macs:,}  ({MACS_NOTE})")
    lines.append(f"activation memory: {summary.total_activation_bytes / 2**20:.2f} MiB "
                 "(float32, outputs of all rows)")
    if summary.error:
        lines.append(f"error: {summary.error}")
    return "\n".join(lines)
