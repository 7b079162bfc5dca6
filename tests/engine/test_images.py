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


def _flat_jpeg(width: int, height: int, *, orientation: int = 0) -> bytes:
    """A valid baseline JPEG of flat mid-grey, written by hand: about 6 bits per 8×8
    block, so even a 108 MP photo is ~1.3 MB and costs no memory to make.

    Three components (Y, Cb, Cr; no subsampling) share one quantisation table and two
    one-symbol Huffman tables (DC difference 0, AC end-of-block; each coded "0"), so
    every block is two 0 bits and the scan is zero bytes padded with 1 bits.
    """
    def seg(marker: int, payload: bytes) -> bytes:
        return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload

    app1 = b""
    if orientation:  # EXIF with one tag, Orientation (0x0112), big-endian TIFF
        tiff = b"MM\x00*" + struct.pack(">IHHHIHHI", 8, 1, 0x0112, 3, 1, orientation, 0, 0)
        app1 = seg(0xE1, b"Exif\x00\x00" + tiff)
    comps = b"".join(bytes((i, 0x11, 0)) for i in (1, 2, 3))
    sof = seg(0xC0, struct.pack(">BHHB", 8, height, width, 3) + comps)
    one_symbol = b"\x01" + b"\x00" * 15 + b"\x00"  # one code of length 1: symbol 0
    dht = seg(0xC4, b"\x00" + one_symbol + b"\x10" + one_symbol)
    sos = seg(0xDA, b"\x03" + b"".join(bytes((i, 0)) for i in (1, 2, 3)) + b"\x00\x3f\x00")
    bits = -(-width // 8) * -(-height // 8) * 3 * 2
    scan = b"\x00" * (bits // 8) + (bytes((0xFF >> (bits % 8),)) if bits % 8 else b"")
    return (b"\xff\xd8" + app1 + seg(0xDB, b"\x00" + b"\x01" * 64) + sof + dht + sos
            + scan + b"\xff\xd9")


@pytest.fixture
def decoded_sizes(monkeypatch):
    """Sizes at which PIL really decodes pixels (ImageFile.load), in call order."""
    from PIL import ImageFile

    sizes: list[tuple[int, int]] = []
    original = ImageFile.ImageFile.load

    def spy(self):
        if self.tile:  # pixels still to decode (later calls are no-ops)
            sizes.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return sizes


def test_flat_jpeg_helper_is_a_real_image(tmp_path):
    (tmp_path / "small.jpg").write_bytes(_flat_jpeg(37, 21))
    out = load_image(tmp_path / "small.jpg")
    assert out.array.shape == (21, 37, 3) and out.notice == ""
    assert out.array.min() >= 127 and out.array.max() <= 129


def test_108_megapixel_photo_is_downscaled_not_refused(tmp_path, decoded_sizes):
    path = tmp_path / "phone.jpg"
    path.write_bytes(_flat_jpeg(12000, 9000))
    assert path.stat().st_size < 2_000_000
    limit = Image.MAX_IMAGE_PIXELS
    out = load_image(path)
    assert out.array.shape == (3072, 4096, 3)
    assert out.original_size == (12000, 9000)
    assert out.notice == "downscaled from 12000×9000 to 4096×3072 for display"
    assert out.array.min() >= 127 and out.array.max() <= 129
    # decoded at half size by the JPEG decoder: the full image was never in memory
    assert decoded_sizes == [(6000, 4500)]
    assert limit == Image.MAX_IMAGE_PIXELS  # PIL's own limit is back for other callers


def test_downscale_notice_names_the_real_original_size(tmp_path):
    path = tmp_path / "square.jpg"
    path.write_bytes(_flat_jpeg(9000, 9000))
    out = load_image(path, max_side=1000)  # decoded at 1/8: 1125 × 1125
    assert out.array.shape == (1000, 1000, 3)
    assert "downscaled from 9000×9000 to 1000×1000" in out.notice


def test_downscale_notice_in_display_orientation(tmp_path):
    path = tmp_path / "rotated.jpg"
    path.write_bytes(_flat_jpeg(12000, 9000, orientation=6))
    out = load_image(path, max_side=1200)
    assert out.array.shape == (1200, 900, 3)  # portrait after the EXIF rotation
    assert "downscaled from 9000×12000 to 900×1200" in out.notice


def test_200_megapixel_photo_loads(tmp_path, decoded_sizes):
    path = tmp_path / "samsung.jpg"
    path.write_bytes(_flat_jpeg(16320, 12240))  # PIL alone refuses above ~179 MP
    out = load_image(path, max_side=2040)
    assert out.array.shape == (1530, 2040, 3)
    assert decoded_sizes == [(2040, 1530)]  # at 1/8, exactly the display size


def test_decompression_bomb_refused_before_decoding(tmp_path, decoded_sizes):
    (tmp_path / "bomb.png").write_bytes(_png_header_only(60000, 60000))
    with pytest.raises(ValueError, match=r"claims 60000×60000 .*decompression bomb"):
        load_image(tmp_path / "bomb.png")
    # a header claiming 15000 × 15000 (225 MP, under the decode budget) in 100 bytes
    (tmp_path / "bomb2.png").write_bytes(_png_header_only(15000, 15000))
    with pytest.raises(ValueError, match="decompression bomb"):
        load_image(tmp_path / "bomb2.png")
    assert decoded_sizes == []


def test_too_much_to_decode_is_refused_but_jpeg_is_drafted(tmp_path, monkeypatch,
                                                           decoded_sizes):
    monkeypatch.setattr(images, "MAX_DECODE_PIXELS", 10_000)
    Image.new("RGB", (200, 100), (9, 99, 199)).save(tmp_path / "wide.png")
    with pytest.raises(ValueError, match=r"200×100 .* more than the 0 MP this app decodes"):
        load_image(tmp_path / "wide.png", max_side=50)
    assert decoded_sizes == []
    # a JPEG of the same size is decoded at 1/4 (50 × 25 pixels), within the budget
    (tmp_path / "wide.jpg").write_bytes(_flat_jpeg(200, 100))
    assert load_image(tmp_path / "wide.jpg", max_side=50).array.shape == (25, 50, 3)
    assert decoded_sizes == [(50, 25)]


def test_large_palette_image_downscaled_smoothly(tmp_path):
    stripes = np.zeros((40, 400), np.uint8)
    stripes[:, 1::2] = 1  # 1-pixel stripes: nearest-neighbour would keep one colour
    im = Image.fromarray(stripes, "L").convert("P")
    im.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    im.save(tmp_path / "p.png")
    out = load_image(tmp_path / "p.png", max_side=100).array
    assert out.shape == (10, 100, 3)
    assert 100 < out[5, 50:60].mean() < 155  # averaged grey, not black or white


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


def test_overlapping_loads_restore_pils_limit(tmp_path):
    import threading

    limit = Image.MAX_IMAGE_PIXELS
    (tmp_path / "a.jpg").write_bytes(_flat_jpeg(3000, 2000))
    errors: list[BaseException] = []

    def load():
        try:
            load_image(tmp_path / "a.jpg", max_side=1000)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and limit == Image.MAX_IMAGE_PIXELS
