"""The book's augmentation pipelines (d2l 14.1) and a few more, as ``PipelineSpec`` values."""

from __future__ import annotations

from collections.abc import Callable

from engine.augment.spec import PipelineSpec, step


def _shape_aug():
    return step("RandomResizedCrop", size=(200, 200), scale=(0.1, 1.0), ratio=(0.5, 2.0))


def _color_aug():
    return step("ColorJitter", brightness=0.5, contrast=0.5, saturation=0.5, hue=0.5)


_PRESETS: dict[str, tuple[str, Callable[[], tuple]]] = {
    "book: augs": ("flip, color_aug and shape_aug composed (d2l 14.1.3)",
                   lambda: (step("RandomHorizontalFlip"), _color_aug(), _shape_aug())),
    "book: horizontal flip": ("RandomHorizontalFlip() — the CIFAR-10 train_augs (d2l 14.1.4)",
                              lambda: (step("RandomHorizontalFlip"),)),
    "book: vertical flip": ("RandomVerticalFlip() (d2l 14.1.1)",
                            lambda: (step("RandomVerticalFlip"),)),
    "book: shape_aug": ("RandomResizedCrop((200, 200), scale=(0.1, 1), ratio=(0.5, 2))",
                        lambda: (_shape_aug(),)),
    "book: brightness": ("ColorJitter(brightness=0.5, contrast=0, saturation=0, hue=0)",
                         lambda: (step("ColorJitter", brightness=0.5, contrast=0.0,
                                       saturation=0.0, hue=0.0),)),
    "book: hue": ("ColorJitter(brightness=0, contrast=0, saturation=0, hue=0.5)",
                  lambda: (step("ColorJitter", brightness=0.0, contrast=0.0, saturation=0.0,
                                hue=0.5),)),
    "book: color_aug": ("ColorJitter(brightness=0.5, contrast=0.5, saturation=0.5, hue=0.5)",
                        lambda: (_color_aug(),)),
    "32×32 training: crop + flip": ("RandomCrop(32, padding=4) and a flip: the usual CIFAR "
                                    "recipe, sized for the colour-shapes set",
                                    lambda: (step("RandomCrop", size=(32, 32), padding=4),
                                             step("RandomHorizontalFlip"))),
    "geometry: rotate + perspective": ("boxes and masks follow every geometric step",
                                       lambda: (step("RandomRotation", degrees=30.0),
                                                step("RandomPerspective", p=0.8))),
    "AutoAugment": ("the learned ImageNet policy", lambda: (step("AutoAugment"),)),
    "MixUp / CutMix": ("flip, then one of MixUp or CutMix per batch (d2l's mixup note)",
                       lambda: (step("RandomHorizontalFlip"), step("MixUp"),
                                step("CutMix"))),
}


def list_augment_presets() -> list[tuple[str, str]]:
    """(name, one-line description) of every preset, book's first."""
    return [(name, desc) for name, (desc, _) in _PRESETS.items()]


def augment_preset(name: str) -> PipelineSpec:
    """The preset ``name``; ValueError listing them otherwise."""
    try:
        _desc, make = _PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown augmentation preset {name!r}; presets: "
                         f"{', '.join(_PRESETS)}") from None
    return PipelineSpec(make(), name)
