"""Does the network fit the dataset? Checked analytically (``summarize``) on every change;
and what a linear regression learned (``learned_linear``)."""

from __future__ import annotations

from typing import Any

from engine.builder import NetworkSpec, summarize
from engine.data import DatasetInfo
from gui.tabs.build.format import shape_text

OK, WARN, BAD = "ok", "warn", "bad"


def check_fit(spec: NetworkSpec | None, info: DatasetInfo,
              shape: tuple[int, ...] | None) -> tuple[str, str]:
    """``(level, message)``: does ``spec`` take examples of ``shape`` and give enough outputs?

    Args:
        spec: the network, or None when none is chosen.
        info: the dataset (for its title, task and class count).
        shape: one example's shape after any resize, e.g. ``(1, 28, 28)``; None when
            only the files know it (image folder).
    """
    if spec is None:
        return BAD, "No network yet."
    if shape is None:
        return OK, "Input shape known once the image folder is read."
    dims = shape_text(shape)
    summary = summarize(spec, (1, *shape))
    if summary.error:
        return BAD, f"does not fit {info.title} ({dims}): {summary.error}"
    out = summary.output_shape[-1] if summary.output_shape else 0
    want = info.num_classes or (1 if info.task == "regression" else None)
    text = (f"fits {info.title}: {dims} → {out} outputs · "
            f"{summary.total_params:,} parameters")
    if want is not None and out < want:
        return BAD, f"{text} — too few: {info.title} needs {want}"
    if want is not None and out > want:
        return WARN, (f"{text} — {info.title} has only {want} classes, so {out - want} "
                      f"outputs stay unused")
    return OK, text


def learned_linear(net: Any, true_w: tuple[float, ...], true_b: float) -> str:
    """``learned w = [...], b = ...`` for a one-Linear regression net, else ''."""
    from torch import nn

    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    if len(linears) != 1 or linears[0].out_features != 1 or linears[0].bias is None:
        return ""
    w = linears[0].weight.detach().cpu().reshape(-1).tolist()
    b = float(linears[0].bias.detach().cpu().reshape(-1)[0])
    text = f"learned w = [{', '.join(f'{v:.4f}' for v in w)}], b = {b:.4f}"
    if len(w) == len(true_w):
        err_w = max(abs(a - t) for a, t in zip(w, true_w, strict=True))
        text += (f"   (true w = [{', '.join(f'{v:g}' for v in true_w)}], b = {true_b:g};"
                 f" errors {err_w:.1e}, {abs(b - true_b):.1e})")
    return text
