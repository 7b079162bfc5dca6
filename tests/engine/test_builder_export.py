"""export_code(): the script runs in a fresh interpreter and reproduces the counts."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from engine.builder import NetworkSpec, export_code, layer, preset, summarize

CUSTOM = NetworkSpec("custom-blocks", (1, 3, 32, 32), (
    layer("VGGBlock", num_convs=2, out_channels=8),
    layer("NiNBlock", out_channels=8, kernel_size=3, strides=1, padding=1),
    layer("Inception", c1=4, c2=(4, 8), c3=(2, 4), c4=4, frozen=True),
    layer("Residual", num_channels=16, use_1x1conv=True, strides=2),
    layer("DenseBlock", num_convs=2, growth_rate=4),
    layer("TransitionBlock", num_channels=8),
    layer("DarkNetConv", out_channels=8, kernel_size=3),
    layer("DarkNetResidual"),
    layer("AdaptiveAvgPool2d", output_size=1), layer("Flatten"),
    layer("Linear", out_features=8, name="tied"), layer("ReLU"),
    layer("Linear", out_features=8, shared_with="tied"),
    layer("Linear", out_features=10),
), init="kaiming")


SPECS = [preset("lenet"), preset("resnet-18"), preset("densenet"), CUSTOM]

# Runs each exported script as __main__ in one fresh interpreter (one torch import instead
# of four), then checks that nothing of ours was imported: the scripts are standalone.
DRIVER = """
import runpy, sys
for path in sys.argv[1:]:
    print("=== " + path, flush=True)
    runpy.run_path(path, run_name="__main__")
assert not any(m == "engine" or m.startswith("engine.") for m in sys.modules), "imports engine"
"""


def test_exported_scripts_reproduce_counts(tmp_path: Path) -> None:
    paths = []
    for i, spec in enumerate(SPECS):
        path = tmp_path / f"net{i}.py"
        path.write_text(export_code(spec), encoding="utf-8")
        paths.append(str(path))
    done = subprocess.run([sys.executable, "-c", DRIVER, *paths], capture_output=True,
                          text=True, timeout=240, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    chunks = done.stdout.split("=== ")[1:]
    assert len(chunks) == len(SPECS)
    for spec, chunk in zip(SPECS, chunks, strict=True):
        out = dict(line.split(": ", 1) for line in chunk.strip().splitlines()[1:])
        s = summarize(spec)
        assert int(out["parameters"]) == s.total_params, spec.name
        assert int(out["trainable parameters"]) == s.trainable_params, spec.name
        assert out["output shape"] == str(s.output_shape), spec.name


def test_exported_code_contains_only_needed_helpers() -> None:
    lenet = export_code(preset("lenet"))
    ast.parse(lenet)
    assert "class Residual" not in lenet and "def init_xavier" in lenet
    assert "nn.Conv2d(1, 6, kernel_size=5, padding=2)" in lenet
    assert "nn.Linear(400, 120)" in lenet and "import torch" in lenet
    resnet = export_code(preset("resnet-18"))
    assert "class Residual(nn.Module)" in resnet and "F.relu" in resnet
    assert "Residual(64, 128, use_1x1conv=True, strides=2)" in resnet
    assert "class DenseBlock" not in resnet
    custom = export_code(CUSTOM)
    assert custom.count("def conv_block") == 1 and custom.count("def darknet_conv") == 1
    assert "shared_10 = nn.Linear(8, 8)" in custom and "requires_grad_(False)" in custom
    assert "if __name__ == \"__main__\":" in custom


def test_export_rejects_broken_spec() -> None:
    bad = NetworkSpec("bad", (1, 4), (layer("Conv2d", out_channels=2),))
    with pytest.raises(ValueError, match=r"cannot export 'bad': Conv2d-0"):
        export_code(bad)
