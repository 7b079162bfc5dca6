"""What a random step drew, recorded from the transform itself and said in words.

``Recorder`` wraps one v2 transform instance's ``make_params`` (where every v2 transform
draws its randomness) and, for the AutoAugment family, the per-operation call, so the
preview reports the parameters torchvision actually used — not a re-draw of our own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.augment.spec import AugmentStep

_RANDOM_APPLY = {"RandomHorizontalFlip", "RandomVerticalFlip", "RandomGrayscale",
                 "RandomInvert", "RandomPosterize", "RandomSolarize", "RandomAutocontrast",
                 "RandomEqualize", "RandomErasing", "RandomPerspective"}
_AUTO = {"AutoAugment", "RandAugment", "TrivialAugmentWide"}


class Recorder:
    """Records the params each call of ``transform`` draws (``calls``) and, for the
    AutoAugment family, ``ops``: ``(operation, magnitude)`` pairs."""

    def __init__(self, transform: Any) -> None:
        self.calls: list[dict[str, Any]] = []
        self.ops: list[tuple[str, float]] = []
        make_params = transform.make_params

        def recording_make_params(flat_inputs: list[Any]) -> dict[str, Any]:
            params = make_params(flat_inputs)
            self.calls.append(_plain(params))
            return params

        # An instance attribute shadows the method for this instance only.
        transform.make_params = recording_make_params
        apply_op = getattr(transform, "_apply_image_or_video_transform", None)
        if apply_op is not None:
            def recording_apply(image: Any, transform_id: str, magnitude: float,
                                *args: Any, **kwargs: Any) -> Any:
                self.ops.append((transform_id, float(magnitude)))
                return apply_op(image, transform_id, magnitude, *args, **kwargs)

            transform._apply_image_or_video_transform = recording_apply

    def reset(self) -> None:
        self.calls.clear()
        self.ops.clear()


def _plain(value: Any) -> Any:
    """Tensors and tuples -> plain Python numbers and lists (big tensors summarised)."""
    import torch

    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, torch.Tensor):
        return value.item() if value.numel() == 1 else (
            value.tolist() if value.numel() <= 16 else f"tensor{tuple(value.shape)}")
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def describe(step: AugmentStep, recorder: Recorder, size_in: tuple[int, int],
             size_out: tuple[int, int]) -> tuple[bool, dict[str, Any], str]:
    """(applied, drawn params, one line) for one step of one sample."""
    t = step.type
    drawn = recorder.calls[-1] if recorder.calls else {}
    resized = f" → {size_out[0]}×{size_out[1]}" if size_out != size_in else ""
    if t in _RANDOM_APPLY and not recorder.calls:
        return False, {}, f"not applied (p = {step.params['p']:g})"
    if t in _AUTO:
        ops = [{"op": op, "magnitude": round(m, 3)} for op, m in recorder.ops]
        text = ", ".join(f"{o['op']} {o['magnitude']:g}" for o in ops) or "no operation"
        return bool(ops), {"ops": ops}, text + resized
    fn = _TEXT.get(t)
    if fn is None:
        return True, drawn, "applied" + resized
    params, text = fn(step, drawn)
    return True, params, text + resized


def _crop(_step: AugmentStep, d: Mapping[str, Any]) -> tuple[dict, str]:
    crop = (d["left"], d["top"], d["width"], d["height"])
    return {"crop": crop}, f"crop {crop[2]}×{crop[3]} at ({crop[0]}, {crop[1]})"


def _random_crop(step: AugmentStep, d: Mapping[str, Any]) -> tuple[dict, str]:
    params, text = _crop(step, d)
    if d.get("needs_pad"):
        params["padding"] = tuple(d["padding"])
        text = f"pad {tuple(d['padding'])}, {text}"
    return params, text


def _angle(_step: AugmentStep, d: Mapping[str, Any]) -> tuple[dict, str]:
    return {"angle": d["angle"]}, f"rotate {d['angle']:+.1f}°"


def _affine(_step: AugmentStep, d: Mapping[str, Any]) -> tuple[dict, str]:
    tx, ty = d["translate"]
    shear = d["shear"][0] if isinstance(d["shear"], (list, tuple)) else d["shear"]
    params = {"angle": d["angle"], "translate": (tx, ty), "scale": d["scale"], "shear": shear}
    text = f"rotate {d['angle']:+.1f}°, shift ({tx:+d}, {ty:+d}) px, zoom ×{d['scale']:.2f}"
    if shear:
        text += f", shear {shear:+.1f}°"
    return params, text


def _jitter(_step: AugmentStep, d: Mapping[str, Any]) -> tuple[dict, str]:
    names = ("brightness", "contrast", "saturation", "hue")
    params = {n: d.get(f"{n}_factor") for n in names}
    order = [names[i] for i in d.get("fn_idx", [])]
    parts = [f"{n} {params[n]:+.3f}" if n == "hue" else f"{n} ×{params[n]:.2f}"
             for n in order if params[n] is not None]
    params["order"] = [n for n in order if params[n] is not None]
    return params, ", ".join(parts) or "no change (all factors 0)"


def _blur(_step: AugmentStep, d: Mapping[str, Any]) -> tuple[dict, str]:
    sigma = d["sigma"][0]
    return {"sigma": sigma}, f"σ = {sigma:.2f}"


def _erase(_step: AugmentStep, d: Mapping[str, Any]) -> tuple[dict, str]:
    region = (d["j"], d["i"], d["w"], d["h"])
    return ({"erased": region},
            f"erased {region[2]}×{region[3]} at ({region[0]}, {region[1]})")


def _perspective(step: AugmentStep, d: Mapping[str, Any]) -> tuple[dict, str]:
    return ({"coefficients": d.get("coefficients")},
            f"perspective warp (corners moved up to {step.params['distortion_scale']:.0%} "
            f"of the half-size)")


def _const(text: str):
    return lambda step, _d: ({}, text.format(**step.params))


_TEXT = {
    "RandomResizedCrop": _crop,
    "RandomCrop": _random_crop,
    "RandomRotation": _angle,
    "RandomAffine": _affine,
    "RandomPerspective": _perspective,
    "ColorJitter": _jitter,
    "GaussianBlur": _blur,
    "RandomErasing": _erase,
    "RandomHorizontalFlip": _const("flipped left-right"),
    "RandomVerticalFlip": _const("flipped top-bottom"),
    "RandomGrayscale": _const("made grey"),
    "RandomInvert": _const("inverted"),
    "RandomPosterize": _const("kept {bits} bits per channel"),
    "RandomSolarize": _const("inverted above {threshold:.0%} brightness"),
    "RandomAutocontrast": _const("contrast stretched"),
    "RandomEqualize": _const("histogram equalised"),
    "GaussianNoise": _const("noise σ = {sigma:g}, mean {mean:g}"),
    "Resize": _const("resized"),
    "CenterCrop": _const("centre crop"),
    "Pad": _const("padded"),
    "Normalize": _const("normalised with {stats} mean / std"),
}
