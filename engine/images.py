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
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from engine.files import atomic_path, write_text_atomic

if TYPE_CHECKING:  # torch is imported lazily: loading an image must not wait for it
    import torch

#: Refuse images with more pixels than this (decompression-bomb guard): ~ 16k x 12k.
MAX_PIXELS = 200_000_000
#: Images whose longer side exceeds this are downscaled on load (with a notice).
MAX_SIDE = 4096

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
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                w, h = im.size
                if w * h > MAX_PIXELS:
                    raise ValueError(
                        f"'{name}' is {w}×{h} = {w * h / 1e6:.0f} megapixels, more than the "
                        f"{MAX_PIXELS / 1e6:.0f} MP this app will decode. Downscale it first."
                    )
                mode = im.mode
                if getattr(im, "n_frames", 1) > 1:
                    im.seek(0)
                    notices.append(f"showing the first of {im.n_frames} frames")
                if w * h > 4 * max_side * max_side:
                    # Let the decoder skip detail we would throw away (JPEG draft mode).
                    im.draft("RGB", (max_side, max_side))
                im.load()
                im = ImageOps.exif_transpose(im)
                shown_from = im.size
                if max(im.size) > max_side:
                    # Shrink before converting: 16-bit or RGBA conversion of a huge
                    # image in full would cost seconds and gigabytes.
                    im = im.copy()
                    im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
                array = _to_rgb_array(im, notices)
    except ValueError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValueError(f"'{name}' is too large to decode safely ({exc}).") from exc
    except UnidentifiedImageError as exc:
        raise ValueError(
            f"'{name}' is not an image this app can read. Supported: "
            f"{', '.join(s.lstrip('.') for s in IMAGE_SUFFIXES)}."
        ) from exc
    except (OSError, SyntaxError, EOFError) as exc:
        raise ValueError(
            f"'{name}' could not be decoded: it looks truncated or corrupt ({exc}).") from exc

    array, _ = _limit_size(array, max_side)  # no-op unless a decoder ignored thumbnail
    if (array.shape[1], array.shape[0]) != shown_from:
        sw, sh = shown_from
        notices.append(
            f"downscaled from {sw}×{sh} to {array.shape[1]}×{array.shape[0]} for display"
        )
    return LoadedImage(
        array=array,
        path=str(path),
        original_size=(w, h),
        original_mode=mode,
        notice="; ".join(notices),
    )


def image_file_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(width, height) stored in the file's header, without decoding the pixels."""
    try:
        with Image.open(path) as im:
            return im.size
    except (OSError, UnidentifiedImageError) as exc:
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
