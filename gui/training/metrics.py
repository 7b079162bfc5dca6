"""What a view draws and tabulates for a task: curve series from metric descriptions.

A task (``engine.training.task.Task``) describes its metrics as ``MetricInfo`` records
(``key``, ``label``, ``unit``, ``higher_is_better``, ``splits``, ``fmt``). Training
events carry the figures as ``metrics`` keyed ``train_<key>`` / ``test_<key>`` plus the
loop's own ``train_loss`` / ``test_loss``. This module turns descriptions into
``Series`` (one curve each: key, legend title, colour, line style) — nothing here knows
a task by name, so a per-pixel task's "mean IoU" gets its curves like accuracy does.

Which curves: the training loss always; each metric for each split it reports; the test
loss only for a task without test metrics of its own (regression), as the book's
Animator draws ``train loss, train acc, test acc`` for a classifier.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

LOSS_COLOURS = ("#1f77b4", "#9467bd")  # train loss, test loss
TRAIN_COLOURS = ("#d62728", "#ff7f0e", "#8c564b", "#e377c2")
TEST_COLOURS = ("#2ca02c", "#17becf", "#bcbd22", "#7f7f7f")
SHORT = {"accuracy": "acc"}  # the book's legend: "train acc", "test acc"
BOOK_NAMES = ("train_loss", "train_acc", "test_loss", "test_acc")


@dataclass(frozen=True)
class Series:
    """One curve: ``key`` as events carry it (``test_miou``), its legend ``title``
    (``test mean IoU``), the metric's description (None for the loss) and its look."""

    key: str
    title: str
    split: str
    metric: Any
    colour: str
    style: str  # solid / dash / dot
    symbol: str | None  # "o": a dot per epoch end (test figures)
    width: float = 1.6


def short_label(metric: Any) -> str:
    """The label a legend or a column uses: ``acc`` for accuracy, else the label."""
    label = getattr(metric, "label", "") or getattr(metric, "key", "")
    return SHORT.get(label, label)


def series_for(metrics: Sequence[Any], *, test_loss: bool | None = None) -> list[Series]:
    """The curves of a task with these metric descriptions, in legend order.

    Args:
        metrics: the task's ``MetricInfo`` s (``Prepared.metrics``).
        test_loss: draw the test loss; default only when no metric reports on test.
    """
    if test_loss is None:
        test_loss = not any("test" in getattr(m, "splits", ("train", "test")) for m in metrics)
    out = [Series("train_loss", "train loss", "train", None, LOSS_COLOURS[0], "solid", None,
                  2.0)]
    for i, m in enumerate(metrics):
        if "train" in getattr(m, "splits", ("train", "test")):
            out.append(Series(f"train_{m.key}", f"train {short_label(m)}", "train", m,
                              TRAIN_COLOURS[i % len(TRAIN_COLOURS)], "dash", None))
    if test_loss:
        out.append(Series("test_loss", "test loss", "test", None, LOSS_COLOURS[1], "dash", "o"))
    for i, m in enumerate(metrics):
        if "test" in getattr(m, "splits", ("train", "test")):
            out.append(Series(f"test_{m.key}", f"test {short_label(m)}", "test", m,
                              TEST_COLOURS[i % len(TEST_COLOURS)], "dot", "o"))
    return out


def axis_label(metrics: Iterable[Any]) -> str:
    """``loss / accuracy``; units in brackets where a metric has one."""
    parts = ["loss"]
    for m in metrics:
        label = getattr(m, "label", m.key) + (f" ({m.unit})" if getattr(m, "unit", "") else "")
        if label not in parts:
            parts.append(label)
    return " / ".join(parts)


def metrics_of(event: Any) -> dict[str, float]:
    """The figures of a progress or epoch event (or its dict): ``metrics``, or the
    book's names of an older record; None values left out."""
    if isinstance(event, dict):
        found = dict(event.get("metrics") or {})
        for key in BOOK_NAMES:
            if event.get(key) is not None:
                found.setdefault(key, event[key])
    else:
        found = dict(getattr(event, "metrics", None) or {})
        if not found:
            found = {k: getattr(event, k, None) for k in BOOK_NAMES}
    return {k: float(v) for k, v in found.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}


def task_metrics(task: str) -> tuple[Any, ...]:
    """The metric descriptions of the engine task named ``task`` (a restored run's);
    () when the engine does not know it."""
    try:
        from engine.training.task import TASKS
    except ImportError:  # pragma: no cover - engine without tasks
        return ()
    cls = TASKS.get(task)
    return tuple(cls.metrics) if cls is not None else ()
