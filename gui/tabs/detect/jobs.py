"""Engine jobs of the Detect tab (run on its ``JobRunner``; yield plain records)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, eq=False)
class SplitPredictions:
    """Raw predictions of a set of validation images, with their ground truth.

    Attributes:
        images: uint8[N, H, W, 3].
        raws: one ``engine.detection.ssd.RawPredictions`` per image (pixels).
        gt_boxes: per image float32[G, 4] pixel boxes.
    """

    images: np.ndarray
    raws: tuple[Any, ...]
    gt_boxes: tuple[np.ndarray, ...]


@dataclass(frozen=True, eq=False)
class ImagePredictions:
    """Raw predictions of one dropped image, in its own pixels (``detector``: the COCO
    detector's label, empty for TinySSD)."""

    image: np.ndarray
    raw: Any
    name: str
    detector: str = ""


@dataclass(frozen=True, eq=False)
class LoadedDetector:
    """A torchvision COCO detector loaded from torch's cache (eval mode, on the CPU).

    Attributes:
        name: its key in ``engine.detection.ssd_pretrained.DETECTORS``.
        label: what the chooser calls it.
        net: the ``nn.Module``.
        categories: COCO's class names, indexed by the detector's labels.
        params: number of parameters.
    """

    name: str
    label: str
    net: Any
    categories: tuple[str, ...]
    params: int


@dataclass(frozen=True)
class PredictProgress:
    done: int
    total: int


def predict_split_job(net: Any, X: Any, y: Any, *, batch: int = 16):
    """A job predicting every image of ``X (Tensor[N, 3, S, S])`` (any dtype)."""
    def job(control: Any) -> Iterator[object]:
        import torch

        from engine.data.bananas import as_numpy_boxes
        from engine.detection.ssd import raw_predictions

        n, size = len(X), (X.shape[-1], X.shape[-2])
        raws: list[Any] = []
        for start in range(0, n, batch):
            if control.should_stop():
                return
            raws += raw_predictions(net, X[start:start + batch])
            yield PredictProgress(min(n, start + batch), n)
        images = X if X.dtype == torch.uint8 else (X.clamp(0, 1) * 255).round().to(torch.uint8)
        yield SplitPredictions(images.permute(0, 2, 3, 1).contiguous().numpy(), tuple(raws),
                               tuple(as_numpy_boxes(y[i], size) for i in range(n)))
    return job


def predict_validation_job(net: Any, config: Any, *, batch: int = 16):
    """``predict_split_job`` on the validation images of the run ``config`` describes,
    loaded in the worker: the registry generates (and caches) each split by its own size
    and seed, so one training image is enough; uncached, generating them takes seconds."""
    def job(control: Any) -> Iterator[object]:
        from engine.data import load_dataset

        bundle = load_dataset(config.dataset, batch_size=config.batch_size, n_train=1,
                              n_test=config.n_test, seed=config.seed,
                              **config.dataset_options)
        ds = bundle.test.dataset
        yield from predict_split_job(net, ds.X, ds.y, batch=batch)(control)
    return job


def predict_image_job(net: Any, image: np.ndarray, name: str, side: int):
    """A job predicting one RGB image of any size, boxes in its own pixels."""
    def job(control: Any) -> Iterator[object]:
        from engine.detection.ssd import prepare_image, raw_predictions

        X = prepare_image(image, side)
        h, w = image.shape[:2]
        if control.should_stop():
            return
        yield ImagePredictions(image, raw_predictions(net, X, image_sizes=[(w, h)])[0], name)
    return job


def load_detector_job(name: str):
    """A job loading a COCO detector from torch's cache (never downloads); a missing or
    corrupt file fails with ``load_detector``'s ``ValueError`` message."""
    def job(control: Any) -> Iterator[object]:
        from engine.detection.ssd_pretrained import DETECTORS, load_detector

        net, categories = load_detector(name)
        if control.should_stop():
            return
        yield LoadedDetector(name, DETECTORS[name][1], net, tuple(categories),
                             sum(p.numel() for p in net.parameters()))
    return job


def coco_image_job(detector: LoadedDetector, image: np.ndarray, name: str, device: Any):
    """A job running a COCO detector on one RGB image of any size, on ``device``; every
    box scoring at least ``RAW_SCORE_THRESHOLD`` comes back as ``RawPredictions`` for
    the sliders to re-filter."""
    def job(control: Any) -> Iterator[object]:
        from engine.detection.ssd_pretrained import (
            RAW_SCORE_THRESHOLD,
            detect,
            to_raw_predictions,
        )

        if control.should_stop():
            return
        det = detect(detector.net, detector.categories, image,
                     score_threshold=RAW_SCORE_THRESHOLD, device=device)
        h, w = image.shape[:2]
        yield ImagePredictions(image, to_raw_predictions(det, (w, h)), name, detector.label)
    return job
