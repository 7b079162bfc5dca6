"""VGG-19 feature extraction and the three weight sources (no network, ever)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import engine.style.weights as weights_mod
from engine.style import (
    BOOK_CONTENT_LAYERS,
    BOOK_STYLE_LAYERS,
    NUM_LAYERS,
    expected_shapes,
    extract_features,
    layer_name,
    load_features_file,
    load_imagenet_features,
    load_style_net,
    postprocess,
    preprocess,
    untrained_features,
    vgg19_features,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def book_net():
    return untrained_features(num_layers=29).net  # up to conv5_1, the book's deepest


def test_layout_is_torchvisions_vgg19_features():
    from torchvision.models.vgg import cfgs, make_layers

    with torch.device("meta"):  # shapes and types only: no 80 MB of initialisation
        reference = make_layers(cfgs["E"])  # what torchvision.models.vgg19().features is
        ours = vgg19_features()
    assert len(ours) == len(reference) == NUM_LAYERS
    assert [type(m) for m in ours] == [type(m) for m in reference]
    assert {k: tuple(v.shape) for k, v in reference.state_dict().items()} == expected_shapes()
    assert layer_name(0) == "conv1_1" and layer_name(25) == "conv4_4" \
        and layer_name(28) == "conv5_1" and layer_name(36) == "pool5"


def test_extract_features_returns_the_chosen_layers(book_net):
    X = torch.randn(1, 3, 32, 48)
    contents, styles = extract_features(X, BOOK_CONTENT_LAYERS, BOOK_STYLE_LAYERS, net=book_net)
    assert [tuple(Y.shape) for Y in contents] == [(1, 512, 4, 6)]
    assert [tuple(Y.shape) for Y in styles] == [(1, 64, 32, 48), (1, 128, 16, 24),
                                               (1, 256, 8, 12), (1, 512, 4, 6),
                                               (1, 512, 2, 3)]
    # the same values as the book's loop over the same (truncated) net; as there, a
    # convolution's output is read after the in-place ReLU that follows it
    book_contents, book_styles = [], []
    Y = X.clone()
    for i in range(len(book_net)):
        Y = book_net[i](Y)
        if i in BOOK_STYLE_LAYERS:
            book_styles.append(Y)
        if i in BOOK_CONTENT_LAYERS:
            book_contents.append(Y)
    torch.testing.assert_close(contents[0], book_contents[0])
    for ours, book in zip(styles, book_styles, strict=True):
        torch.testing.assert_close(ours, book)


def test_extract_features_runs_no_layer_past_the_deepest(book_net):
    ran = []
    hooks = [m.register_forward_hook(lambda mod, i, o, k=k: ran.append(k))
             for k, m in enumerate(book_net)]
    try:
        extract_features(torch.randn(1, 3, 16, 16), [7], [0, 5], net=book_net)
    finally:
        for h in hooks:
            h.remove()
    assert ran == list(range(8))
    with pytest.raises(ValueError, match="0–28"):
        extract_features(torch.randn(1, 3, 16, 16), [30], [], net=book_net)


def test_untrained_net_is_frozen_deterministic_and_labelled():
    a, b = untrained_features(num_layers=3), untrained_features(num_layers=3)
    assert a.approximate and "approximate" in a.label and a.source == "untrained"
    assert not a.net.training
    assert not any(p.requires_grad for p in a.net.parameters())
    torch.testing.assert_close(a.net[0].weight, b.net[0].weight)


def test_preprocess_postprocess_round_trip():
    img = np.random.default_rng(0).integers(0, 256, (10, 14, 3), dtype=np.uint8)
    X = preprocess(img, (10, 14))
    assert X.shape == (1, 3, 10, 14)
    assert abs(float(X[0, 0].mean()) - (img[..., 0].mean() / 255 - 0.485) / 0.229) < 1e-3
    np.testing.assert_array_equal(postprocess(X), img)
    assert preprocess(img[..., 0], (5, 7)).shape == (1, 3, 5, 7)  # gray, resized
    assert postprocess(X * 100).max() == 255  # clamped


# ------------------------------------------------------------------ weights
def _vgg_state(prefix="features."):
    """A state dict in torchvision's layout: zeros, with two tensors to recognise."""
    state = {prefix + k: torch.zeros(shape) for k, shape in expected_shapes().items()}
    g = torch.Generator().manual_seed(3)
    for key in ("2.weight", "5.weight"):
        state[prefix + key] = torch.randn(state[prefix + key].shape, generator=g)
    return state


@pytest.fixture(scope="module")
def vgg_state():
    return _vgg_state()


def test_state_dict_in_torchvision_layout_loads(tmp_path, vgg_state):
    state = dict(vgg_state)
    state["classifier.0.weight"] = torch.zeros(2, 2)  # the rest of a whole vgg19 file
    path = tmp_path / "vgg19.pth"
    torch.save(state, path)
    net = load_features_file(path, num_layers=6)
    assert net.source == "file" and not net.approximate and "vgg19.pth" in net.label
    torch.testing.assert_close(net.net[5].weight, vgg_state["features.5.weight"])
    assert not any(p.requires_grad for p in net.net.parameters())


def test_wrong_shaped_state_dict_is_refused_naming_the_tensor(tmp_path, vgg_state):
    state = dict(vgg_state)
    state["features.10.weight"] = torch.zeros(256, 64, 3, 3)
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(ValueError, match=r"'features\.10\.weight' has shape \(256, 64, 3, 3\)"):
        load_features_file(tmp_path / "bad.pth")


def test_other_network_and_truncated_files_are_refused(tmp_path, vgg_state):
    torch.save({"conv1.weight": torch.zeros(64, 3, 7, 7)}, tmp_path / "resnet.pth")
    with pytest.raises(ValueError, match=r"'features\.0\.weight' \(64, 3, 3, 3\) is missing"):
        load_features_file(tmp_path / "resnet.pth")
    torch.save(vgg_state, tmp_path / "full.pth")
    data = (tmp_path / "full.pth").read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a readable PyTorch weights file"):
        load_features_file(tmp_path / "cut.pth")
    torch.save([1, 2], tmp_path / "list.pth")
    with pytest.raises(ValueError, match="not a state dict"):
        load_features_file(tmp_path / "list.pth")


@pytest.fixture
def empty_hub(tmp_path, monkeypatch):
    """A torch hub folder with nothing cached, and a download that fails the test."""
    old = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / "hub"))
    calls = []

    def no_network(url, *args, **kwargs):
        calls.append((url, kwargs))
        raise AssertionError("tried to download " + url)

    import torchvision.models._api as api
    monkeypatch.setattr(api, "load_state_dict_from_url", no_network)
    yield calls
    torch.hub.set_dir(old)


def test_imagenet_not_cached_is_refused_without_downloading(empty_hub):
    with pytest.raises(ValueError, match="not in torchvision's cache"):
        load_imagenet_features()
    fallback = load_style_net("auto", num_layers=3)
    assert fallback.approximate and "not in torchvision's cache" in fallback.notice
    assert empty_hub == []


def test_cache_path_is_the_one_torchvision_uses():
    from torchvision.models import VGG19_Weights

    assert VGG19_Weights.IMAGENET1K_V1.url == weights_mod.IMAGENET_URL
    assert weights_mod.imagenet_cache_path() == (
        Path(torch.hub.get_dir()) / "checkpoints" / "vgg19-dcbb9e9d.pth")


def test_imagenet_from_the_cache_uses_torchvisions_api(empty_hub, monkeypatch):
    path = weights_mod.imagenet_cache_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"placeholder")  # what "cached" means to torchvision: the file is there
    state = _vgg_state()
    calls = []

    def from_cache(url, *args, **kwargs):
        calls.append((url, kwargs))
        return state

    import torchvision.models._api as api
    monkeypatch.setattr(api, "load_state_dict_from_url", from_cache)
    net = load_style_net("auto", num_layers=3)
    assert net.source == "imagenet" and not net.approximate and "cache" in net.label
    assert calls[0][0].endswith(path.name) and calls[0][1].get("weights_only") is True
    torch.testing.assert_close(net.net[2].weight, state["features.2.weight"])
