"""NetworkSpec: JSON round trip, immutability/edits, catalog and validation messages."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from engine.builder import (
    GROUPS,
    LayerSpec,
    NetworkSpec,
    catalog,
    layer,
    list_presets,
    preset,
    validate_params,
)


@pytest.mark.parametrize("name", list_presets())
def test_json_round_trip_is_lossless(name: str) -> None:
    spec = preset(name)
    text = spec.to_json()
    back = NetworkSpec.from_json(text)
    assert back == spec
    assert back.to_json() == text
    assert NetworkSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    assert NetworkSpec.from_dict(spec.to_dict()).to_dict() == spec.to_dict()


def test_entry_format_is_plain_json() -> None:
    d = preset("googlenet").to_dict()
    assert d["input_shape"] == [1, 1, 96, 96]
    inception = next(e for e in d["layers"] if e["type"] == "Inception")
    assert inception == {"type": "Inception",
                         "params": {"c1": 64, "c2": [96, 128], "c3": [16, 32], "c4": 32}}
    conv = d["layers"][0]
    assert conv["params"]["in_channels"] == "auto"
    assert set(d["train_defaults"]) >= {"lr", "batch_size", "num_epochs", "dataset", "resize"}


def test_specs_are_immutable_and_edits_return_copies() -> None:
    spec = preset("lenet")
    with pytest.raises(Exception):  # noqa: B017 - dataclasses.FrozenInstanceError
        spec.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError, match="read-only"):
        spec.layers[0].params["out_channels"] = 3  # type: ignore[index]
    edited = spec.with_params(0, out_channels=8)
    assert spec.layers[0].params["out_channels"] == 6
    assert edited.layers[0].params["out_channels"] == 8
    moved = spec.move_layer(1, 0)
    assert [e.type for e in moved.layers[:2]] == ["Sigmoid", "Conv2d"]
    assert spec.remove_layer(-1).layers == spec.layers[:-1]
    inserted = spec.insert_layer(0, layer("Identity"))
    assert inserted.layers[0].type == "Identity" and len(inserted.layers) == len(spec.layers) + 1
    assert spec.replace_layer(1, layer("ReLU")).layers[1].type == "ReLU"
    # snapshots survive copy/pickle and hash (undo stacks, worker threads)
    assert copy.deepcopy(spec) == spec and pickle.loads(pickle.dumps(spec)) == spec
    assert hash(spec.layers[0]) == hash(preset("lenet").layers[0])
    with pytest.raises(ValueError, match="out of range"):
        spec.remove_layer(99)


def test_catalog_schema() -> None:
    types = catalog()
    names = {t.type for t in types}
    assert {"Linear", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d",
            "AdaptiveAvgPool2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Dropout",
            "Flatten", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "Identity",
            "VGGBlock", "NiNBlock", "Inception", "Residual", "DenseBlock", "TransitionBlock",
            "DarkNetResidual"} <= names
    for t in types:
        assert t.group in GROUPS and t.description
        assert t.is_block == (t.group == "blocks")
        for p in t.params:
            assert p.kind in ("int", "float", "bool", "choice", "int-tuple") and p.help
        # defaults are valid
        assert validate_params(t.type, {}) == {p.name: validate_params(t.type, {})[p.name]
                                               for p in t.params}
    linear = next(t for t in types if t.type == "Linear")
    assert linear.params[0].name == "in_features" and linear.params[0].auto


@pytest.mark.parametrize(("type_", "params", "match"), [
    ("Conv2d", {"out_channels": -3}, r"Conv2d.out_channels=-3 is below the minimum 1"),
    ("Dropout", {"p": 1.5}, r"Dropout.p=1.5 is above the maximum 1.0"),
    ("Conv2d", {"kernal_size": 3}, r"Conv2d has no parameter 'kernal_size'; known: .*kernel_size"),
    ("Linear", {"out_features": 2.5}, r"Linear.out_features=2.5 must be an integer"),
    ("Linear", {"bias": "yes"}, r"must be true or false"),
    ("GELU", {"approximate": "fast"}, r"must be one of \['none', 'tanh'\]"),
    ("Inception", {"c2": 64}, r"must be a list of 2 integers"),
    ("Conv2d", {"kernel_size": [3, 3, 3]}, r"list of 2 integers"),
    ("Foo", {}, r"unknown layer type 'Foo'; known types: Linear"),
    ("ReLU", {"inplace": True}, r"ReLU has no parameter 'inplace'; it takes no parameters"),
])
def test_validate_params_messages(type_: str, params: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        validate_params(type_, params)


def test_validate_params_canonical_form() -> None:
    assert validate_params("Conv2d", {"out_channels": 6, "kernel_size": [5, 3],
                                      "in_channels": None}) == {
        "in_channels": "auto", "out_channels": 6, "kernel_size": (5, 3), "stride": 1,
        "padding": 0, "dilation": 1, "groups": 1, "bias": True}
    assert validate_params("Dropout", {"p": 0})["p"] == 0.0


@pytest.mark.parametrize(("text", "match"), [
    ("{not json", r"not valid JSON"),
    ("[1, 2]", r"must be a JSON object"),
    ('{"input_shape": [1, 4]}', r"missing 'layers'"),
    ('{"input_shape": [1, 4], "layers": [{"type": "Dense"}]}', r"layer 0: unknown layer type"),
    ('{"input_shape": [1, 4], "layers": [{"type": "Linear", "params": {"out_features": 0}}]}',
     r"layer 0: Linear.out_features=0 is below the minimum 1"),
    ('{"input_shape": [1, 4], "layers": [{"type": "ReLU", "param": {}}]}',
     r"layer 0: unknown key\(s\) \['param'\]"),
    ('{"input_shape": [1, -4], "layers": []}', r"input_shape=\[1, -4\] must be"),
    ('{"input_shape": [1, 4], "layers": [], "init": "zeros"}', r"init='zeros' is not a scheme"),
    ('{"input_shape": [1, 4], "layers": [], "train_defaults": {"dataset": "imagenet"}}',
     r"dataset='imagenet' is unknown"),
    ('{"format": "something-else", "input_shape": [1, 4], "layers": []}', r"not a network spec"),
    ('{"input_shape": [1, 4], "layers": [{"type": "ReLU", "shared_with": "a"}]}',
     r"shared_with='a' must name an earlier layer"),
])
def test_bad_spec_json_gives_clear_message(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        NetworkSpec.from_json(text)


def test_optional_entry_keys_round_trip() -> None:
    spec = NetworkSpec("tied", (2, 8), (
        layer("Linear", out_features=8, name="shared"), layer("ReLU"),
        layer("Linear", out_features=8, shared_with="shared"),
        layer("Linear", out_features=1, frozen=True)))
    d = spec.to_dict()
    assert d["layers"][0]["name"] == "shared" and d["layers"][3]["frozen"] is True
    assert "frozen" not in d["layers"][1]
    assert NetworkSpec.from_json(spec.to_json()) == spec
    assert LayerSpec.from_dict(d["layers"][2]).shared_with == "shared"
