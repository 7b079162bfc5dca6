"""Pipeline specs: a frozen, JSON-serialisable, ordered list of augmentation steps.

A step is ``{"type": "RandomResizedCrop", "params": {...}, "enabled": true}``; its params
are checked against the catalogue when the step is made, so every ``AugmentStep`` is valid
and canonical (defaults filled). Every edit returns a new spec (``insert``, ``remove``,
``move``, ``replace_step``), so a GUI implements undo by keeping old specs.

>>> spec = PipelineSpec((step("RandomHorizontalFlip"), step("ColorJitter", hue=0.1)))
>>> PipelineSpec.from_json(spec.to_json()) == spec
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from engine.augment.catalog import step_type, validate_step_params
from engine.builder.spec import Params

FORMAT = "dl-playground.augment"
VERSION = 1
MAX_STEPS = 100  # a file with more is refused: a real pipeline has a handful


@dataclass(frozen=True)
class AugmentStep:
    """One step: a catalogue type, its canonical params, and whether it runs."""

    type: str
    params: Params = field(default_factory=Params)
    enabled: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", Params(validate_step_params(self.type, self.params)))
        if not isinstance(self.enabled, bool):
            raise ValueError(f"{self.type}.enabled={self.enabled!r} must be true or false")

    @property
    def is_batch(self) -> bool:
        return step_type(self.type).batch

    def with_params(self, **changes: Any) -> AugmentStep:
        return replace(self, params=Params({**self.params, **changes}))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "params": {k: list(v) if isinstance(v, tuple) else v
                                              for k, v in self.params.items()},
                "enabled": self.enabled}


def step(type: str, *, enabled: bool = True, **params: Any) -> AugmentStep:
    """``step("ColorJitter", hue=0.1)``: a validated step with defaults filled."""
    return AugmentStep(type, Params(params), enabled)


@dataclass(frozen=True)
class PipelineSpec:
    """An ordered pipeline; ``name`` labels it (e.g. a preset's name)."""

    steps: tuple[AugmentStep, ...] = ()
    name: str = "custom"

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))
        if len(self.steps) > MAX_STEPS:
            raise ValueError(f"a pipeline holds at most {MAX_STEPS} steps, not "
                             f"{len(self.steps)}")

    # ------------------------------------------------------------------ views
    def enabled_steps(self) -> list[tuple[int, AugmentStep]]:
        """(index, step) of the enabled per-example steps, in order."""
        return [(i, s) for i, s in enumerate(self.steps) if s.enabled and not s.is_batch]

    def batch_steps(self) -> list[tuple[int, AugmentStep]]:
        return [(i, s) for i, s in enumerate(self.steps) if s.enabled and s.is_batch]

    # ------------------------------------------------------------------ edits
    def insert(self, index: int, new: AugmentStep) -> PipelineSpec:
        steps = list(self.steps)
        steps.insert(index, new)
        return replace(self, steps=tuple(steps))

    def append(self, new: AugmentStep) -> PipelineSpec:
        return self.insert(len(self.steps), new)

    def remove(self, index: int) -> PipelineSpec:
        self._index(index)
        return replace(self, steps=self.steps[:index] + self.steps[index + 1:])

    def move(self, index: int, to: int) -> PipelineSpec:
        self._index(index)
        steps = list(self.steps)
        moved = steps.pop(index)
        steps.insert(max(0, min(to, len(steps))), moved)
        return replace(self, steps=tuple(steps))

    def replace_step(self, index: int, new: AugmentStep) -> PipelineSpec:
        self._index(index)
        return replace(self, steps=self.steps[:index] + (new,) + self.steps[index + 1:])

    def _index(self, index: int) -> None:
        if not 0 <= index < len(self.steps):
            raise ValueError(f"no step {index}; the pipeline has {len(self.steps)}")

    # ------------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "name": self.name,
                "steps": [s.to_dict() for s in self.steps]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: Any) -> PipelineSpec:
        """Read ``to_dict()`` output (or a bare list of steps).

        Raises:
            ValueError: naming the step (number and type) and the field that is wrong.
        """
        if isinstance(data, list):
            data = {"steps": data}
        if not isinstance(data, Mapping):
            raise ValueError("an augmentation pipeline must be a JSON object with 'steps'")
        if data.get("format", FORMAT) != FORMAT:
            raise ValueError(f"not an augmentation pipeline (format {data.get('format')!r}, "
                             f"expected {FORMAT!r})")
        if data.get("version", VERSION) != VERSION:
            raise ValueError(f"pipeline version {data.get('version')!r} is not supported "
                             f"(this app reads version {VERSION})")
        steps = data.get("steps", [])
        if not isinstance(steps, list):
            raise ValueError("'steps' must be a list of {\"type\": ..., \"params\": {...}}")
        if len(steps) > MAX_STEPS:
            raise ValueError(f"a pipeline holds at most {MAX_STEPS} steps, not {len(steps)}")
        return cls(tuple(_step_from_dict(i, s) for i, s in enumerate(steps)),
                   str(data.get("name", "custom")))

    @classmethod
    def from_json(cls, text: str) -> PipelineSpec:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(f"not valid JSON: {exc}") from None
        return cls.from_dict(data)


def _step_from_dict(i: int, data: Any) -> AugmentStep:
    where = f"step {i + 1}"
    if not isinstance(data, Mapping) or "type" not in data:
        raise ValueError(f"{where} must be an object like {{\"type\": \"RandomHorizontalFlip\","
                         f" \"params\": {{\"p\": 0.5}}}}")
    unknown = sorted(set(data) - {"type", "params", "enabled"})
    if unknown:
        raise ValueError(f"{where} ({data['type']}): unknown key {unknown[0]!r}; use type, "
                         f"params, enabled")
    try:
        return AugmentStep(data["type"], data.get("params") or {}, data.get("enabled", True))
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def as_spec(spec: PipelineSpec | Mapping[str, Any] | Iterable[Any]) -> PipelineSpec:
    """A ``PipelineSpec`` from a spec, its dict or a list of step dicts / steps."""
    if isinstance(spec, PipelineSpec):
        return spec
    if isinstance(spec, Mapping):
        return PipelineSpec.from_dict(spec)
    items = list(spec)
    if all(isinstance(s, AugmentStep) for s in items):
        return PipelineSpec(tuple(items))
    return PipelineSpec.from_dict([s.to_dict() if isinstance(s, AugmentStep) else s
                                   for s in items])
