"""Label anchors with classes and offsets from ground-truth boxes (d2l 14.4.3).

The assignment follows the book: (1) every anchor whose best IoU with a ground truth
is >= ``iou_threshold`` gets that ground truth; (2) then, once per ground truth, the
largest remaining entry of the anchor x ground-truth IoU matrix assigns its anchor to
its ground truth ("forced"), and that anchor's row and that ground truth's column are
discarded. Phase 2 overrides phase 1 for the anchors it picks. Ties go to the first
maximum in row-major (anchor, ground truth) order, like ``torch.argmax``.

Label rows whose class is negative are padding (d2l pads batches with class -1) and
are ignored. Where the book would re-assign anchor 0 once all rows are discarded
(fewer anchors than ground truths), phase 2 stops instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from engine.detection._validate import as_float_tensor, check_boxes, check_unit_interval
from engine.detection.boxes import encode_offsets, pairwise_iou


def _assign(jaccard: Tensor, valid: Tensor, iou_threshold: float) -> tuple[Tensor, Tensor]:
    """Batched assignment on IoU matrices.

    Args:
        jaccard (Tensor[B, N, G]): IoU of anchor n with ground truth g.
        valid (Tensor[B, G]): bool, False for padding rows.
        iou_threshold: phase-1 threshold (>=).

    Returns:
        (Tensor[B, N] int64, Tensor[B, N] bool): assigned ground-truth index (-1 =
        background) and the phase-2 ("forced") mask.
    """
    batch, num_anchors, num_gt = jaccard.shape
    anchors_map = torch.full((batch, num_anchors), -1, dtype=torch.long, device=jaccard.device)
    forced = torch.zeros((batch, num_anchors), dtype=torch.bool, device=jaccard.device)
    if num_anchors == 0 or num_gt == 0:
        return anchors_map, forced
    # A contiguous copy: phase 2 edits it through a flat view.
    jac = jaccard.masked_fill(~valid[:, None, :], -1.0).contiguous()
    max_ious, indices = jac.max(dim=2)
    thr = float(torch.tensor(iou_threshold, dtype=jac.dtype))
    anchors_map = torch.where(max_ious >= thr, indices, anchors_map)
    flat = jac.view(batch, num_anchors * num_gt)
    rows = torch.arange(batch, device=jac.device)
    for _ in range(num_gt):  # the book's greedy loop, all images of the batch at once
        max_idx = flat.argmax(dim=1)
        live = flat[rows, max_idx] >= 0
        b = rows[live]
        anc, box = max_idx[live] // num_gt, max_idx[live] % num_gt
        anchors_map[b, anc] = box
        forced[b, anc] = True
        jac[b, :, box] = -1.0
        jac[b, anc, :] = -1.0
    return anchors_map, forced


def _check_labels(labels: Tensor) -> tuple[Tensor, Tensor]:
    """Check Tensor[B, G, 5] labels; return them as float and the valid-row mask."""
    labels = as_float_tensor(labels, "labels")
    if labels.dim() != 3 or labels.shape[-1] != 5:
        raise ValueError(f"labels must have shape (batch, num_gt, 5) rows of (class, x1, y1, "
                         f"x2, y2); got {tuple(labels.shape)}. For one image use "
                         f"labels.unsqueeze(0).")
    if bool(torch.isnan(labels[..., 0]).any()):
        raise ValueError("labels has NaN class ids; use -1 to mark padding rows.")
    valid = labels[..., 0] >= 0
    check_boxes(labels[..., 1:][valid], "labels[..., 1:] (ground-truth boxes)")
    return labels, valid


def _check_anchors(anchors: Tensor) -> Tensor:
    anchors = as_float_tensor(anchors, "anchors")
    if anchors.dim() == 3 and anchors.shape[0] == 1:
        anchors = anchors[0]
    return check_boxes(anchors, "anchors")


def assign_anchor_to_bbox(ground_truth: Tensor, anchors: Tensor, device: torch.device | str,
                          iou_threshold: float = 0.5) -> Tensor:
    """Assign the closest ground-truth box to each anchor (the book's algorithm).

    Args:
        ground_truth (Tensor[G, 4]): (x1, y1, x2, y2) ground-truth boxes.
        anchors (Tensor[N, 4]): (x1, y1, x2, y2) anchors.
        device: device of the returned tensor.
        iou_threshold: an anchor whose best IoU is >= this gets that ground truth.

    Returns:
        Tensor[N]: int64 ground-truth index per anchor, -1 for background.
    """
    ground_truth = check_boxes(ground_truth, "ground_truth")
    anchors = check_boxes(anchors, "anchors")
    iou_threshold = check_unit_interval(iou_threshold, "iou_threshold")
    jaccard = pairwise_iou(anchors, ground_truth.to(anchors.dtype))[None]
    valid = torch.ones((1, ground_truth.shape[0]), dtype=torch.bool, device=anchors.device)
    return _assign(jaccard, valid, iou_threshold)[0][0].to(device)


def multibox_target(anchors: Tensor, labels: Tensor, *,
                    iou_threshold: float = 0.5) -> tuple[Tensor, Tensor, Tensor]:
    """Label anchors with offsets and classes from ground truth (the book's function).

    Args:
        anchors (Tensor[1, N, 4] or Tensor[N, 4]): (x1, y1, x2, y2).
        labels (Tensor[B, G, 5]): rows (class, x1, y1, x2, y2); class < 0 marks padding.
        iou_threshold: phase-1 assignment threshold (the book's 0.5).

    Returns:
        bbox_offset (Tensor[B, N * 4]): float offsets (``offset_boxes``), 0 for background.
        bbox_mask (Tensor[B, N * 4]): float 1 for the 4 offsets of assigned anchors, else 0.
        class_labels (Tensor[B, N]): int64, 0 = background, else class + 1.
    """
    anchors = _check_anchors(anchors)
    labels, valid = _check_labels(labels)
    iou_threshold = check_unit_interval(iou_threshold, "iou_threshold")
    labels = labels.to(anchors.dtype)
    batch, num_anchors = labels.shape[0], anchors.shape[0]
    gt_boxes = labels[..., 1:]
    anchors_map, _ = _assign(pairwise_iou(anchors[None], gt_boxes), valid, iou_threshold)
    mask = anchors_map >= 0
    # Only the few positive anchors need offsets: encode those and scatter them into
    # zeros (the book encodes every anchor against a zero box, then multiplies by 0).
    pos_b, pos_a = torch.nonzero(mask, as_tuple=True)
    gt_idx = anchors_map[pos_b, pos_a]
    offsets = torch.zeros((batch, num_anchors, 4), dtype=anchors.dtype, device=anchors.device)
    offsets[pos_b, pos_a] = encode_offsets(anchors[pos_a], gt_boxes[pos_b, gt_idx])
    class_labels = torch.zeros((batch, num_anchors), dtype=torch.long, device=anchors.device)
    class_labels[pos_b, pos_a] = labels[pos_b, gt_idx, 0].long() + 1
    mask4 = mask[..., None].expand(-1, -1, 4).to(anchors.dtype)
    return offsets.reshape(batch, -1), mask4.reshape(batch, -1), class_labels


@dataclass(frozen=True, eq=False)
class AnchorAssignment:
    """Per-anchor labelling details for display (CPU numpy arrays).

    Attributes:
        gt_index: int64[N], assigned ground-truth row, -1 = background.
        iou: float32[N], IoU with the assigned ground truth, 0 for background.
        max_iou: float32[N], best IoU with any ground truth (why an anchor is background).
        forced: bool[N], True for anchors assigned in phase 2 (best anchor per ground truth).
        class_labels: int64[N], 0 = background, else class + 1 (as ``multibox_target``).
        offsets: float32[N, 4], (dx, dy, dw, dh) targets, zeros for background.
        iou_threshold: the threshold used.
    """

    gt_index: np.ndarray
    iou: np.ndarray
    max_iou: np.ndarray
    forced: np.ndarray
    class_labels: np.ndarray
    offsets: np.ndarray
    iou_threshold: float


def anchor_assignment(anchors: Tensor, labels: Tensor, *,
                      iou_threshold: float = 0.5) -> AnchorAssignment:
    """Explain how ``multibox_target`` labels each anchor of one image.

    Args:
        anchors (Tensor[N, 4]): (x1, y1, x2, y2).
        labels (Tensor[G, 5]): rows (class, x1, y1, x2, y2); G may be 0.
        iou_threshold: phase-1 assignment threshold.

    Returns:
        AnchorAssignment: numpy arrays; ``class_labels`` and ``offsets`` equal
        ``multibox_target(anchors, labels[None])`` for that image.
    """
    anchors = _check_anchors(anchors)
    labels = as_float_tensor(labels, "labels")
    if labels.dim() != 2:
        raise ValueError(f"labels must have shape (num_gt, 5); got {tuple(labels.shape)}.")
    labels, valid = _check_labels(labels[None])
    iou_threshold = check_unit_interval(iou_threshold, "iou_threshold")
    jaccard = pairwise_iou(anchors[None], labels[..., 1:].to(anchors.dtype))
    jaccard = jaccard.masked_fill(~valid[:, None, :], 0.0)
    anchors_map, forced = _assign(jaccard, valid, iou_threshold)
    offsets, _, class_labels = multibox_target(anchors, labels, iou_threshold=iou_threshold)
    gt_index = anchors_map[0]
    if jaccard.shape[2]:
        max_iou = jaccard[0].max(dim=1).values
        picked = jaccard[0].gather(1, gt_index.clamp(min=0)[:, None])[:, 0]
        iou = torch.where(gt_index >= 0, picked, 0.0)
    else:
        max_iou = iou = torch.zeros(anchors.shape[0])
    return AnchorAssignment(
        gt_index=gt_index.cpu().numpy(), iou=iou.float().cpu().numpy(),
        max_iou=max_iou.float().cpu().numpy(), forced=forced[0].cpu().numpy(),
        class_labels=class_labels[0].cpu().numpy(),
        offsets=offsets[0].reshape(-1, 4).float().cpu().numpy(), iou_threshold=iou_threshold)
