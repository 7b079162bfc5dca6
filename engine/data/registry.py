"""The dataset registry: ``list_datasets()`` and ``load_dataset(name, ...)``."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch.utils import data

from engine.data.bananas import CLASS_NAMES as BANANA_NAMES
from engine.data.bananas import find_banana_folder, make_bananas, read_banana_folder
from engine.data.colour_shapes import make_colour_shapes
from engine.data.core import (
    DataBundle,
    DatasetInfo,
    LoadRequest,
    Splits,
    TensorBatchDataset,
    check_batch_size,
    check_count,
    make_loader,
    resize_transform,
    resized_shape,
    subset,
)
from engine.data.folder import load_image_folder
from engine.data.procedural import SHAPE_NAMES, make_shapes
from engine.data.toy import TRUE_B, TRUE_W, make_toy, make_toy_boxes, make_toy_masks
from engine.data.toy import synthetic_data as _synthetic_data
from engine.data.transforms import make_augment
from engine.data.vision import (
    CIFAR10_LABELS,
    FASHION_MNIST_LABELS,
    MNIST_LABELS,
    load_cifar10,
    load_mnist_style,
)
from engine.segmentation.scenes import SCENE_CLASSES
from engine.segmentation.voc import VOC_CLASSES

_TOY_OPTIONS = {"noise": 0.1}
_TOY_DEFAULT_SIZES = (400, 200)


@functools.lru_cache(maxsize=4)
def _cached_shapes(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    # Re-running with the same settings (the usual case in the Train tab) is free.
    return make_shapes(n, seed=seed)


# -- each entry's loader ---------------------------------------------------------------------
def _load_shapes(req: LoadRequest) -> Splits:
    n_tr = check_count("n_train", req.n_train, 60000)
    n_te = check_count("n_test", req.n_test, 10000)
    return Splits(_cached_shapes(n_tr, 2 * req.seed), _cached_shapes(n_te, 2 * req.seed + 1),
                  f"procedural (offline, seed {req.seed})")


@functools.lru_cache(maxsize=4)
def _cached_colour_shapes(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    return make_colour_shapes(n, seed=seed)


def _load_colour_shapes(req: LoadRequest) -> Splits:
    n_tr = check_count("n_train", req.n_train, 10000)
    n_te = check_count("n_test", req.n_test, 2000)
    return Splits(_cached_colour_shapes(n_tr, 2 * req.seed),
                  _cached_colour_shapes(n_te, 2 * req.seed + 1),
                  f"procedural colour shapes (offline, seed {req.seed})")


def _load_linear(req: LoadRequest) -> Splits:
    n_tr = check_count("n_train", req.n_train, 1000)
    n_te = check_count("n_test", req.n_test, 200)
    opts = req.options
    w = torch.tensor(opts["w"], dtype=torch.float32)
    g = torch.Generator().manual_seed(req.seed)
    train = _synthetic_data(w, float(opts["b"]), n_tr, noise=opts["noise"], generator=g)
    test = _synthetic_data(w, float(opts["b"]), n_te, noise=opts["noise"], generator=g)
    return Splits(train, test, f"synthetic y = Xw + b + noise (offline, seed {req.seed})")


def _toy_loader(name: str) -> Any:
    def load(req: LoadRequest) -> Splits:
        n_tr = check_count("n_train", req.n_train, _TOY_DEFAULT_SIZES[0])
        n_te = check_count("n_test", req.n_test, _TOY_DEFAULT_SIZES[1])
        classes = int(req.options.get("classes", 2))
        X, y = make_toy(name, n_tr + n_te, noise=req.options["noise"], classes=classes,
                        seed=req.seed)
        info = dataset_info(name)
        names = info.class_names if len(info.class_names) == classes else tuple(
            f"class {i}" for i in range(classes))
        return Splits((X[:n_tr], y[:n_tr]), (X[n_tr:], y[n_tr:]),
                      f"generated 2-D {name} (offline, seed {req.seed}, noise "
                      f"{req.options['noise']})", names, classes)
    return load


def _load_masks(req: LoadRequest) -> Splits:
    n_tr = check_count("n_train", req.n_train, 800)
    n_te = check_count("n_test", req.n_test, 200)
    size, classes = int(req.options["size"]), int(req.options["classes"])
    X, y = make_toy_masks(n_tr + n_te, size=size, classes=classes,
                          noise=float(req.options["noise"]), seed=req.seed)
    names = ("background", "square", "disc")[:classes]
    return Splits((X[:n_tr], y[:n_tr]), (X[n_tr:], y[n_tr:]),
                  f"generated masks (offline, seed {req.seed})", names, classes)


@functools.lru_cache(maxsize=4)
def _cached_scenes(n: int, size: int | tuple[int, int], objects: tuple[int, int], seed: int
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    from engine.segmentation.scenes import make_scenes

    return make_scenes(n, size=size, objects=objects, seed=seed)


def _load_scenes(req: LoadRequest) -> Splits:
    from engine.segmentation.voc import normalize_image

    n_tr = check_count("n_train", req.n_train, 800)
    n_te = check_count("n_test", req.n_test, 200)
    opts = req.options
    hw = (opts["size"], opts["size"] if opts["width"] is None else opts["width"])
    for name, v in zip(("size", "width"), hw, strict=True):
        if not isinstance(v, int) or isinstance(v, bool) or v % 8 or not 16 <= v <= 1024:
            raise ValueError(f"{name}={v!r} must be a multiple of 8 from 16 to 1024 (the FCN's "
                             f"light setting downsamples by 8; the book's by 32)")
    size = hw if hw[0] != hw[1] else hw[0]
    objects = (int(opts["min_objects"]), int(opts["max_objects"]))
    train = _cached_scenes(n_tr, size, objects, 2 * req.seed)
    test = _cached_scenes(n_te, size, objects, 2 * req.seed + 1)
    # scaled to [0, 1] per batch, then ImageNet-normalised like VOC (one input convention)
    splits = [TensorBatchDataset(X, y, transform=normalize_image) for X, y in (train, test)]
    return Splits(*splits, f"procedural scenes (offline, seed {req.seed})",
                  input_shape=(3, *hw))


def _load_voc(req: LoadRequest) -> Splits:
    from engine.segmentation.voc import load_voc

    crop = (int(req.options["crop_height"]), int(req.options["crop_width"]))
    train, test, source = load_voc(req.data_root(), crop_size=crop, download=req.download,
                                   seed=req.seed)
    g = torch.Generator().manual_seed(req.seed)
    for ds, n, name in ((train, req.n_train, "n_train"), (test, req.n_test, "n_test")):
        if n is not None and check_count(name, n, 0) < len(ds):
            keep = torch.randperm(len(ds), generator=g)[:n].sort().values.tolist()
            ds.files = [ds.files[i] for i in keep]
    return Splits(train, test, source, input_shape=(3, *crop))


def _load_boxes(req: LoadRequest) -> Splits:
    n_tr = check_count("n_train", req.n_train, 800)
    n_te = check_count("n_test", req.n_test, 200)
    X, y = make_toy_boxes(n_tr + n_te, size=int(req.options["size"]),
                          noise=float(req.options["noise"]), seed=req.seed)
    return Splits((X[:n_tr], y[:n_tr]), (X[n_tr:], y[n_tr:]),
                  f"generated boxes (offline, seed {req.seed})")


@functools.lru_cache(maxsize=2)
def _cached_bananas(n: int, size: int, objects: int, seed: int
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    return make_bananas(n, size=size, objects=objects, seed=seed)


def _load_bananas(req: LoadRequest) -> Splits:
    n_tr = check_count("n_train", req.n_train, 1000)
    n_te = check_count("n_test", req.n_test, 100)
    size, objects = int(req.options["size"]), int(req.options["objects"])
    return Splits(_cached_bananas(n_tr, size, objects, 2 * req.seed),
                  _cached_bananas(n_te, size, objects, 2 * req.seed + 1),
                  f"procedural bananas (offline, seed {req.seed}, {size}x{size}, "
                  f"{'1 object' if objects == 1 else f'1-{objects} objects'} per image)")


def _load_banana_folder(req: LoadRequest) -> Splits:
    root = req.data_root()
    folder = find_banana_folder(root)
    if folder is None:
        raise ValueError(f"no banana-detection folder in {root}: it needs bananas_train/"
                         f"label.csv and bananas_val/label.csv (the book's d2l download); "
                         f"the offline 'bananas' set is generated instead")
    size = req.options.get("size")
    train = read_banana_folder(folder, is_train=True, size=size)
    val = read_banana_folder(folder, is_train=False, size=size)
    tr = subset(train.X, train.y, req.n_train, seed=req.seed)
    te = subset(val.X, val.y, req.n_test, seed=req.seed + 1)
    return Splits(tr, te, f"banana-detection: {train.source}; {val.source}")


def _subsets(req: LoadRequest, X_tr: torch.Tensor, y_tr: torch.Tensor, X_te: torch.Tensor,
             y_te: torch.Tensor) -> tuple[Any, Any]:
    return (subset(X_tr, y_tr, check_count("n_train", req.n_train, len(X_tr)), seed=req.seed),
            subset(X_te, y_te, check_count("n_test", req.n_test, len(X_te)), seed=req.seed + 1))


def _mnist_loader(name: str) -> Any:
    def load(req: LoadRequest) -> Splits:
        *tensors, source = load_mnist_style(name, req.data_root(), download=req.download)
        return Splits(*_subsets(req, *tensors), source)
    return load


def _load_cifar(req: LoadRequest) -> Splits:
    *tensors, source, names = load_cifar10(req.data_root(), download=req.download)
    return Splits(*_subsets(req, *tensors), source, tuple(names))


def _load_folder(req: LoadRequest) -> Splits:
    train, test, shape, classes, source = load_image_folder(
        req.root, resize=req.resize, test_fraction=float(req.options["test_fraction"]),
        grayscale=bool(req.options["grayscale"]), seed=req.seed)
    train, test = _limit(req, train, test)
    return Splits(train, test, source, tuple(classes), len(classes), tuple(shape))


def _limit(req: LoadRequest, train: Any, test: Any) -> tuple[Any, Any]:
    """Seeded random subsets of n_train / n_test examples of file datasets."""
    g = torch.Generator().manual_seed(req.seed)
    if req.n_train is not None and check_count("n_train", req.n_train, 0) < len(train):
        train = data.Subset(train, torch.randperm(len(train), generator=g)[:req.n_train].tolist())
    if req.n_test is not None and check_count("n_test", req.n_test, 0) < len(test):
        test = data.Subset(test, torch.randperm(len(test), generator=g)[:req.n_test].tolist())
    return train, test


def _load_finetune_folder(req: LoadRequest) -> Splits:
    from dataclasses import replace

    from engine.insight.finetune import load_finetune_folder

    splits = load_finetune_folder(req)
    train, test = _limit(req, splits.train, splits.test)
    return replace(splits, train=train, test=test)


_DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo("procedural-shapes", "Procedural shapes (offline)", "classification",
                    (1, 28, 28), 10, SHAPE_NAMES, True,
                    "10 classes of 28x28 grayscale glyphs with random pose, stroke, clutter "
                    "and noise, generated from a seed; 60k/10k like Fashion-MNIST.",
                    loader=_load_shapes),
        DatasetInfo("colour-shapes", "Colour shapes (offline)", "classification",
                    (3, 32, 32), 10, SHAPE_NAMES, True,
                    "The procedural shapes in random colours on random backgrounds, 32x32 "
                    "RGB like CIFAR-10 (10k/2k); the class is the shape, never the colour. "
                    "For the book's augmentation experiment offline (d2l 14.1.4).",
                    loader=_load_colour_shapes),
        DatasetInfo("synthetic-linear", "Synthetic linear data", "regression", (2,), None, (),
                    True, "The book's synthetic_data: y = Xw + b + noise with w = [2, -3.4], "
                    "b = 4.2, noise 0.01, 1000 examples.",
                    {"w": TRUE_W, "b": TRUE_B, "noise": 0.01}, loader=_load_linear),
        DatasetInfo("spiral", "Spiral (2-D)", "classification", (2,), 2, ("arm 0", "arm 1"),
                    True, "Two interleaved spiral arms, as in TensorFlow Playground.",
                    {**_TOY_OPTIONS, "classes": 2}, loader=_toy_loader("spiral")),
        DatasetInfo("circles", "Circles (2-D)", "classification", (2,), 2, ("inner", "outer"),
                    True, "A disc inside a ring, as in TensorFlow Playground.", _TOY_OPTIONS,
                    loader=_toy_loader("circles")),
        DatasetInfo("xor", "XOR (2-D)", "classification", (2,), 2, ("same sign", "opposite sign"),
                    True, "Quadrants labelled by the sign of x*y, as in TensorFlow Playground.",
                    _TOY_OPTIONS, loader=_toy_loader("xor")),
        DatasetInfo("blobs", "Gaussian blobs (2-D)", "classification", (2,), 3,
                    ("blob 0", "blob 1", "blob 2"), True,
                    "Gaussian clusters around points on a circle; noise is their spread.",
                    {"noise": 0.15, "classes": 3}, loader=_toy_loader("blobs")),
        DatasetInfo("fashion-mnist", "Fashion-MNIST", "classification", (1, 28, 28), 10,
                    FASHION_MNIST_LABELS, False,
                    "Zalando's 28x28 clothing images (60k/10k), the book's main dataset; "
                    "read from the data folder.", loader=_mnist_loader("fashion-mnist")),
        DatasetInfo("mnist", "MNIST", "classification", (1, 28, 28), 10, MNIST_LABELS,
                    False, "Handwritten digits, 28x28 (60k/10k); read from the data folder.",
                    loader=_mnist_loader("mnist")),
        DatasetInfo("cifar10", "CIFAR-10", "classification", (3, 32, 32), 10,
                    CIFAR10_LABELS, False,
                    "32x32 colour photos of 10 classes (50k/10k); read from the data folder.",
                    loader=_load_cifar),
        DatasetInfo("image-folder", "Image folder", "classification", None, None, (), False,
                    "Your own images: one sub-folder per class (optionally under train/ and "
                    "test/); root= is that folder.", {"test_fraction": 0.2, "grayscale": False},
                    loader=_load_folder),
        DatasetInfo("image-folder-imagenet", "Image folder, ImageNet-style (fine-tuning)",
                    "classification", (3, 224, 224), None, (), False,
                    "Your own images for fine-tuning (d2l 14.2): random 224-px crops and "
                    "flips for training, centre crops for testing, ImageNet normalisation.",
                    {"test_fraction": 0.2}, loader=_load_finetune_folder),
        DatasetInfo("toy-masks", "Toy masks (per-pixel)", "segmentation", (1, 16, 16), 3,
                    ("background", "square", "disc"), True,
                    "16x16 images of a square and a disc with a class per pixel; for "
                    "per-pixel classifiers (FCN).", {"size": 16, "classes": 3, "noise": 0.1},
                    loader=_load_masks, target="mask"),
        DatasetInfo("procedural-scenes", "Procedural scenes (offline, per-pixel)",
                    "segmentation", (3, 64, 64), 5, SCENE_CLASSES, True,
                    "64x64 colour scenes of discs, squares, triangles and plus signs over "
                    "textured backgrounds, with exact per-pixel labels; generated from a "
                    "seed (800/200); size (and width) set the height (width). The offline set "
                    "of the Segment tab.",
                    {"size": 64, "width": None, "min_objects": 2, "max_objects": 4},
                    loader=_load_scenes,
                    target="mask"),
        DatasetInfo("voc2012", "Pascal VOC2012 segmentation", "segmentation", (3, 320, 480),
                    21, VOC_CLASSES, False,
                    "The book's semantic segmentation set (1,464 train / 1,449 val photos, "
                    "21 classes), randomly cropped to 320x480; read from the data folder "
                    "(VOCdevkit/VOC2012).", {"crop_height": 320, "crop_width": 480},
                    loader=_load_voc, target="mask"),
        DatasetInfo("toy-boxes", "Toy boxes (detection)", "detection", (1, 32, 32), 1,
                    ("box",), True, "32x32 images with one bright rectangle and its box; "
                    "for SSD-style detectors.", {"size": 32, "noise": 0.05},
                    loader=_load_boxes, target="boxes"),
        DatasetInfo("bananas", "Bananas (procedural, detection)", "detection",
                    (3, 256, 256), 1, BANANA_NAMES, True,
                    "The book's banana detection task generated offline: a drawn banana "
                    "with random pose, size, bend and colour on photo crops and textures, "
                    "exact boxes; 1000 train / 100 validation images of 256x256.",
                    {"size": 256, "objects": 1}, loader=_load_bananas, target="boxes"),
        DatasetInfo("banana-detection", "Banana detection (the book's files)", "detection",
                    (3, 256, 256), 1, BANANA_NAMES, False,
                    "d2l's banana-detection download (bananas_train/, bananas_val/ with "
                    "label.csv and images/), read from the data folder.", {"size": None},
                    loader=_load_banana_folder, target="boxes"),
    )
}


def list_datasets(tasks: Sequence[str] | None = None) -> list[DatasetInfo]:
    """Registered datasets (of these ``tasks``), the offline default
    (``procedural-shapes``) first."""
    return [i for i in _DATASETS.values() if tasks is None or i.task in tasks]


def dataset_info(name: str) -> DatasetInfo:
    """The registry entry for ``name``; ValueError naming the known ones otherwise."""
    try:
        return _DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; choose one of "
                         f"{', '.join(_DATASETS)}") from None


def _same_kind(default: Any, value: Any) -> bool:
    """Whether ``value`` has the type of the option's ``default`` (None: anything)."""
    if default is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    return isinstance(value, type(default))


def _options(info: DatasetInfo, options: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(options) - set(info.options)
    if unknown:
        allowed = ", ".join(f"{k} (default {v!r})" for k, v in info.options.items()) or "none"
        raise ValueError(f"unknown option(s) {', '.join(sorted(unknown))} for dataset "
                         f"{info.name!r}; it accepts: {allowed}")
    for key, value in options.items():
        default = info.options[key]
        if not _same_kind(default, value):
            want = ("true or false" if isinstance(default, bool) else "an integer"
                    if isinstance(default, int) else "a number" if isinstance(default, float)
                    else "a list" if isinstance(default, (list, tuple)) else "a string")
            raise ValueError(f"option {key}={value!r} of dataset {info.name!r} must be {want} "
                             f"(default {default!r})")
    return {**info.options, **options}


def dataset_options(name: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` for dataset ``name`` over its defaults, checked as ``load_dataset``
    checks them (nothing is loaded): ValueError naming an unknown key, with the accepted
    ones, or a value of the wrong type."""
    return _options(dataset_info(name), options)


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
    transforms: Sequence[Mapping[str, Any]] = (),
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
        transforms: random training transforms (``engine.data.transforms``), drawn per
            example and seeded by ``seed``; boxes and masks follow the image.
        **options: per-dataset options listed in ``DatasetInfo.options`` (e.g.
            ``noise=0.2`` for the 2-D sets, ``test_fraction`` for image-folder).

    Returns:
        A :class:`DataBundle`. Batches are ``X (Tensor[B, *input_shape], float32)``
        and ``y (Tensor[B], int64)`` (classification), ``y (Tensor[B, 1])``
        (regression), masks ``y (Tensor[B, H, W], int64)`` (segmentation) or box lists
        ``y (Tensor[B, G, 5])`` (detection).

    Raises:
        ValueError: unknown name or option, bad sizes, or missing / unreadable files
            (the message says which files, where, and how to get them).
    """
    info = dataset_info(name)
    check_batch_size(batch_size)
    opts = _options(info, options)
    transform = resize_transform(resize)
    req = LoadRequest(Path(root).expanduser() if root is not None else None, download, seed,
                      n_train, n_test, opts, resize)
    splits = info.loader(req)  # type: ignore[misc]
    class_names = splits.class_names if splits.class_names is not None else info.class_names
    num_classes = splits.num_classes if splits.num_classes is not None else info.num_classes
    if isinstance(splits.train, tuple):
        X_tr = splits.train[0]
        image = X_tr.dim() == 4
        if transform is not None and not image:
            raise ValueError(f"resize={resize!r} only applies to image datasets, not {name!r}; "
                             f"leave it None")
        shape = resized_shape(tuple(X_tr.shape[1:]), resize)
        augment = make_augment(transforms, image_size=tuple(shape[1:]) if image else None,
                               target=info.target, seed=seed)
        if augment is not None and not image:
            raise ValueError(f"transforms only apply to image datasets, not {name!r}; leave "
                             f"them empty")
        train_ds = TensorBatchDataset(*splits.train, transform=transform, augment=augment)
        test_ds = TensorBatchDataset(*splits.test, transform=transform)
    else:
        if transforms:
            raise ValueError(f"transforms are not supported for {name!r} yet; leave them empty")
        train_ds, test_ds, shape = splits.train, splits.test, splits.input_shape
    return DataBundle(
        name=name,
        train=make_loader(train_ds, batch_size=batch_size, shuffle=True, seed=seed,
                          num_workers=num_workers),
        test=make_loader(test_ds, batch_size=batch_size, shuffle=False, num_workers=num_workers),
        task=info.task, input_shape=tuple(shape), num_classes=num_classes,
        class_names=tuple(class_names), source=splits.source, n_train=len(train_ds),
        n_test=len(test_ds), batch_size=batch_size,
    )
