"""engine.images: every listed format and mode loads to RGB uint8; bad files say why."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from engine import images
from engine.images import load_boxes_json, load_image, to_tensor, to_uint8_hwc


def _rgb(h=24, w=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("suffix", ["png", "bmp", "tiff", "webp"])
def test_lossless_formats_round_trip_exactly(tmp_path, suffix):
    arr = _rgb()
    path = tmp_path / f"x.{suffix}"
    kwargs = {"lossless": True} if suffix == "webp" else {}
    Image.fromarray(arr).save(path, **kwargs)
    out = load_image(path)
    assert out.array.dtype == np.uint8 and out.array.shape == (24, 32, 3)
    np.testing.assert_array_equal(out.array, arr)
    assert out.notice == ""


def test_jpeg_round_trips_approximately(tmp_path):
    arr = np.full((16, 16, 3), (200, 100, 50), np.uint8)
    Image.fromarray(arr).save(tmp_path / "x.jpg", quality=95)
    out = load_image(tmp_path / "x.jpg").array
    assert np.abs(out.astype(int) - arr).max() <= 3


def test_gif_first_frame_with_notice(tmp_path):
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    out = load_image(tmp_path / "a.gif")
    assert tuple(out.array[0, 0]) == (255, 0, 0)
    assert "first of 2 frames" in out.notice


def test_grayscale_becomes_rgb(tmp_path):
    g = np.arange(64, dtype=np.uint8).reshape(8, 8)
    Image.fromarray(g, "L").save(tmp_path / "g.png")
    out = load_image(tmp_path / "g.png")
    assert out.array.shape == (8, 8, 3) and out.original_mode == "L"
    np.testing.assert_array_equal(out.array[..., 0], g)
    np.testing.assert_array_equal(out.array[..., 2], g)


def test_rgba_composited_on_white(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[0, 0, 3] = 255  # one opaque red pixel, the rest transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    out = load_image(tmp_path / "t.png")
    assert tuple(out.array[0, 0]) == (255, 0, 0)
    assert tuple(out.array[1, 1]) == (255, 255, 255)
    assert "transparent" in out.notice


def test_palette_image(tmp_path):
    im = Image.new("P", (5, 5))
    im.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    im.putpixel((2, 2), 1)
    im.save(tmp_path / "p.png")
    out = load_image(tmp_path / "p.png").array
    assert tuple(out[2, 2]) == (10, 200, 30) and tuple(out[0, 0]) == (0, 0, 0)


def test_16_bit_grayscale_scaled_to_8_bit(tmp_path):
    g = np.array([[0, 65535], [32768, 1000]], dtype=np.uint16)
    Image.fromarray(g).save(tmp_path / "g16.png")
    out = load_image(tmp_path / "g16.png")
    assert out.array[0, 1, 0] == 255 and out.array[0, 0, 0] == 0
    assert abs(int(out.array[1, 0, 0]) - 128) <= 1
    assert "8-bit" in out.notice


def test_16_bit_tiff(tmp_path):
    g = (np.arange(16, dtype=np.uint16) * 4000).reshape(4, 4)
    Image.fromarray(g).save(tmp_path / "g16.tif")
    out = load_image(tmp_path / "g16.tif").array
    assert out.shape == (4, 4, 3) and out[3, 3, 0] == round(15 * 4000 / 65535 * 255)


def test_exif_orientation_applied(tmp_path):
    arr = np.zeros((10, 20, 3), np.uint8)
    arr[:, :10] = 255  # left half white
    im = Image.fromarray(arr)
    exif = im.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    im.save(tmp_path / "r.jpg", exif=exif, quality=95)
    out = load_image(tmp_path / "r.jpg").array
    assert out.shape[:2] == (20, 10)  # portrait after transpose
    assert out[2, 5].mean() > 200 and out[-3, 5].mean() < 50  # white part now on top


def test_not_an_image(tmp_path):
    (tmp_path / "notes.txt").write_text("hello, not a picture")
    with pytest.raises(ValueError, match="not an image"):
        load_image(tmp_path / "notes.txt")


def test_truncated_file(tmp_path):
    Image.fromarray(_rgb(64, 64)).save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_image(tmp_path / "cut.png")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(ValueError, match="folder"):
        load_image(tmp_path)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares a huge size (a decompression bomb's first bytes)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    idat = b"IDAT" + zlib.compress(b"\x00" * 64)
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
            + struct.pack(">I", zlib.crc32(chunk))
            + struct.pack(">I", len(idat) - 4) + idat + struct.pack(">I", zlib.crc32(idat)))


def test_decompression_bomb_refused(tmp_path):
    (tmp_path / "bomb.png").write_bytes(_png_header_only(60000, 60000))
    with pytest.raises(ValueError, match="megapixels|too large"):
        load_image(tmp_path / "bomb.png")


def test_large_image_downscaled_with_notice(tmp_path):
    Image.fromarray(_rgb(300, 500)).save(tmp_path / "big.png")
    out = load_image(tmp_path / "big.png", max_side=100)
    assert out.array.shape == (60, 100, 3)
    assert out.original_size == (500, 300)
    assert "downscaled from 500×300" in out.notice


def test_tensor_round_trip():
    arr = _rgb()
    t = to_tensor(arr)
    assert t.shape == (3, 24, 32) and t.dtype == torch.float32
    assert float(t.max()) <= 1.0
    np.testing.assert_array_equal(to_uint8_hwc(t), arr)
    np.testing.assert_array_equal(to_uint8_hwc(t[None]), arr)
    gray = to_uint8_hwc(torch.zeros(1, 4, 5))
    assert gray.shape == (4, 5, 3)
    with pytest.raises(ValueError):
        to_tensor(arr.astype(np.float32))


def test_save_image_atomic(tmp_path):
    arr = _rgb()
    images.save_image(arr, tmp_path / "o.png")
    np.testing.assert_array_equal(load_image(tmp_path / "o.png").array, arr)
    assert [p.name for p in tmp_path.iterdir()] == ["o.png"]


def test_bundled_samples_and_boxes():
    samples = images.list_sample_images()
    assert len(samples) >= 4
    for path in samples:
        out = load_image(path)
        assert out.array.ndim == 3 and out.array.shape[2] == 3
    gt = load_boxes_json(images.sample_images_dir() / "cat.boxes.json")
    cat = load_image(images.sample_image("cat.jpg"))
    assert gt.boxes.shape == (4, 4) and gt.labels[0] == "cat"
    assert (gt.boxes[:, 2] <= cat.width).all() and (gt.boxes[:, 3] <= cat.height).all()
    with pytest.raises(ValueError, match="Available"):
        images.sample_image("nope.png")


def test_bad_boxes_file(tmp_path):
    (tmp_path / "b.json").write_text("{not json")
    with pytest.raises(ValueError, match="not a valid boxes file"):
        load_boxes_json(tmp_path / "b.json")
    (tmp_path / "c.json").write_text('{"boxes": [{"label": "a", "box": [5, 5, 1, 1]}]}')
    with pytest.raises(ValueError, match="x2 > x1"):
        load_boxes_json(tmp_path / "c.json")


def test_save_boxes_json_round_trip(tmp_path):
    boxes = np.array([[1.5, 2, 30, 40], [10, 10, 20, 25]])
    images.save_boxes_json(tmp_path / "a.boxes.json", boxes, ["cat", "eye"], image="a.png")
    gt = load_boxes_json(tmp_path / "a.boxes.json")
    np.testing.assert_allclose(gt.boxes, boxes)
    assert gt.labels == ("cat", "eye") and gt.classes == ("cat", "eye")
    with pytest.raises(ValueError, match="one label per box"):
        images.save_boxes_json(tmp_path / "b.json", boxes, ["cat"])
