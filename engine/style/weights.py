"""Where the VGG-19 feature weights come from: torchvision's cache, a file, or nowhere.

* ``imagenet`` — torchvision's ``VGG19_Weights.IMAGENET1K_V1`` through its own API and
  cache (``torch.hub.get_dir()/checkpoints``); downloaded only when allowed.
* ``file`` — a ``.pth`` the user picks, read with ``torch.load(weights_only=True)`` and
  checked tensor by tensor against the VGG-19 ``features`` layout.
* ``untrained`` — offline with neither: VGG-19 ``features`` with torchvision's
  initialisation from a fixed seed. Random features still carry texture statistics, but
  only with per-layer loss normalisation; results are an approximation of the book's and
  are labelled so (``StyleNet.approximate``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import torch
from torch import nn

from engine.style.features import NUM_LAYERS, expected_shapes, vgg19_features

SOURCES = ("auto", "imagenet", "file", "untrained")
#: ``torchvision.models.VGG19_Weights.IMAGENET1K_V1.url`` (a test checks they agree):
#: written here so that asking "is it cached?" does not import torchvision (seconds).
IMAGENET_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"
UNTRAINED_SEED = 0


@dataclass(frozen=True)
class StyleNet:
    """A frozen feature stack (eval mode, no parameter needs a gradient) and its origin.

    Attributes:
        net: the first ``len(net)`` modules of VGG-19 ``features``.
        source: "imagenet", "file" or "untrained".
        label: what the UI shows, e.g. "ImageNet VGG-19 (torchvision cache)".
        approximate: True for the untrained fallback.
        notice: why a fallback was taken ("" if none).
    """

    net: nn.Sequential
    source: str
    label: str
    approximate: bool = False
    notice: str = ""


def imagenet_cache_path() -> Path:
    """Where torchvision keeps ``VGG19_Weights.IMAGENET1K_V1`` once downloaded (the
    file name ``torch.hub.load_state_dict_from_url`` derives from the URL)."""
    name = os.path.basename(urlparse(IMAGENET_URL).path)
    return Path(torch.hub.get_dir()) / "checkpoints" / name


def imagenet_weights_cached() -> bool:
    return imagenet_cache_path().is_file()


def _freeze(net: nn.Sequential) -> nn.Sequential:
    net.requires_grad_(False)
    return net.eval()


def _features_only(state: dict[str, object]) -> dict[str, object]:
    """Accept a whole VGG-19 state dict (``features.0.weight``…) or ``features``' own."""
    for wrapper in ("state_dict", "model"):
        inner = state.get(wrapper)
        if isinstance(inner, dict) and len(state) <= 3:
            state = inner
    if any(k.startswith("features.") for k in state):
        return {k[len("features."):]: v for k, v in state.items() if k.startswith("features.")}
    return dict(state)


def check_features_state(state: dict[str, object], *, prefix: str = "features.") -> None:
    """Raise ValueError naming the first tensor that does not fit VGG-19 ``features``."""
    for key, shape in expected_shapes().items():
        name = prefix + key
        value = state.get(key)
        if value is None:
            raise ValueError(f"this is not a VGG-19 weights file: tensor '{name}' "
                             f"{shape} is missing.")
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"tensor '{name}' is a {type(value).__name__}, not a tensor.")
        if tuple(value.shape) != shape:
            raise ValueError(f"this is not a VGG-19 weights file: tensor '{name}' has shape "
                             f"{tuple(value.shape)}, VGG-19 needs {shape}.")
        if not value.is_floating_point() or not bool(torch.isfinite(value).all()):
            raise ValueError(f"tensor '{name}' holds non-finite or non-float values.")


def _load_state(net: nn.Sequential, state: dict[str, object]) -> nn.Sequential:
    wanted = {k: state[k] for k in net.state_dict()}
    net.load_state_dict(wanted, strict=True)
    return _freeze(net)


def load_imagenet_features(*, allow_download: bool = False,
                           num_layers: int = NUM_LAYERS) -> StyleNet:
    """The book's pre-trained VGG-19 from torchvision's cache (downloaded if allowed).

    Raises:
        ValueError: not cached and download not allowed, or the download failed.
    """
    from torchvision.models import VGG19_Weights

    if VGG19_Weights.IMAGENET1K_V1.url != IMAGENET_URL:  # a torchvision that moved it
        raise ValueError(f"this torchvision keeps the VGG-19 weights at "
                         f"{VGG19_Weights.IMAGENET1K_V1.url}, not {IMAGENET_URL}.")
    cached = imagenet_weights_cached()
    if not cached and not allow_download:
        raise ValueError(f"the ImageNet VGG-19 weights are not in torchvision's cache "
                         f"({imagenet_cache_path()}); allow the download (548 MB) or pick "
                         f"a .pth file.")
    try:
        state = VGG19_Weights.IMAGENET1K_V1.get_state_dict(progress=False, weights_only=True)
    except Exception as exc:  # network errors, a corrupt cache file
        raise ValueError(f"the ImageNet VGG-19 weights could not be "
                         f"{'read' if cached else 'downloaded'}: {exc}") from exc
    features = _features_only(state)
    check_features_state(features)
    net = _load_state(vgg19_features(num_layers), features)
    where = "torchvision cache" if cached else "downloaded to torchvision's cache"
    return StyleNet(net, "imagenet", f"ImageNet VGG-19 ({where})")


def load_features_file(path: str | os.PathLike[str], *,
                       num_layers: int = NUM_LAYERS) -> StyleNet:
    """VGG-19 weights from a ``.pth`` (whole-model or ``features`` state dict).

    Raises:
        ValueError: unreadable, not a state dict, or a tensor missing / of the wrong shape
            (the message names the first such tensor).
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"'{path}' does not exist.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, pickle of arbitrary objects, not torch
        raise ValueError(f"'{path.name}' is not a readable PyTorch weights file "
                         f"(truncated, or not saved with torch.save): {exc}") from exc
    if not isinstance(state, dict):
        raise ValueError(f"'{path.name}' holds a {type(state).__name__}, not a state dict.")
    features = _features_only(state)
    check_features_state(features)
    net = _load_state(vgg19_features(num_layers), features)
    return StyleNet(net, "file", f"VGG-19 weights from {path.name}")


def untrained_features(*, num_layers: int = NUM_LAYERS, seed: int = UNTRAINED_SEED,
                       notice: str = "") -> StyleNet:
    """VGG-19 ``features`` with torchvision's VGG initialisation from ``seed`` (frozen)."""
    net = vgg19_features(num_layers)
    generator = torch.Generator().manual_seed(seed)
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu",
                                    generator=generator)
            nn.init.zeros_(m.bias)
    return StyleNet(_freeze(net), "untrained",
                    "untrained VGG-19 (random features, per-layer normalised): approximate",
                    approximate=True, notice=notice)


def load_style_net(source: str = "auto", *, path: str | os.PathLike[str] | None = None,
                   allow_download: bool = False, num_layers: int = NUM_LAYERS) -> StyleNet:
    """The feature net for ``source`` (see the module docstring).

    ``auto`` takes the ImageNet weights when cached (or when download is allowed and it
    works), else the untrained fallback with a ``notice`` saying why.
    """
    if source not in SOURCES:
        raise ValueError(f"weights source must be one of {', '.join(SOURCES)}, got {source!r}.")
    if source == "imagenet":
        return load_imagenet_features(allow_download=allow_download, num_layers=num_layers)
    if source == "file":
        if not path:
            raise ValueError("pick a .pth file with VGG-19 weights first.")
        return load_features_file(path, num_layers=num_layers)
    if source == "untrained":
        return untrained_features(num_layers=num_layers)
    try:
        return load_imagenet_features(allow_download=allow_download, num_layers=num_layers)
    except ValueError as exc:
        return untrained_features(num_layers=num_layers, notice=str(exc))
