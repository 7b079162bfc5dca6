"""run(config): models beyond specs, weights, param groups, resume, v1 checkpoints, hooks."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.models import ModelRef
from engine.training import DataSample, EpochEnd, Finished, Prepared, RunConfig, load_checkpoint
from engine.training.experiment import run

builder = pytest.importorskip("engine.builder")
pytestmark = pytest.mark.usefixtures("one_torch_thread")
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def linear(**kw) -> RunConfig:
    return RunConfig(model=ModelRef.preset("linear-regression"), dataset="synthetic-linear",
                     **{"batch_size": 10, "lr": 0.03, "num_epochs": 3, "device": "cpu", **kw})


def test_a_config_trains_and_prepared_comes_first() -> None:
    events = list(run(linear()))
    assert isinstance(events[0], Prepared) and isinstance(events[-1], Finished)
    p = events[0]
    assert p.task == "regression" and p.n_train == 1000 and p.model.spec.name == "linear-regression"
    w = p.model.net[0].weight.detach().flatten()
    assert torch.allclose(w, torch.tensor([2.0, -3.4]), atol=0.01)
    assert events[-1].history.settings["lr"] == 0.03


def test_decision_map_hook_by_name() -> None:
    cfg = RunConfig(model=ModelRef.preset("mlp"), dataset="xor", batch_size=40, lr=0.1,
                    num_epochs=2, device="cpu", hooks=("decision-map",))
    events = list(run(cfg))
    names = [type(e).__name__ for e in events]
    assert names[:2] == ["Prepared", "DataSample"]
    ends = [i for i, n in enumerate(names) if n == "EpochEnd"]
    assert len(ends) == 2 and all(names[i + 1] == "DecisionMap" for i in ends)
    assert isinstance(events[1], DataSample) and events[ends[0] + 1].classes.shape == (96, 96)
    # on data that is not 2-D classification the hook does not apply (and costs nothing)
    assert "DataSample" not in [type(e).__name__ for e in run(linear(
        num_epochs=1, hooks=("decision-map",)))]


def test_zoo_resnet_offline_says_random_init_and_param_groups_scale_the_head(
        tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    cfg = RunConfig(model=ModelRef.zoo("resnet18", weights="pretrained"),
                    dataset="procedural-shapes", n_train=16, n_test=8, batch_size=8,
                    num_epochs=1, lr=0.01, device="cpu",
                    param_groups=({"prefix": "fc.", "lr_mult": 10},))
    events = list(run(cfg))
    p = events[0]
    assert "random init" in p.weights and "not in torchvision's cache" in p.weights
    assert events[-1].history.settings["weights"] == p.weights
    net = p.model.net
    assert net.fc.out_features == 10 and net.conv1.in_channels == 1
    lrs = sorted(g["lr"] for g in p.model.optimizer.param_groups)
    assert lrs == pytest.approx([0.01, 0.1])
    head = next(g for g in p.model.optimizer.param_groups if g["lr"] == pytest.approx(0.1))
    assert {id(q) for q in head["params"]} == {id(q) for q in net.fc.parameters()}


def test_user_weights_file_loads_or_names_the_mismatched_tensor(tmp_path: Path) -> None:
    spec = builder.preset("linear-regression")
    net = builder.build(spec)
    with torch.no_grad():
        net[0].weight.fill_(1.5)
    good = tmp_path / "good.pth"
    torch.save(net.state_dict(), good)
    ref = ModelRef("preset", "linear-regression", weights=str(good))
    p = next(iter(run(linear(num_epochs=1).replace(model=ref))))
    assert p.weights == "loaded from good.pth"
    assert torch.all(p.model.net[0].weight == 1.5)
    bad = tmp_path / "bad.pth"
    torch.save({"0.weight": torch.zeros(3, 2), "0.bias": torch.zeros(3)}, bad)
    with pytest.raises(ValueError, match=r"tensor '0\.weight' has shape \(3, 2\) but the "
                                         r"network's is \(1, 2\)"):
        next(iter(run(linear().replace(model=ModelRef("preset", "linear-regression",
                                                      weights=str(bad))))))
    with pytest.raises(ValueError, match="does not exist"):
        next(iter(run(linear().replace(model=ModelRef("preset", "linear-regression",
                                                      weights=str(tmp_path / "no.pth"))))))


def test_resume_continues_exactly_like_an_uninterrupted_run(tmp_path: Path) -> None:
    cfg = RunConfig(model=ModelRef.preset("softmax-regression"), dataset="procedural-shapes",
                    n_train=200, n_test=50, batch_size=25, lr=0.1, optimizer="momentum",
                    schedule="step", step_size=1, gamma=0.5, device="cpu",
                    transforms=({"name": "hflip"},))
    full = list(run(cfg.replace(num_epochs=4)))
    part = list(run(cfg.replace(num_epochs=2)))
    ckpt = part[0].model.save(tmp_path / "two.pt", history=part[-1].history)
    saved = load_checkpoint(ckpt)
    assert saved.epoch == 2 and saved.scheduler_state is not None and saved.config is not None
    resumed = list(run(cfg.replace(num_epochs=4, resume=str(ckpt))))
    assert resumed[0].start_epoch == 3 and "resumed from two.pt" in resumed[0].weights
    assert [e.epoch for e in resumed if isinstance(e, EpochEnd)] == [3, 4]
    assert [e.lr for e in resumed[-1].history.epochs] == [0.1, 0.05, 0.025, 0.0125]
    a, b = full[-1].history.epochs, resumed[-1].history.epochs
    assert [e.metrics for e in a] == [e.metrics for e in b]
    for x, y in zip(full[0].model.net.state_dict().values(),
                    resumed[0].model.net.state_dict().values(), strict=True):
        assert torch.equal(x, y)


def test_resume_from_another_architecture_names_the_tensor(tmp_path: Path) -> None:
    part = list(run(linear(num_epochs=1)))
    ckpt = part[0].model.save(tmp_path / "lin.pt", history=part[-1].history)
    other = RunConfig(model=ModelRef.preset("softmax-regression"), dataset="procedural-shapes",
                      n_train=20, n_test=10, batch_size=10, device="cpu", resume=str(ckpt))
    with pytest.raises(ValueError, match=r"resume: checkpoint lin\.pt does not fit this network: "
                                         r"it has no tensor"):
        list(run(other))


def test_version_1_checkpoint_written_by_the_old_code_still_loads() -> None:
    ckpt = load_checkpoint(FIXTURES / "checkpoint_v1_linear_regression.pt")
    assert ckpt.version == 1 and ckpt.model_ref["kind"] == "spec"
    assert ckpt.epoch == 3 and len(ckpt.history.epochs) == 3
    assert ckpt.history.epochs[0].train_loss > ckpt.history.epochs[-1].train_loss
    assert ckpt.history.epochs[0].train_acc is None
    net = builder.build(builder.NetworkSpec.from_dict(ckpt.spec))
    ckpt.restore(net)
    assert torch.allclose(net[0].weight.detach().flatten(), torch.tensor([2.0, -3.4]), atol=0.01)


def test_unknown_names_fail_before_anything_loads() -> None:
    with pytest.raises(ValueError, match="unknown dataset 'nope'"):
        run(linear().replace(dataset="nope"))
    with pytest.raises(ValueError, match="unknown model 'resnet999'"):
        run(linear().replace(model=ModelRef.zoo("resnet999")))
    with pytest.raises(ValueError, match="hooks: unknown hook 'x'"):
        run(linear().replace(hooks=("x",)))
    with pytest.raises(ValueError, match="resume: checkpoint .* does not exist"):
        run(linear().replace(resume="/no/such.pt"))


class OneProcessDist:
    """The ``dist`` interface run() calls (E's DistContext), for one process: counts the
    all-reduces to show they happen at progress points only."""

    device = torch.device("cpu")
    is_main = True
    rank, world_size = 0, 1

    def __init__(self) -> None:
        self.reduces = 0
        self.wrapped = None

    def wrap_model(self, net):
        self.wrapped = net
        return net

    def make_sampler(self, dataset, *, shuffle, seed, pad=True):
        from torch.utils.data import DistributedSampler

        # pad=False (test shards: each example once) is the same for one process
        return DistributedSampler(dataset, num_replicas=1, rank=0, shuffle=shuffle, seed=seed)

    def per_process_batch(self, global_batch: int) -> int:
        return global_batch

    def all_reduce_sum(self, tensor):
        self.reduces += 1
        return tensor


def test_run_with_a_dist_context_reduces_at_progress_points_only() -> None:
    dist = OneProcessDist()
    cfg = RunConfig(model=ModelRef.preset("softmax-regression"), dataset="procedural-shapes",
                    n_train=200, n_test=50, batch_size=20, lr=0.1, num_epochs=2,
                    device="cpu", progress_every=5)
    events = list(run(cfg, dist=dist))
    assert isinstance(events[-1], Finished) and dist.wrapped is events[0].model.net
    points = [e for e in events if type(e).__name__ == "BatchProgress"]
    assert len(points) == 4  # 10 batches per epoch, every 5
    assert dist.reduces == len(points) + 2  # + one per test pass
    last = events[-1].history.epochs[-1]
    assert 0 <= last.test_acc <= 1 and last.train_loss < events[-1].history.epochs[0].train_loss


def test_resume_from_the_old_codes_v1_checkpoint_with_its_network(tmp_path: Path) -> None:
    v1 = FIXTURES / "checkpoint_v1_linear_regression.pt"  # 3 epochs, no optimiser state
    events = list(run(linear(num_epochs=4, resume=str(v1))))
    assert events[0].start_epoch == 4 and isinstance(events[-1], Finished)
    assert [e.epoch for e in events[-1].history.epochs] == [1, 2, 3, 4]
    with pytest.raises(ValueError, match="already has 3 epochs"):
        list(run(linear(num_epochs=3, resume=str(v1))))
