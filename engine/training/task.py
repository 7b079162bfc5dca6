"""Tasks: what differs between classification, regression, per-pixel and box training.

The loop (``engine.training.trainer``) is the same for every task; a ``Task`` supplies

* ``loss(y_hat, y)``: the mean loss of a batch. ``y_hat`` is whatever the network
  returns (a tensor, or a tuple such as TinySSD's ``(anchors, cls_preds, bbox_preds)``);
  ``y`` is the batch's target (class indices, masks, box lists).
* ``meter(device)``: a fresh accumulator of the task's metrics whose running sums stay on
  the device; the loop reads them back in the same single transfer as the batch losses,
  only at progress points and epoch ends (the one-sync design).
* ``metrics``: descriptions (``MetricInfo``) any UI can draw curves and tables from.

The loop itself keeps the loss figures (``train_loss``, ``test_loss``); a meter's
values are reported as ``train_<key>`` / ``test_<key>``.

>>> task = make_task("segmentation", num_classes=3)
>>> [m.key for m in task.metrics]
['pixel_acc', 'miou']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from engine.training.setup import LOSSES, check_choice, make_loss


@dataclass(frozen=True)
class MetricInfo:
    """How to show one metric.

    Attributes:
        key: short name; events carry it as ``train_<key>`` / ``test_<key>``.
        label: human label, e.g. ``"accuracy"``.
        unit: unit for axis labels ("" for fractions).
        higher_is_better: True for accuracies, False for errors.
        splits: which splits report it (``"train"``, ``"test"``).
        fmt: format spec for tables.
    """

    key: str
    label: str
    unit: str = ""
    higher_is_better: bool = True
    splits: tuple[str, ...] = ("train", "test")
    fmt: str = ".3f"


LOSS_METRIC = MetricInfo("loss", "loss", higher_is_better=False, fmt=".4g")


class Meter:
    """Running sums of a task's metrics over part of an epoch.

    ``update`` runs every batch and must not sync (tensor ops only); ``state`` returns
    the running sums as tensors (the loop reads them in one transfer with the batch
    losses, and sums them across processes under DDP); ``compute`` turns the CPU copies
    of those tensors and the number of examples into plain floats.
    """

    def update(self, y_hat: Any, y: Any) -> None:
        """Add one batch (tensor ops only: no ``.item()``, no ``.cpu()``)."""

    def state(self) -> list[Tensor]:
        return []

    def compute(self, state: Sequence[Tensor], n: int) -> dict[str, float]:
        """Plain figures from CPU copies of ``state()`` (float64) and the example count."""
        return {}


class Task:
    """Base class of tasks; subclasses set ``name`` and ``metrics`` and define ``loss``."""

    name = "task"
    metrics: tuple[MetricInfo, ...] = ()
    per_class: MetricInfo | None = None
    """A metric also reported per class as ``<split>_<key>_<c>`` (segmentation's IoU)."""

    def loss(self, y_hat: Any, y: Any) -> Tensor:  # pragma: no cover - interface
        raise NotImplementedError

    def meter(self, device: torch.device) -> Meter:
        return Meter()

    def eval_meter(self, device: torch.device) -> Meter:
        """The meter of the evaluation split (default ``meter``); a task may add figures
        too costly to gather on every training batch (detection's mAP)."""
        return self.meter(device)

    def batch_size(self, X: Tensor, y: Any) -> int:
        """Examples in a batch (weights the loss mean)."""
        return X.shape[0]

    def explain(self, y_hat: Any, y: Any, exc: Exception) -> str:
        """A sentence for a loss that failed on these shapes."""
        return _mismatch(self.name, y_hat, y, exc)


def _mismatch(task: str, y_hat: Any, y: Any, exc: Exception) -> str:
    return (f"the network's output ({_shape(y_hat)}) does not fit the targets "
            f"({_shape(y)}) of a {task} task: {exc}")


def _shape(value: Any) -> str:
    if isinstance(value, Tensor):
        return f"shape {tuple(value.shape)}"
    if isinstance(value, (tuple, list)):
        return "a tuple of " + ", ".join(_shape(v) for v in value)
    return type(value).__name__


# -- classification and regression (the book's train_ch3 / train_ch6) ----------------------
class _CorrectMeter(Meter):
    def __init__(self, device: torch.device, key: str = "acc") -> None:
        self.key = key
        self.correct = torch.zeros((), dtype=torch.long, device=device)

    def update(self, y_hat: Tensor, y: Tensor) -> None:
        self.correct += (y_hat.detach().argmax(dim=1) == y).sum()

    def state(self) -> list[Tensor]:
        return [self.correct]

    def compute(self, state: Sequence[Tensor], n: int) -> dict[str, float]:
        return {self.key: state[0].item() / max(n, 1)}


class ClassificationTask(Task):
    """Class indices ``y (Tensor[B], int64)``, logits ``y_hat (Tensor[B, k])``; accuracy.

    Args:
        loss: ``"cross-entropy"`` (default) or a regression loss, which then compares the
            logits with one-hot targets.
    """

    name = "classification"
    metrics = (MetricInfo("acc", "accuracy"),)

    def __init__(self, loss: str = "cross-entropy") -> None:
        self.loss_name = check_choice("loss", loss, LOSSES)
        self.loss_fn = make_loss(loss)

    def loss(self, y_hat: Tensor, y: Tensor) -> Tensor:
        if y.dim() != 1:
            # Counting correct pixels per image would report "accuracies" like 31.5.
            raise ValueError(f"classification needs one class index per example "
                             f"(targets Tensor[B]); these targets have shape "
                             f"{tuple(y.shape)} — per-pixel masks need "
                             f"task='segmentation'")
        if self.loss_name != "cross-entropy":
            y = F.one_hot(y, y_hat.shape[-1]).to(y_hat.dtype)
        return self.loss_fn(y_hat, y)

    def meter(self, device: torch.device) -> Meter:
        return _CorrectMeter(device)

    def explain(self, y_hat: Any, y: Any, exc: Exception) -> str:
        return _outputs_message(y_hat, y, exc)


class RegressionTask(Task):
    """Float targets ``y (Tensor[B, k])``; the loss is the only figure.

    Args:
        loss: ``"mse"`` (default), ``"l1"`` or ``"huber"``.
    """

    name = "regression"

    def __init__(self, loss: str = "mse") -> None:
        check_choice("loss", loss, LOSSES)
        if loss == "cross-entropy":
            raise ValueError("loss='cross-entropy' needs class labels; for regression use "
                             "'mse', 'l1' or 'huber'")
        self.loss_name, self.loss_fn = loss, make_loss(loss)

    def loss(self, y_hat: Tensor, y: Tensor) -> Tensor:
        if y.shape != y_hat.shape and y.numel() == y_hat.numel():
            y = y.reshape(y_hat.shape)
        return self.loss_fn(y_hat, y)

    def explain(self, y_hat: Any, y: Any, exc: Exception) -> str:
        return _outputs_message(y_hat, y, exc)


def _outputs_message(y_hat: Any, y: Any, exc: Exception) -> str:
    if not isinstance(y_hat, Tensor) or not isinstance(y, Tensor):
        return _mismatch("book", y_hat, y, exc)
    outputs = y_hat.shape[-1] if y_hat.dim() > 1 else 1
    return (f"the network outputs {outputs} values per example (shape "
            f"{tuple(y_hat.shape)}) but the targets have shape {tuple(y.shape)}"
            + (f" with labels up to {int(y.max())}" if not y.is_floating_point() else "")
            + f": {exc}. Make the last layer output one value per class (regression: "
              f"one per target).")


# -- per-pixel classification (FCN, d2l 14.11) ---------------------------------------------
IGNORE_INDEX = 255
"""Target value of pixels no class is scored on (VOC's object borders)."""


def class_argmax(logits: Tensor) -> Tensor:
    """``logits.argmax(dim=1)`` for ``Tensor[B, k, H, W]``: on the CPU through a
    channels-last copy, 10-20x faster than reducing over the strided class dimension
    (5.6 ms -> 0.4 ms for 2 x 5 x 160 x 224), same result (first maximum on ties)."""
    if logits.device.type == "cpu" and logits.dim() > 2:
        return logits.movedim(1, -1).contiguous().argmax(dim=-1)
    return logits.argmax(dim=1)


class _PixelMeter(Meter):
    """A confusion matrix over pixels, on the device. Filled with ``index_add_`` rather
    than torchmetrics' ``bincount`` update, which reads the maximum back to the host
    (a sync per batch on a GPU); reduced with torchmetrics' own ``MulticlassJaccardIndex``
    reduction. Pixel accuracy is its trace over its sum. Pixels whose target is
    ``ignore_index`` add nothing."""

    def __init__(self, device: torch.device, num_classes: int | None,
                 ignore_index: int | None = IGNORE_INDEX) -> None:
        self.device, self.num_classes, self.ignore_index = device, num_classes, ignore_index
        self.confmat: Tensor | None = None
        if num_classes is not None:
            self._make(num_classes)

    def _make(self, num_classes: int) -> None:
        self.num_classes = num_classes
        self.confmat = torch.zeros(num_classes, num_classes, dtype=torch.long,
                                   device=self.device)

    def update(self, y_hat: Tensor, y: Tensor) -> None:
        if self.confmat is None:  # classes from the network's output channels
            self._make(y_hat.shape[1])
        k = self.num_classes
        target = y.reshape(-1).long()
        index = (target * k + class_argmax(y_hat.detach()).reshape(-1)).clamp_(0, k * k - 1)
        if self.ignore_index is None:
            counts = torch.ones((), dtype=torch.long, device=index.device).expand(index.numel())
        else:
            counts = (target != self.ignore_index).long()
        self.confmat.view(-1).index_add_(0, index, counts)

    def state(self) -> list[Tensor]:
        return [self.confmat] if self.confmat is not None else []

    def compute(self, state: Sequence[Tensor], n: int) -> dict[str, float]:
        from torchmetrics.functional.classification.jaccard import _jaccard_index_reduce

        if not state:
            return {"pixel_acc": 0.0, "miou": 0.0}
        confmat = state[0].round().long()
        total = int(confmat.sum())
        if total == 0:
            return {"pixel_acc": 0.0, "miou": 0.0}
        miou = _jaccard_index_reduce(confmat, average="macro")
        out = {"pixel_acc": int(confmat.trace()) / total, "miou": float(miou)}
        per_class = _jaccard_index_reduce(confmat, average="none")
        present = (confmat.sum(0) + confmat.sum(1)) > 0
        out.update({f"iou_{c}": float(per_class[c]) for c in range(len(per_class))
                    if present[c]})  # a class absent from targets and predictions: no IoU
        return out


class PixelClassificationTask(Task):
    """Per-pixel classes: logits ``y_hat (Tensor[B, k, H, W])``, masks
    ``y (Tensor[B, H, W], int64)``; per-pixel cross-entropy (the book's FCN loss),
    pixel accuracy and mean IoU (torchmetrics' ``MulticlassJaccardIndex`` reduction,
    macro over the classes present, of a confusion matrix kept on the device), and each
    class's IoU as ``<split>_iou_<c>`` (``per_class``; absent when class ``c`` is in
    neither targets nor predictions) for a table at each epoch end.

    Args:
        num_classes: k; None takes it from the network's output at the first batch.
        ignore_index: target value skipped by the loss and the metrics (VOC's borders,
            255); None scores every pixel.
    """

    name = "segmentation"
    metrics = (MetricInfo("pixel_acc", "pixel accuracy"), MetricInfo("miou", "mean IoU"))
    per_class = MetricInfo("iou", "IoU", splits=("test",))

    def __init__(self, num_classes: int | None = None, loss: str = "cross-entropy",
                 ignore_index: int | None = IGNORE_INDEX) -> None:
        if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 2):
            raise ValueError(f"num_classes={num_classes!r} must be an integer >= 2")
        if loss != "cross-entropy":
            raise ValueError(f"loss={loss!r}: per-pixel classification uses cross-entropy")
        self.num_classes, self.ignore_index = num_classes, ignore_index

    def loss(self, y_hat: Tensor, y: Tensor) -> Tensor:
        # the mean over every scored pixel of the batch
        return F.cross_entropy(y_hat, y, ignore_index=-100 if self.ignore_index is None
                               else self.ignore_index)

    def meter(self, device: torch.device) -> Meter:
        return _PixelMeter(device, self.num_classes, self.ignore_index)

    def explain(self, y_hat: Any, y: Any, exc: Exception) -> str:
        if isinstance(y_hat, Tensor) and isinstance(y, Tensor) and y_hat.dim() == 4:
            if y_hat.shape[-2:] != y.shape[-2:]:
                return (f"the network outputs {y_hat.shape[-2]}x{y_hat.shape[-1]} label maps "
                        f"but the masks are {y.shape[-2]}x{y.shape[-1]}: make the input size "
                        f"a multiple of the network's stride (FCN: 32, or 8 / 16 in the "
                        f"light setting): {exc}")
            top = int(y.masked_fill(y == self.ignore_index, -1).max())
            return (f"the masks hold classes up to {top} "
                    f"but the network outputs {y_hat.shape[1]} classes: {exc}")
        return super().explain(y_hat, y, exc)


# -- boxes from anchors (TinySSD, d2l 14.7) ------------------------------------------------
class _BoxMeter(Meter):
    """The book's ``cls_eval`` / ``bbox_eval`` sums (d2l 14.7.2): wrong anchor classes
    over all anchors, absolute offset error of assigned anchors over all offsets."""

    def __init__(self, task: AnchorBoxTask, device: torch.device) -> None:
        self.task = task
        self.sums = torch.zeros(2, dtype=torch.float64, device=device)
        self.anchors = self.offsets = 0  # from shapes: no device work per batch

    def update(self, y_hat: Any, y: Any) -> None:
        _, cls_preds, bbox_preds = y_hat
        bbox_labels, bbox_masks, cls_labels = self.task.targets(y_hat, y)
        wrong = (cls_preds.detach().argmax(dim=-1) != cls_labels).sum()
        err = ((bbox_labels - bbox_preds.detach()) * bbox_masks).abs().sum()
        self.sums += torch.stack([wrong.double(), err.double()])
        # the book's denominators: every anchor, every offset (bbox_labels.numel())
        self.anchors += cls_labels.numel()
        self.offsets += bbox_labels.numel()

    def state(self) -> list[Tensor]:
        counts = torch.tensor([self.anchors, self.offsets], dtype=torch.float64)
        return [self.sums, counts.to(self.sums.device)]  # at progress points only

    def compute(self, state: Sequence[Tensor], n: int) -> dict[str, float]:
        (wrong, err), (anchors, offsets) = state[0].tolist(), state[1].tolist()
        return {"class_err": wrong / max(anchors, 1), "bbox_mae": err / max(offsets, 1)}


class _MapMeter(_BoxMeter):
    """The evaluation meter: the book's sums plus mean average precision (torchmetrics'
    ``MeanAveragePrecision``, COCO's definition) of the detections after NMS.

    Detections per image are kept on the device as the batches pass (score >= 0.01 —
    the book's ``pos_threshold`` — NMS at 0.5, at most 100); the COCO evaluation runs
    once, in ``state()`` at the end of the evaluation. Under ``torchrun`` each process's
    mAP is weighted by its images (an approximation of the pooled mAP).
    """

    SCORE_THRESHOLD, NMS_THRESHOLD, MAX_DETECTIONS = 0.01, 0.5, 100

    def __init__(self, task: AnchorBoxTask, device: torch.device) -> None:
        super().__init__(task, device)
        self.preds: list[dict[str, Tensor]] = []
        self.truth: list[dict[str, Tensor]] = []

    def update(self, y_hat: Any, y: Any) -> None:
        super().update(y_hat, y)
        from engine.detection.ssd import decode_outputs, filter_tensors

        anchors, cls_preds, bbox_preds = (t.detach() for t in y_hat)
        boxes, scores, classes = decode_outputs(anchors, cls_preds, bbox_preds)
        for i in range(boxes.shape[0]):
            keep = filter_tensors(boxes[i], scores[i], self.SCORE_THRESHOLD,
                                  self.NMS_THRESHOLD, self.MAX_DETECTIONS)
            self.preds.append({"boxes": boxes[i, keep], "scores": scores[i, keep],
                               "labels": classes[i, keep]})
            valid = y[i, :, 0] >= 0
            self.truth.append({"boxes": y[i, valid, 1:].float(),
                               "labels": y[i, valid, 0].long()})

    def state(self) -> list[Tensor]:
        figures = torch.zeros(3, dtype=torch.float64)
        if self.preds:
            from torchmetrics.detection import MeanAveragePrecision

            try:
                metric = MeanAveragePrecision(iou_type="bbox", box_format="xyxy")
            except ModuleNotFoundError as exc:  # its COCO backend is a separate package
                raise ValueError(f"mAP needs a COCO evaluator for torchmetrics: "
                                 f"pip install pycocotools ({exc})") from exc
            cpu = [{k: v.cpu() for k, v in d.items()} for d in self.preds]
            metric.update(cpu, [{k: v.cpu() for k, v in d.items()} for d in self.truth])
            result = metric.compute()
            n = len(self.preds)
            # -1 means "no ground truth at all": report 0 rather than a negative mAP
            figures = torch.tensor([max(float(result["map_50"]), 0.0) * n,
                                    max(float(result["map"]), 0.0) * n, n],
                                   dtype=torch.float64)
        return [*super().state(), figures.to(self.sums.device)]

    def compute(self, state: Sequence[Tensor], n: int) -> dict[str, float]:
        out = super().compute(state[:2], n)
        map50, map_, images = state[2].tolist()
        out.update(map50=map50 / max(images, 1), map=map_ / max(images, 1))
        return out


class AnchorBoxTask(Task):
    """Detection in the book's SSD form: the network returns ``(anchors (Tensor[1, N, 4]),
    cls_preds (Tensor[B, N, C + 1]), bbox_preds (Tensor[B, N * 4]))``; targets are box
    lists ``y (Tensor[B, G, 5])`` of rows ``(class, x1, y1, x2, y2)`` in [0, 1] (class
    -1 pads). The loss labels the anchors with ``multibox_target`` — so it needs the
    anchors from the output — then is the book's ``calc_loss`` (cross-entropy over
    classes + L1 over the assigned offsets) averaged over the batch; metrics are d2l's
    class error and bbox MAE, and on the validation split mAP@0.5 and mAP@[.5:.95].
    """

    name = "detection"
    metrics = (MetricInfo("class_err", "class error", higher_is_better=False),
               MetricInfo("bbox_mae", "bbox MAE", higher_is_better=False, fmt=".3g"),
               MetricInfo("map50", "mAP@0.5", splits=("test",)),
               MetricInfo("map", "mAP@[.5:.95]", splits=("test",)))

    def __init__(self, num_classes: int = 1, loss: str = "cross-entropy") -> None:
        self.num_classes = num_classes
        self._cached: tuple[Any, tuple[Tensor, Tensor, Tensor]] | None = None

    def targets(self, y_hat: Any, y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``multibox_target`` of the output's anchors for ``y``; computed once per batch
        (the loss and the meter share it)."""
        from engine.detection import multibox_target

        if self._cached is not None and self._cached[0] is y:
            return self._cached[1]
        if not (isinstance(y_hat, (tuple, list)) and len(y_hat) == 3):
            raise ValueError(f"a detection network must return (anchors, cls_preds, "
                             f"bbox_preds); this one returns {_shape(y_hat)}")
        with torch.no_grad():
            result = multibox_target(y_hat[0].detach(), y)
        self._cached = (y, result)
        return result

    def loss(self, y_hat: Any, y: Tensor) -> Tensor:
        from engine.detection.ssd import calc_loss

        bbox_labels, bbox_masks, cls_labels = self.targets(y_hat, y)
        _, cls_preds, bbox_preds = y_hat
        return calc_loss(cls_preds, cls_labels, bbox_preds, bbox_labels, bbox_masks).mean()

    def meter(self, device: torch.device) -> Meter:
        return _BoxMeter(self, device)

    def eval_meter(self, device: torch.device) -> Meter:
        return _MapMeter(self, device)


TASKS: dict[str, type[Task]] = {
    t.name: t for t in (ClassificationTask, RegressionTask, PixelClassificationTask,
                        AnchorBoxTask)
}


def make_task(name: str, *, loss: str | None = None, num_classes: int | None = None) -> Task:
    """The task registered as ``name`` (``TASKS``), with its loss and class count."""
    check_choice("task", name, tuple(TASKS))
    cls = TASKS[name]
    kwargs: dict[str, Any] = {}
    if loss is not None:
        kwargs["loss"] = loss
    if cls in (PixelClassificationTask, AnchorBoxTask) and num_classes is not None:
        kwargs["num_classes"] = num_classes
    return cls(**kwargs)
