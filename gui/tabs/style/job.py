"""What runs on the worker thread for the Style tab: get the feature net, then optimise.

The feature net is loaded once per weights choice and handed back to the tab in
:class:`NetReady`, so the next run with the same choice starts at once. The net is
frozen (no gradients, eval mode) and only read by the one job running at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from engine.jobs import JobControl
from engine.style import LiveSettings, StyleNet, load_style_net, style_transfer


@dataclass(frozen=True)
class WeightsRequest:
    """Where the user wants the VGG-19 weights from (see engine.style.weights)."""

    source: str = "auto"
    path: str = ""
    allow_download: bool = False


@dataclass(frozen=True)
class NetReady:
    request: WeightsRequest
    style_net: StyleNet


def style_job(content: np.ndarray, style: np.ndarray, live: LiveSettings,
              request: WeightsRequest, device: str, cached: NetReady | None):
    """``job(control)`` for ``JobRunner``: NetReady (when loaded now), then the run."""

    def job(control: JobControl) -> Iterator[object]:
        if cached is not None and cached.request == request:
            style_net = cached.style_net
        else:
            style_net = load_style_net(request.source, path=request.path or None,
                                       allow_download=request.allow_download)
            yield NetReady(request, style_net)
        if control.should_stop():
            return
        yield from style_transfer(content, style, settings=live, control=control,
                                  style_net=style_net, device=device)

    return job
