"""A user's own images: ``torchvision.datasets.ImageFolder`` with a train/test split.

Layouts accepted (class = sub-folder name)::

    root/train/<class>/*.png  +  root/test/<class>/*.png     (split kept as is)
    root/<class>/*.png                                       (split by seed)

Every image is decoded once when the folder is opened (JPEGs at reduced scale via
``Image.draft``), so a truncated or corrupt file is found before training, not as an
"image file is truncated" half-way through an epoch: unreadable files are left out and
the data's ``source`` says how many and names the first few. A file that breaks later
(changed on disk while training) fails with its name.
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


SHOW_SKIPPED = 3  # unreadable files named in the notice; the rest are counted


def _load_rgb(path: str) -> Any:
    """torchvision's PIL loader, with the file's name in any error."""
    from PIL import Image

    try:
        with open(path, "rb") as f, Image.open(f) as img:
            return img.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError(f"image {path} could not be read ({exc}); remove or replace it"
                         ) from exc


def _unreadable(path: str, size: tuple[int, int] | None) -> str | None:
    """Why ``path`` cannot be decoded, or None if it can."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            if size is not None:
                img.draft("RGB", (size[1], size[0]))  # JPEG: decode at reduced scale
            img.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        return str(exc) or type(exc).__name__
    return None


def _drop_unreadable(ds: Any, size: tuple[int, int] | None) -> list[tuple[str, str]]:
    """Remove the samples of ``ds`` (an ImageFolder) that do not decode; returns
    ``(path, reason)`` of each."""
    bad, keep = [], []
    for path, label in ds.samples:
        reason = _unreadable(path, size)
        if reason is None:
            keep.append((path, label))
        else:
            bad.append((path, reason))
    if bad:
        ds.samples = ds.imgs = keep
        ds.targets = [label for _, label in keep]
    return bad


def skipped_notice(bad: list[tuple[str, str]], root: Path) -> str:
    """``skipped 2 unreadable files: cats/a.jpg (image file is truncated), …``."""
    def rel(path: str) -> str:
        try:
            return str(Path(path).relative_to(root))
        except ValueError:
            return path

    shown = ", ".join(f"{rel(p)} ({why})" for p, why in bad[:SHOW_SKIPPED])
    more = f" and {len(bad) - SHOW_SKIPPED} more" if len(bad) > SHOW_SKIPPED else ""
    return f"skipped {len(bad)} unreadable file{'s' * (len(bad) > 1)}: {shown}{more}"


def _image_folder(path: Path) -> Any:
    from torchvision.datasets import ImageFolder

    try:
        return ImageFolder(str(path), loader=_load_rgb)
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
) -> tuple[data.Dataset, data.Dataset, tuple[int, ...], tuple[str, ...], str]:
    """Open an image folder as train/test datasets.

    Args:
        root: the folder (required).
        resize: side or ``(H, W)``; ``None`` uses the first image's size so batches stack.
        test_fraction: share of images held out when there is no ``test/`` sub-folder.
        grayscale: load as 1 channel instead of RGB.
        seed: for the random split.
        transforms: ``(train, test)`` transforms of a loaded image, replacing the resize
            (e.g. the book's fine-tuning crops); ``input_shape`` is what they give.

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
        train, test = _image_folder(root / "train"), _image_folder(root / "test")
        if train.classes != test.classes:
            raise ValueError(f"{root}/train has classes {train.classes} but {root}/test has "
                             f"{test.classes}; both need the same class sub-folders")
        full = train
    else:
        full = _image_folder(root)
    wanted = None if resize is None else (
        (resize, resize) if isinstance(resize, int) else tuple(resize))
    bad = []
    for ds in (train, test) if split else (full,):
        bad += _drop_unreadable(ds, wanted)
        if not ds.samples:
            raise ValueError(f"no readable image in {ds.root}: "
                             f"{skipped_notice(bad, root)}")
    if transforms is not None:
        return _with_transforms(root, full, test if split else None, transforms,
                                input_shape, test_fraction, seed, bad)
    if wanted is None:
        from PIL import Image

        with Image.open(full.samples[0][0]) as first:
            size = (first.height, first.width)
    else:
        size = wanted
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
    if bad:
        source += f" — {skipped_notice(bad, root)}"
    shape = (1 if grayscale else 3, *size)
    return train, test, shape, tuple(full.classes), source


def _with_transforms(root: Path, train: Any, test: Any, transforms: tuple[Any, Any],
                     input_shape: tuple[int, ...] | None, test_fraction: float, seed: int,
                     bad: list[tuple[str, str]]) -> tuple[data.Dataset, data.Dataset,
                                                          tuple[int, ...], tuple[str, ...],
                                                          str]:
    """Train and test splits with their own transforms (a random split gets a shallow
    copy of the folder, so each side has its transform)."""
    import copy

    if input_shape is None:
        raise ValueError("transforms need the input_shape they produce")
    classes = tuple(train.classes)
    if test is not None:
        train.transform, test.transform = transforms
        source = f"image folder {root} (train/ and test/ sub-folders)"
    else:
        n_test = max(1, round(len(train) * test_fraction))
        if n_test >= len(train):
            raise ValueError(f"{root} has only {len(train)} images; need at least 2 to split "
                             f"into train and test")
        other = copy.copy(train)
        train.transform, other.transform = transforms
        perm = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))
        train, test = (data.Subset(train, perm[n_test:].tolist()),
                       data.Subset(other, perm[:n_test].tolist()))
        source = f"image folder {root} ({test_fraction:.0%} held out, seed {seed})"
    if bad:
        source += f" — {skipped_notice(bad, root)}"
    return train, test, tuple(input_shape), classes, source
