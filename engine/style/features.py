"""VGG-19 ``features`` for style transfer: the book's pre/post-processing and extraction.

d2l 14.12 reads content and style features from VGG-19's ``features`` stack (style
layers [0, 5, 10, 19, 28], content layer [25]). Only the layers up to the deepest chosen
one are ever run. The layout here is torchvision's ``vgg19().features`` (configuration
"E"), index for index, so torchvision's state dict keys (``features.28.weight``) fit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

#: ImageNet statistics used by the book's ``preprocess`` / ``postprocess``.
RGB_MEAN = (0.485, 0.456, 0.406)
RGB_STD = (0.229, 0.224, 0.225)

#: torchvision's VGG-19 configuration ("E"): channel counts, "M" = max-pool.
VGG19_CFG: tuple[int | str, ...] = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
                                    512, 512, 512, 512, "M", 512, 512, 512, 512, "M")


def _layer_table() -> tuple[tuple[str, int, int], ...]:
    """(name, in_channels, out_channels) of every module of ``features`` in order."""
    rows: list[tuple[str, int, int]] = []
    c_in, block, conv = 3, 1, 1
    for v in VGG19_CFG:
        if v == "M":
            rows.append((f"pool{block}", c_in, c_in))
            block, conv = block + 1, 1
        else:
            rows.append((f"conv{block}_{conv}", c_in, int(v)))
            rows.append((f"relu{block}_{conv}", int(v), int(v)))
            c_in, conv = int(v), conv + 1
    return tuple(rows)


VGG19_LAYERS = _layer_table()
#: Number of modules in VGG-19 ``features`` (37).
NUM_LAYERS = len(VGG19_LAYERS)
#: Indices of the 16 convolutions: the layers a learner picks from.
CONV_LAYERS: tuple[int, ...] = tuple(i for i, row in enumerate(VGG19_LAYERS)
                                     if row[0].startswith("conv"))
#: The book's choice (d2l 14.12).
BOOK_STYLE_LAYERS: tuple[int, ...] = (0, 5, 10, 19, 28)
BOOK_CONTENT_LAYERS: tuple[int, ...] = (25,)


def layer_name(index: int) -> str:
    """``'conv4_2'`` for 21: the usual name of module ``index`` of VGG-19 ``features``."""
    return VGG19_LAYERS[index][0]


def expected_shapes(num_layers: int = NUM_LAYERS) -> dict[str, tuple[int, ...]]:
    """State-dict keys and shapes of the first ``num_layers`` modules of ``features``."""
    shapes: dict[str, tuple[int, ...]] = {}
    for i, (name, c_in, c_out) in enumerate(VGG19_LAYERS[:num_layers]):
        if name.startswith("conv"):
            shapes[f"{i}.weight"] = (c_out, c_in, 3, 3)
            shapes[f"{i}.bias"] = (c_out,)
    return shapes


def vgg19_features(num_layers: int = NUM_LAYERS) -> nn.Sequential:
    """The first ``num_layers`` modules of torchvision's VGG-19 ``features`` (untrained).

    Same modules as ``torchvision.models.vgg19().features[:num_layers]`` (3×3 convs with
    padding 1, ``ReLU(inplace=True)``, 2×2 max-pools) without building the rest.
    """
    if not 1 <= num_layers <= NUM_LAYERS:
        raise ValueError(f"num_layers must be 1–{NUM_LAYERS}, got {num_layers}.")
    modules: list[nn.Module] = []
    for name, c_in, c_out in VGG19_LAYERS[:num_layers]:
        if name.startswith("conv"):
            modules.append(nn.Conv2d(c_in, c_out, kernel_size=3, padding=1))
        elif name.startswith("relu"):
            modules.append(nn.ReLU(inplace=True))
        else:
            modules.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*modules)


def preprocess(img: np.ndarray, image_shape: tuple[int, int]) -> torch.Tensor:
    """The book's ``preprocess``: resize, scale to [0, 1], normalise with ImageNet stats.

    Args:
        img (np.ndarray[H, W, 3] uint8): RGB image of any size.
        image_shape: (height, width) to resize to.

    Returns:
        Tensor[1, 3, height, width] float32, ``(x - RGB_MEAN) / RGB_STD``.
    """
    from engine.images import to_tensor

    h, w = (int(s) for s in image_shape)
    if h < 1 or w < 1:
        raise ValueError(f"image_shape must be positive (height, width), got {image_shape}.")
    X = to_tensor(np.asarray(img)).unsqueeze(0)
    if X.shape[1] == 1:
        X = X.expand(-1, 3, -1, -1)
    if X.shape[-2:] != (h, w):
        X = F.interpolate(X, size=(h, w), mode="bilinear", align_corners=False,
                          antialias=True).clamp_(0, 1)
    mean = torch.tensor(RGB_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(RGB_STD).view(1, 3, 1, 1)
    return (X - mean) / std


def postprocess(X: torch.Tensor) -> np.ndarray:
    """The book's ``postprocess``: undo the normalisation, clamp to [0, 1], to uint8.

    Args:
        X (Tensor[1, 3, H, W] or [3, H, W]): a normalised image (any device).

    Returns:
        np.ndarray[H, W, 3] uint8.
    """
    from engine.images import to_uint8_hwc

    img = X.detach()
    if img.ndim == 4:
        img = img[0]
    img = img.float().cpu()
    mean = torch.tensor(RGB_MEAN).view(3, 1, 1)
    std = torch.tensor(RGB_STD).view(3, 1, 1)
    return to_uint8_hwc(torch.clamp(img * std + mean, 0, 1))


def extract_features(X: torch.Tensor, content_layers: Sequence[int],
                     style_layers: Sequence[int], *, net: nn.Sequential
                     ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """The book's ``extract_features``, stopping after the deepest chosen layer.

    Args:
        X (Tensor[N, 3, H, W]): normalised images.
        content_layers, style_layers: indices into ``net`` (VGG-19 ``features``).
        net: the feature stack (layers past the deepest chosen one are never run).

    Returns:
        (contents, styles): the outputs of the chosen layers, in the order given. As in
        the book (torchvision's ReLUs are in place), a convolution's output is read after
        the ReLU that follows it whenever that ReLU runs, i.e. unless the convolution is
        the deepest chosen layer: the book's conv1_1…conv4_1 and conv4_4 features are
        rectified, its conv5_1 is not.
    """
    chosen = [*content_layers, *style_layers]
    if not chosen:
        raise ValueError("choose at least one content or style layer.")
    deepest = max(chosen)
    if min(chosen) < 0 or deepest >= len(net):
        raise ValueError(f"layer indices must be 0–{len(net) - 1}, got {sorted(set(chosen))}.")
    outputs: dict[int, torch.Tensor] = {}
    wanted = set(chosen)
    for i in range(deepest + 1):
        X = net[i](X)
        if i in wanted:
            outputs[i] = X
    return [outputs[i] for i in content_layers], [outputs[i] for i in style_layers]
