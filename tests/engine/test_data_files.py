"""File datasets on tiny fake files written in the real on-disk formats."""

from __future__ import annotations

import gzip
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.data import CIFAR10_LABELS, FASHION_MNIST_LABELS, load_dataset


def _idx_images(images: np.ndarray) -> bytes:
    n, rows, cols = images.shape
    return struct.pack(">IIII", 0x0803, n, rows, cols) + images.astype(np.uint8).tobytes()


def _idx_labels(labels: np.ndarray) -> bytes:
    return struct.pack(">II", 0x0801, len(labels)) + labels.astype(np.uint8).tobytes()


def _write_mnist(raw: Path, n_train: int, n_test: int, *, gz: bool) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    raw.mkdir(parents=True)
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = np.arange(n) % 10
        arrays[split] = (images, labels)
        for stem, payload in ((f"{split}-images-idx3-ubyte", _idx_images(images)),
                              (f"{split}-labels-idx1-ubyte", _idx_labels(labels))):
            if gz:
                with gzip.open(raw / f"{stem}.gz", "wb") as f:
                    f.write(payload)
            else:
                (raw / stem).write_bytes(payload)
    return arrays


def test_fashion_mnist_from_gz_idx_files(tmp_path: Path) -> None:
    arrays = _write_mnist(tmp_path / "FashionMNIST" / "raw", 30, 20, gz=True)
    b = load_dataset("fashion-mnist", batch_size=8, root=tmp_path)
    assert (b.n_train, b.n_test, b.input_shape, b.num_classes) == (30, 20, (1, 28, 28), 10)
    assert b.class_names == FASHION_MNIST_LABELS
    assert b.source == f"Fashion-MNIST from {tmp_path / 'FashionMNIST' / 'raw'}"
    X = torch.cat([x for x, _ in b.test])
    y = torch.cat([t for _, t in b.test])
    images, labels = arrays["t10k"]
    assert torch.allclose(X[:, 0], torch.from_numpy(images).float() / 255)
    assert torch.equal(y, torch.from_numpy(labels).long())


def test_mnist_from_raw_idx_files_with_limit_and_resize(tmp_path: Path) -> None:
    _write_mnist(tmp_path / "MNIST" / "raw", 40, 20, gz=False)
    b = load_dataset("mnist", batch_size=5, root=tmp_path, n_train=10, n_test=5, resize=32)
    assert (b.n_train, b.n_test, b.input_shape) == (10, 5, (1, 32, 32))
    X, y = next(iter(b.train))
    assert X.shape == (5, 1, 32, 32) and y.dtype == torch.int64


def test_absent_files_offline_say_which_where_and_how(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as err:
        load_dataset("fashion-mnist", batch_size=8, root=tmp_path)
    message = str(err.value)
    assert str(tmp_path / "FashionMNIST" / "raw") in message
    assert "train-images-idx3-ubyte" in message and "t10k-labels-idx1-ubyte" in message
    assert "download" in message and "procedural-shapes" in message
    with pytest.raises(ValueError, match="cifar-10-batches-py.*data_batch_1"):
        load_dataset("cifar10", batch_size=8, root=tmp_path)


def test_partial_files_name_only_the_missing_ones(tmp_path: Path) -> None:
    raw = tmp_path / "MNIST" / "raw"
    _write_mnist(raw, 10, 10, gz=False)
    (raw / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(ValueError, match=r"missing t10k-labels-idx1-ubyte \("):
        load_dataset("mnist", batch_size=8, root=tmp_path)


def _write_cifar(folder: Path, per_batch: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True)
    test_images = None
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        images = rng.integers(0, 256, (per_batch, 3 * 32 * 32), dtype=np.uint8)
        entry = {"batch_label": name, "labels": [i % 10 for i in range(per_batch)],
                 "data": images, "filenames": [f"{i}.png" for i in range(per_batch)]}
        with open(folder / name, "wb") as f:
            pickle.dump(entry, f, protocol=2)
        test_images = images
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": list(CIFAR10_LABELS), "num_vis": 3072}, f, protocol=2)
    return test_images


def test_cifar10_from_python_batches(tmp_path: Path) -> None:
    test_images = _write_cifar(tmp_path / "cifar-10-batches-py", 6)
    b = load_dataset("cifar10", batch_size=4, root=tmp_path)
    assert (b.n_train, b.n_test, b.input_shape, b.class_names) == (30, 6, (3, 32, 32),
                                                                   CIFAR10_LABELS)
    X = torch.cat([x for x, _ in b.test])
    expected = torch.from_numpy(test_images.reshape(-1, 3, 32, 32)).float() / 255
    assert torch.allclose(X, expected)


def test_cifar10_from_the_downloaded_tar_gz(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    _write_cifar(staging / "cifar-10-batches-py", 2)
    root = tmp_path / "root"
    root.mkdir()
    with tarfile.open(root / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(staging / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    b = load_dataset("cifar10", batch_size=4, root=root)
    assert (b.n_train, b.n_test) == (10, 2)
    assert (root / "cifar-10-batches-py" / "test_batch").exists()


def test_cifar10_batch_that_would_run_code_is_refused(tmp_path: Path) -> None:
    _write_cifar(tmp_path / "cifar-10-batches-py", 2)

    class Evil:
        def __reduce__(self):
            return (print, ("owned",))

    with open(tmp_path / "cifar-10-batches-py" / "data_batch_3", "wb") as f:
        pickle.dump({"data": Evil(), "labels": [0]}, f)
    with pytest.raises(ValueError, match="could not be read.*refusing"):
        load_dataset("cifar10", batch_size=4, root=tmp_path)


def _png(path: Path, value: int, size: tuple[int, int] = (12, 10)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (value, 255 - value, 0)).save(path)


def test_image_folder_split_by_seed(tmp_path: Path) -> None:
    for cls, value in (("cats", 10), ("dogs", 200)):
        for i in range(5):
            _png(tmp_path / cls / f"{i}.png", value)
    b = load_dataset("image-folder", batch_size=4, root=tmp_path, test_fraction=0.2)
    assert b.class_names == ("cats", "dogs") and b.num_classes == 2
    assert (b.n_train, b.n_test, b.input_shape) == (8, 2, (3, 10, 12))  # first image's size
    X, y = next(iter(b.train))
    assert X.shape == (4, 3, 10, 12) and X.dtype == torch.float32
    # colour encodes the class, so labels line up with pixels
    assert torch.equal((X[:, 0, 0, 0] > 0.5).long(), y)
    again = load_dataset("image-folder", batch_size=4, root=tmp_path)
    assert again.test.dataset.indices == b.test.dataset.indices


def test_image_folder_train_test_subfolders_grayscale_resize(tmp_path: Path) -> None:
    for split, n in (("train", 3), ("test", 2)):
        for cls, value in (("a", 0), ("b", 255)):
            for i in range(n):
                _png(tmp_path / split / cls / f"{i}.png", value, size=(7 + i, 9))
    b = load_dataset("image-folder", batch_size=10, root=tmp_path, resize=16, grayscale=True)
    assert (b.n_train, b.n_test, b.input_shape) == (6, 4, (1, 16, 16))
    X, y = next(iter(b.test))
    assert X.shape == (4, 1, 16, 16) and y.tolist() == [0, 0, 1, 1]
    assert "train/ and test/" in b.source


def test_image_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs root="):
        load_dataset("image-folder", batch_size=4)
    with pytest.raises(ValueError, match="does not exist"):
        load_dataset("image-folder", batch_size=4, root=tmp_path / "nope")
    with pytest.raises(ValueError, match="one sub-folder per class"):
        load_dataset("image-folder", batch_size=4, root=tmp_path)


def _truncated_jpeg(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(path, quality=95)
    path.write_bytes(path.read_bytes()[:900])  # header intact, image data cut


def test_image_folder_skips_unreadable_files_and_names_them(tmp_path: Path) -> None:
    """A truncated file used to stop the run mid-epoch: "image file is truncated", no name."""
    for cls, value in (("cats", 10), ("dogs", 200)):
        for i in range(5):
            _png(tmp_path / cls / f"{i}.png", value)
    _truncated_jpeg(tmp_path / "cats" / "broken.jpg")
    (tmp_path / "dogs" / "notes.png").write_bytes(b"not an image at all")
    b = load_dataset("image-folder", batch_size=4, root=tmp_path, test_fraction=0.2)
    assert b.n_train + b.n_test == 10  # the 2 bad files left out
    assert "skipped 2 unreadable files: " in b.source
    assert "cats/broken.jpg (" in b.source and "dogs/notes.png (" in b.source
    for X, _ in b.train:  # a whole epoch reads without an error
        assert X.shape[1:] == (3, 10, 12)


def test_image_folder_with_no_readable_image_is_refused_naming_it(tmp_path: Path) -> None:
    _truncated_jpeg(tmp_path / "train" / "a" / "x.jpg")
    _png(tmp_path / "test" / "a" / "y.png", 5)
    with pytest.raises(ValueError, match=r"no readable image in .*train: skipped 1 "
                                         r"unreadable file: train/a/x.jpg \(image file "
                                         r"is truncated"):
        load_dataset("image-folder", batch_size=4, root=tmp_path)


def test_a_file_broken_after_opening_fails_with_its_name(tmp_path: Path) -> None:
    for cls in ("a", "b"):
        for i in range(3):
            _png(tmp_path / cls / f"{i}.png", 100)
    b = load_dataset("image-folder", batch_size=8, root=tmp_path)
    (tmp_path / "a" / "0.png").write_bytes(b"changed meanwhile")
    with pytest.raises(ValueError, match=r"image .*a/0.png could not be read"):
        for _ in b.train:
            pass
        for _ in b.test:
            pass
