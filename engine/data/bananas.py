"""Bananas for the book's detector (d2l 14.6): generated offline, or read from disk.

The book's banana-detection set is itself synthetic: bananas pasted onto backgrounds,
256x256, one object per image, boxes normalised to [0, 1]. ``make_bananas`` generates
an equivalent from a seed: a banana-like object — a tapered, bent band with a stem,
shaded like a cylinder, freckled — drawn with a random pose (rotation, position),
length, bend, thickness and colour (ripe yellow to green) onto a varied background
(random crops of the bundled photos in ``assets/``, smooth colour noise, stripes,
checkers). Every box is the exact pixel extent of its object's coverage mask, so it
encloses the drawn object. Several objects per image are optional.

``read_banana_folder`` reads the book's own download when it is on disk: the layout
``banana-detection/bananas_{train,val}/label.csv`` (``img_name,label,xmin,ymin,xmax,
ymax`` in pixels) plus ``images/<img_name>``.

Everything is vectorised over a chunk of images; 1,100 images of 256x256 take a few
seconds on one CPU core.
"""

from __future__ import annotations

import csv
import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

CLASS_NAMES = ("banana",)
IMAGE_SIZE = 256
_CHUNK = 32
#: Ranges of the random object; lengths are fractions of the image side.
STYLE = {
    "length": (0.28, 0.62), "length_many": (0.2, 0.42), "bend": (0.5, 2.1),
    "thickness": (0.17, 0.3), "stem": (0.04, 0.08), "green_p": 0.2, "freckles": (0.0, 0.5),
}
#: Background kinds, drawn with these probabilities: photo crop, colour noise, stripes,
#: checkers.
BACKGROUNDS = (("photo", 0.5), ("noise", 0.2), ("stripes", 0.15), ("checkers", 0.15))


# -- backgrounds ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _photos() -> tuple[torch.Tensor, ...]:
    """The bundled sample photos as float tensors ``[3, H, W]`` in [0, 1]."""
    from engine.images import list_sample_images, load_image

    out = []
    for path in list_sample_images():
        try:
            out.append(torch.from_numpy(load_image(path).array).permute(2, 0, 1).float() / 255)
        except ValueError:  # a damaged asset must not stop generation
            continue
    return tuple(out)


def _u(g: torch.Generator, n: int, lo: float, hi: float) -> torch.Tensor:
    return torch.rand(n, generator=g) * (hi - lo) + lo


def _photo_crops(n: int, size: int, g: torch.Generator) -> torch.Tensor | None:
    """``n`` random crops (scale, position, flip, small rotation) of the sample photos."""
    photos = _photos()
    if not photos:
        return None
    pick = torch.randint(len(photos), (n,), generator=g)
    scale = _u(g, n, 0.3, 1.0)  # crop side / photo side
    angle = _u(g, n, -0.3, 0.3)
    flip = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
    tx, ty = _u(g, n, -1, 1) * (1 - scale), _u(g, n, -1, 1) * (1 - scale)
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack([torch.stack([cos * flip, -sin, tx], 1),
                         torch.stack([sin * flip, cos, ty], 1)], 1)
    out = torch.empty(n, 3, size, size)
    for k, photo in enumerate(photos):
        rows = torch.nonzero(pick == k).reshape(-1)
        if rows.numel() == 0:
            continue
        grid = F.affine_grid(theta[rows], [len(rows), 3, size, size], align_corners=False)
        src = photo[None].expand(len(rows), -1, -1, -1)
        out[rows] = F.grid_sample(src, grid, mode="bilinear", padding_mode="reflection",
                                  align_corners=False)
    tint = _u(g, n * 3, 0.75, 1.15).reshape(n, 3, 1, 1)
    return (out * tint).clamp_(0, 1)


def _textures(kind: str, n: int, size: int, g: torch.Generator) -> torch.Tensor:
    """Procedural backgrounds: smooth colour noise, stripes or checkers."""
    coords = (torch.arange(size, dtype=torch.float32) + 0.5) / size
    yy, xx = coords.view(1, 1, -1, 1), coords.view(1, 1, 1, -1)
    base = torch.rand(n, 3, 1, 1, generator=g)
    other = torch.rand(n, 3, 1, 1, generator=g)
    if kind == "noise":
        cells = int(torch.randint(3, 9, (1,), generator=g))
        blobs = torch.rand(n, 3, cells, cells, generator=g)
        img = F.interpolate(blobs, size=(size, size), mode="bicubic", align_corners=False)
        return (0.5 * base + 0.6 * img).clamp_(0, 1)
    angle = _u(g, n, 0, math.pi).view(n, 1, 1, 1)
    freq = _u(g, n, 3, 14).view(n, 1, 1, 1)
    phase = _u(g, n, 0, 2 * math.pi).view(n, 1, 1, 1)
    t = xx * torch.cos(angle) + yy * torch.sin(angle)
    if kind == "stripes":
        mix = 0.5 + 0.5 * torch.sin(2 * math.pi * freq * t + phase)
    else:  # checkers, rotated
        s = -xx * torch.sin(angle) + yy * torch.cos(angle)
        mix = ((torch.floor(freq * t / 2) + torch.floor(freq * s / 2)) % 2).float()
        mix = 0.15 + 0.7 * mix
    return (base * mix + other * (1 - mix)).clamp_(0, 1)


def _backgrounds(n: int, size: int, g: torch.Generator) -> torch.Tensor:
    kinds = torch.multinomial(torch.tensor([p for _, p in BACKGROUNDS]), n, replacement=True,
                              generator=g)
    out = torch.empty(n, 3, size, size)
    for k, (kind, _) in enumerate(BACKGROUNDS):
        rows = torch.nonzero(kinds == k).reshape(-1)
        if rows.numel() == 0:
            continue
        img = _photo_crops(len(rows), size, g) if kind == "photo" else None
        out[rows] = img if img is not None else _textures(
            "noise" if kind == "photo" else kind, len(rows), size, g)
    noise = torch.randn(n, 1, size, size, generator=g) * _u(g, n, 0.0, 0.04).view(n, 1, 1, 1)
    return (out + noise).clamp_(0, 1)


# -- the object ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Pose:
    """One object per image of a chunk, in pixels: arc of radius ``R`` and angle span
    ``span`` (the body) plus ``stem`` radians of stem, rotated by ``theta`` about its
    midpoint ``(cx, cy)``."""

    R: torch.Tensor
    span: torch.Tensor
    stem: torch.Tensor
    thick: torch.Tensor
    theta: torch.Tensor
    cx: torch.Tensor
    cy: torch.Tensor


def _thickness(phi: torch.Tensor, p: _Pose) -> torch.Tensor:
    """Full thickness along the band (pixels): tapered body, thin stem."""
    half = p.span / 2
    rel = (phi / half).clamp(-1, 1)
    body = p.thick * (0.3 + 0.7 * torch.sqrt((1 - rel * rel).clamp_min(0)))
    return torch.where(phi > half, 0.2 * p.thick, body)


def _local(px: torch.Tensor, py: torch.Tensor, p: _Pose) -> tuple[torch.Tensor, torch.Tensor]:
    """Polar coordinates ``(r, phi)`` about the arc's centre of pixel positions."""
    dx, dy = px - p.cx, py - p.cy
    cos, sin = torch.cos(p.theta), torch.sin(p.theta)
    lx, ly = cos * dx + sin * dy, -sin * dx + cos * dy
    return torch.hypot(lx, p.R - ly), torch.atan2(lx, p.R - ly)


def _extent(p: _Pose) -> torch.Tensor:
    """Approximate (x1, y1, x2, y2) relative to the midpoint, from outline samples."""
    t = torch.linspace(0, 1, 96).view(1, -1)
    lo, hi = -p.span[:, None] / 2, p.span[:, None] / 2 + p.stem[:, None]
    phi = lo + (hi - lo) * t
    half = _thickness(phi, _Pose(*(v[:, None] for v in (p.R, p.span, p.stem, p.thick,
                                                        p.theta, p.cx, p.cy)))) / 2
    r = torch.cat([p.R[:, None] - half, p.R[:, None] + half], 1)
    phi = torch.cat([phi, phi], 1)
    lx, ly = r * torch.sin(phi), p.R[:, None] - r * torch.cos(phi)
    cos, sin = torch.cos(p.theta)[:, None], torch.sin(p.theta)[:, None]
    x, y = cos * lx - sin * ly, sin * lx + cos * ly
    return torch.stack([x.amin(1), y.amin(1), x.amax(1), y.amax(1)], 1)


def _draw_pose(n: int, size: int, many: bool, g: torch.Generator) -> _Pose:
    length = _u(g, n, *STYLE["length_many" if many else "length"]) * size
    span = _u(g, n, *STYLE["bend"])
    R = length / span
    return _Pose(R, span, _u(g, n, *STYLE["stem"]) * size / R,
                 length * _u(g, n, *STYLE["thickness"]), _u(g, n, 0, 2 * math.pi),
                 torch.zeros(n), torch.zeros(n))


def _place(p: _Pose, size: int, taken: list[torch.Tensor], g: torch.Generator) -> _Pose:
    """Midpoints that keep the whole object inside the image (2 px margin), retrying a
    few times to avoid boxes already placed."""
    ext = _extent(p)
    lo_x, hi_x = 2 - ext[:, 0], size - 2 - ext[:, 2]
    lo_y, hi_y = 2 - ext[:, 1], size - 2 - ext[:, 3]
    n = len(p.R)
    cx = torch.empty(n)
    cy = torch.empty(n)
    todo = torch.ones(n, dtype=torch.bool)
    for _attempt in range(12):
        fx, fy = torch.rand(n, generator=g), torch.rand(n, generator=g)
        nx = lo_x + fx * (hi_x - lo_x).clamp_min(0)
        ny = lo_y + fy * (hi_y - lo_y).clamp_min(0)
        cx = torch.where(todo, nx, cx)
        cy = torch.where(todo, ny, cy)
        box = torch.stack([cx + ext[:, 0], cy + ext[:, 1], cx + ext[:, 2], cy + ext[:, 3]], 1)
        clash = torch.zeros(n, dtype=torch.bool)
        for other in taken:
            from torchvision.ops import box_iou

            clash |= box_iou(box, other).diagonal() > 0.05
        todo = clash
        if not todo.any():
            break
    return _Pose(p.R, p.span, p.stem, p.thick, p.theta, cx, cy)


def _render(p: _Pose, size: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Coverage ``alpha (Tensor[n, S, S])`` and colour ``Tensor[n, 3, S, S]``."""
    n = len(p.R)
    coords = torch.arange(size, dtype=torch.float32) + 0.5
    py, px = coords.view(1, -1, 1), coords.view(1, 1, -1)
    q = _Pose(*(v.view(n, 1, 1) for v in (p.R, p.span, p.stem, p.thick, p.theta, p.cx, p.cy)))
    r, phi = _local(px, py, q)
    half = q.span / 2
    thick = _thickness(phi, q)
    d_r = (r - q.R).abs() - thick / 2
    d_phi = torch.maximum(-half - phi, phi - (half + q.stem)) * q.R
    alpha = (0.5 - torch.maximum(d_r, d_phi)).clamp_(0, 1)
    # colour: ripe yellow, sometimes green; cylinder shading across the band
    green = (torch.rand(n, generator=g) < STYLE["green_p"]).float().view(n, 1, 1)
    base = torch.stack([_u(g, n, 0.85, 1.0) * (1 - 0.35 * green[:, 0, 0]),
                        _u(g, n, 0.68, 0.88),
                        _u(g, n, 0.05, 0.28)], 1).view(n, 3, 1, 1)
    v = ((r - q.R) / (thick / 2).clamp_min(1e-3)).clamp(-1, 1)
    shade = (0.62 + 0.38 * (1 - v * v).sqrt() + 0.12 * (v < -0.3) * (1 - v.abs())).clamp(0, 1.1)
    end = ((phi.abs() - 0.85 * half) / (0.15 * half)).clamp(0, 1)  # darker tips
    brown = torch.tensor([0.35, 0.25, 0.1]).view(1, 3, 1, 1)
    cells = F.interpolate(torch.rand(n, 1, 24, 24, generator=g), size=(size, size),
                          mode="bilinear", align_corners=False)
    freckle = ((cells - 0.8).clamp_min(0) * 5 * _u(g, n, *STYLE["freckles"]).view(n, 1, 1, 1))
    colour = base * shade[:, None]
    stemmy = ((phi > half).float() + end)[:, None].clamp(0, 1)
    colour = colour * (1 - stemmy) + brown * stemmy
    colour = colour * (1 - freckle) + brown * freckle
    return alpha, colour.clamp_(0, 1)


def _mask_box(alpha: torch.Tensor) -> torch.Tensor:
    """Exact pixel extent ``(x1, y1, x2, y2)`` (edges, pixels) of ``alpha > 0``."""
    inside = alpha > 0
    cols, rows = inside.any(dim=1), inside.any(dim=2)
    size = alpha.shape[-1]

    def first_last(m: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        first = m.float().argmax(dim=1)
        last = size - 1 - m.flip(1).float().argmax(dim=1)
        return first.float(), last.float() + 1

    x1, x2 = first_last(cols)
    y1, y2 = first_last(rows)
    return torch.stack([x1, y1, x2, y2], 1)


def make_bananas(n: int, *, size: int = IMAGE_SIZE, objects: int = 1, seed: int = 0,
                 return_masks: bool = False) -> tuple[torch.Tensor, ...]:
    """Generate ``n`` banana images with their boxes.

    Args:
        n: number of images.
        size: image side in pixels (the book: 256).
        objects: at most this many bananas per image (1 = the book's set; above 1 each
            image gets 1..objects, placed to avoid overlapping).
        seed: the same ``(n, size, objects, seed)`` always gives the same images.
        return_masks: also return each object's coverage (for tests and plots).

    Returns:
        ``X (Tensor[n, 3, size, size], uint8)`` and ``y (Tensor[n, objects, 5])`` rows
        ``(class, x1, y1, x2, y2)`` with class 0 = banana and corners in [0, 1]; rows of
        class -1 pad images with fewer objects. With ``return_masks`` also
        ``masks (Tensor[n, objects, size, size], float32)`` in [0, 1].
    """
    for name, value, lo in (("n", n, 1), ("size", size, 32), ("objects", objects, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < lo:
            raise ValueError(f"{name}={value!r} must be an integer >= {lo}")
    if objects > 6:
        raise ValueError(f"objects={objects} is too many for one image; use 1 to 6")
    g = torch.Generator().manual_seed(seed)
    X = torch.empty(n, 3, size, size, dtype=torch.uint8)
    y = torch.full((n, objects, 5), -1.0)
    masks = torch.zeros(n, objects, size, size) if return_masks else None
    for start in range(0, n, _CHUNK):
        m = min(n, start + _CHUNK) - start
        img = _backgrounds(m, size, g)
        count = (torch.randint(1, objects + 1, (m,), generator=g) if objects > 1
                 else torch.ones(m, dtype=torch.long))
        taken: list[torch.Tensor] = []
        for k in range(objects):
            pose = _place(_draw_pose(m, size, objects > 1, g), size, taken, g)
            alpha, colour = _render(pose, size, g)
            alpha = alpha * (count > k).float().view(m, 1, 1)
            img = img * (1 - alpha[:, None]) + colour * alpha[:, None]
            box = _mask_box(alpha)
            taken.append(box)
            present = count > k
            y[start:start + m, k][present] = torch.cat(
                [torch.zeros(m, 1), box / size], 1)[present]
            if masks is not None:
                masks[start:start + m, k] = alpha
        X[start:start + m] = img.mul_(255).round_().to(torch.uint8)
    return (X, y, masks) if masks is not None else (X, y)


# -- the book's folder ---------------------------------------------------------------------
@dataclass(frozen=True)
class BananaFolder:
    """One split read from the book's layout.

    Attributes:
        X: ``Tensor[n, 3, S, S]`` uint8 images (resized to ``S`` when asked).
        y: ``Tensor[n, 1, 5]`` rows (class, x1, y1, x2, y2), corners in [0, 1].
        skipped: rows skipped because their box was outside the image or inverted.
        source: a sentence for the UI.
    """

    X: torch.Tensor
    y: torch.Tensor
    skipped: int
    source: str


COLUMNS = ("img_name", "label", "xmin", "ymin", "xmax", "ymax")


def find_banana_folder(root: Path) -> Path | None:
    """``root`` itself or ``root / "banana-detection"`` when it holds ``bananas_train``."""
    for folder in (root, root / "banana-detection"):
        if (folder / "bananas_train" / "label.csv").is_file():
            return folder
    return None


def read_banana_folder(folder: str | Path, *, is_train: bool = True,
                       size: int | None = None) -> BananaFolder:
    """Read ``bananas_train`` or ``bananas_val`` of the book's banana-detection folder.

    Args:
        folder: the ``banana-detection`` folder.
        is_train: the training split, else the validation split.
        size: resize images to ``size x size`` (boxes are normalised, so they follow).

    Raises:
        ValueError: a missing or malformed ``label.csv`` (file and line named), missing
            images (named), an unreadable image, or no usable row.
    """
    from engine.images import load_image

    split = Path(folder).expanduser() / ("bananas_train" if is_train else "bananas_val")
    csv_path = split / "label.csv"
    if not csv_path.is_file():
        raise ValueError(f"{csv_path} does not exist: the banana-detection folder needs "
                         f"bananas_train/ and bananas_val/, each with label.csv and images/")
    rows = _read_rows(csv_path)
    missing = [name for name, *_ in rows if not (split / "images" / name).is_file()]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5
                                          else "")
        raise ValueError(f"{len(missing)} image(s) listed in {csv_path} are missing from "
                         f"{split / 'images'}: {shown}")
    images, targets, skipped = [], [], 0
    for name, label, *box in rows:
        array = load_image(split / "images" / name).array
        h, w = array.shape[:2]
        x1, y1, x2, y2 = box
        if not (0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h):
            skipped += 1  # outside the image or x2 < x1: not a usable box
            continue
        X = torch.from_numpy(array).permute(2, 0, 1)
        if size is not None and (h, w) != (size, size):
            from torchvision.transforms.v2 import functional as TF

            X = TF.resize(X, [size, size], antialias=True)
        elif images and X.shape != images[0].shape:
            raise ValueError(f"{name} is {w}x{h} but earlier images are "
                             f"{images[0].shape[2]}x{images[0].shape[1]}; pass a size to "
                             f"resize them all")
        images.append(X)
        targets.append([label, x1 / w, y1 / h, x2 / w, y2 / h])
    if not images:
        raise ValueError(f"{csv_path}: no usable rows ({skipped} skipped: boxes outside "
                         f"the image or with x2 < x1)")
    note = f", {skipped} row(s) skipped (box outside the image or inverted)" if skipped else ""
    return BananaFolder(torch.stack(images), torch.tensor(targets).unsqueeze(1), skipped,
                        f"{len(images)} images from {split}{note}")


def _read_rows(csv_path: Path) -> list[tuple[str, int, float, float, float, float]]:
    try:
        with open(csv_path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None or tuple(h.strip() for h in header) != COLUMNS:
                raise ValueError(f"{csv_path}: the first line must be the header "
                                 f"{','.join(COLUMNS)}; found {','.join(header or [])!r}")
            rows = []
            for line, row in enumerate(reader, start=2):
                if not row or not "".join(row).strip():
                    continue
                if len(row) != len(COLUMNS):
                    raise ValueError(f"{csv_path} line {line}: expected {len(COLUMNS)} "
                                     f"fields ({','.join(COLUMNS)}), found {len(row)}")
                try:
                    label = int(row[1])
                    box = [float(v) for v in row[2:]]
                except ValueError:
                    raise ValueError(f"{csv_path} line {line}: label must be an integer and "
                                     f"xmin..ymax numbers; found {','.join(row)!r}") from None
                if label < 0 or not all(math.isfinite(v) for v in box):
                    raise ValueError(f"{csv_path} line {line}: label must be >= 0 and the "
                                     f"box finite; found {','.join(row)!r}")
                rows.append((row[0].strip(), label, *box))
    except UnicodeDecodeError as exc:
        raise ValueError(f"{csv_path} is not a text CSV file ({exc.reason})") from None
    if not rows:
        raise ValueError(f"{csv_path} has a header but no rows")
    return rows


def as_numpy_boxes(y: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
    """Valid rows of one image's ``y (Tensor[G, 5])`` as float32[K, 4] pixel boxes."""
    w, h = size
    rows = y[y[:, 0] >= 0]
    return (rows[:, 1:] * torch.tensor([w, h, w, h])).numpy().astype(np.float32)
