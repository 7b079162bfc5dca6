"""A pipeline as the training core's train-time transform; the offline colour set."""

from __future__ import annotations

import pytest
import torch

from engine.augment import augment_preset, step
from engine.augment.training import pipeline_transform, training_transforms
from engine.data.colour_shapes import make_colour_shapes


def test_training_transforms_entry_round_trips_the_pipeline():
    spec = augment_preset("32×32 training: crop + flip")
    (entry,) = training_transforms(spec, input_shape=(3, 32, 32))
    assert entry["name"] == "pipeline" and entry["spec"] == spec.to_dict()
    aug = pipeline_transform(entry["spec"])
    x = torch.rand(3, 32, 32)
    torch.manual_seed(0)
    out = aug(x)
    assert out.shape == (3, 32, 32) and out.dtype == torch.float32
    assert training_transforms([], input_shape=(3, 32, 32)) == ()
    assert training_transforms([step("RandomInvert", enabled=False)],
                               input_shape=(3, 32, 32)) == ()


@pytest.mark.parametrize("spec, shape, message", [
    (augment_preset("book: augs"), (3, 32, 32), r"into 200×200×3; the network expects 32×32×3"),
    (augment_preset("MixUp / CutMix"), (3, 32, 32), r"step 2 \(MixUp\) mixes labels"),
    ([step("Normalize")], (1, 28, 28), r"step 1 \(Normalize\) turns the dataset's 1-channel"),
    ([step("RandomCrop", size=(40, 40), pad_if_needed=False)], (3, 32, 32),
     r"step 1 \(RandomCrop\) cannot run on the dataset's 32×32×3 images"),
    ([step("RandomHorizontalFlip")], (2,), r"needs image data"),
])
def test_pipelines_that_cannot_train_on_the_data_say_why(spec, shape, message):
    with pytest.raises(ValueError, match=message):
        training_transforms(spec, input_shape=shape)


def test_colour_shapes_are_rgb_deterministic_and_balanced():
    X, y = make_colour_shapes(200, seed=3)
    assert X.shape == (200, 3, 32, 32) and X.dtype == torch.uint8
    assert torch.bincount(y, minlength=10).tolist() == [20] * 10
    X2, y2 = make_colour_shapes(200, seed=3)
    assert torch.equal(X, X2) and torch.equal(y, y2)
    assert not torch.equal(make_colour_shapes(200, seed=4)[0], X)
    # colour: the channels differ (not a grey image repeated), and so do the images' hues
    assert (X[:, 0].float() - X[:, 1].float()).abs().mean() > 10
    mean_colour = X.float().mean(dim=(2, 3))
    assert mean_colour.std(dim=0).min() > 10


def test_the_training_core_draws_the_pipeline_per_example():
    from engine.data import load_dataset

    (entry,) = training_transforms([step("RandomHorizontalFlip", p=0.5)],
                                   input_shape=(3, 32, 32))
    plain = load_dataset("colour-shapes", batch_size=64, n_train=64, n_test=8)
    augmented = load_dataset("colour-shapes", batch_size=64, n_train=64, n_test=8,
                             transforms=[entry])
    (X, y), (X_aug, y_aug) = next(iter(plain.train)), next(iter(augmented.train))
    assert torch.equal(y, y_aug)
    same = [torch.equal(a, b) for a, b in zip(X, X_aug, strict=True)]
    flipped = [torch.equal(a.flip(-1), b) for a, b in zip(X, X_aug, strict=True)]
    assert all(s or f for s, f in zip(same, flipped, strict=True))
    assert 10 < sum(flipped) < 54  # one draw per example, not one per batch
    X_test, _ = next(iter(augmented.test))
    assert torch.equal(X_test, next(iter(plain.test))[0])  # test data stays plain
