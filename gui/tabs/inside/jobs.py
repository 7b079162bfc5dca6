"""The Inside tab's worker jobs: each runs an engine call and turns its numbers into
ready-to-show numpy images, so the UI thread only puts pixels on screen.

Every job touching a network takes ``NET_LOCK``: the maps, attribution and evaluation
runners may overlap, and a module's eval/train mode is shared state.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.jobs import JobControl

from .render import Mosaic, input_image, mosaic, overlay

NET_LOCK = threading.Lock()


@dataclass(frozen=True)
class Source:
    """Where the network comes from: ``kind`` "ref" (``ref`` = ModelRef, untrained),
    "run" (``model`` = RunModel), "checkpoint" (``path``), "live" (``model`` = a Subject
    without its network: the Train tab's run, seen through its ``FeatureMapHook``)."""

    kind: str
    title: str = ""
    ref: Any = None
    model: Any = None
    path: str = ""


@dataclass(frozen=True, eq=False)
class SubjectReady:
    subject: Any
    samples: Any  # engine.insight.subject.Samples or None
    sample_note: str  # why there are no samples, else ""
    convs: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class MapsReady:
    inspection: Any
    mosaics: tuple[Mosaic, ...]
    input_rgb: np.ndarray


@dataclass(frozen=True, eq=False)
class AttributionReady:
    attribution: Any
    input_rgb: np.ndarray
    overlay_rgb: np.ndarray


@dataclass(frozen=True, eq=False)
class Gallery:
    """Thumbnails of ranked test samples (uint8 RGB), their dataset indices."""

    indices: np.ndarray
    images: tuple[np.ndarray, ...]


def load_subject_job(source: Source, n_test: int = 500) -> Any:
    def job(control: JobControl) -> Iterator[object]:
        from engine.insight.features import conv_layers
        from engine.insight.subject import (
            load_samples,
            subject_from_checkpoint,
            subject_from_ref,
            subject_from_run,
        )

        if source.kind == "live":  # a Subject without its network (it is training)
            subject = source.model
        elif source.kind == "checkpoint":
            subject = subject_from_checkpoint(source.path)
        elif source.kind == "run":
            subject = subject_from_run(source.model, title=source.title)
        else:
            subject = subject_from_ref(source.ref, title=source.title)
        if control.should_stop():
            return
        samples, note = None, ""
        try:
            samples = load_samples(subject, n_test=n_test)
        except ValueError as exc:
            note = str(exc)
        convs = tuple(n for n, _ in conv_layers(subject.net)) if subject.net is not None else ()
        yield SubjectReady(subject, samples, note, convs)
    return job


def maps_job(subject: Any, x: Any, *, shared: bool, k: int = 5) -> Any:
    def job(control: JobControl) -> Iterator[object]:
        from engine.insight.features import inspect_input

        with NET_LOCK:
            inspection = inspect_input(subject.net, x, k=k, class_names=subject.class_names)
        mosaics = []
        for m in inspection.maps:
            if control.should_stop():
                return
            mosaics.append(mosaic(m.activation, shared=shared))
        yield MapsReady(inspection, tuple(mosaics),
                        input_image(inspection.input, subject.mean, subject.std))
    return job


def attribution_job(subject: Any, x: Any, *, method: str, target: int | None,
                    layer: str | None) -> Any:
    def job(control: JobControl) -> Iterator[object]:
        from engine.insight.attribution import attribute

        with NET_LOCK:
            result = attribute(subject.net, x, method=method, target=target, layer=layer)
        rgb = input_image(x.numpy() if hasattr(x, "numpy") else x, subject.mean, subject.std)
        yield AttributionReady(result, rgb, overlay(rgb, result.heat))
    return job


def evaluation_job(subject: Any, samples: Any, *, device: str = "cpu", thumbs: int = 60
                   ) -> Any:
    def job(control: JobControl) -> Iterator[object]:
        from engine.insight.evaluation import Evaluation, evaluate

        result = None
        with NET_LOCK:
            try:
                for event in evaluate(subject.net, samples.test, num_classes=subject.num_classes,
                                      class_names=subject.class_names, device=device,
                                      control=control):
                    if isinstance(event, Evaluation):
                        result = event
                    yield event
            finally:
                subject.net.to("cpu")
        if result is None:
            return
        yield gallery(subject, samples, result.ranked[:thumbs])
    return job


def gallery(subject: Any, samples: Any, indices: np.ndarray) -> Gallery:
    """Thumbnails of test samples by dataset index (the loader is unshuffled)."""
    dataset = samples.test.dataset
    images = []
    for i in indices:
        X, _ = dataset[int(i)]
        images.append(input_image(X.numpy(), subject.mean, subject.std))
    return Gallery(np.asarray(indices), tuple(images))

