"""The tabs of the main window, in order. Each is imported when the window is built.

A tab module defines ``<Topic>Tab(PlaygroundTab)``; register it here with a short
key (used by ``main.py --tab KEY`` and remembered as the last open tab).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class TabSpec:
    """A tab: its key, title, where its class lives, and a one-line description.

    ``needs_torch`` tabs are built once torch has been imported (off the UI thread), so
    the window shows at once; until then a placeholder stands in their place.
    """

    key: str
    title: str
    module: str
    class_name: str
    description: str = ""
    needs_torch: bool = True

    def load(self) -> type:
        return getattr(importlib.import_module(self.module), self.class_name)


TABS: tuple[TabSpec, ...] = (
    TabSpec("home", "Home", "gui.tabs.home_tab", "HomeTab",
            "Start here: what the playground does, sample images, open your own.",
            needs_torch=False),
    TabSpec("build", "Build", "gui.tabs.build_tab", "BuildTab",
            "compose a network layer by layer and watch shapes, parameters and MACs; the "
            "book's nets as presets; export PyTorch code (d2l ch. 3–8)"),
    TabSpec("train", "Train", "gui.tabs.train_tab", "TrainTab",
            "train a network on a dataset with live loss / accuracy curves; compare runs, "
            "save checkpoints (d2l 3.4, 4.5, 7.6)"),
    TabSpec("inside", "Inside", "gui.tabs.inside_tab", "InsideTab",
            "look inside a network on your own image: feature maps, attributions "
            "(saliency, integrated gradients, Grad-CAM), confusion matrix and the most "
            "wrong test samples (d2l 7.2, 7.6)"),
    TabSpec("augment", "Augment", "gui.tabs.augment_tab", "AugmentTab",
            "shape a torchvision augmentation pipeline with sliders; every random draw, "
            "boxes and masks that follow, a step-by-step inspector (d2l 14.1)"),
    TabSpec("detection", "Detection lab", "gui.tabs.detection_tab", "DetectionTab",
            "anchor boxes, IoU, anchor labelling and non-maximum suppression on your own "
            "image (d2l 14.3–14.5)"),
    TabSpec("detect", "Detect", "gui.tabs.detect_tab", "DetectTab",
            "train the book's TinySSD on a generated banana set, then play with score and "
            "NMS thresholds on its raw predictions (d2l 14.7)"),
    TabSpec("segment", "Segment", "gui.tabs.segment_tab", "SegmentTab",
            "transposed convolution step by step, the book's FCN trained offline, per-pixel "
            "predictions on your own photos (d2l 14.9–14.11)"),
    TabSpec("style", "Style", "gui.tabs.style_tab", "StyleTab",
            "neural style transfer you watch and steer: move the weights, the learning "
            "rate or the VGG layers while the picture changes (d2l 14.12)"),)


def tab_keys() -> list[str]:
    return [t.key for t in TABS]
