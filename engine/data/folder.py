"""A user's own images: ``torchvision.datasets.ImageFolder`` with a train/test split.

Layouts accepted (class = sub-folder name)::

    root/train/<class>/*.png  +  root/test/<class>/*.png     (split kept as is)
    root/<class>/*.png                                       (split by seed)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch.utils import data


def _transform(size: tuple[int, int], grayscale: bool) -> Any:
    from torchvision.transforms import v2

    steps: list[Any] = [v2.ToImage()]
    steps.append(v2.Grayscale(1) if grayscale else v2.RGB())
    steps += [v2.Resize(list(size), antialias=True), v2.ToDtype(torch.float32, scale=True)]
    return v2.Compose(steps)


def _image_folder(path: Path, loader: Any = None) -> Any:
    from torchvision.datasets import ImageFolder

    try:
        return ImageFolder(str(path)) if loader is None else ImageFolder(str(path),
                                                                          loader=loader)
    except (FileNotFoundError, OSError) as exc:
        raise ValueError(
            f"{path} is not an image folder ({exc}). Put one sub-folder per class with "
            f"images inside (root/<class>/*.png), optionally under root/train and "
            f"root/test.") from exc


def load_image_folder(
    root: Path | None,
    *,
    resize: int | tuple[int, int] | None,
    test_fraction: float,
    grayscale: bool,
    seed: int,
    transforms: tuple[Any, Any] | None = None,
    input_shape: tuple[int, ...] | None = None,
    loader: Any = None,
) -> tuple[data.Dataset, data.Dataset, tuple[int, ...], tuple[str, ...], str]:
    """Open an image folder as train/test datasets.

    Args:
        root: the folder (required).
        resize: side or ``(H, W)``; ``None`` uses the first image's size so batches stack.
        test_fraction: share of images held out when there is no ``test/`` sub-folder.
        grayscale: load as 1 channel instead of RGB.
        seed: for the random split.
        transforms: ``(train, test)`` transforms of a loaded image, replacing the resize
            (e.g. the book's fine-tuning crops); then ``input_shape`` is what they give.
        loader: reads one file (``ImageFolder``'s ``loader``), e.g. one whose error
            names the file.

    Returns:
        ``(train, test, input_shape (C, H, W), class_names, source)``; each item is
        ``(Tensor[C, H, W] float32 in [0, 1], int label)``.
    """
    if root is None:
        raise ValueError("image-folder needs root=<folder with one sub-folder per class>")
    root = Path(root).expanduser()
    if not root.is_dir():
        raise ValueError(f"image folder {root} does not exist; choose an existing folder")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction={test_fraction!r} must be between 0 and 1, e.g. 0.2")
    split = (root / "train").is_dir() and (root / "test").is_dir()
    if split:
        train, test = _image_folder(root / "train", loader), _image_folder(root / "test", loader)
        if train.classes != test.classes:
            raise ValueError(f"{root}/train has classes {train.classes} but {root}/test has "
                             f"{test.classes}; both need the same class sub-folders")
        full = train
    else:
        full = _image_folder(root, loader)
    if transforms is not None:
        return _with_transforms(root, full, test if split else None, transforms,
                                input_shape, test_fraction, seed, loader)
    if resize is None:
        from PIL import Image

        with Image.open(full.samples[0][0]) as first:
            size = (first.height, first.width)
    else:
        size = (resize, resize) if isinstance(resize, int) else tuple(resize)
    transform = _transform(size, grayscale)
    if split:
        train.transform = test.transform = transform
        source = f"image folder {root} (train/ and test/ sub-folders)"
    else:
        full.transform = transform
        n_test = max(1, round(len(full) * test_fraction))
        if n_test >= len(full):
            raise ValueError(f"{root} has only {len(full)} images; need at least 2 to split "
                             f"into train and test")
        perm = torch.randperm(len(full), generator=torch.Generator().manual_seed(seed))
        train = data.Subset(full, perm[n_test:].tolist())
        test = data.Subset(full, perm[:n_test].tolist())
        source = f"image folder {root} ({test_fraction:.0%} held out, seed {seed})"
    shape = (1 if grayscale else 3, *size)
    return train, test, shape, tuple(full.classes), source


def _with_transforms(root: Path, train: Any, test: Any, transforms: tuple[Any, Any],
                     input_shape: tuple[int, ...] | None, test_fraction: float, seed: int,
                     loader: Any) -> tuple[data.Dataset, data.Dataset, tuple[int, ...],
                                           tuple[str, ...], str]:
    """Train and test splits with their own transforms (a random split reads the folder
    twice, so each side has its transform)."""
    if input_shape is None:
        raise ValueError("transforms need the input_shape they produce")
    if test is not None:
        train.transform, test.transform = transforms
        source = f"image folder {root} (train/ and test/ sub-folders)"
    else:
        n_test = max(1, round(len(train) * test_fraction))
        if n_test >= len(train):
            raise ValueError(f"{root} has only {len(train)} images; need at least 2 to split "
                             f"into train and test")
        other = _image_folder(root, loader)
        train.transform, other.transform = transforms
        perm = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))
        train, test = (data.Subset(train, perm[n_test:].tolist()),
                       data.Subset(other, perm[:n_test].tolist()))
        source = f"image folder {root} ({test_fraction:.0%} held out, seed {seed})"
    classes = (train.dataset if isinstance(train, data.Subset) else train).classes
    return train, test, tuple(input_shape), tuple(classes), source
