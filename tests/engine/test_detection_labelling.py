"""Anchor labelling (engine.detection.labelling) against the book's algorithm."""

from __future__ import annotations

import random

import pytest
import torch
from d2l_reference import book_assign_anchor_to_bbox, book_box_iou, book_multibox_target

from engine.detection import (
    anchor_assignment,
    assign_anchor_to_bbox,
    labelling_example,
    multibox_target,
    offset_boxes,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def random_boxes(gen: torch.Generator, shape: tuple[int, ...], *, grid: bool) -> torch.Tensor:
    xy = torch.rand((*shape, 2), generator=gen)
    wh = torch.rand((*shape, 2), generator=gen) * 0.6 + 0.05
    if grid:
        xy, wh = (xy * 5).round() / 5, (wh * 5).round().clamp(min=1) / 5
    return torch.cat((xy, xy + wh), dim=-1)


def test_book_example_labels_mask_and_offsets() -> None:
    ex = labelling_example()
    offsets, mask, classes = multibox_target(ex.anchors.unsqueeze(0),
                                             ex.ground_truth.unsqueeze(0))
    assert classes.tolist() == [[0, 1, 2, 0, 2]] and classes.dtype == torch.long
    assert mask.tolist() == [[0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]]
    assert offsets.shape == (1, 20) and offsets.dtype == mask.dtype == torch.float32
    # The correct math (as printed in d2l itself, not the notes' buggy variants).
    expected = torch.tensor([0, 0, 0, 0, 1.40, 10.0, 2.59, 7.18, -1.20, 0.269, 1.68, -1.57,
                             0, 0, 0, 0, -0.571, -1.00, 4.17e-06, 0.626])
    assert torch.allclose(offsets[0], expected, atol=0.006)
    gt = ex.ground_truth[:, 1:]
    direct = offset_boxes(ex.anchors[[1, 2, 4]], gt[[0, 1, 1]])
    assert torch.allclose(offsets[0].reshape(5, 4)[[1, 2, 4]], direct)


def test_book_example_assignment_details() -> None:
    ex = labelling_example()
    details = anchor_assignment(ex.anchors, ex.ground_truth)
    assert details.gt_index.tolist() == [-1, 0, 1, -1, 1]
    assert details.forced.tolist() == [False, True, False, False, True]
    assert details.class_labels.tolist() == [0, 1, 2, 0, 2]
    iou = book_box_iou(ex.anchors, ex.ground_truth[:, 1:])
    assert details.iou[[0, 3]].tolist() == [0.0, 0.0]
    assert details.iou[2] == pytest.approx(float(iou[2, 1]))
    assert details.max_iou.tolist() == pytest.approx(iou.max(dim=1).values.tolist())
    assert details.offsets.shape == (5, 4) and details.offsets.dtype.name == "float32"
    assert (details.offsets[[0, 3]] == 0).all()
    assert details.iou_threshold == 0.5


def test_assign_honours_iou_threshold() -> None:
    ex = labelling_example()
    gt = ex.ground_truth[:, 1:]
    assert assign_anchor_to_bbox(gt, ex.anchors, "cpu").tolist() == [-1, 0, 1, -1, 1]
    # At 0.1 anchor 3 (IoU 0.206 with the cat) joins; at 1.0 only the forced ones stay.
    assert assign_anchor_to_bbox(gt, ex.anchors, "cpu", 0.1).tolist() == [-1, 0, 1, 1, 1]
    assert assign_anchor_to_bbox(gt, ex.anchors, "cpu", 1.0).tolist() == [-1, 0, -1, -1, 1]


def test_multibox_target_matches_book_loop_on_random_cases() -> None:
    gen = torch.Generator().manual_seed(2)
    rng = random.Random(2)
    for case in range(300):
        batch, num_gt = rng.randint(1, 3), rng.randint(1, 4)
        num_anchors = rng.randint(num_gt, 25)
        grid = case % 2 == 0  # snapped boxes give exact IoU ties
        anchors = random_boxes(gen, (num_anchors,), grid=grid)
        boxes = random_boxes(gen, (batch, num_gt), grid=grid)
        classes = torch.randint(0, 3, (batch, num_gt, 1), generator=gen).float()
        labels = torch.cat((classes, boxes), dim=-1)
        thr = rng.choice([0.3, 0.5, 0.7, rng.random()])
        ours = multibox_target(anchors.unsqueeze(0), labels, iou_threshold=thr)
        book = book_multibox_target(anchors.unsqueeze(0), labels, thr)
        assert torch.equal(ours[2], book[2]), case
        assert torch.equal(ours[1], book[1]), case
        assert torch.allclose(ours[0], book[0], atol=1e-5), case
        for i in range(batch):
            mapped = assign_anchor_to_bbox(boxes[i], anchors, "cpu", thr)
            assert torch.equal(mapped, book_assign_anchor_to_bbox(boxes[i], anchors, "cpu", thr))


def test_forced_marks_the_greedy_best_anchor_per_ground_truth() -> None:
    anchors = torch.tensor([[0.0, 0.0, 0.2, 0.2], [0.5, 0.5, 0.7, 0.7], [0.5, 0.5, 0.75, 0.75]])
    labels = torch.tensor([[0, 0.0, 0.0, 0.4, 0.4], [1, 0.5, 0.5, 0.7, 0.7]])
    details = anchor_assignment(anchors, labels)
    assert details.gt_index.tolist() == [0, 1, 1]
    assert details.forced.tolist() == [True, True, False]  # anchor 2 passed the threshold


def test_padding_rows_empty_labels_and_few_anchors() -> None:
    anchors = torch.tensor([[0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 1.0, 1.0]])
    labels = torch.tensor([[[2, 0.0, 0.0, 0.5, 0.5], [-1, -1, -1, -1, -1]]])
    _, mask, classes = multibox_target(anchors, labels)
    assert classes.tolist() == [[3, 0]] and mask.sum() == 4
    offsets, mask, classes = multibox_target(anchors, torch.zeros(2, 0, 5))
    assert offsets.shape == mask.shape == (2, 8) and classes.tolist() == [[0, 0], [0, 0]]
    # More ground truths than anchors: each anchor is forced once, nothing is re-assigned.
    three = torch.tensor([[[0, 0.0, 0.0, 0.5, 0.5], [1, 0.5, 0.5, 1.0, 1.0],
                           [2, 0.0, 0.0, 0.4, 0.4]]])
    assert multibox_target(anchors, three)[2].tolist() == [[1, 2]]
    empty = anchor_assignment(anchors, torch.zeros(0, 5))
    assert empty.gt_index.tolist() == [-1, -1] and empty.max_iou.tolist() == [0.0, 0.0]


@pytest.mark.parametrize(("call", "match"), [
    (lambda: multibox_target(torch.zeros(1, 3, 4) + torch.tensor([0, 0, 1, 1.0]),
                             torch.zeros(2, 5)), r"\(batch, num_gt, 5\)"),
    (lambda: multibox_target(torch.zeros(3, 3), torch.zeros(1, 2, 5)), r"\(N, 4\)"),
    (lambda: multibox_target(torch.tensor([[0, 0, 1, 1.0]]),
                             torch.tensor([[[0, 0.5, 0, 0.1, 1]]])), "degenerate"),
    (lambda: multibox_target(torch.tensor([[0, 0, 1, 1.0]]),
                             torch.tensor([[[float("nan"), 0, 0, 1, 1]]])), "NaN class"),
    (lambda: assign_anchor_to_bbox(torch.zeros(1, 4), torch.zeros(2, 4), "cpu", 1.5),
     r"iou_threshold must be in \[0, 1\]"),
    (lambda: anchor_assignment(torch.zeros(2, 4), torch.zeros(1, 1, 5)), r"\(num_gt, 5\)"),
])
def test_labelling_validation(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
