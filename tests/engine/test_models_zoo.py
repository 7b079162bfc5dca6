"""engine.models: ModelRef round trip, zoo builds, pretrained weights from the cache."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.models import ModelRef
from engine.models.zoo import ZOO, build_model, check_state_dict


def test_model_ref_round_trip_and_errors() -> None:
    ref = ModelRef.zoo("resnet18", weights="pretrained", num_classes=5)
    assert ModelRef.from_dict(ref.to_dict()) == ref
    with pytest.raises(ValueError, match=r"model\.kind='torchhub'"):
        ModelRef.from_dict({"kind": "torchhub", "name": "x"})
    with pytest.raises(ValueError, match=r"model\.spec must be a network spec"):
        ModelRef.from_dict({"kind": "spec"})


def test_zoo_entries_build_for_the_data() -> None:
    net = build_model(ModelRef.zoo("resnet18"), input_shape=(1, 28, 28), num_classes=7).net
    assert net.fc.out_features == 7 and net.conv1.in_channels == 1
    assert net(torch.rand(2, 1, 28, 28)).shape == (2, 7)
    fcn = build_model(ModelRef.zoo("toy-fcn", hidden=4), input_shape=(1, 16, 16),
                      num_classes=3).net
    assert fcn(torch.rand(2, 1, 16, 16)).shape == (2, 3, 16, 16)
    anchors, cls, bbox = build_model(ModelRef.zoo("toy-ssd"), input_shape=(1, 32, 32),
                                     num_classes=1).net(torch.rand(2, 1, 32, 32))
    assert cls.shape == (2, anchors.shape[1], 2) and bbox.shape == (2, anchors.shape[1] * 4)
    with pytest.raises(ValueError, match="unknown option 'depth'"):
        build_model(ModelRef.zoo("toy-fcn", depth=3), input_shape=(1, 8, 8), num_classes=2)
    assert set(ZOO) >= {"resnet18", "toy-fcn", "toy-ssd"}


def test_pretrained_weights_come_from_torchvisions_cache_and_the_head_is_new(
        tmp_path: Path, monkeypatch) -> None:
    from torchvision.models import ResNet18_Weights, resnet18

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    ref = ModelRef.zoo("resnet18", weights="pretrained")
    offline = build_model(ref, input_shape=(3, 32, 32), num_classes=10)
    assert offline.weights.startswith("random init — pretrained ResNet18_Weights.DEFAULT is "
                                      "not in torchvision's cache")
    torch.manual_seed(1)
    imagenet = resnet18(weights=None).state_dict()
    cache = tmp_path / "checkpoints" / Path(ResNet18_Weights.DEFAULT.url).name
    cache.parent.mkdir()
    torch.save(imagenet, cache)
    built = build_model(ref, input_shape=(3, 32, 32), num_classes=10)
    assert built.weights.startswith("pretrained ResNet18_Weights.IMAGENET1K_V1")
    assert "fc.weight" in built.weights  # the 10-class head could not take ImageNet's
    state = built.net.state_dict()
    assert torch.equal(state["layer1.0.conv1.weight"], imagenet["layer1.0.conv1.weight"])
    assert state["fc.weight"].shape == (10, 512)


def test_check_state_dict_names_the_first_problem() -> None:
    net = torch.nn.Sequential(torch.nn.Linear(2, 3))
    with pytest.raises(ValueError, match="no tensor '0.bias'"):
        check_state_dict(net, {"0.weight": torch.zeros(3, 2)}, source="f")
    with pytest.raises(ValueError, match="unexpected tensor 'extra'"):
        check_state_dict(net, {**net.state_dict(), "extra": torch.zeros(1)}, source="f")
