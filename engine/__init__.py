"""Engine: pure PyTorch + numpy. No Qt. Every function runs headless.

Sub-packages:
    engine.images      image I/O and tensor <-> uint8 HWC conversions
    engine.device      CUDA -> MPS -> CPU device choice
    engine.detection   anchors, IoU, anchor labelling, NMS (d2l 14.4)
    engine.builder     network specs, presets, summary, code export (d2l ch. 5-8)
    engine.data        datasets: synthetic, toy 2-D, procedural images, torchvision
    engine.training    the Trainer generator and checkpoints
"""

__version__ = "0.1.0"
