"""``python -m engine style``: writes the picture (aspect kept), says when the network is
the approximate one, prints / JSON-lines progress, snapshots, and refuses bad input with
``error: …`` (exit 2) before any step."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image
from style_helpers import Poison
from torch import nn

from engine.cli import main
from engine.style import StyleFinished, StyleNet, StyleProgress, default_settings
from engine.style import transfer as transfer_module
from engine.style import weights as weights_module

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SMALL = ["--weights", "untrained", "--device", "cpu", "--size", "32",
         "--content-layers", "7", "--style-layers", "0,5"]


@pytest.fixture
def images(tmp_path):
    """A 48×64 (H×W) gradient and a 24×32 noise PNG, written by the test."""
    y, x = np.mgrid[0:48, 0:64]
    content = np.stack([x * 4, y * 5, (x + y) * 2], axis=-1).astype(np.uint8)
    style = np.random.default_rng(0).integers(0, 256, (24, 32, 3), dtype=np.uint8)
    paths = tmp_path / "content.png", tmp_path / "style.png"
    Image.fromarray(content).save(paths[0])
    Image.fromarray(style).save(paths[1])
    return tuple(str(p) for p in paths)


def test_writes_the_result_at_size_with_the_contents_aspect(images, tmp_path, capsys):
    out = tmp_path / "out.png"
    # The book's layers (down to conv5_1) on the untrained net: the default path.
    rc = main(["style", *images, "-o", str(out), "--weights", "untrained", "--device", "cpu",
               "--size", "32", "--steps", "3"])
    printed = capsys.readouterr().out
    assert rc == 0
    with Image.open(out) as im:
        assert im.size == (32, 24)  # longer side 32, 64:48 kept
    first = printed.splitlines()[0]
    assert first.startswith("weights: untrained VGG-19") and "approximate" in first
    assert "approximate: untrained VGG-19" in printed
    assert "at 32×24" in printed and "style 10 / TV" in printed  # the untrained weight
    assert "content image 64×48 downscaled to 32×24" in printed
    steps = [line for line in printed.splitlines() if line.startswith("step ")]
    assert [s.split(":")[0] for s in steps] == ["step 1/3", "step 3/3"]
    assert "s/step" in steps[-1] and "ETA" in steps[-1]
    assert printed.rstrip().endswith(f"wrote {out} (32×24, 3 steps)")


def test_json_lines_parse_and_hold_finite_losses(images, tmp_path, capsys):
    rc = main(["style", *images, "-o", str(tmp_path / "o.png"), *SMALL, "--steps", "4",
               "--print-every", "2", "--json"])
    captured = capsys.readouterr()
    assert rc == 0
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["step"] for r in records] == [1, 2, 4]
    for r in records:
        assert r["num_steps"] == 4
        losses = [r[k] for k in ("content_loss", "style_loss", "tv_loss", "total_loss")]
        assert all(math.isfinite(v) for v in losses)
        assert r["total_loss"] == pytest.approx(sum(losses[:3]), rel=1e-4)
        assert r["seconds_per_step"] > 0 and r["eta_seconds"] >= 0
    assert records[-1]["eta_seconds"] == 0
    assert "weights: untrained" in captured.err and "wrote" in captured.err


def test_snapshots_every_n_steps(images, tmp_path, capsys):
    snaps = tmp_path / "snaps" / "run1"  # made when missing
    rc = main(["style", *images, "-o", str(tmp_path / "o.png"), *SMALL, "--steps", "5",
               "--snapshots", str(snaps), "--snapshot-every", "2"])
    assert rc == 0
    assert sorted(p.name for p in snaps.iterdir()) == ["step_0002.png", "step_0004.png"]
    with Image.open(snaps / "step_0004.png") as im:
        assert im.size == (32, 24)


def test_unset_options_take_the_tabs_defaults_and_flags_override(images, tmp_path, capsys,
                                                                 monkeypatch):
    seen = []

    def fake_transfer(content, style, *, settings, **kw):
        seen.append(settings)
        yield StyleFinished(0, "done", np.zeros((3, 4, 3), np.uint8))

    monkeypatch.setattr(transfer_module, "style_transfer", fake_transfer)
    base = ["style", "cat.jpg", "brick.jpg", "-o", str(tmp_path / "o.png"),
            "--weights", "untrained", "--device", "cpu"]
    assert main(base) == 0
    assert main([*base, "--style-weight", "5", "--size", "40", "--steps", "7",
                 "--style-layers", "0,5", "--content-layers", ""]) == 0
    capsys.readouterr()
    assert seen[0] == default_settings(approximate=True, cpu=True)
    assert (seen[0].image_size, seen[0].style_weight) == (256, 10.0)
    assert (seen[1].style_weight, seen[1].image_size, seen[1].num_epochs) == (5.0, 40, 7)
    assert (seen[1].style_layers, seen[1].content_layers) == ((0, 5), ())
    assert seen[1].content_weight == 1.0 and seen[1].tv_weight == 1.0  # the untrained net's


def _run_error(argv, capsys):
    rc = main(argv)
    captured = capsys.readouterr()
    assert rc == 2
    assert not [line for line in captured.out.splitlines() if line.startswith("step ")]
    return captured.err


def test_a_corrupt_content_file_is_named(images, tmp_path, capsys):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    err = _run_error(["style", str(bad), images[1], "-o", str(tmp_path / "o.png"), *SMALL],
                     capsys)
    assert err.startswith("error: ") and "broken.png" in err
    assert not (tmp_path / "o.png").exists()


def test_a_missing_image_lists_the_samples(images, tmp_path, capsys):
    err = _run_error(["style", "nope.jpg", images[1], "-o", str(tmp_path / "o.png"), *SMALL],
                     capsys)
    assert "'nope.jpg' does not exist" in err and "cat.jpg" in err


@pytest.mark.parametrize("where", ["missing-folder", "file-in-the-way"])
def test_an_unwritable_output_fails_before_any_step(images, tmp_path, capsys, monkeypatch,
                                                    where):
    def no_net(*a, **kw):
        raise AssertionError("the network was loaded before the output was checked")

    monkeypatch.setattr(weights_module, "load_style_net", no_net)
    if where == "file-in-the-way":
        (tmp_path / "blocker").write_text("x")
        out = tmp_path / "blocker" / "o.png"
    else:
        out = tmp_path / "no" / "such" / "o.png"
    err = _run_error(["style", *images, "-o", str(out), *SMALL], capsys)
    assert err.startswith(f"error: could not save {out}")


@pytest.mark.parametrize("flags, match", [
    (["--style-layers", "0,40"], "0–36"),
    (["--style-layers", "0,x"], "'x' is not a layer index"),
    (["--style-weight", "-1"], "style weight must be between 0 and"),
    (["--tv-weight", "1e13"], "tv weight must be between 0 and"),
    (["--weights", "file"], "--weights-file PATH"),
    (["--device", "toaster"], "'toaster' is not a device"),
])
def test_bad_flags_are_refused_with_a_message(images, tmp_path, capsys, flags, match):
    err = _run_error(["style", *images, "-o", str(tmp_path / "o.png"), *SMALL, *flags], capsys)
    assert match in err


def test_a_wrong_pth_is_refused_naming_the_tensor(images, tmp_path, capsys):
    pth = tmp_path / "not_vgg.pth"
    torch.save({"0.weight": torch.zeros(8, 3, 3, 3), "0.bias": torch.zeros(8)}, pth)
    err = _run_error(["style", *images, "-o", str(tmp_path / "o.png"), "--device", "cpu",
                      "--size", "32", "--weights-file", str(pth)], capsys)
    assert "not_vgg.pth" in err and "'features.0.weight'" in err and "(8, 3, 3, 3)" in err


def test_a_diverged_run_says_so_keeps_the_last_good_image_and_exits_1(images, tmp_path,
                                                                       capsys, monkeypatch):
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), Poison()).requires_grad_(False)
    monkeypatch.setattr(weights_module, "load_style_net",
                        lambda *a, **kw: StyleNet(net, "file", "poisoned"))
    out = tmp_path / "o.png"
    rc = main(["style", *images, "-o", str(out), "--device", "cpu", "--size", "32",
               "--steps", "10", "--content-layers", "1", "--style-layers", "0"])
    captured = capsys.readouterr()
    assert rc == 1
    assert "diverged: the loss became non-finite at step 3" in captured.err
    assert f"wrote the last good image (step 2) to {out}" in captured.out
    with Image.open(out) as im:
        assert im.size == (32, 24)


def test_ctrl_c_saves_the_image_so_far(images, tmp_path, capsys, monkeypatch):
    real = transfer_module.style_transfer
    shown = []

    def interrupted(*a, **kw):
        for event in real(*a, **kw):
            yield event
            if isinstance(event, StyleProgress):
                shown.append(event.image)
                if event.epoch == 2:
                    raise KeyboardInterrupt

    monkeypatch.setattr(transfer_module, "style_transfer", interrupted)
    out = tmp_path / "o.png"
    rc = main(["style", *images, "-o", str(out), *SMALL, "--steps", "50"])
    err = capsys.readouterr().err
    assert rc == 130
    assert f"interrupted after step 2: wrote the image so far to {out}" in err
    with Image.open(out) as im:
        np.testing.assert_array_equal(np.asarray(im), shown[-1])


def test_ctrl_c_while_loading_writes_nothing(images, tmp_path, capsys, monkeypatch):
    def interrupt(*a, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(weights_module, "load_style_net", interrupt)
    out = tmp_path / "o.png"
    assert main(["style", *images, "-o", str(out), *SMALL]) == 130
    assert "interrupted before the first step; nothing written" in capsys.readouterr().err
    assert not out.exists()
