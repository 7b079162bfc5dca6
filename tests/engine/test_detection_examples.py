"""Book examples and synthetic predictions (engine.detection.examples).

The Qt-free import of engine.detection is covered by tests/test_architecture.py.
"""

from __future__ import annotations

import pytest
import torch

from engine.detection import (
    BOOK_RATIOS,
    BOOK_SIZES,
    CAT_BBOX,
    CATDOG_SIZE,
    DOG_BBOX,
    anchor_count,
    box_iou,
    jitter_predictions,
    labelling_example,
    nms,
    nms_example,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_book_constants_and_examples() -> None:
    assert anchor_count(*CATDOG_SIZE, BOOK_SIZES, BOOK_RATIOS) == 2_042_040
    h, w = CATDOG_SIZE
    scale = torch.tensor([w, h, w, h])
    gt = labelling_example().ground_truth
    # The example's normalised boxes are the photo's pixel boxes, rounded.
    assert torch.allclose(gt[:, 1:] * scale, torch.tensor([DOG_BBOX, CAT_BBOX]), atol=16)
    ex = nms_example()
    assert ex.scores.tolist() == pytest.approx([0.9, 0.8, 0.7, 0.9])
    assert ex.offset_preds.shape == (16,) and ex.cls_probs.shape == (3, 4)
    ex.anchors.add_(1)  # fresh tensors each call: mutating one doesn't leak
    assert nms_example().anchors[0, 0].item() == pytest.approx(0.1)


def test_jitter_predictions_are_reproducible_and_plausible() -> None:
    gt = labelling_example().ground_truth[:, 1:]
    boxes, scores, src = jitter_predictions(gt, 10, seed=7, bounds=(0, 0, 1, 1))
    again = jitter_predictions(gt, 10, seed=7, bounds=(0, 0, 1, 1))
    assert torch.equal(boxes, again[0]) and torch.equal(scores, again[1])
    assert not torch.equal(boxes, jitter_predictions(gt, 10, seed=8)[0])
    assert boxes.shape == (20, 4) and scores.shape == (20,) and src.tolist() == [0] * 10 + [1] * 10
    assert (boxes[:, 2:] >= boxes[:, :2]).all() and (boxes >= 0).all() and (boxes <= 1).all()
    assert ((scores > 0) & (scores <= 1)).all()
    iou = box_iou(boxes, gt)
    assert (iou.argmax(dim=1) == src).all() and (iou.max(dim=1).values > 0.3).all()
    keep = nms(boxes, scores, 0.5)
    assert set(src[keep].tolist()) == {0, 1}  # NMS finds both objects
    none = jitter_predictions(gt, 0, seed=0)
    assert none[0].shape == (0, 4) and none[1].shape == (0,)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_per_box": -1}, "n_per_box"),
    ({"n_per_box": 2, "position_sigma": -0.1}, "sigma"),
    ({"n_per_box": 2, "bounds": (1, 0, 0, 1)}, "bounds"),
])
def test_jitter_validation(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        jitter_predictions(torch.tensor([[0.0, 0, 1, 1]]), seed=0, **kwargs)

