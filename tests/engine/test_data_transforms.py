"""Random transforms drawn per example (and per seed), targets following the image;
each dataset entry carries its loader; no engine.data <-> registry import cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from engine.data import TensorBatchDataset, list_datasets, load_dataset, make_augment
from engine.data.toy import make_toy_boxes, make_toy_masks

ROOT = Path(__file__).resolve().parents[2]


def _flipped(out: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    same = (out == X).flatten(1).all(1)
    mirror = (out == X.flip(-1)).flatten(1).all(1)
    assert bool((same | mirror).all())  # every example is either untouched or mirrored
    return mirror & ~same


def _batch(seed: int, n: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    X = torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(7))
    ds = TensorBatchDataset(X, torch.zeros(n, dtype=torch.long),
                            augment=make_augment([{"name": "hflip", "p": 0.5}],
                                                 image_size=(8, 8), seed=seed))
    return ds[list(range(n))][0], X


def test_flips_are_drawn_per_example_and_reproducibly_per_seed() -> None:
    out, X = _batch(seed=0)
    flips = _flipped(out, X)
    assert 0.3 <= flips.float().mean().item() <= 0.7  # not all-or-none per batch
    again, _ = _batch(seed=0)
    assert torch.equal(again, out)
    other, X2 = _batch(seed=1)
    assert not torch.equal(_flipped(other, X2), flips)


def test_load_dataset_augments_the_training_split_only_and_reseeds() -> None:
    b = load_dataset("procedural-shapes", batch_size=100, n_train=100, n_test=100,
                     transforms=[{"name": "hflip"}])
    ds = b.train.dataset
    idx = list(range(100))
    X = ds.X[idx].float() / 255
    first = _flipped(ds[idx][0], X)
    assert 0.3 <= first.float().mean().item() <= 0.7
    ds.reseed(0)
    assert torch.equal(_flipped(ds[idx][0], X), first)
    test = b.test.dataset
    assert test.augment is None


def test_masks_and_boxes_follow_the_image() -> None:
    X, y = make_toy_masks(16, size=12, seed=3)
    aug = make_augment([{"name": "hflip", "p": 0.5}], image_size=(12, 12), target="mask")
    out_x, out_y = aug(X, y)
    flips = _flipped(out_x, X)
    assert torch.equal(out_y[flips], y[flips].flip(-1)) and torch.equal(out_y[~flips], y[~flips])
    Xb, yb = make_toy_boxes(16, size=32, seed=4)
    aug = make_augment([{"name": "hflip", "p": 0.5}], image_size=(32, 32), target="boxes")
    out_x, out_b = aug(Xb, yb)
    flips = _flipped(out_x, Xb)
    assert flips.any() and (~flips).any()
    mirrored = yb.clone()
    mirrored[..., 1], mirrored[..., 3] = 1 - yb[..., 3], 1 - yb[..., 1]
    assert torch.allclose(out_b[flips], mirrored[flips], atol=1e-6)
    assert torch.allclose(out_b[~flips], yb[~flips])


def test_bad_transforms_name_the_entry() -> None:
    with pytest.raises(ValueError, match=r"transforms\[1\]\.name='twirl'"):
        make_augment([{"name": "hflip"}, {"name": "twirl"}], image_size=(8, 8))
    with pytest.raises(ValueError, match=r"transforms\[0\] \(hflip\): unknown option 'q'"):
        make_augment([{"name": "hflip", "q": 1}], image_size=(8, 8))
    with pytest.raises(ValueError, match="only apply to image datasets"):
        load_dataset("xor", batch_size=8, transforms=[{"name": "hflip"}])


def test_each_entry_carries_its_loader_and_new_targets_load() -> None:
    assert all(callable(info.loader) for info in list_datasets())
    masks = load_dataset("toy-masks", batch_size=8, n_train=16, n_test=8)
    X, y = next(iter(masks.train))
    assert masks.task == "segmentation" and y.shape == (8, 16, 16) and y.dtype == torch.long
    boxes = load_dataset("toy-boxes", batch_size=8, n_train=16, n_test=8)
    X, y = next(iter(boxes.train))
    assert boxes.task == "detection" and y.shape == (8, 1, 5) and X.shape == (8, 1, 32, 32)
    registry = (ROOT / "engine" / "data" / "registry.py").read_text()
    assert "if name ==" not in registry and "elif name" not in registry


def test_no_data_module_imports_the_engine_data_package() -> None:
    for path in (ROOT / "engine" / "data").glob("*.py"):
        if path.name == "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert node.module != "engine.data", f"{path.name} imports from engine.data"
    # and the registry imports first, on its own, in a fresh interpreter
    code = "import engine.data.registry as r; print(len(r.list_datasets()))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=120)
    assert out.returncode == 0, out.stderr
