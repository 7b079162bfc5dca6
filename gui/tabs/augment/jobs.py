"""The Augment tab's background jobs: the preview grid and the inspector.

Each is an engine job ``job(control) -> Iterator[event]`` for ``JobRunner``; it yields one
frozen result holding plain numpy data and the request token it answers, so the tab can
drop a result whose request is no longer the current one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.augment import (
    AugmentedSample,
    InspectFrame,
    PipelineSpec,
    inspect,
    iter_preview,
    mix_batch,
)
from engine.jobs import JobControl


@dataclass(frozen=True)
class PreviewRequest:
    """What a preview shows: the tab's state when it was asked for."""

    token: int
    image: np.ndarray
    spec: PipelineSpec
    n: int
    seed: int
    boxes: np.ndarray | None
    mask: np.ndarray | None


@dataclass(frozen=True)
class PreviewDone:
    token: int
    samples: tuple[AugmentedSample, ...]
    seconds: float


@dataclass(frozen=True)
class InspectDone:
    token: int
    sample: int
    frames: tuple[InspectFrame, ...]


def preview_job(request: PreviewRequest):
    def job(control: JobControl) -> Iterator[Any]:
        start = time.perf_counter()
        samples = []
        for s in iter_preview(request.image, request.spec, n=request.n, seed=request.seed,
                              boxes=request.boxes, mask=request.mask):
            samples.append(s)
            if control.should_stop():
                return
        samples = mix_batch(samples, request.spec, seed=request.seed)
        yield PreviewDone(request.token, tuple(samples), time.perf_counter() - start)
    return job


def inspect_job(request: PreviewRequest, sample: int, seed: int):
    def job(_control: JobControl) -> Iterator[Any]:
        frames = inspect(request.image, request.spec, seed=seed, boxes=request.boxes,
                         mask=request.mask)
        yield InspectDone(request.token, sample, tuple(frames))
    return job
