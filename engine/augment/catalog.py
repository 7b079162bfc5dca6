"""The augmentation steps: their parameter schemas and how each becomes a v2 transform.

Schemas reuse the network builder's machinery (``engine.builder.catalog.ParamSpec`` and
its checks), so the same form code serves the Build tab's property panel and the Augment
tab's sliders. Two additions: ``"float-range"`` (a ``(low, high)`` pair, e.g. the crop
``scale``) and ``AugParam.step`` (a slider's step: kernel sizes move 1, 3, 5, ...).

Each ``StepType`` holds ``kwargs(params, dtype)``: the torchvision constructor arguments
for canonical params. ``build_pipeline`` and ``to_code`` both use it, so exported code
builds exactly the transforms the preview ran.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.builder.catalog import ParamSpec, is_finite
from engine.builder.catalog import _check as _check_builder_kind

GROUPS = ("geometry", "colour", "auto", "erase", "normalise", "batch")
KINDS = ("int", "float", "bool", "choice", "int-tuple", "float-range")
MAX_SIZE = 4096  # output sides: the loader already downscales anything longer
PADDING_MODES = ("constant", "edge", "reflect", "symmetric")
NORMALIZE_STATS = {  # name -> (mean, std)
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "half": ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
}


@dataclass(frozen=True)
class AugParam(ParamSpec):
    """A ``ParamSpec`` with a slider step (None: continuous; 2 from an odd minimum: odd)."""

    step: float | None = None


@dataclass(frozen=True)
class Enum:
    """A torchvision enum member in kwargs: built as ``v2.<cls>.<name>``, written so too."""

    cls: str
    name: str


@dataclass(frozen=True)
class StepType:
    """A catalogue entry.

    Attributes:
        type: the torchvision ``transforms.v2`` class name.
        group: one of ``GROUPS``.
        description: one line for a tooltip (what it does, the d2l section).
        params: the schema, in display order.
        kwargs: ``(params, dtype) -> constructor kwargs`` (``dtype``: ``"uint8"`` or
            ``"float32"``, the image dtype reaching the step).
        geometric: moves pixels, so boxes and masks move with it.
        boxes_ok: torchvision accepts boxes and masks with it (AutoAugment does not).
        needs_float: the image must be float (Normalize).
        batch: a batch-level step (MixUp, CutMix): applied to a whole batch after the
            per-example steps; not part of ``build_pipeline``.
        check: extra checks across fields; raises ValueError.
    """

    type: str
    group: str
    description: str
    params: tuple[AugParam, ...]
    kwargs: Callable[[Mapping[str, Any], str], dict[str, Any]]
    geometric: bool = False
    boxes_ok: bool = True
    needs_float: bool = False
    batch: bool = False
    check: Callable[[str, Mapping[str, Any]], None] | None = None


def _a(name: str, kind: str, default: Any, **kw: Any) -> AugParam:
    return AugParam(name, kind, default, **kw)


def _prob(default: float = 0.5) -> AugParam:
    return _a("p", "float", default, min=0.0, max=1.0, help="probability that the step is "
              "applied to a sample")


def _size(default: Any = (200, 200), help: str = "output height, width in pixels") -> AugParam:
    return _a("size", "int-tuple", default, min=1, max=MAX_SIZE, help=help)


def _fill() -> AugParam:
    return _a("fill", "int", 0, min=0, max=255, help="grey level (0-255) of pixels that come "
              "from outside the image")


def _fill_value(params: Mapping[str, Any], dtype: str) -> int | float:
    return params["fill"] if dtype == "uint8" else round(params["fill"] / 255, 6)


def _same(*names: str) -> Callable[[Mapping[str, Any], str], dict[str, Any]]:
    return lambda params, _dtype: {n: params[n] for n in names}


def _size_kw(params: Mapping[str, Any]) -> Any:
    size = params["size"]
    return list(size) if isinstance(size, tuple) else size


def _rrc(params: Mapping[str, Any], _dtype: str) -> dict[str, Any]:
    return {"size": _size_kw(params), "scale": params["scale"], "ratio": params["ratio"],
            "antialias": params["antialias"]}


def _random_crop(params: Mapping[str, Any], dtype: str) -> dict[str, Any]:
    return {"size": _size_kw(params), "padding": params["padding"] or None,
            "pad_if_needed": params["pad_if_needed"], "fill": _fill_value(params, dtype),
            "padding_mode": params["padding_mode"]}


def _pad(params: Mapping[str, Any], dtype: str) -> dict[str, Any]:
    padding = params["padding"]
    return {"padding": list(padding) if isinstance(padding, tuple) else padding,
            "fill": _fill_value(params, dtype), "padding_mode": params["padding_mode"]}


def _affine(params: Mapping[str, Any], dtype: str) -> dict[str, Any]:
    kw: dict[str, Any] = {"degrees": params["degrees"]}
    if params["translate_x"] or params["translate_y"]:
        kw["translate"] = (params["translate_x"], params["translate_y"])
    if params["scale"] != (1.0, 1.0):
        kw["scale"] = params["scale"]
    if params["shear"]:
        kw["shear"] = params["shear"]
    kw["fill"] = _fill_value(params, dtype)
    return kw


def _solarize(params: Mapping[str, Any], dtype: str) -> dict[str, Any]:
    t = params["threshold"]
    return {"threshold": round(t * 255) if dtype == "uint8" else t, "p": params["p"]}


def _erasing(params: Mapping[str, Any], dtype: str) -> dict[str, Any]:
    v = params["value"]
    return {"p": params["p"], "scale": params["scale"], "ratio": params["ratio"],
            "value": round(v * 255) if dtype == "uint8" else v}


def _normalize(params: Mapping[str, Any], _dtype: str) -> dict[str, Any]:
    mean, std = NORMALIZE_STATS[params["stats"]]
    return {"mean": list(mean), "std": list(std)}


def _check_pad(type: str, params: Mapping[str, Any]) -> None:
    padding = params["padding"]
    if isinstance(padding, tuple) and len(padding) not in (1, 2, 4):
        raise ValueError(f"{type}.padding={list(padding)} must be 1, 2 (left/right, top/"
                         f"bottom) or 4 (left, top, right, bottom) integers")


def _check_blur(type: str, params: Mapping[str, Any]) -> None:
    k = params["kernel_size"]
    if k % 2 == 0:
        raise ValueError(f"{type}.kernel_size={k} must be odd (a blur kernel has a centre "
                         f"pixel); use {k - 1} or {k + 1}")


_ANTIALIAS = _a("antialias", "bool", True, help="smooth when shrinking (as PIL does)")
_MODE = _a("padding_mode", "choice", "constant", choices=PADDING_MODES,
           help="constant: fill; edge: repeat the border; reflect / symmetric: mirror")
_DEGREES = "largest rotation in degrees; each sample draws an angle in [-degrees, degrees]"

_TYPES: tuple[StepType, ...] = (
    StepType("RandomHorizontalFlip", "geometry", "Mirror left-right with probability p — "
             "the book's most common augmentation (d2l 14.1.1)", (_prob(),),
             _same("p"), geometric=True),
    StepType("RandomVerticalFlip", "geometry", "Mirror top-bottom with probability p "
             "(d2l 14.1.1)", (_prob(),), _same("p"), geometric=True),
    StepType("RandomResizedCrop", "geometry", "Crop a random area (scale × the image) of a "
             "random aspect ratio, resize it to size (d2l 14.1.1 shape_aug)",
             (_size(),
              _a("scale", "float-range", (0.08, 1.0), min=0.01, max=1.0,
                 help="fraction of the image area the crop covers (low, high)"),
              _a("ratio", "float-range", (0.75, 4 / 3), min=0.1, max=10.0,
                 help="width / height of the crop (low, high)"), _ANTIALIAS),
             _rrc, geometric=True),
    StepType("RandomCrop", "geometry", "Cut a size window at a random place (after optional "
             "padding) — the CIFAR-10 crop of d2l 14.13",
             (_size(), _a("padding", "int", 0, min=0, max=1024, help="pixels added on each "
                          "side first (0: none)"),
              _a("pad_if_needed", "bool", True, help="pad an image smaller than size instead "
                 "of failing"), _fill(), _MODE), _random_crop, geometric=True),
    StepType("Resize", "geometry", "Resize to height, width (one number: the shorter side, "
             "aspect kept)", (_size((224, 224)), _ANTIALIAS), _same("size", "antialias"),
             geometric=True),
    StepType("CenterCrop", "geometry", "Cut the central height × width window",
             (_size(),), lambda p, _d: {"size": _size_kw(p)}, geometric=True),
    StepType("Pad", "geometry", "Add a border: one number for all sides, two (left/right, "
             "top/bottom) or four",
             (_a("padding", "int-tuple", 16, min=0, max=1024, length=None,
                 help="pixels added: all sides, or left/right, top/bottom, or l, t, r, b"),
              _fill(), _MODE), _pad, geometric=True, check=_check_pad),
    StepType("RandomRotation", "geometry", "Rotate by a random angle around the centre",
             (_a("degrees", "float", 30.0, min=0.0, max=180.0, help=_DEGREES),
              _a("expand", "bool", False, help="grow the output so the whole rotated image "
                 "fits"), _fill()),
             lambda p, d: {"degrees": p["degrees"], "expand": p["expand"],
                           "fill": _fill_value(p, d)}, geometric=True),
    StepType("RandomAffine", "geometry", "Random rotation, shift, zoom and shear in one "
             "resampling",
             (_a("degrees", "float", 15.0, min=0.0, max=180.0, help=_DEGREES),
              _a("translate_x", "float", 0.1, min=0.0, max=1.0, help="largest horizontal "
                 "shift, as a fraction of the width"),
              _a("translate_y", "float", 0.1, min=0.0, max=1.0, help="largest vertical "
                 "shift, as a fraction of the height"),
              _a("scale", "float-range", (0.9, 1.1), min=0.1, max=4.0,
                 help="zoom factor drawn from (low, high); 1, 1 = no zoom"),
              _a("shear", "float", 0.0, min=0.0, max=89.0, help="largest shear angle in "
                 "degrees (x direction)"), _fill()),
             _affine, geometric=True),
    StepType("RandomPerspective", "geometry", "Move the four corners inwards at random: a "
             "view from another angle",
             (_a("distortion_scale", "float", 0.5, min=0.0, max=1.0,
                 help="how far corners may move (0: none, 1: to the centre)"), _prob(),
              _fill()),
             lambda p, d: {"distortion_scale": p["distortion_scale"], "p": p["p"],
                           "fill": _fill_value(p, d)}, geometric=True),
    StepType("ColorJitter", "colour", "Random brightness, contrast, saturation (factor in "
             "[1 − x, 1 + x]) and hue shift in [−hue, hue] (d2l 14.1.2 color_aug)",
             (_a("brightness", "float", 0.5, min=0.0, max=2.0, help="brightness factor drawn "
                 "from [1 − x, 1 + x]"),
              _a("contrast", "float", 0.5, min=0.0, max=2.0, help="contrast factor drawn "
                 "from [1 − x, 1 + x]"),
              _a("saturation", "float", 0.5, min=0.0, max=2.0, help="saturation factor "
                 "drawn from [1 − x, 1 + x]"),
              _a("hue", "float", 0.5, min=0.0, max=0.5, help="hue shift drawn from "
                 "[−hue, hue], in turns of the colour wheel (at most 0.5)")),
             _same("brightness", "contrast", "saturation", "hue")),
    StepType("RandomGrayscale", "colour", "Drop the colour with probability p",
             (_prob(0.1),), _same("p")),
    StepType("GaussianBlur", "colour", "Blur with a Gaussian of random sigma",
             (_a("kernel_size", "int", 5, min=1, max=99, step=2, help="kernel side (odd)"),
              _a("sigma", "float-range", (0.1, 2.0), min=0.01, max=20.0,
                 help="sigma drawn from (low, high)")),
             _same("kernel_size", "sigma"), check=_check_blur),
    StepType("GaussianNoise", "colour", "Add Gaussian noise (on a 0-1 intensity scale)",
             (_a("mean", "float", 0.0, min=-1.0, max=1.0, help="mean of the noise"),
              _a("sigma", "float", 0.1, min=0.0, max=1.0, help="standard deviation"),
              _a("clip", "bool", True, help="keep values in the valid range")),
             _same("mean", "sigma", "clip")),
    StepType("RandomInvert", "colour", "Negative image with probability p", (_prob(),),
             _same("p")),
    StepType("RandomPosterize", "colour", "Keep only the top bits of each channel",
             (_a("bits", "int", 2, min=1, max=8, help="bits kept per channel"), _prob()),
             _same("bits", "p")),
    StepType("RandomSolarize", "colour", "Invert pixels brighter than the threshold",
             (_a("threshold", "float", 0.5, min=0.0, max=1.0, help="fraction of full "
                 "brightness above which pixels are inverted"), _prob()), _solarize),
    StepType("RandomAutocontrast", "colour", "Stretch each channel to the full range",
             (_prob(),), _same("p")),
    StepType("RandomEqualize", "colour", "Equalise the histogram", (_prob(),), _same("p")),
    StepType("AutoAugment", "auto", "A learned policy of two operations per sample "
             "(Cubuk et al. 2019)",
             (_a("policy", "choice", "imagenet", choices=("imagenet", "cifar10", "svhn"),
                 help="the dataset the policy was learned on"),),
             lambda p, _d: {"policy": Enum("AutoAugmentPolicy", p["policy"].upper())},
             geometric=True, boxes_ok=False),
    StepType("RandAugment", "auto", "num_ops random operations of one magnitude "
             "(Cubuk et al. 2020)",
             (_a("num_ops", "int", 2, min=1, max=10, help="operations per sample"),
              _a("magnitude", "int", 9, min=0, max=30, help="strength, 0-30")),
             _same("num_ops", "magnitude"), geometric=True, boxes_ok=False),
    StepType("TrivialAugmentWide", "auto", "One random operation of random strength "
             "(Müller & Hutter 2021)",
             (_a("num_magnitude_bins", "int", 31, min=2, max=64, help="number of strengths"),),
             _same("num_magnitude_bins"), geometric=True, boxes_ok=False),
    StepType("RandomErasing", "erase", "Blank a random rectangle (Zhong et al. 2020); boxes "
             "and masks are not changed",
             (_prob(), _a("scale", "float-range", (0.02, 0.33), min=0.001, max=1.0,
                          help="fraction of the image area erased (low, high)"),
              _a("ratio", "float-range", (0.3, 3.3), min=0.1, max=10.0,
                 help="aspect ratio of the rectangle (low, high)"),
              _a("value", "float", 0.0, min=0.0, max=1.0, help="grey level written (0-1)")),
             _erasing),
    StepType("Normalize", "normalise", "Subtract the mean and divide by the std per channel "
             "(makes the image float; shown min-max rescaled)",
             (_a("stats", "choice", "imagenet", choices=tuple(NORMALIZE_STATS),
                 help="imagenet: the pretrained models' statistics; half: 0.5, 0.5"),),
             _normalize, needs_float=True),
    StepType("MixUp", "batch", "Batch level: blend each image with another, labels in the "
             "same proportion λ ~ Beta(α, α) (Zhang et al. 2018)",
             (_a("alpha", "float", 1.0, min=0.01, max=10.0, help="α of the Beta(α, α) the "
                 "mixing weight is drawn from"),), _same("alpha"), batch=True),
    StepType("CutMix", "batch", "Batch level: paste a patch of another image, labels by "
             "area (Yun et al. 2019)",
             (_a("alpha", "float", 1.0, min=0.01, max=10.0, help="α of the Beta(α, α) the "
                 "kept area is drawn from"),), _same("alpha"), batch=True),
)
_BY_NAME = {t.type: t for t in _TYPES}


def catalogue() -> list[StepType]:
    """Every step type, in ``GROUPS`` order."""
    return sorted(_TYPES, key=lambda t: GROUPS.index(t.group))


def step_type(name: str) -> StepType:
    """The catalogue entry ``name``; ValueError listing the known steps otherwise."""
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown augmentation step {name!r}; known steps: "
                         f"{', '.join(_BY_NAME)}") from None


def validate_step_params(type: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Canonical params of step ``type`` (defaults filled, pairs as tuples).

    Raises:
        ValueError: unknown step or parameter, wrong kind, out of range, a range whose
            low end is above its high end, an even blur kernel, naming ``Type.field``.
    """
    st = step_type(type)
    if params is not None and not isinstance(params, Mapping):
        raise ValueError(f"{type}.params must be an object of parameter values")
    params = dict(params or {})
    known = {p.name for p in st.params}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(f"{type} has no parameter {unknown[0]!r}; known: "
                         f"{', '.join(sorted(known)) or 'none'}")
    out = {p.name: _check(type, p, params.get(p.name, p.default)) for p in st.params}
    if st.check is not None:
        st.check(type, out)
    return out


def _check(type: str, p: AugParam, value: Any) -> Any:
    if p.kind != "float-range":
        return _check_builder_kind(type, p, value)
    where = f"{type}.{p.name}={value!r}"
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, (int, float)) or not is_finite(v)
                   for v in value)):
        raise ValueError(f"{where} must be a pair of numbers [low, high]")
    low, high = float(value[0]), float(value[1])
    if low > high:
        raise ValueError(f"{where}: low {low:g} is above high {high:g}; swap them")
    for v in (low, high):
        if p.min is not None and v < p.min:
            raise ValueError(f"{where} is below the minimum {p.min:g}; use values >= {p.min:g}")
        if p.max is not None and v > p.max:
            raise ValueError(f"{where} is above the maximum {p.max:g}; use values <= {p.max:g}")
    return (low, high)
