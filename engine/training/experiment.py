"""``run(config, control)``: a ``RunConfig`` in, training events out — what the Train tab,
the CLI and ``torchrun`` all call.

>>> cfg = RunConfig(model=ModelRef.preset("lenet"), dataset="procedural-shapes",
...                 num_epochs=2, lr=0.9, n_train=2000, n_test=500)
>>> for event in run(cfg):
...     ...  # Prepared, (hook events), BatchProgress / EpochEnd, then Finished / Stopped

``run`` loads the data, builds the model from its ``ModelRef`` (seeded), restores a
checkpoint when ``config.resume`` names one, attaches the hooks named in
``config.hooks`` (``HOOKS``) and the ones passed in, yields ``Prepared`` and then the
events of the one loop (``engine.training.trainer.TrainingRun``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.jobs import JobControl
from engine.training.config import RunConfig
from engine.training.events import History, Prepared
from engine.training.hooks import DecisionMapHook, Hook


@dataclass
class HookContext:
    """What a named hook's factory gets: the run's config, data and network."""

    config: RunConfig
    bundle: Any
    net: Any


def _decision_map(ctx: HookContext) -> Hook | None:
    b = ctx.bundle
    if b.task != "classification" or tuple(b.input_shape) != (2,):
        return None  # decision regions are drawn for 2-D classifiers only
    ds = b.train.dataset
    return DecisionMapHook(ds.X, ds.y, num_classes=b.num_classes, seed=ctx.config.seed)


def _weight_stats(ctx: HookContext) -> Hook:
    from engine.insight.stats import WeightStatsHook

    return WeightStatsHook()


HOOKS: dict[str, Callable[[HookContext], Hook | None]] = {"decision-map": _decision_map,
                                                          "weight-stats": _weight_stats}
"""Hooks a config can ask for by name; a factory may return None where it does not apply."""


class RunModel:
    """The network of a run and what resuming needs, filled in as the run goes.

    Mutable on purpose: the optimiser exists once training started. Read it (e.g. to
    save) only after the run ended.

    Attributes:
        net: the module (unwrapped, on the CPU after the run).
        ref: the ``ModelRef``; spec: the ``NetworkSpec`` built (spec / preset refs).
        config: the ``RunConfig``; optimizer / scheduler / epoch: set by the loop.
        weights: how the weights started (``BuiltModel.weights``).
        history: the run's ``History`` as it grows; kept / kept_error: set by a caller
            that keeps the weights at the end (the Train tab's run store).
    """

    def __init__(self, net: Any, ref: Any, spec: Any, config: RunConfig | None,
                 weights: str = "") -> None:
        self.net, self.ref, self.spec, self.config = net, ref, spec, config
        self.weights = weights
        self.optimizer: Any = None
        self.scheduler: Any = None
        self.epoch = 0
        self.rng_state: dict[str, Any] = {}
        self.history: History | None = None  # the run's, live (read after it ended)
        self.kept = ""  # where a caller kept the weights at the end (the Train tab)
        self.kept_error = ""  # why it could not

    def save(self, path: str | Path, *, history: Any = None,
             extra: dict[str, Any] | None = None) -> Path:
        """A version-2 checkpoint: weights, optimiser, schedule, epoch, ref, config."""
        from engine.training.checkpoint import save_checkpoint

        epochs = len(history.epochs) if isinstance(history, History) else None
        return save_checkpoint(
            path, net=self.net, optimizer=self.optimizer,
            spec=self.spec.to_dict() if self.spec is not None else None, history=history,
            extra=extra, model_ref=self.ref.to_dict() if self.ref is not None else None,
            config=self.config.to_dict() if self.config is not None else None,
            scheduler=self.scheduler, epoch=epochs if epochs is not None else self.epoch,
            rng_state=self.rng_state)


def run(config: RunConfig, control: JobControl | None = None, *, hooks: Sequence[Hook] = (),
        dist: Any = None) -> Iterator[object]:
    """Train what ``config`` describes; the config is checked before anything loads.

    Args:
        config: the run. ``model`` and ``dataset`` are required.
        control: stop / pause (``JobControl``).
        hooks: extra ``Hook`` s besides those named in ``config.hooks``.
        dist: a ``DistContext`` under ``torchrun`` (``engine.training.distributed``):
            DDP-wrapped model, distributed samplers, ``config.batch_size`` split over
            the processes, metrics summed at progress points.

    Returns:
        An iterator: ``Prepared``, then the loop's events (``BatchProgress``,
        ``EpochEnd``, hooks' events) and one ``Finished`` or ``Stopped``.

    Raises:
        ValueError: a bad field (named), unknown dataset / model / hook, a missing
            weights or checkpoint file, a checkpoint of another architecture.
    """
    config = config.validate()
    if config.model is None:
        raise ValueError("model: the run config names no network; set model to a preset, "
                         "a spec or a zoo entry")
    if config.dataset is None:
        raise ValueError("dataset: the run config names no dataset (python -m engine "
                         "datasets lists them)")
    unknown = [h for h in config.hooks if h not in HOOKS]
    if unknown:
        raise ValueError(f"hooks: unknown hook {unknown[0]!r}; known: {', '.join(HOOKS)}")
    from engine.data import dataset_info

    dataset_info(config.dataset)  # unknown names fail here, before any loading
    if config.model.kind == "zoo":
        from engine.models.zoo import zoo_entry

        zoo_entry(config.model.name)
    if config.resume is not None and not Path(config.resume).expanduser().is_file():
        raise ValueError(f"resume: checkpoint {config.resume} does not exist")
    return _events(config, control, tuple(hooks), dist)


def _events(config: RunConfig, control: JobControl | None, hooks: tuple[Hook, ...],
            dist: Any) -> Iterator[object]:
    import torch

    from engine.data import load_dataset
    from engine.device import pick_device
    from engine.models.zoo import build_model, check_state_dict
    from engine.training.trainer import TrainingRun, resolve_task

    batch = dist.per_process_batch(config.batch_size) if dist is not None else config.batch_size
    bundle = load_dataset(config.dataset, batch_size=batch, root=config.data_root,
                          download=config.download, resize=config.resize, seed=config.seed,
                          n_train=config.n_train, n_test=config.n_test,
                          transforms=config.transforms, **config.dataset_options)
    if dist is not None:
        bundle = _distributed(bundle, dist, batch, config.seed)
    if control is not None and control.stop_requested:
        return
    resume = None
    if config.resume is not None:
        from engine.training.checkpoint import load_checkpoint

        resume = load_checkpoint(config.resume)
    torch.manual_seed(config.seed)  # a reproducible initial network for this seed
    built = build_model(config.model, input_shape=bundle.input_shape,
                        num_classes=bundle.num_classes, allow_download=config.download)
    net, weights = built.net, built.weights
    if resume is not None:
        check_state_dict(net, resume.model_state, source=f"resume: checkpoint "
                                                         f"{Path(config.resume).name}")
        net.load_state_dict(resume.model_state)
        weights = f"resumed from {Path(config.resume).name} after epoch {resume.epoch}"
        if (resume.epoch or 0) >= config.num_epochs:
            raise ValueError(f"resume: {Path(config.resume).name} already has "
                             f"{resume.epoch} epochs; set num_epochs above that")
    task = resolve_task(None, config, bundle.task, bundle.num_classes)
    ctx = HookContext(config, bundle, net)
    named = [h for h in (HOOKS[name](ctx) for name in config.hooks) if h is not None]
    model = RunModel(net, built.ref, built.spec, config, weights)
    device = dist.device if dist is not None else (
        pick_device() if config.device == "auto" else torch.device(config.device))
    settings = {k: v for k, v in config.to_dict().items() if k not in ("format", "version")}
    settings.update(task=task.name, dataset=bundle.name, device=str(device),
                    n_train=bundle.n_train, n_test=bundle.n_test, weights=weights)
    training = TrainingRun(net, bundle.train, bundle.test, config, task, device, control,
                           hooks=(*named, *hooks), dist=dist, settings=settings,
                           resume=resume, info=ctx)
    model.history = training.history
    yield Prepared(bundle.source, bundle.n_train, bundle.n_test, tuple(bundle.input_shape),
                   task.name, bundle.num_classes, tuple(bundle.class_names),
                   sum(p.numel() for p in net.parameters()), model, weights, task.metrics,
                   training.start_epoch)
    try:
        for event in training:
            if model.optimizer is None:
                model.optimizer, model.scheduler = training.optimizer, training.scheduler
            model.epoch = len(training.history.epochs)
            model.rng_state = training.rng_state
            yield event
    finally:
        training.close()
        net.to("cpu")


def _distributed(bundle: Any, dist: Any, batch: int, seed: int) -> Any:
    """The bundle with loaders over each process's shard (``dist.make_sampler``)."""
    from dataclasses import replace

    from engine.data.core import make_loader

    loaders = {}
    for split, shuffle in (("train", True), ("test", False)):
        ds = getattr(bundle, split).dataset
        # Training shards are padded to equal step counts; test shards hold each example
        # once, so the summed test figures are exact (DistContext's module docstring).
        sampler = dist.make_sampler(ds, shuffle=shuffle, seed=seed, pad=shuffle)
        loaders[split] = make_loader(ds, batch_size=batch, shuffle=shuffle, seed=seed,
                                     sampler=sampler)
    return replace(bundle, **loaders)
