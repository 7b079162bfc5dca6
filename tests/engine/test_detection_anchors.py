"""Anchor generation (engine.detection.anchors) against the book."""

from __future__ import annotations

import pytest
import torch
from d2l_reference import book_multibox_prior

from engine.detection import (
    anchor_count,
    anchor_labels,
    anchors_at_pixel,
    multibox_prior,
    multiscale_anchors,
)

SIZES, RATIOS = [0.75, 0.5, 0.25], [1, 2, 0.5]


def test_book_oracle_561x728() -> None:
    y = multibox_prior(torch.rand(1, 3, 561, 728), SIZES, RATIOS)
    assert y.shape == (1, 2_042_040, 4) and y.dtype == torch.float32
    boxes = y.reshape(561, 728, 5, 4)
    assert torch.allclose(boxes[250, 250, 0], torch.tensor([0.06, 0.07, 0.63, 0.82]), atol=0.01)
    scaled = boxes[250, 250, 0] * torch.tensor([728, 561, 728, 561])
    assert torch.allclose(scaled, torch.tensor([40.13, 40.12, 460.88, 460.87]), atol=0.01)
    assert anchor_count(561, 728, SIZES, RATIOS) == 2_042_040


@pytest.mark.parametrize(("h", "w", "sizes", "ratios"), [
    (7, 5, SIZES, RATIOS), (1, 1, [0.3], [1.0]), (4, 9, [0.2, 0.9], [0.5, 1, 3, 4]),
    (30, 20, [0.1], [2]), (3, 3, [1.3], [1, 1]),
    (561, 728, SIZES, RATIOS), (1, 97, [0.3, 0.05], [1, 0.25]), (83, 1, [2.5], [7, 1, 0.1]),
    (64, 48, [0.9, 0.7, 0.5, 0.3, 0.1], [1, 2, 0.5, 3, 1 / 3]), (13, 211, [1e-3], [1e3]),
])
def test_prior_is_bit_identical_to_the_book(h: int, w: int, sizes: list[float],
                                            ratios: list[float]) -> None:
    x = torch.zeros(1, 3, h, w)
    assert torch.equal(multibox_prior(x, sizes, ratios), book_multibox_prior(x, sizes, ratios))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_prior_on_cuda_is_bit_identical_to_the_book() -> None:
    x = torch.zeros(1, 3, 561, 728, device="cuda")
    ours = multibox_prior(x, SIZES, RATIOS)
    assert ours.device.type == "cuda"
    assert torch.equal(ours, book_multibox_prior(x, SIZES, RATIOS))


def test_anchors_at_pixel_equals_slicing_the_prior() -> None:
    h, w = 37, 53
    k = len(SIZES) + len(RATIOS) - 1
    grid = multibox_prior(torch.zeros(h, w), SIZES, RATIOS).reshape(h, w, k, 4)
    for x, y in [(0, 0), (52, 36), (10, 20), (25, 3)]:
        anchors, labels = anchors_at_pixel(h, w, x, y, SIZES, RATIOS)
        assert anchors.shape == (k, 4)
        assert torch.equal(anchors, grid[y, x])
    assert labels == ["s=0.75, r=1", "s=0.5, r=1", "s=0.25, r=1", "s=0.75, r=2",
                      "s=0.75, r=0.5"]
    big, _ = anchors_at_pixel(561, 728, 250, 250, SIZES, RATIOS)
    assert torch.allclose(big[0], torch.tensor([0.06, 0.07, 0.63, 0.82]), atol=0.01)


def test_anchor_labels_and_count() -> None:
    assert anchor_labels([0.5], [1, 2]) == ["s=0.5, r=1", "s=0.5, r=2"]
    assert anchor_count(2, 3, [0.1, 0.2], [1]) == 12


def test_multiscale_anchors_like_display_anchors() -> None:
    a = multiscale_anchors(4, 2, [0.15])
    assert a.shape == (4 * 2 * 3, 4)
    assert torch.equal(a, multibox_prior(torch.zeros(1, 10, 2, 4), [0.15], [1, 2, 0.5])[0])
    centres = (a[:, :2] + a[:, 2:]) / 2
    assert torch.allclose(centres[0], torch.tensor([0.125, 0.25]))
    one = multiscale_anchors(1, 1, [0.8], [1])
    assert torch.allclose(one, torch.tensor([[0.1, 0.1, 0.9, 0.9]]))


@pytest.mark.parametrize(("call", "match"), [
    (lambda: multibox_prior(torch.zeros(5), SIZES, RATIOS), r"\(\.\.\., H, W\)"),
    (lambda: multibox_prior(torch.zeros(0, 4), SIZES, RATIOS), "height"),
    (lambda: multibox_prior(torch.zeros(4, 4), [], RATIOS), "sizes is empty"),
    (lambda: multibox_prior(torch.zeros(4, 4), SIZES, [1, -2]), "ratios must contain"),
    (lambda: multibox_prior(torch.zeros(4, 4), [float("nan")], [1]), "sizes must contain"),
    (lambda: anchors_at_pixel(10, 10, 10, 0, SIZES, RATIOS), r"x must be .* \[0, 9\]"),
    (lambda: anchors_at_pixel(10, 10, 0, -1, SIZES, RATIOS), "y must be"),
    (lambda: anchor_count(0, 10, SIZES, RATIOS), "height must be"),
    (lambda: multiscale_anchors(2, 0, [0.1]), "fmap_h"),
    (lambda: anchor_labels(["a"], [1]), "list of numbers"),
])
def test_anchor_validation(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
