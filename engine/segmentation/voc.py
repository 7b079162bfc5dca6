"""Pascal VOC2012 semantic segmentation (d2l 14.9), read from the data folder.

The 21 class names and their label colours are the book's; ``voc_colormap2label`` /
``voc_label_indices`` turn an RGB label image into class indices the book's way, and
``voc_rand_crop`` crops an image and its label at the same place. ``load_voc`` reads
the files through ``torchvision.datasets.VOCSegmentation`` (downloading only when
allowed) after checking that every image and label the split lists is there, and
names the missing ones. Images are scaled to [0, 1] *then* normalised with ImageNet's
mean and standard deviation (the book's ``normalize_image`` normalises raw 0–255
values, which leaves inputs of size ~100 for a network pretrained on [0, 1] inputs).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils import data

VOC_CLASSES = ("background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus",
               "car", "cat", "chair", "cow", "diningtable", "dog", "horse", "motorbike",
               "person", "potted plant", "sheep", "sofa", "train", "tv/monitor")
VOC_COLORMAP = ((0, 0, 0), (128, 0, 0), (0, 128, 0), (128, 128, 0), (0, 0, 128),
                (128, 0, 128), (0, 128, 128), (128, 128, 128), (64, 0, 0), (192, 0, 0),
                (64, 128, 0), (192, 128, 0), (64, 0, 128), (192, 0, 128), (64, 128, 128),
                (192, 128, 128), (0, 64, 0), (128, 64, 0), (0, 192, 0), (128, 192, 0),
                (0, 64, 128))
VOID_COLOR = (224, 224, 192)  # object borders and "difficult" pixels
IGNORE_INDEX = 255  # what VOC's palette PNGs hold there; the loss and metrics skip it
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
VOC_FOLDER = Path("VOCdevkit") / "VOC2012"


def voc_colormap2label() -> Tensor:
    """The book's lookup table from a packed RGB value ``(r * 256 + g) * 256 + b`` to a
    class index: ``Tensor[256 ** 3], int64``. Unlike the book's (zeros everywhere else,
    so any stray colour silently became background), unknown colours map to -1 and
    the void border colour to ``IGNORE_INDEX``."""
    colormap2label = torch.full((256 ** 3,), -1, dtype=torch.long)
    for i, (r, g, b) in enumerate(VOC_COLORMAP):
        colormap2label[(r * 256 + g) * 256 + b] = i
    r, g, b = VOID_COLOR
    colormap2label[(r * 256 + g) * 256 + b] = IGNORE_INDEX
    return colormap2label


def voc_label_indices(colormap: Tensor, colormap2label: Tensor, *, source: str = "the label"
                      ) -> Tensor:
    """Class indices of an RGB label image (the book's ``voc_label_indices``).

    Args:
        colormap: ``Tensor[3, H, W]`` uint8 (the book's layout) or ``Tensor[H, W, 3]``.
        colormap2label: ``voc_colormap2label()``.

    Returns:
        ``Tensor[H, W], int64`` in ``[0, 21)`` or ``IGNORE_INDEX``.

    Raises:
        ValueError: a colour that is no VOC class, naming it, where and ``source``.
    """
    c = torch.as_tensor(colormap)
    if c.dim() != 3 or 3 not in (c.shape[0], c.shape[-1]):
        raise ValueError(f"{source}: an RGB label image is [3, H, W] or [H, W, 3], not "
                         f"{tuple(c.shape)}")
    if c.shape[0] == 3 and c.shape[-1] != 3:
        c = c.permute(1, 2, 0)
    c = c.long()
    idx = (c[..., 0] * 256 + c[..., 1]) * 256 + c[..., 2]
    labels = colormap2label[idx]
    bad = labels < 0
    if bool(bad.any()):
        y, x = (int(v) for v in bad.nonzero()[0])
        raise ValueError(f"{source}: pixel (x={x}, y={y}) has colour {tuple(c[y, x].tolist())}, "
                         f"which is no VOC class colour ({int(bad.sum())} such pixels)")
    return labels


def check_label_values(labels: Tensor, num_classes: int, *, source: str) -> Tensor:
    """``labels`` unchanged if every value is a class or ``IGNORE_INDEX``; else a
    ``ValueError`` naming the first bad value and ``source``."""
    bad = (labels >= num_classes) & (labels != IGNORE_INDEX) | (labels < 0)
    if bool(bad.any()):
        value = int(labels[bad][0])
        raise ValueError(f"{source} holds the value {value}, outside the class range 0–"
                         f"{num_classes - 1} (and {IGNORE_INDEX} for borders); is it a VOC "
                         f"SegmentationClass PNG?")
    return labels


def voc_rand_crop(feature: Tensor, label: Tensor, height: int, width: int, *,
                  generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """The book's ``voc_rand_crop``: the same random ``height x width`` window of an image
    ``feature (Tensor[C, H, W])`` and its ``label (Tensor[..., H, W])``."""
    H, W = feature.shape[-2:]
    if label.shape[-2:] != feature.shape[-2:]:
        raise ValueError(f"image {H}x{W} and label {tuple(label.shape[-2:])} differ in size")
    if height > H or width > W:
        raise ValueError(f"a {height}x{width} crop does not fit a {H}x{W} image")
    top = int(torch.randint(0, H - height + 1, (1,), generator=generator))
    left = int(torch.randint(0, W - width + 1, (1,), generator=generator))
    return (feature[..., top:top + height, left:left + width],
            label[..., top:top + height, left:left + width])


def normalize_image(image: Tensor) -> Tensor:
    """``uint8 (Tensor[3, H, W])`` or float in [0, 1] -> scaled to [0, 1], then ImageNet-
    normalised float32 (the convention of every segmentation set and of ``predict``)."""
    x = image.float().div(255.0) if image.dtype == torch.uint8 else image.float()
    mean = torch.tensor(IMAGENET_MEAN, device=x.device).view(-1, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=x.device).view(-1, 1, 1)
    return (x - mean) / std


def _split_names(voc_dir: Path, split: str) -> list[str]:
    txt = voc_dir / "ImageSets" / "Segmentation" / f"{split}.txt"
    return txt.read_text().split() if txt.is_file() else []


def check_voc_folder(voc_dir: Path, splits: Sequence[str] = ("train", "val")) -> None:
    """Raise a ``ValueError`` naming what is missing from a VOC2012 folder (the split
    lists, images, labels) and where to get it; nothing when complete."""
    missing: list[str] = []
    for split in splits:
        txt = voc_dir / "ImageSets" / "Segmentation" / f"{split}.txt"
        if not txt.is_file():
            missing.append(str(txt.relative_to(voc_dir)))
            continue
        for name in _split_names(voc_dir, split):
            for sub, ext in (("JPEGImages", ".jpg"), ("SegmentationClass", ".png")):
                if not (voc_dir / sub / f"{name}{ext}").is_file():
                    missing.append(f"{sub}/{name}{ext}")
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5
                                          else "")
        raise ValueError(
            f"Pascal VOC2012 is incomplete in {voc_dir}: missing {shown}. Extract "
            f"VOCtrainval_11-May-2012.tar (from http://host.robots.ox.ac.uk/pascal/VOC/"
            f"voc2012/) into {voc_dir.parent.parent}, or allow downloading (download=True, "
            f"CLI --download) when online. The offline 'procedural-scenes' set needs no "
            f"files.")


class VOCSegDataset(data.Dataset):
    """The book's ``VOCSegDataset`` over torchvision's ``VOCSegmentation`` file lists:
    images smaller than the crop are filtered out (as the book does), each example is
    read when indexed (not all into memory), randomly cropped for training
    (``voc_rand_crop``, seeded; ``reseed`` restarts the draws) and centre-cropped for
    testing (so test figures compare across epochs), normalised after scaling.

    Items: ``X (Tensor[3, h, w], float32)`` and ``y (Tensor[h, w], int64)`` with
    ``IGNORE_INDEX`` on borders.
    """

    def __init__(self, images: Sequence[str], masks: Sequence[str], crop_size: tuple[int, int],
                 *, train: bool, seed: int = 0) -> None:
        from PIL import Image

        self.crop_size, self.train = crop_size, train
        self.generator = torch.Generator().manual_seed(seed)
        keep = []
        for img, mask in zip(images, masks, strict=True):
            with Image.open(img) as im:
                w, h = im.size
            if h >= crop_size[0] and w >= crop_size[1]:
                keep.append((img, mask))
        self.files = keep

    def reseed(self, seed: int) -> None:
        self.generator.manual_seed(seed)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        image_path, mask_path = self.files[index]
        feature, label = read_voc_pair(image_path, mask_path)
        h, w = self.crop_size
        if self.train:
            feature, label = voc_rand_crop(feature, label, h, w, generator=self.generator)
        else:
            top, left = (feature.shape[1] - h) // 2, (feature.shape[2] - w) // 2
            feature = feature[:, top:top + h, left:left + w]
            label = label[top:top + h, left:left + w]
        return normalize_image(feature), label


def read_voc_pair(image_path: str | Path, mask_path: str | Path) -> tuple[Tensor, Tensor]:
    """An image ``Tensor[3, H, W] uint8`` and its label ``Tensor[H, W] int64`` from a VOC
    JPEG and its SegmentationClass PNG (palette indices, or RGB colours read the
    book's way).

    Raises:
        ValueError: unreadable files, mismatched sizes or label values outside the
            classes, naming the file.
    """
    from PIL import Image

    try:
        with Image.open(image_path) as im:
            feature = torch.from_numpy(np.array(im.convert("RGB"))).permute(2, 0, 1)
        with Image.open(mask_path) as lm:
            mode = lm.mode
            arr = np.array(lm.convert("RGB") if mode not in ("P", "L") else lm)
    except OSError as exc:
        raise ValueError(f"could not read {Path(image_path).name} / {Path(mask_path).name}: "
                         f"{exc}") from exc
    name = Path(mask_path).name
    if mode in ("P", "L"):
        label = check_label_values(torch.from_numpy(arr.astype(np.int64)), len(VOC_CLASSES),
                                   source=f"label {name}")
    else:
        label = voc_label_indices(torch.from_numpy(arr), _colormap2label(), source=f"label {name}")
    if tuple(label.shape) != tuple(feature.shape[1:]):
        raise ValueError(f"label {name} is {label.shape[1]}x{label.shape[0]} but its image "
                         f"{Path(image_path).name} is {feature.shape[2]}x{feature.shape[1]}")
    return feature.contiguous(), label


_LOOKUP: list[Tensor] = []


def _colormap2label() -> Tensor:
    if not _LOOKUP:
        _LOOKUP.append(voc_colormap2label())
    return _LOOKUP[0]


def load_voc(root: Path, *, crop_size: tuple[int, int] = (320, 480), download: bool = False,
             seed: int = 0) -> tuple[VOCSegDataset, VOCSegDataset, str]:
    """The train and val splits of VOC2012 under ``root/VOCdevkit/VOC2012``.

    Returns:
        ``(train, test, source)``.

    Raises:
        ValueError: files missing (named) and downloads off or failing, unreadable
            files, crops larger than every image.
    """
    import torchvision.datasets as tvd

    voc_dir = root / VOC_FOLDER
    try:
        check_voc_folder(voc_dir)
    except ValueError:
        if not download:
            raise
        try:
            tvd.VOCSegmentation(str(root), year="2012", image_set="train", download=True)
        except Exception as exc:  # URLError, OSError, RuntimeError: no data
            raise ValueError(f"could not download Pascal VOC2012 into {root} "
                             f"({type(exc).__name__}: {exc}); copy it there by hand, or use "
                             f"the offline 'procedural-scenes' set.") from exc
        check_voc_folder(voc_dir)
    splits: list[Any] = []
    for split, train in (("train", True), ("val", False)):
        tv = tvd.VOCSegmentation(str(root), year="2012", image_set=split)
        try:
            ds = VOCSegDataset(tv.images, tv.masks, crop_size, train=train, seed=seed)
        except OSError as exc:
            raise ValueError(f"a VOC image in {voc_dir} could not be read: {exc}") from exc
        if len(ds) == 0:
            raise ValueError(f"no {split} image of {voc_dir} is at least {crop_size[0]}x"
                             f"{crop_size[1]} (height x width); use a smaller crop")
        splits.append(ds)
    return splits[0], splits[1], f"Pascal VOC2012 from {voc_dir}"
