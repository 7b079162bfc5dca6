"""Fine-tuning (d2l 14.2, the hot-dog recipe) on any image folder.

* ``finetune_model(num_classes, weights=...)``: torchvision's ResNet-18 from the zoo
  with a new output layer of ``num_classes`` units, Xavier-uniform initialised
  (``ModelRef.zoo("resnet18", head_init="xavier")``), ImageNet weights from
  torchvision's cache (``weights="pretrained"``) or a picked ``.pth``; without them the
  returned ``BuiltModel.weights`` says "random init — …" (the from-scratch path).
* ``finetune_param_groups(net, lr)``: the body at ``lr``, the head at ``10 × lr``.
* ``finetune_config(folder, ...)``: the recipe as a ``RunConfig`` on the
  ``image-folder-imagenet`` dataset (RandomResizedCrop(224) + flip for training,
  Resize(256) + CenterCrop(224) for testing, ImageNet normalisation), so it runs in the
  app, headless (``python -m engine train --config``) and under ``torchrun``.
  ``scratch=True`` gives the book's comparison run: random init, one lr (10×).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

from engine.models.ref import ModelRef

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DATASET = "image-folder-imagenet"
HEAD = "fc."
HEAD_LR_MULT = 10.0


def finetune_ref(num_classes: int | None = None, *, weights: str | None = "pretrained"
                 ) -> ModelRef:
    """The ``ModelRef`` of the fine-tuning network (classes from the data when None)."""
    return ModelRef.zoo("resnet18", weights=weights, num_classes=num_classes,
                        head_init="xavier")


def finetune_model(num_classes: int, *, weights: str | None = "pretrained",
                   allow_download: bool = False) -> Any:
    """ResNet-18 with a new Xavier-initialised ``num_classes``-way head (d2l 14.2.2).

    Args:
        num_classes: classes of the new head (2 for hot dog / not hot dog).
        weights: ``"pretrained"`` (torchvision's ImageNet weights from its cache, or a
            download when ``allow_download``), a ``.pth`` path, or None (from scratch).

    Returns:
        ``engine.models.zoo.BuiltModel``: ``.net`` and ``.weights``, the sentence saying
        where the weights came from ("random init — … not in torchvision's cache" when
        they are missing).

    Raises:
        ValueError: a ``.pth`` of another architecture (naming the first tensor).
    """
    from engine.models.zoo import build_model

    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes={num_classes!r}: fine-tuning needs at least 2 classes")
    return build_model(finetune_ref(num_classes, weights=weights), num_classes=num_classes,
                       allow_download=allow_download)


def pretrained_status() -> tuple[bool, str]:
    """Whether ResNet-18's ImageNet weights are in torchvision's cache, and a sentence."""
    from engine.models.zoo import pretrained_file

    path = pretrained_file("resnet18")
    if path.is_file():
        return True, f"ImageNet weights found in torchvision's cache ({path.name})"
    return False, (f"ImageNet weights are not in torchvision's cache ({path}); allow the "
                   f"download, copy the file there, or pick a .pth — without them only "
                   f"the from-scratch run is meaningful")


def finetune_groups(head_lr_mult: float = HEAD_LR_MULT) -> tuple[dict[str, Any], ...]:
    """``RunConfig.param_groups`` for the recipe: the head ``fc.`` at ``lr × head_lr_mult``."""
    return ({"prefix": HEAD, "lr_mult": float(head_lr_mult)},)


def finetune_param_groups(net: nn.Module, lr: float, head_lr_mult: float = HEAD_LR_MULT
                          ) -> list[dict[str, Any]]:
    """Optimiser parameter groups: the body at ``lr``, the head at ``lr × head_lr_mult``
    (the book's ``params_1x`` and ``net.fc.parameters()``); the training core's own
    grouping (``RunConfig.param_groups``), so both paths agree."""
    from engine.training.trainer import _param_groups

    groups = list(_param_groups(net, finetune_groups(head_lr_mult), lr))
    for g in groups:
        g.setdefault("lr", lr)
    return groups


def finetune_config(folder: str | Path, *, weights: str | None = "pretrained",
                    scratch: bool = False, lr: float = 5e-5, batch_size: int = 128,
                    num_epochs: int = 5, head_lr_mult: float = HEAD_LR_MULT,
                    download: bool = False, **changes: Any) -> Any:
    """The hot-dog recipe as a ``RunConfig`` for any folder of class sub-folders.

    Fine-tuning: SGD, ``lr`` for the body and ``head_lr_mult × lr`` for the new head,
    weight decay 0.001 (the book's ``train_fine_tuning(finetune_net, 5e-5)``). With
    ``scratch=True``: random initialisation and one learning rate of ``10 × lr`` for
    every layer (the book's ``scratch_net``, 5e-4).
    """
    from engine.training.config import RunConfig

    if scratch:
        model, groups, lr = finetune_ref(weights=None), (), lr * HEAD_LR_MULT
    else:
        model, groups = finetune_ref(weights=weights), finetune_groups(head_lr_mult)
    return RunConfig(model=model, dataset=DATASET, data_root=str(folder), download=download,
                     lr=lr, batch_size=batch_size, num_epochs=num_epochs, optimizer="sgd",
                     weight_decay=0.001, param_groups=groups, **changes)


def book_transforms(size: int = 224, resize: int = 256) -> tuple[Any, Any]:
    """The book's ``train_augs`` / ``test_augs`` (d2l 14.2.1) in ``transforms.v2``."""
    import torch
    from torchvision.transforms import v2

    tail = [v2.ToDtype(torch.float32, scale=True), v2.Normalize(IMAGENET_MEAN, IMAGENET_STD)]
    train = v2.Compose([v2.ToImage(), v2.RandomResizedCrop(size, antialias=True),
                        v2.RandomHorizontalFlip(), *tail])
    test = v2.Compose([v2.ToImage(), v2.Resize(resize, antialias=True), v2.CenterCrop(size),
                       *tail])
    return train, test


def load_finetune_folder(req: Any) -> Any:
    """The ``image-folder-imagenet`` registry entry's loader (``LoadRequest -> Splits``)."""
    from engine.data.core import Splits
    from engine.data.folder import load_image_folder

    if req.resize is not None:
        raise ValueError("image-folder-imagenet crops to 224×224 itself; leave resize unset")
    train, test, shape, classes, source = load_image_folder(
        req.root, resize=None, test_fraction=float(req.options["test_fraction"]),
        grayscale=False, seed=req.seed, transforms=book_transforms(),
        input_shape=(3, 224, 224))
    if len(classes) < 2:
        raise ValueError(f"{req.root} has {len(classes)} class sub-folder"
                         f"{'' if len(classes) == 1 else 's'}"
                         f"{' (' + classes[0] + ')' if classes else ''}; fine-tuning a "
                         f"classifier needs at least 2, e.g. hotdog/ and not-hotdog/")
    return Splits(train, test, source + ", ImageNet crops and normalisation", classes,
                  len(classes), shape)
