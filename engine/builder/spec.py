"""Network specs: a plain, JSON-serialisable, immutable description of a network.

A spec is an ordered list of entries, each ``{"type": ..., "params": {...}}`` with the
optional keys ``"name"`` (a label, also the target of ``shared_with``), ``"frozen"``
(parameters get ``requires_grad=False``) and ``"shared_with"`` (reuse the module, and so
the parameters, of an earlier entry - d2l 5.2.3 "tied parameters").

Specs are frozen dataclasses: every edit returns a new spec (``insert_layer``,
``replace_layer``, ``remove_layer``, ``move_layer``, ``dataclasses.replace``), so a GUI
implements undo/redo by keeping old specs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from engine.builder.catalog import is_finite, validate_params

FORMAT = "dl-playground.network"
VERSION = 1
# Limits of a spec (a file past them is refused with a message, never half-loaded):
MAX_LAYERS = 1000  # entries; the largest preset has ~30, a 20,000-entry file froze the UI
MAX_JSON_DEPTH = 16  # nesting of objects/lists; a spec needs 5 (spec, layers, entry, params, tuple)
MAX_DIM = 1_000_000  # each input dimension, batch included
MAX_TRAIN_INT = 1_000_000  # train_defaults batch_size and num_epochs
INIT_SCHEMES = ("default", "normal", "normal-1", "xavier", "kaiming")
DATASETS = (
    "synthetic-linear",
    "spiral",
    "circles",
    "xor",
    "blobs",
    "procedural-shapes",
    "fashion-mnist",
    "mnist",
    "cifar10",
    "image-folder",
)
LOSSES = ("cross-entropy", "mse")
DEFAULT_TRAIN = {
    "lr": 0.1,
    "batch_size": 256,
    "num_epochs": 10,
    "dataset": "procedural-shapes",
    "resize": None,
    "loss": "cross-entropy",
}


class Params(dict):
    """A read-only dict: JSON-serialisable as is, hashable, copyable, picklable."""

    def _readonly(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("spec params are read-only; use spec.replace_layer(...) to edit")

    __setitem__ = __delitem__ = _readonly  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]
    __ior__ = _readonly  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted((k, _hashable(v)) for k, v in self.items())))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Params, (dict(self),))

    def __copy__(self) -> Params:
        return self

    def __deepcopy__(self, memo: dict) -> Params:
        return self


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class LayerSpec:
    """One entry of a network: a layer or a block.

    Attributes:
        type: a catalog type name, e.g. ``"Conv2d"`` or ``"Residual"``.
        params: validated constructor parameters with every default filled in; inferable
            sizes are ``"auto"``; int-tuples are tuples.
        name: optional label; must be unique in the spec.
        frozen: parameters are created with ``requires_grad=False``.
        shared_with: name of an earlier entry whose module (and parameters) is reused.
    """

    type: str
    params: Params = field(default_factory=Params)
    name: str | None = None
    frozen: bool = False
    shared_with: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", Params(validate_params(self.type, self.params)))
        for key, value in (("name", self.name), ("shared_with", self.shared_with)):
            if value is not None and (not isinstance(value, str) or not value):
                raise ValueError(f"{self.type}: {key}={value!r} must be a non-empty string")
        if not isinstance(self.frozen, bool):
            raise ValueError(f"{self.type}: frozen={self.frozen!r} must be true or false")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict; optional keys only when set. Tuples become lists."""
        out: dict[str, Any] = {"type": self.type, "params": jsonable(dict(self.params))}
        if self.name is not None:
            out["name"] = self.name
        if self.frozen:
            out["frozen"] = True
        if self.shared_with is not None:
            out["shared_with"] = self.shared_with
        return out

    @classmethod
    def from_dict(cls, d: Any, *, where: str = "layer") -> LayerSpec:
        if not isinstance(d, Mapping):
            raise ValueError(f"{where}: expected an object {{'type': ..., 'params': {{...}}}}, "
                             f"got {type(d).__name__}")
        unknown = set(d) - {"type", "params", "name", "frozen", "shared_with"}
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: type, params, "
                             "name, frozen, shared_with")
        if "type" not in d:
            raise ValueError(f"{where}: missing 'type' (e.g. 'Conv2d')")
        params = d.get("params", {})
        if not isinstance(params, Mapping):
            raise ValueError(f"{where}: 'params' must be an object, got {type(params).__name__}")
        try:
            return cls(d["type"], Params(params), d.get("name"), d.get("frozen", False),
                       d.get("shared_with"))
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None


def layer(type: str, *, name: str | None = None, frozen: bool = False,
          shared_with: str | None = None, **params: Any) -> LayerSpec:
    """Shorthand: ``layer("Conv2d", out_channels=6, kernel_size=5, padding=2)``."""
    return LayerSpec(type, Params(params), name, frozen, shared_with)


@dataclass(frozen=True)
class NetworkSpec:
    """An ordered list of layers/blocks plus what is needed to build and train it.

    Attributes:
        name: display name (a preset name or the user's).
        input_shape: default input including the batch dim, e.g. ``(1, 1, 28, 28)``.
        layers: the entries, in order.
        init: ``"default"`` (PyTorch's), ``"normal"`` (weights N(0, 0.01^2)),
            ``"xavier"`` (Xavier uniform) or ``"kaiming"`` (Kaiming normal, fan-in, ReLU);
            the non-default schemes zero the biases of Linear/Conv layers.
        train_defaults: ``lr``, ``batch_size``, ``num_epochs``, ``dataset``, ``resize``
            (None or int), ``loss`` (``"cross-entropy"`` / ``"mse"``); extra keys are kept.
        description: one line shown next to the preset.
    """

    name: str
    input_shape: tuple[int, ...]
    layers: tuple[LayerSpec, ...] = ()
    init: str = "default"
    train_defaults: Params = field(default_factory=Params)
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise ValueError(f"name={self.name!r} must be a string")
        if not isinstance(self.description, str):
            raise ValueError(f"description={self.description!r} must be a string")
        object.__setattr__(self, "input_shape", check_shape(self.input_shape))
        layers = tuple(self.layers)
        if len(layers) > MAX_LAYERS:
            raise ValueError(f"the network has {len(layers):,} entries; at most {MAX_LAYERS:,} "
                             "are supported (use blocks such as VGGBlock or DenseBlock for "
                             "repeated layers)")
        for i, entry in enumerate(layers):
            if not isinstance(entry, LayerSpec):
                raise ValueError(f"layer {i}: expected a LayerSpec, got {type(entry).__name__}")
        object.__setattr__(self, "layers", layers)
        if self.init not in INIT_SCHEMES:
            raise ValueError(f"init={self.init!r} is not a scheme; use one of {INIT_SCHEMES}")
        object.__setattr__(self, "train_defaults", _check_train(self.train_defaults))
        _check_names(layers)

    # --- edits (each returns a new spec) -------------------------------------------
    def replace_layer(self, index: int, entry: LayerSpec) -> NetworkSpec:
        layers = list(self.layers)
        layers[_index(index, len(layers))] = entry
        return replace(self, layers=tuple(layers))

    def insert_layer(self, index: int, entry: LayerSpec) -> NetworkSpec:
        layers = list(self.layers)
        layers.insert(index, entry)
        return replace(self, layers=tuple(layers))

    def remove_layer(self, index: int) -> NetworkSpec:
        layers = list(self.layers)
        del layers[_index(index, len(layers))]
        return replace(self, layers=tuple(layers))

    def move_layer(self, src: int, dst: int) -> NetworkSpec:
        layers = list(self.layers)
        entry = layers.pop(_index(src, len(layers)))
        layers.insert(dst, entry)
        return replace(self, layers=tuple(layers))

    def with_params(self, index: int, **params: Any) -> NetworkSpec:
        """Copy with some parameters of entry ``index`` changed (validated)."""
        old = self.layers[_index(index, len(self.layers))]
        return self.replace_layer(index, replace(old, params=Params({**old.params, **params})))

    # --- serialisation ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "description": self.description,
            "input_shape": list(self.input_shape),
            "init": self.init,
            "train_defaults": jsonable(dict(self.train_defaults)),
            "layers": [entry.to_dict() for entry in self.layers],
        }

    @classmethod
    def from_dict(cls, d: Any) -> NetworkSpec:
        """Inverse of ``to_dict``. Any problem raises ValueError naming the bad field."""
        depth = json_depth(d)
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"the spec is nested {depth} levels deep; a network spec nests "
                             f"at most {MAX_JSON_DEPTH}")
        try:
            return cls._from_dict(d)
        except (TypeError, OverflowError, RecursionError) as exc:  # a value no check foresaw
            raise ValueError(f"not a valid network spec: {type(exc).__name__}: {exc}") from None

    @classmethod
    def _from_dict(cls, d: Any) -> NetworkSpec:
        if not isinstance(d, Mapping):
            raise ValueError(f"a network spec must be a JSON object, got {type(d).__name__}")
        allowed = {"format", "version", "name", "description", "input_shape", "init",
                   "train_defaults", "layers"}
        unknown = set(d) - allowed
        if unknown:
            raise ValueError(f"unknown key(s) {sorted(unknown)} in network spec; "
                             f"allowed: {sorted(allowed)}")
        if d.get("format", FORMAT) != FORMAT:
            raise ValueError(f"format={d.get('format')!r}: not a network spec "
                             f"(expected {FORMAT!r})")
        if d.get("version", VERSION) != VERSION:
            raise ValueError(f"version={d.get('version')!r} is not supported (expected {VERSION})")
        for key in ("input_shape", "layers"):
            if key not in d:
                raise ValueError(f"network spec is missing {key!r}")
        layers = d["layers"]
        if not isinstance(layers, Sequence) or isinstance(layers, str):
            raise ValueError("'layers' must be a list of {'type': ..., 'params': {...}} objects")
        if len(layers) > MAX_LAYERS:  # before parsing thousands of entries
            raise ValueError(f"'layers' has {len(layers):,} entries; at most {MAX_LAYERS:,} "
                             "are supported")
        train = d.get("train_defaults", {})
        if not isinstance(train, Mapping):
            raise ValueError("'train_defaults' must be an object")
        return cls(
            name=d.get("name", "custom"),
            input_shape=d["input_shape"],
            layers=tuple(LayerSpec.from_dict(e, where=f"layer {i}") for i, e in enumerate(layers)),
            init=d.get("init", "default"),
            train_defaults=Params(train),
            description=d.get("description", ""),
        )

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> NetworkSpec:
        """Parse JSON text. Every problem of the text (bad JSON, nesting deeper than
        ``MAX_JSON_DEPTH``, more than ``MAX_LAYERS`` entries, a bad field, a number too
        large) raises ValueError with the reason."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"not valid JSON: {exc}") from None
        except RecursionError:
            raise ValueError(f"the JSON is nested too deeply; a network spec nests at most "
                             f"{MAX_JSON_DEPTH} levels") from None
        return cls.from_dict(data)


def json_depth(value: Any) -> int:
    """Nesting depth of parsed JSON (a scalar is 0, ``[]`` is 1), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            item = list(item.values())
        if isinstance(item, (list, tuple)):
            depth += 1
            deepest = max(deepest, depth)
            stack.extend((v, depth) for v in item if isinstance(v, (Mapping, list, tuple)))
    return deepest


def check_shape(shape: Any) -> tuple[int, ...]:
    """Validate an input shape including the batch dim, e.g. ``(1, 1, 28, 28)``."""
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Iterable):
        raise ValueError(f"input_shape={shape!r} must be a list of ints like [1, 1, 28, 28]")
    dims = tuple(shape)
    if not 2 <= len(dims) <= 5 or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in dims
    ):
        raise ValueError(f"input_shape={list(dims)} must be 2 to 5 positive ints including the "
                         "batch dim, e.g. [1, 784] or [1, 1, 28, 28]")
    if max(dims) > MAX_DIM:
        raise ValueError(f"input_shape={list(dims)}: each dimension must be at most "
                         f"{MAX_DIM:,}")
    return dims


def parse_shape(text: str) -> tuple[int, ...]:
    """``"1,1,28,28"`` / ``"(1, 1, 28, 28)"`` / ``"1×1×28×28"`` -> a checked shape."""
    cleaned = text.strip().strip("()[]").replace("×", ",").replace("x", ",")
    parts = [p for p in cleaned.replace(" ", ",").split(",") if p]
    try:
        dims = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"input shape {text!r}: use integers separated by commas, e.g. "
                         "1,1,28,28 (batch, channels, height, width)") from None
    return check_shape(dims)


def _check_train(train: Mapping[str, Any]) -> Params:
    out = {**DEFAULT_TRAIN, **train}
    lr, bs, ne = out["lr"], out["batch_size"], out["num_epochs"]
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not (
        is_finite(lr) and lr > 0
    ):
        raise ValueError(f"train_defaults lr={lr!r} must be a positive number, e.g. 0.1")
    for key, value in (("batch_size", bs), ("num_epochs", ne)):
        if isinstance(value, bool) or not isinstance(value, int) or not (
            1 <= value <= MAX_TRAIN_INT
        ):
            raise ValueError(f"train_defaults {key}={value!r} must be an int from 1 to "
                             f"{MAX_TRAIN_INT:,}")
    if out["dataset"] not in DATASETS:
        raise ValueError(f"train_defaults dataset={out['dataset']!r} is unknown; use one of "
                         f"{DATASETS}")
    resize = out["resize"]
    if resize is not None and (isinstance(resize, bool) or not isinstance(resize, int)
                               or not 1 <= resize <= MAX_DIM):
        raise ValueError(f"train_defaults resize={resize!r} must be null or an int from 1 to "
                         f"{MAX_DIM:,}")
    if out["loss"] not in LOSSES:
        raise ValueError(f"train_defaults loss={out['loss']!r} is unknown; use one of {LOSSES}")
    out["lr"] = float(lr)
    return Params(out)


def _check_names(layers: tuple[LayerSpec, ...]) -> None:
    seen: set[str] = set()
    for i, entry in enumerate(layers):
        if entry.shared_with is not None and entry.shared_with not in seen:
            raise ValueError(f"layer {i} ({entry.type}): shared_with={entry.shared_with!r} "
                             "must name an earlier layer; give that layer a 'name'")
        if entry.name is not None:
            if entry.name in seen:
                raise ValueError(f"layer {i}: name {entry.name!r} is used twice; names must be "
                                 "unique")
            seen.add(entry.name)


def _index(index: int, n: int) -> int:
    if not -n <= index < n:
        raise ValueError(f"layer index {index} is out of range for {n} layers")
    return index % n


def jsonable(value: Any) -> Any:
    """Tuples to lists, recursively: the JSON form of parameter values."""
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value
