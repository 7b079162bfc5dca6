"""One run config: every name a training run needs, written down once.

``RunConfig`` is a frozen, JSON-serialisable record of a run — the model reference,
the dataset with its options and transforms, the task, every hyper-parameter, the seed,
the device and the hooks wanted. Each field carries its help text, kind, choices and
range as ``dataclasses.field`` metadata; the CLI flags (``engine.training.cli``), the
Train tab's form and the checkpoints are derived from these fields, so a
hyper-parameter's name appears here and nowhere else.

>>> cfg = RunConfig(model=ModelRef.preset("lenet"), dataset="procedural-shapes", lr=0.9)
>>> RunConfig.from_json(cfg.to_json()) == cfg
True
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.models.ref import ModelRef
from engine.training.setup import INITS, LOSSES, OPTIMIZERS, SCHEDULES

FORMAT = "dl-playground-run-config"
VERSION = 1
DEVICES = "auto, cpu, cuda, cuda:N or mps"
AMP_MODES = ("off", "bf16", "auto")


def _field(default: Any, help: str, *, kind: type | str, group: str = "run",
           choices: tuple[str, ...] | None = None, lo: float | None = None,
           hi: float | None = None, optional: bool = False, flags: tuple[str, ...] = (),
           label: str = "", factory: Any = None) -> Any:
    """A config field with the metadata everything else derives from.

    ``kind``: int, float, bool, str, or ``"strings"`` / ``"dicts"`` (tuples of those),
    ``"dict"``, ``"model"``. ``optional``: None allowed (means "the default / off").
    ``flags``: the CLI's spellings (first is the main one; default ``--name-with-dashes``).
    ``group``: ``"model"``, ``"data"``, ``"hparams"`` (the Train tab's form) or ``"run"``.
    """
    meta = {"help": help, "kind": kind, "group": group, "choices": choices, "min": lo,
            "max": hi, "optional": optional, "flags": flags, "label": label}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class RunConfig:
    """A training run, complete: what ``run(config)`` trains and an experiment file holds.

    ``batch_size`` is the **global** batch: under ``torchrun`` each of N processes takes
    ``batch_size / N``, so results compare with one process.
    """

    # -- what to train, on what -------------------------------------------------------------
    model: ModelRef | None = _field(
        None, "the network: a NetworkSpec, a builder preset or a zoo entry (see "
              "engine.models)", kind="model", group="model", optional=True)
    dataset: str | None = _field(
        None, "dataset name (python -m engine datasets); default: the preset's",
        kind=str, group="data", optional=True)
    data_root: str | None = _field(
        None, "data folder (default: the user data dir); for image-folder the folder of "
              "class sub-folders", kind=str, group="data", optional=True)
    download: bool = _field(False, "allow downloading missing dataset files", kind=bool,
                            group="data")
    resize: int | None = _field(None, "resize images to this side; default: the preset's",
                                kind=int, group="data", optional=True, lo=1, hi=4096)
    n_train: int | None = _field(None, "use N training examples (default: all / the set's)",
                                 kind=int, group="data", optional=True, lo=1,
                                 flags=("--limit-train", "--n-train"))
    n_test: int | None = _field(None, "use N test examples", kind=int, group="data",
                                optional=True, lo=1, flags=("--limit-test", "--n-test"))
    dataset_options: dict[str, Any] = _field(
        None, "per-dataset options, e.g. {\"noise\": 0.2}", kind="dict", group="data",
        factory=dict)
    transforms: tuple[dict[str, Any], ...] = _field(
        (), "random training transforms, drawn per example, e.g. [{\"name\": \"hflip\", "
            "\"p\": 0.5}] (engine.data.transforms)", kind="dicts", group="data")
    task: str | None = _field(
        None, "classification, regression, segmentation or detection; default: the "
              "dataset's", kind=str, group="data", optional=True,
        choices=("classification", "regression", "segmentation", "detection"))
    # -- hyper-parameters (the Train tab's form) -----------------------------------------------
    lr: float = _field(0.1, "Learning rate η: the step size of each update (the book: 0.1 "
                            "for softmax regression, 0.9 for LeNet, 0.03 for linear "
                            "regression)", kind=float, group="hparams", lo=1e-6, hi=1e4,
                       label="Learning rate")
    batch_size: int = _field(256, "Examples per minibatch (global: split over torchrun's "
                                  "processes)", kind=int, group="hparams", lo=1, hi=65536,
                             label="Batch size")
    num_epochs: int = _field(10, "Passes over the training data", kind=int, group="hparams",
                             lo=1, hi=10000, flags=("--epochs", "--num-epochs"),
                             label="Epochs")
    optimizer: str = _field("sgd", "SGD (the book's default), SGD with momentum, Adam or "
                                   "AdamW", kind=str, group="hparams", choices=OPTIMIZERS,
                            label="Optimiser")
    momentum: float = _field(0.9, "Momentum β for 'SGD + momentum' (ignored by the others)",
                             kind=float, group="hparams", lo=0.0, hi=0.999, label="Momentum")
    weight_decay: float = _field(0.0, "L2 penalty λ on the weights (decoupled for AdamW); "
                                      "0 = none", kind=float, group="hparams", lo=0.0,
                                 hi=10.0, label="Weight decay")
    loss: str | None = _field(
        None, "Cross-entropy for classes; MSE / L1 / Huber for regression (on a "
              "classification set they compare with one-hot labels); default: the task's",
        kind=str, group="hparams", choices=LOSSES, optional=True, label="Loss")
    schedule: str = _field("none", "Learning-rate schedule, stepped once per epoch: none, "
                                   "step (×gamma every step_size epochs, default a third of "
                                   "the run) or cosine (to 0 at the end)", kind=str,
                           group="hparams", choices=SCHEDULES, label="LR schedule")
    step_size: int | None = _field(None, "epochs between steps of the 'step' schedule",
                                   kind=int, optional=True, lo=1)
    gamma: float = _field(0.1, "factor of the 'step' schedule", kind=float, lo=0.0, hi=1.0)
    init: str | None = _field(
        None, "Re-initialise weights before training; none keeps the network's own "
              "scheme (e.g. Xavier for LeNet)", kind=str, group="hparams", choices=INITS,
        optional=True, label="Init")
    seed: int = _field(0, "Seeds the initial weights, the data subset and the shuffle order",
                       kind=int, group="hparams", lo=0, hi=2**31 - 1, label="Seed")
    grad_clip: float | None = _field(
        None, "Clip the global gradient norm to this value; off = no clipping", kind=float,
        group="hparams", optional=True, lo=0.0, hi=1e6, label="Gradient clip")
    param_groups: tuple[dict[str, Any], ...] = _field(
        (), "optimiser parameter groups: [{\"prefix\": \"fc.\", \"lr_mult\": 10}] gives "
            "parameters whose name starts with the prefix lr × lr_mult (a fine-tuning head)",
        kind="dicts")
    # -- how to run -------------------------------------------------------------------------
    device: str = _field("auto", f"where to train: {DEVICES}", kind=str)
    amp: str = _field(
        "off", "mixed precision: 'bf16' runs the network's forward pass in bfloat16 "
               "(torch.autocast; loss, gradients and weights stay float32) — about 2x "
               "faster where the hardware has bfloat16 maths (AVX-512 BF16 / AMX CPUs, "
               "Ampere+ GPUs), slower elsewhere; 'auto' = bf16 only there", kind=str,
        group="hparams", choices=AMP_MODES, label="Mixed precision")
    channels_last: bool = _field(
        False, "on a CPU, keep image batches and the network channels-last (oneDNN's "
               "faster layout for some CNNs: TinySSD trains about 1.5x faster; ResNets "
               "with batch norm run slower)", kind=bool)
    progress_every: int | None = _field(None, "progress events every N batches (default a "
                                              "fifth of an epoch)", kind=int, optional=True,
                                        lo=1)
    progress_seconds: float | None = _field(None, "also a progress event after this many "
                                                  "seconds", kind=float, optional=True, lo=0.0)
    hooks: tuple[str, ...] = _field((), "hooks to attach by name (engine.training.experiment"
                                        ".HOOKS), e.g. decision-map", kind="strings")
    resume: str | None = _field(None, "continue from this checkpoint (weights, optimiser, "
                                      "schedule, epoch)", kind=str, optional=True,
                                flags=("--resume",))

    def __post_init__(self) -> None:
        # JSON gives lists; keep the frozen record hashable-ish and comparable.
        object.__setattr__(self, "transforms", tuple(dict(t) for t in self.transforms))
        object.__setattr__(self, "param_groups", tuple(dict(g) for g in self.param_groups))
        object.__setattr__(self, "hooks", tuple(self.hooks))
        object.__setattr__(self, "dataset_options", dict(self.dataset_options))
        if isinstance(self.model, Mapping):
            object.__setattr__(self, "model", ModelRef.from_dict(self.model, where="model"))

    # -- validation ---------------------------------------------------------------------------
    def validate(self) -> RunConfig:
        """Check every field; ``ValueError`` naming the first bad one. Returns self."""
        for f in dataclasses.fields(self):
            _check_field(f, getattr(self, f.name))
        for i, group in enumerate(self.param_groups):
            where = f"param_groups[{i}]"
            unknown = set(group) - {"prefix", "lr_mult", "weight_decay"}
            if unknown:
                raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                                 f"use prefix, lr_mult, weight_decay")
            if not isinstance(group.get("prefix"), str) or not group["prefix"]:
                raise ValueError(f"{where}.prefix must be a parameter-name prefix, e.g. 'fc.'")
            mult = group.get("lr_mult", 1.0)
            if not _number(mult) or not mult > 0:
                raise ValueError(f"{where}.lr_mult={mult!r} must be a positive number")
        for i, t in enumerate(self.transforms):
            if not isinstance(t.get("name"), str):
                raise ValueError(f"transforms[{i}] must be an object with a 'name', e.g. "
                                 f"{{\"name\": \"hflip\", \"p\": 0.5}}")
        return self

    # -- JSON -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"format": FORMAT, "version": VERSION}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "model":
                value = value.to_dict() if value is not None else None
            elif isinstance(value, tuple):
                value = [dict(v) if isinstance(v, Mapping) else v for v in value]
            elif isinstance(value, dict):
                value = dict(value)
            d[f.name] = value
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RunConfig:
        """Read ``to_dict()`` output; ``ValueError`` naming an unknown or bad field."""
        if not isinstance(d, Mapping):
            raise ValueError(f"a run config must be a JSON object, not {type(d).__name__}")
        d = dict(d)
        if d.pop("format", FORMAT) != FORMAT:
            raise ValueError(f"not a run config (format must be {FORMAT!r})")
        version = d.pop("version", VERSION)
        if version != VERSION:
            raise ValueError(f"run config version {version!r}; this app reads {VERSION}")
        names = {f.name: f for f in dataclasses.fields(cls)}
        unknown = [k for k in d if k not in names]
        if unknown:
            close = [n for n in names if n.startswith(unknown[0][:3])]
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown field {unknown[0]!r} in the run config{hint}; known "
                             f"fields: {', '.join(names)}")
        for key, value in d.items():
            _check_field(names[key], value)
        return cls(**d).validate()

    @classmethod
    def from_json(cls, text: str) -> RunConfig:
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the run config is not valid JSON: {exc}") from exc
        return cls.from_dict(d)

    def replace(self, **changes: Any) -> RunConfig:
        return dataclasses.replace(self, **changes)


def config_fields(group: str | None = None) -> Iterator[dataclasses.Field]:
    """``RunConfig``'s fields (of one ``group``: model, data, hparams, run)."""
    for f in dataclasses.fields(RunConfig):
        if group is None or f.metadata["group"] == group:
            yield f


def config_field(name: str) -> dataclasses.Field:
    for f in dataclasses.fields(RunConfig):
        if f.name == name:
            return f
    raise ValueError(f"RunConfig has no field {name!r}")


def hparam_names() -> tuple[str, ...]:
    """The hyper-parameters the Train tab's form edits, in order."""
    return tuple(f.name for f in config_fields("hparams"))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(
        value)


def _check_field(f: dataclasses.Field, value: Any) -> None:
    m, name = f.metadata, f.name
    if value is None:
        if m["optional"]:
            return
        raise ValueError(f"{name} must not be null; {m['help']}")
    kind = m["kind"]
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = _number(value)
    elif kind is str:
        ok = isinstance(value, str)
    elif kind == "strings":
        ok = isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
    elif kind == "dicts":
        ok = isinstance(value, (list, tuple)) and all(isinstance(v, Mapping) for v in value)
    elif kind == "dict":
        ok = isinstance(value, Mapping)
    else:  # model
        ok = isinstance(value, (ModelRef, Mapping))
    if not ok:
        want = {int: "an integer", float: "a number", bool: "true or false", str: "a string",
                "strings": "a list of strings", "dicts": "a list of objects",
                "dict": "an object", "model": "a model reference object"}[kind]
        raise ValueError(f"{name}={value!r} has the wrong type: it must be {want} "
                         f"({m['help']})")
    if m["choices"] is not None and value not in m["choices"]:
        raise ValueError(f"{name}={value!r} is not supported; choose one of "
                         f"{', '.join(m['choices'])}")
    if m["min"] is not None and value < m["min"]:
        raise ValueError(f"{name}={value!r} must be >= {m['min']:g}")
    if m["max"] is not None and value > m["max"]:
        raise ValueError(f"{name}={value!r} must be <= {m['max']:g}")
    if name == "lr" and not value > 0:
        raise ValueError(f"lr={value!r} must be a positive number")
    if name == "grad_clip" and not value > 0:
        raise ValueError(f"grad_clip={value!r} must be a positive number (or null for off)")
    if kind == "model" and isinstance(value, Mapping):
        ModelRef.from_dict(value, where=name)
