"""NMS, its step-by-step version and multibox_detection (engine.detection.nms)."""

from __future__ import annotations

import random

import pytest
import torch
import torchvision
from d2l_reference import book_box_iou, book_multibox_detection, book_nms

from engine.detection import (
    NmsDropped,
    NmsFinished,
    NmsKept,
    NmsSuppressed,
    box_iou,
    multibox_detection,
    nms,
    nms_example,
    nms_steps,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def random_case(gen: torch.Generator, rng: random.Random) -> tuple[torch.Tensor, torch.Tensor]:
    n = rng.randint(1, 40)
    xy = torch.rand((n, 2), generator=gen)
    wh = torch.rand((n, 2), generator=gen) * 0.6 + 0.01
    if rng.random() < 0.3:  # snapped boxes: identical boxes and exact IoU values
        xy, wh = (xy * 5).round() / 5, (wh * 5).round().clamp(min=1) / 5
    scores = torch.rand(n, generator=gen)
    if rng.random() < 0.3:  # many equal scores
        scores = (scores * 3).round() / 3
    return torch.cat((xy, xy + wh), dim=1), scores


def test_nms_matches_book_loop_and_torchvision_on_random_cases() -> None:
    gen = torch.Generator().manual_seed(3)
    rng = random.Random(3)
    for case in range(1000):
        boxes, scores = random_case(gen, rng)
        thr = rng.choice([0.0, 0.3, 0.5, 0.7, 1.0, rng.random()])
        keep = nms(boxes, scores, thr)
        assert keep.dtype == torch.long
        assert keep.tolist() == book_nms(boxes, scores, thr).tolist(), case
        if scores.unique().numel() == scores.numel():  # no ties: torchvision's order is ours
            assert torch.equal(keep, torchvision.ops.nms(boxes, scores, thr)), case


def test_nms_threshold_equal_to_an_actual_iou() -> None:
    """Thresholds that equal (in float32) an IoU of the case: the `<=` edge of the book."""
    gen = torch.Generator().manual_seed(4)
    rng = random.Random(4)
    for case in range(300):
        boxes, scores = random_case(gen, rng)
        iou = book_box_iou(boxes, boxes)
        values = iou[(iou > 0) & (iou < 1)]
        if values.numel() == 0:
            continue
        exact = float(values[rng.randrange(values.numel())])
        for thr in (exact, exact - 1e-12, exact + 1e-12):  # all round to the same float32
            assert nms(boxes, scores, thr).tolist() == book_nms(boxes, scores, thr).tolist(), case


def test_nms_edge_cases() -> None:
    a = torch.tensor([[0.0, 0.0, 3.0, 1.0]])
    b = torch.tensor([[1.0, 0.0, 4.0, 1.0]])  # IoU(a, b) == 0.5 exactly
    pair, scores = torch.cat((a, b)), torch.tensor([0.9, 0.8])
    assert nms(pair, scores, 0.5).tolist() == [0, 1]  # IoU == threshold is kept
    assert nms(pair, scores, 0.4999).tolist() == [0]
    same = torch.cat((a, a, a))
    assert nms(same, torch.tensor([0.1, 0.3, 0.2]), 0.99).tolist() == [1]
    assert nms(same, torch.tensor([0.5, 0.5, 0.5]), 0.5).tolist() == [0]  # tie: lowest index
    apart = torch.tensor([[0.0, 0, 1, 1], [2, 2, 3, 3], [4, 4, 5, 5]])
    assert nms(apart, torch.tensor([0.1, 0.3, 0.2]), 0.0).tolist() == [1, 2, 0]
    assert nms(a, torch.tensor([0.3]), 0.5).tolist() == [0]
    empty = nms(torch.zeros((0, 4)), torch.zeros(0), 0.5)
    assert empty.shape == (0,) and empty.dtype == torch.long
    points = torch.tensor([[1.0, 1, 1, 1], [1.0, 1, 1, 1]])  # zero area: IoU 0, both kept
    assert nms(points, torch.tensor([0.2, 0.1]), 0.5).tolist() == [0, 1]
    ints = torch.tensor([[0, 0, 2, 2], [0, 0, 2, 2]])
    assert nms(ints, torch.tensor([1, 2]), 0.5).tolist() == [1]
    assert nms(pair, torch.tensor([float("inf"), float("-inf")]), 0.5).tolist() == [0, 1]


@pytest.mark.parametrize(("boxes", "scores", "thr", "match"), [
    (torch.zeros(2, 4), torch.tensor([0.5, float("nan")]), 0.5, "NaN"),
    (torch.zeros(2, 4), torch.zeros(3), 0.5, r"shape \(2,\)"),
    (torch.zeros(2, 5), torch.zeros(2), 0.5, r"\(N, 4\)"),
    (torch.tensor([[1.0, 0, 0, 1]]), torch.zeros(1), 0.5, "degenerate"),
    (torch.zeros(1, 4), torch.zeros(1), 1.5, r"\[0, 1\]"),
    (torch.zeros(1, 4), torch.zeros(1), float("nan"), r"\[0, 1\]"),
])
def test_nms_validation(boxes, scores, thr, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        nms(boxes, scores, thr)
    with pytest.raises(ValueError, match=match):
        list(nms_steps(boxes, scores, thr))


def test_nms_steps_final_kept_equals_nms_on_random_cases() -> None:
    gen = torch.Generator().manual_seed(5)
    rng = random.Random(5)
    for case in range(500):
        boxes, scores = random_case(gen, rng)
        thr = rng.choice([0.0, 0.3, 0.5, 0.7, rng.random()])
        events = list(nms_steps(boxes, scores, thr))
        finished = events[-1]
        assert isinstance(finished, NmsFinished)
        assert list(finished.kept) == nms(boxes, scores, thr).tolist(), case
        kept = [e.index for e in events if isinstance(e, NmsKept)]
        suppressed = [e for e in events if isinstance(e, NmsSuppressed)]
        assert kept == list(finished.kept)
        assert sorted(kept + [e.index for e in suppressed]) == list(range(len(scores)))
        iou = box_iou(boxes, boxes)
        for e in suppressed:
            assert e.by in kept and e.iou > thr
            assert e.iou == pytest.approx(float(iou[e.by, e.index]), abs=1e-6)
            assert e.step == kept.index(e.by)


def test_nms_steps_score_threshold_and_event_types() -> None:
    ex = nms_example()
    events = list(nms_steps(ex.anchors, ex.scores, 0.5, score_threshold=0.75))
    assert events[0] == NmsDropped(2, pytest.approx(0.7))
    assert [type(e).__name__ for e in events] == [
        "NmsDropped", "NmsKept", "NmsSuppressed", "NmsKept", "NmsFinished"]
    kept0, sup = events[1], events[2]
    assert (kept0.step, kept0.index, kept0.remaining) == (0, 0, 1)
    assert (sup.index, sup.by, sup.step) == (1, 0, 0) and sup.iou > 0.5
    assert events[-1].kept == (0, 3)
    for e in events:
        for value in vars(e).values():
            assert isinstance(value, int | float | tuple)
    with pytest.raises(AttributeError):
        kept0.index = 3  # frozen
    assert list(nms_steps(torch.zeros((0, 4)), torch.zeros(0), 0.5)) == [NmsFinished(())]
    keep_all = list(nms_steps(ex.anchors, ex.scores, 0.5, score_threshold=2.0))
    assert [type(e) for e in keep_all] == [NmsDropped] * 4 + [NmsFinished]


def test_multibox_detection_book_example() -> None:
    ex = nms_example()
    out = multibox_detection(ex.cls_probs.unsqueeze(0), ex.offset_preds.unsqueeze(0),
                             ex.anchors.unsqueeze(0), nms_threshold=0.5)
    assert out.shape == (1, 4, 6) and out.dtype == torch.float32
    expected = torch.tensor([[0.0, 0.9, 0.1, 0.08, 0.52, 0.92],
                             [1.0, 0.9, 0.55, 0.2, 0.9, 0.88],
                             [-1.0, 0.8, 0.08, 0.2, 0.56, 0.95],
                             [-1.0, 0.7, 0.15, 0.3, 0.62, 0.91]])
    assert torch.allclose(out[0], expected, atol=1e-6)
    int_offsets = torch.tensor([0] * 16).unsqueeze(0)  # the book passes int64 zeros
    assert torch.allclose(multibox_detection(ex.cls_probs[None], int_offsets, ex.anchors), out)


def test_multibox_detection_matches_book_on_random_cases() -> None:
    gen = torch.Generator().manual_seed(6)
    for case in range(100):
        batch, classes, n = 2, 3, 12
        anchors, _ = random_case(gen, random.Random(case))
        n = anchors.shape[0]
        cls_probs = torch.softmax(torch.randn((batch, classes + 1, n), generator=gen), dim=1)
        offsets = torch.randn((batch, n * 4), generator=gen) * 0.5
        ours = multibox_detection(cls_probs, offsets, anchors[None], 0.4, pos_threshold=0.2)
        book = book_multibox_detection(cls_probs, offsets, anchors, 0.4, pos_threshold=0.2)
        assert torch.allclose(ours, book, atol=1e-6), case


def test_multibox_detection_validation() -> None:
    ex = nms_example()
    with pytest.raises(ValueError, match="cls_probs must have shape"):
        multibox_detection(ex.cls_probs, ex.offset_preds[None], ex.anchors)
    with pytest.raises(ValueError, match="offset_preds must have shape"):
        multibox_detection(ex.cls_probs[None], torch.zeros(1, 12), ex.anchors)
    bad = ex.cls_probs.clone()
    bad[1, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        multibox_detection(bad[None], ex.offset_preds[None], ex.anchors)
