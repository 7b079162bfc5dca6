"""Non-maximum suppression and the book's ``multibox_detection`` (d2l 14.4.4).

Conventions, identical to the book's ``nms``:

* boxes are visited in descending score order; a box whose IoU with a kept box is
  ``> iou_threshold`` is suppressed, ``<= iou_threshold`` survives (torchvision uses
  the same rule);
* the comparison is done in the boxes' dtype (the book compares a float32 IoU with
  the threshold rounded to float32; torchvision's kernel compares in double, so we
  round the threshold first);
* equal scores: the book's ``torch.argsort(descending=True)`` is not stable, so its
  order among ties is an implementation accident. We define it: **lower index
  first** (stable sort), and force torchvision to follow it by handing it ranks;
* the returned indices are in the order the boxes were kept (descending score).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import Tensor
from torchvision.ops import nms as _tv_nms

from engine.detection._validate import (
    as_float_tensor,
    check_boxes,
    check_scores,
    check_unit_interval,
    threshold_as,
)
from engine.detection.boxes import decode_offsets, pairwise_iou


def _score_order(scores: Tensor) -> Tensor:
    return torch.argsort(scores, descending=True, stable=True)


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Non-maximum suppression with the book's semantics, using ``torchvision.ops.nms``.

    Args:
        boxes (Tensor[N, 4]): (x1, y1, x2, y2).
        scores (Tensor[N]): one score per box, no NaN.
        iou_threshold: in [0, 1]; boxes with IoU > threshold to a kept box are dropped.

    Returns:
        Tensor[K]: int64 indices of kept boxes, highest score first (empty for N = 0).
    """
    boxes = check_boxes(boxes, "boxes")
    scores = check_scores(scores, boxes.shape[0])
    iou_threshold = check_unit_interval(iou_threshold, "iou_threshold")
    n = boxes.shape[0]
    if n == 0:
        return torch.empty(0, dtype=torch.long, device=boxes.device)
    order = _score_order(scores)
    # Strictly decreasing ranks pin torchvision to our tie order. float32 holds the
    # integers exactly up to 2**24; beyond that (or for half boxes) work in float64.
    dtype = boxes.dtype if boxes.dtype == torch.float64 or n < 2**24 else torch.float64
    dtype = dtype if dtype in (torch.float32, torch.float64) else torch.float32
    ranks = torch.arange(n, 0, -1, dtype=dtype, device=boxes.device)
    kept = _tv_nms(boxes[order].to(dtype), ranks, threshold_as(dtype, iou_threshold))
    return order[kept]


@dataclass(frozen=True)
class NmsDropped:
    """A box removed before NMS because its score is below ``score_threshold``."""

    index: int
    score: float


@dataclass(frozen=True)
class NmsKept:
    """The highest-scoring remaining box becomes the current box and is kept.

    Attributes:
        step: 0 for the first kept box, 1 for the second, ...
        index: box index into the input.
        score: its score.
        remaining: candidates still undecided after it (excluding it).
    """

    step: int
    index: int
    score: float
    remaining: int


@dataclass(frozen=True)
class NmsSuppressed:
    """A box suppressed by the current kept box.

    Attributes:
        step: the ``NmsKept.step`` of the box that suppressed it.
        index: the suppressed box.
        score: its score.
        by: index of the kept box that suppressed it.
        iou: their IoU (> the threshold).
    """

    step: int
    index: int
    score: float
    by: int
    iou: float


@dataclass(frozen=True)
class NmsFinished:
    """Last event: the kept indices, highest score first (equals ``nms``)."""

    kept: tuple[int, ...]


NmsEvent = NmsDropped | NmsKept | NmsSuppressed | NmsFinished


def nms_steps(boxes: Tensor, scores: Tensor, iou_threshold: float,
              score_threshold: float = 0.0) -> Iterator[NmsEvent]:
    """Run NMS one decision at a time, for the step-through view.

    Yields ``NmsDropped`` for every box with score < ``score_threshold`` (in index
    order), then for each kept box an ``NmsKept`` followed by an ``NmsSuppressed`` per
    box it removes (in score order), and finally ``NmsFinished``. The kept list equals
    ``nms(boxes[s >= t], scores[s >= t], iou_threshold)`` mapped back to input indices.

    Args:
        boxes (Tensor[N, 4]): (x1, y1, x2, y2).
        scores (Tensor[N]): one score per box, no NaN.
        iou_threshold: in [0, 1].
        score_threshold: boxes scoring below it never take part.

    Yields:
        NmsEvent: frozen dataclasses of plain Python ints and floats.
    """
    boxes = check_boxes(boxes, "boxes")
    scores = check_scores(scores, boxes.shape[0])
    iou_threshold = check_unit_interval(iou_threshold, "iou_threshold")
    if boxes.dtype not in (torch.float32, torch.float64):
        boxes = boxes.float()  # same working precision as ``nms``
    thr = threshold_as(boxes.dtype, iou_threshold)
    score_list = scores.tolist()
    candidate = scores >= score_threshold
    for i in torch.nonzero(~candidate).reshape(-1).tolist():
        yield NmsDropped(i, score_list[i])
    order = torch.nonzero(candidate).reshape(-1)
    order = order[_score_order(scores[order])]
    kept: list[int] = []
    while order.numel() > 0:
        i = int(order[0])
        rest = order[1:]
        iou = pairwise_iou(boxes[i].reshape(1, 4), boxes[rest])[0]
        suppress = iou > thr
        survivors = rest[~suppress]
        kept.append(i)
        yield NmsKept(len(kept) - 1, i, score_list[i], int(survivors.numel()))
        for j, value in zip(rest[suppress].tolist(), iou[suppress].tolist(), strict=True):
            yield NmsSuppressed(len(kept) - 1, j, score_list[j], i, value)
        order = survivors
    yield NmsFinished(tuple(kept))


def multibox_detection(cls_probs: Tensor, offset_preds: Tensor, anchors: Tensor,
                       nms_threshold: float = 0.5,
                       pos_threshold: float = 0.009999999) -> Tensor:
    """Predict boxes with NMS, as the book's ``multibox_detection``.

    NMS is class-agnostic, as in the book: each anchor competes with its best
    non-background class probability.

    Args:
        cls_probs (Tensor[B, C + 1, N]): class probabilities, row 0 = background.
        offset_preds (Tensor[B, N * 4]): predicted offsets (also accepts [B, N, 4]).
        anchors (Tensor[1, N, 4] or Tensor[N, 4]): (x1, y1, x2, y2).
        nms_threshold: IoU threshold of NMS.
        pos_threshold: kept boxes with confidence below it become background.

    Returns:
        Tensor[B, N, 6]: rows (class, confidence, x1, y1, x2, y2); kept boxes first in
        score order, then the rest by anchor index; class -1 marks suppressed or
        background rows (whose confidence is then 1 - confidence when below
        ``pos_threshold``, as in the book).
    """
    anchors = as_float_tensor(anchors, "anchors")
    anchors = check_boxes(anchors[0] if anchors.dim() == 3 and anchors.shape[0] == 1
                          else anchors, "anchors")
    cls_probs = as_float_tensor(cls_probs, "cls_probs")
    num_anchors = anchors.shape[0]
    if cls_probs.dim() != 3 or cls_probs.shape[1] < 2 or cls_probs.shape[2] != num_anchors:
        raise ValueError(f"cls_probs must have shape (batch, num_classes + 1, {num_anchors}) "
                         f"with row 0 = background; got {tuple(cls_probs.shape)}.")
    if bool(torch.isnan(cls_probs).any()):
        raise ValueError("cls_probs contains NaN; check the network output (softmax).")
    batch = cls_probs.shape[0]
    offset_preds = as_float_tensor(offset_preds, "offset_preds")
    if offset_preds.numel() != batch * num_anchors * 4 or offset_preds.shape[0] != batch:
        raise ValueError(f"offset_preds must have shape ({batch}, {num_anchors * 4}); got "
                         f"{tuple(offset_preds.shape)}.")
    check_unit_interval(nms_threshold, "nms_threshold")
    dtype = torch.promote_types(anchors.dtype, cls_probs.dtype)
    predicted = decode_offsets(anchors.to(dtype),
                               offset_preds.reshape(batch, num_anchors, 4).to(dtype))
    conf, class_id = torch.max(cls_probs[:, 1:].to(dtype), dim=1)
    out = []
    for i in range(batch):  # one NMS per image; the batch is small
        keep = nms(predicted[i], conf[i], nms_threshold)
        kept_mask = torch.zeros(num_anchors, dtype=torch.bool, device=conf.device)
        kept_mask[keep] = True
        non_keep = torch.nonzero(~kept_mask).reshape(-1)
        order = torch.cat((keep, non_keep))
        cid = torch.where(kept_mask, class_id[i], -1)[order].to(dtype)
        c = conf[i][order]
        below = c < pos_threshold
        cid = torch.where(below, -1.0, cid)
        c = torch.where(below, 1 - c, c)
        out.append(torch.cat((cid[:, None], c[:, None], predicted[i][order]), dim=1))
    return torch.stack(out)
