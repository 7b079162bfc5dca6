"""Models beyond the builder: a ``ModelRef`` names a network — a ``NetworkSpec``, a
builder preset or a zoo entry (torchvision's ResNet-18 with N classes, the toy
tuple-output SSD, a toy FCN) — and ``build_model`` turns it into a module, with
pretrained weights from torchvision's cache or a user's ``.pth`` when asked.
"""

from __future__ import annotations

from engine.models.ref import ModelRef

__all__ = ["ModelRef"]
