"""One loop, other tasks: per-pixel classification, a tuple-output detector, hooks."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from engine.data.toy import make_toy_boxes, make_toy_masks
from engine.models.toys import ToyFCN, ToySSD
from engine.training import BatchProgress, EpochEnd, Finished, Hook, train

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _pair(X, y, batch: int = 16, n_test: int = 32):
    train_ds, test_ds = TensorDataset(X[n_test:], y[n_test:]), TensorDataset(X[:n_test], y[:n_test])
    return (DataLoader(train_ds, batch_size=batch, shuffle=True,
                       generator=torch.Generator().manual_seed(0)),
            DataLoader(test_ds, batch_size=batch))


def test_per_pixel_task_trains_and_reports_pixel_accuracy_and_mean_iou() -> None:
    from torchmetrics.functional.classification import multiclass_jaccard_index

    X, y = make_toy_masks(160, size=12, classes=3, seed=1)
    data = _pair(X, y, batch=8)
    torch.manual_seed(0)
    net = ToyFCN(1, 3, hidden=8)
    events = list(train(net, data, task="segmentation", num_epochs=3, lr=0.1,
                        optimizer="adam", device="cpu", progress_every=2))
    assert isinstance(events[-1], Finished)
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    first, last = epochs[0].metrics, epochs[-1].metrics
    assert {"train_loss", "train_pixel_acc", "train_miou", "test_loss", "test_pixel_acc",
            "test_miou"} <= last.keys()
    assert epochs[-1].train_acc is None and epochs[-1].test_acc is None  # no per-image figure
    assert all(0.0 <= e.metrics[k] <= 1.0 for e in epochs for k in e.metrics if "loss" not in k)
    assert last["test_pixel_acc"] > 0.95 and last["test_miou"] > first["test_miou"] + 0.1
    # oracle: the figures recomputed from the trained net's predictions on the test split
    net.eval()
    with torch.no_grad():
        pred = torch.cat([net(Xb).argmax(1) for Xb, _ in data[1]])
    target = torch.cat([yb for _, yb in data[1]])
    assert last["test_pixel_acc"] == pytest.approx((pred == target).float().mean().item())
    assert last["test_miou"] == pytest.approx(
        multiclass_jaccard_index(pred, target, num_classes=3).item(), abs=1e-6)
    points = [p for p in events if isinstance(p, BatchProgress)]
    assert points and all("train_pixel_acc" in p.metrics for p in points)


def test_classification_on_masks_is_a_clear_error_not_a_31_accuracy() -> None:
    X, y = make_toy_masks(48, size=8, classes=2)
    with pytest.raises(ValueError, match="task='segmentation'"):
        list(train(ToyFCN(1, 2), _pair(X, y, n_test=16), task="classification",
                   num_epochs=1, lr=0.1, device="cpu"))


def test_tuple_output_detector_trains_with_a_loss_that_needs_the_anchors() -> None:
    X, y = make_toy_boxes(192, size=32, seed=2)
    data = _pair(X, y, batch=32)
    torch.manual_seed(0)
    net = ToySSD(1, num_classes=1)
    anchors, cls, bbox = net(X[:2])
    assert anchors.shape[0] == 1 and cls.shape[:2] == (2, anchors.shape[1])
    events = list(train(net, data, task="detection", num_epochs=4, lr=0.2, device="cpu",
                        optimizer="sgd", weight_decay=5e-4))
    assert isinstance(events[-1], Finished)
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert {"train_class_err", "train_bbox_mae", "test_class_err", "test_bbox_mae"} <= (
        epochs[-1].metrics.keys())
    assert epochs[-1].train_loss < epochs[0].train_loss
    assert epochs[-1].metrics["test_bbox_mae"] < epochs[0].metrics["test_bbox_mae"]
    assert 0.0 <= epochs[-1].metrics["test_class_err"] < 0.2
    # oracle: d2l's cls_eval / bbox_eval (14.7.2) summed over the test split
    from engine.detection import multibox_target

    net.eval()
    wrong = anchors_n = err = offsets_n = 0.0
    with torch.no_grad():
        for Xb, yb in data[1]:
            anchors, cls_preds, bbox_preds = net(Xb)
            bbox_labels, bbox_masks, cls_labels = multibox_target(anchors, yb)
            wrong += float((cls_preds.argmax(dim=-1) != cls_labels).sum())
            anchors_n += cls_labels.numel()
            err += float(((bbox_labels - bbox_preds) * bbox_masks).abs().sum())
            offsets_n += bbox_labels.numel()
    assert epochs[-1].metrics["test_class_err"] == pytest.approx(wrong / anchors_n)
    assert epochs[-1].metrics["test_bbox_mae"] == pytest.approx(err / offsets_n, rel=1e-5)


class Recorder(Hook):
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []
        self.grad_seen = []

    def run_start(self, state):
        self.calls.append(("run_start", state.epoch, state.step))
        return ["start-event"]

    def after_backward(self, state):
        self.calls.append(("after_backward", state.epoch, state.step))
        self.grad_seen.append(all(p.grad is not None for p in state.net.parameters()))

    def batch_end(self, state):
        self.calls.append(("batch_end", state.epoch, state.step))
        if state.progress is not None:
            return [f"after-progress-{state.epoch}-{state.step}"]
        return None

    def eval_batch_end(self, state):
        self.calls.append(("eval_batch_end", state.epoch, 0))

    def epoch_end(self, state):
        self.calls.append(("epoch_end", state.event.epoch, 0))
        return [f"epoch-{state.event.epoch}"]


def test_hooks_fire_in_order_and_their_events_land_in_place() -> None:
    X = torch.randn(40, 2)
    y = (X[:, 0] > 0).long()
    loaders = (DataLoader(TensorDataset(X, y), batch_size=10),
               DataLoader(TensorDataset(X[:20], y[:20]), batch_size=10))
    hook = Recorder()
    events = list(train(torch.nn.Linear(2, 2), loaders, num_epochs=2, lr=0.1, device="cpu",
                        progress_every=2, hooks=[hook]))
    names = [e if isinstance(e, str) else type(e).__name__ for e in events
             if type(e).__name__ != "SpeedEstimate"]
    assert names[0] == "start-event"
    assert names[1:5] == ["BatchProgress", "after-progress-1-2", "BatchProgress",
                          "after-progress-1-4"]
    assert names[5:7] == ["EpochEnd", "epoch-1"] and names[-2:] == ["epoch-2", "Finished"]
    kinds = [c[0] for c in hook.calls]
    assert kinds[0] == "run_start"
    epoch1 = kinds[1:kinds.index("epoch_end") + 1]
    assert epoch1 == ["after_backward", "batch_end"] * 4 + ["eval_batch_end"] * 2 + ["epoch_end"]
    assert [c[2] for c in hook.calls if c[0] == "after_backward"][:4] == [1, 2, 3, 4]
    assert all(hook.grad_seen)


def test_a_hook_is_called_only_where_it_overrides() -> None:
    class OnlyEpochs(Hook):
        def __init__(self) -> None:
            self.n = 0

        def epoch_end(self, state):
            self.n += 1

    X = torch.randn(20, 2)
    y = (X[:, 0] > 0).long()
    hook = OnlyEpochs()
    run = train(torch.nn.Linear(2, 2), (DataLoader(TensorDataset(X, y), batch_size=5), None),
                num_epochs=3, lr=0.1, device="cpu", hooks=[hook])
    assert run.hooks["batch_end"] == [] and run.hooks["after_backward"] == []
    list(run)
    assert hook.n == 3
