"""The dataset registry: generated sets, metadata, options and errors."""

from __future__ import annotations

import pytest
import torch

from engine.data import (
    FASHION_MNIST_LABELS,
    DataBundle,
    default_data_root,
    get_fashion_mnist_labels,
    list_datasets,
    load_dataset,
)

TOY = ("spiral", "circles", "xor", "blobs")


def test_registry_lists_all_names_with_offline_default_first() -> None:
    names = [info.name for info in list_datasets()]
    assert names[0] == "procedural-shapes"
    assert set(names) == {"procedural-shapes", "colour-shapes", "synthetic-linear", *TOY,
                          "fashion-mnist", "mnist", "cifar10", "image-folder",
                          "image-folder-imagenet", "toy-masks", "toy-boxes", "bananas",
                          "banana-detection", "procedural-scenes", "voc2012"}
    offline = {i.name for i in list_datasets() if i.offline}
    assert offline == {"procedural-shapes", "colour-shapes", "synthetic-linear", *TOY,
                       "toy-masks", "toy-boxes", "bananas", "procedural-scenes"}
    book = [i.name for i in list_datasets(tasks=("classification", "regression"))]
    assert "toy-masks" not in book and book[0] == "procedural-shapes"


def test_synthetic_linear_is_the_books_data() -> None:
    b = load_dataset("synthetic-linear", batch_size=10)
    assert (b.task, b.num_classes, b.input_shape, b.n_train) == ("regression", None, (2,), 1000)
    batches = list(b.train)  # one pass: each pass reshuffles
    X, y = torch.cat([x for x, _ in batches]), torch.cat([t for _, t in batches])
    assert X.shape == (1000, 2) and y.shape == (1000, 1)
    # least squares on the data recovers w = [2, -3.4], b = 4.2 up to the 0.01 noise
    A = torch.cat([X, torch.ones(1000, 1)], dim=1)
    sol = torch.linalg.lstsq(A, y).solution.flatten()
    assert torch.allclose(sol, torch.tensor([2.0, -3.4, 4.2]), atol=2e-3)
    assert "offline" in b.source and "seed 0" in b.source


@pytest.mark.parametrize("name", TOY)
def test_toy_sets_shapes_balance_and_noise(name: str) -> None:
    b = load_dataset(name, batch_size=32, n_train=300, n_test=90, noise=0.05)
    assert isinstance(b, DataBundle)
    assert (b.n_train, b.n_test, b.input_shape, b.task) == (300, 90, (2,), "classification")
    batches = list(b.train)
    X, y = torch.cat([x for x, _ in batches]), torch.cat([t for _, t in batches])
    assert X.dtype == torch.float32 and y.dtype == torch.int64
    counts = torch.bincount(torch.cat([y, torch.cat([t for _, t in b.test])]))
    assert len(counts) == b.num_classes == len(b.class_names)
    assert counts.max() - counts.min() <= 1  # balanced before the split
    assert X.abs().max() < 2.0
    quiet = load_dataset(name, batch_size=32, n_train=300, n_test=90, noise=0.0)
    noisy = load_dataset(name, batch_size=32, n_train=300, n_test=90, noise=0.5)
    assert not torch.equal(quiet.train.dataset.X, noisy.train.dataset.X)


def test_blobs_class_count_is_settable() -> None:
    b = load_dataset("blobs", batch_size=16, classes=5)
    assert b.num_classes == 5 and len(b.class_names) == 5


def test_same_seed_same_batches_and_shuffle_order() -> None:
    a = load_dataset("spiral", batch_size=16, seed=3)
    b = load_dataset("spiral", batch_size=16, seed=3)
    for (xa, ya), (xb, yb) in zip(a.train, b.train, strict=True):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    c = load_dataset("spiral", batch_size=16, seed=4)
    assert not torch.equal(a.train.dataset.X, c.train.dataset.X)


def test_test_loader_is_not_shuffled_and_batches_cover_everything() -> None:
    b = load_dataset("circles", batch_size=64, n_train=200, n_test=130)
    assert len(b.test) == 3 and [len(x) for x, _ in b.test] == [64, 64, 2]
    first = torch.cat([x for x, _ in b.test])
    second = torch.cat([x for x, _ in b.test])
    assert torch.equal(first, second) and torch.equal(first, b.test.dataset.X)


def test_resize_applies_to_images_only() -> None:
    b = load_dataset("procedural-shapes", batch_size=8, n_train=16, n_test=8, resize=32)
    X, _ = next(iter(b.train))
    assert X.shape == (8, 1, 32, 32) and b.input_shape == (1, 32, 32)
    with pytest.raises(ValueError, match="only applies to image datasets"):
        load_dataset("xor", batch_size=8, resize=32)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "imagenet", "batch_size": 8}, "unknown dataset 'imagenet'"),
        ({"name": "xor", "batch_size": 0}, "batch_size=0"),
        ({"name": "xor", "batch_size": 8, "n_train": -1}, "n_train=-1"),
        ({"name": "xor", "batch_size": 8, "colour": "red"}, "unknown option"),
        ({"name": "xor", "batch_size": 8, "noise": -0.1}, "noise=-0.1"),
        ({"name": "procedural-shapes", "batch_size": 8, "resize": (0, 3)}, "resize="),
    ],
)
def test_bad_arguments_name_the_value(kwargs: dict, match: str) -> None:
    name = kwargs.pop("name")
    with pytest.raises(ValueError, match=match):
        load_dataset(name, **kwargs)


def test_fashion_mnist_text_labels_like_the_book() -> None:
    assert get_fashion_mnist_labels(torch.tensor([0, 9, 3])) == ["t-shirt", "ankle boot", "dress"]
    assert len(FASHION_MNIST_LABELS) == 10
    b = load_dataset("procedural-shapes", batch_size=4, n_train=8, n_test=4)
    _, y = next(iter(b.train))
    assert b.label_names(y) == [b.class_names[int(i)] for i in y]


def test_default_data_root_respects_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    import sys

    if sys.platform in ("win32", "darwin"):
        pytest.skip("XDG applies to Linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_data_root() == tmp_path / "dl-playground" / "data"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert str(default_data_root()).endswith(".local/share/dl-playground/data")
