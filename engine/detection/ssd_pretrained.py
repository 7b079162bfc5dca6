"""torchvision's COCO detectors for inference on any photo — only from the local cache.

``ssdlite320_mobilenet_v3_large`` and ``fasterrcnn_mobilenet_v3_large_fpn`` run when
their weights file is already in torch's cache (``torch.hub.get_dir()/checkpoints``);
nothing here downloads. Without the file ``cached_detectors`` says "not cached" and
``load_detector`` raises a ``ValueError`` saying where the file should be (and one for a
corrupt file). ``to_raw_predictions`` turns ``detect``'s boxes into the
``RawPredictions`` the Detect tab's score and NMS sliders re-filter.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from engine.detection.ssd import RawPredictions

DETECTORS = {
    "ssdlite320_mobilenet_v3_large": ("SSDLite320_MobileNet_V3_Large_Weights",
                                      "SSDlite 320 (MobileNet V3, COCO)"),
    "fasterrcnn_mobilenet_v3_large_fpn": ("FasterRCNN_MobileNet_V3_Large_FPN_Weights",
                                          "Faster R-CNN (MobileNet V3 FPN, COCO)"),
}
#: The score a box needs to be kept as a raw prediction (``to_raw_predictions``): low, so a
#: UI's score slider can go down to it without running the detector again.
RAW_SCORE_THRESHOLD = 0.05


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
        ValueError: unknown name, the weights are not cached (never downloads), or the
            cached file does not load (truncated, not a state dict, another model's).
    """
    import torchvision.models.detection as tvd

    weights = _weights(name)
    path = cache_file(name)
    if not path.is_file():
        raise ValueError(f"{DETECTORS[name][1]}: weights not cached — expected {path}; "
                         f"this app does not download them (copy the file there)")
    net = getattr(tvd, name)(weights=None, weights_backbone=None,
                             num_classes=len(weights.meta["categories"]))
    where = f"{DETECTORS[name][1]}: could not load the cached weights {path}"
    fix = "delete the file and copy a good one there"
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, OSError, EOFError, pickle.UnpicklingError) as exc:
        # torch's own text would suggest weights_only=False: not for a file we didn't make
        raise ValueError(f"{where}: not a readable PyTorch weights file "
                         f"({type(exc).__name__}) — {fix}") from exc
    try:
        net.load_state_dict(state)
    except (RuntimeError, KeyError, TypeError, AttributeError) as exc:  # another model's
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        raise ValueError(f"{where}: its tensors do not fit the network ({first}) — "
                         f"{fix}") from exc
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


def to_raw_predictions(detections: PretrainedDetections, image_size: tuple[int, int]
                       ) -> RawPredictions:
    """A COCO detector's boxes as the ``RawPredictions`` TinySSD's are, so that
    ``engine.detection.ssd.filter_predictions`` re-filters them (score threshold, then
    class-agnostic NMS on top of the detector's own per-class NMS).

    Args:
        detections: from ``detect`` (with a low ``score_threshold``, e.g.
            ``RAW_SCORE_THRESHOLD``), boxes in the photo's pixels.
        image_size: (width, height) of that photo.

    Returns:
        ``classes`` index ``class_names``: the detected classes' names, in the order they
        first appear (highest score first); no anchors (``float32[0, 4]``).
    """
    names = tuple(dict.fromkeys(detections.labels))
    index = {n: k for k, n in enumerate(names)}
    w, h = image_size
    return RawPredictions(
        np.asarray(detections.boxes, np.float32).reshape(-1, 4),
        np.asarray(detections.scores, np.float32).reshape(-1),
        np.array([index[n] for n in detections.labels], np.int64),
        np.zeros((0, 4), np.float32), (int(w), int(h)), names)
