"""engine.insight: feature maps, attributions, weight / gradient statistics, evaluation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from engine.builder import build, preset
from engine.insight import (
    confusion_matrix,
    conv_layers,
    evaluate,
    feature_maps,
    fit_input,
    inspect_input,
    per_class,
    rank_by_loss,
)
from engine.insight.attribution import attribute
from engine.insight.features import FeatureMapHook
from engine.insight.stats import ParamStats, WeightStatsHook, histograms, param_stats


def lenet() -> nn.Module:
    torch.manual_seed(0)
    return build(preset("lenet"))


def tiny_cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.Tanh(), nn.Flatten(),
                         nn.Linear(2 * 6 * 6, 3))


# -- feature maps -------------------------------------------------------------------------
def test_lenet_feature_maps_are_the_conv_outputs():
    net = lenet()
    x = torch.rand(1, 28, 28)
    maps = feature_maps(net, x)
    assert [m.shape for m in maps] == [(6, 28, 28), (16, 10, 10)]
    assert [m.name for m in maps] == ["0", "3"] and maps[0].kind == "Conv2d"
    with torch.no_grad():  # the hooked outputs are exactly the modules' outputs
        a0 = net[0](x[None])
        a3 = net[3](net[2](net[1](a0)))
    np.testing.assert_allclose(maps[0].activation, a0[0].numpy(), rtol=1e-6)
    np.testing.assert_allclose(maps[1].activation, a3[0].numpy(), rtol=1e-5, atol=1e-6)
    assert maps[0].activation.dtype == np.float32
    assert net.training  # the mode is restored


def test_feature_maps_of_named_layers_and_zoo_models():
    net = lenet()
    maps = feature_maps(net, torch.rand(1, 1, 28, 28), layers=["1", "6"])
    assert [m.shape for m in maps] == [(6, 28, 28), (400,)]
    from torchvision.models import resnet18

    res = resnet18(num_classes=2)
    maps = feature_maps(res, torch.rand(3, 32, 32))
    assert len(maps) == len(conv_layers(res)) == 20
    assert maps[0].name == "conv1" and maps[0].shape == (64, 16, 16)
    assert maps[-1].shape == (512, 1, 1)


def test_feature_maps_bad_input_and_no_conv():
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    with pytest.raises(ValueError, match="no convolutional layer"):
        feature_maps(mlp, torch.rand(1, 2, 2))
    result = inspect_input(mlp, torch.rand(1, 2, 2))  # predictions still, with the note
    assert result.maps == () and "no convolutional layer" in result.notes[0]
    assert result.prediction is not None and len(result.prediction.classes) == 2
    with pytest.raises(ValueError, match="no module 'nope'"):
        feature_maps(lenet(), torch.rand(1, 28, 28), layers=["nope"])
    with pytest.raises(ValueError, match="does not take an input of shape"):
        feature_maps(lenet(), torch.rand(3, 20, 20))


def test_inspect_input_top_k_matches_softmax():
    net = lenet()
    x = torch.rand(1, 28, 28)
    result = inspect_input(net, x, k=3, class_names=[f"c{i}" for i in range(10)])
    with torch.no_grad():
        probs = torch.softmax(net.eval()(x[None]), 1)[0]
    values, idx = probs.topk(3)
    assert result.prediction.classes == tuple(idx.tolist())
    np.testing.assert_allclose(result.prediction.probs, values.numpy(), rtol=1e-5)
    assert result.prediction.names[0] == f"c{idx[0]}"


def test_fit_input_resizes_and_greyscales_with_notes():
    rgb = np.zeros((30, 40, 3), np.uint8)
    rgb[..., 0] = 255
    x, notes = fit_input(rgb, (1, 28, 28))
    assert tuple(x.shape) == (1, 28, 28)
    assert any("greyscale" in n for n in notes) and any("40×30" in n for n in notes)
    np.testing.assert_allclose(float(x.mean()), 0.299, atol=0.01)  # ITU-R 601 red weight
    x, notes = fit_input(np.zeros((28, 28), np.uint8), (3, 28, 28))
    assert tuple(x.shape) == (3, 28, 28) and "repeated" in notes[0]
    x, notes = fit_input(np.zeros((28, 28, 3), np.uint8), (3, 28, 28))
    assert notes == []
    with pytest.raises(ValueError, match="not images"):
        fit_input(rgb, (2,))


def test_feature_map_hook_refreshes_on_request_during_a_run():
    from engine.models import ModelRef
    from engine.training import RunConfig, run

    x = torch.rand(1, 28, 28)
    hook = FeatureMapHook(x, k=2)
    hook.request()
    cfg = RunConfig(model=ModelRef.preset("lenet"), dataset="procedural-shapes", n_train=64,
                    n_test=16, batch_size=16, num_epochs=1, lr=0.5, device="cpu")
    events = list(run(cfg, hooks=[hook]))
    shots = [e for e in events if type(e).__name__ == "Inspection"]
    assert len(shots) == 1 and shots[0].step == 1 and shots[0].epoch == 1
    assert [m.shape for m in shots[0].maps] == [(6, 28, 28), (16, 10, 10)]
    live = [e for e in events if type(e).__name__ == "LiveNetwork"]
    assert len(live) == 1 and live[0].input_shape == (1, 28, 28) and live[0].name == "lenet"
    wrong = FeatureMapHook(torch.rand(3, 40, 40))  # another shape: a note, training goes on
    wrong.request()
    events = list(run(cfg, hooks=[wrong]))
    shot = next(e for e in events if type(e).__name__ == "Inspection")
    assert shot.maps == () and "does not take an input" in shot.notes[0]
    assert type(events[-1]).__name__ == "Finished"


# -- attributions -------------------------------------------------------------------------
def test_saliency_is_the_input_gradient():
    net = tiny_cnn()
    x = torch.rand(1, 6, 6)
    result = attribute(net, x, method="saliency", target=2)
    xr = x[None].clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(net(xr)[0, 2], xr)
    assert result.values.shape == tuple(x.shape) and result.heat.shape == (6, 6)
    np.testing.assert_allclose(result.values, grad.abs()[0].numpy(), rtol=1e-5, atol=1e-7)


def test_integrated_gradients_linear_net_is_exact_and_matches_captum():
    from captum.attr import IntegratedGradients

    torch.manual_seed(1)
    linear = nn.Sequential(nn.Flatten(), nn.Linear(2 * 3 * 3, 4))
    x = torch.rand(2, 3, 3)
    result = attribute(linear, x, method="integrated-gradients", target=1, steps=8)
    expected = (x * linear[1].weight[1].reshape(2, 3, 3)).detach()  # (x - 0) * w
    np.testing.assert_allclose(result.values, expected.numpy(), rtol=1e-4, atol=1e-6)
    net = tiny_cnn().eval()
    x = torch.rand(1, 6, 6)
    result = attribute(net, x, method="integrated-gradients", target=0, steps=16)
    ref = IntegratedGradients(net).attribute(x[None], baselines=torch.zeros(1, 1, 6, 6),
                                             target=0, n_steps=16)
    np.testing.assert_allclose(result.values, ref[0].detach().numpy(), rtol=1e-5, atol=1e-7)
    with torch.no_grad():  # completeness: sum of attributions = f(x) - f(baseline)
        gap = float(net(x[None])[0, 0] - net(torch.zeros(1, 1, 6, 6))[0, 0])
    assert abs(result.values.sum() - gap) < 0.05 * abs(gap) + 1e-3


def test_grad_cam_by_hand():
    net = tiny_cnn()
    x = torch.rand(1, 6, 6)
    result = attribute(net, x, method="grad-cam", target=1)
    A = net[0](x[None])
    (grad,) = torch.autograd.grad(net[1:](A)[0, 1], A)
    alpha = grad.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((alpha * A).sum(1))[0].detach()
    assert result.layer == "0" and result.values.shape == (1, 6, 6)
    np.testing.assert_allclose(result.values[0], cam.numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(result.heat, cam.numpy(), rtol=1e-5, atol=1e-7)


def test_grad_cam_upsamples_to_the_input_and_attribution_leaves_no_gradients():
    net = lenet()
    x = torch.rand(1, 28, 28)
    result = attribute(net, x, method="grad-cam", layer="3")
    assert result.values.shape == (1, 28, 28) and result.layer == "3"
    assert all(p.grad is None for p in net.parameters()) and net.training
    with torch.no_grad():
        assert result.target == result.predicted == int(net.eval()(x[None]).argmax())


def test_attribution_bad_input():
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    with pytest.raises(ValueError, match="Grad-CAM needs a convolutional layer"):
        attribute(mlp, torch.rand(1, 2, 2), method="grad-cam")
    with pytest.raises(ValueError, match="not an attribution method"):
        attribute(mlp, torch.rand(1, 2, 2), method="lime")
    with pytest.raises(ValueError, match="not a class"):
        attribute(mlp, torch.rand(1, 2, 2), target=5)
    with pytest.raises(ValueError, match="not a convolution"):
        attribute(lenet(), torch.rand(1, 28, 28), method="grad-cam", layer="1")


# -- weight / gradient statistics ----------------------------------------------------------
def test_histograms_count_every_parameter_and_norms_match():
    net = lenet()
    X, y = torch.rand(8, 1, 28, 28), torch.randint(0, 10, (8,))
    F.cross_entropy(net(X), y).backward()
    stats = param_stats(net, bins=16)
    params = dict(net.named_parameters())
    assert stats.names == tuple(params)
    np.testing.assert_array_equal(stats.weight_counts.sum(1), [p.numel() for p in
                                                               params.values()])
    np.testing.assert_array_equal(stats.grad_counts.sum(1), stats.sizes)
    for i, p in enumerate(params.values()):
        assert stats.weight_norm[i] == pytest.approx(float(p.detach().double().norm()))
        assert stats.grad_norm[i] == pytest.approx(float(p.grad.double().norm()))
        lo, hi, edges = float(p.detach().min()), float(p.detach().max()), stats.weight_edges[i]
        if hi > lo:  # (constant tensors, the zero biases, get lo - 0.5 ... hi + 0.5)
            assert edges[0] == pytest.approx(lo) and edges[-1] == pytest.approx(hi)
    ref = np.histogram(params["0.weight"].detach().numpy(), bins=stats.weight_edges[0])[0]
    assert np.abs(stats.weight_counts[0] - ref).sum() <= 2  # float edge rounding only


def test_histograms_of_constant_and_non_finite_tensors():
    counts, edges = histograms([torch.zeros(5), torch.tensor([1.0, float("nan"), 3.0])], 4)
    assert counts[0].sum() == 5 and edges[0, 0] == -0.5 and edges[0, -1] == 0.5
    assert counts[1].tolist() == [1, 0, 0, 1]


def test_weight_stats_hook_samples_at_its_rate_in_a_run():
    from engine.models import ModelRef
    from engine.training import RunConfig, run

    hook = WeightStatsHook(every=3, bins=8)
    cfg = RunConfig(model=ModelRef.preset("lenet"), dataset="procedural-shapes", n_train=128,
                    n_test=16, batch_size=16, num_epochs=1, lr=0.5, device="cpu")
    stats = [e for e in run(cfg, hooks=[hook]) if isinstance(e, ParamStats)]
    assert [s.global_step for s in stats] == [1, 4, 7]
    assert all(np.isfinite(s.grad_norm).all() and (s.grad_norm > 0).any() for s in stats)
    assert stats[0].layer_names() == ("0.weight", "3.weight", "7.weight", "9.weight",
                                      "11.weight")
    named = cfg.replace(hooks=("weight-stats",))  # also by name, for headless runs
    assert any(isinstance(e, ParamStats) for e in run(named))


def test_weight_stats_hook_rejects_bad_rates():
    with pytest.raises(ValueError, match="every=0"):
        WeightStatsHook(every=0)


# -- evaluation ---------------------------------------------------------------------------
def test_confusion_matrix_hand_case():
    preds = np.array([0, 1, 1, 2, 2, 2, 0])
    labels = np.array([0, 1, 2, 2, 2, 0, 0])
    cm = confusion_matrix(preds, labels, 3)
    assert cm.tolist() == [[2, 0, 1], [0, 1, 0], [0, 1, 2]] and cm.sum() == 7
    report = per_class(cm)
    np.testing.assert_allclose(report.precision, [1.0, 0.5, 2 / 3])
    np.testing.assert_allclose(report.recall, [2 / 3, 1.0, 2 / 3])
    np.testing.assert_allclose(report.f1, [0.8, 2 / 3, 2 / 3])
    assert report.support.tolist() == [3, 1, 3]
    empty = per_class(confusion_matrix([0, 0], [0, 0], 2))
    assert np.isnan(empty.precision[1]) and np.isnan(empty.recall[1])
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix([3], [0], 3)


def test_rank_by_loss_puts_the_highest_first():
    assert rank_by_loss([0.1, 2.0, 0.5, 2.0]).tolist() == [1, 3, 2, 0]


def test_evaluate_a_known_net():
    net = nn.Linear(2, 3)
    with torch.no_grad():
        net.weight.copy_(torch.eye(3, 2))
        net.bias.zero_()
    X = torch.tensor([[2.0, 0.0], [0.0, 2.0], [0.0, -1.0], [1.0, 0.5]])
    y = torch.tensor([0, 1, 1, 2])
    batches = [(X[:3], y[:3]), (X[3:], y[3:])]
    events = list(evaluate(net, batches, num_classes=3, class_names=("a", "b", "c")))
    result = events[-1]
    assert [type(e).__name__ for e in events] == ["EvalProgress", "EvalProgress", "Evaluation"]
    logits = net(X).detach()
    np.testing.assert_allclose(result.losses, F.cross_entropy(logits, y, reduction="none"),
                               rtol=1e-6)
    assert result.preds.tolist() == logits.argmax(1).tolist()
    assert result.confmat.sum() == 4 and result.ranked[0] == int(np.argmax(result.losses))
    assert result.accuracy == pytest.approx(np.mean(result.preds == y.numpy()))
    true, pred = int(y[result.ranked[0]]), int(result.preds[result.ranked[0]])
    assert result.cell(true, pred)[0] == result.ranked[0]


def test_init_experiment_shows_the_scale_of_loss_and_gradients():
    """What the two starts measurably differ in (d2l 5.4): N(0, 1) weights blow the
    initial loss far above ln 10 (saturated units, huge logits); Xavier starts at about
    ln 10 but the gradient still shrinks through the sigmoids (first / last layer)."""
    from engine.builder import build
    from engine.insight.init_experiment import init_experiment_configs, sigmoid_mlp
    from engine.training import init_weights

    configs = init_experiment_configs()
    assert [c.init for c in configs.values()] == ["normal-1", "xavier"]
    assert all(c.validate() is c for c in configs.values())
    loss, ratio = {}, {}
    for scheme in ("normal-1", "xavier"):
        torch.manual_seed(0)
        net = build(sigmoid_mlp(4))
        init_weights(net, scheme)
        X, y = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))
        value = F.cross_entropy(net(X), y)
        value.backward()
        stats = param_stats(net)
        norms = dict(zip(stats.names, stats.grad_norm, strict=True))
        layers = stats.layer_names()
        loss[scheme], ratio[scheme] = value.item(), norms[layers[0]] / norms[layers[-1]]
    assert loss["normal-1"] > 2 * math.log(10)
    assert loss["xavier"] == pytest.approx(math.log(10), rel=0.2)
    assert ratio["xavier"] < 0.05 < ratio["normal-1"]
