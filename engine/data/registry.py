"""The dataset registry: ``list_datasets()`` and ``load_dataset(name, ...)``."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import torch
from torch.utils import data

from engine.data import folder, procedural, toy, vision
from engine.data.core import (
    DataBundle,
    DatasetInfo,
    TensorBatchDataset,
    check_batch_size,
    check_count,
    default_data_root,
    make_loader,
    resize_transform,
    resized_shape,
    subset,
)

_TOY_OPTIONS = {"noise": 0.1}
_DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo("procedural-shapes", "Procedural shapes (offline)", "classification",
                    (1, 28, 28), 10, procedural.SHAPE_NAMES, True,
                    "10 classes of 28x28 grayscale glyphs with random pose, stroke, clutter "
                    "and noise, generated from a seed; 60k/10k like Fashion-MNIST."),
        DatasetInfo("synthetic-linear", "Synthetic linear data", "regression", (2,), None, (),
                    True, "The book's synthetic_data: y = Xw + b + noise with w = [2, -3.4], "
                    "b = 4.2, noise 0.01, 1000 examples.",
                    {"w": toy.TRUE_W, "b": toy.TRUE_B, "noise": 0.01}),
        DatasetInfo("spiral", "Spiral (2-D)", "classification", (2,), 2, ("arm 0", "arm 1"),
                    True, "Two interleaved spiral arms, as in TensorFlow Playground.",
                    {**_TOY_OPTIONS, "classes": 2}),
        DatasetInfo("circles", "Circles (2-D)", "classification", (2,), 2, ("inner", "outer"),
                    True, "A disc inside a ring, as in TensorFlow Playground.", _TOY_OPTIONS),
        DatasetInfo("xor", "XOR (2-D)", "classification", (2,), 2, ("same sign", "opposite sign"),
                    True, "Quadrants labelled by the sign of x*y, as in TensorFlow Playground.",
                    _TOY_OPTIONS),
        DatasetInfo("blobs", "Gaussian blobs (2-D)", "classification", (2,), 3,
                    ("blob 0", "blob 1", "blob 2"), True,
                    "Gaussian clusters around points on a circle; noise is their spread.",
                    {"noise": 0.15, "classes": 3}),
        DatasetInfo("fashion-mnist", "Fashion-MNIST", "classification", (1, 28, 28), 10,
                    vision.FASHION_MNIST_LABELS, False,
                    "Zalando's 28x28 clothing images (60k/10k), the book's main dataset; "
                    "read from the data folder."),
        DatasetInfo("mnist", "MNIST", "classification", (1, 28, 28), 10, vision.MNIST_LABELS,
                    False, "Handwritten digits, 28x28 (60k/10k); read from the data folder."),
        DatasetInfo("cifar10", "CIFAR-10", "classification", (3, 32, 32), 10,
                    vision.CIFAR10_LABELS, False,
                    "32x32 colour photos of 10 classes (50k/10k); read from the data folder."),
        DatasetInfo("image-folder", "Image folder", "classification", None, None, (), False,
                    "Your own images: one sub-folder per class (optionally under train/ and "
                    "test/); root= is that folder.", {"test_fraction": 0.2, "grayscale": False}),
    )
}
_TOY_DEFAULT_SIZES = (400, 200)


def list_datasets() -> list[DatasetInfo]:
    """All registered datasets, the offline default (``procedural-shapes``) first."""
    return list(_DATASETS.values())


def dataset_info(name: str) -> DatasetInfo:
    """The registry entry for ``name``; ValueError naming the known ones otherwise."""
    try:
        return _DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; choose one of "
                         f"{', '.join(_DATASETS)}") from None


@functools.lru_cache(maxsize=4)
def _cached_shapes(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    # Re-running with the same settings (the usual case in the Train tab) is free.
    return procedural.make_shapes(n, seed=seed)


def _options(info: DatasetInfo, options: dict[str, Any]) -> dict[str, Any]:
    unknown = set(options) - set(info.options)
    if unknown:
        allowed = ", ".join(info.options) or "none"
        raise ValueError(f"unknown option(s) {', '.join(sorted(unknown))} for dataset "
                         f"{info.name!r}; it accepts: {allowed}")
    return {**info.options, **options}


def load_dataset(
    name: str,
    *,
    batch_size: int,
    root: str | Path | None = None,
    download: bool = False,
    resize: int | tuple[int, int] | None = None,
    seed: int = 0,
    n_train: int | None = None,
    n_test: int | None = None,
    num_workers: int = 0,
    **options: Any,
) -> DataBundle:
    """Load a dataset as train/test ``DataLoader`` s plus metadata.

    Args:
        name: a name from ``list_datasets()``, e.g. ``"procedural-shapes"``.
        batch_size: examples per batch.
        root: data folder for file datasets (default ``default_data_root()``); for
            ``image-folder`` the folder of images itself.
        download: allow torchvision to download missing files (needs a network).
        resize: resize images to ``resize x resize`` or ``(H, W)`` (transforms.v2), as the
            book does for AlexNet (224) and ResNet (96).
        seed: seeds generation, subsets, splits and the training shuffle order.
        n_train: number of training examples: the size of generated sets, or a seeded
            random subset of file datasets. ``None`` = the dataset's default / all.
        n_test: the same for the test split.
        num_workers: ``DataLoader`` worker processes (0 = load in the calling thread).
        **options: per-dataset options listed in ``DatasetInfo.options`` (e.g.
            ``noise=0.2`` for the 2-D sets, ``test_fraction`` for image-folder).

    Returns:
        A :class:`DataBundle`. Batches are ``X (Tensor[B, *input_shape], float32)``
        and ``y (Tensor[B], int64)`` (classification) or ``y (Tensor[B, 1])``
        (regression).

    Raises:
        ValueError: unknown name or option, bad sizes, or missing / unreadable files
            (the message says which files, where, and how to get them).
    """
    info = dataset_info(name)
    check_batch_size(batch_size)
    opts = _options(info, options)
    transform = resize_transform(resize)
    if name == "image-folder":
        return _folder_bundle(root, batch_size, resize, seed, n_train, n_test, num_workers, opts)
    data_root = Path(root).expanduser() if root is not None else default_data_root()
    class_names, num_classes = info.class_names, info.num_classes
    if name == "procedural-shapes":
        n_tr, n_te = check_count("n_train", n_train, 60000), check_count("n_test", n_test, 10000)
        X_tr, y_tr = _cached_shapes(n_tr, 2 * seed)
        X_te, y_te = _cached_shapes(n_te, 2 * seed + 1)
        source = f"procedural (offline, seed {seed})"
    elif name == "synthetic-linear":
        n_tr, n_te = check_count("n_train", n_train, 1000), check_count("n_test", n_test, 200)
        w = torch.tensor(opts["w"], dtype=torch.float32)
        g = torch.Generator().manual_seed(seed)
        X_tr, y_tr = toy.synthetic_data(w, float(opts["b"]), n_tr, noise=opts["noise"], generator=g)
        X_te, y_te = toy.synthetic_data(w, float(opts["b"]), n_te, noise=opts["noise"], generator=g)
        source = f"synthetic y = Xw + b + noise (offline, seed {seed})"
    elif name in toy.TOY_MAKERS:
        n_tr = check_count("n_train", n_train, _TOY_DEFAULT_SIZES[0])
        n_te = check_count("n_test", n_test, _TOY_DEFAULT_SIZES[1])
        num_classes = int(opts.get("classes", 2))
        X, y = toy.make_toy(name, n_tr + n_te, noise=opts["noise"], classes=num_classes,
                            seed=seed)
        X_tr, y_tr, X_te, y_te = X[:n_tr], y[:n_tr], X[n_tr:], y[n_tr:]
        if len(class_names) != num_classes:
            class_names = tuple(f"class {i}" for i in range(num_classes))
        source = f"generated 2-D {name} (offline, seed {seed}, noise {opts['noise']})"
    else:
        if name == "cifar10":
            X_tr, y_tr, X_te, y_te, source, class_names = vision.load_cifar10(
                data_root, download=download)
        else:
            X_tr, y_tr, X_te, y_te, source = vision.load_mnist_style(
                name, data_root, download=download)
        X_tr, y_tr = subset(X_tr, y_tr, check_count("n_train", n_train, len(X_tr)), seed=seed)
        X_te, y_te = subset(X_te, y_te, check_count("n_test", n_test, len(X_te)), seed=seed + 1)
    image = X_tr.dim() == 4
    if transform is not None and not image:
        raise ValueError(f"resize={resize!r} only applies to image datasets, not {name!r}; "
                         f"leave it None")
    shape = resized_shape(tuple(X_tr.shape[1:]), resize)
    train_ds = TensorBatchDataset(X_tr, y_tr, transform=transform)
    test_ds = TensorBatchDataset(X_te, y_te, transform=transform)
    return DataBundle(
        name=name,
        train=make_loader(train_ds, batch_size=batch_size, shuffle=True, seed=seed,
                          num_workers=num_workers),
        test=make_loader(test_ds, batch_size=batch_size, shuffle=False, num_workers=num_workers),
        task=info.task, input_shape=shape, num_classes=num_classes, class_names=class_names,
        source=source, n_train=len(train_ds), n_test=len(test_ds), batch_size=batch_size,
    )


def _folder_bundle(root: str | Path | None, batch_size: int, resize: Any, seed: int,
                   n_train: int | None, n_test: int | None, num_workers: int,
                   opts: dict[str, Any]) -> DataBundle:
    train, test, shape, classes, source = folder.load_image_folder(
        Path(root) if root is not None else None, resize=resize,
        test_fraction=float(opts["test_fraction"]), grayscale=bool(opts["grayscale"]), seed=seed)
    g = torch.Generator().manual_seed(seed)
    if n_train is not None and check_count("n_train", n_train, 0) < len(train):
        train = data.Subset(train, torch.randperm(len(train), generator=g)[:n_train].tolist())
    if n_test is not None and check_count("n_test", n_test, 0) < len(test):
        test = data.Subset(test, torch.randperm(len(test), generator=g)[:n_test].tolist())
    return DataBundle(
        name="image-folder",
        train=make_loader(train, batch_size=batch_size, shuffle=True, seed=seed,
                          num_workers=num_workers),
        test=make_loader(test, batch_size=batch_size, shuffle=False, num_workers=num_workers),
        task="classification", input_shape=shape, num_classes=len(classes), class_names=classes,
        source=source, n_train=len(train), n_test=len(test), batch_size=batch_size,
    )
