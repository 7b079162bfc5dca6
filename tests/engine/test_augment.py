"""engine.augment previews: seeds, boxes, masks, inspector, exported code, MixUp/CutMix."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchvision import tv_tensors
from torchvision.transforms import v2

from engine.augment import (
    PipelineSpec,
    augment_preset,
    build_pipeline,
    catalogue,
    inspect,
    preview,
    step,
    synthetic_scene,
    to_code,
)
from engine.augment.synthetic import SCENE_CLASSES

RNG = np.random.default_rng(0)
PHOTO = RNG.integers(0, 256, (48, 64, 3), dtype=np.uint8)
BOXES = np.array([[5, 4, 30, 20], [40, 10, 60, 44], [0, 0, 64, 48]], np.float32)


def _tensor(image: np.ndarray) -> tv_tensors.Image:
    return tv_tensors.Image(torch.from_numpy(image).permute(2, 0, 1).contiguous())


def test_seeded_previews_reproducible_whatever_the_global_rng_and_different_across_seeds():
    spec = augment_preset("book: augs").replace_step(2, step(
        "RandomResizedCrop", size=(32, 32), scale=(0.1, 1.0), ratio=(0.5, 2.0)))
    torch.manual_seed(123)
    a = preview(PHOTO, spec, n=4, seed=7)
    state = torch.get_rng_state()
    torch.manual_seed(999)
    torch.rand(10)
    b = preview(PHOTO, spec, n=4, seed=7)
    c = preview(PHOTO, spec, n=4, seed=8)
    torch.manual_seed(123)
    assert torch.equal(torch.get_rng_state(), state)  # the preview left the global RNG alone
    assert all(np.array_equal(x.image, y.image) for x, y in zip(a, b, strict=True))
    assert [x.draws for x in a] == [y.draws for y in b]
    assert not any(np.array_equal(x.image, y.image) for x, y in zip(a, c, strict=True))
    assert len({x.seed for x in a} | {y.seed for y in c}) == 8
    # samples of one preview differ from each other too
    assert len({x.image.tobytes() for x in a}) == 4


def test_horizontal_flip_maps_boxes_and_pixels():
    out = preview(PHOTO, [step("RandomHorizontalFlip", p=1.0)], n=2, boxes=BOXES)
    w = PHOTO.shape[1]
    expected = np.stack([w - BOXES[:, 2], BOXES[:, 1], w - BOXES[:, 0], BOXES[:, 3]], axis=1)
    for s in out:
        np.testing.assert_allclose(s.boxes, expected)
        np.testing.assert_array_equal(s.image, PHOTO[:, ::-1])
        assert s.draws[0].applied and s.draws[0].text == "flipped left-right"
    never = preview(PHOTO, [step("RandomHorizontalFlip", p=0.0)], n=2, boxes=BOXES)
    np.testing.assert_array_equal(never[0].image, PHOTO)
    assert not never[0].draws[0].applied


def test_random_resized_crop_size_and_box_clipping_follow_torchvision():
    spec = PipelineSpec((step("RandomResizedCrop", size=(20, 30), scale=(0.1, 0.5)),))
    samples = preview(PHOTO, spec, n=6, seed=3, boxes=BOXES)
    oracle = v2.Compose([v2.RandomResizedCrop((20, 30), scale=(0.1, 0.5)),
                         v2.ClampBoundingBoxes(), v2.SanitizeBoundingBoxes()])
    for s in samples:
        assert s.image.shape == (20, 30, 3)
        left, top, cw, ch = s.draws[0].params["crop"]
        # the rule by hand: shift by the crop corner, scale to the output, clip, drop empty
        b = (BOXES - [left, top, left, top]) * [30 / cw, 20 / ch, 30 / cw, 20 / ch]
        b = np.clip(b, 0, [30, 20, 30, 20])
        keep = ((b[:, 2] - b[:, 0]) >= 1) & ((b[:, 3] - b[:, 1]) >= 1)
        np.testing.assert_allclose(s.boxes, b[keep], atol=1e-3)
        assert list(s.box_indices) == list(np.flatnonzero(keep))
        assert s.dropped == int((~keep).sum())
        torch.manual_seed(s.seed)
        boxes = tv_tensors.BoundingBoxes(torch.from_numpy(BOXES), format="XYXY",
                                         canvas_size=PHOTO.shape[:2])
        out = oracle({"image": _tensor(PHOTO), "boxes": boxes, "labels": torch.arange(3)})
        np.testing.assert_array_equal(out["image"].permute(1, 2, 0).numpy(), s.image)
        np.testing.assert_allclose(out["boxes"].numpy(), s.boxes)
    assert sum(s.dropped for s in samples) > 0  # the case of a dropped box was exercised


@pytest.mark.parametrize("geo", [
    step("RandomRotation", degrees=40.0),
    step("RandomAffine", degrees=25.0, translate_x=0.2, translate_y=0.2, scale=(0.7, 1.3),
         shear=10.0),
    step("RandomResizedCrop", size=(96, 96), scale=(0.3, 1.0)),
    step("RandomPerspective", p=1.0),
    step("RandomCrop", size=(80, 80), padding=10),
], ids=lambda s: s.type)
def test_mask_stays_aligned_with_image(geo):
    scene = synthetic_scene(128)
    for s in preview(scene.image, [geo], n=3, seed=1, mask=scene.mask):
        assert s.mask is not None and s.mask.shape == s.image.shape[:2]
        for k, (_name, colour) in SCENE_CLASSES.items():
            region = s.mask == k
            if region.sum() < 30:
                continue
            close = np.abs(s.image[region].astype(int) - colour).max(axis=1) <= 40
            # nearest-neighbour steps move both exactly; resampling ones blur the edges only
            assert close.mean() > 0.85, (geo.type, k, close.mean())
        assert (s.mask > 0).any()


def test_inspector_shows_every_step_and_ends_at_the_preview_sample():
    scene = synthetic_scene(64)
    spec = PipelineSpec((step("RandomHorizontalFlip", p=1.0), step("ColorJitter"),
                         step("Pad", padding=4), step("RandomGrayscale", enabled=False),
                         step("RandomRotation", degrees=20.0)))
    sample = preview(scene.image, spec, n=1, seed=5, boxes=scene.boxes, mask=scene.mask)[0]
    frames = inspect(scene.image, spec, seed=sample.seed, boxes=scene.boxes, mask=scene.mask)
    assert [f.title for f in frames] == ["input", "1. RandomHorizontalFlip", "2. ColorJitter",
                                         "3. Pad", "5. RandomRotation"]
    assert frames[3].image.shape == (72, 72, 3)  # Pad made it larger, in place
    np.testing.assert_array_equal(frames[-1].image, sample.image)
    np.testing.assert_allclose(frames[-1].boxes, sample.boxes)
    np.testing.assert_array_equal(frames[-1].mask, sample.mask)
    assert "brightness" in frames[2].draw.text and "rotate" in frames[-1].draw.text


def test_draws_name_the_parameters_torchvision_used():
    spec = PipelineSpec((step("ColorJitter", brightness=0.5, contrast=0.0, saturation=0.0,
                              hue=0.0), step("RandomErasing", p=1.0, value=1.0)))
    s = preview(PHOTO, spec, n=1, seed=2)[0]
    factor = s.draws[0].params["brightness"]
    assert 0.5 <= factor <= 1.5 and s.draws[0].params["hue"] is None
    x, y, w, h = s.draws[1].params["erased"]
    assert (s.image[y:y + h, x:x + w] == 255).all()  # the erased region reported is white


def test_exported_code_gives_the_same_images_for_the_same_seed():
    spec = PipelineSpec(tuple(step(t.type) for t in catalogue()
                              if t.type not in ("Normalize", "MixUp", "CutMix")
                              and t.group != "auto") + (step("TrivialAugmentWide"),))
    spec = spec.replace_step(2, step("RandomResizedCrop", size=(40, 40)))
    namespace: dict = {}
    exec(compile(to_code(spec), "<exported>", "exec"), namespace)  # noqa: S102
    for s in preview(PHOTO, spec, n=3, seed=11):
        torch.manual_seed(s.seed)
        out = namespace["augs"](_tensor(PHOTO))
        np.testing.assert_array_equal(out.permute(1, 2, 0).numpy(), s.image)
        torch.manual_seed(s.seed)
        again = build_pipeline(spec)(_tensor(PHOTO))
        assert torch.equal(again, out)


def test_normalize_inserts_a_float_conversion_and_says_it_is_rescaled():
    spec = [step("RandomHorizontalFlip", p=1.0), step("Normalize", stats="half")]
    out = build_pipeline(spec)(_tensor(PHOTO)).as_subclass(torch.Tensor)
    expected = (torch.from_numpy(PHOTO[:, ::-1].copy()).permute(2, 0, 1).float() / 255 - 0.5
                ) / 0.5
    assert out.dtype == torch.float32
    assert (out - expected).abs().max() < 1e-5
    assert "v2.ToDtype(dtype=torch.float32, scale=True)" in to_code(spec)
    s = preview(PHOTO, spec, n=1)[0]
    assert s.image.dtype == np.uint8 and any("rescaled" in n for n in s.notes)


def test_mixup_and_cutmix_mix_the_preview_batch():
    spec = PipelineSpec((step("MixUp"),))
    plain = preview(PHOTO, [], n=4, seed=0)
    mixed = preview(PHOTO + 0, [step("RandomInvert", p=0.0), *spec.steps], n=4, seed=0)
    assert all(np.array_equal(p.image, PHOTO) for p in plain)
    for s in mixed:  # mixing four copies of one image gives that image back
        assert np.abs(s.image.astype(int) - PHOTO).max() <= 1
        assert abs(sum(w for _, w in s.label_mix) - 1) < 1e-4
        assert s.draws[-1].type == "MixUp" and 0 <= s.draws[-1].params["lam"] <= 1
    scene = synthetic_scene(32)
    cut = preview(scene.image, [step("RandomHorizontalFlip"), step("CutMix")], n=4, seed=1)
    assert all("patch" in s.draws[-1].text for s in cut)
    lam = cut[0].draws[-1].params["lam"]
    assert dict(cut[0].label_mix)[0] == pytest.approx(lam, abs=1e-4)


def test_autoaugment_says_boxes_cannot_follow():
    s = preview(PHOTO, [step("AutoAugment")], n=1, boxes=BOXES)[0]
    assert len(s.boxes) == 0 and s.dropped == 0
    assert any("cannot follow AutoAugment" in n for n in s.notes)


@pytest.mark.parametrize("image, message", [
    (np.zeros((8, 8), np.uint8), "uint8 of shape"),
    (np.zeros((8, 8, 3), np.float32), "uint8 of shape"),
])
def test_bad_images_are_refused(image, message):
    with pytest.raises(ValueError, match=message):
        preview(image, [], n=1)
    with pytest.raises(ValueError, match="mask shape"):
        preview(PHOTO, [], n=1, mask=np.zeros((3, 3)))


def test_previews_on_two_threads_do_not_mix_their_draws():
    """v2 transforms share torch's global generator: without the lock, a preview and an
    inspector job running at once drew each other's numbers."""
    import threading

    spec = PipelineSpec((step("RandomResizedCrop", size=(24, 24)), step("ColorJitter"),
                         step("RandomRotation"), step("GaussianNoise")))
    expected = {seed: [s.image for s in preview(PHOTO, spec, n=4, seed=seed)]
                for seed in (1, 2)}
    failures: list[str] = []

    def work(seed: int) -> None:
        for _ in range(6):
            got = [s.image for s in preview(PHOTO, spec, n=4, seed=seed)]
            if not all(np.array_equal(a, b) for a, b in zip(got, expected[seed], strict=True)):
                failures.append(f"seed {seed}")

    threads = [threading.Thread(target=work, args=(seed,)) for seed in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
