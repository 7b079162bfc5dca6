"""The banana sets: procedural (boxes enclose the drawn object, seeded, registered) and
the book's folder layout (CSV errors and missing images named, bad boxes counted)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.data import dataset_info, load_dataset
from engine.data.bananas import make_bananas, read_banana_folder


@pytest.fixture(scope="module")
def drawn():
    return make_bananas(12, size=64, objects=1, seed=4, return_masks=True)


def test_boxes_are_the_exact_extent_of_the_drawn_object(drawn) -> None:
    X, y, masks = drawn
    assert X.shape == (12, 3, 64, 64) and X.dtype == torch.uint8
    assert y.shape == (12, 1, 5) and bool((y[..., 0] == 0).all())
    for i in range(12):
        box = (y[i, 0, 1:] * 64).round().long().tolist()
        rows, cols = torch.nonzero(masks[i, 0] > 0, as_tuple=True)
        assert rows.numel() > 20  # a visible object
        x1, y1, x2, y2 = box
        # every covered pixel inside the box, and the box touches the object on each side
        assert int(cols.min()) == x1 and int(cols.max()) + 1 == x2
        assert int(rows.min()) == y1 and int(rows.max()) + 1 == y2
        assert 0 <= x1 < x2 <= 64 and 0 <= y1 < y2 <= 64


def test_the_object_is_drawn_where_its_mask_says(drawn) -> None:
    X, y, masks = drawn
    # pixels fully covered by the banana are banana-coloured, not background
    covered = masks[:, 0] >= 1.0
    img = X.float() / 255
    inside = img.permute(0, 2, 3, 1)[covered]
    assert inside.shape[0] > 100
    # bananas are yellow-to-green (or brown at the tips): red + green well above blue
    assert float(((inside[:, 0] + inside[:, 1]) / 2 - inside[:, 2]).median()) > 0.3


def test_generation_is_deterministic_per_seed() -> None:
    a = make_bananas(4, size=48, seed=7)
    b = make_bananas(4, size=48, seed=7)
    c = make_bananas(4, size=48, seed=8)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_several_objects_per_image_pad_with_minus_one() -> None:
    X, y, masks = make_bananas(16, size=96, objects=3, seed=1, return_masks=True)
    assert y.shape == (16, 3, 5)
    counts = (y[..., 0] >= 0).sum(1)
    assert int(counts.min()) >= 1 and int(counts.max()) == 3
    pad = y[..., 0] < 0
    assert bool((y[pad] == -1).all())
    for i, k in torch.nonzero(~pad).tolist():
        rows, cols = torch.nonzero(masks[i, k] > 0, as_tuple=True)
        box = (y[i, k, 1:] * 96).round().long().tolist()
        assert [int(cols.min()), int(rows.min()), int(cols.max()) + 1,
                int(rows.max()) + 1] == box


@pytest.mark.parametrize("bad", [{"n": 0}, {"size": 8}, {"objects": 0}, {"objects": 9}])
def test_bad_generation_arguments_are_named(bad) -> None:
    args = {"n": 2, "size": 64, "objects": 1, **bad}
    with pytest.raises(ValueError, match=next(iter(bad))):
        make_bananas(args.pop("n"), **args)


def test_registered_with_box_list_targets() -> None:
    info = dataset_info("bananas")
    assert info.task == "detection" and info.target == "boxes" and info.offline
    bundle = load_dataset("bananas", batch_size=4, n_train=6, n_test=3, size=64)
    assert (bundle.n_train, bundle.n_test, bundle.input_shape) == (6, 3, (3, 64, 64))
    X, y = next(iter(bundle.train))
    assert X.dtype == torch.float32 and float(X.max()) <= 1.0
    assert y.shape == (4, 1, 5)
    assert bundle.class_names == ("banana",)
    # defaults: the book's 1,000 / 100 at 256x256
    assert info.input_shape == (3, 256, 256)


# -- the book's folder layout --------------------------------------------------------------
def _write_split(root: Path, split: str, rows: list[str], images: list[str], size=(32, 32)
                 ) -> None:
    folder = root / f"bananas_{split}"
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "label.csv").write_text("\n".join(["img_name,label,xmin,ymin,xmax,ymax", *rows])
                                      + "\n")
    for name in images:
        Image.fromarray(np.full((size[1], size[0], 3), 120, np.uint8)).save(
            folder / "images" / name)


def test_reads_the_books_layout_and_counts_bad_boxes(tmp_path) -> None:
    _write_split(tmp_path, "train", ["0.png,0,4,8,20,24", "1.png,0,10,10,5,20",
                                     "2.png,0,0,0,40,10", "3.png,0,1,2,31,30"],
                 ["0.png", "1.png", "2.png", "3.png"])
    split = read_banana_folder(tmp_path, is_train=True)
    assert split.X.shape == (2, 3, 32, 32) and split.skipped == 2
    torch.testing.assert_close(split.y[0, 0], torch.tensor([0, 4 / 32, 8 / 32, 20 / 32,
                                                            24 / 32]))
    assert "2 row(s) skipped" in split.source
    resized = read_banana_folder(tmp_path, is_train=True, size=16)
    assert resized.X.shape == (2, 3, 16, 16)
    torch.testing.assert_close(resized.y, split.y)  # normalised boxes follow the resize


def test_missing_images_are_named(tmp_path) -> None:
    _write_split(tmp_path, "val", ["a.png,0,1,1,5,5", "gone.png,0,1,1,5,5"], ["a.png"])
    with pytest.raises(ValueError, match=r"1 image\(s\).*gone\.png"):
        read_banana_folder(tmp_path, is_train=False)


@pytest.mark.parametrize("rows, match", [
    (["a.png,0,1,1,5"], "line 2: expected 6 fields"),
    (["a.png,0,1,1,5,5", "a.png,banana,1,1,5,5"], "line 3: label must be an integer"),
    (["a.png,0,1,1,nan,5"], "line 2: label must be >= 0 and the box finite"),
    ([], "no rows"),
])
def test_malformed_csv_names_file_and_line(tmp_path, rows, match) -> None:
    _write_split(tmp_path, "train", rows, ["a.png"])
    with pytest.raises(ValueError, match=match):
        read_banana_folder(tmp_path)


def test_wrong_header_and_missing_csv(tmp_path) -> None:
    with pytest.raises(ValueError, match="label.csv does not exist"):
        read_banana_folder(tmp_path)
    folder = tmp_path / "bananas_train"
    folder.mkdir()
    (folder / "label.csv").write_text("name,x,y\n")
    with pytest.raises(ValueError, match="header"):
        read_banana_folder(tmp_path)


def test_registry_reads_the_folder_from_the_data_root(tmp_path) -> None:
    root = tmp_path / "banana-detection"
    _write_split(root, "train", ["0.png,0,4,8,20,24", "1.png,0,1,1,9,9"], ["0.png", "1.png"])
    _write_split(root, "val", ["0.png,0,4,8,20,24"], ["0.png"])
    bundle = load_dataset("banana-detection", batch_size=2, root=tmp_path)
    assert (bundle.n_train, bundle.n_test, bundle.task) == (2, 1, "detection")
    with pytest.raises(ValueError, match="no banana-detection folder"):
        load_dataset("banana-detection", batch_size=2, root=tmp_path / "nowhere")
