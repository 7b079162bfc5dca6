"""``python -m engine`` — the headless command line.

Each feature package contributes its sub-commands through a ``register(subparsers)``
function listed in ``_COMMAND_MODULES``; this keeps the CLI in one entry point while
the code stays with the feature it drives.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# Modules that expose ``register(subparsers: argparse._SubParsersAction) -> None``.
# Each registered sub-parser sets ``func=callable(args) -> int`` via set_defaults.
_COMMAND_MODULES = (
    "engine.builder.cli",
    "engine.training.cli",
    "engine.style.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m engine",
        description="Deep Learning Playground engine (headless).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `python -m engine presets | head`: the reader left early
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
