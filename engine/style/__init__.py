"""Neural style transfer (d2l 14.12), Qt-free.

The book's pieces under its names — ``preprocess``, ``postprocess``,
``extract_features``, ``content_loss``, ``gram``, ``style_loss``, ``tv_loss``,
``compute_loss`` — plus the job generator ``style_transfer`` that the Style tab runs,
and where the VGG-19 weights come from (``load_style_net``).
"""

from engine.style.features import (
    BOOK_CONTENT_LAYERS,
    BOOK_STYLE_LAYERS,
    CONV_LAYERS,
    NUM_LAYERS,
    RGB_MEAN,
    RGB_STD,
    VGG19_LAYERS,
    expected_shapes,
    extract_features,
    layer_name,
    postprocess,
    preprocess,
    vgg19_features,
)
from engine.style.losses import compute_loss, content_loss, gram, style_loss, tv_loss
from engine.style.transfer import (
    APPROXIMATE_WEIGHTS,
    CPU_SIZE,
    LiveSettings,
    StyleFinished,
    StyleProgress,
    StyleSettings,
    StyleStarted,
    book_settings,
    default_settings,
    fit_shape,
    layers_text,
    style_transfer,
)
from engine.style.weights import (
    SOURCES,
    StyleNet,
    check_features_state,
    imagenet_cache_path,
    imagenet_weights_cached,
    load_features_file,
    load_imagenet_features,
    load_style_net,
    untrained_features,
)

__all__ = [
    "APPROXIMATE_WEIGHTS", "CPU_SIZE", "default_settings",
    "BOOK_CONTENT_LAYERS", "BOOK_STYLE_LAYERS", "CONV_LAYERS", "NUM_LAYERS", "RGB_MEAN",
    "RGB_STD", "SOURCES", "VGG19_LAYERS", "LiveSettings", "StyleFinished", "StyleNet",
    "StyleProgress", "StyleSettings", "StyleStarted", "book_settings", "check_features_state",
    "compute_loss", "content_loss", "expected_shapes", "extract_features", "fit_shape", "gram",
    "imagenet_cache_path", "imagenet_weights_cached", "layer_name", "layers_text",
    "load_features_file", "load_imagenet_features", "load_style_net", "postprocess",
    "preprocess", "style_loss", "style_transfer", "tv_loss", "untrained_features",
    "vgg19_features",
]
