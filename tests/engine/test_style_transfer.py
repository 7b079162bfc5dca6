"""The style-transfer job: it lowers the loss, stops within a step, steers live, and
keeps the last good image when the numbers blow up."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from style_helpers import Poison
from torch import nn

from engine.jobs import JobControl
from engine.style import (
    LiveSettings,
    StyleFinished,
    StyleNet,
    StyleProgress,
    StyleSettings,
    StyleStarted,
    fit_shape,
    style_transfer,
    untrained_features,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SMALL = dict(image_size=48, content_layers=(7,), style_layers=(0, 5), num_epochs=20)


@pytest.fixture(scope="module")
def small_net():
    return untrained_features(num_layers=8)  # conv1_1 … conv2_2


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:32, 0:48]
    content = np.stack([x * 5, y * 7, (x + y) * 3], axis=-1).astype(np.uint8)
    style = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)  # another size and aspect
    return content, style


def run(images, net, settings, control=None):
    return list(style_transfer(*images, settings=settings, control=control, style_net=net))


def test_twenty_steps_lower_the_total_loss(images, small_net):
    events = run(images, small_net, StyleSettings(**SMALL))
    started, *progress, finished = events
    assert isinstance(started, StyleStarted) and started.image_shape == (32, 48)
    assert started.style_shape == (48, 48) and started.approximate and started.normalized
    assert [p.epoch for p in progress] == list(range(1, 21))
    assert progress[-1].total_loss < 0.5 * progress[0].total_loss
    assert isinstance(finished, StyleFinished) and finished.reason == "done"
    assert finished.image.shape == (32, 48, 3) and finished.image.dtype == np.uint8
    assert not np.array_equal(finished.image, images[0])  # the image itself changed
    p = progress[0]
    assert p.total_loss == pytest.approx(p.content_loss + p.style_loss + p.tv_loss, rel=1e-5)
    assert p.weights == (1.0, 1e4, 10.0) and p.lr == pytest.approx(0.3)


def test_noise_init_and_yield_every(images, small_net):
    events = run(images, small_net, StyleSettings(**{**SMALL, "num_epochs": 7},
                                                  init="noise", yield_every=3))
    assert [e.epoch for e in events if isinstance(e, StyleProgress)] == [3, 6, 7]


def test_stop_ends_within_one_step(images, small_net):
    control = JobControl()
    gen = style_transfer(*images, settings=StyleSettings(**{**SMALL, "num_epochs": 10_000}),
                         control=control, style_net=small_net)
    events = []
    for event in gen:
        events.append(event)
        if isinstance(event, StyleProgress) and event.epoch == 3:
            control.stop()
    assert isinstance(events[-1], StyleFinished) and events[-1].reason == "stopped"
    assert events[-1].epoch == 3
    np.testing.assert_array_equal(events[-1].image, events[-2].image)


def test_weights_lr_layers_and_steps_change_while_running(images, small_net):
    live = LiveSettings(StyleSettings(**SMALL))
    seen = []
    for event in style_transfer(*images, settings=live, style_net=small_net):
        if isinstance(event, StyleProgress):
            seen.append(event)
            if event.epoch == 2:
                live.update(style_weight=5.0, content_weight=0.0, lr=0.05, style_layers=[2],
                            num_epochs=6)
            if event.epoch == 4:
                live.update(normalize=False)
    assert seen[1].weights == (1.0, 1e4, 10.0)
    assert seen[2].weights == (0.0, 5.0, 10.0) and seen[2].lr == pytest.approx(0.05)
    assert seen[2].content_loss == 0.0
    # un-normalised, conv1_2's Gram error is far from its normalised (relative) size
    assert seen[4].style_loss / seen[3].style_loss > 10 or \
        seen[4].style_loss / seen[3].style_loss < 0.1
    assert seen[-1].epoch == 6 and seen[-1].num_epochs == 6


def test_lr_follows_the_books_step_schedule(images, small_net):
    s = StyleSettings(**{**SMALL, "num_epochs": 5}, lr_decay_epoch=2)
    lrs = [e.lr for e in run(images, small_net, s) if isinstance(e, StyleProgress)]
    assert lrs == pytest.approx([0.3, 0.3, 0.24, 0.24, 0.192])


def test_nan_stops_the_run_and_keeps_the_last_good_image(images):
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), Poison()).requires_grad_(False)
    bad = StyleNet(net, "file", "poisoned")
    events = run(images, bad, StyleSettings(**{**SMALL, "content_layers": (1,),
                                                "style_layers": (0,)}))
    progress = [e for e in events if isinstance(e, StyleProgress)]
    finished = events[-1]
    assert finished.reason == "diverged" and "step 3" in finished.message
    assert finished.epoch == 2 and len(progress) == 2
    np.testing.assert_array_equal(finished.image, progress[-1].image)


@pytest.mark.parametrize("change, match", [
    (dict(style_weight=-1.0), "style weight"),
    (dict(tv_weight=float("nan")), "tv weight"),
    (dict(content_weight=1e30), "content weight"),
    (dict(lr=0.0), "lr"),
    (dict(style_layers=(), content_layers=()), "at least one"),
    (dict(style_layers=(40,)), "0–36"),
    (dict(init="zeros"), "init"),
])
def test_bad_settings_are_refused_with_a_message(change, match):
    with pytest.raises(ValueError, match=match):
        StyleSettings(**change)
    live = LiveSettings()
    with pytest.raises(ValueError, match=match):
        live.update(**change)
    assert live.get() == StyleSettings()  # left as it was


def test_zero_weights_run_without_error(images, small_net):
    s = StyleSettings(**{**SMALL, "num_epochs": 2}, content_weight=0, style_weight=0,
                      tv_weight=0)
    events = run(images, small_net, s)
    assert events[-1].reason == "done"
    np.testing.assert_array_equal(events[-1].image, events[1].image)


def test_deeper_layer_than_loaded_is_a_message(images, small_net):
    with pytest.raises(ValueError, match="past the 8 layers"):
        run(images, small_net, StyleSettings(**{**SMALL, "style_layers": (10,)}))


def test_huge_images_are_downscaled_with_a_notice(small_net):
    big = np.zeros((600, 900, 3), np.uint8)
    tall = np.full((50, 10), 128, np.uint8)[..., None].repeat(3, axis=2)
    gen = style_transfer(big, tall, settings=StyleSettings(**SMALL), style_net=small_net)
    started = next(gen)
    gen.close()
    assert started.image_shape == (32, 48) and started.style_shape == (48, 10)
    assert any("900×600 downscaled to 48×32" in n for n in started.notices)
    assert fit_shape(300, 451, 450) == (299, 450)


def test_normalisation_is_off_for_real_weights(images, small_net):
    real = StyleNet(small_net.net, "file", "test weights")
    started = next(style_transfer(*images, settings=StyleSettings(**SMALL), style_net=real))
    assert not started.normalized and not started.approximate


def test_on_the_gpu_when_there_is_one(images, small_net):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    events = list(style_transfer(*images, settings=StyleSettings(**SMALL),
                                 style_net=StyleNet(untrained_features(num_layers=8).net,
                                                    "untrained", "gpu", True),
                                 device="cuda"))
    assert events[-1].reason == "done"


def test_defaults_are_the_books_unless_approximate_or_cpu():
    from engine.style import default_settings

    book = default_settings()
    assert (book.content_weight, book.style_weight, book.tv_weight, book.lr) == (1, 1e4, 10,
                                                                                  0.3)
    assert (book.num_epochs, book.image_size, book.lr_decay_epoch, book.lr_decay) == (
        500, 450, 50, 0.8)
    assert book.style_layers == (0, 5, 10, 19, 28) and book.content_layers == (25,)
    approx = default_settings(approximate=True, cpu=True)
    assert approx.style_weight == 10 and approx.image_size == 256
