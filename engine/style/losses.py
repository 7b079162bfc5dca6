"""The three losses of neural style transfer (d2l 14.12) and their weighted total."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def content_loss(Y_hat: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of content features (the target is not differentiated)."""
    return torch.square(Y_hat - Y.detach()).mean()


def gram(X: torch.Tensor) -> torch.Tensor:
    """Gram matrices of feature maps, normalised by the number of entries per image.

    Args:
        X (Tensor[N, C, H, W]): feature maps.

    Returns:
        Tensor[N, C, C]: ``X_n X_nᵀ / (C·H·W)`` for each image n. For N = 1 this is the
        book's ``gram``; the book's version divides by C·N·H·W and mixes images for
        N > 1, this one keeps them apart.
    """
    if X.ndim != 4:
        raise ValueError(f"gram expects (N, C, H, W) feature maps, got shape {tuple(X.shape)}.")
    n, c = X.shape[:2]
    if X.is_contiguous(memory_format=torch.channels_last) and not X.is_contiguous():
        # (N, H·W, C) is a view of channels-last maps (the CPU job's layout): no copy
        rows = X.permute(0, 2, 3, 1).reshape(n, -1, c)
        return torch.bmm(rows.transpose(1, 2), rows) / (c * rows.shape[1])
    flat = X.reshape(n, c, -1)
    return torch.bmm(flat, flat.transpose(1, 2)) / (c * flat.shape[2])


def style_loss(Y_hat: torch.Tensor, gram_Y: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between the Gram matrix of ``Y_hat`` and a target Gram."""
    return torch.square(gram(Y_hat) - gram_Y.detach()).mean()


def tv_loss(Y_hat: torch.Tensor) -> torch.Tensor:
    """Total variation: half the mean absolute difference of vertical + horizontal
    neighbours (the book's ``tv_loss``). ``Y_hat`` is (N, C, H, W)."""
    return 0.5 * (torch.abs(Y_hat[:, :, 1:, :] - Y_hat[:, :, :-1, :]).mean()
                  + torch.abs(Y_hat[:, :, :, 1:] - Y_hat[:, :, :, :-1]).mean())


def compute_loss(X: torch.Tensor, contents_Y_hat: Sequence[torch.Tensor],
                 styles_Y_hat: Sequence[torch.Tensor], contents_Y: Sequence[torch.Tensor],
                 styles_Y_gram: Sequence[torch.Tensor], *, content_weight: float,
                 style_weight: float, tv_weight: float,
                 content_scales: Sequence[float] | None = None,
                 style_scales: Sequence[float] | None = None,
                 ) -> tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor, torch.Tensor]:
    """The book's ``compute_loss`` with its weights made explicit.

    ``total = content_weight·Σ content_l + style_weight·Σ style_l + tv_weight·tv_l``. The
    book's values are 1, 1e4 and 10 (d2l-zh writes ``style_weight = 1e3`` and then
    ``10 * styles_l``, a list repeated ten times: the same total).

    Args:
        X (Tensor[N, 3, H, W]): the synthesised image.
        contents_Y_hat, styles_Y_hat: its features at the content / style layers.
        contents_Y: the content image's features; styles_Y_gram: the style image's Grams.
        content_weight, style_weight, tv_weight: the weights (≥ 0).
        content_scales, style_scales: optional per-layer factors (one per layer) applied
            before the weights; the untrained network uses them to bring every layer's
            loss to a comparable size.

    Returns:
        (contents_l, styles_l, tv_l, total): weighted per-layer losses, the weighted TV loss
        and the total, as in the book.
    """
    c_scales = content_scales or [1.0] * len(contents_Y)
    s_scales = style_scales or [1.0] * len(styles_Y_gram)
    if len(c_scales) != len(contents_Y) or len(s_scales) != len(styles_Y_gram):
        raise ValueError("content_scales / style_scales need one factor per layer.")
    contents_l = [content_loss(Y_hat, Y) * (content_weight * k)
                  for Y_hat, Y, k in zip(contents_Y_hat, contents_Y, c_scales, strict=True)]
    styles_l = [style_loss(Y_hat, Y) * (style_weight * k)
                for Y_hat, Y, k in zip(styles_Y_hat, styles_Y_gram, s_scales, strict=True)]
    tv_l = tv_loss(X) * tv_weight
    total = sum([*styles_l, *contents_l], tv_l)
    return contents_l, styles_l, tv_l, total
