"""``python -m engine style``: neural style transfer (d2l 14.12) without the window.

Examples::

    python -m engine style cat.jpg brick.jpg -o cat-brick.png
    python -m engine style photo.jpg painting.jpg -o out.png --size 450 --steps 500 \\
        --weights imagenet --download --snapshots snaps --snapshot-every 50
    python -m engine style cat.jpg hubble.jpg -o out.png --json > losses.jsonl

CONTENT and STYLE are image files or the names of bundled samples (``cat.jpg``,
``brick.jpg``, …). Unset options take the values the Style tab starts with for the
network and device in use (``default_settings``): the book's, with the untrained
network's own loss weights and, on a CPU, a smaller image and fewer steps.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from engine.images import save_image

if TYPE_CHECKING:  # torch and the style engine are imported when the command runs
    import numpy as np
    import torch

    from engine.style.transfer import StyleFinished, StyleProgress, StyleSettings, StyleStarted

#: Said when the untrained fallback runs (the Style tab shows the same in its banner).
APPROXIMATE_TEXT = ("approximate: untrained VGG-19 features (random weights, each layer's "
                    "loss normalised), not the book's pre-trained network; use --weights "
                    "imagenet --download or --weights-file for the book's result")
DEFAULT_PRINT_EVERY = 10


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``style`` sub-command."""
    p = subparsers.add_parser(
        "style", help="neural style transfer of one image (d2l 14.12)",
        description="Synthesise an image with CONTENT's content and STYLE's style "
                    "(d2l 14.12). Unset options take the Style tab's defaults for the "
                    "network and device in use.")
    p.add_argument("content", metavar="CONTENT", help="content image: a file or a bundled "
                   "sample's name (e.g. cat.jpg)")
    p.add_argument("style", metavar="STYLE", help="style image: a file or a bundled sample's "
                   "name (e.g. brick.jpg)")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="OUT.png",
                   help="where to write the result (written atomically)")
    g = p.add_argument_group("run")
    g.add_argument("--size", type=int, metavar="PX", help="longer side of the result in "
                   "pixels, aspect of CONTENT kept (default: 450, 256 on a CPU)")
    g.add_argument("--steps", type=int, metavar="N",
                   help="optimisation steps (default: 500, 200 on a CPU)")
    g.add_argument("--content-weight", type=float, metavar="W", help="default 1")
    g.add_argument("--style-weight", type=float, metavar="W",
                   help="default 1e4 (the book's), 100 for the untrained network")
    g.add_argument("--tv-weight", type=float, metavar="W", help="default 10")
    g.add_argument("--lr", type=float, help="Adam's learning rate (default 0.3, ×0.8 every "
                   "50 steps)")
    g.add_argument("--init", choices=("content", "noise"), help="start from the content "
                   "image (default) or from noise")
    g.add_argument("--content-layers", metavar="I,J", help="VGG-19 features indices for "
                   "the content loss (default: the book's 25 = conv4_4; '' for none)")
    g.add_argument("--style-layers", metavar="I,J", help="VGG-19 features indices for the "
                   "style loss (default: the book's 0,5,10,19,28; '' for none)")
    g.add_argument("--seed", type=int, default=0, help="random seed (noise init; default 0)")
    g.add_argument("--device", default="auto", help="auto (CUDA, MPS, else CPU), cpu, "
                   "cuda, cuda:1, mps")
    w = p.add_argument_group("feature network")
    w.add_argument("--weights", choices=("auto", "imagenet", "file", "untrained"),
                   default=None, help="auto (default): ImageNet VGG-19 from torchvision's "
                   "cache, else the untrained network (approximate); file: --weights-file")
    w.add_argument("--weights-file", type=Path, metavar="PATH",
                   help="a VGG-19 .pth (whole model or features state dict); implies "
                        "--weights file")
    w.add_argument("--download", action="store_true",
                   help="allow downloading the ImageNet weights (548 MB)")
    o = p.add_argument_group("output")
    o.add_argument("--snapshots", type=Path, metavar="DIR",
                   help="also write the picture every --snapshot-every steps to DIR")
    o.add_argument("--snapshot-every", type=int, default=50, metavar="N",
                   help="steps between snapshots (default 50)")
    o.add_argument("--print-every", type=int, default=DEFAULT_PRINT_EVERY, metavar="N",
                   help=f"steps between progress lines (default {DEFAULT_PRINT_EVERY})")
    o.add_argument("--json", action="store_true", help="progress as one JSON object per "
                   "line on stdout (other lines go to stderr)")
    p.set_defaults(func=run_style)


def parse_layers(text: str, what: str) -> tuple[int, ...]:
    """``"0,5,10"`` -> (0, 5, 10); ``""`` -> (). ValueError naming the bad item."""
    layers = []
    for item in filter(None, (t.strip() for t in text.split(","))):
        try:
            layers.append(int(item))
        except ValueError:
            raise ValueError(f"--{what}-layers: {item!r} is not a layer index; give "
                             f"comma-separated VGG-19 features indices such as 0,5,10"
                             ) from None
    return tuple(layers)


def resolve_image(name: str, what: str) -> Path:
    """A path as given if it exists, else a bundled sample of that name."""
    from engine.images import list_sample_images

    path = Path(name).expanduser()
    if path.exists():
        return path
    samples = {p.name: p for p in list_sample_images()}
    if name in samples:
        return samples[name]
    raise ValueError(f"{what} image '{name}' does not exist and is not a bundled sample "
                     f"({', '.join(samples)}).")


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    changes: dict[str, object] = {}
    for flag, key in (("size", "image_size"), ("steps", "num_epochs"),
                      ("content_weight", "content_weight"), ("style_weight", "style_weight"),
                      ("tv_weight", "tv_weight"), ("lr", "lr"), ("init", "init")):
        value = getattr(args, flag)
        if value is not None:
            changes[key] = value
    for what in ("content", "style"):
        text = getattr(args, f"{what}_layers")
        if text is not None:
            changes[f"{what}_layers"] = parse_layers(text, what)
    changes["seed"] = args.seed
    return changes


def _device(name: str):
    import torch

    from engine.device import pick_device

    if name == "auto":
        return pick_device()
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise ValueError(f"--device {name!r} is not a device; use auto, cpu, cuda, cuda:N "
                         f"or mps.") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: CUDA is not available here; use --device cpu.")
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise ValueError(f"--device {name}: only {torch.cuda.device_count()} CUDA "
                         f"device(s) here.")
    mps = getattr(torch.backends, "mps", None)
    if device.type == "mps" and not (mps is not None and mps.is_available()):
        raise ValueError("--device mps: MPS is not available here; use --device cpu.")
    if device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"--device {name!r}: use auto, cpu, cuda, cuda:N or mps.")
    return device


def _weights_source(args: argparse.Namespace) -> str:
    source = args.weights or ("file" if args.weights_file is not None else "auto")
    if args.weights_file is not None and source != "file":
        raise ValueError(f"--weights-file is used with --weights file, not --weights {source}.")
    if source == "file" and args.weights_file is None:
        raise ValueError("--weights file needs --weights-file PATH (a VGG-19 .pth).")
    return source


def _check_output(args: argparse.Namespace) -> tuple[Path, Path | None]:
    from engine.files import check_writable
    from engine.images import IMAGE_SUFFIXES

    out = check_writable(args.output)
    if out.suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(f"output {out} needs an image suffix ({', '.join(IMAGE_SUFFIXES)}), "
                         f"e.g. {out.with_suffix('.png').name}.")
    snaps = None
    if args.snapshots is not None:
        if args.snapshot_every < 1:
            raise ValueError(f"--snapshot-every must be at least 1, got {args.snapshot_every}.")
        snaps = args.snapshots.expanduser()
        try:
            snaps.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(f"cannot make the snapshot folder {snaps}: "
                             f"{exc.strerror or exc}.") from None
        check_writable(snaps / "step_0001.png")
    if args.print_every < 1:
        raise ValueError(f"--print-every must be at least 1, got {args.print_every}.")
    return out, snaps


def eta_text(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "–"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"


def run_style(args: argparse.Namespace) -> int:
    """Run one style transfer as the command line describes; the exit status."""
    from engine.device import describe_device
    from engine.style.transfer import default_settings

    info = sys.stderr if args.json else sys.stdout
    changes = _overrides(args)
    # Checked before anything slow: flags against the book's settings, then the paths.
    book = default_settings().with_changes(**changes)
    source = _weights_source(args)
    out, snaps = _check_output(args)
    device = _device(args.device)
    content_path = resolve_image(args.content, "content")
    style_path = resolve_image(args.style, "style")
    run = _Run(args, info, book, snaps,
               (content_path.name, style_path.name, describe_device(device)))
    try:
        _transfer(run, content_path, style_path, source, changes, device)
    except KeyboardInterrupt:
        if run.last_image is None:
            _say(sys.stderr, "interrupted before the first step; nothing written")
            return 130
        save_image(run.last_image, out)
        _say(sys.stderr, f"interrupted after step {run.last_step}: wrote the image so far "
                         f"to {out}")
        return 130
    end = run.finished
    if end is None:  # pragma: no cover - the generator always ends with StyleFinished
        raise ValueError("the style transfer ended without a result.")
    save_image(end.image, out)
    h, w = end.image.shape[:2]
    if end.reason == "diverged":
        _say(sys.stderr, f"diverged: {end.message}")
        _say(info, f"wrote the last good image (step {end.epoch}) to {out} ({w}×{h})")
        return 1
    _say(info, f"wrote {out} ({w}×{h}, {end.epoch} steps)")
    return 0 if end.reason == "done" else 1


def _transfer(run: _Run, content_path: Path, style_path: Path, source: str,
              changes: dict[str, object], device: torch.device) -> None:
    """Load the images and the network, then feed the job's events to ``run``."""
    import torch

    from engine.images import load_image
    from engine.style.transfer import default_settings, style_transfer
    from engine.style.weights import load_style_net

    args, info = run.args, run.info
    content, style = load_image(content_path), load_image(style_path)
    try:  # only the layers up to the deepest chosen one: nothing steers them here
        style_net = load_style_net(source, path=args.weights_file,
                                   allow_download=args.download,
                                   num_layers=run.settings.deepest_layer() + 1)
    except ValueError as exc:
        if args.weights_file is None or args.weights_file.name in str(exc):
            raise
        raise ValueError(f"{args.weights_file}: {exc}") from None
    run.settings = default_settings(approximate=style_net.approximate,
                                    cpu=device.type == "cpu").with_changes(**changes)
    _say(info, f"weights: {style_net.label}")
    if style_net.approximate:
        _say(info, APPROXIMATE_TEXT)
    if style_net.notice:
        _say(info, f"note: {style_net.notice}")
    for loaded in (content, style):
        if loaded.notice:
            _say(info, f"note: {Path(loaded.path).name}: {loaded.notice}")
    torch.manual_seed(args.seed)
    for event in style_transfer(content.array, style.array, settings=run.settings,
                                style_net=style_net, device=device):
        run.on_event(event)


def _say(stream: TextIO, text: str) -> None:
    print(text, file=stream, flush=True)


class _Run:
    """Prints and snapshots the events of one run; remembers the latest image.

    ``settings`` are the flags on the book's values until the network is known, then
    the run's (``default_settings`` for that network and device, with the flags)."""

    def __init__(self, args: argparse.Namespace, info: TextIO, settings: StyleSettings,
                 snaps: Path | None, names: tuple[str, str, str]) -> None:
        self.args, self.info, self.settings, self.snaps = args, info, settings, snaps
        self.names = names  # content file, style file, device
        self.last_image: np.ndarray | None = None
        self.last_step = 0
        self.finished: StyleFinished | None = None
        self._seconds, self._steps = 0.0, 0

    def on_event(self, event: object) -> None:
        from engine.style.transfer import StyleFinished, StyleProgress, StyleStarted

        if isinstance(event, StyleStarted):
            self._started(event)
        elif isinstance(event, StyleProgress):
            self._progress(event)
        elif isinstance(event, StyleFinished):
            self.finished = event

    def _started(self, e: StyleStarted) -> None:
        from engine.style.transfer import layers_text

        s, (content, style, device) = self.settings, self.names
        (h, w), (sh, sw) = e.image_shape, e.style_shape
        _say(self.info, f"style transfer: content {content} at {w}×{h}, style {style} at "
                        f"{sw}×{sh}, {s.num_epochs} steps, lr {s.lr:g}, weights content "
                        f"{s.content_weight:g} / style {s.style_weight:g} / TV "
                        f"{s.tv_weight:g}{', per-layer normalised' if e.normalized else ''}, "
                        f"on {device}")
        _say(self.info, f"content layers: {layers_text(s.content_layers)}; style layers: "
                        f"{layers_text(s.style_layers)}")
        for notice in e.notices:
            _say(self.info, f"note: {notice}")

    def _progress(self, p: StyleProgress) -> None:
        self.last_image, self.last_step = p.image, p.epoch
        self._seconds += p.seconds_per_step
        self._steps += 1
        if self.snaps is not None and p.epoch % self.args.snapshot_every == 0:
            digits = max(4, len(str(p.num_epochs)))
            save_image(p.image, self.snaps / f"step_{p.epoch:0{digits}d}.png")
        every = self.args.print_every
        if p.epoch == 1 or p.epoch % every == 0 or p.epoch >= p.num_epochs:
            per_step = self._seconds / self._steps
            self._seconds, self._steps = 0.0, 0
            self._print_progress(p, per_step)

    def _print_progress(self, p: StyleProgress, per_step: float) -> None:
        eta = per_step * (p.num_epochs - p.epoch)
        if self.args.json:
            record = {"step": p.epoch, "num_steps": p.num_epochs,
                      "content_loss": p.content_loss, "style_loss": p.style_loss,
                      "tv_loss": p.tv_loss, "total_loss": p.total_loss,
                      "seconds_per_step": per_step, "eta_seconds": eta, "lr": p.lr,
                      "weights": dict(zip(("content", "style", "tv"), p.weights,
                                          strict=True))}
            print(json.dumps(record), flush=True)
            return
        _say(sys.stdout, f"step {p.epoch}/{p.num_epochs}: content {p.content_loss:.4g}, "
                         f"style {p.style_loss:.4g}, TV {p.tv_loss:.4g}, total "
                         f"{p.total_loss:.4g}, {per_step:.3g} s/step, ETA {eta_text(eta)}")
