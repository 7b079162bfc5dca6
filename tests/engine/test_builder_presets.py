"""Every preset builds, runs, and its analytic summary equals the real module (hooks)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from engine.builder import build, list_presets, preset, summarize

PRESETS = list_presets()


def hooked_shapes(net: nn.Module, X: torch.Tensor) -> tuple[dict[str, list], torch.Tensor]:
    """Output shapes of every submodule by path, from forward hooks (eval, no grad)."""
    shapes: dict[str, list] = {}
    handles = []
    for path, module in net.named_modules():
        if path:
            handles.append(module.register_forward_hook(
                lambda m, i, o, path=path: shapes.setdefault(path, []).append(tuple(o.shape))))
    net.eval()
    with torch.no_grad():
        y = net(X)
    for h in handles:
        h.remove()
    return shapes, y


@pytest.mark.parametrize("name", PRESETS)
def test_preset_builds_runs_and_summary_matches_module(name: str) -> None:
    spec = preset(name)
    torch.manual_seed(0)
    net = build(spec)
    s = summarize(spec)
    assert s.error is None
    shapes, y = hooked_shapes(net, torch.randn(spec.input_shape))
    assert tuple(y.shape) == s.output_shape
    # every row's shape equals the real module's output, top-level and inside blocks
    for row in s.rows:
        assert shapes[row.path] == [row.output_shape], (name, row.path)
    # every leaf module of the real net is a row of the summary
    leaves = {p for p, m in net.named_modules() if p and not list(m.children())}
    assert leaves <= {r.path for r in s.rows}
    # parameter counts, per top-level entry and in total
    assert s.total_params == sum(p.numel() for p in net.parameters())
    assert s.trainable_params == s.total_params and s.frozen_params == 0
    for row in s.rows:
        module = net.get_submodule(row.path)
        assert row.params == sum(p.numel() for p in module.parameters()), (name, row.path)
    assert len(net) == len(spec.layers) == len(s.layers)


def test_preset_names_and_contract() -> None:
    assert {"linear-regression", "softmax-regression", "mlp", "mlp-dropout", "lenet",
            "lenet-bn", "alexnet", "vgg-11", "nin", "googlenet", "resnet-18", "densenet",
            "darknet-53"} <= set(PRESETS)
    for name in PRESETS:
        spec = preset(name)
        assert spec.name == name
        td = spec.train_defaults
        assert {"lr", "batch_size", "num_epochs", "dataset", "resize", "loss"} <= set(td)
        out = summarize(spec).output_shape
        want = {"linear-regression": (1, 1), "playground-mlp": (1, 2)}.get(name, (1, 10))
        assert out == want
    lr = preset("linear-regression")
    assert lr.input_shape == (1, 2)
    assert dict(lr.train_defaults) == {"lr": 0.03, "batch_size": 10, "num_epochs": 3,
                                       "dataset": "synthetic-linear", "resize": None,
                                       "loss": "mse"}
    assert preset("darknet-53").input_shape == (1, 3, 256, 256)
    assert preset("alexnet").train_defaults["resize"] == 224
    assert preset("resnet-18").train_defaults["resize"] == 96
    assert preset("googlenet").input_shape == (1, 1, 96, 96)


def test_playground_mlp_learns_circles_with_its_own_recipe() -> None:
    from engine.data import load_dataset
    from engine.training import EpochEnd, train

    spec = preset("playground-mlp")
    td = spec.train_defaults
    assert spec.input_shape == (1, 2) and td["dataset"] == "circles"
    assert (td["lr"], td["batch_size"]) == (0.03, 10)  # TensorFlow Playground's defaults
    assert [e.type for e in spec.layers] == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    torch.manual_seed(0)
    bundle = load_dataset(td["dataset"], batch_size=td["batch_size"], seed=0)
    events = train(build(spec), bundle, num_epochs=td["num_epochs"], lr=td["lr"],
                   init=spec.init, device="cpu", seed=0)
    last = [e for e in events if isinstance(e, EpochEnd)][-1]
    assert last.test_acc > 0.9


def test_unknown_preset_names_the_choices() -> None:
    with pytest.raises(ValueError, match="unknown preset 'lenet5'.*lenet"):
        preset("lenet5")


def test_lenet_book_shapes_and_params() -> None:
    s = summarize(preset("lenet"))
    assert s.total_params == 61_706
    shapes = [r.output_shape[1:] for r in s.layers if r.type in
              ("Conv2d", "AvgPool2d", "Flatten", "Linear")]
    assert shapes == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (400,), (120,),
                      (84,), (10,)]
    assert [r.params for r in s.layers if r.params] == [156, 2416, 48120, 10164, 850]


def test_lenet_matches_book_code_weight_for_weight() -> None:
    """Same seed, default init: build(lenet) equals the book's nn.Sequential exactly."""
    spec = preset("lenet").__class__.from_dict({**preset("lenet").to_dict(), "init": "default"})
    torch.manual_seed(0)
    ours = build(spec)
    torch.manual_seed(0)
    book = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))
    assert str(ours) == str(book)
    pairs = zip(ours.state_dict().items(), book.state_dict().items(), strict=True)
    for (k1, a), (k2, b) in pairs:
        assert k1 == k2 and torch.equal(a, b)


def test_book_reference_sizes() -> None:
    """Sizes the book writes by hand: AlexNet's Linear(6400, ...), VGG's 512 * 7 * 7,
    ResNet's last stage 512x3x3 at 96x96, DenseNet's 248 channels, NiN's printed shapes."""
    alexnet = summarize(preset("alexnet"))
    assert next(r for r in alexnet.layers if r.type == "Linear").arguments["in_features"] == 6400
    vgg = summarize(preset("vgg-11"))
    assert next(r for r in vgg.layers if r.type == "Linear").arguments["in_features"] == 25088
    s = summarize(preset("resnet-18"))
    assert [r.output_shape for r in s.layers][-5:-3] == [(1, 512, 3, 3), (1, 512, 3, 3)]
    dense = summarize(preset("densenet"))
    assert dense.layers[-1].arguments["in_features"] == 248  # book: num_channels = 248
    nin = summarize(preset("nin"))
    assert [r.output_shape for r in nin.layers][:3] == [(1, 96, 54, 54), (1, 96, 26, 26),
                                                         (1, 256, 26, 26)]
