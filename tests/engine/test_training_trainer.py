"""The trainer generator: learning, events, divergence, stop/pause, options, errors."""

from __future__ import annotations

import math
import threading
import time

import pytest
import torch
from torch import nn

from engine.data import TRUE_B, TRUE_W, load_dataset
from engine.jobs import JobControl
from engine.training import (
    BatchProgress,
    Diverged,
    EpochEnd,
    Finished,
    History,
    Stopped,
    evaluate_accuracy,
    init_weights,
    train,
)
from engine.training.hooks import Hook


def small_cnn() -> nn.Sequential:
    """LeNet's shape with ReLU + max-pool (the course notes' variant), fewer channels."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 64), nn.ReLU(), nn.Linear(64, 10))


def toy_mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))


def run(events) -> list:
    return list(events)


def test_linear_regression_recovers_w_and_b() -> None:
    bundle = load_dataset("synthetic-linear", batch_size=10)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 1))
    events = run(train(net, bundle, num_epochs=3, lr=0.03, init="normal", device="cpu"))
    assert isinstance(events[-1], Finished)
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.epoch for e in epochs] == [1, 2, 3]
    assert all(e.train_acc is None and e.test_acc is None for e in epochs)
    assert epochs[-1].test_loss < 1e-3
    w, b = net[0].weight.data.flatten(), net[0].bias.data
    assert torch.allclose(w, torch.tensor(TRUE_W), atol=0.01)
    assert abs(b.item() - TRUE_B) < 0.01


def test_cnn_on_procedural_shapes_improves_test_accuracy() -> None:
    bundle = load_dataset("procedural-shapes", batch_size=40, n_train=1200, n_test=400)
    torch.manual_seed(0)
    net = small_cnn()
    before = evaluate_accuracy(net, bundle.test)
    events = run(train(net, bundle, num_epochs=2, lr=0.1, optimizer="momentum", init="kaiming",
                       device="cpu", progress_every=10))
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert isinstance(events[-1], Finished) and len(epochs) == 2
    assert before < 0.2
    assert epochs[0].test_acc > before + 0.1
    assert epochs[1].test_acc > epochs[0].test_acc
    assert epochs[1].train_loss < epochs[0].train_loss
    assert events[-1].history.epochs == epochs
    assert evaluate_accuracy(net, bundle.test) == pytest.approx(epochs[1].test_acc)


def test_progress_events_fractional_epochs_and_history() -> None:
    bundle = load_dataset("blobs", batch_size=20, n_train=200, n_test=60)
    events = run(train(toy_mlp_n(3), bundle, num_epochs=2, lr=0.1, progress_every=3,
                       device="cpu"))
    points = [e for e in events if isinstance(e, BatchProgress)]
    assert [(p.epoch, p.step) for p in points[:5]] == [(1, 3), (1, 6), (1, 9), (1, 10), (2, 3)]
    assert points[3].fraction == 1.0 and points[0].fraction == pytest.approx(0.3)
    assert all(p.steps_per_epoch == 10 and p.train_acc is not None for p in points)
    assert all(p.examples_per_sec > 0 and p.lr == 0.1 for p in points)
    end = [e for e in events if isinstance(e, EpochEnd)][0]
    assert end.train_loss == pytest.approx(points[3].train_loss)  # end-of-epoch point = epoch
    history = events[-1].history
    assert history.progress == points
    assert history.settings["lr"] == 0.1 and history.settings["dataset"] == "blobs"
    assert History.from_dict(history.to_dict()) == history


def test_progress_seconds_adds_time_based_points() -> None:
    bundle = load_dataset("xor", batch_size=10, n_train=100, n_test=10)
    events = run(train(toy_mlp(), bundle, num_epochs=1, lr=0.1, progress_every=1000,
                       progress_seconds=1e-9, device="cpu"))
    assert [e.step for e in events if isinstance(e, BatchProgress)] == list(range(1, 11))


def test_running_loss_matches_a_reference_loop() -> None:
    """The reported epoch loss/accuracy equal a hand-written loop's on the same data."""
    bundle = load_dataset("spiral", batch_size=25, n_train=100, n_test=50)
    torch.manual_seed(1)
    net = toy_mlp()
    ref = toy_mlp()
    ref.load_state_dict(net.state_dict())
    events = run(train(net, bundle, num_epochs=1, lr=0.5, device="cpu", seed=5))
    epoch = [e for e in events if isinstance(e, EpochEnd)][0]
    torch.manual_seed(5)
    bundle.train.sampler.sampler.generator.manual_seed(5)
    opt, loss_fn = torch.optim.SGD(ref.parameters(), lr=0.5), nn.CrossEntropyLoss()
    total = correct = 0.0
    for X, y in bundle.train:
        opt.zero_grad()
        y_hat = ref(X)
        loss = loss_fn(y_hat, y)
        loss.backward()
        opt.step()
        total += loss.item() * len(y)
        correct += (y_hat.argmax(1) == y).sum().item()
    assert epoch.train_loss == pytest.approx(total / 100, rel=1e-5)
    assert epoch.train_acc == pytest.approx(correct / 100)
    for a, b in zip(net.parameters(), ref.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)


def test_nan_guard_stops_a_diverging_run_with_a_clear_reason() -> None:
    bundle = load_dataset("synthetic-linear", batch_size=10)
    events = run(train(nn.Linear(2, 1), bundle, num_epochs=3, lr=1e3, device="cpu",
                       progress_every=50))
    end = events[-1]
    assert isinstance(end, Diverged) and isinstance(end, Stopped) and end.kind == "diverged"
    assert end.epoch == 1 and 1 <= end.step < 50  # the exact step, not the progress point
    assert f"loss diverged at epoch 1 step {end.step}" in end.reason
    assert "lower learning rate" in end.reason
    # caught once it exploded (step 2 here), before it even reaches inf/NaN
    assert not math.isfinite(end.loss) or end.loss > 1e6 * 10
    assert not any(isinstance(e, (BatchProgress, EpochEnd)) for e in events[:-1])


def test_nan_guard_on_classification_with_mse() -> None:
    bundle = load_dataset("blobs", batch_size=20, n_train=200, n_test=20)
    events = run(train(nn.Linear(2, 3), bundle, num_epochs=3, lr=1e3, loss="mse", device="cpu"))
    assert isinstance(events[-1], Diverged) and events[-1].epoch == 1


def test_labels_beyond_the_outputs_are_a_clear_error() -> None:
    bundle = load_dataset("blobs", batch_size=20, n_train=60, n_test=20)  # 3 classes
    with pytest.raises(ValueError, match="outputs 2 values per example"):
        run(train(toy_mlp(), bundle, num_epochs=1, lr=0.1, device="cpu"))


class CountingNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = toy_mlp()
        self.train_calls = 0

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.train_calls += 1
        return self.body(X)


def test_stop_mid_epoch_ends_within_one_batch() -> None:
    bundle = load_dataset("xor", batch_size=10, n_train=400, n_test=40)
    control = JobControl()
    net = CountingNet()
    events = []
    for event in train(net, bundle, num_epochs=5, lr=0.1, progress_every=1, control=control,
                       device="cpu"):
        events.append(event)
        if len(events) == 3:
            control.stop()
    end = events[-1]
    assert len(events) == 4 and isinstance(end, Stopped) and end.kind == "user"
    assert net.train_calls == 3  # no batch ran after the stop request
    assert (end.epoch, end.step) == (1, 3) and "stopped by user at epoch 1 step 3" in end.reason
    assert end.history.epochs == []


def test_stop_during_evaluation_is_honoured() -> None:
    bundle = load_dataset("xor", batch_size=10, n_train=40, n_test=40)
    control = JobControl()
    events = []
    for event in train(toy_mlp(), bundle, num_epochs=3, lr=0.1, progress_every=4,
                       control=control, device="cpu"):
        events.append(event)
        if isinstance(event, BatchProgress) and event.step == 4:
            control.stop()  # the next thing the trainer does is the test pass
    assert isinstance(events[-1], Stopped) and "testing" in events[-1].reason


def test_pause_blocks_and_resume_continues() -> None:
    bundle = load_dataset("circles", batch_size=10, n_train=200, n_test=20)
    control = JobControl()
    events: list = []

    def consume() -> None:
        for event in train(toy_mlp(), bundle, num_epochs=2, lr=0.1, progress_every=1,
                           control=control, device="cpu"):
            events.append(event)
            if len(events) == 2:
                control.pause()

    worker = threading.Thread(target=consume)
    worker.start()
    deadline = time.monotonic() + 10
    while not control.paused and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)
    assert control.paused and len(events) == 2 and worker.is_alive()
    control.resume()
    worker.join(10)
    assert not worker.is_alive() and isinstance(events[-1], Finished)
    assert sum(isinstance(e, BatchProgress) for e in events) == 40


def test_out_of_memory_is_reported_as_a_stop() -> None:
    class Hungry(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(2, 2)
            self.calls = 0

        def forward(self, X: torch.Tensor) -> torch.Tensor:
            self.calls += 1
            if self.calls == 3:
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
            return self.lin(X)

    bundle = load_dataset("xor", batch_size=10, n_train=100, n_test=10)
    events = run(train(Hungry(), bundle, num_epochs=1, lr=0.1, device="cpu"))
    end = events[-1]
    assert isinstance(end, Stopped) and end.kind == "out-of-memory"
    assert "out of memory" in end.reason and "smaller batch size" in end.reason


def test_shape_mismatch_is_a_clear_error() -> None:
    bundle = load_dataset("xor", batch_size=10, n_train=20, n_test=10)
    with pytest.raises(ValueError, match=r"does not fit the data: batches have shape \(10, 2\)"):
        run(train(nn.Linear(3, 2), bundle, num_epochs=1, lr=0.1, device="cpu"))


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "adamw"])
@pytest.mark.parametrize("schedule", ["none", "step", "cosine"])
def test_optimizers_and_schedules_learn_blobs(optimizer: str, schedule: str) -> None:
    bundle = load_dataset("blobs", batch_size=20, n_train=200, n_test=100, noise=0.1)
    lr = 0.05 if optimizer.startswith("adam") else 0.5
    torch.manual_seed(0)
    events = run(train(toy_mlp_n(3), bundle, num_epochs=3, lr=lr, optimizer=optimizer,
                       schedule=schedule, weight_decay=1e-4, grad_clip=5.0, device="cpu"))
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert epochs[-1].test_acc > 0.9
    if schedule == "step":  # a third of 3 epochs: x0.1 after each epoch
        assert [e.lr for e in epochs] == pytest.approx([lr, lr * 0.1, lr * 0.01])
    if schedule == "cosine":
        assert epochs[0].lr > epochs[1].lr > epochs[2].lr > 0


def toy_mlp_n(classes: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, classes))


@pytest.mark.parametrize("loss", ["mse", "l1", "huber"])
def test_regression_losses_and_one_hot_for_classification(loss: str) -> None:
    reg = load_dataset("synthetic-linear", batch_size=10, n_train=200, n_test=50)
    events = run(train(nn.Linear(2, 1), reg, num_epochs=2, lr=0.03, loss=loss, device="cpu"))
    assert isinstance(events[-1], Finished) and events[-2].test_acc is None
    cls = load_dataset("blobs", batch_size=20, n_train=200, n_test=50)
    events = run(train(toy_mlp_n(3), cls, num_epochs=2, lr=0.1, loss=loss, device="cpu"))
    assert isinstance(events[-1], Finished) and events[-2].test_acc is not None


@pytest.mark.parametrize("scheme", ["default", "normal", "xavier", "kaiming"])
def test_init_schemes(scheme: str) -> None:
    torch.manual_seed(0)
    net = small_cnn()
    init_weights(net, scheme)
    w = net[7].weight
    if scheme == "normal":
        assert w.std().item() == pytest.approx(0.01, rel=0.1)
    if scheme != "default":
        assert torch.count_nonzero(net[7].bias) == 0


def test_lazy_layers_are_materialised_before_the_optimiser() -> None:
    bundle = load_dataset("procedural-shapes", batch_size=32, n_train=64, n_test=32)
    net = nn.Sequential(nn.Flatten(), nn.LazyLinear(10))
    events = run(train(net, bundle, num_epochs=1, lr=0.1, init="xavier", device="cpu"))
    assert isinstance(events[-1], Finished) and net[1].weight.shape == (10, 784)


def test_same_seed_same_run() -> None:
    bundle = load_dataset("spiral", batch_size=20, n_train=100, n_test=40)
    results = []
    for _ in range(2):
        events = run(train(toy_mlp(), bundle, num_epochs=2, lr=0.3, init="xavier", seed=11,
                           device="cpu"))
        results.append([(e.train_loss, e.test_acc) for e in events if isinstance(e, EpochEnd)])
    assert results[0] == results[1]


def test_plain_loader_pair_without_test_split() -> None:
    X = torch.randn(40, 2)
    y = (X[:, 0] > 0).long()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=8)
    events = run(train(toy_mlp(), (loader, None), num_epochs=1, lr=0.1, device="cpu"))
    end = [e for e in events if isinstance(e, EpochEnd)][0]
    assert end.test_acc is None and end.train_acc is not None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_epochs": 0}, "num_epochs=0"),
        ({"lr": -1.0}, "lr=-1.0"),
        ({"lr": float("nan")}, "lr=nan"),
        ({"optimizer": "rmsprop"}, "optimizer='rmsprop'"),
        ({"loss": "hinge"}, "loss='hinge'"),
        ({"schedule": "cyclic"}, "schedule='cyclic'"),
        ({"init": "orthogonal"}, "init='orthogonal'"),
        ({"progress_every": 0}, "progress_every=0"),
        ({"grad_clip": 0}, "grad_clip=0"),
        ({"weight_decay": -1}, "weight_decay=-1"),
        ({"task": "regression", "loss": "cross-entropy"}, "for regression use"),
    ],
)
def test_bad_options_raise_before_training_starts(kwargs: dict, match: str) -> None:
    bundle = load_dataset("xor", batch_size=10, n_train=20, n_test=10)
    args = {"num_epochs": 1, "lr": 0.1, **kwargs}
    with pytest.raises(ValueError, match=match):
        train(toy_mlp(), bundle, **args)  # raises on the call, not on first next()
    with pytest.raises(ValueError, match="DataBundle"):
        train(toy_mlp(), [1, 2, 3], num_epochs=1, lr=0.1)


def test_training_run_exposes_its_optimizer_and_closes():
    """Checkpoint writers need the optimiser train() made; close() ends the run early."""
    import torch
    from torch import nn

    from engine.training import train

    torch.manual_seed(0)
    X = torch.randn(64, 2)
    y = X @ torch.tensor([[2.0], [-3.4]]) + 4.2
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=8)
    net = nn.Sequential(nn.Linear(2, 1))
    run = train(net, (loader, None), num_epochs=3, lr=0.03, loss="mse", device="cpu")
    assert run.optimizer is None  # nothing happened yet
    first = next(run)
    assert isinstance(run.optimizer, torch.optim.SGD)
    assert first is not None
    run.close()
    assert list(run) == []


def test_a_finite_but_exploding_loss_is_divergence() -> None:
    """MLP at lr 10000: losses of 1e24+ at chance accuracy used to end "finished"."""
    from engine.builder import build, preset

    bundle = load_dataset("procedural-shapes", batch_size=256, n_train=2000, n_test=200)
    torch.manual_seed(0)
    events = run(train(build(preset("mlp")), bundle, num_epochs=2, lr=1e4, device="cpu",
                       progress_every=2))
    end = events[-1]
    assert isinstance(end, Diverged) and end.kind == "diverged", end
    assert math.isfinite(end.loss) and end.loss > 1e6 * 2.0
    assert end.epoch == 1 and f"loss diverged at epoch 1 step {end.step}" in end.reason
    assert "times the first batch's" in end.reason and "lower learning rate" in end.reason


def test_explosion_check_needs_both_the_factor_and_the_floor() -> None:
    from engine.training.trainer import EXPLODE_FACTOR, EXPLODE_FLOOR

    r = train(nn.Linear(2, 1), load_dataset("synthetic-linear", batch_size=10), num_epochs=1,
              lr=0.03, device="cpu")
    assert not r.exploded(1e-6)  # the first value becomes the reference
    assert not r.exploded(EXPLODE_FLOOR * 0.5)  # a billion times more, but under the floor
    assert r.exploded(EXPLODE_FLOOR * 2) and r.exploded(float("nan"))
    r2 = train(nn.Linear(2, 1), load_dataset("synthetic-linear", batch_size=10), num_epochs=1,
               lr=0.03, device="cpu")
    assert not r2.exploded(1e3)
    assert not r2.exploded(1e3 * EXPLODE_FACTOR * 0.9)  # big regression targets: fine
    assert r2.exploded(1e3 * EXPLODE_FACTOR * 1.1)


def test_ordinary_runs_are_not_flagged_as_diverged() -> None:
    bundle = load_dataset("blobs", batch_size=20, n_train=200, n_test=20)
    for lr in (0.01, 0.5, 5.0):
        torch.manual_seed(0)
        net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
        events = run(train(net, bundle, num_epochs=3, lr=lr, device="cpu"))
        assert isinstance(events[-1], Finished), (lr, events[-1])


def test_a_speed_estimate_comes_once_a_few_batches_into_the_run() -> None:
    from engine.training import SpeedEstimate
    from engine.training.trainer import ESTIMATE_BATCHES

    bundle = load_dataset("blobs", batch_size=10, n_train=200, n_test=40)
    events = run(train(nn.Linear(2, 3), bundle, num_epochs=3, lr=0.1, device="cpu",
                       progress_every=1))
    estimates = [e for e in events if isinstance(e, SpeedEstimate)]
    assert len(estimates) == 1
    e = estimates[0]
    where = events.index(e)
    before = [x for x in events[:where] if isinstance(x, BatchProgress)]
    assert [p.step for p in before] == list(range(1, ESTIMATE_BATCHES))  # early in epoch 1
    assert not any(isinstance(x, EpochEnd) for x in events[:where])
    assert (e.steps_per_epoch, e.test_steps, e.num_epochs, e.batches_timed) == (
        20, 4, 3, ESTIMATE_BATCHES - 1)
    assert e.seconds_per_batch > 0 and e.first_batch_seconds > 0
    expected = e.seconds_per_batch * (20 + 4 / 3) * 3 + e.first_batch_seconds \
        - e.seconds_per_batch
    assert e.estimated_seconds == pytest.approx(max(expected, 0.0))
    assert isinstance(events[-1], Finished)


def test_no_estimate_for_runs_of_under_three_batches() -> None:
    from engine.training import SpeedEstimate

    bundle = load_dataset("blobs", batch_size=100, n_train=200, n_test=40)
    events = run(train(nn.Linear(2, 3), bundle, num_epochs=2, lr=0.1, device="cpu"))
    assert not any(isinstance(e, SpeedEstimate) for e in events)


def test_a_slow_first_batch_gives_the_estimate_at_once(monkeypatch) -> None:
    from engine.training import SpeedEstimate
    from engine.training import trainer as trainer_module

    monkeypatch.setattr(trainer_module, "ESTIMATE_SECONDS", 0.0)  # every batch is "slow"
    bundle = load_dataset("blobs", batch_size=10, n_train=100, n_test=20)
    events = run(train(nn.Linear(2, 3), bundle, num_epochs=2, lr=0.1, device="cpu",
                       progress_every=1))
    first = next(i for i, e in enumerate(events) if isinstance(e, SpeedEstimate))
    assert [type(e).__name__ for e in events[:first]] == []  # right after batch 1
    e = events[first]
    assert e.batches_timed == 1 and e.seconds_per_batch == e.first_batch_seconds


class _Seen(nn.Module):
    """Wraps a network; records its layers' output dtypes and its inputs' layouts."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net, self.dtypes, self.channels_last = net, set(), []
        net[0].register_forward_hook(lambda _m, _i, out: self.dtypes.add(out.dtype))

    def forward(self, X):
        self.channels_last.append(X.is_contiguous(memory_format=torch.channels_last)
                                  and not X.is_contiguous())
        return self.net(X)


class _OutputDtype(Hook):
    def __init__(self) -> None:
        self.dtypes = set()

    def after_backward(self, state):
        self.dtypes.add(state.y_hat.dtype)
        self.dtypes.add(state.loss.dtype)


def test_bf16_mixed_precision_runs_the_network_in_bf16_and_the_loss_in_float32() -> None:
    bundle = load_dataset("procedural-shapes", batch_size=40, n_train=400, n_test=80)
    torch.manual_seed(0)
    net = _Seen(small_cnn())
    seen = _OutputDtype()
    events = run(train(net, bundle, num_epochs=2, lr=0.1, optimizer="momentum",
                       init="kaiming", device="cpu", amp="bf16", hooks=[seen]))
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert isinstance(events[-1], Finished)
    assert net.dtypes == {torch.bfloat16}  # the convolution ran under autocast
    assert seen.dtypes == {torch.float32}  # what the loss and metrics saw
    assert all(p.dtype == torch.float32 for p in net.parameters())
    assert epochs[1].train_loss < epochs[0].train_loss and epochs[1].test_acc > 0.3
    # off (the default) stays float32 throughout
    plain = _Seen(small_cnn())
    run(train(plain, bundle, num_epochs=1, lr=0.1, device="cpu"))
    assert plain.dtypes == {torch.float32}


def test_channels_last_on_a_cpu_gives_the_network_channels_last_batches() -> None:
    from engine.data.core import TensorBatchDataset, make_loader

    g = torch.Generator().manual_seed(0)
    X, y = torch.rand(48, 3, 12, 12, generator=g), torch.randint(0, 2, (48,), generator=g)
    loaders = (make_loader(TensorBatchDataset(X[:32], y[:32]), batch_size=16, shuffle=False),
               make_loader(TensorBatchDataset(X[32:], y[32:]), batch_size=16, shuffle=False))

    def rgb_cnn() -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                             nn.Linear(4 * 12 * 12, 2))

    for on in (True, False):
        torch.manual_seed(0)
        net = _Seen(rgb_cnn())
        events = run(train(net, loaders, num_epochs=1, lr=0.1, device="cpu",
                           channels_last=on))
        assert isinstance(events[-1], Finished)
        assert len(net.channels_last) == 3  # 2 training + 1 evaluation batches
        assert all(seen is on for seen in net.channels_last)
        assert net.net[0].weight.is_contiguous(memory_format=torch.channels_last) is on


def test_auto_mixed_precision_follows_the_hardware(monkeypatch) -> None:
    import engine.training.trainer as trainer_module

    bundle = load_dataset("procedural-shapes", batch_size=40, n_train=40, n_test=40)
    for fast, expected in ((True, {torch.bfloat16}), (False, {torch.float32})):
        monkeypatch.setattr(trainer_module, "fast_bfloat16", lambda _d, fast=fast: fast)
        net = _Seen(small_cnn())
        run(train(net, bundle, num_epochs=1, lr=0.1, device="cpu", amp="auto"))
        assert net.dtypes == expected


def test_execution_text_says_what_the_run_will_use(monkeypatch) -> None:
    import engine.training.trainer as trainer_module
    from engine.training import RunConfig

    monkeypatch.setattr(trainer_module, "fast_bfloat16", lambda _d: True)
    cfg = RunConfig(amp="auto", channels_last=True)
    assert trainer_module.execution_text(cfg, "cpu") == ("bfloat16 mixed precision, "
                                                         "channels-last")
    assert trainer_module.execution_text(cfg, "cuda") == "bfloat16 mixed precision"
    monkeypatch.setattr(trainer_module, "fast_bfloat16", lambda _d: False)
    assert trainer_module.execution_text(cfg, "cpu") == "channels-last"
    assert trainer_module.execution_text(cfg.replace(amp="bf16"), "cpu").startswith("bfloat16")
    assert trainer_module.execution_text(RunConfig(), "cpu") == ""
    with pytest.raises(ValueError, match="no bfloat16 support"):  # torch.autocast would raise
        trainer_module.execution_options(cfg.replace(amp="bf16"), "cuda")
