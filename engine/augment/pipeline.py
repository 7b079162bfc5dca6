"""Build a pipeline spec into ``transforms.v2`` and run it for previews.

``build_pipeline(spec)`` is the ``v2.Compose`` a training run or exported code uses.
``preview`` runs the same transforms on one image ``n`` times, each sample seeded on its
own (``sample_seed``), with boxes (``tv_tensors.BoundingBoxes``) and a mask
(``tv_tensors.Mask``) carried along, and records what every random step drew.
``inspect`` keeps the image after each step of one sample.

Seeds: sample ``k`` of ``preview(seed=s)`` runs with torch's CPU generator seeded
``sample_seed(s, k)`` and its state put back afterwards (``engine.rng.seeded``, under a
lock so concurrent previews never mix their draws), so the global RNG is neither read nor
changed and ``torch.manual_seed(sample.seed); build_pipeline(spec)(image)`` gives the same
image.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.augment.catalog import Enum, step_type
from engine.augment.draws import Recorder, describe
from engine.augment.spec import AugmentStep, PipelineSpec, as_spec
from engine.rng import seeded

DTYPES = ("uint8", "float32")


@dataclass(frozen=True)
class PlanItem:
    """One transform of a built pipeline: ``v2.<cls>(**kwargs)``.

    ``index`` is the step's position in the spec (None for a dtype conversion the build
    inserts before a step that needs a float image, e.g. Normalize).
    """

    index: int | None
    step: AugmentStep | None
    cls: str
    kwargs: dict[str, Any]


def plan(spec: Any, *, dtype: str = "uint8") -> list[PlanItem]:
    """The transforms ``build_pipeline`` makes, as data (``to_code`` writes the same).

    Args:
        spec: a ``PipelineSpec`` (or its dict / list of steps).
        dtype: ``"uint8"`` (images 0-255, as ``engine.images`` loads them) or
            ``"float32"`` (0-1, as the training sets hold them): thresholds and fill
            levels are written in the units of the image reaching each step.
    """
    if dtype not in DTYPES:
        raise ValueError(f"dtype={dtype!r} must be one of {DTYPES}")
    items: list[PlanItem] = []
    for i, s in as_spec(spec).enabled_steps():
        st = step_type(s.type)
        if st.needs_float and dtype != "float32":
            items.append(PlanItem(None, None, "ToDtype",
                                  {"dtype": Enum("torch", "float32"), "scale": True}))
            dtype = "float32"
        items.append(PlanItem(i, s, s.type, st.kwargs(s.params, dtype)))
    return items


def _resolve(value: Any) -> Any:
    if isinstance(value, Enum):
        import torch
        from torchvision.transforms import v2

        owner = torch if value.cls == "torch" else getattr(v2, value.cls)
        return getattr(owner, value.name)
    return value


def make_transform(item: PlanItem) -> Any:
    """Instantiate one plan item; ValueError naming the step on torchvision's refusal."""
    from torchvision.transforms import v2

    kwargs = {k: _resolve(v) for k, v in item.kwargs.items()}
    try:
        return getattr(v2, item.cls)(**kwargs)
    except (TypeError, ValueError) as exc:
        where = f"step {item.index + 1} ({item.cls})" if item.index is not None else item.cls
        raise ValueError(f"{where}: {exc}") from None


def build_pipeline(spec: Any, *, dtype: str = "uint8") -> Any:
    """``spec`` as a ``torchvision.transforms.v2.Compose`` of its enabled per-example steps
    (batch steps — MixUp, CutMix — are left to ``build_batch_transform``)."""
    from torchvision.transforms import v2

    return v2.Compose([make_transform(item) for item in plan(spec, dtype=dtype)])


def build_batch_transform(spec: Any, *, num_classes: int) -> Any | None:
    """The enabled batch steps of ``spec`` for ``(images[B, C, H, W] float, labels[B])``:
    one of them (``v2.RandomChoice`` when both MixUp and CutMix are on), or None."""
    from torchvision.transforms import v2

    steps = as_spec(spec).batch_steps()
    if not steps:
        return None
    made = [getattr(v2, s.type)(num_classes=num_classes, **step_type(s.type).kwargs(
        s.params, "float32")) for _, s in steps]
    return made[0] if len(made) == 1 else v2.RandomChoice(made)


def sample_seed(seed: int, k: int) -> int:
    """The torch seed of sample ``k`` of a preview seeded ``seed``: a SplitMix64 hash of
    the pair, so seeds 0 and 1 share no samples (``seed + k`` would)."""
    mask = (1 << 64) - 1
    z = ((int(seed) & 0xFFFFFFFF) * 0x9E3779B97F4A7C15 + (int(k) + 1) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return (z ^ (z >> 31)) >> 1  # 63 bits: a valid torch seed


@dataclass(frozen=True)
class StepDraw:
    """What one step did to one sample.

    Attributes:
        index: the step's position in the spec.
        type: its type name.
        applied: False when a step with probability p was skipped by its draw.
        params: the random parameters drawn, as plain numbers (e.g. ``crop`` =
            ``(left, top, width, height)``, ``angle``, ``brightness_factor``).
        text: one line for people: ``crop 312×280 at (40, 12) → 200×200``.
        size_in, size_out: (width, height) before and after.
    """

    index: int
    type: str
    applied: bool
    params: dict[str, Any]
    text: str
    size_in: tuple[int, int]
    size_out: tuple[int, int]


@dataclass(frozen=True)
class AugmentedSample:
    """One augmented sample.

    Attributes:
        image (np.ndarray[H, W, 3] uint8): the result (float results of Normalize are
            shown min-max rescaled; ``notes`` says so).
        boxes (np.ndarray[K, 4] float): xyxy pixels, clipped to the image; boxes left
            empty by the clipping are dropped.
        box_indices (np.ndarray[K] int): which input box each row is (labels follow).
        dropped: how many input boxes were dropped.
        mask (np.ndarray[H, W] uint8 | None): the mask, moved with the image.
        seed: the torch seed this sample ran under.
        draws: one ``StepDraw`` per enabled step (batch steps last).
        notes: anything people should know (boxes that could not follow a step...).
        label_mix: for batch steps, ``((sample, weight), ...)`` of its soft label.
    """

    image: np.ndarray
    boxes: np.ndarray
    box_indices: np.ndarray
    dropped: int
    mask: np.ndarray | None
    seed: int
    draws: tuple[StepDraw, ...]
    notes: tuple[str, ...] = ()
    label_mix: tuple[tuple[int, float], ...] = ()

    def describe(self) -> str:
        """Every step's draw, one per line (the grid's tooltip)."""
        lines = [f"{d.index + 1}. {d.type}: {d.text}" for d in self.draws]
        if self.dropped:
            lines.append(f"{self.dropped} box(es) left the image and were dropped")
        return "\n".join([*lines, *self.notes])


@dataclass(frozen=True)
class InspectFrame:
    """The sample after one step (``draw`` None for the input frame)."""

    title: str
    image: np.ndarray
    boxes: np.ndarray
    box_indices: np.ndarray
    mask: np.ndarray | None
    draw: StepDraw | None
    notes: tuple[str, ...] = field(default=())


# ----------------------------------------------------------------------------- running
@dataclass
class _State:
    image: Any  # tv_tensors.Image
    boxes: Any | None  # tv_tensors.BoundingBoxes
    mask: Any | None  # tv_tensors.Mask
    normalized: bool = False
    notes: list[str] = field(default_factory=list)


def _prepare(image: np.ndarray, boxes: Any, mask: Any) -> tuple[Any, Any, Any]:
    import torch
    from torchvision import tv_tensors

    array = np.asarray(image)
    if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
        raise ValueError(f"image must be uint8 of shape (H, W, 3), got {array.dtype} "
                         f"{array.shape}")
    h, w = array.shape[:2]
    img = tv_tensors.Image(torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1)
                           .contiguous())
    b = None
    if boxes is not None:
        arr = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
        b = tv_tensors.BoundingBoxes(torch.from_numpy(arr.copy()), format="XYXY",
                                     canvas_size=(h, w))
    m = None
    if mask is not None:
        marr = np.asarray(mask)
        if marr.shape != (h, w):
            raise ValueError(f"mask shape {marr.shape} differs from the image's {(h, w)}")
        m = tv_tensors.Mask(torch.from_numpy(marr.astype(np.uint8, copy=True)))
    return img, b, m


def _run_step(state: _State, item: PlanItem, transform: Any,
              recorders: Mapping[int, Recorder]) -> StepDraw | None:
    """Apply one transform to the state in place; the draw it made (None: conversion)."""
    size_in = (int(state.image.shape[-1]), int(state.image.shape[-2]))
    st = step_type(item.cls) if item.step is not None else None
    carry = st is not None and st.boxes_ok
    extras = [x for x in (state.boxes, state.mask) if x is not None] if carry else []
    if st is not None and not st.boxes_ok and (state.boxes is not None or state.mask is not None):
        state.notes.append(f"boxes and masks cannot follow {item.cls} (torchvision does not "
                           f"support them there); not shown after it")
        state.boxes = state.mask = None
    recorder = recorders[id(transform)]
    recorder.reset()
    if item.cls == "RandomErasing" and extras:
        with warnings.catch_warnings():
            # It passes boxes and masks through unchanged, which is what we want.
            warnings.filterwarnings("ignore", message=".*passing through inputs of type.*")
            out = transform(state.image, *extras)
    else:
        out = transform(state.image, *extras) if extras else transform(state.image)
    if extras:
        state.image, rest = out[0], list(out[1:])
        if state.boxes is not None:
            state.boxes = rest.pop(0)
        if state.mask is not None:
            state.mask = rest.pop(0)
    else:
        state.image = out
    if item.step is None:
        return None
    if item.cls == "Normalize":
        state.normalized = True
    size_out = (int(state.image.shape[-1]), int(state.image.shape[-2]))
    applied, params, text = describe(item.step, recorder, size_in, size_out)
    return StepDraw(item.index, item.cls, applied, params, text, size_in, size_out)


def _to_uint8(image: Any, normalized: bool) -> np.ndarray:
    import torch

    x = image.as_subclass(torch.Tensor).detach()
    if x.dtype != torch.uint8:
        x = x.float()
        if normalized:  # a normalised image has no 0-1 range: stretch it to show it
            lo, hi = float(x.min()), float(x.max())
            x = (x - lo) / (hi - lo) if hi > lo else torch.zeros_like(x)
        x = (x.clamp(0, 1) * 255).round().to(torch.uint8)
    return x.permute(1, 2, 0).contiguous().numpy()


def _final_boxes(state: _State, n_in: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Clip to the image and drop emptied boxes with torchvision's own rule (the functional
    forms of ``ClampBoundingBoxes`` and ``SanitizeBoundingBoxes``: min size and area 1)."""
    if state.boxes is None:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.int64), 0  # notes say why
    import torch
    from torchvision.transforms.v2 import functional as F

    clamped = F.clamp_bounding_boxes(state.boxes)
    kept, valid = F.sanitize_bounding_boxes(clamped)
    boxes = kept.as_subclass(torch.Tensor).numpy().astype(np.float32)
    indices = np.flatnonzero(valid.numpy()).astype(np.int64)
    return boxes, indices, n_in - len(indices)


def _display_boxes(state: _State) -> np.ndarray:
    if state.boxes is None:
        return np.zeros((0, 4), np.float32)
    import torch
    from torchvision.transforms import v2

    return v2.ClampBoundingBoxes()(state.boxes).as_subclass(torch.Tensor).numpy().copy()


@contextmanager
def _seeded_single_thread(seed: int) -> Iterator[None]:
    """``engine.rng.seeded(seed)`` (the global CPU generator that v2 transforms draw from,
    seeded under a process-wide lock and put back after) with torch's intra-op threads at
    1: a preview's ops work on a few hundred thousand pixels, where thread hand-offs cost
    more than they save (flip of 512×512: 0.03 ms on one thread, 24 ms on two of a busy
    2-core machine — measured)."""
    import torch

    threads = torch.get_num_threads()
    with seeded(seed):
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(threads)


def _built(spec: PipelineSpec) -> tuple[list[tuple[PlanItem, Any]], dict[int, Recorder]]:
    """The transforms of one preview and a recorder on each (made once, reset per sample)."""
    built = [(item, make_transform(item)) for item in plan(spec, dtype="uint8")]
    return built, {id(t): Recorder(t) for _, t in built}


def iter_preview(image: np.ndarray, spec: Any, *, n: int = 8, seed: int = 0,
                 boxes: Any = None, mask: Any = None) -> Iterator[AugmentedSample]:
    """The per-example part of ``preview``, one sample at a time (a job can stop between)."""
    import torch

    spec = as_spec(spec)
    if not 1 <= n <= 256:
        raise ValueError(f"n={n} samples: use 1 to 256")
    with _seeded_single_thread(seed):
        img, b, m = _prepare(image, boxes, mask)
    built, recorders = _built(spec)
    n_boxes = 0 if b is None else int(b.shape[0])
    for k in range(n):
        s = sample_seed(seed, k)
        state = _State(img, b, m)
        draws = []
        with _seeded_single_thread(s):
            for item, transform in built:
                draw = _run_step(state, item, transform, recorders)
                if draw is not None:
                    draws.append(draw)
            out_boxes, indices, dropped = _final_boxes(state, n_boxes)
            out_image = _to_uint8(state.image, state.normalized)
        out_mask = None if state.mask is None else state.mask.as_subclass(torch.Tensor).numpy()
        notes = list(state.notes)
        if state.normalized:
            notes.append("after Normalize the image is float; shown min-max rescaled")
        yield AugmentedSample(out_image, out_boxes, indices, dropped if b is not None else 0,
                              out_mask, s, tuple(draws), tuple(notes))


def preview(image: np.ndarray, spec: Any, *, n: int = 8, seed: int = 0, boxes: Any = None,
            mask: Any = None) -> list[AugmentedSample]:
    """``n`` augmented samples of ``image`` (d2l's ``apply(img, aug)``, with the draws).

    Args:
        image (np.ndarray[H, W, 3] uint8): as ``engine.images.load_image`` gives it.
        spec: a ``PipelineSpec`` (or its dict / list of steps).
        n: number of samples (the grid's rows × columns).
        seed: same seed → same samples, whatever the global RNG state.
        boxes (array[N, 4]): xyxy pixels, moved with every geometric step.
        mask (array[H, W] int): a label mask, moved with every geometric step.

    Returns:
        ``AugmentedSample`` s; with MixUp / CutMix enabled they are then mixed as a batch
        (when every sample has the same size).

    Raises:
        ValueError: bad image, mask or spec, naming the step and the field.
    """
    samples = list(iter_preview(image, spec, n=n, seed=seed, boxes=boxes, mask=mask))
    return mix_batch(samples, spec, seed=seed)


def mix_batch(samples: list[AugmentedSample], spec: Any, *, seed: int = 0
              ) -> list[AugmentedSample]:
    """Apply the enabled batch steps (MixUp / CutMix) to a preview's samples as one batch,
    labels = sample numbers, so each sample's soft label says whom it was mixed with."""
    import torch

    spec = as_spec(spec)
    batch = spec.batch_steps()
    if not batch or not samples:
        return samples
    sizes = {s.image.shape for s in samples}
    if len(sizes) > 1 or len(samples) < 2:
        why = "samples of different sizes" if len(sizes) > 1 else "a single sample"
        note = f"MixUp / CutMix need a batch of equal-sized images; not applied to {why}"
        return [_with(s, notes=(*s.notes, note)) for s in samples]
    transform = build_batch_transform(spec, num_classes=len(samples))
    choices = list(getattr(transform, "transforms", [transform]))
    recorders = [Recorder(t) for t in choices]
    X = torch.stack([torch.from_numpy(s.image).permute(2, 0, 1) for s in samples]).float() / 255
    with _seeded_single_thread(sample_seed(seed, 1_000_000)):
        X_mix, y_mix = transform(X, torch.arange(len(samples)))
    used = next((i for i, r in enumerate(recorders) if r.calls), 0)
    chosen = batch[used][1] if len(batch) == len(choices) else batch[0][1]
    drawn = recorders[used].calls[0] if recorders[used].calls else {}
    images = (X_mix.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    out = []
    for k, s in enumerate(samples):
        weights = tuple((int(j), round(float(w), 4)) for j, w in enumerate(y_mix[k]) if w > 1e-6)
        params, text = _mix_text(chosen.type, drawn, k, len(samples))
        draw = StepDraw(spec.steps.index(chosen), chosen.type, True, params, text,
                        (s.image.shape[1], s.image.shape[0]), (s.image.shape[1],
                                                               s.image.shape[0]))
        note = "boxes and mask are the sample's own, from before the mixing"
        notes = (*s.notes, note) if (len(s.boxes) or s.mask is not None) else s.notes
        out.append(_with(s, image=np.ascontiguousarray(images[k]), draws=(*s.draws, draw),
                         label_mix=weights, notes=notes))
    return out


def _mix_text(type: str, drawn: Mapping[str, Any], k: int, n: int) -> tuple[dict, str]:
    partner = (k - 1) % n  # torchvision mixes each image with the previous one (roll by 1)
    if type == "MixUp":
        lam = float(drawn.get("lam", 1.0))
        return ({"lam": lam, "partner": partner},
                f"λ = {lam:.2f}: {lam:.0%} this sample + {1 - lam:.0%} of sample {partner + 1}")
    lam = float(drawn.get("lam_adjusted", 1.0))
    box = tuple(int(v) for v in drawn.get("box", (0, 0, 0, 0)))
    return ({"lam": lam, "box": box, "partner": partner},
            f"patch x {box[0]}–{box[2]}, y {box[1]}–{box[3]} from sample {partner + 1}; "
            f"label {lam:.0%} this + {1 - lam:.0%} sample {partner + 1}")


def _with(sample: AugmentedSample, **changes: Any) -> AugmentedSample:
    from dataclasses import replace

    return replace(sample, **changes)


def inspect(image: np.ndarray, spec: Any, *, seed: int, boxes: Any = None,
            mask: Any = None) -> list[InspectFrame]:
    """One sample after each step, for the inspector.

    Args:
        seed: the sample's torch seed (``AugmentedSample.seed``): the last frame is that
            preview sample.

    Returns:
        ``InspectFrame`` s: the input, then one per enabled per-example step.
    """
    import torch

    spec = as_spec(spec)
    with _seeded_single_thread(seed):
        img, b, m = _prepare(image, boxes, mask)
        state = _State(img, b, m)
        n_boxes = 0 if b is None else int(b.shape[0])
        frames = [InspectFrame("input", np.asarray(image), _display_boxes(state),
                               np.arange(n_boxes), None if mask is None else np.asarray(mask),
                               None)]
        torch.default_generator.manual_seed(seed)  # the sample's draws start here
        built, recorders = _built(spec)
        for item, transform in built:
            n_notes = len(state.notes)
            draw = _run_step(state, item, transform, recorders)
            if draw is None:
                continue
            last = item is not None and item.index == spec.enabled_steps()[-1][0]
            if last:
                out_boxes, indices, _ = _final_boxes(state, n_boxes)
            else:
                out_boxes, indices = _display_boxes(state), np.arange(
                    0 if state.boxes is None else n_boxes)
            frames.append(InspectFrame(
                f"{draw.index + 1}. {draw.type}", _to_uint8(state.image, state.normalized),
                out_boxes, indices,
                None if state.mask is None else state.mask.as_subclass(torch.Tensor).numpy(),
                draw, tuple(state.notes[n_notes:])))
    return frames
