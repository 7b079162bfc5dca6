"""The book's worked examples as data, and synthetic predictions for the NMS demo.

Coordinates of the examples are normalised to the book's 561 x 728 cat-and-dog photo
(multiply by (728, 561, 728, 561) for pixels).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from engine.detection._validate import check_boxes
from engine.detection.boxes import pairwise_iou

#: (height, width) of the book's catdog.jpg.
CATDOG_SIZE: tuple[int, int] = (561, 728)
#: Ground-truth boxes of the photo in pixels (x1, y1, x2, y2).
DOG_BBOX: tuple[float, float, float, float] = (60.0, 45.0, 378.0, 516.0)
CAT_BBOX: tuple[float, float, float, float] = (400.0, 112.0, 655.0, 493.0)
#: The book's anchor sizes and ratios (5 anchors per pixel).
BOOK_SIZES: tuple[float, ...] = (0.75, 0.5, 0.25)
BOOK_RATIOS: tuple[float, ...] = (1.0, 2.0, 0.5)


@dataclass(frozen=True, eq=False)
class LabellingExample:
    """The book's anchor-labelling example (two ground truths, five anchors).

    Attributes:
        ground_truth (Tensor[2, 5]): rows (class, x1, y1, x2, y2); 0 = dog, 1 = cat.
        anchors (Tensor[5, 4]): (x1, y1, x2, y2).
        class_names: names of the classes, indexed by class id.
        anchor_names: the labels the book draws on the anchors.
    """

    ground_truth: Tensor
    anchors: Tensor
    class_names: tuple[str, ...] = ("dog", "cat")
    anchor_names: tuple[str, ...] = ("0", "1", "2", "3", "4")


def labelling_example() -> LabellingExample:
    """Fresh tensors of the book's labelling example (``multibox_target`` input)."""
    return LabellingExample(
        ground_truth=torch.tensor([[0, 0.1, 0.08, 0.52, 0.92], [1, 0.55, 0.2, 0.9, 0.88]]),
        anchors=torch.tensor([[0, 0.1, 0.2, 0.3], [0.15, 0.2, 0.4, 0.4],
                              [0.63, 0.05, 0.88, 0.98], [0.66, 0.45, 0.8, 0.8],
                              [0.57, 0.3, 0.92, 0.9]]))


@dataclass(frozen=True, eq=False)
class NmsExample:
    """The book's four-box NMS example (offsets zero, so predictions = anchors).

    Attributes:
        anchors (Tensor[4, 4]): (x1, y1, x2, y2).
        offset_preds (Tensor[16]): zeros.
        cls_probs (Tensor[3, 4]): rows background, dog, cat; one column per anchor.
        class_names: ("dog", "cat").
        box_labels: the book's captions "dog=0.9", ...
    """

    anchors: Tensor
    offset_preds: Tensor
    cls_probs: Tensor
    class_names: tuple[str, ...] = ("dog", "cat")
    box_labels: tuple[str, ...] = ("dog=0.9", "dog=0.8", "dog=0.7", "cat=0.9")

    @property
    def scores(self) -> Tensor:
        """Tensor[4]: each box's best non-background probability (the NMS score)."""
        return self.cls_probs[1:].max(dim=0).values


def nms_example() -> NmsExample:
    """Fresh tensors of the book's NMS example (``multibox_detection`` input)."""
    anchors = torch.tensor([[0.1, 0.08, 0.52, 0.92], [0.08, 0.2, 0.56, 0.95],
                            [0.15, 0.3, 0.62, 0.91], [0.55, 0.2, 0.9, 0.88]])
    return NmsExample(
        anchors=anchors,
        offset_preds=torch.zeros(anchors.numel()),
        cls_probs=torch.tensor([[0.0] * 4, [0.9, 0.8, 0.7, 0.1], [0.1, 0.2, 0.3, 0.9]]))


def jitter_predictions(gt_boxes: Tensor, n_per_box: int, *, seed: int,
                       position_sigma: float = 0.1, size_sigma: float = 0.15,
                       bounds: tuple[float, float, float, float] | None = None,
                       ) -> tuple[Tensor, Tensor, Tensor]:
    """Plausible detector output around ground truths, for the NMS demo.

    Each prediction moves its ground truth's centre by N(0, position_sigma * size) and
    scales width and height by exp(N(0, size_sigma)); its score is
    sqrt(IoU with the ground truth) * U(0.7, 1), so tighter boxes tend to score higher.

    Args:
        gt_boxes (Tensor[G, 4]): (x1, y1, x2, y2), any scale.
        n_per_box: predictions per ground truth, >= 0.
        seed: makes the result reproducible.
        position_sigma: centre jitter as a fraction of the box size, >= 0.
        size_sigma: log-size jitter, >= 0.
        bounds: optional (x_min, y_min, x_max, y_max) to clip boxes into, e.g. the image.

    Returns:
        boxes (Tensor[G * n_per_box, 4]): float32 (x1, y1, x2, y2), x2 >= x1, y2 >= y1.
        scores (Tensor[G * n_per_box]): float32 in (0, 1].
        gt_index (Tensor[G * n_per_box]): int64 source ground truth of each prediction.
    """
    gt_boxes = check_boxes(gt_boxes, "gt_boxes").float()
    if isinstance(n_per_box, bool) or int(n_per_box) != n_per_box or n_per_box < 0:
        raise ValueError(f"n_per_box must be an integer >= 0; got {n_per_box!r}.")
    if not (position_sigma >= 0 and size_sigma >= 0):
        raise ValueError(f"position_sigma and size_sigma must be >= 0; got "
                         f"{position_sigma}, {size_sigma}.")
    gen = torch.Generator().manual_seed(int(seed))
    gt_index = torch.arange(gt_boxes.shape[0]).repeat_interleave(int(n_per_box))
    src = gt_boxes[gt_index]
    cx, cy = (src[:, 0] + src[:, 2]) / 2, (src[:, 1] + src[:, 3]) / 2
    w, h = src[:, 2] - src[:, 0], src[:, 3] - src[:, 1]
    noise = torch.randn((src.shape[0], 4), generator=gen)
    cx = cx + noise[:, 0] * position_sigma * w
    cy = cy + noise[:, 1] * position_sigma * h
    w = w * torch.exp(noise[:, 2] * size_sigma)
    h = h * torch.exp(noise[:, 3] * size_sigma)
    boxes = torch.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), dim=1)
    if bounds is not None:
        x0, y0, x1, y1 = (float(v) for v in bounds)
        if not (x1 > x0 and y1 > y0):
            raise ValueError(f"bounds must be (x_min, y_min, x_max, y_max) with max > min; "
                             f"got {bounds}.")
        lo = torch.tensor([x0, y0, x0, y0])
        hi = torch.tensor([x1, y1, x1, y1])
        boxes = torch.max(torch.min(boxes, hi), lo)
    iou = pairwise_iou(boxes[:, None], src[:, None])[:, 0, 0]
    factor = 0.7 + 0.3 * torch.rand(src.shape[0], generator=gen)
    scores = (iou.sqrt() * factor).clamp(min=1e-3, max=1.0)
    return boxes, scores, gt_index
