"""``python -m engine presets | summary | export-code``: the builder's sub-commands."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.builder.export import export_code
from engine.builder.memory import size_text, training_memory
from engine.builder.presets import list_presets, preset
from engine.builder.spec import NetworkSpec, parse_shape
from engine.builder.summary import MACS_NOTE, format_summary, summarize
from engine.files import write_text_atomic


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``presets``, ``summary`` and ``export-code`` to the engine CLI."""
    p = subparsers.add_parser("presets", help="list the network presets")
    p.set_defaults(func=_cmd_presets)

    p = subparsers.add_parser("summary", help="per-layer shapes, parameters and MACs",
                              description=f"Summarise a network. {MACS_NOTE}.")
    p.add_argument("network", help="a preset name or a spec .json file")
    p.add_argument("--input-shape", type=_shape, default=None,
                   help="input shape incl. batch dim, e.g. 1,1,28,28 (default: the spec's)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_cmd_summary)

    p = subparsers.add_parser("export-code", help="write a standalone PyTorch script")
    p.add_argument("network", help="a preset name or a spec .json file")
    p.add_argument("-o", "--output", default=None, help="file to write (default: stdout)")
    p.set_defaults(func=_cmd_export)


def load_network(name_or_path: str) -> NetworkSpec:
    """A preset by name, else a spec JSON file. ValueError if neither."""
    if name_or_path in list_presets():
        return preset(name_or_path)
    path = Path(name_or_path)
    if not path.is_file():
        raise ValueError(f"{name_or_path!r} is neither a preset ({', '.join(list_presets())}) "
                         "nor a spec .json file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    try:
        return NetworkSpec.from_json(text)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def _shape(text: str) -> tuple[int, ...]:
    try:
        return parse_shape(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _cmd_presets(args: argparse.Namespace) -> int:
    print(f"{'preset':<20} {'input shape':<20} {'params':>13}  description")
    for name in list_presets():
        spec = preset(name)
        s = summarize(spec)
        print(f"{name:<20} {str(spec.input_shape):<20} {s.total_params:>13,}  "
              f"{spec.description}")
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    spec = load_network(args.network)
    s = summarize(spec, args.input_shape)
    if args.json:
        print(json.dumps(s.to_dict(), indent=2))
    else:
        print(format_summary(s))
        if not s.error:
            batch = int(spec.train_defaults["batch_size"])
            m = training_memory(s, batch_size=batch)
            print(f"training memory (batch {batch}, SGD): {size_text(m.total)} = parameters "
                  f"{size_text(m.parameters)} + gradients {size_text(m.gradients)} + "
                  f"activations {size_text(m.activations)}; momentum adds "
                  f"{size_text(m.gradients)}, Adam {size_text(2 * m.gradients)}")
    return 1 if s.error else 0


def _cmd_export(args: argparse.Namespace) -> int:
    code = export_code(load_network(args.network))
    if args.output is None:
        sys.stdout.write(code)
        return 0
    out = Path(args.output)
    try:
        write_text_atomic(out, code)  # a crash never leaves half a script behind
    except OSError as exc:
        raise ValueError(f"cannot write {out}: {exc}") from None
    print(f"wrote {out}")
    return 0
