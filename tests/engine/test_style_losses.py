"""Style-transfer losses against the book's formulas and hand-computed values."""

from __future__ import annotations

import pytest
import torch

from engine.style import compute_loss, content_loss, gram, style_loss, tv_loss

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def book_gram(X):  # d2l 14.12, verbatim
    num_channels, n = X.shape[1], X.numel() // X.shape[1]
    X = X.reshape((num_channels, n))
    return torch.matmul(X, X.T) / (num_channels * n)


def test_gram_batch_one_is_the_books():
    X = torch.randn(1, 4, 5, 6, generator=torch.Generator().manual_seed(0))
    G = gram(X)
    assert G.shape == (1, 4, 4)
    torch.testing.assert_close(G[0], book_gram(X))


def test_gram_batch_two_is_each_images_own():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(1, 3, 4, 4, generator=g), torch.randn(1, 3, 4, 4, generator=g) * 3
    G = gram(torch.cat([a, b]))
    torch.testing.assert_close(G[0], book_gram(a))
    torch.testing.assert_close(G[1], book_gram(b))
    # the book's formula mixes the two images and divides by twice the count
    assert not torch.allclose(book_gram(torch.cat([a, b])), G[0])


def test_gram_of_channels_last_maps_is_the_same_and_keeps_the_gradient():
    g = torch.Generator().manual_seed(2)
    X = torch.randn(2, 5, 3, 4, generator=g)
    Xcl = X.clone().contiguous(memory_format=torch.channels_last).requires_grad_(True)
    assert not Xcl.is_contiguous()  # the layout the CPU job uses
    torch.testing.assert_close(gram(Xcl), gram(X))
    torch.testing.assert_close(gram(Xcl)[0], book_gram(X[:1]))
    Xc = X.clone().requires_grad_(True)
    gram(Xcl).square().sum().backward()
    gram(Xc).square().sum().backward()
    torch.testing.assert_close(Xcl.grad, Xc.grad)


def test_gram_hand_computed():
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 1, 2)  # C=2, H*W=2
    expected = torch.tensor([[1 + 4, 3 + 8], [3 + 8, 9 + 16]]) / 4.0
    torch.testing.assert_close(gram(X)[0], expected)
    with pytest.raises(ValueError, match="N, C, H, W"):
        gram(torch.zeros(2, 3, 4))


def test_content_and_style_loss_hand_computed():
    Y_hat = torch.tensor([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 2, 2)
    Y = torch.tensor([1.0, 0.0, 3.0, 2.0]).reshape(1, 1, 2, 2)
    assert content_loss(Y_hat, Y).item() == pytest.approx((0 + 4 + 0 + 4) / 4)
    # one channel: gram = sum of squares / 4 = 30 / 4
    assert style_loss(Y_hat, torch.tensor([[[7.0]]])).item() == pytest.approx((7.5 - 7) ** 2)


def test_content_loss_does_not_differentiate_the_target():
    Y_hat = torch.ones(1, 1, 2, 2, requires_grad=True)
    Y = torch.zeros(1, 1, 2, 2, requires_grad=True)
    content_loss(Y_hat, Y).backward()
    assert Y.grad is None and Y_hat.grad is not None


def test_tv_loss_hand_computed():
    Y = torch.tensor([[0.0, 1.0, 3.0], [2.0, 2.0, 2.0]]).reshape(1, 1, 2, 3)
    vertical = (2 + 1 + 1) / 3  # |row1 - row0|
    horizontal = (1 + 2 + 0 + 0) / 4
    assert tv_loss(Y).item() == pytest.approx(0.5 * (vertical + horizontal))


def _parts():
    g = torch.Generator().manual_seed(2)
    X = torch.randn(1, 3, 6, 6, generator=g)
    c_hat, c = [torch.randn(1, 2, 3, 3, generator=g)], [torch.randn(1, 2, 3, 3, generator=g)]
    s_hat = [torch.randn(1, 2, 3, 3, generator=g), torch.randn(1, 4, 2, 2, generator=g)]
    s_gram = [gram(torch.randn(1, 2, 3, 3, generator=g)), gram(torch.randn(1, 4, 2, 2,
                                                                          generator=g))]
    return X, c_hat, s_hat, c, s_gram


def test_compute_loss_totals_the_explicit_weights():
    X, c_hat, s_hat, c, s_gram = _parts()
    contents_l, styles_l, tv_l, total = compute_loss(
        X, c_hat, s_hat, c, s_gram, content_weight=2.0, style_weight=1e4, tv_weight=10.0)
    raw_c = content_loss(c_hat[0], c[0])
    raw_s = [style_loss(a, b) for a, b in zip(s_hat, s_gram, strict=True)]
    torch.testing.assert_close(contents_l[0], 2.0 * raw_c)
    torch.testing.assert_close(styles_l[1], 1e4 * raw_s[1])
    torch.testing.assert_close(tv_l, 10.0 * tv_loss(X))
    expected = 2.0 * raw_c + 1e4 * (raw_s[0] + raw_s[1]) + 10.0 * tv_loss(X)
    torch.testing.assert_close(total, expected)


def test_style_weight_1e4_is_d2l_zh_1e3_with_the_list_repeated_ten_times():
    X, c_hat, s_hat, c, s_gram = _parts()
    *_, total = compute_loss(X, c_hat, s_hat, c, s_gram, content_weight=1, style_weight=1e4,
                             tv_weight=10)
    contents_l, styles_l, tv_l, _ = compute_loss(X, c_hat, s_hat, c, s_gram, content_weight=1,
                                                 style_weight=1e3, tv_weight=10)
    book_total = sum(10 * styles_l + contents_l + [tv_l])  # d2l-zh's line
    torch.testing.assert_close(total, book_total)


def test_compute_loss_per_layer_scales():
    X, c_hat, s_hat, c, s_gram = _parts()
    _, styles_l, _, _ = compute_loss(X, c_hat, s_hat, c, s_gram, content_weight=1,
                                     style_weight=3, tv_weight=0, style_scales=[0.5, 4.0])
    torch.testing.assert_close(styles_l[1], 12 * style_loss(s_hat[1], s_gram[1]))
    with pytest.raises(ValueError, match="one factor per layer"):
        compute_loss(X, c_hat, s_hat, c, s_gram, content_weight=1, style_weight=1,
                     tv_weight=0, style_scales=[1.0])
