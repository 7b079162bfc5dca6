"""``python -m engine train`` and ``python -m engine datasets``.

Examples::

    python -m engine train --preset lenet --epochs 2 --limit-train 5000 --limit-test 1000
    python -m engine train --preset linear-regression --json
    python -m engine train --spec my_net.json --dataset fashion-mnist --data-root ~/data
    python -m engine train --preset lenet --lr 0.5 --dump-config experiment.json
    python -m engine train --config experiment.json --save run.pt
    python -m engine train --resume run.pt --epochs 20
    python -m engine train --zoo tiny-ssd --dataset bananas --dataset-option size=128
    python -m engine datasets

The hyper-parameter and data flags are generated from ``RunConfig``'s fields (their
help, type, choices and range), so they cannot drift from the Train tab or the
experiment file; ``--dataset-option KEY=VALUE`` fills ``dataset_options`` (checked
against the dataset's options before anything runs). Flags override ``--config``; for
``--preset`` / ``--spec`` networks the preset's training defaults (the book's lr, batch
size, epochs, dataset) sit between ``RunConfig``'s defaults and the flags. ``--resize``
resizes any image set after it is loaded or generated (bananas too: ``--dataset-option
size=N`` generates at N instead).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from engine.training.config import RunConfig, config_fields

_SCALAR = (int, float, str, bool)
_SPEC_DEFAULTS = ("lr", "batch_size", "num_epochs", "dataset", "resize", "loss")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` and ``datasets`` sub-commands."""
    p = subparsers.add_parser("train", help="train a network on a dataset (one line per epoch)",
                              description="Train a network; one line per epoch.")
    net = p.add_mutually_exclusive_group()
    net.add_argument("--preset", help="a builder preset name (see `presets`)")
    net.add_argument("--spec", type=Path, help="a network spec JSON file saved by the Build tab")
    net.add_argument("--zoo", metavar="NAME", help="a zoo model (engine.models.zoo), e.g. "
                     "resnet18")
    p.add_argument("--weights", metavar="W", help="start from 'pretrained' (torchvision's "
                   "weights from its cache; downloaded only with --download) or a .pth file")
    p.add_argument("--config", type=Path, metavar="FILE",
                   help="an experiment file (RunConfig JSON, e.g. from --dump-config or the "
                        "Train tab's Export experiment…); flags override it")
    for f in config_fields():
        kind = f.metadata["kind"]
        if kind not in _SCALAR:
            continue
        flags = f.metadata["flags"] or (f"--{f.name.replace('_', '-')}",)
        kw: dict[str, Any] = {"dest": f.name, "default": argparse.SUPPRESS,
                              "help": f.metadata["help"].replace("%", "%%")}
        if kind is bool:
            kw["action"] = "store_true"
        else:
            kw["type"] = kind
            if f.metadata["choices"]:
                kw["choices"] = f.metadata["choices"]
            if f.name == "resume":
                kw["metavar"] = "CKPT"
        p.add_argument(*flags, **kw)
    p.add_argument("--dataset-option", action="append", metavar="KEY=VALUE",
                   dest="dataset_option", default=[], type=_dataset_option,
                   help="a dataset option (repeatable), e.g. --dataset-option size=128 for "
                        "bananas; VALUE is read as JSON (128, 0.5, true, null), else as "
                        "text; merged over --config's (`datasets --json` lists each "
                        "dataset's options)")
    p.add_argument("--save", type=Path, metavar="CKPT", help="save a checkpoint (.pt) at the end")
    p.add_argument("--dump-config", type=Path, metavar="FILE",
                   help="write the run config these flags make to FILE and exit without "
                        "training")
    p.add_argument("--json", action="store_true", help="print JSON lines instead of text")
    p.add_argument("--run-log", type=Path, metavar="FILE", help="write the run log to FILE: JSON "
                   "lines, the config, one line per epoch, how the run ended")
    p.add_argument("--tensorboard", type=Path, metavar="DIR", help="write TensorBoard event "
                   "files in DIR (needs the tensorboard package)")
    p.add_argument("--export-script", type=Path, metavar="FILE", help="write a standalone "
                   "training script (the book's train_ch6 with this network and recipe) to "
                   "FILE and exit")
    p.set_defaults(func=run_train)

    d = subparsers.add_parser("datasets", help="list the datasets `train` can use")
    d.add_argument("--json", action="store_true", help="print a JSON list")
    d.set_defaults(func=run_datasets)


def run_datasets(args: argparse.Namespace) -> int:
    from engine.data import default_data_root, list_datasets

    infos = list_datasets()
    if args.json:
        print(json.dumps([i.to_dict() for i in infos]))
        return 0
    for info in infos:
        shape = "x".join(map(str, info.input_shape)) if info.input_shape else "?"
        where = "offline" if info.offline else "files"
        print(f"{info.name:<18} {info.task:<14} {shape:<8} {where:<8} {info.title}")
    print(f"data folder: {default_data_root()}")
    return 0


def _dataset_option(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` as ``(key, value)``: VALUE parsed as JSON, else kept as a string."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE, e.g. size=128")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return key, value


def _read_json(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read {what} {path}: {exc.strerror}") from exc
    return text


def _spec(args: argparse.Namespace) -> Any:
    try:
        from engine.builder import NetworkSpec, preset
    except ImportError as exc:
        raise ValueError(f"--preset and --spec need engine.builder, which could not be "
                         f"imported ({exc})") from exc
    if args.preset:
        return preset(args.preset)
    return NetworkSpec.from_json(_read_json(args.spec, "spec file"))


def make_config(args: argparse.Namespace) -> RunConfig:
    """The ``RunConfig`` the command line describes (checked; nothing loaded yet)."""
    from engine.models import ModelRef

    flags = {f.name: getattr(args, f.name) for f in config_fields() if hasattr(args, f.name)}
    if args.config is not None:
        try:
            base = RunConfig.from_json(_read_json(args.config, "experiment file"))
        except ValueError as exc:
            raise ValueError(f"{args.config}: {exc}") from exc
    elif "resume" in flags and not (args.preset or args.spec or args.zoo):
        from engine.training.checkpoint import load_checkpoint

        saved = load_checkpoint(flags["resume"]).config
        if saved is None:
            raise ValueError(f"{flags['resume']} holds no run config (a version-1 "
                             f"checkpoint); give the network with --preset or --spec too")
        base = RunConfig.from_dict(saved)
    else:
        base = RunConfig()
    changes: dict[str, Any] = {}
    if args.preset or args.spec:
        spec = _spec(args)
        changes["model"] = ModelRef.from_spec(spec)
        changes.update({k: spec.train_defaults[k] for k in _SPEC_DEFAULTS
                        if k in spec.train_defaults})
    elif args.zoo:
        changes["model"] = ModelRef.zoo(args.zoo)
    if base.model is None and "model" not in changes:
        raise ValueError("say which network to train: --preset, --spec, --zoo, --config or "
                         "--resume")
    if args.weights is not None:
        from dataclasses import replace

        changes["model"] = replace(changes.get("model", base.model), weights=args.weights)
    changes.update(flags)
    if args.dataset_option:
        changes["dataset_options"] = {**base.dataset_options, **dict(args.dataset_option)}
    config = base.replace(**changes).validate()
    if config.dataset is not None and config.dataset_options:
        from engine.data import dataset_options

        dataset_options(config.dataset, config.dataset_options)  # a typo fails before loading
    return config


def run_train(args: argparse.Namespace) -> int:
    from engine.device import describe_device, pick_device
    from engine.files import write_text_atomic
    from engine.training import EpochEnd, Finished, Prepared, Stopped
    from engine.training.experiment import run

    config = make_config(args)
    info = sys.stderr if args.json else sys.stdout
    if args.dump_config is not None:
        path = write_text_atomic(args.dump_config, config.to_json() + "\n")
        print(f"wrote run config {path}", file=info)
        return 0
    if args.export_script is not None:
        from engine.training.script_export import write_training_script

        path = write_training_script(args.export_script, config)
        print(f"wrote training script {path}", file=info)
        return 0
    if args.save is not None:  # before loading data and training, not after all epochs
        from engine.files import check_writable

        check_writable(args.save)
    import torch

    from engine.training.launch import RunOutputs

    # Under torchrun: one process of the job; rank 0 alone prints and writes files.
    with RunOutputs(config, log=args.run_log, tensorboard=args.tensorboard) as out:
        main, dist = out.is_main, out.dist
        device = dist.device if dist is not None else (
            pick_device() if config.device == "auto" else torch.device(config.device))
        end: Finished | Stopped | None = None
        model, source = None, ""
        try:
            for event in run(config, hooks=out.hooks, dist=dist):
                out.record(event)
                if isinstance(event, Prepared):
                    model, source = event.model, event.source
                    if main:
                        _print_prepared(event, config, describe_device(device), info)
                        for line in filter(None, (out.describe(), *out.notes)):
                            print(f"note: {line}", file=info, flush=True)
                elif isinstance(event, EpochEnd) and main:
                    _print_epoch(event, config.num_epochs, device, as_json=args.json,
                                 per_process=dist is not None)
                elif isinstance(event, (Finished, Stopped)):
                    end = event
        except KeyboardInterrupt:
            out.interrupted()
            if main:
                print("interrupted", file=sys.stderr)
            return 130
        if isinstance(end, Stopped):
            if main:
                print(f"stopped: {end.reason}", file=sys.stderr)
            return 1
        if main and args.save is not None and end is not None and model is not None:
            path = model.save(args.save, history=end.history,
                              extra={"dataset": config.dataset, "source": source})
            print(f"saved checkpoint {path}", file=info)
    return 0


def _execution(config: RunConfig) -> str:
    from engine.device import pick_device
    from engine.training.trainer import execution_text

    device = pick_device() if config.device == "auto" else config.device
    text = execution_text(config, device)
    return f" ({text})" if text else ""


def _print_prepared(p: Any, config: RunConfig, device: str, out: Any) -> None:
    name = config.model.name if config.model is not None else "?"
    source = p.source
    if config.resize is not None and len(p.input_shape) == 3:  # after loading / generating
        source += f", resized to {p.input_shape[1]}x{p.input_shape[2]}"
    print(f"training {name} on {config.dataset}: {source}, {p.n_train} train / "
          f"{p.n_test} test examples, batch {config.batch_size}, lr {config.lr:g}, "
          f"{device}{_execution(config)}", file=out, flush=True)
    if p.weights and (not p.weights.startswith("random init") or "—" in p.weights):
        # pretrained, loaded, resumed, or a fallback to random init that must be said
        print(f"weights: {p.weights}", file=out, flush=True)
    spec = p.model.spec
    if spec is not None and config.model.kind == "spec":
        wanted = tuple((config.model.spec or {}).get("input_shape", ())[1:])
        if wanted and wanted != tuple(p.input_shape):
            print(f"note: {name} expects input {wanted} but {config.dataset} gives "
                  f"{tuple(p.input_shape)}", file=sys.stderr)
    if p.start_epoch > 1:
        print(f"resuming at epoch {p.start_epoch}", file=out, flush=True)


def _fmt(value: float | None, spec: str = ".3f") -> str:
    return "n/a" if value is None else format(value, spec)


def _print_epoch(e: Any, num_epochs: int, device: Any, *, as_json: bool,
                 per_process: bool = False) -> None:
    if as_json:
        print(json.dumps(e.to_dict()), flush=True)
        return
    acc = "" if e.train_acc is None else f", train acc {_fmt(e.train_acc)}"
    test = (f", test acc {_fmt(e.test_acc)}" if e.test_acc is not None
            else f", test loss {_fmt(e.test_loss, '.3g')}")
    others = "".join(f", {k.replace('_', ' ')} {_fmt(v)}" for k, v in e.metrics.items()
                     if k not in ("train_loss", "train_acc", "test_loss", "test_acc"))
    print(f"epoch {e.epoch}/{num_epochs}: loss {_fmt(e.train_loss, '.4g')}{acc}{test}{others}, "
          f"{e.examples_per_sec:.1f} examples/sec{' per process' if per_process else ''} "
          f"on {device}", flush=True)
