"""The book's networks as specs (d2l ch. 3-8), 10 classes, 1 input channel unless noted.

Each preset follows the book's code (``nn.Sequential`` of ch. 3-8, Fashion-MNIST sizes)
and carries the book's training hyper-parameters. ``dataset`` is the offline default
(``procedural-shapes``, 28x28 grayscale, 10 classes); the book's own dataset is in
``train_defaults["book_dataset"]``. Variants from the course notes are separate presets
(``lenet-relu``, ``vgg-11-small``). Darknet-53 is not in the book: it is YOLOv3's
backbone with a classifier head.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.builder.spec import LayerSpec, NetworkSpec, Params, layer

_FASHION = {"dataset": "procedural-shapes", "book_dataset": "fashion-mnist", "resize": None,
            "loss": "cross-entropy"}


def _spec(name: str, description: str, shape: tuple[int, ...], layers: list[LayerSpec],
          init: str, **train: Any) -> NetworkSpec:
    return NetworkSpec(name, shape, tuple(layers), init, Params({**_FASHION, **train}),
                       description)


def _linear_regression() -> NetworkSpec:
    return NetworkSpec(
        "linear-regression", (1, 2), (layer("Linear", in_features=2, out_features=1),),
        "normal", Params({"lr": 0.03, "batch_size": 10, "num_epochs": 3,
                          "dataset": "synthetic-linear", "resize": None, "loss": "mse"}),
        "d2l 3.3: y = Xw + b, one Linear(2, 1), trained with squared loss")


def _softmax_regression() -> NetworkSpec:
    return _spec("softmax-regression", "d2l 4.5: Flatten + Linear(784, 10)", (1, 1, 28, 28),
                 [layer("Flatten"), layer("Linear", out_features=10)], "normal",
                 lr=0.1, batch_size=256, num_epochs=10)


def _mlp() -> NetworkSpec:
    return _spec("mlp", "d2l 5.2: 784-256-10 with ReLU", (1, 1, 28, 28),
                 [layer("Flatten"), layer("Linear", out_features=256), layer("ReLU"),
                  layer("Linear", out_features=10)], "normal",
                 lr=0.1, batch_size=256, num_epochs=10)


def _mlp_dropout() -> NetworkSpec:
    return _spec("mlp-dropout", "d2l 5.6: 784-256-256-10, dropout 0.2 then 0.5",
                 (1, 1, 28, 28),
                 [layer("Flatten"), layer("Linear", out_features=256), layer("ReLU"),
                  layer("Dropout", p=0.2), layer("Linear", out_features=256), layer("ReLU"),
                  layer("Dropout", p=0.5), layer("Linear", out_features=10)], "normal",
                 lr=0.5, batch_size=256, num_epochs=10)


def _playground_mlp() -> NetworkSpec:
    # TensorFlow Playground's network for its 2-D sets: 2 inputs, two hidden layers, tanh
    # (its default activation), its default learning rate, batch size and data (circles).
    # 50 epochs of 400 points reach ~98% on circles, ~95% on XOR; the spiral stays ~60%.
    return NetworkSpec(
        "playground-mlp", (1, 2),
        (layer("Linear", out_features=8), layer("Tanh"), layer("Linear", out_features=8),
         layer("Tanh"), layer("Linear", out_features=2)),
        "xavier", Params({"lr": 0.03, "batch_size": 10, "num_epochs": 50, "dataset": "circles",
                          "resize": None, "loss": "cross-entropy"}),
        "TensorFlow Playground: 2-8-8-2 with tanh for the 2-D sets (circles, XOR; blobs "
        "needs 3 outputs, the spiral more units)")


def _lenet_layers(act: str, pool: str, bn: bool) -> list[LayerSpec]:
    def norm(kind: str) -> list[LayerSpec]:
        return [layer(kind)] if bn else []
    pad = 0 if bn else 2  # the book's BN LeNet drops the padding: 16*4*4 = 256 features
    return [
        layer("Conv2d", out_channels=6, kernel_size=5, padding=pad), *norm("BatchNorm2d"),
        layer(act), layer(pool, kernel_size=2, stride=2),
        layer("Conv2d", out_channels=16, kernel_size=5), *norm("BatchNorm2d"), layer(act),
        layer(pool, kernel_size=2, stride=2), layer("Flatten"),
        layer("Linear", out_features=120), *norm("BatchNorm1d"), layer(act),
        layer("Linear", out_features=84), *norm("BatchNorm1d"), layer(act),
        layer("Linear", out_features=10),
    ]


def _lenet() -> NetworkSpec:
    return _spec("lenet", "d2l 7.6: LeNet-5, sigmoid + average pooling (61,706 params)",
                 (1, 1, 28, 28), _lenet_layers("Sigmoid", "AvgPool2d", False), "xavier",
                 lr=0.9, batch_size=256, num_epochs=10)


def _lenet_relu() -> NetworkSpec:
    return _spec("lenet-relu", "variant from the course notes: LeNet with ReLU + max pooling",
                 (1, 1, 28, 28), _lenet_layers("ReLU", "MaxPool2d", False), "xavier",
                 lr=0.05, batch_size=256, num_epochs=20)


def _lenet_bn() -> NetworkSpec:
    return _spec("lenet-bn", "d2l 8.5: LeNet with batch normalisation before each sigmoid",
                 (1, 1, 28, 28), _lenet_layers("Sigmoid", "AvgPool2d", True), "xavier",
                 lr=1.0, batch_size=256, num_epochs=10)


def _alexnet() -> NetworkSpec:
    return _spec("alexnet", "d2l 8.1: AlexNet for 1x224x224 Fashion-MNIST", (1, 1, 224, 224), [
        layer("Conv2d", out_channels=96, kernel_size=11, stride=4, padding=1), layer("ReLU"),
        layer("MaxPool2d", kernel_size=3, stride=2),
        layer("Conv2d", out_channels=256, kernel_size=5, padding=2), layer("ReLU"),
        layer("MaxPool2d", kernel_size=3, stride=2),
        layer("Conv2d", out_channels=384, kernel_size=3, padding=1), layer("ReLU"),
        layer("Conv2d", out_channels=384, kernel_size=3, padding=1), layer("ReLU"),
        layer("Conv2d", out_channels=256, kernel_size=3, padding=1), layer("ReLU"),
        layer("MaxPool2d", kernel_size=3, stride=2), layer("Flatten"),
        layer("Linear", out_features=4096), layer("ReLU"), layer("Dropout", p=0.5),
        layer("Linear", out_features=4096), layer("ReLU"), layer("Dropout", p=0.5),
        layer("Linear", out_features=10),
    ], "xavier", lr=0.01, batch_size=128, num_epochs=10, resize=224)


def _vgg(name: str, description: str, ratio: int) -> NetworkSpec:
    conv_arch = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))
    blocks = [layer("VGGBlock", num_convs=n, out_channels=c // ratio) for n, c in conv_arch]
    return _spec(name, description, (1, 1, 224, 224), [
        *blocks, layer("Flatten"),
        layer("Linear", out_features=4096), layer("ReLU"), layer("Dropout", p=0.5),
        layer("Linear", out_features=4096), layer("ReLU"), layer("Dropout", p=0.5),
        layer("Linear", out_features=10),
    ], "xavier", lr=0.05, batch_size=128, num_epochs=10, resize=224)


def _nin() -> NetworkSpec:
    return _spec("nin", "d2l 8.3: Network in Network, global average pooling, no Linear",
                 (1, 1, 224, 224), [
        layer("NiNBlock", out_channels=96, kernel_size=11, strides=4, padding=0),
        layer("MaxPool2d", kernel_size=3, stride=2),
        layer("NiNBlock", out_channels=256, kernel_size=5, strides=1, padding=2),
        layer("MaxPool2d", kernel_size=3, stride=2),
        layer("NiNBlock", out_channels=384, kernel_size=3, strides=1, padding=1),
        layer("MaxPool2d", kernel_size=3, stride=2), layer("Dropout", p=0.5),
        layer("NiNBlock", out_channels=10, kernel_size=3, strides=1, padding=1),
        layer("AdaptiveAvgPool2d", output_size=(1, 1)), layer("Flatten"),
    ], "xavier", lr=0.1, batch_size=128, num_epochs=10, resize=224)


def _googlenet() -> NetworkSpec:
    def inc(c1: int, c2: tuple[int, int], c3: tuple[int, int], c4: int) -> LayerSpec:
        return layer("Inception", c1=c1, c2=c2, c3=c3, c4=c4)

    def pool() -> LayerSpec:
        return layer("MaxPool2d", kernel_size=3, stride=2, padding=1)
    return _spec("googlenet", "d2l 8.4: GoogLeNet (Inception v1) for 1x96x96", (1, 1, 96, 96), [
        layer("Conv2d", out_channels=64, kernel_size=7, stride=2, padding=3), layer("ReLU"),
        pool(),
        layer("Conv2d", out_channels=64, kernel_size=1), layer("ReLU"),
        layer("Conv2d", out_channels=192, kernel_size=3, padding=1), layer("ReLU"), pool(),
        inc(64, (96, 128), (16, 32), 32), inc(128, (128, 192), (32, 96), 64), pool(),
        inc(192, (96, 208), (16, 48), 64), inc(160, (112, 224), (24, 64), 64),
        inc(128, (128, 256), (24, 64), 64), inc(112, (144, 288), (32, 64), 64),
        inc(256, (160, 320), (32, 128), 128), pool(),
        inc(256, (160, 320), (32, 128), 128), inc(384, (192, 384), (48, 128), 128),
        layer("AdaptiveAvgPool2d", output_size=(1, 1)), layer("Flatten"),
        layer("Linear", out_features=10),
    ], "xavier", lr=0.1, batch_size=128, num_epochs=10, resize=96)


def _stem() -> list[LayerSpec]:
    """b1 of ResNet and DenseNet: 7x7/2 conv, BN, ReLU, 3x3/2 max-pool."""
    return [layer("Conv2d", out_channels=64, kernel_size=7, stride=2, padding=3),
            layer("BatchNorm2d"), layer("ReLU"),
            layer("MaxPool2d", kernel_size=3, stride=2, padding=1)]


def _resnet18() -> NetworkSpec:
    blocks = []
    for i, channels in enumerate((64, 128, 256, 512)):
        first = i > 0  # resnet_block: the first residual of b3..b5 halves the size
        blocks.append(layer("Residual", num_channels=channels, use_1x1conv=first,
                            strides=2 if first else 1))
        blocks.append(layer("Residual", num_channels=channels))
    return _spec("resnet-18", "d2l 8.6: ResNet-18 for 1x96x96", (1, 1, 96, 96), [
        *_stem(), *blocks, layer("AdaptiveAvgPool2d", output_size=(1, 1)), layer("Flatten"),
        layer("Linear", out_features=10),
    ], "xavier", lr=0.05, batch_size=256, num_epochs=10, resize=96)


def _densenet() -> NetworkSpec:
    num_channels, growth_rate, blks = 64, 32, []
    num_convs_in_dense_blocks = (4, 4, 4, 4)
    for i, num_convs in enumerate(num_convs_in_dense_blocks):
        blks.append(layer("DenseBlock", num_convs=num_convs, growth_rate=growth_rate))
        num_channels += num_convs * growth_rate
        if i != len(num_convs_in_dense_blocks) - 1:
            num_channels //= 2
            blks.append(layer("TransitionBlock", num_channels=num_channels))
    return _spec("densenet", "d2l 8.7: DenseNet (4 dense blocks of 4 convs, growth 32) for "
                 "1x96x96", (1, 1, 96, 96), [
        *_stem(), *blks, layer("BatchNorm2d"), layer("ReLU"),
        layer("AdaptiveAvgPool2d", output_size=(1, 1)), layer("Flatten"),
        layer("Linear", out_features=10),
    ], "xavier", lr=0.1, batch_size=256, num_epochs=10, resize=96)


def _darknet53() -> NetworkSpec:
    stages = []
    for channels, repeats in ((64, 1), (128, 2), (256, 8), (512, 8), (1024, 4)):
        stages.append(layer("DarkNetConv", out_channels=channels, kernel_size=3, stride=2))
        stages.extend(layer("DarkNetResidual") for _ in range(repeats))
    return NetworkSpec("darknet-53", (1, 3, 256, 256), (
        layer("DarkNetConv", out_channels=32, kernel_size=3), *stages,
        layer("AdaptiveAvgPool2d", output_size=(1, 1)), layer("Flatten"),
        layer("Linear", out_features=10),
    ), "kaiming", Params({"lr": 0.05, "batch_size": 64, "num_epochs": 10, "dataset": "cifar10",
                          "resize": 256, "loss": "cross-entropy"}),
        "YOLOv3's Darknet-53 backbone (not in d2l): conv-BN-LeakyReLU(0.1), residual blocks "
        "1,2,8,8,4, classifier head; 3x256x256")


_PRESETS: dict[str, Callable[[], NetworkSpec]] = {
    "linear-regression": _linear_regression,
    "softmax-regression": _softmax_regression,
    "mlp": _mlp,
    "mlp-dropout": _mlp_dropout,
    "playground-mlp": _playground_mlp,
    "lenet": _lenet,
    "lenet-relu": _lenet_relu,
    "lenet-bn": _lenet_bn,
    "alexnet": _alexnet,
    "vgg-11": lambda: _vgg("vgg-11", "d2l 8.2: VGG-11, conv_arch ((1,64),(1,128),(2,256),"
                           "(2,512),(2,512))", 1),
    "vgg-11-small": lambda: _vgg("vgg-11-small", "d2l 8.2: VGG-11 with 1/4 of the channels, "
                                 "the one the book trains", 4),
    "nin": _nin,
    "googlenet": _googlenet,
    "resnet-18": _resnet18,
    "densenet": _densenet,
    "darknet-53": _darknet53,
}


def list_presets() -> list[str]:
    """Preset names, simplest first."""
    return list(_PRESETS)


def preset(name: str) -> NetworkSpec:
    """The spec of preset ``name`` (see ``list_presets()``)."""
    try:
        factory = _PRESETS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(_PRESETS)}") from None
    return factory()
