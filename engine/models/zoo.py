"""Named networks beyond the builder, and ``build_model(ref)`` for every ``ModelRef``.

Zoo entries build a module from options (``num_classes`` and ``in_channels`` default to
the data's). Pretrained weights come from torchvision's weights API and its cache
(``torch.hub`` checkpoints folder): offline-first, a missing file is downloaded only
when the run allows downloads; without it the network starts from random init and
``BuiltModel.weights`` says so, for every surface to show. A user's ``.pth`` is read
with ``torch.load(weights_only=True)`` and checked tensor by tensor against the
architecture before loading.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from engine.models.ref import ModelRef

PRETRAINED = "pretrained"


@dataclass(frozen=True)
class ZooEntry:
    """A named network.

    Attributes:
        name: registry key, e.g. ``"resnet18"``.
        title: human label.
        task: the task it is made for.
        build: ``build(num_classes=..., in_channels=..., **options) -> nn.Module``.
        options: other options with defaults.
        head: parameter-name prefix of the output layer (a param-group target, e.g.
            ``{"prefix": "fc.", "lr_mult": 10}`` for fine-tuning). Entries with a head
            accept the option ``head_init`` (an init scheme, e.g. ``"xavier"``): the
            head is re-initialised after any pretrained weights are loaded.
        pretrained: ``(torchvision weights enum, its member)`` or None.
        description: a sentence for tooltips.
    """

    name: str
    title: str
    task: str
    build: Callable[..., nn.Module]
    options: dict[str, Any] = field(default_factory=dict)
    head: str = ""
    pretrained: tuple[str, str] | None = None
    description: str = ""


@dataclass(frozen=True, eq=False)
class BuiltModel:
    """A built network and how its weights started.

    Attributes:
        net: the module.
        ref: the ``ModelRef`` it was built from.
        spec: the ``NetworkSpec`` actually built (input shape of the data) for spec /
            preset refs, else None.
        weights: e.g. ``"random init"``, ``"pretrained ResNet18_Weights.IMAGENET1K_V1
            (head re-initialised for 10 classes)"``, ``"random init — pretrained weights
            not in the cache and downloads are off"``, ``"loaded from my.pth"``.
    """

    net: nn.Module
    ref: ModelRef
    spec: Any = None
    weights: str = "random init"


def _resnet18(*, num_classes: int, in_channels: int) -> nn.Module:
    from torchvision.models import resnet18

    net = resnet18(weights=None, num_classes=num_classes)
    if in_channels != 3:
        net.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return net


def _toy_fcn(*, num_classes: int, in_channels: int, hidden: int = 8) -> nn.Module:
    from engine.models.toys import ToyFCN

    return ToyFCN(in_channels, num_classes, hidden)


def _fcn(*, num_classes: int, in_channels: int, stride: int = 32) -> nn.Module:
    from engine.segmentation.network import FCN

    return FCN(num_classes, in_channels=in_channels, stride=stride)


def _toy_ssd(*, num_classes: int, in_channels: int) -> nn.Module:
    from engine.models.toys import ToySSD

    return ToySSD(in_channels, num_classes)


def _tiny_ssd(*, num_classes: int, in_channels: int) -> nn.Module:
    from engine.detection.ssd import TinySSD

    return TinySSD(num_classes, in_channels)


ZOO: dict[str, ZooEntry] = {e.name: e for e in (
    ZooEntry("resnet18", "ResNet-18 (torchvision)", "classification", _resnet18, head="fc.",
             pretrained=("ResNet18_Weights", "DEFAULT"),
             description="torchvision's ResNet-18 with N classes (d2l 8.6); pretrained "
                         "ImageNet weights from torchvision's cache when asked."),
    ZooEntry("toy-fcn", "Toy FCN (per-pixel)", "segmentation", _toy_fcn, {"hidden": 8},
             head="head.", description="3x3 conv, ReLU, 1x1 conv to k classes per pixel."),
    ZooEntry("fcn", "FCN (ResNet-18 body, d2l 14.11)", "segmentation", _fcn, {"stride": 32},
             head="final_conv.", pretrained=("ResNet18_Weights", "DEFAULT"),
             description="The book's fully convolutional network: ResNet-18 without its "
                         "last two children, a 1x1 conv to k classes and a bilinear-"
                         "initialised ConvTranspose2d(k=64, s=32, p=16); stride 16 or 8 is "
                         "a lighter setting for small images. Pretrained ImageNet backbone "
                         "from torchvision's cache when asked."),
    ZooEntry("toy-ssd", "Toy SSD (boxes)", "detection", _toy_ssd, head="cls_head.",
             description="One-scale SSD returning (anchors, cls_preds, bbox_preds), as "
                         "TinySSD does (d2l 14.7)."),
    ZooEntry("tiny-ssd", "TinySSD (the book's detector)", "detection", _tiny_ssd,
             head="cls_", description="d2l 14.7's single-shot multibox detector: five "
             "stages (32, 16, 8, 4, 1 px feature maps for 256 px images), 4 anchors per "
             "pixel, 5,444 anchors; returns (anchors, cls_preds, bbox_preds)."),
)}


def zoo_entry(name: str) -> ZooEntry:
    try:
        return ZOO[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; the zoo has {', '.join(ZOO)}") from None


def build_model(ref: ModelRef, *, input_shape: tuple[int, ...] | None = None,
                num_classes: int | None = None, allow_download: bool = False) -> BuiltModel:
    """Build the network ``ref`` names, for data of ``input_shape`` and ``num_classes``.

    Raises:
        ValueError: unknown preset / zoo name or option, a spec that does not fit the
            data, a weights file that is missing, unreadable or of another architecture
            (the message names the first mismatched tensor).
    """
    if ref.kind in ("spec", "preset"):
        built = _build_spec(ref, input_shape)
    else:
        built = _build_zoo(ref, input_shape, num_classes, allow_download)
    if ref.weights not in (None, PRETRAINED):
        new_head = ref.kind == "zoo" and ref.options.get("head_init") is not None
        kept = load_weights_file(built.net, ref.weights,
                                 head=zoo_entry(ref.name).head if new_head else "")
        note = f"loaded from {Path(ref.weights).name}"
        if kept:
            note += f" (new head kept: {', '.join(kept)} of another size in the file)"
        built = replace(built, weights=note)
    return built


def _build_spec(ref: ModelRef, input_shape: tuple[int, ...] | None) -> BuiltModel:
    from engine.builder import NetworkSpec, build, preset

    if ref.weights == PRETRAINED:
        raise ValueError("model.weights='pretrained' is only for zoo models; for a spec or "
                         "preset give the path of a .pth state dict")
    spec = preset(ref.name) if ref.kind == "preset" else NetworkSpec.from_dict(ref.spec or {})
    if input_shape is not None:
        spec = replace(spec, input_shape=(1, *input_shape))
    try:
        net = build(spec)
    except ValueError as exc:
        shape = "x".join(map(str, input_shape or ()))
        raise ValueError(f"the network {spec.name!r} does not fit examples of shape {shape}: "
                         f"{exc}") from exc
    init = f"random init ({spec.init} scheme)" if spec.init != "default" else "random init"
    return BuiltModel(net, ref, spec, init)


def _build_zoo(ref: ModelRef, input_shape: tuple[int, ...] | None, num_classes: int | None,
               allow_download: bool) -> BuiltModel:
    entry = zoo_entry(ref.name)
    known = {"num_classes", "in_channels", *entry.options, *(("head_init",) if entry.head else ())}
    unknown = sorted(set(ref.options) - known)
    if unknown:
        raise ValueError(f"model.options: unknown option {unknown[0]!r} for {ref.name!r}; it "
                         f"accepts {', '.join(sorted(known))}")
    opts = {**entry.options, **{k: v for k, v in ref.options.items() if v is not None}}
    head_init = opts.pop("head_init", None)
    opts.setdefault("num_classes", num_classes if num_classes is not None else 10)
    channels = input_shape[0] if input_shape and len(input_shape) == 3 else 3
    opts.setdefault("in_channels", channels)
    try:
        net = entry.build(**opts)
    except TypeError as exc:
        raise ValueError(f"model.options for {ref.name!r}: {exc}") from exc
    note = "random init"
    if ref.weights == PRETRAINED:
        note = _load_pretrained(net, entry, opts, allow_download)
    if head_init is not None:
        note += f"; new {head_init} head {entry.head.rstrip('.')}"
        _init_head(net, entry.head, head_init)
    return BuiltModel(net, ref, None, note)


def _init_head(net: nn.Module, head: str, scheme: str) -> None:
    """Re-initialise the head's layers (d2l 14.2: a new output layer, Xavier-uniform)."""
    from engine.builder.init_schemes import INIT_FUNCTIONS

    fn = INIT_FUNCTIONS.get(scheme)
    if fn is None:
        raise ValueError(f"model.options.head_init={scheme!r}: choose one of "
                         f"{', '.join(k for k, v in INIT_FUNCTIONS.items() if v)}")
    for name, module in net.named_modules():
        if name and f"{name}.".startswith(head):
            fn(module)


def pretrained_file(name: str) -> Path:
    """Where torchvision's cache keeps zoo entry ``name``'s pretrained weights (the file
    may be missing; ``ValueError`` for an entry without pretrained weights)."""
    entry = zoo_entry(name)
    if entry.pretrained is None:
        raise ValueError(f"{name} has no pretrained weights")
    import torchvision.models as tvm

    enum_name, member = entry.pretrained
    weights = getattr(getattr(tvm, enum_name), member)
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name


def _load_pretrained(net: nn.Module, entry: ZooEntry, opts: dict[str, Any],
                     allow_download: bool) -> str:
    """torchvision's weights into ``net``, all but a head of another size; a sentence."""
    if entry.pretrained is None:
        return f"random init — {entry.name} has no pretrained weights"
    import torchvision.models as tvm

    enum_name, member = entry.pretrained
    weights = getattr(getattr(tvm, enum_name), member)
    cache = pretrained_file(entry.name)
    if cache.is_file():
        state = torch.load(cache, map_location="cpu", weights_only=True)
    elif allow_download:
        try:
            state = weights.get_state_dict(progress=False)
        except Exception as exc:  # URLError, OSError: offline
            return (f"random init — could not download {enum_name}.{member} "
                    f"({type(exc).__name__}); offline")
    else:
        return (f"random init — pretrained {enum_name}.{member} is not in torchvision's "
                f"cache ({cache.parent}) and downloads are off")
    own = net.state_dict()
    fitting = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    skipped = sorted(set(own) - set(fitting))
    net.load_state_dict(fitting, strict=False)
    label = f"pretrained {enum_name}.{weights.name}"
    if skipped:
        label += f" (re-initialised: {', '.join(skipped[:4])}{' …' if len(skipped) > 4 else ''})"
    return label


def check_state_dict(net: nn.Module, state: Mapping[str, Any], *, source: str) -> None:
    """Refuse ``state`` unless it has exactly ``net``'s tensors with the same shapes.

    Raises:
        ValueError: naming the first missing, unexpected or mis-shaped tensor.
    """
    own = net.state_dict()
    for key, value in own.items():
        if key not in state:
            raise ValueError(f"{source} does not fit this network: it has no tensor {key!r} "
                             f"(shape {tuple(value.shape)}) — it was saved from another "
                             f"architecture")
        other = state[key]
        if not isinstance(other, torch.Tensor):
            raise ValueError(f"{source}: entry {key!r} is not a tensor")
        if tuple(other.shape) != tuple(value.shape):
            raise ValueError(f"{source} does not fit this network: tensor {key!r} has shape "
                             f"{tuple(other.shape)} but the network's is {tuple(value.shape)}")
    extra = [k for k in state if k not in own]
    if extra:
        raise ValueError(f"{source} does not fit this network: unexpected tensor "
                         f"{extra[0]!r} — it was saved from another architecture")


def load_weights_file(net: nn.Module, path: str | Path, *, head: str = "") -> list[str]:
    """Load a user's ``.pth`` state dict (or one of our checkpoints) into ``net``.

    ``head``: a parameter-name prefix whose tensors may be missing from the file or of
    another size (fine-tuning a new head on a file's body); those keep the network's
    values and their names are returned. Every other tensor must fit exactly.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise ValueError(f"model.weights: file {path} does not exist; pick a .pth state dict")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"model.weights: {path.name} is not a readable PyTorch weights file "
                         f"({type(exc).__name__}); weights_only files of tensors only") from exc
    if isinstance(state, Mapping) and isinstance(state.get("model_state"), Mapping):
        state = state["model_state"]  # one of our checkpoints
    elif isinstance(state, Mapping) and isinstance(state.get("state_dict"), Mapping):
        state = state["state_dict"]
    if not isinstance(state, Mapping):
        raise ValueError(f"model.weights: {path.name} holds a {type(state).__name__}, not a "
                         f"state dict")
    state = dict(state)
    kept: list[str] = []
    if head:
        own = net.state_dict()
        kept = [k for k in own if k.startswith(head) and (
            k not in state or getattr(state[k], "shape", None) != own[k].shape)]
        state = {k: v for k, v in state.items() if not (k.startswith(head) and (
            k not in own or k in kept))}
        state.update({k: own[k] for k in kept})
    check_state_dict(net, state, source=f"weights file {path.name}")
    net.load_state_dict(state)
    return kept
