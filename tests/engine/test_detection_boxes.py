"""Box conversions, IoU and the offset transform (engine.detection.boxes)."""

from __future__ import annotations

import math
import random

import pytest
import torch
import torchvision

from engine.detection import (
    box_center_to_corner,
    box_corner_to_center,
    box_iou,
    iou_details,
    offset_boxes,
    offset_inverse,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def random_boxes(gen: torch.Generator, n: int, *, grid: bool = False) -> torch.Tensor:
    """Random valid xyxy boxes in [0, 1.5]; ``grid`` snaps to 0.1 for exact ties."""
    xy = torch.rand((n, 2), generator=gen)
    wh = torch.rand((n, 2), generator=gen) * 0.5
    if grid:
        xy, wh = (xy * 10).round() / 10, (wh * 10).round() / 10
    return torch.cat((xy, xy + wh), dim=1)


def slow_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> list[list[float]]:
    """Ten-line reference: IoU of every pair in Python doubles."""
    out = []
    for ax1, ay1, ax2, ay2 in boxes1.tolist():
        row = []
        for bx1, by1, bx2, by2 in boxes2.tolist():
            iw = max(0.0, min(ax2, bx2) - max(ax1, bx1))
            ih = max(0.0, min(ay2, by2) - max(ay1, by1))
            inter = iw * ih
            union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
            row.append(inter / union if union > 0 else 0.0)
        out.append(row)
    return out


def test_corner_center_round_trip() -> None:
    dog, cat = [60.0, 45.0, 378.0, 516.0], [400.0, 112.0, 655.0, 493.0]
    boxes = torch.tensor((dog, cat))
    centers = box_corner_to_center(boxes)
    assert torch.allclose(centers[0], torch.tensor([219.0, 280.5, 318.0, 471.0]))
    assert torch.equal(box_center_to_corner(centers), boxes)
    assert box_corner_to_center(torch.tensor(dog)).shape == (4,)


def test_conversions_reject_wrong_last_dim() -> None:
    with pytest.raises(ValueError, match="four numbers"):
        box_corner_to_center(torch.zeros(3, 5))


def test_box_iou_matches_torchvision_and_slow_loop_on_random_cases() -> None:
    gen = torch.Generator().manual_seed(0)
    rng = random.Random(0)
    for case in range(1000):
        n, m = rng.randint(1, 8), rng.randint(1, 8)
        b1, b2 = random_boxes(gen, n, grid=case % 3 == 0), random_boxes(gen, m)
        ours = box_iou(b1, b2)
        assert ours.shape == (n, m)
        assert torch.equal(ours, torchvision.ops.box_iou(b1, b2))
        assert torch.allclose(ours.double(), torch.tensor(slow_iou(b1, b2), dtype=torch.float64),
                              atol=1e-6)


def test_box_iou_edge_cases() -> None:
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    assert box_iou(a, a).item() == 1.0  # identical boxes
    assert box_iou(a, torch.tensor([[3.0, 3.0, 4.0, 4.0]])).item() == 0.0  # no overlap
    assert box_iou(a, torch.tensor([[2.0, 0.0, 3.0, 2.0]])).item() == 0.0  # touching edge
    assert box_iou(torch.tensor([[0.0, 0.0, 3.0, 1.0]]),
                   torch.tensor([[1.0, 0.0, 4.0, 1.0]])).item() == 0.5  # exactly 2 / 4
    point = torch.tensor([[1.0, 1.0, 1.0, 1.0]])
    assert box_iou(point, point).item() == 0.0  # zero union: defined as 0, not NaN
    assert box_iou(torch.zeros((0, 4)), a).shape == (0, 1)
    assert box_iou(a, torch.zeros((0, 4))).shape == (1, 0)
    assert box_iou(a.int(), a.double()).dtype == torch.float64


@pytest.mark.parametrize(("boxes", "match"), [
    (torch.zeros(3), r"shape \(N, 4\)"),
    (torch.zeros(2, 3), r"shape \(N, 4\)"),
    (torch.tensor([[0.0, 0.0, -1.0, 1.0]]), "degenerate"),
    (torch.tensor([[0.0, 0.0, float("nan"), 1.0]]), "NaN"),
])
def test_box_iou_rejects_bad_boxes(boxes: torch.Tensor, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        box_iou(boxes, torch.tensor([[0.0, 0.0, 1.0, 1.0]]))


def test_iou_details_for_display() -> None:
    d = iou_details(torch.tensor([0.0, 0.0, 3.0, 1.0]), torch.tensor([1.0, 0.0, 4.0, 1.0]))
    assert (d.iou, d.intersection, d.union, d.area_a, d.area_b) == (0.5, 2.0, 4.0, 3.0, 3.0)
    assert d.intersection_box == (1.0, 0.0, 3.0, 1.0)
    apart = iou_details(torch.tensor([0.0, 0.0, 1.0, 1.0]), torch.tensor([2.0, 2.0, 3.0, 3.0]))
    assert apart.iou == 0.0 and apart.intersection_box is None and apart.union == 2.0
    with pytest.raises(ValueError, match="degenerate"):
        iou_details(torch.tensor([1.0, 0.0, 0.0, 1.0]), torch.tensor([0.0, 0.0, 1.0, 1.0]))


def test_offset_boxes_is_the_books_math() -> None:
    anchor = torch.tensor([[0.15, 0.2, 0.4, 0.4]])  # centre (0.275, 0.3), 0.25 x 0.2
    dog = torch.tensor([[0.1, 0.08, 0.52, 0.92]])  # centre (0.31, 0.5), 0.42 x 0.84
    expected = [10 * 0.035 / 0.25, 10 * 0.2 / 0.2,
                5 * math.log(1e-6 + 0.42 / 0.25), 5 * math.log(1e-6 + 0.84 / 0.2)]
    assert torch.allclose(offset_boxes(anchor, dog)[0], torch.tensor(expected), atol=1e-5)


def test_offset_inverse_undoes_offset_boxes() -> None:
    gen = torch.Generator().manual_seed(1)
    for _ in range(50):
        anchors = random_boxes(gen, 20) + torch.tensor([0, 0, 0.01, 0.01])
        gt = random_boxes(gen, 20) + torch.tensor([0, 0, 0.01, 0.01])
        back = offset_inverse(anchors, offset_boxes(anchors, gt))
        assert torch.allclose(back, gt, atol=1e-5)
    assert torch.allclose(offset_inverse(anchors, torch.zeros(20, 4)), anchors, atol=1e-6)
    assert offset_inverse(anchors, torch.zeros(20, 4, dtype=torch.long)).dtype == torch.float32


def test_offset_validation() -> None:
    a = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match="same shape"):
        offset_boxes(a, torch.zeros(2, 4))
    with pytest.raises(ValueError, match="positive width"):
        offset_boxes(torch.tensor([[0.0, 0.0, 0.0, 1.0]]), a)
    with pytest.raises(ValueError, match="anchors' shape"):
        offset_inverse(a, torch.zeros(4))
    assert offset_boxes(torch.zeros(0, 4), torch.zeros(0, 4)).shape == (0, 4)
