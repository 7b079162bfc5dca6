"""Semantic segmentation (d2l 14.9–14.11): transposed convolution step by step, the
bilinear kernel, Pascal VOC2012, an offline procedural scene set, the book's FCN and
prediction of a label map with its confidence on any image.

>>> from engine.segmentation import trans_conv, kernel2matrix, bilinear_kernel, fcn, predict
>>> net = fcn(21)                      # exactly the book's network, random backbone
>>> net.weights_source
'random init'
"""

from __future__ import annotations

from typing import Any

from engine.segmentation.scenes import SCENE_CLASSES, SCENE_COLORS, make_scenes
from engine.segmentation.transposed import (
    bilinear_kernel,
    bilinear_upsample,
    contribution,
    conv_matrix,
    corr2d,
    kernel2matrix,
    trans_conv,
    trans_conv_output_size,
)
from engine.segmentation.voc import (
    IGNORE_INDEX,
    IMAGENET_MEAN,
    IMAGENET_STD,
    VOC_CLASSES,
    VOC_COLORMAP,
    load_voc,
    normalize_image,
    voc_colormap2label,
    voc_label_indices,
    voc_rand_crop,
)

__all__ = [
    "FCN", "IGNORE_INDEX", "IMAGENET_MEAN", "IMAGENET_STD", "Prediction", "SCENE_CLASSES",
    "SCENE_COLORS", "VOC_CLASSES", "VOC_COLORMAP", "bilinear_kernel", "bilinear_upsample",
    "contribution", "conv_matrix", "corr2d", "fcn", "kernel2matrix", "label2image",
    "load_voc", "make_scenes", "normalize_image", "predict", "trans_conv",
    "trans_conv_output_size", "voc_colormap2label", "voc_label_indices", "voc_rand_crop",
]


def __getattr__(name: str) -> Any:
    # the FCN pulls in torchvision's models; load it only when asked for
    if name in ("FCN", "Prediction", "fcn", "label2image", "predict"):
        import importlib

        _fcn = importlib.import_module("engine.segmentation.network")

        return getattr(_fcn, name)
    raise AttributeError(f"module 'engine.segmentation' has no attribute {name!r}")
