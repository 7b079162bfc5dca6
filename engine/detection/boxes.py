"""Box formats, IoU and the anchor offset transform (d2l 14.3-14.4).

Coordinates are corner format ``(x1, y1, x2, y2)`` unless a name says ``center``
(``(cx, cy, w, h)``). Functions accept any scale (pixels or normalised 0-1).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torchvision.ops import box_convert
from torchvision.ops import box_iou as _tv_box_iou

from engine.detection._validate import as_float_tensor, check_boxes

#: Scale of the offset transform: the book's sigma_x = sigma_y = 0.1, sigma_w = sigma_h = 0.2.
XY_SCALE = 10.0
WH_SCALE = 5.0


def _check_last_dim(boxes: Tensor, name: str) -> Tensor:
    boxes = as_float_tensor(boxes, name)
    if boxes.dim() == 0 or boxes.shape[-1] != 4:
        raise ValueError(f"{name} must have shape (..., 4); got {tuple(boxes.shape)}. "
                         f"Each box needs exactly four numbers.")
    return boxes


def box_corner_to_center(boxes: Tensor) -> Tensor:
    """Convert corner boxes to center format.

    Args:
        boxes (Tensor[..., 4]): (x1, y1, x2, y2).

    Returns:
        Tensor[..., 4]: (cx, cy, w, h), same dtype.
    """
    return box_convert(_check_last_dim(boxes, "boxes"), "xyxy", "cxcywh")


def box_center_to_corner(boxes: Tensor) -> Tensor:
    """Convert center boxes to corner format.

    Args:
        boxes (Tensor[..., 4]): (cx, cy, w, h).

    Returns:
        Tensor[..., 4]: (x1, y1, x2, y2), same dtype.
    """
    return box_convert(_check_last_dim(boxes, "boxes"), "cxcywh", "xyxy")


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise intersection over union (Jaccard index), as in the book.

    Two zero-area boxes have union 0; their IoU is defined as 0 (the book and
    torchvision give NaN there).

    Args:
        boxes1 (Tensor[N, 4]): (x1, y1, x2, y2).
        boxes2 (Tensor[M, 4]): (x1, y1, x2, y2).

    Returns:
        Tensor[N, M]: ``iou[i, j]`` between ``boxes1[i]`` and ``boxes2[j]``, in [0, 1].

    Raises:
        ValueError: wrong shape, non-finite or degenerate (x2 < x1) boxes.
    """
    boxes1 = check_boxes(boxes1, "boxes1")
    boxes2 = check_boxes(boxes2, "boxes2")
    if boxes1.dtype != boxes2.dtype:
        dtype = torch.promote_types(boxes1.dtype, boxes2.dtype)
        boxes1, boxes2 = boxes1.to(dtype), boxes2.to(dtype)
    return torch.nan_to_num(_tv_box_iou(boxes1, boxes2), nan=0.0)


def pairwise_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Batched IoU with the book's formula and no input checks (internal hot path).

    Args:
        boxes1 (Tensor[..., N, 4]): (x1, y1, x2, y2).
        boxes2 (Tensor[..., M, 4]): (x1, y1, x2, y2).

    Returns:
        Tensor[..., N, M]: IoU; 0 where the union is 0 (a transposed view; call
        ``.contiguous()`` before ``.view``).
    """
    x1a, y1a, x2a, y2a = (c.contiguous() for c in boxes1.unbind(-1))  # (..., N)
    x1b, y1b, x2b, y2b = (c.contiguous() for c in boxes2.unbind(-1))  # (..., M)
    area_a = (x2a - x1a) * (y2a - y1a)
    area_b = (x2b - x1b) * (y2b - y1b)
    # Work in (..., M, N) so the long anchor axis is innermost and contiguous: with
    # (..., N, M, 2) and tiny M, torch's broadcast loops run ~10x slower. Same float
    # operations as the book (max/min/+ are symmetric), so results are bit-identical.
    w = torch.minimum(x2b[..., :, None], x2a[..., None, :])
    w -= torch.maximum(x1b[..., :, None], x1a[..., None, :])
    h = torch.minimum(y2b[..., :, None], y2a[..., None, :])
    h -= torch.maximum(y1b[..., :, None], y1a[..., None, :])
    inter = w.clamp_(min=0).mul_(h.clamp_(min=0))
    union = area_b[..., :, None] + area_a[..., None, :] - inter
    return torch.nan_to_num_(inter.div_(union), nan=0.0).transpose(-1, -2)


@dataclass(frozen=True)
class IouDetails:
    """Everything the IoU explorer shows for two boxes (plain floats).

    Attributes:
        iou: intersection / union, 0 when the union is 0.
        intersection: area of the overlap.
        union: area(a) + area(b) - intersection.
        area_a: area of box a.
        area_b: area of box b.
        intersection_box: (x1, y1, x2, y2) of the overlap, or None when they don't overlap.
    """

    iou: float
    intersection: float
    union: float
    area_a: float
    area_b: float
    intersection_box: tuple[float, float, float, float] | None


def iou_details(box_a: Tensor, box_b: Tensor) -> IouDetails:
    """IoU of two boxes with the areas and the overlap rectangle, for display.

    Args:
        box_a (Tensor[4]): (x1, y1, x2, y2).
        box_b (Tensor[4]): (x1, y1, x2, y2).

    Returns:
        IouDetails: plain-float summary; ``iou`` equals ``box_iou`` of the two.
    """
    a = check_boxes(torch.as_tensor(box_a).reshape(-1, 4), "box_a")
    b = check_boxes(torch.as_tensor(box_b).reshape(-1, 4), "box_b")
    if a.shape[0] != 1 or b.shape[0] != 1:
        raise ValueError("iou_details takes exactly one box each: Tensor[4] (x1, y1, x2, y2).")
    iou = float(box_iou(a, b)[0, 0])
    (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = a[0].tolist(), b[0].tolist()
    area_a, area_b = (ax2 - ax1) * (ay2 - ay1), (bx2 - bx1) * (by2 - by1)
    x1, y1, x2, y2 = max(ax1, bx1), max(ay1, by1), min(ax2, bx2), min(ay2, by2)
    inter = max(x2 - x1, 0.0) * max(y2 - y1, 0.0)
    overlap = (x1, y1, x2, y2) if x2 > x1 and y2 > y1 else None
    return IouDetails(iou, inter, area_a + area_b - inter, area_a, area_b, overlap)


def offset_boxes(anchors: Tensor, assigned_bb: Tensor, eps: float = 1e-6) -> Tensor:
    """Encode boxes as offsets from anchors (the book's transform, correct math).

    offset = (10 (x_b - x_a) / w_a, 10 (y_b - y_a) / h_a, 5 log(eps + w_b / w_a),
    5 log(eps + h_b / h_a)) on center coordinates; ``offset_inverse`` undoes it.

    Args:
        anchors (Tensor[N, 4]): (x1, y1, x2, y2), positive width and height.
        assigned_bb (Tensor[N, 4]): (x1, y1, x2, y2) box assigned to each anchor.
        eps: added inside the log so zero-size boxes give a finite offset.

    Returns:
        Tensor[N, 4]: (dx, dy, dw, dh).
    """
    anchors = check_boxes(anchors, "anchors")
    assigned_bb = check_boxes(assigned_bb, "assigned_bb")
    if anchors.shape != assigned_bb.shape:
        raise ValueError(f"anchors {tuple(anchors.shape)} and assigned_bb "
                         f"{tuple(assigned_bb.shape)} must have the same shape (N, 4).")
    if anchors.numel() and not bool(((anchors[:, 2:] - anchors[:, :2]) > 0).all()):
        raise ValueError("anchors must have positive width and height to encode offsets; "
                         "drop zero-size anchors.")
    return encode_offsets(anchors, assigned_bb, eps)


def encode_offsets(anchors: Tensor, assigned_bb: Tensor, eps: float = 1e-6) -> Tensor:
    """``offset_boxes`` without input checks; works on Tensor[..., 4] (internal)."""
    c_anc = box_convert(anchors, "xyxy", "cxcywh")
    c_bb = box_convert(assigned_bb, "xyxy", "cxcywh")
    offset_xy = XY_SCALE * (c_bb[..., :2] - c_anc[..., :2]) / c_anc[..., 2:]
    offset_wh = WH_SCALE * torch.log(eps + c_bb[..., 2:] / c_anc[..., 2:])
    return torch.cat([offset_xy, offset_wh], dim=-1)


def offset_inverse(anchors: Tensor, offset_preds: Tensor) -> Tensor:
    """Decode predicted offsets back into boxes (inverse of ``offset_boxes``).

    Args:
        anchors (Tensor[N, 4]): (x1, y1, x2, y2).
        offset_preds (Tensor[N, 4]): (dx, dy, dw, dh) as made by ``offset_boxes``.

    Returns:
        Tensor[N, 4]: predicted boxes (x1, y1, x2, y2).
    """
    anchors = check_boxes(anchors, "anchors")
    offset_preds = as_float_tensor(offset_preds, "offset_preds")
    if offset_preds.shape != anchors.shape:
        raise ValueError(f"offset_preds must have the anchors' shape {tuple(anchors.shape)}"
                         f"; got {tuple(offset_preds.shape)}. Use offset_preds.reshape(-1, 4).")
    return decode_offsets(anchors, offset_preds.to(anchors.dtype))


def decode_offsets(anchors: Tensor, offset_preds: Tensor) -> Tensor:
    """``offset_inverse`` without input checks (internal)."""
    anc = box_convert(anchors, "xyxy", "cxcywh")
    pred_xy = (offset_preds[..., :2] * anc[..., 2:] / XY_SCALE) + anc[..., :2]
    pred_wh = torch.exp(offset_preds[..., 2:] / WH_SCALE) * anc[..., 2:]
    return box_convert(torch.cat((pred_xy, pred_wh), dim=-1), "cxcywh", "xyxy")
