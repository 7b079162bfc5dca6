"""Building blocks the trainer picks by name: optimisers, losses, schedules, init schemes."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from engine.builder.init_schemes import INIT_FUNCTIONS
from engine.builder.spec import INIT_SCHEMES

OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
LOSSES = ("cross-entropy", "mse", "l1", "huber")
SCHEDULES = ("none", "step", "cosine")
INITS = INIT_SCHEMES  # one list of scheme names: the builder's (INIT_FUNCTIONS maps them)


def check_choice(what: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{what}={value!r} is not supported; choose one of {', '.join(choices)}")
    return value


def init_weights(net: nn.Module, scheme: str) -> None:
    """Re-initialise ``net``'s Linear / Conv weights in place (biases to zero).

    Args:
        net: the network (lazy layers must be materialised first).
        scheme: ``"default"`` (PyTorch's own ``reset_parameters``), ``"normal"``
            (N(0, 0.01) as in the book's ``init_weights``), ``"xavier"`` (Xavier uniform,
            as in ``train_ch6``) or ``"kaiming"`` (Kaiming normal, for ReLU nets).
    """
    check_choice("init", scheme, INITS)
    if scheme == "default":
        for m in net.modules():
            if m is not net and hasattr(m, "reset_parameters"):
                m.reset_parameters()
        return
    net.apply(INIT_FUNCTIONS[scheme])  # the builder's functions: one meaning per scheme


def make_optimizer(params: Iterable[torch.nn.Parameter], name: str, *, lr: float,
                   weight_decay: float = 0.0, momentum: float = 0.9) -> torch.optim.Optimizer:
    """``"sgd"``, ``"momentum"`` (SGD with ``momentum``), ``"adam"`` or ``"adamw"``."""
    check_choice("optimizer", name, OPTIMIZERS)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


def make_loss(name: str) -> nn.Module:
    """``"cross-entropy"``, ``"mse"``, ``"l1"`` or ``"huber"`` (mean over the batch)."""
    check_choice("loss", name, LOSSES)
    return {"cross-entropy": nn.CrossEntropyLoss, "mse": nn.MSELoss, "l1": nn.L1Loss,
            "huber": nn.HuberLoss}[name]()


def make_schedule(optimizer: torch.optim.Optimizer, name: str, *, num_epochs: int,
                  step_size: int | None = None, gamma: float = 0.1
                  ) -> torch.optim.lr_scheduler.LRScheduler | None:
    """A per-epoch LR schedule: ``"none"``, ``"step"`` (x ``gamma`` every ``step_size``
    epochs, default a third of the run) or ``"cosine"`` (to 0 over ``num_epochs``)."""
    check_choice("schedule", name, SCHEDULES)
    if name == "step":
        size = step_size or max(1, num_epochs // 3)
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=size, gamma=gamma)
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, num_epochs))
    return None
