"""The network a view looks inside, with what it needs to know about its data.

A ``Subject`` is a built network plus its input shape, class names, dataset and input
normalisation, made from a ``ModelRef`` (an untrained preset, a spec sent from the
builder, a zoo entry), from a checkpoint file saved by this app, or from a finished run
(``RunModel``). ``load_samples`` reads a few test examples of its dataset for the
input picker and the evaluation views.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from engine.models.ref import ModelRef


@dataclass(frozen=True, eq=False)
class Subject:
    """A network to look inside.

    Attributes:
        net: the module (on the CPU).
        title: e.g. ``"lenet (untrained)"``, ``"run 3: lenet"``, ``"my.pt"``.
        weights: where the weights came from (``BuiltModel.weights``, "loaded from …").
        input_shape: one example's shape, e.g. ``(1, 28, 28)``.
        class_names: names indexed by class.
        dataset: the dataset name it goes with (its samples feed the views); data_root
            and dataset_options as in a ``RunConfig``.
        mean, std: the input normalisation it was trained with, or None.
    """

    net: nn.Module
    title: str
    weights: str
    input_shape: tuple[int, ...]
    class_names: tuple[str, ...]
    dataset: str | None
    data_root: str | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def _dataset_facts(dataset: str | None) -> tuple[tuple[int, ...] | None, tuple[str, ...]]:
    from engine.data import dataset_info

    if dataset is None:
        return None, ()
    info = dataset_info(dataset)
    return info.input_shape, tuple(info.class_names)


def _normalisation(dataset: str | None) -> tuple[Any, Any]:
    from engine.insight.finetune import DATASET, IMAGENET_MEAN, IMAGENET_STD

    return (IMAGENET_MEAN, IMAGENET_STD) if dataset == DATASET else (None, None)


def subject_from_ref(ref: ModelRef, *, dataset: str | None = None, title: str = "",
                     input_shape: tuple[int, ...] | None = None,
                     class_names: tuple[str, ...] = (), seed: int = 0) -> Subject:
    """Build ``ref`` (seeded random init) for ``dataset`` (default: the preset's own)."""
    from engine.models.zoo import build_model

    if dataset is None and ref.kind in ("spec", "preset"):
        dataset = dict(_spec_of(ref).train_defaults).get("dataset")
    shape, names = _dataset_facts(dataset)
    shape = tuple(input_shape or _spec_input(ref) or shape or ())
    names = tuple(class_names or names)
    torch.manual_seed(seed)
    built = build_model(ref, input_shape=shape or None, num_classes=len(names) or None)
    if not names:
        names = tuple(f"class {i}" for i in range(_outputs(built.net, shape)))
    mean, std = _normalisation(dataset)
    return Subject(built.net.eval(), title or f"{ref.name} (untrained)", built.weights,
                   shape, names, dataset, None, mean, std)


def _spec_of(ref: ModelRef) -> Any:
    from engine.builder import NetworkSpec, preset

    return preset(ref.name) if ref.kind == "preset" else NetworkSpec.from_dict(ref.spec or {})


def _spec_input(ref: ModelRef) -> tuple[int, ...] | None:
    if ref.kind in ("spec", "preset"):
        return tuple(_spec_of(ref).input_shape[1:])
    return None


def _outputs(net: nn.Module, shape: tuple[int, ...]) -> int:
    if not shape:
        return 0
    with torch.no_grad():
        out = net.eval()(torch.zeros(1, *shape))
    return int(out.shape[1]) if isinstance(out, torch.Tensor) and out.dim() == 2 else 0


def subject_from_run(model: Any, *, title: str = "", class_names: tuple[str, ...] = ()
                     ) -> Subject:
    """From a finished run's ``RunModel`` (its network, as trained; shared, not copied)."""
    config = model.config
    dataset = getattr(config, "dataset", None)
    shape = tuple(model.spec.input_shape[1:]) if model.spec is not None else None
    if getattr(config, "resize", None) and shape is not None and len(shape) == 3:
        shape = (shape[0], config.resize, config.resize)
    _, names = _dataset_facts(dataset)
    mean, std = _normalisation(dataset)
    epochs = getattr(model, "epoch", 0) or 0
    weights = (f"trained {epochs} epoch{'s' * (epochs != 1)}, started from "
               f"{model.weights or 'its own init'}")
    return Subject(model.net, title or f"{model.ref.name} (trained)", weights,
                   shape or (), tuple(class_names or names), dataset,
                   getattr(config, "data_root", None), mean, std)


def subject_from_checkpoint(path: str | Path) -> Subject:
    """Rebuild a checkpoint's network and load its weights (``weights_only`` reading).

    Raises:
        ValueError: not a checkpoint of this app, damaged, or weights that do not fit
            the network it names.
    """
    from engine.models.zoo import check_state_dict
    from engine.training.checkpoint import load_checkpoint

    path = Path(path)
    ckpt = load_checkpoint(path)
    if ckpt.model_ref is None:
        raise ValueError(f"{path.name} does not say which network it holds (no model "
                         f"reference); it cannot be rebuilt")
    ref = ModelRef.from_dict(ckpt.model_ref)
    if ref.weights is not None:  # the file's own weights replace pretrained / .pth ones
        ref = ModelRef(ref.kind, ref.name, ref.spec, ref.options, None)
    config = ckpt.config or {}
    dataset = config.get("dataset") or ckpt.extra.get("dataset")
    resize = config.get("resize")
    shape = tuple(ckpt.spec["input_shape"][1:]) if ckpt.spec else None
    if resize and shape and len(shape) == 3:
        shape = (shape[0], resize, resize)
    names = tuple(ckpt.extra.get("class_names") or ())
    subject = subject_from_ref(ref, dataset=dataset if isinstance(dataset, str) else None,
                               title=path.name, input_shape=shape, class_names=names)
    check_state_dict(subject.net, ckpt.model_state, source=f"checkpoint {path.name}")
    subject.net.load_state_dict(ckpt.model_state)
    epochs = f" after {ckpt.epoch} epochs" if ckpt.epoch else ""
    return Subject(subject.net, path.name, f"loaded from {path.name}{epochs}",
                   subject.input_shape, subject.class_names, subject.dataset,
                   config.get("data_root"), subject.mean, subject.std)


@dataclass(frozen=True, eq=False)
class Samples:
    """Test examples of a subject's dataset: ``X (Tensor[N, *shape])``, labels, names,
    and the loader over the whole test split (unshuffled) for evaluation."""

    X: torch.Tensor
    y: torch.Tensor
    class_names: tuple[str, ...]
    test: Any
    source: str


def load_samples(subject: Subject, *, n_test: int = 500, keep: int = 64,
                 batch_size: int = 128) -> Samples:
    """The first ``keep`` of ``n_test`` test examples of ``subject.dataset``.

    Raises:
        ValueError: no dataset known, or one that cannot be loaded (the loader's message).
    """
    from engine.data import load_dataset

    if subject.dataset is None:
        raise ValueError("this network does not say which dataset it goes with; open an "
                         "image instead")
    resize = None
    if len(subject.input_shape) == 3:
        info_shape, _ = _dataset_facts(subject.dataset)
        if info_shape is not None and tuple(info_shape[1:]) != tuple(subject.input_shape[1:]):
            resize = int(subject.input_shape[1])
    bundle = load_dataset(subject.dataset, batch_size=batch_size, root=subject.data_root,
                          resize=resize, n_test=n_test, n_train=min(n_test, 256))
    xs, ys, count = [], [], 0
    for X, y in bundle.test:
        xs.append(X)
        ys.append(y)
        count += len(X)
        if count >= keep:
            break
    return Samples(torch.cat(xs)[:keep], torch.cat(ys)[:keep], tuple(bundle.class_names),
                   bundle.test, bundle.source)
