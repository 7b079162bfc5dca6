"""Fine-tuning (d2l 14.2): the network, its parameter groups, weights, the folder recipe."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.insight.finetune import (
    DATASET,
    finetune_config,
    finetune_model,
    finetune_param_groups,
)


def test_two_class_head_parameter_count_and_xavier_head():
    torch.manual_seed(0)
    built = finetune_model(2, weights=None)
    net = built.net
    assert sum(p.numel() for p in net.parameters()) == 11_177_538
    w = net.fc.weight.detach()
    assert tuple(w.shape) == (2, 512) and torch.count_nonzero(net.fc.bias) == 0
    bound = math.sqrt(6 / (512 + 2))  # Xavier uniform; torch's default Linear has 1/sqrt(512)
    assert float(w.abs().max()) <= bound and float(w.abs().max()) > 0.9 * bound
    assert float(w.std()) == pytest.approx(bound / math.sqrt(3), rel=0.1)
    assert "new xavier head fc" in built.weights


def test_head_lr_is_ten_times_the_body():
    from engine.training.setup import make_optimizer

    net = finetune_model(2, weights=None).net
    groups = finetune_param_groups(net, 0.01)
    assert [g["lr"] for g in groups] == [0.01, pytest.approx(0.1)]
    head = {id(p) for p in net.fc.parameters()}
    assert {id(p) for p in groups[1]["params"]} == head
    assert len(groups[0]["params"]) + 2 == len(list(net.parameters()))
    opt = make_optimizer(groups, "sgd", lr=0.01)
    assert [g["lr"] for g in opt.param_groups] == [0.01, pytest.approx(0.1)]


def _fake_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, torch.Tensor]:
    """torchvision's ImageNet ResNet-18 file in a test hub dir: same layout, our values."""
    from torchvision.models import ResNet18_Weights, resnet18

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    torch.manual_seed(3)
    state = resnet18(num_classes=1000).state_dict()
    target = tmp_path / "hub" / "checkpoints" / Path(ResNet18_Weights.DEFAULT.url).name
    target.parent.mkdir(parents=True)
    torch.save(state, target)
    return state


def test_pretrained_state_dict_in_torchvision_layout_loads(tmp_path, monkeypatch):
    state = _fake_hub(tmp_path, monkeypatch)
    built = finetune_model(2, weights="pretrained")
    net = built.net
    assert built.weights.startswith("pretrained ResNet18_Weights")
    torch.testing.assert_close(net.conv1.weight, state["conv1.weight"])
    torch.testing.assert_close(net.layer4[1].bn2.running_var, state["layer4.1.bn2.running_var"])
    assert tuple(net.fc.weight.shape) == (2, 512)  # the new head, not the file's 1000 classes
    assert float(net.fc.weight.detach().abs().max()) > 1 / math.sqrt(512)  # Xavier


def test_picked_pth_body_loads_new_head_kept_and_other_architectures_refused(tmp_path):
    from torchvision.models import resnet18

    torch.manual_seed(4)
    imagenet = resnet18(num_classes=1000).state_dict()
    path = tmp_path / "resnet18.pth"
    torch.save(imagenet, path)
    built = finetune_model(2, weights=str(path))
    torch.testing.assert_close(built.net.layer1[0].conv1.weight, imagenet["layer1.0.conv1.weight"])
    assert tuple(built.net.fc.weight.shape) == (2, 512)
    assert "new head kept" in built.weights
    other = tmp_path / "lenet.pth"
    from engine.builder import build, preset

    torch.save(build(preset("lenet")).state_dict(), other)
    with pytest.raises(ValueError, match="does not fit this network"):
        finetune_model(2, weights=str(other))


def test_no_weights_says_so_and_trains_from_scratch(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "empty-hub"))
    built = finetune_model(2, weights="pretrained")
    assert built.weights.startswith("random init — pretrained")
    assert "cache" in built.weights and "downloads are off" in built.weights
    with pytest.raises(ValueError, match="at least 2 classes"):
        finetune_model(1)


def _folder(root: Path, classes: tuple[str, ...], n: int = 3) -> Path:
    rng = np.random.default_rng(0)
    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(n):
            size = (40 + 7 * i, 30 + 5 * i)
            Image.fromarray(rng.integers(0, 255, (*size[::-1], 3), dtype=np.uint8)).save(
                root / c / f"{i}.png")
    return root


def test_finetune_config_validates_and_uses_the_core_groups(tmp_path):
    cfg = finetune_config(tmp_path).validate()
    assert cfg.dataset == DATASET and cfg.param_groups == ({"prefix": "fc.", "lr_mult": 10.0},)
    assert cfg.model.options["head_init"] == "xavier" and cfg.model.weights == "pretrained"
    assert cfg.weight_decay == 0.001 and cfg.lr == 5e-5
    scratch = finetune_config(tmp_path, scratch=True)
    assert scratch.model.weights is None and scratch.param_groups == ()
    assert scratch.lr == pytest.approx(5e-4)
    from engine.training.config import RunConfig

    assert RunConfig.from_json(cfg.to_json()) == cfg


def test_book_transforms_on_an_image_folder(tmp_path):
    from engine.data import load_dataset

    root = _folder(tmp_path / "imgs", ("hotdog", "not-hotdog"), n=5)
    bundle = load_dataset(DATASET, batch_size=4, root=root, seed=0)
    assert bundle.input_shape == (3, 224, 224) and bundle.class_names == ("hotdog",
                                                                          "not-hotdog")
    assert bundle.n_train + bundle.n_test == 10 and bundle.n_test == 2
    X, y = next(iter(bundle.test))
    assert tuple(X.shape) == (2, 3, 224, 224)
    # ImageNet normalisation: uniform noise in [0, 1] has mean about (0.5 - mean) / std
    assert float(X[:, 0].mean()) == pytest.approx((0.5 - 0.485) / 0.229, abs=0.15)
    Xt, _ = next(iter(bundle.train))
    assert tuple(Xt.shape[1:]) == (3, 224, 224)


def test_bad_fine_tuning_folders_give_messages(tmp_path):
    from engine.data import load_dataset

    one = _folder(tmp_path / "one", ("hotdog",))
    with pytest.raises(ValueError, match="needs at least 2"):
        load_dataset(DATASET, batch_size=4, root=one)
    bad = _folder(tmp_path / "bad", ("a", "b"), n=2)
    (bad / "a" / "broken.png").write_bytes(b"not a png at all")
    bundle = load_dataset(DATASET, batch_size=8, root=bad, test_fraction=0.4)
    assert "skipped 1 unreadable file" in bundle.source and "broken.png" in bundle.source
    assert bundle.n_train + bundle.n_test == 4  # the readable ones
    for X, _ in bundle.train:
        assert tuple(X.shape[1:]) == (3, 224, 224)


def test_pretrained_status_follows_the_cache(tmp_path, monkeypatch):
    from engine.insight.finetune import pretrained_status

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "none"))
    ok, text = pretrained_status()
    assert not ok and "not in torchvision's cache" in text
    _fake_hub(tmp_path, monkeypatch)
    ok, text = pretrained_status()
    assert ok and "found" in text
