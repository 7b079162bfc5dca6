"""The offline procedural shapes set: deterministic, balanced, fast, not trivial."""

from __future__ import annotations

import torch

from engine.data import SHAPE_NAMES, load_dataset, make_shapes


def test_same_seed_same_images_other_seed_other_images() -> None:
    X1, y1 = make_shapes(500, seed=7)
    X2, y2 = make_shapes(500, seed=7)
    assert torch.equal(X1, X2) and torch.equal(y1, y2)
    X3, _ = make_shapes(500, seed=8)
    assert not torch.equal(X1, X3)


def test_shapes_dtype_range_and_class_balance() -> None:
    X, y = make_shapes(1003, seed=0)
    assert X.shape == (1003, 1, 28, 28) and X.dtype == torch.uint8
    assert y.dtype == torch.int64
    counts = torch.bincount(y, minlength=10)
    assert len(SHAPE_NAMES) == 10 and counts.sum() == 1003
    assert counts.min() == 100 and counts.max() == 101
    # real images: ink and background both present, not saturated noise
    assert 20 < X.float().mean() < 120
    assert (X.flatten(1).amax(1) > 150).float().mean() > 0.95


def test_classes_differ_on_average() -> None:
    X, y = make_shapes(2000, seed=1)
    means = torch.stack([X[y == c].float().mean(0) for c in range(10)]).flatten(1)
    dist = torch.cdist(means, means)
    assert dist[~torch.eye(10, dtype=torch.bool)].min() > 50  # every pair of classes apart


def test_bundle_is_fashion_mnist_shaped_and_split_seeds_differ() -> None:
    b = load_dataset("procedural-shapes", batch_size=100, n_train=300, n_test=200)
    assert (b.input_shape, b.num_classes, b.n_train, b.n_test) == ((1, 28, 28), 10, 300, 200)
    assert b.class_names == SHAPE_NAMES and b.source == "procedural (offline, seed 0)"
    X, y = next(iter(b.train))
    assert X.shape == (100, 1, 28, 28) and X.dtype == torch.float32
    assert X.min() >= 0.0 and X.max() <= 1.0
    assert not torch.equal(b.train.dataset.X[:200], b.test.dataset.X)
