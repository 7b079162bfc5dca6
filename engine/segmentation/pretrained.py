"""torchvision's pretrained segmentation networks, for inference on any photo — only
when their weights are already in the torch cache (``torch.hub`` checkpoints folder):
nothing is downloaded here. They were trained on COCO with the 20 VOC categories, so
their classes and colours are VOC's.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn

from engine.segmentation.network import SegmentationModel
from engine.segmentation.voc import VOC_CLASSES

SEGMENTERS = {
    # name: (builder in torchvision.models.segmentation, weights enum)
    "fcn_resnet50": ("fcn_resnet50", "FCN_ResNet50_Weights"),
    "deeplabv3_mobilenet_v3_large": ("deeplabv3_mobilenet_v3_large",
                                     "DeepLabV3_MobileNet_V3_Large_Weights"),
    "lraspp_mobilenet_v3_large": ("lraspp_mobilenet_v3_large",
                                  "LRASPP_MobileNet_V3_Large_Weights"),
}


class _Out(nn.Module):
    """torchvision's segmenters return ``{"out": logits, ...}``; ``predict`` wants the
    logits. They upsample to the input size themselves, so no stride padding."""

    stride = 1

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, X: Tensor) -> Tensor:
        return self.net(X)["out"]


def _weights(name: str):  # noqa: ANN202 - a torchvision weights enum member
    import torchvision.models.segmentation as tvs

    if name not in SEGMENTERS:
        raise ValueError(f"unknown segmenter {name!r}; choose one of {', '.join(SEGMENTERS)}")
    return getattr(tvs, SEGMENTERS[name][1]).DEFAULT


def cache_file(name: str) -> Path:
    """Where torchvision keeps ``name``'s weights."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(_weights(name).url).name


def cached_segmenters() -> list[str]:
    """The names of ``SEGMENTERS`` whose weights are in the torch cache."""
    return [n for n in SEGMENTERS if cache_file(n).is_file()]


def load_segmenter(name: str) -> SegmentationModel:
    """torchvision's ``name`` with its cached COCO/VOC weights, in eval mode.

    Raises:
        ValueError: unknown name, weights not in the cache (naming the file), or a cache
            file that does not fit the architecture.
    """
    import torchvision.models.segmentation as tvs

    weights, path = _weights(name), cache_file(name)
    if not path.is_file():
        raise ValueError(f"{name}: its weights are not in torchvision's cache ({path}); this "
                         f"app does not download them — copy {path.name} there")
    extra = {} if name.startswith("lraspp") else {"aux_loss": True}  # as torchvision builds
    net = getattr(tvs, SEGMENTERS[name][0])(weights=None, weights_backbone=None,
                                            num_classes=len(VOC_CLASSES), **extra)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        net.load_state_dict(state)
    except Exception as exc:
        raise ValueError(f"{name}: the cached file {path.name} could not be loaded "
                         f"({type(exc).__name__}: {exc})") from exc
    net.eval()
    return SegmentationModel(_Out(net), VOC_CLASSES, f"torchvision {name} "
                                                     f"({weights}, from the cache)")
