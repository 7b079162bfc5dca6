"""``python -m engine presets | summary | export-code``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine import cli
from engine.builder import NetworkSpec, layer, preset

ROOT = Path(__file__).resolve().parents[2]


def test_subprocess_summary_json() -> None:
    done = subprocess.run([sys.executable, "-m", "engine", "summary", "lenet", "--json"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    d = json.loads(done.stdout)
    assert d["total_params"] == 61_706 and d["total_macs"] == 416_520
    assert [r["output_shape"] for r in d["layers"]][-1] == [1, 10]
    assert {"name", "type", "output_shape", "params", "macs"} <= set(d["layers"][0])


def test_presets_lists_shapes_and_params(capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "lenet" in out and "61,706" in out and "(1, 3, 256, 256)" in out


def test_summary_table_and_input_shape(capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["summary", "resnet-18", "--input-shape", "2,1,64,64"]) == 0
    out = capsys.readouterr().out
    assert "(2, 64, 32, 32)" in out and "11,178,378" in out
    assert "multiply-accumulates" in out and "conv1" in out


def test_summary_of_spec_file_with_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "net.json"
    path.write_text(NetworkSpec("mine", (1, 1, 4, 4), (
        layer("Conv2d", out_channels=2, kernel_size=5),)).to_json(), encoding="utf-8")
    assert cli.main(["summary", str(path)]) == 1
    assert "kernel 5 (effective 5) is larger than the padded input" in capsys.readouterr().out


def test_bad_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{oops", encoding="utf-8")
    assert cli.main(["summary", str(path)]) == 2
    assert "broken.json: not valid JSON" in capsys.readouterr().err
    assert cli.main(["export-code", "no-such-net"]) == 2
    assert "neither a preset" in capsys.readouterr().err


def test_export_code_to_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "lenet.py"
    assert cli.main(["export-code", "lenet", "-o", str(out)]) == 0
    assert "nn.Sequential(" in out.read_text(encoding="utf-8")
    assert cli.main(["export-code", "mlp"]) == 0
    assert "def build_net" in capsys.readouterr().out
    assert preset("lenet").name == "lenet"
