"""``python -m engine train`` and ``python -m engine datasets``.

Examples::

    python -m engine train --preset lenet --epochs 2 --limit-train 5000 --limit-test 1000
    python -m engine train --preset linear-regression --json
    python -m engine train --spec my_net.json --dataset fashion-mnist --data-root ~/data
    python -m engine datasets
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from engine.training.setup import LOSSES, OPTIMIZERS, SCHEDULES


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` and ``datasets`` sub-commands."""
    p = subparsers.add_parser("train", help="train a preset or saved network on a dataset",
                              description="Train a network; one line per epoch.")
    net = p.add_mutually_exclusive_group(required=True)
    net.add_argument("--preset", help="a builder preset name (see `presets`)")
    net.add_argument("--spec", type=Path, help="a network spec JSON file saved by the Build tab")
    p.add_argument("--dataset", help="dataset name (see `datasets`); default: the preset's")
    p.add_argument("--epochs", type=int, help="number of epochs; default: the preset's")
    p.add_argument("--lr", type=float, help="learning rate; default: the preset's")
    p.add_argument("--batch-size", type=int, help="default: the preset's")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--loss", choices=LOSSES, help="default: the preset's")
    p.add_argument("--schedule", choices=SCHEDULES, default="none")
    p.add_argument("--resize", type=int, help="resize images to this side; default: the preset's")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 or mps")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-root", type=Path, help="data folder (default: the user data dir); "
                   "for image-folder the folder of class sub-folders")
    p.add_argument("--download", action="store_true", help="allow downloading missing files")
    p.add_argument("--limit-train", type=int, metavar="N", help="use N training examples")
    p.add_argument("--limit-test", type=int, metavar="N", help="use N test examples")
    p.add_argument("--save", type=Path, metavar="CKPT", help="save a checkpoint (.pt) at the end")
    p.add_argument("--json", action="store_true", help="print JSON lines instead of text")
    p.set_defaults(func=run_train)

    d = subparsers.add_parser("datasets", help="list the datasets `train` can use")
    d.add_argument("--json", action="store_true", help="print a JSON list")
    d.set_defaults(func=run_datasets)


def run_datasets(args: argparse.Namespace) -> int:
    from engine.data import default_data_root, list_datasets

    infos = list_datasets()
    if args.json:
        print(json.dumps([asdict(i) for i in infos]))
        return 0
    for info in infos:
        shape = "x".join(map(str, info.input_shape)) if info.input_shape else "?"
        where = "offline" if info.offline else "files"
        print(f"{info.name:<18} {info.task:<14} {shape:<8} {where:<8} {info.title}")
    print(f"data folder: {default_data_root()}")
    return 0


def _load_spec(args: argparse.Namespace) -> Any:
    try:
        from engine.builder import NetworkSpec, preset
    except ImportError as exc:
        raise ValueError(f"--preset and --spec need engine.builder, which could not be "
                         f"imported ({exc})") from exc
    if args.preset:
        return preset(args.preset)
    try:
        text = args.spec.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read spec file {args.spec}: {exc.strerror}") from exc
    return NetworkSpec.from_json(text)


def run_train(args: argparse.Namespace) -> int:
    import torch

    from engine.builder import build
    from engine.data import load_dataset
    from engine.device import describe_device, pick_device
    from engine.files import check_writable
    from engine.training import EpochEnd, Finished, Stopped, save_checkpoint, train

    if args.save is not None:  # before loading data and training, not after all epochs
        check_writable(args.save)
    spec = _load_spec(args)
    defaults = dict(spec.train_defaults)
    pick = lambda value, key: value if value is not None else defaults.get(key)  # noqa: E731
    dataset, lr = pick(args.dataset, "dataset"), pick(args.lr, "lr")
    epochs, batch_size = pick(args.epochs, "num_epochs"), pick(args.batch_size, "batch_size")
    device = pick_device() if args.device == "auto" else torch.device(args.device)
    bundle = load_dataset(dataset, batch_size=batch_size, root=args.data_root,
                          download=args.download, resize=pick(args.resize, "resize"),
                          seed=args.seed, n_train=args.limit_train, n_test=args.limit_test)
    torch.manual_seed(args.seed)
    net = build(spec)
    info = sys.stderr if args.json else sys.stdout
    print(f"training {spec.name} on {bundle.name}: {bundle.source}, {bundle.n_train} train / "
          f"{bundle.n_test} test examples, batch {batch_size}, lr {lr:g}, "
          f"{describe_device(device)}", file=info, flush=True)
    if tuple(spec.input_shape[1:]) != bundle.input_shape:
        print(f"note: {spec.name} expects input {tuple(spec.input_shape[1:])} but "
              f"{bundle.name} gives {bundle.input_shape}", file=sys.stderr)
    events = train(net, bundle, num_epochs=epochs, lr=lr, optimizer=args.optimizer,
                   weight_decay=args.weight_decay, loss=pick(args.loss, "loss"),
                   schedule=args.schedule, device=device, seed=args.seed)
    end: Finished | Stopped | None = None
    try:
        for event in events:
            if isinstance(event, EpochEnd):
                _print_epoch(event, epochs, device, as_json=args.json)
            elif isinstance(event, (Finished, Stopped)):
                end = event
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    if isinstance(end, Stopped):
        print(f"stopped: {end.reason}", file=sys.stderr)
        return 1
    if args.save is not None and end is not None:
        path = save_checkpoint(args.save, net=net, spec=spec.to_dict(), history=end.history,
                               extra={"dataset": bundle.name, "source": bundle.source})
        print(f"saved checkpoint {path}", file=info)
    return 0


def _fmt(value: float | None, spec: str = ".3f") -> str:
    return "n/a" if value is None else format(value, spec)


def _print_epoch(e: Any, num_epochs: int, device: Any, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(asdict(e)), flush=True)
        return
    acc = "" if e.train_acc is None else f", train acc {_fmt(e.train_acc)}"
    test = (f", test acc {_fmt(e.test_acc)}" if e.test_acc is not None
            else f", test loss {_fmt(e.test_loss, '.3g')}")
    print(f"epoch {e.epoch}/{num_epochs}: loss {_fmt(e.train_loss, '.4g')}{acc}{test}, "
          f"{e.examples_per_sec:.1f} examples/sec on {device}", flush=True)
