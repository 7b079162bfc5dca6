"""The book's single-shot multibox detector, TinySSD (d2l 14.7), and its predictions.

The network is the book's code with its names: ``cls_predictor``, ``bbox_predictor``,
``down_sample_blk``, ``base_net``, ``get_blk``, ``blk_forward``, five stages with the
book's ``SIZES`` / ``RATIOS``; ``TinySSD(num_classes)(X)`` returns ``(anchors,
cls_preds, bbox_preds)``. ``calc_loss``, ``cls_eval`` and ``bbox_eval`` are the book's
training pieces, built on ``engine.detection``'s ``multibox_target`` (the training loop
itself is the project's one loop, through ``AnchorBoxTask``).

Prediction goes in two steps so that a UI can re-filter without re-running the
network: ``raw_predictions`` (every anchor's decoded box, best class and score, in image
pixels) and ``filter_predictions`` (score threshold, then NMS). ``predict`` does both on
the device the network is on.

>>> net = TinySSD(num_classes=1)
>>> anchors, cls_preds, bbox_preds = net(torch.zeros((32, 3, 256, 256)))
>>> tuple(anchors.shape), tuple(cls_preds.shape), tuple(bbox_preds.shape)
((1, 5444, 4), (32, 5444, 2), (32, 21776))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from engine.detection.anchors import multibox_prior
from engine.detection.boxes import decode_offsets
from engine.detection.nms import nms

#: The book's anchor sizes per stage (fractions of the image side, growing with depth).
SIZES = [[0.2, 0.272], [0.37, 0.447], [0.54, 0.619], [0.71, 0.79], [0.88, 0.961]]
#: The book's aspect ratios, the same for every stage.
RATIOS = [[1, 2, 0.5]] * 5
#: Anchors per pixel: len(sizes) + len(ratios) - 1 = 4.
NUM_ANCHORS = len(SIZES[0]) + len(RATIOS[0]) - 1
#: Input channels of each stage's predictors.
IDX_TO_IN_CHANNELS = [64, 128, 128, 128, 128]


# -- the network, as the book writes it ----------------------------------------------------
def cls_predictor(num_inputs: int, num_anchors: int, num_classes: int) -> nn.Conv2d:
    """3x3 conv giving ``num_anchors * (num_classes + 1)`` class scores per pixel."""
    return nn.Conv2d(num_inputs, num_anchors * (num_classes + 1), kernel_size=3, padding=1)


def bbox_predictor(num_inputs: int, num_anchors: int) -> nn.Conv2d:
    """3x3 conv giving 4 offsets per anchor per pixel."""
    return nn.Conv2d(num_inputs, num_anchors * 4, kernel_size=3, padding=1)


def flatten_pred(pred: Tensor) -> Tensor:
    """``Tensor[B, C, H, W]`` -> ``Tensor[B, H * W * C]`` (channels last, as the book)."""
    return torch.flatten(pred.permute(0, 2, 3, 1), start_dim=1)


def concat_preds(preds: Sequence[Tensor]) -> Tensor:
    """Flatten each stage's predictions and join them along dim 1."""
    return torch.cat([flatten_pred(p) for p in preds], dim=1)


def down_sample_blk(in_channels: int, out_channels: int) -> nn.Sequential:
    """Two (3x3 conv, batch norm, ReLU) then 2x2 max-pool: halves height and width."""
    blk: list[nn.Module] = []
    for _ in range(2):
        blk.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        blk.append(nn.BatchNorm2d(out_channels))
        blk.append(nn.ReLU())
        in_channels = out_channels
    blk.append(nn.MaxPool2d(2))
    return nn.Sequential(*blk)


def base_net(in_channels: int = 3) -> nn.Sequential:
    """Three down-sampling blocks, 3 -> 16 -> 32 -> 64 channels (256 px -> 32 px)."""
    blk = []
    num_filters = [in_channels, 16, 32, 64]
    for i in range(len(num_filters) - 1):
        blk.append(down_sample_blk(num_filters[i], num_filters[i + 1]))
    return nn.Sequential(*blk)


def get_blk(i: int, in_channels: int = 3) -> nn.Module:
    """Stage ``i`` of five: the base network, three down-sampling blocks, a global max-pool."""
    if i == 0:
        return base_net(in_channels)
    if i == 1:
        return down_sample_blk(64, 128)
    if i == 4:
        return nn.AdaptiveMaxPool2d((1, 1))
    return down_sample_blk(128, 128)


def blk_forward(X: Tensor, blk: nn.Module, size: Sequence[float], ratio: Sequence[float],
                cls_predictor: nn.Module, bbox_predictor: nn.Module
                ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """One stage: its feature map ``Y``, anchors on ``Y``, class and box predictions."""
    Y = blk(X)
    anchors = multibox_prior(Y, sizes=size, ratios=ratio)
    cls_preds = cls_predictor(Y)
    bbox_preds = bbox_predictor(Y)
    return (Y, anchors, cls_preds, bbox_preds)


class TinySSD(nn.Module):
    """The book's TinySSD: ``X (Tensor[B, 3, H, W])`` -> ``(anchors (Tensor[1, N, 4]),
    cls_preds (Tensor[B, N, num_classes + 1]), bbox_preds (Tensor[B, N * 4]))``; for
    256x256 inputs the feature maps are 32, 16, 8, 4 and 1 pixels wide, N = 5444.

    Args:
        num_classes: object classes (background is added).
        in_channels: image channels (the book: 3).
    """

    def __init__(self, num_classes: int, in_channels: int = 3) -> None:
        super().__init__()
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
            raise ValueError(f"num_classes={num_classes!r} must be a positive integer "
                             f"(object classes; background is added)")
        self.num_classes = num_classes
        for i in range(5):
            # the book's setattr names (blk_i, cls_i, bbox_i): its state dicts load as is
            setattr(self, f"blk_{i}", get_blk(i, in_channels))
            setattr(self, f"cls_{i}", cls_predictor(IDX_TO_IN_CHANNELS[i], NUM_ANCHORS,
                                                    num_classes))
            setattr(self, f"bbox_{i}", bbox_predictor(IDX_TO_IN_CHANNELS[i], NUM_ANCHORS))

    def forward(self, X: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        if X.dim() != 4 or min(X.shape[-2:]) < 64:
            raise ValueError(f"TinySSD takes image batches (B, 3, H, W) with H and W >= 64 "
                             f"(its stages halve the image four times); got "
                             f"{tuple(X.shape)} — resize the images")
        anchors, cls_preds, bbox_preds = [None] * 5, [None] * 5, [None] * 5
        for i in range(5):
            X, anchors[i], cls_preds[i], bbox_preds[i] = blk_forward(
                X, getattr(self, f"blk_{i}"), SIZES[i], RATIOS[i],
                getattr(self, f"cls_{i}"), getattr(self, f"bbox_{i}"))
        anchors = torch.cat(anchors, dim=1)
        cls_preds = concat_preds(cls_preds)
        cls_preds = cls_preds.reshape(cls_preds.shape[0], -1, self.num_classes + 1)
        bbox_preds = concat_preds(bbox_preds)
        return anchors, cls_preds, bbox_preds


def feature_map_sizes(image_size: int) -> list[int]:
    """Side of each stage's feature map for square ``image_size`` inputs (256 -> 32, 16,
    8, 4, 1)."""
    sizes, side = [], image_size
    for i in range(5):
        side = 1 if i == 4 else side // (8 if i == 0 else 2)
        sizes.append(side)
    return sizes


# -- the book's loss and evaluation --------------------------------------------------------
def calc_loss(cls_preds: Tensor, cls_labels: Tensor, bbox_preds: Tensor, bbox_labels: Tensor,
              bbox_masks: Tensor) -> Tensor:
    """Per-example loss: mean cross-entropy over anchors + mean masked L1 over offsets.

    Args:
        cls_preds (Tensor[B, N, C + 1]): class logits.
        cls_labels (Tensor[B, N]): int64, 0 = background (``multibox_target``).
        bbox_preds (Tensor[B, N * 4]): predicted offsets.
        bbox_labels (Tensor[B, N * 4]): target offsets.
        bbox_masks (Tensor[B, N * 4]): 1 for assigned anchors' offsets, else 0.

    Returns:
        Tensor[B]: the book's ``cls + bbox`` per example (``.mean()`` to train).
    """
    batch_size, num_classes = cls_preds.shape[0], cls_preds.shape[2]
    cls = F.cross_entropy(cls_preds.reshape(-1, num_classes), cls_labels.reshape(-1),
                          reduction="none").reshape(batch_size, -1).mean(dim=1)
    bbox = F.l1_loss(bbox_preds * bbox_masks, bbox_labels * bbox_masks,
                     reduction="none").mean(dim=1)
    return cls + bbox


def cls_eval(cls_preds: Tensor, cls_labels: Tensor) -> float:
    """Number of anchors whose predicted class equals the label (the book's function)."""
    return float((cls_preds.argmax(dim=-1).type(cls_labels.dtype) == cls_labels).sum())


def bbox_eval(bbox_preds: Tensor, bbox_labels: Tensor, bbox_masks: Tensor) -> float:
    """Sum of absolute offset errors of the assigned anchors (the book's function)."""
    return float((torch.abs((bbox_labels - bbox_preds) * bbox_masks)).sum())


# -- predictions ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class RawPredictions:
    """Every anchor's prediction for one image, before any threshold (CPU numpy).

    Attributes:
        boxes: float32[N, 4], decoded (x1, y1, x2, y2) in image pixels.
        scores: float32[N], the best object class's probability.
        classes: int64[N], that class (0-based, background excluded).
        anchors: float32[N, 4], the anchors in image pixels; float32[0, 4] for a
            detector without one anchor per box (torchvision's COCO detectors).
        image_size: (width, height) of the image the pixels refer to.
        class_names: the names of ``classes`` (``class_names[k]`` for class ``k``);
            empty when the caller knows them (TinySSD's "banana").
    """

    boxes: np.ndarray
    scores: np.ndarray
    classes: np.ndarray
    anchors: np.ndarray
    image_size: tuple[int, int]
    class_names: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.scores)


@dataclass(frozen=True, eq=False)
class Detections:
    """Boxes kept after the score threshold and NMS, highest score first (CPU numpy).

    Attributes:
        boxes: float32[K, 4] (x1, y1, x2, y2) in image pixels.
        scores: float32[K].
        classes: int64[K], 0-based object classes.
        indices: int64[K], rows of the ``RawPredictions`` they came from.
    """

    boxes: np.ndarray
    scores: np.ndarray
    classes: np.ndarray
    indices: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)


def _check_threshold(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{name}={value!r} must be a number in [0, 1]")
    return float(value)


def decode_outputs(anchors: Tensor, cls_preds: Tensor, bbox_preds: Tensor
                   ) -> tuple[Tensor, Tensor, Tensor]:
    """Normalised boxes, best-class scores and classes of every anchor (on their device).

    Returns:
        boxes (Tensor[B, N, 4]) in [0, 1] units, scores (Tensor[B, N]) and
        classes (Tensor[B, N], int64, 0-based).
    """
    batch = cls_preds.shape[0]
    probs = F.softmax(cls_preds.float(), dim=2)
    scores, classes = probs[..., 1:].max(dim=2)
    # An untrained network may predict huge offsets: clamped, exp() stays finite (a box
    # e^10 anchors wide is still just a bad box) and NMS never sees inf or NaN.
    offsets = torch.nan_to_num(bbox_preds.float(), nan=0.0).clamp(-50.0, 50.0)
    boxes = decode_offsets(anchors.reshape(1, -1, 4).float(), offsets.reshape(batch, -1, 4))
    return boxes, torch.nan_to_num(scores, nan=0.0), classes


def _as_input(X: Tensor, device: torch.device) -> Tensor:
    """Images to the network's device; ``uint8`` images are scaled to [0, 1]."""
    X = X.to(device)
    return X.float().div_(255.0) if X.dtype == torch.uint8 else X


def _pixels(width: int, height: int, device: torch.device) -> Tensor:
    return torch.tensor([width, height, width, height], dtype=torch.float32, device=device)


@torch.no_grad()
def raw_predictions(net: nn.Module, X: Tensor, *,
                    image_sizes: Sequence[tuple[int, int]] | None = None
                    ) -> list[RawPredictions]:
    """Run ``net`` on ``X`` (moved to the network's device) and keep every anchor.

    Args:
        net: a network returning ``(anchors, cls_preds, bbox_preds)``.
        X (Tensor[B, C, H, W]): images as the network takes them (``uint8`` is scaled
            to [0, 1]).
        image_sizes: (width, height) per image to express boxes in (e.g. the original
            photo's size before resizing); default the input's ``W x H``.

    Returns:
        One ``RawPredictions`` per image.
    """
    device = next(iter(net.parameters()), torch.empty(0)).device
    was_training = net.training
    net.eval()
    try:
        out = net(_as_input(X, device))
    finally:
        net.train(was_training)
    if not (isinstance(out, (tuple, list)) and len(out) == 3):
        raise ValueError("a detector must return (anchors, cls_preds, bbox_preds)")
    anchors, cls_preds, bbox_preds = out
    boxes, scores, classes = decode_outputs(anchors, cls_preds, bbox_preds)
    sizes = image_sizes or [(X.shape[-1], X.shape[-2])] * X.shape[0]
    result = []
    for i, (w, h) in enumerate(sizes):
        scale = _pixels(w, h, boxes.device)
        result.append(RawPredictions(
            (boxes[i] * scale).cpu().numpy(), scores[i].cpu().numpy(),
            classes[i].cpu().numpy().astype(np.int64),
            (anchors.reshape(-1, 4) * scale).cpu().numpy(), (int(w), int(h))))
    return result


def filter_tensors(boxes: Tensor, scores: Tensor, score_threshold: float,
                   nms_threshold: float, max_detections: int | None = None) -> Tensor:
    """Indices of the boxes kept by a score threshold (``>=``) then class-agnostic NMS
    (the book's ``multibox_detection`` rule), highest score first; on the inputs' device.

    Thresholding first gives the same kept boxes as NMS first: a box below the
    threshold can only suppress boxes scoring even lower.
    """
    candidates = torch.nonzero(scores >= score_threshold).reshape(-1)
    keep = nms(boxes[candidates], scores[candidates], nms_threshold)
    keep = candidates[keep]
    return keep[:max_detections] if max_detections is not None else keep


def filter_predictions(raw: RawPredictions, *, score_threshold: float = 0.5,
                       nms_threshold: float = 0.5,
                       max_detections: int | None = 100) -> Detections:
    """The detections a score threshold and an NMS threshold leave of ``raw``.

    Cheap (torchvision's NMS on the boxes above the threshold): a UI can call it on
    every slider move. Thresholds at 0 and 1 are allowed (0 keeps every box to NMS;
    an NMS threshold of 1 suppresses only exact duplicates).
    """
    score_threshold = _check_threshold(score_threshold, "score_threshold")
    nms_threshold = _check_threshold(nms_threshold, "nms_threshold")
    keep = filter_tensors(torch.from_numpy(raw.boxes), torch.from_numpy(raw.scores),
                          score_threshold, nms_threshold, max_detections).numpy()
    return Detections(raw.boxes[keep], raw.scores[keep], raw.classes[keep], keep)


@torch.no_grad()
def predict(net: nn.Module, X: Tensor, *, score_threshold: float = 0.5,
            nms_threshold: float = 0.5, max_detections: int | None = 100,
            image_sizes: Sequence[tuple[int, int]] | None = None) -> list[Detections]:
    """Detections per image after the score threshold and NMS, computed on the device
    the network is on; boxes in image pixels (``image_sizes`` as in ``raw_predictions``).
    """
    score_threshold = _check_threshold(score_threshold, "score_threshold")
    nms_threshold = _check_threshold(nms_threshold, "nms_threshold")
    device = next(iter(net.parameters()), torch.empty(0)).device
    was_training = net.training
    net.eval()
    try:
        anchors, cls_preds, bbox_preds = net(_as_input(X, device))
    finally:
        net.train(was_training)
    boxes, scores, classes = decode_outputs(anchors, cls_preds, bbox_preds)
    sizes = image_sizes or [(X.shape[-1], X.shape[-2])] * X.shape[0]
    out = []
    for i, (w, h) in enumerate(sizes):
        keep = filter_tensors(boxes[i], scores[i], score_threshold, nms_threshold,
                              max_detections)
        out.append(Detections((boxes[i, keep] * _pixels(w, h, boxes.device)).cpu().numpy(),
                              scores[i, keep].cpu().numpy(),
                              classes[i, keep].cpu().numpy().astype(np.int64),
                              keep.cpu().numpy()))
    return out


def prepare_image(image: np.ndarray, size: int | tuple[int, int] = 256) -> Tensor:
    """An RGB ``uint8`` HWC image of any size as a ``Tensor[1, 3, H, W]`` network input
    (resized, as the book's 256x256 banana images are; boxes map back with
    ``image_sizes=[(width, height)]``)."""
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be an RGB array of shape (H, W, 3); got "
                         f"{getattr(image, 'shape', type(image).__name__)}")
    from torchvision.transforms.v2 import functional as TF

    side = (size, size) if isinstance(size, int) else tuple(size)
    X = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)
    X = TF.resize(X, list(side), antialias=True)
    return X[None].float().div_(255.0)


def detection_quality(detections: Detections, gt_boxes: np.ndarray) -> float:
    """How well one image was detected, for sorting a gallery worst first: the mean over
    ground-truth boxes of the best IoU any detection reaches (0 when nothing was found),
    less 0.1 per detection beyond the ground-truth count (false alarms).

    Args:
        detections: after thresholds and NMS, in pixels.
        gt_boxes: float[G, 4] in the same pixels.
    """
    from torchvision.ops import box_iou

    gt = np.asarray(gt_boxes, dtype=np.float32).reshape(-1, 4)
    if len(gt) == 0:
        return -0.1 * len(detections)
    if len(detections) == 0:
        return 0.0
    iou = box_iou(torch.from_numpy(gt), torch.from_numpy(detections.boxes))
    extra = max(len(detections) - len(gt), 0)
    return float(iou.max(dim=1).values.mean()) - 0.1 * extra


# -- how to train it -----------------------------------------------------------------------
#: Optimiser recipes for TinySSD on the banana set. "sgd" is the book's (d2l 14.7.2: SGD,
#: lr 0.2, weight decay 5e-4, batch 32, 20 epochs at 256x256). "adam" is the default of
#: the Detect tab and ``training_config``: at 128x128 on a 2-core CPU it reaches mAP@0.5
#: 0.96 on the procedural bananas after 10 epochs (48 s) and 0.99 after 20 (94 s), where
#: the book's SGD is at 0.47 after 10 (README, "Detect").
RECIPES: dict[str, dict[str, float | str]] = {
    "adam": {"optimizer": "adam", "lr": 1e-3, "weight_decay": 5e-4},
    "sgd": {"optimizer": "sgd", "lr": 0.2, "weight_decay": 5e-4},
}
#: Defaults of a banana run besides the optimiser: image side, generated training images,
#: epochs, batch size (the book's 1,000 training / 100 validation images, batch 32);
#: channels-last batches on a CPU (a TinySSD step about 1.5x faster) and bfloat16 mixed
#: precision where the hardware has bfloat16 maths (about 2x more; benchmarks/tinyssd.py).
TRAINING_DEFAULTS = {"size": 128, "n_train": 1000, "n_test": 100, "epochs": 20,
                     "batch_size": 32, "channels_last": True, "amp": "auto"}


def training_config(*, recipe: str = "adam", size: int | None = None,
                    n_train: int | None = None, epochs: int | None = None,
                    lr: float | None = None, device: str = "auto", **changes: object):
    """The ``RunConfig`` of a TinySSD run on the procedural bananas (``recipe`` from
    ``RECIPES``; ``None`` arguments take ``TRAINING_DEFAULTS`` / the recipe's lr)."""
    from engine.models import ModelRef
    from engine.training import RunConfig

    if recipe not in RECIPES:
        raise ValueError(f"unknown TinySSD recipe {recipe!r}; choose one of {sorted(RECIPES)}")
    r, d = RECIPES[recipe], TRAINING_DEFAULTS
    cfg = RunConfig(model=ModelRef.zoo("tiny-ssd"), dataset="bananas",
                    dataset_options={"size": int(size or d["size"])},
                    n_train=int(n_train or d["n_train"]), n_test=int(d["n_test"]),
                    batch_size=int(d["batch_size"]), num_epochs=int(epochs or d["epochs"]),
                    optimizer=str(r["optimizer"]), lr=float(lr if lr is not None else r["lr"]),
                    weight_decay=float(r["weight_decay"]), device=device,
                    channels_last=bool(d["channels_last"]), amp=str(d["amp"]))
    return cfg.replace(**changes) if changes else cfg


def count_found(detections: Sequence[Detections], gt_boxes: Sequence[np.ndarray], *,
                iou_threshold: float = 0.5) -> tuple[int, int]:
    """(found, total): ground-truth boxes that some kept detection of their image
    overlaps with IoU >= ``iou_threshold``, and all ground-truth boxes (pixels both)."""
    from torchvision.ops import box_iou

    iou_threshold = _check_threshold(iou_threshold, "iou_threshold")
    found = total = 0
    for det, gt in zip(detections, gt_boxes, strict=True):
        total += len(gt)
        if len(gt) and len(det.boxes):
            iou = box_iou(torch.as_tensor(np.asarray(gt, np.float32)),
                          torch.as_tensor(np.asarray(det.boxes, np.float32)))
            found += int((iou.max(dim=1).values >= iou_threshold).sum())
    return found, total
