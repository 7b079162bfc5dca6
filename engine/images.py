"""Image I/O and the one place where images change representation.

Everything the app shows or feeds to a network goes through here:

* ``load_image(path)`` -> :class:`LoadedImage` with an RGB ``uint8`` HWC numpy array,
  whatever the file was (PNG/JPEG/BMP/WebP/TIFF/GIF; grayscale, RGBA, palette,
  16-bit; EXIF orientation applied).
* ``to_tensor`` / ``to_uint8_hwc``: numpy uint8 HWC <-> float CHW tensor in [0, 1].
* ``load_boxes_json``: the ground-truth box files that sit beside sample images.

Bad input raises ``ValueError`` whose message says what is wrong and what to do.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, UnidentifiedImageError

from engine.files import atomic_path, write_text_atomic

if TYPE_CHECKING:  # torch is imported lazily: loading an image must not wait for it
    import torch

#: Images whose longer side exceeds this are downscaled on load (with a notice).
MAX_SIDE = 4096
#: Refuse to decode more pixels than this at full resolution (~1 GB while decoding).
#: JPEGs are decoded at 1/2, 1/4 or 1/8 size when that is all the display needs, so
#: this limits what is decoded, not what the file declares.
MAX_DECODE_PIXELS = 250_000_000
#: Files above this many pixels must hold a plausible amount of data: PIL's own
#: warning threshold, which this module replaces with the checks below.
BOMB_CHECK_PIXELS = 89_478_485
#: Uncompressed bytes per file byte beyond which no real image can be: deflate (PNG,
#: TIFF) stops near 1032:1, LZW (GIF, TIFF) near 2730:1, JPEG far lower.
MAX_COMPRESSION = 10_000
# Bits per pixel of the uncompressed image by PIL mode (8 for anything unlisted).
_MODE_BITS = {"1": 1, "L": 8, "P": 8, "LA": 16, "PA": 16, "La": 16, "RGB": 24,
              "YCbCr": 24, "LAB": 24, "HSV": 24, "RGBA": 32, "RGBa": 32, "RGBX": 32,
              "CMYK": 32, "I": 32, "F": 32}

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".gif")


@dataclass(frozen=True)
class LoadedImage:
    """An image ready for display and for the engine.

    Attributes:
        array (np.ndarray[H, W, 3] uint8): RGB pixels.
        path: where it came from ("" for in-memory images).
        original_size: (width, height) of the file before any downscale.
        original_mode: PIL mode of the file, e.g. "RGB", "L", "RGBA", "I;16", "P".
        notice: a human sentence about anything changed on load ("" if nothing).
    """

    array: np.ndarray
    path: str = ""
    original_size: tuple[int, int] = (0, 0)
    original_mode: str = "RGB"
    notice: str = ""

    @property
    def height(self) -> int:
        return int(self.array.shape[0])

    @property
    def width(self) -> int:
        return int(self.array.shape[1])


def load_image(path: str | os.PathLike[str], *, max_side: int = MAX_SIDE) -> LoadedImage:
    """Load an image file as RGB uint8, robustly.

    Args:
        path: file to read.
        max_side: images whose longer side exceeds this are downscaled to it
            (aspect kept); the returned ``notice`` says so.

    Returns:
        LoadedImage with ``array`` of shape (H, W, 3), dtype uint8.

    Raises:
        ValueError: missing file, not an image, truncated/corrupt data, or an image
            too large to decode safely. The message names the file and the problem.
    """
    path = Path(path)
    name = path.name
    if not path.exists():
        raise ValueError(f"'{path}' does not exist.")
    if path.is_dir():
        raise ValueError(f"'{path}' is a folder, not an image file.")
    notices: list[str] = []
    w = h = 0
    try:
        with _own_bomb_checks(), Image.open(path) as im:
            w, h = im.size
            mode = im.mode
            _check_decodable(name, im, path.stat().st_size)
            if getattr(im, "n_frames", 1) > 1:
                im.seek(0)
                notices.append(f"showing the first of {im.n_frames} frames")
            target = _fit_size(w, h, max_side)
            if target != (w, h):
                # JPEG: decode at 1/2, 1/4 or 1/8 scale, still at least the target size,
                # so the full-size image is never in memory (a no-op for other formats).
                im.draft("RGB", target)
            _check_decode_budget(name, im, (w, h))
            orientation = im.getexif().get(_EXIF_ORIENTATION, 1)
            im.load()
            if im.size != target:
                # Shrink before converting and rotating: conversion, EXIF transposition
                # and RGBA compositing of a huge image in full would cost seconds and
                # gigabytes. ``reducing_gap`` first box-reduces by an integer factor.
                if im.mode in ("1", "P"):  # resampling would fall back to nearest
                    im = im.convert("RGBA" if "transparency" in im.info else
                                    "RGB" if im.mode == "P" else "L")
                im = im.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
            if orientation in _EXIF_TRANSPOSE:  # read from the file: resize drops it
                im = im.transpose(_EXIF_TRANSPOSE[orientation])
            array = _to_rgb_array(im, notices)
    except ValueError:
        raise
    except Image.DecompressionBombError as exc:  # only if another check is stricter
        raise ValueError(f"'{name}' is too large to decode safely ({exc}).") from exc
    except UnidentifiedImageError as exc:
        raise ValueError(
            f"'{name}' is not an image this app can read. Supported: "
            f"{', '.join(s.lstrip('.') for s in IMAGE_SUFFIXES)}."
        ) from exc
    except MemoryError as exc:
        raise ValueError(f"'{name}' ({w}×{h}) needs more memory to decode than is free; "
                         "close other programs or save the image smaller.") from exc
    except (OSError, SyntaxError, EOFError) as exc:
        raise ValueError(
            f"'{name}' could not be decoded: it looks truncated or corrupt ({exc}).") from exc

    array, _ = _limit_size(array, max_side)  # no-op unless a decoder ignored the target
    shown_w, shown_h = (h, w) if orientation in _SWAPS_SIDES else (w, h)
    if (array.shape[1], array.shape[0]) != (shown_w, shown_h):
        notices.append(f"downscaled from {shown_w}×{shown_h} to "
                       f"{array.shape[1]}×{array.shape[0]} for display")
    return LoadedImage(
        array=array,
        path=str(path),
        original_size=(w, h),
        original_mode=mode,
        notice="; ".join(notices),
    )


_EXIF_ORIENTATION = 0x0112
_SWAPS_SIDES = (5, 6, 7, 8)  # EXIF orientations that turn the image by 90°
_EXIF_TRANSPOSE = {  # as ImageOps.exif_transpose
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class _PilLimitLift:
    """Lifts PIL's fixed pixel-count limit while at least one ``load_image`` runs.

    PIL warns above ~89 MP and refuses above ~179 MP whatever the file holds, which
    refuses ordinary 108 MP and 200 MP phone photos. Inside ``load_image`` the pixel
    count is judged against the file's size (``_check_decodable``) and what is decoded
    against memory (``_check_decode_budget``) instead. The limit is a PIL global, so
    the lift is counted: loads on several threads overlap freely, the first one in
    saves PIL's value and the last one out restores it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._saved: int | None = None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._count == 0:
                self._saved = Image.MAX_IMAGE_PIXELS
                Image.MAX_IMAGE_PIXELS = None
            self._count += 1
        try:
            yield
        finally:
            with self._lock:
                self._count -= 1
                if self._count == 0:
                    Image.MAX_IMAGE_PIXELS = self._saved


_own_bomb_checks = _PilLimitLift()


def _fit_size(w: int, h: int, max_side: int) -> tuple[int, int]:
    """(w, h) shrunk so the longer side is at most ``max_side``, aspect kept."""
    if max(w, h) <= max_side:
        return w, h
    scale = max_side / max(w, h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _check_decodable(name: str, im: Image.Image, file_bytes: int) -> None:
    """Refuse decompression bombs: a huge pixel count that the file's data cannot hold."""
    w, h = im.size
    if w * h <= BOMB_CHECK_PIXELS:
        return
    raw = w * h * _MODE_BITS.get(im.mode, 8) / 8
    if raw > MAX_COMPRESSION * max(file_bytes, 1):
        raise ValueError(
            f"'{name}' claims {w}×{h} pixels ({w * h / 1e6:,.0f} MP) but the file holds "
            f"only {_bytes_text(file_bytes)}: no real image compresses that far. It is "
            "damaged or a decompression bomb, so it was not decoded.")


def _check_decode_budget(name: str, im: Image.Image, size: tuple[int, int]) -> None:
    """Refuse images whose decoding (at the size the decoder will produce) needs too much."""
    dw, dh = im.size  # after draft(): what the decoder will really produce
    if dw * dh <= MAX_DECODE_PIXELS:
        return
    w, h = size
    raise ValueError(
        f"'{name}' is {w}×{h} ({w * h / 1e6:,.0f} MP); decoding it needs about "
        f"{dw * dh * 4 / 1e9:.1f} GB of memory, more than the "
        f"{MAX_DECODE_PIXELS / 1e6:.0f} MP this app decodes at once. Save it smaller "
        "(or as a JPEG, which is decoded at reduced size) and open it again.")


def _bytes_text(n: int) -> str:
    if n < 10_000:
        return f"{n:,} bytes"
    return f"{n / 1e3:.0f} KB" if n < 1_000_000 else f"{n / 1e6:.2f} MB"


def image_file_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(width, height) stored in the file's header, without decoding the pixels."""
    try:
        with _own_bomb_checks(), Image.open(path) as im:
            return im.size
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise ValueError(f"'{Path(path).name}' is not a readable image: {exc}") from exc


def _to_rgb_array(im: Image.Image, notices: list[str]) -> np.ndarray:
    """Any PIL mode -> (H, W, 3) uint8 RGB. Appends to ``notices`` when lossy."""
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        data = np.asarray(im)
        lo, hi = float(np.nanmin(data)), float(np.nanmax(data))
        if mode.startswith("I;16") or (mode == "I" and hi <= 65535 and lo >= 0):
            scale_lo, scale_hi = 0.0, 65535.0 if hi > 255 else 255.0
        else:
            scale_lo, scale_hi = lo, hi if hi > lo else lo + 1.0
        gray = (data.astype(np.float32) - np.float32(scale_lo)) * np.float32(
            255.0 / (scale_hi - scale_lo))
        gray = np.nan_to_num(np.clip(gray, 0, 255) + 0.5).astype(np.uint8)
        notices.append(f"converted {mode} (high bit depth) to 8-bit")
        return np.repeat(gray[:, :, None], 3, axis=2)
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        notices.append("transparent areas shown on white")
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB")).copy()
    if mode != "RGB":
        im = im.convert("RGB")
    return np.asarray(im).copy()


def _limit_size(array: np.ndarray, max_side: int) -> tuple[np.ndarray, bool]:
    h, w = array.shape[:2]
    if max(h, w) <= max_side:
        return array, False
    scale = max_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    resized = Image.fromarray(array).resize(size, Image.Resampling.LANCZOS)
    return np.asarray(resized).copy(), True


def save_image(array: np.ndarray, path: str | os.PathLike[str]) -> None:
    """Save an (H, W, 3) or (H, W) uint8 array atomically (format from the suffix)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        Image.fromarray(np.ascontiguousarray(array)).save(tmp, format=_pil_format(path))


def _pil_format(path: Path) -> str:
    ext = path.suffix.lower().lstrip(".")
    return {"jpg": "JPEG", "jpeg": "JPEG", "tif": "TIFF"}.get(ext, ext.upper() or "PNG")


def to_tensor(array: np.ndarray) -> torch.Tensor:
    """uint8 image -> float tensor in [0, 1].

    Args:
        array (np.ndarray[H, W, 3] or [H, W] uint8): image.

    Returns:
        Tensor[3, H, W] (or [1, H, W] for a 2-D input), float32.
    """
    if array.dtype != np.uint8:
        raise ValueError(f"to_tensor expects a uint8 array, got {array.dtype}.")
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3:
        raise ValueError(f"to_tensor expects (H, W, C), got shape {array.shape}.")
    import torch

    return torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1).float().div_(255.0)


def to_uint8_hwc(tensor: torch.Tensor) -> np.ndarray:
    """float tensor in [0, 1] -> uint8 image for display.

    Args:
        tensor (Tensor[C, H, W] or [1, C, H, W]): values in [0, 1] (clipped); C = 1 or 3.

    Returns:
        np.ndarray[H, W, 3] uint8 (a 1-channel input is repeated to RGB).
    """
    t = tensor.detach()
    if t.ndim == 4 and t.shape[0] == 1:
        t = t[0]
    if t.ndim != 3 or t.shape[0] not in (1, 3):
        raise ValueError(f"to_uint8_hwc expects (C, H, W) with C in (1, 3), got {tuple(t.shape)}.")
    import torch

    t = t.float().clamp(0, 1).mul(255).round().to(torch.uint8).cpu()
    if t.shape[0] == 1:
        t = t.expand(3, -1, -1)
    return t.permute(1, 2, 0).contiguous().numpy()


@dataclass(frozen=True)
class GroundTruth:
    """Boxes of one image. ``boxes`` is (N, 4) float xyxy pixels; ``labels`` names."""

    boxes: np.ndarray
    labels: tuple[str, ...]
    classes: tuple[str, ...]


def load_boxes_json(path: str | os.PathLike[str]) -> GroundTruth:
    """Read a ``*.boxes.json`` ground-truth file (xyxy pixels, class names).

    Format: ``{"classes": [...], "boxes": [{"label": "cat", "box": [x1, y1, x2, y2]}]}``.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["boxes"]
        boxes = np.array([e["box"] for e in entries], dtype=np.float64).reshape(-1, 4)
        labels = tuple(str(e["label"]) for e in entries)
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"'{path.name}' is not a valid boxes file: {exc}") from exc
    if np.any(boxes[:, 2:] <= boxes[:, :2]):
        raise ValueError(f"'{path.name}': every box needs x2 > x1 and y2 > y1.")
    classes = tuple(data.get("classes") or dict.fromkeys(labels))
    return GroundTruth(boxes=boxes, labels=labels, classes=classes)


def save_boxes_json(path: str | os.PathLike[str], boxes: np.ndarray,
                    labels: list[str] | tuple[str, ...], *, image: str = "") -> None:
    """Write a ``*.boxes.json`` ground-truth file atomically (xyxy pixels)."""
    path = Path(path)
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(b) != len(labels):
        raise ValueError(f"{len(b)} boxes but {len(labels)} labels; give one label per box.")
    data = {
        "image": image,
        "format": "xyxy pixels (x1, y1, x2, y2), origin top-left",
        "classes": list(dict.fromkeys(labels)),
        "boxes": [{"label": str(lbl), "box": [round(float(v), 2) for v in box]}
                  for lbl, box in zip(labels, b, strict=True)],
    }
    write_text_atomic(path, json.dumps(data, indent=2) + "\n")


def sample_images_dir() -> Path:
    """Folder of the bundled sample images (``assets/`` at the project root)."""
    return Path(__file__).resolve().parent.parent / "assets"


def sample_image(name: str = "cat.jpg") -> Path:
    """Path of a bundled sample image; ValueError listing the choices if unknown."""
    path = sample_images_dir() / name
    if not path.exists():
        choices = sorted(p.name for p in sample_images_dir().glob("*") if _is_image_name(p))
        raise ValueError(f"No sample image '{name}'. Available: {', '.join(choices)}.")
    return path


def list_sample_images() -> list[Path]:
    return sorted(p for p in sample_images_dir().glob("*") if _is_image_name(p))


def _is_image_name(p: Path) -> bool:
    return p.suffix.lower() in IMAGE_SUFFIXES
