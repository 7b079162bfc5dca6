"""Engine: pure PyTorch + numpy. No Qt. Every function runs headless.

Sub-packages:
    engine.images      image I/O and tensor <-> uint8 HWC conversions
    engine.device      CUDA -> MPS -> CPU device choice
    engine.detection   anchors, IoU, anchor labelling, NMS (d2l 14.4)
    engine.builder     network specs, presets, summary, code export (d2l ch. 5-8)
    engine.data        datasets: synthetic, toy 2-D, procedural images, torchvision
    engine.training    the Trainer generator and checkpoints
"""

import os as _os

# PyTorch's CPU allocator backs tensors of 2 MB and more with transparent huge pages when
# this is set before torch starts. Big activations (a batch of 256x256 feature maps is
# over 100 MB) are otherwise freed and faulted back in page by page on every step; on a
# CPU that costs up to a third of a TinySSD or VGG step (benchmarks/tinyssd.py, sys time).
# It must be set before the first ``import torch``; afterwards it does nothing.
_os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

__version__ = "0.1.0"
