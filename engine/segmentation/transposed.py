"""Transposed convolution, step by step (d2l 14.10), and the bilinear kernel (14.11).

``trans_conv`` is the book's readable loop (every input element scales the kernel and
adds it into the output) extended by stride and padding exactly as
``nn.ConvTranspose2d`` defines them; the tests check one against the other.
``kernel2matrix`` writes a convolution as a matrix ``W`` so that ``W @ x.reshape(-1)``
is ``corr2d(x, K)`` and ``W.T @ y.reshape(-1)`` is ``trans_conv(y, K)``: a transposed
convolution is the convolution's backward pass.

>>> X = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
>>> trans_conv(X, X)
tensor([[ 0.,  0.,  1.],
        [ 0.,  4.,  6.],
        [ 4., 12.,  9.]])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

Pair = int | tuple[int, int]


def _pair(name: str, value: Pair, *, lo: int) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair):
        raise ValueError(f"{name}={value!r} must be an integer or a (height, width) pair")
    if min(pair) < lo:
        raise ValueError(f"{name}={value!r} must be >= {lo}")
    return pair  # type: ignore[return-value]


def _matrix(name: str, M: Tensor | Sequence) -> Tensor:
    M = torch.as_tensor(M, dtype=torch.get_default_dtype()) if not isinstance(M, Tensor) else M
    if M.dim() != 2 or M.shape[0] < 1 or M.shape[1] < 1:
        raise ValueError(f"{name} must be a non-empty 2-D matrix, not shape {tuple(M.shape)}")
    return M


def corr2d(X: Tensor, K: Tensor) -> Tensor:
    """The book's 2-D cross-correlation (d2l 7.2): ``X (Tensor[h, w])``, ``K
    (Tensor[kh, kw])`` -> ``Tensor[h - kh + 1, w - kw + 1]``."""
    X, K = _matrix("X", X), _matrix("K", K)
    h, w = K.shape
    if X.shape[0] < h or X.shape[1] < w:
        raise ValueError(f"the kernel {tuple(K.shape)} is larger than the input {tuple(X.shape)}")
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def trans_conv_output_size(n: Pair, k: Pair, s: Pair = 1, p: Pair = 0, *,
                           output_padding: Pair = 0) -> tuple[int, int]:
    """Output (height, width) of a transposed convolution, each dimension on its own:
    ``(n - 1) * s + k - 2 * p + output_padding`` (d2l writes it ``n*s + k - 2p - s``).

    Args:
        n, k, s, p: input size, kernel size, stride, padding — an int for both
            dimensions or a ``(height, width)`` pair.

    Raises:
        ValueError: a bad value, or settings whose output would be empty.
    """
    n2, k2 = _pair("n", n, lo=1), _pair("k", k, lo=1)
    s2, p2 = _pair("s", s, lo=1), _pair("p", p, lo=0)
    op = _pair("output_padding", output_padding, lo=0)
    out = tuple((ni - 1) * si + ki - 2 * pi + oi
                for ni, ki, si, pi, oi in zip(n2, k2, s2, p2, op, strict=True))
    if min(out) < 1:
        raise ValueError(f"padding {p} removes the whole output: (n - 1)·s + k - 2p = {out}; "
                         f"use a smaller padding or a larger kernel")
    return out  # type: ignore[return-value]


def trans_conv(X: Tensor | Sequence, K: Tensor | Sequence, *, stride: Pair = 1,
               padding: Pair = 0) -> Tensor:
    """The book's transposed convolution loop: ``Y[i*s:i*s+kh, j*s:j*s+kw] += X[i, j] * K``,
    then ``padding`` rows / columns removed from each border (padding applies to the
    output, unlike a convolution's).

    Args:
        X: ``Tensor[h, w]`` input. K: ``Tensor[kh, kw]`` kernel.

    Returns:
        ``Tensor[H, W]`` with ``(H, W) = trans_conv_output_size((h, w), (kh, kw), stride,
        padding)``; equals ``nn.ConvTranspose2d`` with weight ``K``, no bias.
    """
    X, K = _matrix("X", X), _matrix("K", K)
    (sh, sw), (ph, pw) = _pair("stride", stride, lo=1), _pair("padding", padding, lo=0)
    H, W = trans_conv_output_size(tuple(X.shape), tuple(K.shape), (sh, sw), (ph, pw))
    h, w = K.shape
    Y = torch.zeros(((X.shape[0] - 1) * sh + h, (X.shape[1] - 1) * sw + w),
                    dtype=torch.promote_types(X.dtype, K.dtype))
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            Y[i * sh:i * sh + h, j * sw:j * sw + w] += X[i, j] * K
    return Y[ph:ph + H, pw:pw + W]


def contribution(i: int, j: int, input_shape: tuple[int, int], kernel_shape: tuple[int, int],
                 *, stride: Pair = 1, padding: Pair = 0) -> tuple[int, int, int, int]:
    """The output cells input cell ``(i, j)`` adds its scaled kernel to.

    Returns:
        ``(row0, row1, col0, col1)``, half-open, clipped to the output (may be empty when
        the padding cuts that cell's whole kernel away).
    """
    (sh, sw), (ph, pw) = _pair("stride", stride, lo=1), _pair("padding", padding, lo=0)
    H, W = trans_conv_output_size(input_shape, kernel_shape, (sh, sw), (ph, pw))
    r0, c0 = i * sh - ph, j * sw - pw
    return (max(r0, 0), min(r0 + kernel_shape[0], H), max(c0, 0), min(c0 + kernel_shape[1], W))


def conv_matrix(K: Tensor | Sequence, input_shape: tuple[int, int], *, stride: Pair = 1,
                padding: Pair = 0) -> Tensor:
    """The convolution (cross-correlation) of ``input_shape`` inputs by ``K`` as a
    matrix: ``W (Tensor[oh * ow, h * w])`` with ``W @ x.reshape(-1) ==
    conv2d(x, K, stride, padding).reshape(-1)``. Its transpose ``W.T`` is the transposed
    convolution with the same kernel, stride and padding from ``(oh, ow)`` back to
    ``input_shape`` (when the stride divides evenly)."""
    import torch.nn.functional as F

    K = _matrix("K", K)
    h, w = _pair("input_shape", input_shape, lo=1)
    basis = torch.eye(h * w, dtype=K.dtype).reshape(h * w, 1, h, w)
    out = F.conv2d(basis, K[None, None], stride=_pair("stride", stride, lo=1),
                   padding=_pair("padding", padding, lo=0))
    if out.numel() == 0:
        raise ValueError(f"a {tuple(K.shape)} kernel does not fit a {h}x{w} input with this "
                         f"stride and padding")
    return out.reshape(h * w, -1).T.contiguous()


def kernel2matrix(K: Tensor | Sequence, input_shape: tuple[int, int] = (3, 3)) -> Tensor:
    """The book's ``kernel2matrix``: the sparse weight matrix of a stride-1 convolution.

    For the book's ``K = [[1, 2], [3, 4]]`` on a 3x3 input::

        [[1, 2, 0, 3, 4, 0, 0, 0, 0],
         [0, 1, 2, 0, 3, 4, 0, 0, 0],
         [0, 0, 0, 1, 2, 0, 3, 4, 0],
         [0, 0, 0, 0, 1, 2, 0, 3, 4]]

    Args:
        K: ``Tensor[kh, kw]``. input_shape: ``(h, w)`` of the input (the book: 3x3).

    Returns:
        ``W (Tensor[(h-kh+1)*(w-kw+1), h*w])``: ``W @ X.reshape(-1)`` is ``corr2d(X, K)``
        flattened and ``W.T @ Y.reshape(-1)`` is ``trans_conv(Y, K)`` flattened.
    """
    K = _matrix("K", K)
    h, w = _pair("input_shape", input_shape, lo=1)
    kh, kw = K.shape
    if kh > h or kw > w:
        raise ValueError(f"the kernel {tuple(K.shape)} is larger than the input ({h}, {w})")
    oh, ow = h - kh + 1, w - kw + 1
    W = torch.zeros((oh * ow, h * w), dtype=K.dtype)
    for r in range(oh):
        for c in range(ow):
            for a in range(kh):  # the kernel's row a lands on input row r + a
                start = (r + a) * w + c
                W[r * ow + c, start:start + kw] = K[a]
    return W


def bilinear_kernel(in_channels: int, out_channels: int, kernel_size: int) -> Tensor:
    """The book's bilinear-interpolation kernel for initialising ``nn.ConvTranspose2d``.

    Output channel ``c`` interpolates input channel ``c`` for ``c < min(in_channels,
    out_channels)``; other pairs are zero (the book's version assigns ``weight[range(in),
    range(out)]`` and only works when the counts are equal). With ``stride=s``,
    ``kernel_size=2s`` and ``padding=s/2`` the layer upsamples by ``s``.

    Returns:
        ``Tensor[in_channels, out_channels, kernel_size, kernel_size]`` (the layout of
        ``nn.ConvTranspose2d.weight``).
    """
    for name, v in (("in_channels", in_channels), ("out_channels", out_channels),
                    ("kernel_size", kernel_size)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name}={v!r} must be a positive integer")
    factor = (kernel_size + 1) // 2
    center = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    og = (torch.arange(kernel_size).reshape(-1, 1), torch.arange(kernel_size).reshape(1, -1))
    filt = (1 - torch.abs(og[0] - center) / factor) * (1 - torch.abs(og[1] - center) / factor)
    weight = torch.zeros((in_channels, out_channels, kernel_size, kernel_size))
    c = range(min(in_channels, out_channels))
    weight[c, c, :, :] = filt
    return weight


def bilinear_upsample(image: Tensor, factor: int = 2) -> Tensor:
    """Upsample ``image (Tensor[C, H, W])`` by ``factor`` with a transposed convolution
    initialised by ``bilinear_kernel`` (kernel ``2f``, stride ``f``, padding ``f/2``) —
    the book's demonstration; returns ``Tensor[C, f*H, f*W]`` (odd ``f``: see
    ``trans_conv_output_size``)."""
    from torch import nn

    if not isinstance(factor, int) or isinstance(factor, bool) or factor < 1:
        raise ValueError(f"factor={factor!r} must be a positive integer")
    if image.dim() != 3:
        raise ValueError(f"image must be Tensor[C, H, W], not shape {tuple(image.shape)}")
    c = image.shape[0]
    conv = nn.ConvTranspose2d(c, c, kernel_size=2 * factor, padding=factor // 2,
                              stride=factor, bias=False)
    with torch.no_grad():
        conv.weight.copy_(bilinear_kernel(c, c, 2 * factor))
        return conv(image[None].float())[0]
