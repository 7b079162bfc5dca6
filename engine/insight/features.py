"""Feature maps: what each layer of a network makes of one input (CNN Explainer's view).

``feature_maps(net, x)`` runs one forward pass with forward hooks on the chosen layers
(every convolution by default) and returns each layer's output as CPU numpy, for
builder-made ``nn.Sequential`` nets and zoo models alike. ``inspect_input`` does the
same pass and also returns the top-k predictions; ``fit_input`` turns any RGB image
into what a network expects (channels, size), saying what it changed.

>>> from engine.builder import build, preset
>>> net = build(preset("lenet"))
>>> [m.shape for m in feature_maps(net, torch.zeros(1, 28, 28))]
[(6, 28, 28), (16, 10, 10)]
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor, nn

from engine.training.hooks import Hook, LoopState

CONV_TYPES = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d)


@dataclass(frozen=True, eq=False)
class FeatureMap:
    """One layer's output for one input.

    Attributes:
        name: the module's name in ``net.named_modules()`` (e.g. ``"0"``, ``"layer1.0.conv1"``).
        kind: the module's class name (``"Conv2d"``).
        shape: the output's shape without the batch axis, e.g. ``(6, 28, 28)``.
        activation (np.ndarray[*shape], float32): the output values.
    """

    name: str
    kind: str
    shape: tuple[int, ...]
    activation: np.ndarray

    @property
    def label(self) -> str:
        return f"{self.name} · {self.kind} · {'×'.join(map(str, self.shape))}"


@dataclass(frozen=True, eq=False)
class Prediction:
    """Top-k classes of one input: indices, softmax probabilities and names."""

    classes: tuple[int, ...]
    probs: tuple[float, ...]
    names: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Inspection:
    """``inspect_input``'s answer: the maps, the predictions, the input as used."""

    maps: tuple[FeatureMap, ...]
    prediction: Prediction | None
    input: np.ndarray  # (C, H, W) float32, what went into the network
    step: int = 0  # the training step it was taken at (0 outside training)
    epoch: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)


def unwrap(net: nn.Module) -> nn.Module:
    """The network inside a DDP / DataParallel wrapper."""
    return getattr(net, "module", net)


def conv_layers(net: nn.Module) -> list[tuple[str, nn.Module]]:
    """``(name, module)`` of every convolution of ``net``, in forward-definition order."""
    return [(n, m) for n, m in unwrap(net).named_modules() if isinstance(m, CONV_TYPES)]


def _select(net: nn.Module, layers: Sequence[str] | None) -> list[tuple[str, nn.Module]]:
    if layers is None:
        chosen = conv_layers(net)
        if not chosen:
            raise ValueError("this network has no convolutional layer, so it has no feature "
                             "maps to show; build one with Conv2d layers (e.g. the LeNet "
                             "preset)")
        return chosen
    modules = dict(unwrap(net).named_modules())
    missing = [name for name in layers if name not in modules]
    if missing:
        names = ", ".join(n for n in list(modules)[1:8])
        raise ValueError(f"layers: the network has no module {missing[0]!r}; its modules "
                         f"are named like {names}")
    return [(name, modules[name]) for name in layers]


def _batch(net: nn.Module, x: Tensor) -> Tensor:
    if not isinstance(x, Tensor):
        raise ValueError(f"x must be a tensor (C, H, W), not {type(x).__name__}")
    if x.dim() in (1, 3):
        x = x.unsqueeze(0)
    if x.shape[0] != 1:
        raise ValueError(f"x must be one example (C, H, W) or (1, C, H, W); got shape "
                         f"{tuple(x.shape)}")
    param = next(unwrap(net).parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    return x.detach().to(device, torch.float32)


def _forward_with_hooks(net: nn.Module, x: Tensor, chosen: list[tuple[str, nn.Module]]
                        ) -> tuple[list[FeatureMap], object]:
    net = unwrap(net)
    outputs: dict[str, Tensor] = {}

    def keep(name: str):
        def hook(module: nn.Module, args: object, out: object) -> None:
            if isinstance(out, Tensor):
                outputs[name] = out.detach()
        return hook

    handles = [m.register_forward_hook(keep(name)) for name, m in chosen]
    was_training = net.training
    net.eval()  # batch norm with running statistics, no dropout: the net as it predicts
    try:
        with torch.no_grad():
            try:
                y_hat = net(x)
            except RuntimeError as exc:
                raise ValueError(f"the network does not take an input of shape "
                                 f"{tuple(x.shape[1:])}: {exc}") from exc
    finally:
        for h in handles:
            h.remove()
        net.train(was_training)
    maps = []
    for name, module in chosen:
        out = outputs.get(name)
        if out is None:
            continue  # a module the forward pass did not use
        maps.append(FeatureMap(name, type(module).__name__, tuple(out.shape[1:]),
                               out[0].float().cpu().numpy()))
    return maps, y_hat


def feature_maps(net: nn.Module, x: Tensor, *, layers: Sequence[str] | None = None
                 ) -> list[FeatureMap]:
    """Each chosen layer's output for one input, via forward hooks.

    Args:
        net: any module (spec-built, zoo, DDP-wrapped); run in eval mode, restored after.
        x (Tensor[C, H, W] or [1, C, H, W]): the input, moved to the net's device.
        layers: module names (``net.named_modules()``); None = every convolution.

    Returns:
        One ``FeatureMap`` per layer the forward pass ran, in the order asked.

    Raises:
        ValueError: no convolution (with ``layers=None``), an unknown layer name, or an
            input the network cannot take (the message has the shapes).
    """
    maps, _ = _forward_with_hooks(net, _batch(net, x), _select(net, layers))
    return maps


def top_k(logits: Tensor, k: int = 5, class_names: Sequence[str] = ()) -> Prediction:
    """The ``k`` most probable classes of ``logits (Tensor[1, C] or [C])``."""
    scores = logits.detach().float().reshape(-1).cpu()
    probs = torch.softmax(scores, 0)
    k = max(1, min(k, probs.numel()))
    values, idx = probs.topk(k)
    names = tuple(class_names[i] if i < len(class_names) else f"class {i}"
                  for i in idx.tolist())
    return Prediction(tuple(idx.tolist()), tuple(values.tolist()), names)


def inspect_input(net: nn.Module, x: Tensor, *, layers: Sequence[str] | None = None,
                  k: int = 5, class_names: Sequence[str] = (), step: int = 0,
                  epoch: int = 0) -> Inspection:
    """``feature_maps`` and the top-k predictions from the same forward pass.

    A network without convolutions still gets its predictions (and no maps, with a note);
    predictions are None when the output is not one row of class scores.
    """
    batch = _batch(net, x)
    notes: list[str] = []
    try:
        chosen = _select(net, layers)
    except ValueError as exc:
        if layers is not None:
            raise
        chosen, notes = [], [str(exc)]
    maps, y_hat = _forward_with_hooks(net, batch, chosen)
    prediction = None
    if isinstance(y_hat, Tensor) and y_hat.dim() == 2 and y_hat.shape[1] > 1:
        prediction = top_k(y_hat, k, class_names)
    else:
        notes.append("the network's output is not a row of class scores, so there are no "
                     "predictions to rank")
    return Inspection(tuple(maps), prediction, batch[0].cpu().numpy(), step, epoch,
                      tuple(notes))


def fit_input(image: np.ndarray, input_shape: Sequence[int], *,
              mean: Sequence[float] | None = None, std: Sequence[float] | None = None
              ) -> tuple[Tensor, list[str]]:
    """An RGB (or grey) uint8 image made into the network's input, and what was changed.

    Args:
        image (np.ndarray[H, W, 3] or [H, W], uint8): e.g. ``load_image(path).array``.
        input_shape: the network's ``(C, H, W)``; C must be 1 or 3.
        mean, std: per-channel normalisation the network was trained with (ImageNet
            statistics for a fine-tuned ResNet), or None.

    Returns:
        ``(Tensor[C, H, W] float32, notes)``; notes say e.g. "resized from 640×480 to
        28×28" and "converted to greyscale".

    Raises:
        ValueError: a network that does not take images (the message says what it takes).
    """
    from torchvision.transforms.v2 import functional as TF

    from engine.images import to_tensor

    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 3 or shape[0] not in (1, 3):
        raise ValueError(f"this network takes inputs of shape {'×'.join(map(str, shape))}, "
                         f"not images; pick a network with an image input (channels 1 or 3, "
                         f"height, width)")
    x = to_tensor(np.asarray(image))
    notes = []
    if x.shape[0] != shape[0]:
        if shape[0] == 1:
            x = TF.rgb_to_grayscale(x if x.shape[0] == 3 else x.expand(3, -1, -1))
            notes.append("converted to greyscale (the network takes 1 channel)")
        else:
            x = x.expand(3, -1, -1).contiguous()
            notes.append("grey image repeated to 3 channels (the network takes RGB)")
    if tuple(x.shape[1:]) != shape[1:]:
        notes.append(f"resized from {x.shape[2]}×{x.shape[1]} to {shape[2]}×{shape[1]} "
                     f"(width × height the network takes)")
        x = TF.resize(x, list(shape[1:]), antialias=True)
    if mean is not None and std is not None:
        x = TF.normalize(x, list(mean), list(std))
        notes.append("normalised with the training data's mean and standard deviation")
    return (x if mean is not None else x.clamp_(0, 1)), notes



@dataclass(frozen=True, eq=False)
class LiveNetwork:
    """A ``FeatureMapHook``'s first event: what the network being trained takes."""

    name: str
    input_shape: tuple[int, ...]
    class_names: tuple[str, ...]
    dataset: str | None
    data_root: str | None


class FeatureMapHook(Hook):
    """Feature maps of the current weights during training, on request.

    ``request()`` may be called from any thread (the UI's); at the next batch end the
    training thread runs ``inspect_input`` on ``x`` and yields the ``Inspection``, so the
    network is only touched by the thread that trains it. ``every`` > 0 also refreshes
    every that many batches. At the start it yields a ``LiveNetwork`` (from ``run()``'s
    facts) so a viewer knows what input to send. An input the network cannot take gives
    an ``Inspection`` without maps whose note says why; training goes on.

    Args:
        x (Tensor[C, H, W] or None): the input to look at (None: wait for ``request``).
        layers, k, class_names: as ``inspect_input``.
    """

    def __init__(self, x: Tensor, *, layers: Sequence[str] | None = None, k: int = 5,
                 class_names: Sequence[str] = (), every: int = 0) -> None:
        self.x, self.layers, self.k, self.class_names = x, layers, k, tuple(class_names)
        self.every = every
        self._wanted = threading.Event()
        self._count = 0

    def request(self, x: Tensor | None = None) -> None:
        """Ask for maps at the next batch end (of ``x`` when given)."""
        if x is not None:
            self.x = x
        self._wanted.set()

    def run_start(self, state: LoopState) -> Iterable[object] | None:
        self._count = 0
        info = state.info
        bundle, config = getattr(info, "bundle", None), getattr(info, "config", None)
        if bundle is None:
            return None
        if not self.class_names:
            self.class_names = tuple(bundle.class_names)
        name = config.model.name if config is not None and config.model is not None else ""
        return [LiveNetwork(name, tuple(bundle.input_shape), tuple(bundle.class_names),
                            getattr(config, "dataset", None),
                            getattr(config, "data_root", None))]

    def batch_end(self, state: LoopState) -> Iterable[object] | None:
        self._count += 1
        due = self.every > 0 and self._count % self.every == 0
        if self.x is None or not (due or self._wanted.is_set()):
            return None
        self._wanted.clear()
        try:
            return [inspect_input(state.net, self.x, layers=self.layers, k=self.k,
                                  class_names=self.class_names, step=state.step,
                                  epoch=state.epoch)]
        except ValueError as exc:  # an input of another shape: say so, keep training
            return [Inspection((), None, np.asarray(self.x), state.step, state.epoch,
                               (str(exc),))]
