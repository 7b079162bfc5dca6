"""``ModelRef``: which network a run trains — a spec, a builder preset or a zoo entry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

KINDS = ("spec", "preset", "zoo")


@dataclass(frozen=True)
class ModelRef:
    """A reference to a network, as plain data (JSON, checkpoints).

    Attributes:
        kind: ``"spec"`` (a ``NetworkSpec`` given inline as its dict), ``"preset"`` (a
            builder preset by name) or ``"zoo"`` (a named entry of ``engine.models.zoo``
            such as torchvision's ``resnet18``).
        name: the preset or zoo name (for ``"spec"``: the spec's name, informative).
        spec: ``NetworkSpec.to_dict()`` for ``kind == "spec"``.
        options: zoo options, e.g. ``{"num_classes": 10}`` (None values: from the data).
        weights: None = the architecture's own initialisation; ``"pretrained"`` =
            torchvision's weights from its cache (downloaded only when the run allows
            downloads; offline without them the run says it uses random init); or a path
            to a ``.pth`` state dict the user picked.
    """

    kind: str
    name: str = ""
    spec: dict[str, Any] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    weights: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", dict(self.options))

    @classmethod
    def from_spec(cls, spec: Any) -> ModelRef:
        """From a ``NetworkSpec`` (stored inline, so the run needs no file)."""
        return cls("spec", spec.name, spec.to_dict())

    @classmethod
    def preset(cls, name: str) -> ModelRef:
        return cls("preset", name)

    @classmethod
    def zoo(cls, name: str, *, weights: str | None = None, **options: Any) -> ModelRef:
        return cls("zoo", name, options=options, weights=weights)

    def describe(self) -> str:
        extra = f", weights {self.weights}" if self.weights else ""
        return f"{self.kind} {self.name}{extra}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "spec": self.spec,
                "options": dict(self.options), "weights": self.weights}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, where: str = "model") -> ModelRef:
        """Read ``to_dict()`` output; ``ValueError`` naming the bad key (``where.key``)."""
        if not isinstance(d, Mapping):
            raise ValueError(f"{where} must be an object like {{\"kind\": \"preset\", "
                             f"\"name\": \"lenet\"}}, not {type(d).__name__}")
        unknown = set(d) - {"kind", "name", "spec", "options", "weights"}
        if unknown:
            raise ValueError(f"{where}: unknown key {sorted(unknown)[0]!r}; use kind, name, "
                             f"spec, options, weights")
        kind = d.get("kind")
        if kind not in KINDS:
            raise ValueError(f"{where}.kind={kind!r} must be one of {', '.join(KINDS)}")
        for key, want in (("name", str), ("options", Mapping)):
            if key in d and not isinstance(d[key], want):
                raise ValueError(f"{where}.{key}={d[key]!r} has the wrong type")
        if d.get("weights") is not None and not isinstance(d["weights"], str):
            raise ValueError(f"{where}.weights must be null, \"pretrained\" or a file path")
        if kind == "spec" and not isinstance(d.get("spec"), Mapping):
            raise ValueError(f"{where}.spec must be a network spec object for kind 'spec'")
        if kind != "spec" and not d.get("name"):
            raise ValueError(f"{where}.name is needed for kind {kind!r}")
        return cls(kind, str(d.get("name", "")), dict(d["spec"]) if d.get("spec") else None,
                   dict(d.get("options") or {}), d.get("weights"))
