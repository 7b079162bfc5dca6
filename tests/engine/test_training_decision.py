"""decision_map / data_sample: a hand-set linear boundary, shapes, mode kept, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from engine.training import data_sample, decision_map


def boundary_x0() -> nn.Linear:
    """Logits (x1, -x1): class 0 right of x1 = 0, class 1 left of it."""
    net = nn.Linear(2, 2)
    with torch.no_grad():
        net.weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.0]]))
        net.bias.zero_()
    return net


def test_linear_boundary_at_x0_splits_the_grid_into_halves():
    m = decision_map(boundary_x0(), bounds=(-1.0, 1.0, -2.0, 2.0), resolution=8)
    assert m.classes.shape == m.confidence.shape == (8, 8)
    assert m.classes.dtype == np.uint8 and m.confidence.dtype == np.float32
    assert m.bounds == (-1.0, 1.0, -2.0, 2.0) and m.num_classes == 2
    assert (m.classes[:, :4] == 1).all() and (m.classes[:, 4:] == 0).all()  # columns = x1
    # confidence = softmax of (x1, -x1): sigmoid(2|x1|), highest at the edges
    x1 = -1 + (np.arange(8) + 0.5) * 2 / 8
    expected = 1 / (1 + np.exp(-2 * np.abs(x1)))
    np.testing.assert_allclose(m.confidence, np.tile(expected, (8, 1)), rtol=1e-6)


def test_rows_run_up_in_x2():
    net = nn.Linear(2, 2)
    with torch.no_grad():
        net.weight.copy_(torch.tensor([[0.0, 1.0], [0.0, -1.0]]))  # class 0 above x2 = 0
        net.bias.zero_()
    m = decision_map(net, bounds=(-1.0, 1.0, -1.0, 1.0), resolution=6)
    assert (m.classes[:3] == 1).all() and (m.classes[3:] == 0).all()


@pytest.mark.parametrize("training", [True, False])
def test_mode_is_restored_and_no_gradients_are_kept(training):
    net = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.Dropout(0.5), nn.Linear(8, 3))
    net.train(training)
    stats = net[1].running_mean.clone()
    m = decision_map(net, bounds=(-1.0, 1.0, -1.0, 1.0), resolution=16)
    assert net.training is training and all(mod.training is training for mod in net)
    assert torch.equal(net[1].running_mean, stats)  # evaluated in eval mode
    assert all(p.grad is None for p in net.parameters())
    assert m.classes.shape == (16, 16) and m.classes.max() < 3
    assert ((m.confidence >= 1 / 3 - 1e-6) & (m.confidence <= 1)).all()


def test_num_classes_limits_the_argmax_to_the_data_classes():
    net = nn.Linear(2, 10)
    with torch.no_grad():
        net.weight.zero_()
        net.bias.copy_(torch.tensor([0.0, 1.0] + [5.0] * 8))  # unused outputs win overall
    assert (decision_map(net, bounds=(0, 1, 0, 1), resolution=4).classes >= 2).all()
    m = decision_map(net, bounds=(0, 1, 0, 1), resolution=4, num_classes=2)
    assert (m.classes == 1).all() and m.num_classes == 2


def test_non_2d_networks_and_bad_arguments_raise_value_error():
    with pytest.raises(ValueError, match="2-D points"):
        decision_map(nn.Linear(784, 10), bounds=(-1, 1, -1, 1))
    with pytest.raises(ValueError, match="logits"):
        decision_map(nn.Sequential(nn.Linear(2, 2), nn.Flatten(0)), bounds=(-1, 1, -1, 1))
    with pytest.raises(ValueError, match="bounds"):
        decision_map(boundary_x0(), bounds=(1, -1, -1, 1))
    with pytest.raises(ValueError, match="resolution"):
        decision_map(boundary_x0(), bounds=(-1, 1, -1, 1), resolution=1)
    with pytest.raises(ValueError, match="num_classes"):
        decision_map(boundary_x0(), bounds=(-1, 1, -1, 1), num_classes=3)


def test_data_sample_bounds_are_square_with_margin_and_points_are_sampled():
    g = torch.Generator().manual_seed(0)
    X = torch.rand(1000, 2, generator=g) * torch.tensor([4.0, 1.0]) - torch.tensor([2.0, 0.0])
    y = torch.arange(1000) % 3
    s = data_sample(X, y, max_points=300, margin=0.1)
    x0, x1, y0, y1 = s.bounds
    assert x1 - x0 == pytest.approx(y1 - y0) and x1 - x0 == pytest.approx(4 * 1.2, rel=1e-3)
    assert x0 < float(X[:, 0].min()) and x1 > float(X[:, 0].max())
    assert y0 < float(X[:, 1].min()) and y1 > float(X[:, 1].max())
    assert s.X.shape == (300, 2) and s.y.shape == (300,) and s.X.dtype == np.float32
    assert set(np.unique(s.y)) == {0, 1, 2}
    again = data_sample(X, y, max_points=300, margin=0.1)
    np.testing.assert_array_equal(s.X, again.X)  # seeded
    with pytest.raises(ValueError, match="Tensor\\[N, 2\\]"):
        data_sample(torch.zeros(5, 3), torch.zeros(5))
