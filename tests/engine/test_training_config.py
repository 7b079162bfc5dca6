"""RunConfig: JSON round trip, field errors naming the field, names derived from it."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
from pathlib import Path

import pytest

from engine.models import ModelRef
from engine.training.config import RunConfig, config_fields, hparam_names

ROOT = Path(__file__).resolve().parents[2]


def full_config() -> RunConfig:
    return RunConfig(model=ModelRef.zoo("resnet18", weights="pretrained", num_classes=10),
                     dataset="cifar10", data_root="/data", download=True, resize=64,
                     n_train=500, n_test=100, dataset_options={"x": 1},
                     transforms=({"name": "hflip", "p": 0.5},), task="classification",
                     lr=0.01, batch_size=32, num_epochs=3, optimizer="adamw", momentum=0.8,
                     weight_decay=1e-4, loss="cross-entropy", schedule="step", step_size=2,
                     gamma=0.5, init="kaiming", seed=7, grad_clip=2.0,
                     param_groups=({"prefix": "fc.", "lr_mult": 10.0},), device="cpu",
                     progress_every=5, progress_seconds=0.5, hooks=("decision-map",),
                     resume="run.pt")


def test_json_round_trip_of_every_field() -> None:
    cfg = full_config().validate()
    text = cfg.to_json()
    again = RunConfig.from_json(text)
    assert again == cfg
    d = json.loads(text)
    assert d["format"] == "dl-playground-run-config" and d["model"]["kind"] == "zoo"
    assert {f.name for f in dataclasses.fields(RunConfig)} <= d.keys()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.lr = 1.0  # type: ignore[misc]
    assert RunConfig.from_json(RunConfig().to_json()) == RunConfig()


@pytest.mark.parametrize(("change", "match"), [
    ({"lr": "fast"}, r"lr='fast' has the wrong type"),
    ({"batch_size": 2.5}, r"batch_size=2.5 has the wrong type"),
    ({"num_epochs": 0}, r"num_epochs=0 must be >= 1"),
    ({"optimizer": "rmsprop"}, r"optimizer='rmsprop' is not supported"),
    ({"download": "yes"}, r"download='yes' has the wrong type"),
    ({"hooks": "decision-map"}, r"hooks='decision-map' has the wrong type"),
    ({"seed": None}, r"seed must not be null"),
    ({"model": {"kind": "hub", "name": "x"}}, r"model\.kind='hub'"),
    ({"model": {"kind": "zoo"}}, r"model\.name is needed"),
    ({"model": {"kind": "zoo", "name": "resnet18", "colour": 1}}, r"model: unknown key 'colour'"),
    ({"param_groups": [{"prefix": "fc.", "lr_mult": -1}]}, r"param_groups\[0\]\.lr_mult=-1"),
    ({"param_groups": [{"lr_mult": 2}]}, r"param_groups\[0\]\.prefix"),
    ({"transforms": [{"p": 0.5}]}, r"transforms\[0\]"),
    ({"lerning_rate": 0.1}, r"unknown field 'lerning_rate'"),
])
def test_bad_fields_are_named(change: dict, match: str) -> None:
    d = {**RunConfig().to_dict(), **change}
    with pytest.raises(ValueError, match=match):
        RunConfig.from_dict(d)


def test_not_json_or_not_an_object_or_another_format() -> None:
    with pytest.raises(ValueError, match="not valid JSON"):
        RunConfig.from_json("{lr: 1")
    with pytest.raises(ValueError, match="must be a JSON object"):
        RunConfig.from_json("[1, 2]")
    with pytest.raises(ValueError, match="not a run config"):
        RunConfig.from_json('{"format": "something-else"}')


def test_cli_flags_and_form_fields_are_derived_from_the_config() -> None:
    from engine.training import cli

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    train = parser._subparsers._group_actions[0].choices["train"]  # type: ignore[union-attr]
    dests = {a.dest for a in train._actions}
    scalar = {f.name for f in config_fields() if f.metadata["kind"] in (int, float, str, bool)}
    assert scalar <= dests
    lr = next(a for a in train._actions if a.dest == "lr")
    assert lr.help == next(f for f in config_fields() if f.name == "lr").metadata["help"]
    opt = next(a for a in train._actions if a.dest == "optimizer")
    assert tuple(opt.choices) == ("sgd", "momentum", "adam", "adamw")
    assert hparam_names() == ("lr", "batch_size", "num_epochs", "optimizer", "momentum",
                              "weight_decay", "loss", "schedule", "init", "seed", "grad_clip",
                              "amp")
    # the hyper-parameter list is written once: no copy of it in the CLI or the tab's job
    for path in ("engine/training/cli.py", "gui/tabs/train/job.py", "engine/training/trainer.py"):
        text = (ROOT / path).read_text()
        for name in ("lr", "momentum", "weight_decay", "grad_clip"):
            flag = '"--' + name.replace("_", "-") + '"'
            assert flag not in text and not re.search(rf"^\s+{name}: [\w |]+ = ", text, re.M), (
                path, name)


def test_init_scheme_and_dataset_names_have_one_source() -> None:
    from engine.builder.init_schemes import INIT_FUNCTIONS
    from engine.builder.spec import INIT_SCHEMES
    from engine.data import list_datasets
    from engine.training import INITS

    assert INITS is INIT_SCHEMES and tuple(INIT_FUNCTIONS) == INIT_SCHEMES
    init = next(f for f in config_fields() if f.name == "init")
    assert init.metadata["choices"] is INIT_SCHEMES
    names = [i.name for i in list_datasets()]
    for path in ("engine/training/cli.py", "gui/tabs/train/job.py",
                 "engine/training/trainer.py", "engine/training/experiment.py"):
        assert not set(names) & _code_strings(ROOT / path), path


def _code_strings(path: Path) -> set[str]:
    """String constants of a module's code (docstrings left out)."""
    import ast

    tree = ast.parse(path.read_text())
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str) and id(n) not in docs}
