"""TinySSD (d2l 14.7): shapes as the book prints them, the book's code as oracle, the
loss by hand, predictions, the detection task's mAP and a short training run."""

from __future__ import annotations

import math

import d2l_ssd_reference as book
import numpy as np
import pytest
import torch

from engine.data.core import TensorBatchDataset, make_loader
from engine.detection import box_iou, multibox_target
from engine.detection.ssd import (
    NUM_ANCHORS,
    TinySSD,
    bbox_eval,
    calc_loss,
    cls_eval,
    feature_map_sizes,
    filter_predictions,
    predict,
    prepare_image,
    raw_predictions,
)
from engine.models import ModelRef
from engine.models.zoo import build_model, load_weights_file
from engine.training import train
from engine.training.events import EpochEnd, Finished
from engine.training.task import AnchorBoxTask, make_task


def test_book_shapes_anchors_and_parameter_count() -> None:
    net = TinySSD(num_classes=1).to("meta")  # shapes without the arithmetic
    anchors, cls_preds, bbox_preds = net(torch.zeros((32, 3, 256, 256), device="meta"))
    assert tuple(anchors.shape) == (1, 5444, 4)
    assert tuple(cls_preds.shape) == (32, 5444, 2)
    assert tuple(bbox_preds.shape) == (32, 21776)
    assert feature_map_sizes(256) == [32, 16, 8, 4, 1]
    assert sum(s * s * NUM_ANCHORS for s in feature_map_sizes(256)) == 5444
    assert sum(p.numel() for p in TinySSD(num_classes=1).parameters()) == 1_010_376


def test_feature_maps_are_those_the_blocks_make() -> None:
    net = TinySSD(1).to("meta")
    X = torch.zeros((1, 3, 256, 256), device="meta")
    sides = []
    for i in range(5):
        X = getattr(net, f"blk_{i}")(X)
        sides.append(X.shape[-1])
    assert sides == feature_map_sizes(256)


def test_outputs_equal_the_books_code_with_its_weights() -> None:
    torch.manual_seed(3)
    theirs = book.TinySSD(num_classes=2)
    ours = TinySSD(num_classes=2)
    ours.load_state_dict(theirs.state_dict())  # the book's names load as they are
    X = torch.rand(2, 3, 128, 128)
    theirs.eval()
    ours.eval()
    with torch.no_grad():
        for a, b in zip(ours(X), theirs(X), strict=True):
            torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_calc_loss_against_a_hand_computation() -> None:
    # two anchors, one class: logits (0, 0) for background and (ln 3, 0) for the banana
    cls_preds = torch.tensor([[[0.0, 0.0], [math.log(3.0), 0.0]]])
    cls_labels = torch.tensor([[0, 1]])
    bbox_preds = torch.tensor([[1.0, 2.0, 3.0, 4.0, 9.0, 9.0, 9.0, 9.0]])
    bbox_labels = torch.tensor([[0.0, 2.0, 3.0, 7.0, 0.0, 0.0, 0.0, 0.0]])
    bbox_masks = torch.tensor([[1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]])
    # cross-entropy: ln 2 (uniform) and ln 4 (p = 1/4), mean 1.5 ln 2;
    # masked L1: |1 - 0| + |4 - 7| = 4 over 8 offsets = 0.5
    loss = calc_loss(cls_preds, cls_labels, bbox_preds, bbox_labels, bbox_masks)
    assert loss.item() == pytest.approx(1.5 * math.log(2) + 0.5, rel=1e-6)
    assert loss.item() == pytest.approx(book.calc_loss(cls_preds, cls_labels, bbox_preds,
                                                       bbox_labels, bbox_masks).item())
    assert cls_eval(cls_preds, cls_labels) == 1.0  # anchor 0 right, anchor 1 wrong
    assert bbox_eval(bbox_preds, bbox_labels, bbox_masks) == 4.0


def test_task_loss_is_the_books_mean_calc_loss() -> None:
    torch.manual_seed(0)
    net = TinySSD(1)
    X = torch.rand(3, 3, 64, 64)
    y = torch.tensor([[[0, 0.1, 0.1, 0.5, 0.6]], [[0, 0.3, 0.2, 0.9, 0.7]],
                      [[0, 0.0, 0.5, 0.4, 1.0]]])
    out = net(X)
    task = AnchorBoxTask()
    labels = book.book_multibox_target(out[0], y)
    expected = book.calc_loss(out[1], labels[2], out[2], labels[0], labels[1]).mean()
    assert task.loss(out, y).item() == pytest.approx(expected.item(), rel=1e-6)


def _trained_detector(epochs: int = 10):
    from engine.data.bananas import make_bananas

    X, y = make_bananas(16, size=64, seed=5)
    ds = TensorBatchDataset(X, y)
    # trained and evaluated on the same 16 images: checks the machinery, cheaply
    loaders = (make_loader(ds, batch_size=8, shuffle=True),
               make_loader(ds, batch_size=16, shuffle=False))
    torch.manual_seed(0)
    net = TinySSD(1)
    events = list(train(net, loaders, task="detection", num_epochs=epochs, lr=0.003,
                        optimizer="adam", device="cpu"))
    return net, X, y, events


@pytest.fixture(scope="module")
def trained():
    return _trained_detector()


def test_a_short_run_lowers_class_error_and_bbox_mae_and_raises_map(trained) -> None:
    _, _, _, events = trained
    assert isinstance(events[-1], Finished)
    epochs = [e.metrics for e in events if isinstance(e, EpochEnd)]
    first, last = epochs[0], epochs[-1]
    assert {"test_class_err", "test_bbox_mae", "test_map50", "test_map"} <= last.keys()
    assert "train_map50" not in last  # mAP is a validation figure
    assert last["train_class_err"] < first["train_class_err"]
    assert last["test_bbox_mae"] < first["test_bbox_mae"]
    # 20 Adam steps on 16 images: mAP@0.5 on them climbs from 0 (0.04-0.09 in runs
    # while writing this; the curve is noisy this early)
    assert last["test_map50"] > first["test_map50"] + 0.02
    assert 0 <= last["test_map"] <= last["test_map50"] <= 1


def test_predictions_after_nms_have_no_pair_above_the_threshold(trained) -> None:
    net, X, _, _ = trained
    for thr in (0.0, 0.3, 0.5, 1.0):
        for det in predict(net, X[:4], score_threshold=0.0, nms_threshold=thr,
                           max_detections=None):
            boxes = torch.from_numpy(det.boxes)
            iou = box_iou(boxes, boxes).fill_diagonal_(0)
            assert (float(iou.max()) if iou.numel() else 0.0) <= thr + 1e-6
            assert np.all(np.diff(det.scores) <= 0)  # highest score first


def test_filtering_raw_predictions_equals_predict_and_uses_pixels(trained) -> None:
    net, X, y, _ = trained
    raws = raw_predictions(net, X[:2], image_sizes=[(640, 320), (64, 64)])
    dets = predict(net, X[:2], score_threshold=0.3, nms_threshold=0.4,
                   image_sizes=[(640, 320), (64, 64)])
    for raw, det in zip(raws, dets, strict=True):
        again = filter_predictions(raw, score_threshold=0.3, nms_threshold=0.4)
        np.testing.assert_array_equal(again.indices, det.indices)
        np.testing.assert_allclose(again.boxes, det.boxes, rtol=1e-5, atol=1e-3)
        assert len(raw) == raw.anchors.shape[0] == raw.boxes.shape[0]
    assert raws[0].image_size == (640, 320)
    # the same image's boxes, expressed in two image sizes
    wide = raw_predictions(net, X[1:2], image_sizes=[(640, 320)])[0]
    np.testing.assert_allclose(wide.boxes / [640, 320, 640, 320], raws[1].boxes / 64,
                               atol=1e-5)
    # thresholds at 0 and 1
    assert len(filter_predictions(raws[1], score_threshold=1.0, nms_threshold=1.0)) <= 1
    assert len(filter_predictions(raws[1], score_threshold=0.0, nms_threshold=0.0)) >= 1
    with pytest.raises(ValueError, match="score_threshold"):
        filter_predictions(raws[1], score_threshold=1.5)


def test_prepare_image_takes_any_size() -> None:
    X = prepare_image(np.zeros((37, 91, 3), dtype=np.uint8), 64)
    assert tuple(X.shape) == (1, 3, 64, 64) and X.dtype == torch.float32
    with pytest.raises(ValueError, match="RGB"):
        prepare_image(np.zeros((10, 10), dtype=np.uint8))


def test_untrained_huge_offsets_do_not_crash_prediction() -> None:
    class Wild(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(()))

        def forward(self, X):
            anchors = torch.tensor([[[0.1, 0.1, 0.4, 0.4], [0.5, 0.5, 0.9, 0.9]]])
            cls = torch.tensor([[[0.0, 1.0], [0.0, 2.0]]]).expand(len(X), -1, -1)
            bbox = torch.tensor([[1e9, float("nan"), 1e4, -1e9] * 2]).expand(len(X), -1)
            return anchors, cls, bbox

    det = predict(Wild(), torch.zeros(1, 3, 8, 8), score_threshold=0.0)[0]
    assert np.isfinite(det.boxes).all() and len(det) >= 1


def test_map_meter_perfect_and_missed_detections() -> None:
    task = make_task("detection")
    meter = task.eval_meter(torch.device("cpu"))
    anchors = torch.tensor([[[0.1, 0.1, 0.5, 0.5], [0.5, 0.5, 0.9, 0.9]]])
    # image 0: confident on anchor 0, which is the ground truth; image 1: nothing found
    cls = torch.tensor([[[-5.0, 5.0], [5.0, -5.0]], [[5.0, -5.0], [5.0, -5.0]]])
    bbox = torch.zeros(2, 8)
    y = torch.tensor([[[0, 0.1, 0.1, 0.5, 0.5]], [[0, 0.5, 0.5, 0.9, 0.9]]])
    meter.update((anchors, cls, bbox), y)
    state = [t.double() for t in meter.state()]
    figures = meter.compute(state, 2)
    # one of two ground truths found at precision 1: COCO AP = 0.5 at every IoU
    assert figures["map50"] == pytest.approx(0.5, abs=0.01)
    assert figures["map"] == pytest.approx(0.5, abs=0.01)
    # the training meter has no mAP (too costly per batch)
    assert "map50" not in task.meter(torch.device("cpu")).compute(state[:2], 2)
    assert [m.key for m in task.metrics] == ["class_err", "bbox_mae", "map50", "map"]


def test_tiny_ssd_is_a_zoo_model_and_refuses_other_weights(tmp_path) -> None:
    built = build_model(ModelRef.zoo("tiny-ssd"), input_shape=(3, 256, 256), num_classes=1)
    assert isinstance(built.net, TinySSD)
    assert sum(p.numel() for p in built.net.parameters()) == 1_010_376
    other = build_model(ModelRef.zoo("toy-ssd"), input_shape=(3, 32, 32), num_classes=1)
    path = tmp_path / "toy.pth"
    torch.save(other.net.state_dict(), path)
    with pytest.raises(ValueError, match="another architecture|does not fit"):
        load_weights_file(built.net, path)


def test_multibox_target_of_tiny_ssd_anchors_equals_the_books() -> None:
    net = TinySSD(1).to("meta")
    anchors = net(torch.zeros(1, 3, 128, 128, device="meta"))[0]
    anchors = book.book_multibox_prior(torch.zeros(16, 16), book.sizes[0], book.ratios[0])
    y = torch.tensor([[[0, 0.1, 0.2, 0.5, 0.6]], [[0, 0.4, 0.3, 0.8, 0.9]]])
    for a, b in zip(multibox_target(anchors, y), book.book_multibox_target(anchors, y),
                    strict=True):
        torch.testing.assert_close(a, b)


def test_torchvision_detectors_load_from_the_cache_only(tmp_path, monkeypatch) -> None:
    from engine.detection import ssd_pretrained

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))  # an empty cache
    status = ssd_pretrained.cached_detectors()
    assert set(status) == set(ssd_pretrained.DETECTORS)
    assert all(s.startswith("not cached") for s in status.values())
    with pytest.raises(ValueError, match="not cached"):
        ssd_pretrained.load_detector("ssdlite320_mobilenet_v3_large")


def test_a_cached_torchvision_detector_runs(tmp_path, monkeypatch) -> None:
    # a randomly initialised model saved where the cache would hold its weights
    import torchvision.models.detection as tvd

    from engine.detection import ssd_pretrained

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    path = ssd_pretrained.cache_file("ssdlite320_mobilenet_v3_large")
    path.parent.mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(tvd.ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None,
                                                 num_classes=91).state_dict(), path)
    net, names = ssd_pretrained.load_detector("ssdlite320_mobilenet_v3_large")
    assert len(names) == 91 and names[1] == "person"
    out = ssd_pretrained.detect(net, names, np.zeros((50, 70, 3), np.uint8),
                                score_threshold=0.0)
    assert out.boxes.shape[1:] == (4,) and len(out.labels) == len(out.scores)


def test_a_corrupt_cached_weights_file_is_a_value_error(tmp_path, monkeypatch) -> None:
    from engine.detection import ssd_pretrained

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    path = ssd_pretrained.cache_file("ssdlite320_mobilenet_v3_large")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a state dict")
    with pytest.raises(ValueError, match="could not load the cached weights") as info:
        ssd_pretrained.load_detector("ssdlite320_mobilenet_v3_large")
    assert str(path) in str(info.value) and "not a readable" in str(info.value)
    assert "weights_only=False" not in str(info.value)
    torch.save({"weight": torch.zeros(2)}, path)  # a state dict of another model
    with pytest.raises(ValueError, match="do not fit the network"):
        ssd_pretrained.load_detector("ssdlite320_mobilenet_v3_large")


def test_coco_detections_become_raw_predictions_the_sliders_filter() -> None:
    from engine.detection.ssd import filter_predictions
    from engine.detection.ssd_pretrained import PretrainedDetections, to_raw_predictions

    det = PretrainedDetections(
        np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 40]], np.float32),
        np.array([0.9, 0.6, 0.2], np.float32), ("dog", "cat", "dog"))
    raw = to_raw_predictions(det, (64, 48))
    assert raw.class_names == ("dog", "cat") and raw.classes.tolist() == [0, 1, 0]
    assert raw.image_size == (64, 48) and raw.anchors.shape == (0, 4) and len(raw) == 3
    np.testing.assert_array_equal(raw.boxes, det.boxes)
    kept = filter_predictions(raw, score_threshold=0.1, nms_threshold=0.5)
    assert kept.indices.tolist() == [0, 2]  # the cat box overlaps the dog at IoU 0.81
    assert [raw.class_names[k] for k in kept.classes] == ["dog", "dog"]
    assert len(filter_predictions(raw, score_threshold=0.1, nms_threshold=1.0)) == 3
    assert filter_predictions(raw, score_threshold=0.7).indices.tolist() == [0]
    empty = to_raw_predictions(PretrainedDetections(np.zeros((0, 4), np.float32),
                                                    np.zeros(0, np.float32), ()), (5, 5))
    assert len(empty) == 0 and len(filter_predictions(empty, score_threshold=0.0)) == 0


def test_detection_quality_ranks_misses_below_hits() -> None:
    from engine.detection.ssd import Detections, detection_quality

    gt = np.array([[10, 10, 50, 50]], np.float32)

    def dets(*boxes):
        b = np.array(boxes, np.float32).reshape(-1, 4)
        return Detections(b, np.ones(len(b), np.float32), np.zeros(len(b), np.int64),
                          np.arange(len(b)))

    hit, miss, none = dets([10, 10, 50, 50]), dets([60, 60, 90, 90]), dets()
    assert detection_quality(hit, gt) == pytest.approx(1.0)
    assert detection_quality(miss, gt) == 0.0 == detection_quality(none, gt)
    assert detection_quality(dets([10, 10, 50, 50], [60, 60, 90, 90]), gt) == pytest.approx(0.9)


def test_count_found_counts_ground_truth_boxes_a_kept_box_overlaps_enough() -> None:
    from engine.detection.ssd import Detections, count_found

    def dets(*boxes):
        b = np.array(boxes, np.float32).reshape(-1, 4)
        return Detections(b, np.ones(len(b), np.float32), np.zeros(len(b), np.int64),
                          np.arange(len(b)))

    gts = [np.array([[10, 10, 50, 50]], np.float32),
           np.array([[0, 0, 20, 20], [30, 30, 60, 60]], np.float32),
           np.zeros((0, 4), np.float32)]
    # image 0: exact hit; image 1: one of two found (the other box is off by IoU 1/4);
    # image 2: no ground truth, a false alarm does not count
    found = [dets([10, 10, 50, 50]), dets([0, 0, 20, 20], [30, 30, 45, 45]),
             dets([1, 1, 5, 5])]
    assert count_found(found, gts) == (2, 3)
    assert count_found(found, gts, iou_threshold=0.2) == (3, 3)
    assert count_found([dets(), dets(), dets()], gts) == (0, 3)
    with pytest.raises(ValueError):
        count_found(found, gts, iou_threshold=1.5)
