"""torchvision's COCO detectors for inference on any photo — only from the local cache.

``ssdlite320_mobilenet_v3_large`` and ``fasterrcnn_mobilenet_v3_large_fpn`` run when
their weights file is already in torch's cache (``torch.hub.get_dir()/checkpoints``);
nothing here downloads. Without the file ``cached_detectors`` says "not cached" and
``load_detector`` raises a ``ValueError`` saying where the file should be.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

DETECTORS = {
    "ssdlite320_mobilenet_v3_large": ("SSDLite320_MobileNet_V3_Large_Weights",
                                      "SSDlite 320 (MobileNet V3, COCO)"),
    "fasterrcnn_mobilenet_v3_large_fpn": ("FasterRCNN_MobileNet_V3_Large_FPN_Weights",
                                          "Faster R-CNN (MobileNet V3 FPN, COCO)"),
}


@dataclass(frozen=True, eq=False)
class PretrainedDetections:
    """Boxes from a COCO detector (CPU numpy), highest score first.

    Attributes:
        boxes: float32[K, 4] (x1, y1, x2, y2) in the photo's pixels.
        scores: float32[K].
        labels: the COCO class names.
    """

    boxes: np.ndarray
    scores: np.ndarray
    labels: tuple[str, ...]


def _weights(name: str):
    import torchvision.models.detection as tvd

    if name not in DETECTORS:
        raise ValueError(f"unknown detector {name!r}; choose one of {', '.join(DETECTORS)}")
    return getattr(tvd, DETECTORS[name][0]).DEFAULT


def cache_file(name: str) -> Path:
    """Where torchvision keeps ``name``'s weights file."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(_weights(name).url).name


def cached_detectors() -> dict[str, str]:
    """Each detector's status: ``"cached"`` or ``"not cached (<path>)"``."""
    return {name: "cached" if cache_file(name).is_file() else f"not cached ({cache_file(name)})"
            for name in DETECTORS}


def load_detector(name: str) -> tuple[nn.Module, tuple[str, ...]]:
    """The detector in eval mode and its class names, from the cached weights only.

    Raises:
        ValueError: unknown name, or the weights are not cached (never downloads).
    """
    import torchvision.models.detection as tvd

    weights = _weights(name)
    path = cache_file(name)
    if not path.is_file():
        raise ValueError(f"{DETECTORS[name][1]}: weights not cached — expected {path}; "
                         f"this app does not download them (copy the file there)")
    net = getattr(tvd, name)(weights=None, weights_backbone=None,
                             num_classes=len(weights.meta["categories"]))
    state = torch.load(path, map_location="cpu", weights_only=True)
    net.load_state_dict(state)
    return net.eval(), tuple(weights.meta["categories"])


@torch.no_grad()
def detect(net: nn.Module, categories: tuple[str, ...], image: np.ndarray, *,
           score_threshold: float = 0.5, device: torch.device | str = "cpu"
           ) -> PretrainedDetections:
    """Run a torchvision detector on an RGB ``uint8`` HWC image of any size."""
    X = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div_(255)
    net = net.to(device)
    out = net([X.to(device)])[0]
    keep = out["scores"] >= score_threshold
    labels = tuple(categories[int(i)] for i in out["labels"][keep].tolist())
    return PretrainedDetections(out["boxes"][keep].cpu().numpy(),
                                out["scores"][keep].cpu().numpy(), labels)
