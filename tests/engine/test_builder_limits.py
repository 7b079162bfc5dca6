"""Bad network files: every problem is a ValueError with a message, in the engine and the
CLI; limits on layers, nesting and integer params keep 1e30 and 20,000 layers out."""

from __future__ import annotations

import contextlib
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from engine import cli
from engine.builder import NetworkSpec, format_summary, preset, summarize, validate_params
from engine.builder.catalog import MAX_UNITS, MAX_WINDOW, catalog
from engine.builder.spec import MAX_JSON_DEPTH, MAX_LAYERS, json_depth

ROOT = Path(__file__).resolve().parents[2]
DEEP = '{"input_shape": [1, 4], "layers": ' + "[" * 100_000 + "]" * 100_000 + "}"


def spec_dict(**change: object) -> dict:
    d = preset("lenet").to_dict()
    d.update(change)
    return d


def with_param(type_: str, **params: object) -> str:
    return json.dumps(spec_dict(layers=[{"type": type_, "params": params}]))


def test_deeply_nested_json_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="nested too deeply"):
        NetworkSpec.from_json(DEEP)
    nested: object = 1
    for _ in range(MAX_JSON_DEPTH):
        nested = [nested]
    shallow_but_deep = json.dumps(spec_dict(train_defaults={"x": nested}))
    with pytest.raises(ValueError, match=f"at most {MAX_JSON_DEPTH}"):
        NetworkSpec.from_json(shallow_but_deep)


def test_huge_integers_are_refused_with_the_bound() -> None:
    with pytest.raises(ValueError, match=r"out_channels=10{30} is above the maximum"):
        NetworkSpec.from_json(with_param("Conv2d", out_channels=10**30))
    with pytest.raises(ValueError, match="eps=.* must be a number"):
        NetworkSpec.from_json(with_param("BatchNorm2d", eps=10**400))  # was OverflowError
    with pytest.raises(ValueError, match="must be an int from 1 to"):
        NetworkSpec.from_json(json.dumps(spec_dict(train_defaults={"batch_size": 10**30})))
    with pytest.raises(ValueError, match="lr=.* must be a positive number"):
        NetworkSpec.from_json(json.dumps(spec_dict(train_defaults={"lr": 10**400})))
    with pytest.raises(ValueError, match="each dimension must be at most"):
        NetworkSpec.from_json(json.dumps(spec_dict(input_shape=[1, 1, 10**30, 28])))


def test_every_integer_param_has_a_bound() -> None:
    for lt in catalog():
        for p in lt.params:
            if p.kind in ("int", "int-tuple"):
                assert p.max is not None and p.max <= MAX_UNITS, (lt.type, p.name)
    validate_params("Linear", {"in_features": 100_000, "out_features": 100_000})  # allowed
    with pytest.raises(ValueError, match=f"use a value <= {MAX_WINDOW}"):
        validate_params("Conv2d", {"kernel_size": (3, MAX_WINDOW + 1)})


def test_too_many_layers_is_refused_before_parsing_them() -> None:
    text = json.dumps({"input_shape": [1, 8], "layers": [{"type": "ReLU"}] * 20_000})
    with pytest.raises(ValueError, match=f"20,000 entries; at most {MAX_LAYERS:,}"):
        NetworkSpec.from_json(text)
    ok = json.dumps({"input_shape": [1, 8], "layers": [{"type": "ReLU"}] * MAX_LAYERS})
    assert len(NetworkSpec.from_json(ok).layers) == MAX_LAYERS
    spec = NetworkSpec.from_json(ok)
    with pytest.raises(ValueError, match="at most"):
        spec.insert_layer(0, spec.layers[0])


def test_json_depth() -> None:
    assert json_depth(1) == 0 and json_depth([]) == 1 and json_depth({"a": [[1]]}) == 3
    assert json_depth(preset("lenet").to_dict()) <= 5


WEIRD = [None, True, -1, 0, 10**30, 10**400, 1e308, float("inf"), "x", "", [], {}, [1, [2]],
         {"a": 1}, [10**30, 3], -(10**30)]


def _mutations(d: object, rng: random.Random, path: tuple = ()) -> list[tuple]:
    """Every (path) to a value inside ``d``."""
    out = [path]
    if isinstance(d, dict):
        for k, v in d.items():
            out += _mutations(v, rng, (*path, k))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            out += _mutations(v, rng, (*path, i))
    return out


def _set(d: object, path: tuple, value: object) -> object:
    if not path:
        return value
    d[path[0]] = _set(d[path[0]], path[1:], value)  # type: ignore[index]
    return d


@pytest.mark.parametrize("name", ["lenet", "googlenet", "resnet-18"])
def test_fuzzed_specs_only_raise_value_errors(name: str) -> None:
    rng = random.Random(name)
    base = preset(name).to_dict()
    paths = _mutations(base, rng)
    for _ in range(400):
        d = json.loads(json.dumps(base))
        for path in rng.sample(paths, 2):
            with contextlib.suppress(KeyError, IndexError, TypeError):
                d = _set(d, path, rng.choice(WEIRD))
        try:
            text = json.dumps(d)
        except ValueError:  # json refuses inf with allow_nan=False only; skip what it refuses
            continue
        try:
            spec = NetworkSpec.from_json(text)
        except ValueError as exc:
            assert str(exc)
            continue
        format_summary(summarize(spec))  # a parsed spec always summarises (errors as rows)


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "net.json"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("command", ["summary", "export-code"])
@pytest.mark.parametrize("text", [DEEP, with_param("Conv2d", out_channels=10**30)])
def test_cli_reports_bad_files_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture,
                                           command: str, text: str) -> None:
    assert cli.main([command, write(tmp_path, text)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and err.count("\n") == 1


def test_cli_train_reports_a_deep_file(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "engine", "train", "--spec",
                           write(tmp_path, DEEP), "--epochs", "1"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "nested too deeply" in done.stderr
