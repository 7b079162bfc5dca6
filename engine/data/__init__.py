"""Datasets for training: a registry of offline, generated and file-based sets.

>>> bundle = load_dataset("procedural-shapes", batch_size=256, n_train=2000, n_test=500)
>>> X, y = next(iter(bundle.train))   # X: Tensor[256, 1, 28, 28], y: Tensor[256]
>>> bundle.source
'procedural (offline, seed 0)'
"""

from __future__ import annotations

from engine.data.core import (
    DataBundle,
    DatasetInfo,
    LoadRequest,
    Splits,
    TensorBatchDataset,
    default_data_root,
)
from engine.data.procedural import SHAPE_NAMES, make_shapes
from engine.data.registry import dataset_info, dataset_options, list_datasets, load_dataset
from engine.data.toy import TRUE_B, TRUE_W, make_toy_boxes, make_toy_masks, synthetic_data
from engine.data.transforms import TRANSFORMS, Augment, make_augment, transform_names
from engine.data.vision import (
    CIFAR10_LABELS,
    FASHION_MNIST_LABELS,
    MNIST_LABELS,
    get_fashion_mnist_labels,
)

__all__ = [
    "CIFAR10_LABELS",
    "FASHION_MNIST_LABELS",
    "MNIST_LABELS",
    "SHAPE_NAMES",
    "TRUE_B",
    "TRUE_W",
    "TRANSFORMS",
    "Augment",
    "LoadRequest",
    "Splits",
    "DataBundle",
    "DatasetInfo",
    "TensorBatchDataset",
    "dataset_info",
    "dataset_options",
    "default_data_root",
    "get_fashion_mnist_labels",
    "list_datasets",
    "load_dataset",
    "make_augment",
    "make_shapes",
    "make_toy_boxes",
    "make_toy_masks",
    "transform_names",
    "synthetic_data",
]
