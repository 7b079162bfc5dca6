"""Oracles for engine.segmentation: the book's printed results, PyTorch's layers and
torchvision / torchmetrics as references."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from engine.segmentation import (
    VOC_COLORMAP,
    bilinear_kernel,
    bilinear_upsample,
    contribution,
    conv_matrix,
    corr2d,
    kernel2matrix,
    label2image,
    trans_conv,
    trans_conv_output_size,
    voc_colormap2label,
    voc_label_indices,
    voc_rand_crop,
)


def test_trans_conv_book_example_and_conv_transpose2d() -> None:
    X = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    book = torch.tensor([[0.0, 0.0, 1.0], [0.0, 4.0, 6.0], [4.0, 12.0, 9.0]])
    assert torch.equal(trans_conv(X, K), book)
    tconv = nn.ConvTranspose2d(1, 1, kernel_size=2, bias=False)
    tconv.weight.data = K.reshape(1, 1, 2, 2)
    assert torch.equal(tconv(X.reshape(1, 1, 2, 2)).detach()[0, 0], book)
    # the book's padding and stride examples
    assert torch.equal(trans_conv(X, K, padding=1), torch.tensor([[4.0]]))
    assert torch.equal(trans_conv(X, K, stride=2), torch.tensor(
        [[0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 2.0, 3.0], [0.0, 2.0, 0.0, 3.0], [4.0, 6.0, 6.0, 9.0]]))


@pytest.mark.parametrize(("n", "k", "s", "p"), [
    ((2, 2), (2, 2), (1, 1), (0, 0)), ((3, 5), (2, 3), (2, 1), (0, 1)),
    ((4, 3), (3, 3), (3, 2), (1, 0)), ((1, 6), (4, 2), (2, 3), (1, 0)),
    ((5, 5), (5, 5), (1, 1), (2, 2)),
])
def test_trans_conv_and_output_size_match_pytorch(n, k, s, p) -> None:
    g = torch.Generator().manual_seed(sum(n) * 7 + sum(k))
    X, K = torch.randn(*n, generator=g, dtype=torch.float64), torch.randn(
        *k, generator=g, dtype=torch.float64)
    ref = F.conv_transpose2d(X[None, None], K[None, None], stride=s, padding=p)[0, 0]
    assert trans_conv_output_size(n, k, s, p) == tuple(ref.shape)
    torch.testing.assert_close(trans_conv(X, K, stride=s, padding=p), ref)


def test_output_size_grid_against_pytorch_layer() -> None:
    for nh, nw in ((3, 7), (10, 15)):
        for k in (1, 2, 3, 4):
            for s in (1, 2, 3):
                for p in range(0, k):
                    layer = nn.ConvTranspose2d(1, 1, (k, k + 1), stride=(s, s + 1),
                                               padding=(p, p))
                    try:
                        want = tuple(layer(torch.zeros(1, 1, nh, nw)).shape[-2:])
                    except RuntimeError:
                        want = (0, 0)
                    if min(want) < 1:  # PyTorch gives an empty or no output
                        with pytest.raises(ValueError, match="padding"):
                            trans_conv_output_size((nh, nw), (k, k + 1), (s, s + 1), (p, p))
                        continue
                    assert trans_conv_output_size((nh, nw), (k, k + 1), (s, s + 1),
                                                  (p, p)) == want
    assert trans_conv_output_size(10, 64, 32, 16) == (320, 320)  # the FCN's upsampling
    with pytest.raises(ValueError, match="must be >= 1"):
        trans_conv_output_size(0, 2)


def test_kernel2matrix_book_example() -> None:
    X = torch.arange(9.0).reshape(3, 3)
    K = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    W = kernel2matrix(K)
    assert torch.equal(W, torch.tensor([
        [1.0, 2, 0, 3, 4, 0, 0, 0, 0], [0, 1, 2, 0, 3, 4, 0, 0, 0],
        [0, 0, 0, 1, 2, 0, 3, 4, 0], [0, 0, 0, 0, 1, 2, 0, 3, 4]]))
    Y = corr2d(X, K)
    assert torch.equal(Y, torch.tensor([[27.0, 37.0], [57.0, 67.0]]))
    assert torch.equal(Y, (W @ X.reshape(-1)).reshape(2, 2))
    assert torch.equal(trans_conv(Y, K), (W.T @ Y.reshape(-1)).reshape(3, 3))
    assert torch.equal(conv_matrix(K, (3, 3)), W)


@pytest.mark.parametrize(("shape", "k", "s", "p"), [((5, 6), (3, 2), 2, 1),
                                                    ((7, 4), (3, 3), (2, 1), 0)])
def test_conv_matrix_with_stride_and_padding(shape, k, s, p) -> None:
    g = torch.Generator().manual_seed(3)
    K = torch.randn(*k, generator=g, dtype=torch.float64)
    X = torch.randn(*shape, generator=g, dtype=torch.float64)
    W = conv_matrix(K, shape, stride=s, padding=p)
    Y = F.conv2d(X[None, None], K[None, None], stride=s, padding=p)[0, 0]
    torch.testing.assert_close((W @ X.reshape(-1)).reshape(Y.shape), Y)
    Z = torch.randn(Y.shape, generator=g, dtype=torch.float64)
    out = F.conv_transpose2d(Z[None, None], K[None, None], stride=s, padding=p)[0, 0]
    full = (W.T @ Z.reshape(-1)).reshape(shape)
    # W^T maps back onto the conv's input; conv_transpose2d drops rows a stride skipped
    torch.testing.assert_close(full[:out.shape[0], :out.shape[1]], out)


def test_contribution_is_where_a_one_hot_input_lands() -> None:
    K = torch.ones(3, 2)
    for s, p in ((1, 0), (2, 1), (3, 0)):
        for i in range(3):
            for j in range(4):
                X = torch.zeros(3, 4)
                X[i, j] = 1
                rows, cols = trans_conv(X, K, stride=s, padding=p).nonzero(as_tuple=True)
                r0, r1, c0, c1 = contribution(i, j, (3, 4), (3, 2), stride=s, padding=p)
                if len(rows):
                    assert (r0, r1, c0, c1) == (rows.min(), rows.max() + 1, cols.min(),
                                                cols.max() + 1)
                else:
                    assert r0 >= r1 or c0 >= c1


def _book_bilinear_kernel(in_channels, out_channels, kernel_size):
    factor = (kernel_size + 1) // 2
    center = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    og = (torch.arange(kernel_size).reshape(-1, 1), torch.arange(kernel_size).reshape(1, -1))
    filt = (1 - torch.abs(og[0] - center) / factor) * (1 - torch.abs(og[1] - center) / factor)
    weight = torch.zeros((in_channels, out_channels, kernel_size, kernel_size))
    weight[range(in_channels), range(out_channels), :, :] = filt
    return weight


def test_bilinear_kernel_book_and_unequal_channels() -> None:
    for k in (3, 4, 64):
        assert torch.equal(bilinear_kernel(3, 3, k), _book_bilinear_kernel(3, 3, k))
    with pytest.raises((IndexError, RuntimeError)):
        _book_bilinear_kernel(2, 5, 4)  # the book's version cannot do it
    w = bilinear_kernel(2, 5, 4)
    assert w.shape == (2, 5, 4, 4)
    assert torch.equal(w[1, 1], bilinear_kernel(1, 1, 4)[0, 0]) and w[:, 2:].abs().sum() == 0
    assert bilinear_kernel(4, 1, 4)[1:].abs().sum() == 0


def test_bilinear_transposed_conv_doubles_like_bilinear_interpolation() -> None:
    g = torch.Generator().manual_seed(0)
    image = torch.rand(3, 12, 17, generator=g)
    up = bilinear_upsample(image, 2)
    assert up.shape == (3, 24, 34)
    ref = F.interpolate(image[None], scale_factor=2, mode="bilinear", align_corners=False)[0]
    torch.testing.assert_close(up[:, 1:-1, 1:-1], ref[:, 1:-1, 1:-1])
    assert not torch.allclose(up[:, 0], ref[:, 0])  # the border differs (zero padding)


def test_voc_colormap_round_trip_and_bad_colour() -> None:
    labels = torch.arange(21).repeat(3, 1)
    rgb = torch.from_numpy(label2image(labels.numpy(), VOC_COLORMAP))
    lookup = voc_colormap2label()
    assert torch.equal(voc_label_indices(rgb, lookup), labels)  # HWC
    assert torch.equal(voc_label_indices(rgb.permute(2, 0, 1), lookup), labels)  # the book's CHW
    void = torch.tensor([[[224, 224, 192]]], dtype=torch.uint8)
    assert voc_label_indices(void, lookup).item() == 255
    rgb[1, 5] = torch.tensor([1, 2, 3], dtype=torch.uint8)
    with pytest.raises(ValueError, match=r"x=5, y=1.*\(1, 2, 3\)"):
        voc_label_indices(rgb, lookup, source="label a.png")


def test_voc_rand_crop_keeps_image_and_label_aligned() -> None:
    yy, xx = torch.meshgrid(torch.arange(30), torch.arange(40), indexing="ij")
    feature = torch.stack([yy, xx, yy * 0]).to(torch.uint8)
    label = yy * 100 + xx
    g = torch.Generator().manual_seed(1)
    for _ in range(5):
        f, lab = voc_rand_crop(feature, label, 10, 12, generator=g)
        assert f.shape == (3, 10, 12) and lab.shape == (10, 12)
        assert torch.equal(f[0].long() * 100 + f[1].long(), lab)
    with pytest.raises(ValueError, match="does not fit"):
        voc_rand_crop(feature, label, 31, 12)


def test_label2image_marks_unknown_white() -> None:
    out = label2image(np.array([[0, 1, 99]]), VOC_COLORMAP)
    assert out.tolist() == [[[0, 0, 0], [128, 0, 0], [255, 255, 255]]]
