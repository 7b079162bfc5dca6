"""The d2l blocks as PyTorch code, written as in the book.

Each function/class here is self-contained (only ``torch``, ``nn``, ``F``) because
``export_code`` copies its source into the exported script; ``BLOCK_SOURCES`` lists what
each block needs. Attribute names are the book's, so summary sub-rows (``conv1``,
``p2_2``, ``net.0.2``) match the module paths.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def vgg_block(num_convs, in_channels, out_channels):
    """d2l 8.2: num_convs x (3x3 conv, ReLU), then 2x2 max-pool."""
    layers = []
    for _ in range(num_convs):
        layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def nin_block(in_channels, out_channels, kernel_size, strides, padding):
    """d2l 8.3: a conv followed by two 1x1 convs (per-pixel MLP), each with ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU())


class Inception(nn.Module):
    """d2l 8.4: four parallel paths concatenated on the channel dim."""

    def __init__(self, in_channels, c1, c2, c3, c4, **kwargs):
        super().__init__(**kwargs)
        self.p1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        self.p2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1)
        self.p2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
        self.p3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1)
        self.p3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
        self.p4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.p4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)

    def forward(self, x):
        p1 = F.relu(self.p1_1(x))
        p2 = F.relu(self.p2_2(F.relu(self.p2_1(x))))
        p3 = F.relu(self.p3_2(F.relu(self.p3_1(x))))
        p4 = F.relu(self.p4_2(self.p4_1(x)))
        return torch.cat((p1, p2, p3, p4), dim=1)


class Residual(nn.Module):
    """d2l 8.6: two 3x3 convs with BN; the input (1x1-projected if asked) is added."""

    def __init__(self, input_channels, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1,
                               stride=strides)
        self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.bn2 = nn.BatchNorm2d(num_channels)

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3 is not None:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


def conv_block(input_channels, num_channels):
    """d2l 8.7: BN, ReLU, 3x3 conv (DenseNet's pre-activation order)."""
    return nn.Sequential(
        nn.BatchNorm2d(input_channels), nn.ReLU(),
        nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1))


class DenseBlock(nn.Module):
    """d2l 8.7: each conv block's output is concatenated to its input."""

    def __init__(self, num_convs, input_channels, num_channels):
        super().__init__()
        layer = []
        for i in range(num_convs):
            layer.append(conv_block(num_channels * i + input_channels, num_channels))
        self.net = nn.Sequential(*layer)

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            X = torch.cat((X, Y), dim=1)
        return X


def transition_block(input_channels, num_channels):
    """d2l 8.7: 1x1 conv to fewer channels and 2x2 average pooling to half the size."""
    return nn.Sequential(
        nn.BatchNorm2d(input_channels), nn.ReLU(),
        nn.Conv2d(input_channels, num_channels, kernel_size=1),
        nn.AvgPool2d(kernel_size=2, stride=2))


def darknet_conv(in_channels, out_channels, kernel_size=3, stride=1):
    """YOLOv3's DBL unit: conv (no bias, 'same' padding), BN, LeakyReLU(0.1)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, bias=False),
        nn.BatchNorm2d(out_channels), nn.LeakyReLU(0.1))


class DarkNetResidual(nn.Module):
    """Darknet-53 residual unit: 1x1 DBL to C/2, 3x3 DBL back to C, add the input."""

    def __init__(self, channels):
        super().__init__()
        self.conv1 = darknet_conv(channels, channels // 2, kernel_size=1)
        self.conv2 = darknet_conv(channels // 2, channels, kernel_size=3)

    def forward(self, X):
        return X + self.conv2(self.conv1(X))


# block type -> (factory, helper objects whose source the exported script needs, in order)
BLOCK_SOURCES = {
    "VGGBlock": (vgg_block, (vgg_block,)),
    "NiNBlock": (nin_block, (nin_block,)),
    "Inception": (Inception, (Inception,)),
    "Residual": (Residual, (Residual,)),
    "DenseBlock": (DenseBlock, (conv_block, DenseBlock)),
    "TransitionBlock": (transition_block, (transition_block,)),
    "DarkNetConv": (darknet_conv, (darknet_conv,)),
    "DarkNetResidual": (DarkNetResidual, (darknet_conv, DarkNetResidual)),
}
