"""Tiny networks for the tasks beyond classification: a per-pixel FCN and an SSD-shaped
detector that returns a tuple, as the book's TinySSD does."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from engine.detection.anchors import multibox_prior


class ToyFCN(nn.Module):
    """Per-pixel classifier: ``X (Tensor[B, C, H, W])`` -> logits ``Tensor[B, k, H, W]``
    (3x3 conv, ReLU, 1x1 conv — the shape of d2l's FCN without its backbone)."""

    def __init__(self, in_channels: int = 1, num_classes: int = 3, hidden: int = 8) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(in_channels, hidden, 3, padding=1), nn.ReLU())
        self.head = nn.Conv2d(hidden, num_classes, 1)

    def forward(self, X: Tensor) -> Tensor:
        return self.head(self.body(X))


class ToySSD(nn.Module):
    """Single-scale SSD: ``X (Tensor[B, C, H, W])`` -> ``(anchors (Tensor[1, N, 4]),
    cls_preds (Tensor[B, N, num_classes + 1]), bbox_preds (Tensor[B, N * 4]))`` —
    TinySSD's output layout (d2l 14.7), with one feature map of ``H / 8``."""

    def __init__(self, in_channels: int = 1, num_classes: int = 1,
                 sizes: tuple[float, ...] = (0.3, 0.5), ratios: tuple[float, ...] = (1.0, 2.0,
                                                                                  0.5)) -> None:
        super().__init__()
        self.num_classes, self.sizes, self.ratios = num_classes, list(sizes), list(ratios)
        a = len(sizes) + len(ratios) - 1
        blocks: list[nn.Module] = []
        channels = in_channels
        for out in (8, 16, 16):
            blocks += [nn.Conv2d(channels, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU(),
                       nn.MaxPool2d(2)]
            channels = out
        self.backbone = nn.Sequential(*blocks)
        self.cls_head = nn.Conv2d(channels, a * (num_classes + 1), 3, padding=1)
        self.bbox_head = nn.Conv2d(channels, a * 4, 3, padding=1)

    def forward(self, X: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        Y = self.backbone(X)
        anchors = multibox_prior(Y, self.sizes, self.ratios)
        cls = self.cls_head(Y).permute(0, 2, 3, 1).reshape(X.shape[0], -1, self.num_classes + 1)
        bbox = self.bbox_head(Y).permute(0, 2, 3, 1).reshape(X.shape[0], -1)
        return anchors, cls, bbox


def toy_ssd_anchors(net: ToySSD, image_size: int) -> Tensor:
    """The anchors ``net`` uses on ``image_size`` images (for checks and plots)."""
    with torch.no_grad():
        return multibox_prior(torch.empty(1, 1, image_size // 8, image_size // 8),
                              net.sizes, net.ratios)
