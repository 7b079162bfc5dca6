"""The trainer, checkpoints, tasks and detection on CUDA (skipped without a GPU)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from engine.data import load_dataset
from engine.data.toy import make_toy_boxes, make_toy_masks
from engine.models import ModelRef
from engine.models.toys import ToyFCN, ToySSD
from engine.training import EpochEnd, Finished, RunConfig, load_checkpoint, train
from engine.training.experiment import run


def test_marker_is_registered_and_skips_without_cuda(pytestconfig, request) -> None:
    assert any(m.startswith("needs_cuda:") for m in pytestconfig.getini("markers"))
    if not torch.cuda.is_available():
        cuda_tests = [i for i in request.session.items if i.get_closest_marker("needs_cuda")]
        assert cuda_tests and all(
            any(m.name == "skip" for m in i.iter_markers()) for i in cuda_tests)


@pytest.mark.needs_cuda
def test_trainer_on_cuda_matches_the_cpu_history_closely() -> None:
    results = []
    for device in ("cpu", "cuda"):
        torch.manual_seed(0)
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
        bundle = load_dataset("procedural-shapes", batch_size=50, n_train=400, n_test=100)
        events = list(train(net, bundle, num_epochs=2, lr=0.1, device=device))
        assert isinstance(events[-1], Finished)
        assert next(net.parameters()).device.type == device
        results.append([e.metrics for e in events if isinstance(e, EpochEnd)])
    for cpu, gpu in zip(*results, strict=True):
        assert cpu.keys() == gpu.keys()
        for key in cpu:
            assert gpu[key] == pytest.approx(cpu[key], rel=1e-3, abs=1e-3)


@pytest.mark.needs_cuda
def test_per_pixel_and_box_tasks_on_cuda() -> None:
    X, y = make_toy_masks(64, size=12)
    pairs = (torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=16),
             torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=16))
    events = list(train(ToyFCN(1, 3), pairs, task="segmentation", num_epochs=1, lr=0.05,
                        optimizer="adam", device="cuda"))
    assert 0 <= events[-2].metrics["test_miou"] <= 1
    Xb, yb = make_toy_boxes(64)
    pairs = (torch.utils.data.DataLoader(torch.utils.data.TensorDataset(Xb, yb), batch_size=16),
             None)
    events = list(train(ToySSD(1), pairs, task="detection", num_epochs=1, lr=0.1, device="cuda"))
    assert isinstance(events[-1], Finished) and "train_bbox_mae" in events[-2].metrics


@pytest.mark.needs_cuda
def test_checkpoint_of_a_cuda_run_resumes_on_cuda(tmp_path: Path) -> None:
    cfg = RunConfig(model=ModelRef.preset("softmax-regression"), dataset="procedural-shapes",
                    n_train=100, n_test=20, batch_size=25, lr=0.1, optimizer="momentum",
                    device="cuda")
    part = list(run(cfg.replace(num_epochs=1)))
    path = part[0].model.save(tmp_path / "gpu.pt", history=part[-1].history)
    ckpt = load_checkpoint(path)
    assert all(t.device.type == "cpu" for t in ckpt.model_state.values())
    resumed = list(run(cfg.replace(num_epochs=2, resume=str(path))))
    assert isinstance(resumed[-1], Finished) and len(resumed[-1].history.epochs) == 2


@pytest.mark.needs_cuda
def test_multibox_detection_on_cuda_inputs() -> None:
    from engine.detection import multibox_detection, multibox_prior

    anchors = multibox_prior(torch.zeros(1, 3, 4, 4, device="cuda"), [0.3, 0.5], [1, 2])
    n = anchors.shape[1]
    cls_probs = torch.softmax(torch.randn(2, 3, n, device="cuda"), dim=1)
    offsets = torch.zeros(2, n * 4, device="cuda")
    out = multibox_detection(cls_probs, offsets, anchors)
    assert out.device.type == "cuda" and out.shape == (2, n, 6)
    ref = multibox_detection(cls_probs.cpu(), offsets.cpu(), anchors.cpu())
    assert torch.allclose(out.cpu(), ref, atol=1e-5)


@pytest.mark.needs_cuda
def test_tinyssd_recipe_with_bf16_autocast_trains_on_cuda() -> None:
    from engine.detection.ssd import training_config

    cfg = training_config(size=64, n_train=64, epochs=2, device="cuda", amp="bf16",
                          n_test=16)
    events = list(run(cfg))
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert isinstance(events[-1], Finished) and len(epochs) == 2
    assert all(torch.isfinite(torch.tensor(e.train_loss)) for e in epochs)
    assert epochs[1].train_loss < epochs[0].train_loss
