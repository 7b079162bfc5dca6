"""Datasets read from files: Fashion-MNIST, MNIST, CIFAR-10 and a user's image folder.

Files live under a data folder (``default_data_root()`` unless the user picks another)
in torchvision's layout. Nothing is downloaded unless ``download=True``; when files are
missing the error says which, where, and how to get them.
"""

from __future__ import annotations

import gzip
import pickle
import shutil
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.files import atomic_path

FASHION_MNIST_LABELS = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
                        "sneaker", "bag", "ankle boot")
MNIST_LABELS = tuple(str(i) for i in range(10))
CIFAR10_LABELS = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                  "ship", "truck")

_IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
_CIFAR_DIR = "cifar-10-batches-py"
_CIFAR_TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))
_CIFAR_TEST = ("test_batch",)
_CIFAR_ARCHIVE = "cifar-10-python.tar.gz"

_MNIST_STYLE = {
    # name: (torchvision class name, title, where to get the files)
    "fashion-mnist": ("FashionMNIST", "Fashion-MNIST",
                      "https://github.com/zalandoresearch/fashion-mnist (data/fashion/*.gz)"),
    "mnist": ("MNIST", "MNIST", "https://ossci-datasets.s3.amazonaws.com/mnist/"),
}


def get_fashion_mnist_labels(labels: Any) -> list[str]:
    """The book's ``get_fashion_mnist_labels``: text labels for numeric ones."""
    return [FASHION_MNIST_LABELS[int(i)] for i in labels]


def _download_failed(title: str, where: Path, exc: BaseException) -> ValueError:
    detail = " ".join(str(exc).split())[:300]
    return ValueError(
        f"could not download {title} into {where} ({type(exc).__name__}: {detail}). Check the "
        f"network connection, or copy the files there by hand; the offline "
        f"'procedural-shapes' dataset needs no files.")


def _gunzip_missing(raw: Path) -> None:
    """Decompress ``X.gz`` to ``X`` where only the ``.gz`` is present (what users copy)."""
    for stem in _IDX_FILES:
        target, packed = raw / stem, raw / f"{stem}.gz"
        if target.exists() or not packed.exists():
            continue
        try:
            with atomic_path(target) as tmp, gzip.open(packed, "rb") as src, \
                    open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst)
        except (OSError, EOFError) as exc:
            raise ValueError(f"could not decompress {packed}: {exc}. Replace the file with "
                             f"a good copy or decompress it by hand into {raw}.") from exc


def load_mnist_style(name: str, root: Path, *, download: bool
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, str]:
    """Load Fashion-MNIST or MNIST through ``torchvision.datasets``.

    Returns:
        ``X_train (Tensor[N, 1, 28, 28], uint8)``, ``y_train (Tensor[N], int64)``,
        ``X_test``, ``y_test`` and a source description.
    """
    import torchvision.datasets as tvd

    cls_name, title, url = _MNIST_STYLE[name]
    raw = root / cls_name / "raw"
    if raw.is_dir():
        _gunzip_missing(raw)
    missing = [f for f in _IDX_FILES if not (raw / f).exists()]
    cls = getattr(tvd, cls_name)
    if missing and download:
        try:
            cls(str(root), train=True, download=True)
        except Exception as exc:  # URLError, RuntimeError, OSError: all mean "no data"
            raise _download_failed(title, raw, exc) from exc
        missing = [f for f in _IDX_FILES if not (raw / f).exists()]
    if missing:
        raise ValueError(
            f"{title} files not found in {raw}: missing {', '.join(missing)} (.gz is fine). "
            f"Copy the four idx files from {url} into that folder, or allow downloading "
            f"(download=True, CLI --download) when online. The offline "
            f"'procedural-shapes' dataset needs no files.")
    try:
        train, test = cls(str(root), train=True), cls(str(root), train=False)
    except Exception as exc:
        raise ValueError(f"{title} files in {raw} could not be read ({exc}); replace them "
                         f"with good copies from {url}.") from exc
    return (train.data.unsqueeze(1), train.targets.long(), test.data.unsqueeze(1),
            test.targets.long(), f"{title} from {raw}")


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles CIFAR batches (dicts of lists and numpy arrays) and nothing else, so a
    planted file in the data folder cannot run code."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("_codecs", "encode"),  # how protocol-2 pickles written by Python 3 store bytes
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR batch")


def _read_cifar_batch(path: Path) -> tuple[np.ndarray, list[int]]:
    with open(path, "rb") as f:
        entry = _ArrayUnpickler(f, encoding="latin1").load()
    entry = {k.decode() if isinstance(k, bytes) else k: v for k, v in entry.items()}
    images = np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
    return images, list(entry["labels"])


def _extract_cifar_archive(root: Path) -> None:
    archive = root / _CIFAR_ARCHIVE
    if (root / _CIFAR_DIR).is_dir() or not archive.exists():
        return
    try:
        with tarfile.open(archive, "r:gz") as tar:
            if hasattr(tarfile, "data_filter"):  # refuses links/paths escaping root
                tar.extractall(root, filter="data")
            else:  # pragma: no cover - Python < 3.10.12
                tar.extractall(root)
    except (OSError, tarfile.TarError) as exc:
        raise ValueError(f"could not extract {archive}: {exc}. Replace it with a good copy "
                         f"or extract it by hand into {root}.") from exc


def load_cifar10(root: Path, *, download: bool
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, str,
                            tuple[str, ...]]:
    """Load CIFAR-10 from torchvision's on-disk layout (``root/cifar-10-batches-py``).

    The batches are read here rather than through ``torchvision.datasets.CIFAR10``,
    which insists on the md5 of the official files; downloading still goes through it.

    Returns:
        ``X_train (Tensor[N, 3, 32, 32], uint8)``, ``y_train (Tensor[N], int64)``,
        ``X_test``, ``y_test``, a source description and the class names.
    """
    folder = root / _CIFAR_DIR
    _extract_cifar_archive(root)
    names = _CIFAR_TRAIN + _CIFAR_TEST
    missing = [f for f in names if not (folder / f).exists()]
    if missing and download:
        import torchvision.datasets as tvd

        try:
            tvd.CIFAR10(str(root), train=True, download=True)
        except Exception as exc:
            raise _download_failed("CIFAR-10", root, exc) from exc
        missing = [f for f in names if not (folder / f).exists()]
    if missing:
        raise ValueError(
            f"CIFAR-10 files not found in {folder}: missing {', '.join(missing)}. Put "
            f"{_CIFAR_ARCHIVE} (python version, from https://www.cs.toronto.edu/~kriz/"
            f"cifar.html) in {root} or extract it there, or allow downloading "
            f"(download=True, CLI --download) when online.")
    try:
        parts = [[_read_cifar_batch(folder / f) for f in group]
                 for group in (_CIFAR_TRAIN, _CIFAR_TEST)]
    except (OSError, EOFError, KeyError, ValueError, pickle.UnpicklingError) as exc:
        raise ValueError(f"CIFAR-10 files in {folder} could not be read ({exc}); replace "
                         f"them with a fresh copy of {_CIFAR_ARCHIVE}.") from exc
    out: list[torch.Tensor] = []
    for batches in parts:
        out.append(torch.from_numpy(np.concatenate([b[0] for b in batches])))
        out.append(torch.tensor([label for b in batches for label in b[1]], dtype=torch.long))
    classes = CIFAR10_LABELS
    meta = folder / "batches.meta"
    if meta.exists():
        try:
            with open(meta, "rb") as f:
                classes = tuple(_ArrayUnpickler(f, encoding="latin1").load()["label_names"])
        except Exception:  # the names are a nicety; the data is already good
            classes = CIFAR10_LABELS
    return (*out, f"CIFAR-10 from {folder}", classes)  # type: ignore[return-value]
