"""Evaluation views: a confusion matrix, per-class precision / recall, and the test
samples ranked by loss, most wrong first (the book's ``predict_ch3`` gallery, ranked).

>>> cm = confusion_matrix(np.array([0, 1, 1]), np.array([0, 1, 0]), 2)
>>> cm.tolist()   # rows = true class, columns = predicted
[[1, 1], [0, 1]]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from engine.jobs import JobControl


def confusion_matrix(preds: Sequence[int] | np.ndarray | Tensor,
                     labels: Sequence[int] | np.ndarray | Tensor, num_classes: int
                     ) -> np.ndarray:
    """Counts of (true, predicted) pairs, torchmetrics' ``multiclass_confusion_matrix``.

    Args:
        preds, labels (N ints in [0, num_classes)): predicted and true classes.

    Returns:
        np.ndarray[num_classes, num_classes] int64; rows = true class; sums to N.
    """
    from torchmetrics.functional.classification import multiclass_confusion_matrix

    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes={num_classes!r} must be an integer >= 2")
    p, t = torch.as_tensor(np.asarray(preds)).long(), torch.as_tensor(np.asarray(labels)).long()
    if p.shape != t.shape or p.dim() != 1:
        raise ValueError(f"preds and labels must be two lists of the same length; got shapes "
                         f"{tuple(p.shape)} and {tuple(t.shape)}")
    for name, v in (("preds", p), ("labels", t)):
        if v.numel() and (int(v.min()) < 0 or int(v.max()) >= num_classes):
            raise ValueError(f"{name} hold classes outside 0 … {num_classes - 1}")
    if p.numel() == 0:
        return np.zeros((num_classes, num_classes), dtype=np.int64)
    return multiclass_confusion_matrix(p, t, num_classes).numpy().astype(np.int64)


@dataclass(frozen=True)
class ClassReport:
    """Per-class figures from a confusion matrix (NaN where undefined: no prediction /
    no example of the class)."""

    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray  # true examples per class


def per_class(confmat: np.ndarray) -> ClassReport:
    """Precision (column-wise), recall (row-wise), F1 and support of each class."""
    cm = np.asarray(confmat, dtype=np.float64)
    tp = np.diag(cm)
    predicted, support = cm.sum(0), cm.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, tp / predicted, np.nan)
        recall = np.where(support > 0, tp / support, np.nan)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall),
                      np.where(np.isnan(precision) | np.isnan(recall), np.nan, 0.0))
    return ClassReport(precision, recall, f1, support.astype(np.int64))


def rank_by_loss(losses: Sequence[float] | np.ndarray) -> np.ndarray:
    """Indices of the samples by decreasing loss (most wrong first; ties by index)."""
    losses = np.asarray(losses, dtype=np.float64)
    return np.lexsort((np.arange(losses.size), -losses))


@dataclass(frozen=True, eq=False)
class EvalProgress:
    done: int
    total: int


@dataclass(frozen=True, eq=False)
class Evaluation:
    """A classifier on a test set.

    Attributes:
        preds, labels (np.ndarray[N] int64), losses (np.ndarray[N] float64): per sample,
            in the dataset's order (index i = ``dataset[i]``).
        probs (np.ndarray[N] float32): the softmax probability of the predicted class.
        confmat (np.ndarray[k, k] int64): rows = true class.
        report: per-class precision / recall.
        ranked (np.ndarray[N] int64): sample indices by decreasing loss.
        class_names: k names.
    """

    preds: np.ndarray
    labels: np.ndarray
    losses: np.ndarray
    probs: np.ndarray
    confmat: np.ndarray
    report: ClassReport
    ranked: np.ndarray
    class_names: tuple[str, ...]

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.confmat) / max(1, self.confmat.sum()))

    def cell(self, true: int, predicted: int) -> np.ndarray:
        """Indices of the samples of one confusion-matrix cell, highest loss first."""
        mask = (self.labels[self.ranked] == true) & (self.preds[self.ranked] == predicted)
        return self.ranked[mask]


def evaluate(net: nn.Module, batches: Iterable, *, num_classes: int,
             class_names: Sequence[str] = (), device: torch.device | str | None = None,
             control: JobControl | None = None) -> Iterator[EvalProgress | Evaluation]:
    """Predict every test sample; yield progress, then one ``Evaluation``.

    ``batches`` yields ``(X, y)`` in the dataset's order (an unshuffled loader). The
    network runs in eval mode (restored after) on ``device`` (default: where it is).
    """
    import torch.nn.functional as F

    param = next(net.parameters(), None)
    device = torch.device(device) if device is not None else (
        param.device if param is not None else torch.device("cpu"))
    total = len(batches) if hasattr(batches, "__len__") else 0  # type: ignore[arg-type]
    preds, labels, losses, probs = [], [], [], []
    was_training = net.training
    net.to(device).eval()
    try:
        with torch.no_grad():
            for i, (X, y) in enumerate(batches):
                if control is not None and control.should_stop():
                    return
                y_hat = net(X.to(device))
                if not isinstance(y_hat, Tensor) or y_hat.dim() != 2:
                    raise ValueError("evaluation views need a classifier returning class "
                                     "scores (Tensor[B, k])")
                if y_hat.shape[1] < num_classes:
                    raise ValueError(f"the network outputs {y_hat.shape[1]} scores but the "
                                     f"data has {num_classes} classes")
                y_hat, y = y_hat[:, :num_classes].float(), y.to(device)  # extra units ignored
                p = torch.softmax(y_hat, 1)
                preds.append(y_hat.argmax(1).cpu())
                probs.append(p.max(1).values.cpu())
                losses.append(F.cross_entropy(y_hat, y, reduction="none").cpu())
                labels.append(y.cpu())
                yield EvalProgress(i + 1, total)
    finally:
        net.train(was_training)
    def cat(xs: list[Tensor], dtype: type) -> np.ndarray:
        return torch.cat(xs).numpy().astype(dtype) if xs else np.zeros(0, dtype)

    preds_np, labels_np = cat(preds, np.int64), cat(labels, np.int64)
    losses_np, probs_np = cat(losses, np.float64), cat(probs, np.float32)
    confmat = confusion_matrix(preds_np, labels_np, num_classes)
    names = tuple(class_names) or tuple(f"class {i}" for i in range(num_classes))
    yield Evaluation(preds_np, labels_np, losses_np, probs_np, confmat, per_class(confmat),
                     rank_by_loss(losses_np), names)
