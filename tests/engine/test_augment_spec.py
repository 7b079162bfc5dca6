"""engine.augment specs: every step's schema rejects bad values by name; JSON round trip."""

from __future__ import annotations

import json

import pytest

from engine.augment import (
    AugmentStep,
    PipelineSpec,
    augment_preset,
    build_pipeline,
    catalogue,
    list_augment_presets,
    step,
    step_type,
)
from engine.augment.spec import MAX_STEPS


def _bad_values(p):
    """Values outside the schema of ``p`` (each must be refused)."""
    if p.kind == "bool":
        return ["yes", 1]
    if p.kind == "choice":
        return ["no-such-choice"]
    if p.kind == "float-range":
        lo, hi = p.min, p.max
        return [(hi, lo) if hi > lo else None, (lo - 1, hi), (lo, hi + 1), "a", [lo]]
    if p.kind == "int-tuple":
        return [0 if p.min == 1 else -1, (p.max + 1, 1), "7"]
    values = ["x", float("nan")]
    if p.min is not None:
        values.append(p.min - 1)
    if p.max is not None:
        values.append(p.max + 1)
    if p.kind == "int":
        values.append(2.5)
    return values


CASES = [(t.type, p.name, bad) for t in catalogue() for p in t.params
         for bad in _bad_values(p) if bad is not None]


@pytest.mark.parametrize("type, name, bad", CASES)
def test_every_step_rejects_bad_parameters_naming_step_and_field(type, name, bad):
    with pytest.raises(ValueError, match=rf"{type}\.{name}="):
        step(type, **{name: bad})
    # the same through a file: the message also gives the step's number
    data = {"steps": [{"type": "RandomHorizontalFlip"}, {"type": type, "params": {name: bad}}]}
    with pytest.raises(ValueError, match=rf"step 2: {type}\.{name}="):
        PipelineSpec.from_dict(data)


@pytest.mark.parametrize("type, params, message", [
    ("RandomResizedCrop", {"scale": (0.9, 0.1)}, r"scale=.*low 0.9 is above high 0.1"),
    ("ColorJitter", {"hue": 0.6}, r"ColorJitter\.hue=0.6 is above the maximum 0.5"),
    ("RandomResizedCrop", {"size": (0, 200)}, r"size=.*below the minimum 1"),
    ("CenterCrop", {"size": 0}, r"CenterCrop\.size=0 is below the minimum"),
    ("RandomHorizontalFlip", {"p": 1.5}, r"p=1.5 is above the maximum 1"),
    ("RandomErasing", {"p": -0.1}, r"RandomErasing\.p=-0.1 is below the minimum 0"),
    ("GaussianBlur", {"kernel_size": 4}, r"GaussianBlur\.kernel_size=4 must be odd"),
    ("Pad", {"padding": (1, 2, 3)}, r"Pad\.padding=\[1, 2, 3\] must be 1, 2"),
    ("RandomRotation", {"angle": 3}, r"RandomRotation has no parameter 'angle'"),
])
def test_the_issues_bad_parameters(type, params, message):
    with pytest.raises(ValueError, match=message):
        step(type, **params)


def test_unknown_step_and_bad_files_say_what_is_wrong():
    with pytest.raises(ValueError, match="unknown augmentation step 'Flip'.*RandomHorizontalFlip"):
        step("Flip")
    for text, message in [("[1, 2", "not valid JSON"), ('{"format": "x"}', "not an augment"),
                          ('{"steps": 3}', "'steps' must be a list"),
                          ('{"steps": [{"type": "Resize", "colour": 1}]}', "unknown key"),
                          ('{"steps": [{"params": {}}]}', "step 1 must be an object"),
                          ('{"steps": [{"type": "Resize", "enabled": "no"}]}',
                           "enabled='no' must be true or false")]:
        with pytest.raises(ValueError, match=message):
            PipelineSpec.from_json(text)
    with pytest.raises(ValueError, match=f"at most {MAX_STEPS}"):
        PipelineSpec.from_dict([{"type": "RandomInvert"}] * (MAX_STEPS + 1))


def test_json_round_trip_of_every_step_and_preset():
    spec = PipelineSpec(tuple(step(t.type) for t in catalogue()), "all")
    spec = spec.replace_step(0, spec.steps[0].with_params(p=0.25)).replace_step(
        3, AugmentStep("RandomCrop", {"size": [32, 32]}, enabled=False))
    text = spec.to_json()
    assert json.loads(text)["steps"][3] == {"type": "RandomCrop", "enabled": False, "params": {
        "size": [32, 32], "padding": 0, "pad_if_needed": True, "fill": 0,
        "padding_mode": "constant"}}
    again = PipelineSpec.from_json(text)
    assert again == spec and again.name == "all"
    assert again.steps[0].params["p"] == 0.25
    for name, _ in list_augment_presets():
        preset = augment_preset(name)
        assert PipelineSpec.from_json(preset.to_json()) == preset
        build_pipeline(preset)  # every preset builds


def test_specs_are_frozen_and_edits_return_new_specs():
    spec = PipelineSpec((step("RandomHorizontalFlip"), step("ColorJitter")))
    with pytest.raises(TypeError):
        spec.steps[0].params["p"] = 1.0  # type: ignore[index]
    moved = spec.move(1, 0)
    assert [s.type for s in moved.steps] == ["ColorJitter", "RandomHorizontalFlip"]
    assert [s.type for s in spec.steps] == ["RandomHorizontalFlip", "ColorJitter"]
    assert len(spec.remove(0).steps) == 1 and len(spec.insert(1, step("Pad")).steps) == 3
    with pytest.raises(ValueError, match="no step 5"):
        spec.remove(5)


def test_book_values_are_the_presets():
    shape = augment_preset("book: shape_aug").steps[0]
    assert shape.params["size"] == (200, 200)
    assert shape.params["scale"] == (0.1, 1.0) and shape.params["ratio"] == (0.5, 2.0)
    colour = augment_preset("book: color_aug").steps[0].params
    assert [colour[k] for k in ("brightness", "contrast", "saturation", "hue")] == [0.5] * 4
    assert [s.type for s in augment_preset("book: augs").steps] == [
        "RandomHorizontalFlip", "ColorJitter", "RandomResizedCrop"]
    assert step_type("MixUp").batch and not build_pipeline(augment_preset("MixUp / CutMix")
                                                           ).transforms[1:]
