"""Shared pieces of the dataset registry: metadata records, loaders, data folder.

In-memory datasets (toy sets, the procedural images, MNIST-style tensors) are served by
:class:`TensorBatchDataset`, which a ``DataLoader`` indexes with a whole batch of
indices at once (``batch_size=None`` + a ``BatchSampler``). That keeps the loader a real
``DataLoader`` while turning per-example collation into one tensor gather per batch —
the data side must not be what slows the trainer down.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils import data

TASKS = ("classification", "regression", "segmentation", "detection")
TARGETS = ("label", "mask", "boxes")


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is, before loading it (for lists and forms).

    Attributes:
        name: registry key, e.g. ``"procedural-shapes"``.
        title: human label, e.g. ``"Procedural shapes (offline)"``.
        task: ``"classification"`` or ``"regression"``.
        input_shape: shape of one example without the batch dim, e.g. ``(1, 28, 28)``
            or ``(2,)``; ``None`` when it depends on the files (image-folder).
        num_classes: number of classes; ``None`` for regression or when it depends on
            the files.
        class_names: human class names (empty when unknown before loading).
        offline: True if it needs no files and no download (generated in memory).
        description: one or two sentences for a tooltip.
        options: extra keyword options ``load_dataset`` accepts for it, with defaults.
        loader: ``loader(LoadRequest) -> Splits``: how this entry loads (each entry
            carries its own; the registry only wraps the result).
        target: what ``y`` holds: ``"label"`` (class indices or float targets),
            ``"mask"`` (``Tensor[H, W]`` classes per pixel) or ``"boxes"``
            (``Tensor[G, 5]`` rows ``(class, x1, y1, x2, y2)`` in [0, 1]).
    """

    name: str
    title: str
    task: str
    input_shape: tuple[int, ...] | None
    num_classes: int | None
    class_names: tuple[str, ...]
    offline: bool
    description: str
    options: dict[str, Any] = field(default_factory=dict)
    loader: Callable[[LoadRequest], Splits] | None = field(default=None, compare=False,
                                                           repr=False)
    target: str = "label"

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what ``datasets --json`` prints), without the loader."""
        d = asdict(self)
        d.pop("loader")
        return d


@dataclass(frozen=True)
class LoadRequest:
    """What a dataset entry's loader gets from ``load_dataset``."""

    root: Path | None
    download: bool
    seed: int
    n_train: int | None
    n_test: int | None
    options: dict[str, Any]
    resize: Any = None

    def data_root(self) -> Path:
        return self.root if self.root is not None else default_data_root()


@dataclass(frozen=True)
class Splits:
    """What a loader returns: the two splits as ``(X, y)`` tensors (wrapped by the
    registry in ``TensorBatchDataset`` s) or as ready ``Dataset`` s, plus metadata that
    differs from the entry's (None = the entry's)."""

    train: Any
    test: Any
    source: str
    class_names: tuple[str, ...] | None = None
    num_classes: int | None = None
    input_shape: tuple[int, ...] | None = None


@dataclass(frozen=True)
class DataBundle:
    """A loaded dataset: train/test iterables of ``(X, y)`` batches plus metadata.

    Attributes:
        name: registry key it was loaded from.
        train: ``DataLoader`` over the training split, shuffled (seeded).
        test: ``DataLoader`` over the test split, not shuffled.
        task: ``"classification"`` or ``"regression"``.
        input_shape: one example's shape without the batch dim, after any resize,
            e.g. ``(1, 28, 28)``; batches are ``X (Tensor[B, *input_shape], float32)``.
        num_classes: ``None`` for regression; labels are ``y (Tensor[B], int64)`` in
            ``[0, num_classes)``. For regression ``y (Tensor[B, k], float32)``.
        class_names: human names indexed by label (empty for regression).
        source: where the data came from, for the UI, e.g. ``"procedural (offline,
            seed 0)"`` or ``"Fashion-MNIST from /home/me/.local/share/..."``.
        n_train: number of training examples.
        n_test: number of test examples.
        batch_size: examples per batch (the last batch may be smaller).
    """

    name: str
    train: data.DataLoader
    test: data.DataLoader
    task: str
    input_shape: tuple[int, ...]
    num_classes: int | None
    class_names: tuple[str, ...]
    source: str
    n_train: int
    n_test: int
    batch_size: int

    def label_names(self, labels: Sequence[int] | torch.Tensor) -> list[str]:
        """Human names for integer labels (the book's ``get_fashion_mnist_labels``)."""
        if not self.class_names:
            return [str(int(i)) for i in labels]
        return [self.class_names[int(i)] for i in labels]


class TensorBatchDataset(data.Dataset):
    """Examples held in tensors, indexed a whole batch at a time.

    Args:
        X: ``Tensor[N, ...]``; ``uint8`` images are scaled to ``[0, 1]`` float32 per
            batch (keeps 60k images at 47 MB instead of 188 MB).
        y: ``Tensor[N]`` int64 labels or ``Tensor[N, k]`` float32 targets.
        transform: optional deterministic batch transform ``Tensor[B, C, H, W] ->
            Tensor[B, C, H', W']`` (e.g. ``transforms.v2.Resize``), applied after scaling
            to the whole batch at once.
        augment: optional random transforms (``engine.data.transforms.Augment``),
            drawn per example, applied after ``transform`` to image and target.
    """

    def __init__(
        self,
        X: torch.Tensor,
        y: torch.Tensor,
        *,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        augment: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
        | None = None,
    ) -> None:
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} examples but y has {len(y)}; they must match")
        self.X, self.y, self.transform, self.augment = X, y, transform, augment

    def reseed(self, seed: int) -> None:
        """Restart the random transforms' draws (the trainer calls it with the run's seed)."""
        if self.augment is not None:
            self.augment.reseed(seed)

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, index: Any) -> tuple[torch.Tensor, torch.Tensor]:
        batched = not isinstance(index, int)
        idx = torch.as_tensor(index if batched else [index], dtype=torch.long)
        X = self.X[idx]
        if X.dtype == torch.uint8:
            X = X.to(torch.float32).div_(255.0)
        if self.transform is not None:
            X = self.transform(X)
        y = self.y[idx]
        if self.augment is not None:
            X, y = self.augment(X, y)
        return (X, y) if batched else (X[0], y[0])


def make_loader(
    dataset: data.Dataset,
    *,
    batch_size: int,
    shuffle: bool,
    seed: int = 0,
    num_workers: int = 0,
    sampler: data.Sampler | None = None,
) -> data.DataLoader:
    """A ``DataLoader`` that reshuffles each epoch deterministically for ``seed``.

    :class:`TensorBatchDataset` gets whole-batch indexing (no per-example collate);
    any other dataset gets an ordinary batched loader. ``sampler`` (e.g. a
    ``DistributedSampler``) replaces the shuffling one.
    """
    generator = torch.Generator().manual_seed(seed)
    if isinstance(dataset, TensorBatchDataset):
        base = sampler if sampler is not None else (
            data.RandomSampler(dataset, generator=generator) if shuffle
            else data.SequentialSampler(dataset))
        batches = data.BatchSampler(base, batch_size=batch_size, drop_last=False)
        return data.DataLoader(dataset, batch_size=None, sampler=batches,
                               num_workers=num_workers)
    if sampler is not None:
        return data.DataLoader(dataset, batch_size=batch_size, sampler=sampler,
                               num_workers=num_workers)
    return data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                           generator=generator, num_workers=num_workers)


def check_batch_size(batch_size: int) -> int:
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} must be a positive integer, e.g. 256")
    return batch_size


def check_count(name: str, value: int | None, default: int) -> int:
    """Validate an example count such as ``n_train``; ``None`` means ``default``."""
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer (or None for {default})")
    return value


def resize_transform(resize: int | tuple[int, int] | None) -> Callable | None:
    """``transforms.v2.Resize`` for ``resize`` (side or ``(H, W)``), or None."""
    if resize is None:
        return None
    size = (resize, resize) if isinstance(resize, int) else tuple(resize)
    if len(size) != 2 or not all(isinstance(s, int) and s > 0 for s in size):
        raise ValueError(f"resize={resize!r} must be a positive int or (height, width), e.g. 224")
    from torchvision.transforms import v2

    return v2.Resize(list(size), antialias=True)


def resized_shape(shape: tuple[int, ...], resize: int | tuple[int, int] | None) -> tuple[int, ...]:
    if resize is None:
        return shape
    size = (resize, resize) if isinstance(resize, int) else tuple(resize)
    return (shape[0], *size)


def default_data_root() -> Path:
    """The user's data folder for downloaded datasets.

    Returns:
        ``$XDG_DATA_HOME/dl-playground/data`` (``~/.local/share/...`` when unset) on
        Linux, ``~/Library/Application Support/dl-playground/data`` on macOS and
        ``%LOCALAPPDATA%\\dl-playground\\data`` on Windows. Not created here.
    """
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "dl-playground" / "data"


def split_indices(n: int, n_test: int, *, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded random split of ``range(n)`` into ``(train_idx, test_idx)``."""
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return perm[n_test:], perm[:n_test]


def subset(X: torch.Tensor, y: torch.Tensor, limit: int | None, *, seed: int
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded random subset of at most ``limit`` examples (all when ``None``)."""
    if limit is None or limit >= len(X):
        return X, y
    idx = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))[:limit]
    idx = idx.sort().values
    return X[idx], y[idx]
