"""The standalone training script: runs without this package, on the app's own data."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest
import torch

from engine.builder import NetworkSpec, build, preset
from engine.builder.spec import layer
from engine.data import list_datasets, load_dataset
from engine.models import ModelRef
from engine.training.config import RunConfig
from engine.training.script_export import DATASETS, training_script

TOY_NET = NetworkSpec("toy-mlp", (1, 2), (layer("Linear", in_features=2, out_features=8),
                                          layer("ReLU"), layer("Linear", out_features=2)),
                      "xavier")
SHAPES_NET = NetworkSpec("tiny-conv", (1, 1, 28, 28), (
    layer("Conv2d", out_channels=2, kernel_size=5, stride=4), layer("ReLU"),
    layer("Flatten"), layer("Linear", out_features=10)), "kaiming")


def config(dataset: str, spec: NetworkSpec = TOY_NET, **fields) -> RunConfig:
    """A run config as the Train tab exports it (the network inline as a spec)."""
    return RunConfig(model=ModelRef.from_spec(spec), dataset=dataset, **fields).validate()


def run_script(path: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run isolated (-I: no PYTHONPATH, no cwd on sys.path) from a folder without the
    app, so any import of ``engine`` would fail."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["OMP_NUM_THREADS"] = "1"
    return subprocess.run([sys.executable, "-I", str(path), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_procedural_script_trains_standalone_and_saves_the_builders_net(tmp_path: Path
                                                                         ) -> None:
    script = tmp_path / "train_tiny.py"
    script.write_text(training_script(config("procedural-shapes", SHAPES_NET, num_epochs=3,
                                             lr=0.1, batch_size=32, optimizer="momentum")))
    done = run_script(script, "--epochs", "1", "--n-train", "96", "--n-test", "32",
                      "--save", "w.pt", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "training on cpu" in done.stdout
    assert "epoch 1: loss" in done.stdout and "test acc" in done.stdout
    assert "epoch 2" not in done.stdout  # --epochs 1 overrode the recipe's 3
    state = torch.load(tmp_path / "w.pt", weights_only=True)
    build(SHAPES_NET).load_state_dict(state)  # the same architecture as the app's


def test_regression_script_reports_test_loss(tmp_path: Path) -> None:
    spec = preset("linear-regression")
    script = tmp_path / "train_lr.py"
    script.write_text(training_script(config("synthetic-linear", spec, num_epochs=2, lr=0.03,
                                             batch_size=10, loss="mse", schedule="step",
                                             grad_clip=5.0)))
    done = run_script(script, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("epoch")]
    assert len(lines) == 2 and all("test loss" in line for line in lines)
    assert "acc" not in done.stdout


def test_image_folder_script_runs(tmp_path: Path) -> None:
    from PIL import Image

    root = tmp_path / "pics"
    for c, colour in enumerate(("red", "blue")):
        (root / f"class{c}").mkdir(parents=True)
        for i in range(5):
            Image.new("RGB", (12, 12), colour).save(root / f"class{c}" / f"{i}.png")
    spec = NetworkSpec("rgb", (1, 3, 8, 8), (layer("Flatten"), layer("Linear", out_features=2)),
                       "normal")
    script = tmp_path / "train_folder.py"
    script.write_text(training_script(config("image-folder", spec, num_epochs=1, lr=0.1,
                                             batch_size=4, resize=8, data_root=str(root))))
    done = run_script(script, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "epoch 1: loss" in done.stdout


@pytest.mark.parametrize("name", ["procedural-shapes", "colour-shapes", "spiral", "blobs",
                                  "synthetic-linear"])
def test_generated_data_is_the_apps_data(tmp_path: Path, name: str) -> None:
    """The header promises the same examples as the app for the seed: check it."""
    spec = preset("linear-regression") if name == "synthetic-linear" else TOY_NET
    recipe = config(name, spec, num_epochs=1, lr=0.1, batch_size=8, seed=3,
                    dataset_options={"noise": 0.3} if name == "blobs" else {})
    path = tmp_path / f"s_{name.replace('-', '_')}.py"
    path.write_text(training_script(recipe))
    module = load_module(path)
    options = dict(recipe.dataset_options)
    if name in ("procedural-shapes", "colour-shapes"):
        train, test = module.load_data(n_train=40, n_test=20)
        bundle = load_dataset(name, batch_size=8, seed=3, n_train=40, n_test=20)
    else:  # the default sizes must be the app's defaults too
        train, test = module.load_data()
        bundle = load_dataset(name, batch_size=8, seed=3, **options)
    for ours, app in ((train, bundle.train), (test, bundle.test)):
        X, y = ours.dataset.tensors
        X_app = app.dataset.X
        X_app = X_app.float() / 255 if X_app.dtype == torch.uint8 else X_app
        torch.testing.assert_close(X, X_app)
        torch.testing.assert_close(y, app.dataset.y)


def test_every_registered_classification_or_regression_set_has_a_script_form() -> None:
    names = {info.name for info in list_datasets()
             if info.task in ("classification", "regression")}
    assert names <= set(DATASETS)


RECIPE = config("fashion-mnist", SHAPES_NET, num_epochs=1, lr=0.1, batch_size=8)


@pytest.mark.parametrize("recipe", [
    RECIPE, replace(RECIPE, dataset="cifar10", resize=64, optimizer="adam"),
    replace(RECIPE, dataset="mnist", optimizer="adamw", weight_decay=1e-4, schedule="cosine"),
    replace(RECIPE, loss="mse", init="default"), replace(RECIPE, init="kaiming"),
    config("spiral", TOY_NET, loss="huber", n_train=50),
    replace(RECIPE, dataset="image-folder", dataset_options={"grayscale": True}),
    replace(RECIPE, dataset="image-folder-imagenet", dataset_options={"test_fraction": 0.3}),
])
def test_every_form_is_valid_python(recipe: RunConfig) -> None:
    source = training_script(recipe)
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "argparse", "time", "math", "collections", "pathlib",
                        "torch", "torchvision"}
    if recipe.init == "kaiming":
        assert "def init_kaiming" in source and "net.apply(init_kaiming)" in source
    if recipe.loss == "mse":
        assert "F.one_hot(y" in source  # class labels become one-hot targets
    if recipe.dataset == "mnist":
        assert "datasets.MNIST(DATA_ROOT" in source and "weight_decay=0.0001" in source


def test_unknown_dataset_is_refused() -> None:
    with pytest.raises(ValueError, match=r"dataset 'imagenet' cannot be exported"):
        training_script(config("imagenet"))


def test_zoo_models_and_other_tasks_are_refused_with_the_reason() -> None:
    zoo = RunConfig(model=ModelRef.zoo("resnet18", num_classes=10), dataset="cifar10")
    with pytest.raises(ValueError, match="zoo model.*--config"):
        training_script(zoo)
    with pytest.raises(ValueError, match="task 'segmentation' cannot be exported"):
        training_script(config("spiral", task="segmentation"))


def test_the_presets_dataset_is_the_default_and_left_out_parts_are_said() -> None:
    cfg = RunConfig(model=ModelRef.preset("lenet"), transforms=({"name": "hflip"},))
    source = training_script(cfg)
    assert '"""Train lenet on procedural-shapes' in source
    assert "Not in this script: the random training transforms" in source
    fast = training_script(RunConfig(model=ModelRef.preset("lenet"), amp="bf16",
                                     channels_last=True))
    assert ("Not in this script: the mixed precision (amp=bf16) and the channels-last "
            "layout") in " ".join(fast.split())
    assert "Not in this script" not in training_script(RunConfig(model=ModelRef.preset("lenet")))


def test_cli_export_script_writes_a_runnable_script(tmp_path: Path) -> None:
    from engine.cli import main

    spec_file = tmp_path / "net.json"
    spec_file.write_text(TOY_NET.to_json())
    out = tmp_path / "train_toy.py"
    code = main(["train", "--spec", str(spec_file), "--dataset", "circles", "--epochs", "2",
                 "--lr", "0.3", "--export-script", str(out)])
    assert code == 0
    source = out.read_text()
    assert "LR = 0.3" in source and "make_toy('circles'" in source
    done = run_script(out, "--epochs", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "epoch 1: loss" in done.stdout


def test_fashion_mnist_script_reads_the_apps_data_folder(tmp_path: Path) -> None:
    from test_data_files import _write_mnist

    _write_mnist(tmp_path / "data" / "FashionMNIST" / "raw", 40, 20, gz=True)
    app = load_dataset("fashion-mnist", batch_size=8, root=tmp_path / "data")  # unpacks
    script = tmp_path / "train_fm.py"
    script.write_text(training_script(config("fashion-mnist", SHAPES_NET, num_epochs=1,
                                             lr=0.1, batch_size=8,
                                             data_root=str(tmp_path / "data"))))
    module = load_module(script)
    _, test = module.load_data()
    X = torch.cat([x for x, _ in test])
    X_app = torch.cat([x for x, _ in app.test])
    torch.testing.assert_close(X, X_app)  # the same test images as the app
    done = run_script(script, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "epoch 1: loss" in done.stdout
