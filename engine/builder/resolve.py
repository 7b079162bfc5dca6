"""Walk a spec through an input shape: infer sizes, shapes and the first error.

Shared by ``summarize`` (which reports), ``build`` (which raises on an error) and
``export_code``. Pure Python on tuples: no tensors are created.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.builder.block_rules import BLOCK_RULES, Call, SubLayer, expand
from engine.builder.layers import RULES, Shape, ShapeError, torch_args
from engine.builder.spec import LayerSpec, NetworkSpec, check_shape


@dataclass(frozen=True)
class Resolved:
    """One top-level entry after inference.

    Attributes:
        index: position in ``spec.layers``.
        entry: the spec entry.
        name: the entry's name, or ``"<type>-<index>"``.
        in_shape: incoming shape, None after an earlier error.
        out_shape: outgoing shape, None on or after an error.
        concrete: params with every ``"auto"`` resolved (None if unresolved).
        call: constructor call ``(args, kwargs)`` for the module.
        subs: sub-layers of a block (empty for a layer).
        shared_index: index of the entry whose module is reused, or None.
        error: why this entry cannot take its input, or None.
    """

    index: int
    entry: LayerSpec
    name: str
    in_shape: Shape | None
    out_shape: Shape | None = None
    concrete: dict[str, Any] | None = None
    call: Call | None = None
    subs: tuple[SubLayer, ...] = ()
    shared_index: int | None = None
    error: str | None = None


def entry_name(entry: LayerSpec, index: int) -> str:
    return entry.name if entry.name is not None else f"{entry.type}-{index}"


def resolve(spec: NetworkSpec, input_shape: Sequence[int] | None = None) -> list[Resolved]:
    """Infer every entry of ``spec`` for ``input_shape`` (default: ``spec.input_shape``).

    Never raises for a shape problem: the first impossible entry gets ``error`` naming
    the layer and the shapes, and later entries get no shapes.
    """
    x: Shape | None = check_shape(spec.input_shape if input_shape is None else input_shape)
    by_name: dict[str, int] = {}
    out: list[Resolved] = []
    for i, entry in enumerate(spec.layers):
        name = entry_name(entry, i)
        if entry.name is not None:
            by_name[entry.name] = i
        if x is None:
            out.append(Resolved(i, entry, name, None))
            continue
        try:
            r = _resolve_one(i, entry, name, x, by_name, out)
        except ShapeError as exc:
            r = Resolved(i, entry, name, x, error=f"{name} ({entry.type}) cannot take input "
                         f"{x}: {exc}")
        out.append(r)
        x = r.out_shape
    return out


def _resolve_one(i: int, entry: LayerSpec, name: str, x: Shape, by_name: dict[str, int],
                 done: list[Resolved]) -> Resolved:
    params = dict(entry.params)
    subs: tuple[SubLayer, ...] = ()
    if entry.type in BLOCK_RULES:
        concrete, y, call, subs = expand(entry.type, params, x)
    else:
        concrete, y = RULES[entry.type].infer(params, x)
        args, kwargs = torch_args(entry.type, concrete)
        call = (tuple(args), kwargs)
    shared = None
    if entry.shared_with is not None:
        shared = by_name[entry.shared_with]
        other = done[shared]
        if other.entry.type != entry.type or other.call != call:
            raise ShapeError(f"shares parameters with {entry.shared_with!r} "
                             f"({other.entry.type}{_fmt_call(other.call)}) but here it would "
                             f"be {entry.type}{_fmt_call(call)}; match the type, params and "
                             "input shape")
    return Resolved(i, entry, name, x, y, concrete, call, subs, shared)


def _fmt_call(call: Call | None) -> str:
    if call is None:
        return "(unresolved)"
    args, kwargs = call
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"({', '.join(parts)})"


def first_error(resolved: list[Resolved]) -> str | None:
    return next((r.error for r in resolved if r.error), None)
