"""Segmentation data, the book's FCN, prediction and a short training run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchmetrics.classification import MulticlassJaccardIndex

from engine.data import load_dataset
from engine.models.ref import ModelRef
from engine.models.zoo import build_model
from engine.segmentation import (
    SCENE_CLASSES,
    VOC_COLORMAP,
    bilinear_kernel,
    fcn,
    make_scenes,
    predict,
)
from engine.training import run
from engine.training.config import RunConfig
from engine.training.events import EpochEnd, Finished
from engine.training.task import PixelClassificationTask


# -- procedural scenes -----------------------------------------------------------------------
def test_scenes_deterministic_per_seed_and_all_classes() -> None:
    X, y = make_scenes(64, size=32, seed=3)
    X2, y2 = make_scenes(64, size=32, seed=3)
    assert X.shape == (64, 3, 32, 32) and X.dtype == torch.uint8 and y.shape == (64, 32, 32)
    assert torch.equal(X, X2) and torch.equal(y, y2)
    assert not torch.equal(make_scenes(64, size=32, seed=4)[1], y)
    assert set(y.unique().tolist()) == set(range(len(SCENE_CLASSES)))
    with pytest.raises(ValueError, match="size"):
        make_scenes(2, size=4)


def test_scene_masks_align_with_their_images() -> None:
    # Object borders are colour edges: the image's edges match the mask's edges best
    # with no shift at all.
    X, y = make_scenes(32, size=64, objects=(3, 4), seed=0)
    img = X.float()
    edges = (img[..., :, 1:] - img[..., :, :-1]).abs().sum(1)  # [n, H, W-1]
    mask_edges = (y[..., :, 1:] != y[..., :, :-1]).float()
    score = {}
    for shift in (-2, -1, 0, 1, 2):
        m = torch.roll(mask_edges, shift, dims=-1)
        score[shift] = float((edges * m).sum() / m.sum())
    assert max(score, key=score.get) == 0
    assert score[0] > 1.5 * max(score[-2], score[2])


def test_procedural_scenes_registered_normalised() -> None:
    b = load_dataset("procedural-scenes", batch_size=4, n_train=8, n_test=4, size=32)
    X, y = next(iter(b.train))
    assert b.task == "segmentation" and b.input_shape == (3, 32, 32) and b.num_classes == 5
    assert X.shape == (4, 3, 32, 32) and y.shape == (4, 32, 32) and y.dtype == torch.long
    assert X.min() < -0.5 and X.max() > 1.0  # ImageNet-normalised after scaling to [0, 1]
    assert b.class_names == SCENE_CLASSES
    with pytest.raises(ValueError, match="multiple of 8"):
        load_dataset("procedural-scenes", batch_size=4, size=30)


# -- VOC from a tiny folder ------------------------------------------------------------------
def _palette_png(path: Path, labels: np.ndarray) -> None:
    im = Image.fromarray(labels.astype(np.uint8), mode="P")
    palette = [c for rgb in VOC_COLORMAP for c in rgb]
    im.putpalette(palette + [0] * (768 - len(palette)))
    im.save(path)


def _voc(root: Path, train=("a", "b"), val=("c",), size=(20, 24)) -> Path:
    voc = root / "VOCdevkit" / "VOC2012"
    for sub in ("ImageSets/Segmentation", "JPEGImages", "SegmentationClass"):
        (voc / sub).mkdir(parents=True, exist_ok=True)
    (voc / "ImageSets/Segmentation/train.txt").write_text("\n".join(train) + "\n")
    (voc / "ImageSets/Segmentation/val.txt").write_text("\n".join(val) + "\n")
    g = np.random.default_rng(0)
    for i, name in enumerate((*train, *val)):
        h, w = size
        Image.fromarray(g.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(
            voc / "JPEGImages" / f"{name}.jpg")
        labels = np.zeros((h, w), np.uint8)
        labels[2:8, 3:9] = i + 1
        labels[8, :] = 255  # a border
        _palette_png(voc / "SegmentationClass" / f"{name}.png", labels)
    return voc


def test_voc_from_folder(tmp_path: Path) -> None:
    _voc(tmp_path)
    b = load_dataset("voc2012", batch_size=2, root=tmp_path, crop_height=16, crop_width=16)
    X, y = next(iter(b.train))
    assert b.n_train == 2 and b.n_test == 1 and b.num_classes == 21
    assert X.shape == (2, 3, 16, 16) and X.dtype == torch.float32
    assert y.shape == (2, 16, 16) and set(y.unique().tolist()) <= {0, 1, 2, 255}
    Xt, yt = next(iter(b.test))
    assert (yt == 3).any() and (yt == 255).any()  # the val image's object and border


def test_voc_missing_files_named(tmp_path: Path) -> None:
    voc = _voc(tmp_path)
    (voc / "SegmentationClass" / "b.png").unlink()
    with pytest.raises(ValueError, match=r"missing SegmentationClass/b\.png") as info:
        load_dataset("voc2012", batch_size=2, root=tmp_path)
    assert "procedural-scenes" in str(info.value)
    with pytest.raises(ValueError, match="ImageSets/Segmentation/train.txt"):
        load_dataset("voc2012", batch_size=2, root=tmp_path / "empty")


def test_voc_bad_labels_named(tmp_path: Path) -> None:
    voc = _voc(tmp_path)
    labels = np.full((20, 24), 40, np.uint8)
    _palette_png(voc / "SegmentationClass" / "a.png", labels)
    b = load_dataset("voc2012", batch_size=2, root=tmp_path, crop_height=16, crop_width=16)
    with pytest.raises(ValueError, match=r"a\.png holds the value 40"):
        next(iter(b.train))
    _palette_png(voc / "SegmentationClass" / "a.png", np.zeros((10, 24), np.uint8))
    with pytest.raises(ValueError, match=r"label a\.png is 24x10 but its image a\.jpg is 24x20"):
        for _ in load_dataset("voc2012", batch_size=1, root=tmp_path, crop_height=8,
                              crop_width=8).train:
            pass


# -- the FCN -----------------------------------------------------------------------------------
def test_fcn_is_the_books_network_320x480() -> None:
    net = fcn(21)
    assert [n for n, _ in net.named_children()] == [
        "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4",
        "final_conv", "transpose_conv"]
    t = net.transpose_conv
    assert (t.kernel_size, t.stride, t.padding) == ((64, 64), (32, 32), (16, 16))
    assert torch.equal(t.weight, bilinear_kernel(21, 21, 64))
    assert net.final_conv.kernel_size == (1, 1) and net.final_conv.in_channels == 512
    X = torch.rand(1, 3, 320, 480)
    with torch.no_grad():
        assert net.body(X).shape == (1, 512, 10, 15)
        assert net(X).shape == (1, 21, 320, 480)
    assert net.weights_source == "random init"


def test_fcn_light_setting_and_zoo(tmp_path: Path) -> None:
    built = build_model(ModelRef.zoo("fcn", stride=8), input_shape=(3, 64, 64), num_classes=5)
    with torch.no_grad():
        assert built.net(torch.rand(2, 3, 64, 64)).shape == (2, 5, 64, 64)
    assert "layer3" not in dict(built.net.named_children())
    offline = fcn(5, weights="pretrained", stride=8)
    assert offline.weights_source.startswith("random init") and "cache" in offline.weights_source
    other = tmp_path / "other.pth"
    torch.save(build_model(ModelRef.zoo("toy-fcn"), num_classes=5).net.state_dict(), other)
    with pytest.raises(ValueError, match="another architecture"):
        fcn(5, weights=str(other), stride=8)
    mine = tmp_path / "mine.pth"
    torch.save(built.net.state_dict(), mine)
    assert fcn(5, weights=str(mine), stride=8).weights_source == "loaded from mine.pth"
    with pytest.raises(ValueError, match="stride"):
        fcn(5, stride=4)


@pytest.mark.parametrize("shape", [(37, 53, 3), (64, 64, 3), (5, 200, 3)])
def test_predict_any_size(shape) -> None:
    net = fcn(5, stride=8)
    image = np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8)
    p = predict(net, image)
    assert p.labels.shape == shape[:2] and p.confidence.shape == shape[:2]
    assert p.labels.min() >= 0 and p.labels.max() < 5
    assert (p.confidence > 0).all() and (p.confidence <= 1.0 + 1e-6).all()
    assert p.notice == ""


def test_predict_large_image_said() -> None:
    net = fcn(3, stride=8)
    p = predict(net, np.zeros((100, 300, 3), np.uint8), max_side=64)
    assert p.labels.shape == (100, 300) and "scaled back" in p.notice


# -- the task ------------------------------------------------------------------------------------
def test_task_per_class_iou_against_torchmetrics_and_ignore_index() -> None:
    g = torch.Generator().manual_seed(0)
    y_hat = torch.randn(4, 3, 8, 8, generator=g)
    y = torch.randint(0, 3, (4, 8, 8), generator=g)
    y[:, 0] = 255
    task = PixelClassificationTask(3)
    meter = task.meter(torch.device("cpu"))
    meter.update(y_hat, y)
    out = meter.compute([t.double() for t in meter.state()], 4)
    ref = MulticlassJaccardIndex(3, average="none", ignore_index=255)(y_hat.argmax(1), y)
    for c in range(3):
        assert out[f"iou_{c}"] == pytest.approx(float(ref[c]), abs=1e-6)
    assert out["miou"] == pytest.approx(float(ref.mean()), abs=1e-6)
    keep = y != 255
    acc = (y_hat.argmax(1)[keep] == y[keep]).float().mean()
    assert out["pixel_acc"] == pytest.approx(float(acc))
    loss = torch.nn.functional.cross_entropy(y_hat.permute(0, 2, 3, 1)[keep], y[keep])
    assert float(task.loss(y_hat, y)) == pytest.approx(float(loss), rel=1e-5)
    assert PixelClassificationTask.per_class.key == "iou"


def test_short_run_on_procedural_scenes_learns() -> None:
    cfg = RunConfig(model=ModelRef.zoo("fcn", stride=8), dataset="procedural-scenes",
                    dataset_options={"size": 32}, n_train=64, n_test=16, num_epochs=2,
                    batch_size=16, optimizer="adam", lr=3e-3, device="cpu", seed=0)
    events = list(run(cfg))
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert isinstance(events[-1], Finished) and len(epochs) == 2
    first, last = epochs[0].metrics, epochs[-1].metrics
    assert last["train_loss"] < first["train_loss"]
    assert last["train_pixel_acc"] > first["train_pixel_acc"]
    assert last["train_miou"] > first["train_miou"]
    assert any(k.startswith("test_iou_") for k in last)


# -- torchvision's segmenters, from the cache only ---------------------------------------------
def test_torchvision_segmenters_only_from_the_cache(tmp_path, monkeypatch) -> None:
    import torchvision.models.segmentation as tvs

    from engine.segmentation.pretrained import cache_file, cached_segmenters, load_segmenter

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    assert cached_segmenters() == []
    with pytest.raises(ValueError, match="not in torchvision's cache"):
        load_segmenter("lraspp_mobilenet_v3_large")
    # a file of the right architecture in the cache (random values: no download here)
    path = cache_file("lraspp_mobilenet_v3_large")
    path.parent.mkdir(parents=True)
    net = tvs.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=21)
    torch.save(net.state_dict(), path)
    assert cached_segmenters() == ["lraspp_mobilenet_v3_large"]
    model = load_segmenter("lraspp_mobilenet_v3_large")
    assert model.class_names[1] == "aeroplane" and "from the cache" in model.source
    p = predict(model.net, np.zeros((45, 61, 3), np.uint8))
    assert p.labels.shape == (45, 61)
    torch.save({"nope": torch.zeros(1)}, path)
    with pytest.raises(ValueError, match="could not be loaded"):
        load_segmenter("lraspp_mobilenet_v3_large")


def test_viewer_checkpoint_loader_refuses_non_rgb_and_non_segmentation(tmp_path) -> None:
    from engine.segmentation.network import load_segmentation_checkpoint
    from engine.training.events import Prepared

    cfg = RunConfig(model=ModelRef.zoo("toy-fcn", hidden=4), dataset="toy-masks", n_train=8,
                    n_test=4, num_epochs=1, batch_size=4, device="cpu")
    events = list(run(cfg))
    path = tmp_path / "toy.pt"
    next(e for e in events if isinstance(e, Prepared)).model.save(path)
    with pytest.raises(ValueError, match="1-channel images"):
        load_segmentation_checkpoint(str(path))
    cfg = RunConfig(model=ModelRef.zoo("fcn", stride=8), dataset="procedural-scenes",
                    dataset_options={"size": 32}, n_train=4, n_test=4, num_epochs=1,
                    batch_size=4, device="cpu")
    events = list(run(cfg))
    good = tmp_path / "fcn.pt"
    next(e for e in events if isinstance(e, Prepared)).model.save(good, history=events[-1].history)
    model = load_segmentation_checkpoint(str(good))
    assert model.class_names == SCENE_CLASSES and not model.net.training
    assert "procedural-scenes, 1 epoch)" in model.source


def test_class_argmax_equals_argmax_including_ties() -> None:
    from engine.training.task import class_argmax

    g = torch.Generator().manual_seed(0)
    logits = torch.randint(0, 3, (2, 5, 7, 9), generator=g).float()  # many ties
    assert torch.equal(class_argmax(logits), logits.argmax(dim=1))
    logits = torch.randn(3, 21, 8, 6, generator=g)
    assert torch.equal(class_argmax(logits), logits.argmax(dim=1))


def test_predict_matches_softmax_over_classes() -> None:
    torch.manual_seed(0)
    net = fcn(5, stride=8)
    image = np.random.default_rng(1).integers(0, 255, (40, 48, 3), dtype=np.uint8)
    p = predict(net, image)
    from engine.segmentation import normalize_image

    assert net.training  # predict put it back as it was
    net.eval()
    with torch.no_grad():
        probs = torch.softmax(net(normalize_image(torch.from_numpy(image).permute(2, 0, 1))[None]),
                              dim=1)[0]
    conf, labels = probs.max(dim=0)
    assert np.array_equal(p.labels, labels.numpy())
    np.testing.assert_allclose(p.confidence, conf.numpy(), rtol=1e-5, atol=1e-6)
