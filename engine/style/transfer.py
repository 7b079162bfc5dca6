"""The style-transfer job: optimise the synthesised image itself (d2l 14.12 ``train``).

This is the project's one exception to "one training loop": nothing here trains a
model; the only trainable tensor is the image (Adam on pixels, the book's StepLR
schedule). It is the only file of ``engine.style`` that calls ``backward``.

``style_transfer`` is a generator for ``JobRunner``. It reads a :class:`LiveSettings`
before every step, so weights, learning rate, layers and the number of steps can change
while it runs; it yields :class:`StyleStarted`, then :class:`StyleProgress` every
``yield_every`` steps, and ends with :class:`StyleFinished`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields, replace

import numpy as np
import torch

from engine.jobs import JobControl
from engine.style.features import (
    BOOK_CONTENT_LAYERS,
    BOOK_STYLE_LAYERS,
    NUM_LAYERS,
    extract_features,
    layer_name,
    postprocess,
    preprocess,
)
from engine.style.losses import compute_loss, gram
from engine.style.weights import StyleNet, untrained_features

#: Largest weight accepted; past it float32 losses overflow.
MAX_WEIGHT = 1e12
INITS = ("content", "noise")


@dataclass(frozen=True)
class StyleSettings:
    """Everything a run reads; the defaults are the book's (d2l 14.12).

    ``image_size`` is the longer side of the synthesised image (the book's 300×450 is
    size 450 for a 3:2 landscape photo); the content's aspect ratio is kept.
    ``normalize`` divides each layer's loss by the size of its target (for the untrained
    network; ``None`` = on exactly when the network is approximate).
    """

    content_weight: float = 1.0
    style_weight: float = 1e4
    tv_weight: float = 10.0
    lr: float = 0.3
    lr_decay_epoch: int = 50
    lr_decay: float = 0.8
    num_epochs: int = 500
    image_size: int = 450
    content_layers: tuple[int, ...] = BOOK_CONTENT_LAYERS
    style_layers: tuple[int, ...] = BOOK_STYLE_LAYERS
    init: str = "content"
    normalize: bool | None = None
    yield_every: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("content_weight", "style_weight", "tv_weight"):
            v = float(getattr(self, name))
            if not math.isfinite(v) or v < 0 or v > MAX_WEIGHT:
                raise ValueError(f"{name.replace('_', ' ')} must be between 0 and "
                                 f"{MAX_WEIGHT:g}, got {v!r}.")
        if not (math.isfinite(self.lr) and 0 < self.lr <= 100):
            raise ValueError(f"lr must be in (0, 100], got {self.lr!r}.")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr decay must be in (0, 1], got {self.lr_decay!r}.")
        for name in ("lr_decay_epoch", "num_epochs", "yield_every"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name.replace('_', ' ')} must be at least 1.")
        if not 16 <= self.image_size <= 4096:
            raise ValueError(f"image size must be 16–4096 pixels, got {self.image_size}.")
        if self.init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {self.init!r}.")
        layers = (*self.content_layers, *self.style_layers)
        if not self.style_layers and not self.content_layers:
            raise ValueError("choose at least one style or content layer.")
        bad = [i for i in layers if not 0 <= i < NUM_LAYERS]
        if bad:
            raise ValueError(f"VGG-19 layers are 0–{NUM_LAYERS - 1}, got {bad}.")

    def deepest_layer(self) -> int:
        return max((*self.content_layers, *self.style_layers))

    def with_changes(self, **changes: object) -> StyleSettings:
        names = {f.name for f in fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise ValueError(f"unknown style settings: {sorted(unknown)}")
        for key in ("content_layers", "style_layers"):
            if key in changes:
                changes[key] = tuple(sorted({int(i) for i in changes[key]}))  # type: ignore[union-attr]
        return replace(self, **changes)  # type: ignore[arg-type]


class LiveSettings:
    """Thread-safe holder of the settings a running job reads at every step."""

    def __init__(self, settings: StyleSettings | None = None) -> None:
        self._lock = threading.Lock()
        self._settings = settings or StyleSettings()

    def get(self) -> StyleSettings:
        with self._lock:
            return self._settings

    def update(self, **changes: object) -> StyleSettings:
        """Apply ``changes`` (validated; ValueError leaves the settings as they were)."""
        with self._lock:
            self._settings = self._settings.with_changes(**changes)
            return self._settings

    def set(self, settings: StyleSettings) -> None:
        with self._lock:
            self._settings = settings


@dataclass(frozen=True)
class StyleStarted:
    """The run is set up: sizes, the weights in use, notices about the inputs."""

    image_shape: tuple[int, int]
    style_shape: tuple[int, int]
    weights_label: str
    approximate: bool
    normalized: bool
    device: str
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class StyleProgress:
    """After step ``epoch`` (1-based): the image and the weighted losses of that step."""

    epoch: int
    num_epochs: int
    image: np.ndarray = field(repr=False)  # (H, W, 3) uint8
    content_loss: float
    style_loss: float
    tv_loss: float
    total_loss: float
    seconds_per_step: float
    lr: float
    weights: tuple[float, float, float]  # content, style, TV in use for this step


@dataclass(frozen=True)
class StyleFinished:
    """The run ended: ``reason`` is "done", "stopped" or "diverged" (``message`` says
    where); ``image`` is the last good image."""

    epoch: int
    reason: str
    image: np.ndarray = field(repr=False)
    message: str = ""


def fit_shape(height: int, width: int, size: int) -> tuple[int, int]:
    """(h, w) with the longer side ``size`` and the aspect of ``height × width``."""
    scale = size / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


class _Targets:
    """Content features and style Grams for one choice of layers (computed once)."""

    def __init__(self, net: torch.nn.Sequential, content_X: torch.Tensor,
                 style_X: torch.Tensor, s: StyleSettings, normalize: bool) -> None:
        self.key = (s.content_layers, s.style_layers, normalize)
        with torch.no_grad():
            contents_Y, _ = extract_features(content_X, s.content_layers, (), net=net) \
                if s.content_layers else ([], [])
            _, styles_Y = extract_features(style_X, (), s.style_layers, net=net) \
                if s.style_layers else ([], [])
            self.contents_Y = [Y.clone() for Y in contents_Y]
            self.styles_Y_gram = [gram(Y) for Y in styles_Y]
        self.content_scales: list[float] | None = None
        self.style_scales: list[float] | None = None
        if normalize:
            self.content_scales = [1.0 / max(float(Y.square().mean()), 1e-12)
                                   for Y in self.contents_Y]
            self.style_scales = [1.0 / max(float(G.square().mean()), 1e-12)
                                 for G in self.styles_Y_gram]


def _initial_image(content_X: torch.Tensor, s: StyleSettings) -> torch.Tensor:
    if s.init == "content":
        return content_X.clone()
    generator = torch.Generator().manual_seed(s.seed)
    noise = torch.rand(content_X.shape, generator=generator)
    mean = torch.tensor((0.485, 0.456, 0.406)).view(1, 3, 1, 1)
    std = torch.tensor((0.229, 0.224, 0.225)).view(1, 3, 1, 1)
    return torch.empty_like(content_X).copy_((noise - mean) / std)  # the content's layout


def _check_layers(s: StyleSettings, net: torch.nn.Sequential) -> None:
    if s.deepest_layer() >= len(net):
        raise ValueError(f"layer {layer_name(s.deepest_layer())} is past the "
                         f"{len(net)} layers loaded.")


def style_transfer(content: np.ndarray, style: np.ndarray, *,
                   settings: LiveSettings | StyleSettings,
                   control: JobControl | None = None, style_net: StyleNet | None = None,
                   device: str | torch.device = "cpu") -> Iterator[object]:
    """Synthesise an image with ``content``'s content and ``style``'s style.

    Args:
        content, style (np.ndarray[H, W, 3] uint8): any sizes; resized so the longer side
            is ``image_size`` (aspect kept; a notice says when an image was shrunk).
        settings: read again before every step when a :class:`LiveSettings`. Changes of
            weights, lr (applied with the schedule's decay so far), layers (targets
            recomputed), ``normalize`` and ``num_epochs`` take effect at the next step;
            ``image_size``
            and ``init`` only at the next run.
        control: stop / pause; checked once per step.
        style_net: the feature stack (default: the untrained fallback).
        device: where to compute.

    Yields:
        StyleStarted, then StyleProgress every ``yield_every`` steps (and after the last),
        then StyleFinished. A non-finite loss or image ends the run with reason
        "diverged" and the last good image.
    """
    live = settings if isinstance(settings, LiveSettings) else LiveSettings(settings)
    control = control or JobControl()
    style_net = style_net or untrained_features()
    net = style_net.net.to(device)
    s = live.get()
    _check_layers(s, net)
    normalize = style_net.approximate if s.normalize is None else s.normalize

    notices = []
    h, w = fit_shape(content.shape[0], content.shape[1], s.image_size)
    sh, sw = fit_shape(style.shape[0], style.shape[1], s.image_size)
    for what, img, shape in (("content", content, (h, w)), ("style", style, (sh, sw))):
        if max(img.shape[:2]) > s.image_size:
            notices.append(f"{what} image {img.shape[1]}×{img.shape[0]} downscaled to "
                           f"{shape[1]}×{shape[0]}")
    # oneDNN's convolutions run faster on channels-last tensors on a CPU (VGG-19 fwd +
    # bwd at 300×450: about 10–20 % here; benchmarks/style_transfer.py)
    layout = (torch.channels_last if torch.device(device).type == "cpu"
              else torch.contiguous_format)
    net = net.to(memory_format=layout)
    content_X = preprocess(content, (h, w)).to(device, memory_format=layout)
    style_X = preprocess(style, (sh, sw)).to(device, memory_format=layout)
    targets = _Targets(net, content_X, style_X, s, normalize)
    X = _initial_image(content_X, s).requires_grad_(True)
    trainer = torch.optim.Adam([X], lr=s.lr)
    base_lr = s.lr
    yield StyleStarted((h, w), (sh, sw), style_net.label, style_net.approximate, normalize,
                       str(device), tuple(notices))

    last_good = X.detach().clone()
    epoch, step_time, steps_timed = 0, 0.0, 0
    while epoch < live.get().num_epochs:
        if control.should_stop():
            yield StyleFinished(epoch, "stopped", postprocess(last_good))
            return
        s = live.get()
        normalize = style_net.approximate if s.normalize is None else s.normalize
        if (s.content_layers, s.style_layers, normalize) != targets.key:
            _check_layers(s, net)
            targets = _Targets(net, content_X, style_X, s, normalize)
        if s.lr != base_lr:
            base_lr = s.lr
        lr = base_lr * s.lr_decay ** (epoch // s.lr_decay_epoch)
        for group in trainer.param_groups:
            group["lr"] = lr
        t0 = time.perf_counter()
        trainer.zero_grad(set_to_none=True)
        contents_Y_hat, styles_Y_hat = extract_features(X, s.content_layers, s.style_layers,
                                                        net=net)
        contents_l, styles_l, tv_l, total = compute_loss(
            X, contents_Y_hat, styles_Y_hat, targets.contents_Y, targets.styles_Y_gram,
            content_weight=s.content_weight, style_weight=s.style_weight,
            tv_weight=s.tv_weight, content_scales=targets.content_scales,
            style_scales=targets.style_scales)
        losses = [float(sum(c.detach() for c in contents_l)) if contents_l else 0.0,
                  float(sum(c.detach() for c in styles_l)) if styles_l else 0.0,
                  float(tv_l.detach())]
        if not all(math.isfinite(v) for v in losses):
            yield _diverged(epoch, last_good, f"the loss became non-finite at step "
                            f"{epoch + 1} (content {losses[0]:.3g}, style {losses[1]:.3g}, "
                            f"TV {losses[2]:.3g}); lower the weights or the lr.")
            return
        if total.requires_grad:  # all weights 0 and nothing to optimise otherwise
            total.backward()
            trainer.step()
        if not bool(torch.isfinite(X).all()):
            yield _diverged(epoch, last_good, f"the image became non-finite at step "
                            f"{epoch + 1}; lower the lr.")
            return
        epoch += 1
        step_time += time.perf_counter() - t0
        steps_timed += 1
        last_good = X.detach().clone()
        if epoch % s.yield_every == 0 or epoch >= live.get().num_epochs:
            yield StyleProgress(epoch, live.get().num_epochs, postprocess(X), *losses,
                                float(total.detach()), step_time / steps_timed, lr,
                                (s.content_weight, s.style_weight, s.tv_weight))
            step_time, steps_timed = 0.0, 0
    yield StyleFinished(epoch, "done", postprocess(last_good))


def _diverged(epoch: int, last_good: torch.Tensor, message: str) -> StyleFinished:
    return StyleFinished(epoch, "diverged", postprocess(last_good), message)


def book_settings(**changes: object) -> StyleSettings:
    """The book's settings (d2l 14.12), with ``changes``."""
    return StyleSettings().with_changes(**changes)


#: Weights for the untrained network's normalised losses: each layer's loss is a
#: relative error of order 1, so the book's style weight 1e4 would drown the content
#: and TV terms (the picture only blurs into noise). Style 10 and TV 1 keep the content's
#: shapes while its colours and grain take the style's (style 100 / TV 10 washed the cat
#: out to the style's palette with only its outlines left; docs/style-tab.png).
APPROXIMATE_WEIGHTS = {"content_weight": 1.0, "style_weight": 10.0, "tv_weight": 1.0}
#: On a CPU the tab starts smaller than the book's 300×450 × 500 steps so that a run
#: shows a stylised picture within minutes (the book's values are one click away).
CPU_SIZE = {"image_size": 256, "num_epochs": 200}


def default_settings(*, approximate: bool = False, cpu: bool = False) -> StyleSettings:
    """The book's settings, with the untrained net's weights and/or a CPU-sized run."""
    changes: dict[str, object] = {}
    if approximate:
        changes.update(APPROXIMATE_WEIGHTS)
    if cpu:
        changes.update(CPU_SIZE)
    return book_settings(**changes)


def layers_text(layers: Sequence[int]) -> str:
    return ", ".join(f"{layer_name(i)} ({i})" for i in layers) or "none"
