"""The book's fully convolutional network (d2l 14.11) and prediction on any image size.

``fcn()`` is exactly the book's network by default: the children of torchvision's
ResNet-18 without the last two (global pooling and the fully connected layer), a 1x1
convolution to the class count (Xavier-initialised) and ``ConvTranspose2d(k=64, s=32,
p=16)`` initialised with ``bilinear_kernel``. The layers keep ResNet-18's names
(``conv1``, ``bn1``, ``layer1`` ... then ``final_conv``, ``transpose_conv``) so
torchvision's pretrained weights load by name. ``stride=16`` or ``8`` is the lighter
setting for small inputs: it stops after ``layer3`` / ``layer2`` (256 / 128 channels)
and upsamples by 16 / 8 with a ``(2s, s, s/2)`` transposed convolution.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from engine.segmentation.transposed import bilinear_kernel
from engine.segmentation.voc import normalize_image

STRIDES = {32: ("layer4", 512), 16: ("layer3", 256), 8: ("layer2", 128)}
_ORDER = ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4")


class FCN(nn.Sequential):
    """``X (Tensor[B, C, H, W])`` -> logits ``Tensor[B, num_classes, H, W]`` for ``H, W``
    multiples of ``stride``. ``weights_source`` says how the backbone started."""

    def __init__(self, num_classes: int = 21, *, in_channels: int = 3, stride: int = 32
                 ) -> None:
        from torchvision.models import resnet18

        if stride not in STRIDES:
            raise ValueError(f"stride={stride!r} must be one of {', '.join(map(str, STRIDES))}")
        if not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(f"num_classes={num_classes!r} must be an integer >= 2")
        last, channels = STRIDES[stride]
        backbone = resnet18(weights=None)
        if in_channels != 3:
            backbone.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3,
                                       bias=False)
        names = _ORDER[:_ORDER.index(last) + 1]
        layers = OrderedDict((name, getattr(backbone, name)) for name in names)
        layers["final_conv"] = nn.Conv2d(channels, num_classes, kernel_size=1)
        layers["transpose_conv"] = nn.ConvTranspose2d(num_classes, num_classes,
                                                      kernel_size=2 * stride,
                                                      padding=stride // 2, stride=stride)
        super().__init__(layers)
        self.stride, self.num_classes = stride, num_classes
        self.weights_source = "random init"
        nn.init.xavier_uniform_(self.final_conv.weight)
        nn.init.zeros_(self.final_conv.bias)
        with torch.no_grad():
            self.transpose_conv.weight.copy_(bilinear_kernel(num_classes, num_classes,
                                                             2 * stride))
            self.transpose_conv.bias.zero_()

    def body(self, X: Tensor) -> Tensor:
        """The backbone's features (``Tensor[B, 512, H/32, W/32]`` for stride 32)."""
        for name, module in self.named_children():
            if name == "final_conv":
                break
            X = module(X)
        return X


def fcn(num_classes: int = 21, *, weights: str | None = None, stride: int = 32,
        in_channels: int = 3, allow_download: bool = False) -> FCN:
    """The book's FCN (see the module docstring).

    Args:
        num_classes: output classes (VOC: 21).
        weights: None (random backbone), ``"pretrained"`` (torchvision's ImageNet
            ResNet-18 from its cache; downloaded only with ``allow_download``; offline
            without it the backbone stays random and ``weights_source`` says so) or the
            path of a ``.pth`` of this whole network.
        stride: 32 (the book), 16 or 8 (lighter, for small inputs).

    Returns:
        The network; ``net.weights_source`` is a sentence for every surface.
    """
    from engine.models.ref import ModelRef
    from engine.models.zoo import build_model

    built = build_model(ModelRef.zoo("fcn", weights=weights, num_classes=num_classes,
                                     stride=stride, in_channels=in_channels),
                        allow_download=allow_download)
    built.net.weights_source = built.weights
    return built.net


@dataclass(frozen=True)
class Prediction:
    """A label map and its confidence for one image.

    Attributes:
        labels: ``np.ndarray[H, W], int64`` predicted class per pixel.
        confidence: ``np.ndarray[H, W], float32`` softmax probability of that class.
        notice: how the image was fitted to the network ("" when it fitted as is).
    """

    labels: np.ndarray
    confidence: np.ndarray
    notice: str = ""


def predict(net: nn.Module, image: np.ndarray | Tensor, *, device: torch.device | str | None = None,
            max_side: int = 1024) -> Prediction:
    """Per-pixel classes of ``image`` (any size), as the book's ``predict`` but without
    cropping the picture to 320x480: it is padded at the bottom / right to a multiple
    of the network's stride (with the mean colour, 0 after normalisation), predicted,
    and the padding cut off again. Images longer than ``max_side`` are predicted at a
    reduced size and the result scaled back (said in ``notice``).

    Args:
        net: maps ``Tensor[1, 3, H, W]`` (ImageNet-normalised) to ``[1, k, H, W]``.
        image: ``np.ndarray[H, W, 3] uint8`` (``engine.images.load_image``) or a tensor
            ``[3, H, W]`` (uint8, or float in [0, 1]).
        device: default the device of ``net``'s parameters.
    """
    x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1) if isinstance(
        image, np.ndarray) else image
    if x.dim() != 3 or x.shape[0] != 3:
        raise ValueError(f"predict needs an RGB image [H, W, 3], not shape {tuple(image.shape)}")
    if device is None:
        device = next(iter(net.parameters()), torch.empty(0)).device
    H, W = x.shape[1:]
    notice = ""
    x = normalize_image(x)
    if max(H, W) > max_side:
        scale = max_side / max(H, W)
        size = (max(1, round(H * scale)), max(1, round(W * scale)))
        x = F.interpolate(x[None], size=size, mode="bilinear", align_corners=False,
                          antialias=True)[0]
        notice = f"predicted at {size[1]}x{size[0]} and scaled back to {W}x{H}"
    stride = int(getattr(net, "stride", 32))
    h, w = x.shape[1:]
    ph, pw = -h % stride, -w % stride
    x = F.pad(x, (0, pw, 0, ph))
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            logits = net(x[None].to(device))[:, :, :h, :w]
            if logits.device.type == "cpu":  # reduce over a contiguous class axis (10x faster)
                probs = torch.softmax(logits[0].movedim(0, -1).contiguous(), dim=-1)
                conf, labels = probs.max(dim=-1)
            else:
                conf, labels = torch.softmax(logits[0], dim=0).max(dim=0)
            if (h, w) != (H, W):
                labels = F.interpolate(labels[None, None].float(), size=(H, W), mode="nearest"
                                       )[0, 0].long()
                conf = F.interpolate(conf[None, None], size=(H, W), mode="bilinear",
                                     align_corners=False)[0, 0]
    finally:
        net.train(was_training)
    return Prediction(labels.cpu().numpy(), conf.float().cpu().numpy(), notice)


def label2image(labels: np.ndarray, colormap: np.ndarray | list) -> np.ndarray:
    """The book's ``label2image``: ``labels (np.ndarray[H, W])`` -> RGB ``[H, W, 3] uint8``
    through ``colormap (Sequence[k, 3])``; values outside it are drawn white."""
    cmap = np.asarray(colormap, dtype=np.uint8)
    table = np.vstack([cmap, np.full((1, 3), 255, np.uint8)])
    idx = np.where((labels >= 0) & (labels < len(cmap)), labels, len(cmap))
    return table[idx]


@dataclass(frozen=True, eq=False)
class SegmentationModel:
    """A network for the viewer: the module, its class names and where it came from."""

    net: nn.Module
    class_names: tuple[str, ...]
    source: str


def load_segmentation_checkpoint(path: str) -> SegmentationModel:
    """A per-pixel network from a checkpoint of this app (``python -m engine train ...
    --save run.pt``, the Segment tab's Train section).

    Raises:
        ValueError: not one of our checkpoints, not a segmentation network (e.g. a
            classifier's), or weights that do not fit the architecture it names.
    """
    from pathlib import Path

    from engine.data import dataset_info
    from engine.models.ref import ModelRef
    from engine.models.zoo import build_model, check_state_dict
    from engine.training.checkpoint import load_checkpoint

    ckpt = load_checkpoint(path)
    name = Path(path).name
    config = ckpt.config or {}
    if ckpt.model_ref is None:
        raise ValueError(f"{name} holds no model reference; save it from this version of the app")
    ref = ModelRef.from_dict(ckpt.model_ref, where=f"{name}: model")
    dataset = config.get("dataset")
    info = None
    try:
        info = dataset_info(dataset) if dataset else None
    except ValueError:
        info = None
    task = config.get("task") or (info.task if info else None)
    if task != "segmentation":
        raise ValueError(f"{name} is a {task or 'non-segmentation'} checkpoint ({ref.describe()}); "
                         f"the viewer needs a per-pixel network such as the FCN")
    num_classes = ref.options.get("num_classes") or (info.num_classes if info else None)
    in_channels = ref.options.get("in_channels") or (
        info.input_shape[0] if info and info.input_shape else 3)
    if in_channels != 3:
        raise ValueError(f"{name} is a network for {in_channels}-channel images ({dataset}); "
                         f"the viewer predicts on colour photos — train on RGB data such as "
                         f"procedural-scenes or voc2012")
    built = build_model(ref, input_shape=(in_channels, 64, 64), num_classes=num_classes)
    check_state_dict(built.net, ckpt.model_state, source=f"checkpoint {name}")
    built.net.load_state_dict(ckpt.model_state)
    built.net.eval()
    names = tuple(info.class_names) if info and info.class_names else tuple(
        f"class {i}" for i in range(num_classes or 0))
    epochs = f", {ckpt.epoch} epoch{'s' if ckpt.epoch != 1 else ''}" if ckpt.epoch else ""
    return SegmentationModel(built.net, names, f"{ref.name} from {name} ({dataset}{epochs})")
