"""Checkpoints: round trip, atomic writes, refusing files that are not ours."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import torch
from torch import nn

from engine.data import load_dataset
from engine.training import (
    Checkpoint,
    Finished,
    History,
    load_checkpoint,
    save_checkpoint,
    train,
)


def make_net() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 14 * 14, 10))


@pytest.fixture(scope="module")
def trained() -> tuple[nn.Module, torch.optim.Optimizer, History]:
    bundle = load_dataset("procedural-shapes", batch_size=32, n_train=128, n_test=32)
    torch.manual_seed(0)
    net = make_net()
    events = list(train(net, bundle, num_epochs=1, lr=0.05, device="cpu"))
    assert isinstance(events[-1], Finished)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    net(torch.rand(2, 1, 28, 28)).sum().backward()
    optimizer.step()  # gives the optimiser some state (momentum buffers)
    return net, optimizer, events[-1].history


def test_round_trip_gives_identical_predictions(tmp_path: Path, trained) -> None:
    net, optimizer, history = trained
    spec = {"name": "tiny", "input_shape": [1, 1, 28, 28]}
    path = save_checkpoint(tmp_path / "run.pt", net=net, optimizer=optimizer, spec=spec,
                           history=history, extra={"dataset": "procedural-shapes"})
    ckpt = load_checkpoint(path)
    assert isinstance(ckpt, Checkpoint) and ckpt.version == 2
    assert ckpt.spec == spec and ckpt.extra == {"dataset": "procedural-shapes"}
    assert ckpt.history == history and ckpt.torch_version == torch.__version__
    other = make_net()
    other_opt = torch.optim.SGD(other.parameters(), lr=0.05, momentum=0.9)
    ckpt.restore(other, other_opt)
    X = torch.rand(8, 1, 28, 28)
    net.eval()
    other.eval()
    with torch.no_grad():
        assert torch.equal(net(X), other(X))
    saved = optimizer.state_dict()["state"]
    restored = other_opt.state_dict()["state"]
    assert saved.keys() == restored.keys()
    assert all(torch.equal(saved[k]["momentum_buffer"], restored[k]["momentum_buffer"])
               for k in saved)


def test_save_is_atomic_and_overwrites(tmp_path: Path, trained,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    net, _, _ = trained
    path = tmp_path / "model.pt"
    path.write_bytes(b"old")
    save_checkpoint(path, net=net)
    assert load_checkpoint(path).optimizer_state is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]  # no temp files left
    before = path.read_bytes()

    def disk_full(obj, f) -> None:
        f.write(b"half a checkpoint")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_full)
    with pytest.raises(OSError, match="disk is full") as info:
        save_checkpoint(path, net=net)
    assert str(info.value) == f"could not save {path}: the disk is full"  # not the temp file
    assert path.read_bytes() == before  # the old checkpoint survives a failed save
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]


def test_restore_into_the_wrong_network_says_so(tmp_path: Path, trained) -> None:
    net, _, _ = trained
    ckpt = load_checkpoint(save_checkpoint(tmp_path / "a.pt", net=net))
    with pytest.raises(ValueError, match="do not fit this network"):
        ckpt.restore(nn.Sequential(nn.Linear(3, 3)))


def _assert_refused(path: Path, match: str) -> None:
    with pytest.raises(ValueError, match=match) as err:
        load_checkpoint(path)
    assert str(path) in str(err.value)


def test_plain_tensor_file_is_refused(tmp_path: Path) -> None:
    torch.save(torch.arange(5), tmp_path / "t.pt")
    _assert_refused(tmp_path / "t.pt", "not a Deep Learning Playground checkpoint.*Tensor")


def test_foreign_state_dict_is_refused(tmp_path: Path) -> None:
    torch.save(nn.Linear(2, 2).state_dict(), tmp_path / "sd.pt")
    _assert_refused(tmp_path / "sd.pt", "not a Deep Learning Playground checkpoint")


def test_wrong_marker_or_future_version_is_refused(tmp_path: Path, trained) -> None:
    torch.save({"format": "someone-else", "version": 1, "model_state": {}}, tmp_path / "a.pt")
    _assert_refused(tmp_path / "a.pt", "not a Deep Learning Playground checkpoint")
    torch.save({"format": "dl-playground-checkpoint", "version": 99, "model_state": {}},
               tmp_path / "b.pt")
    _assert_refused(tmp_path / "b.pt", "version 99")
    torch.save({"format": "dl-playground-checkpoint", "version": 1, "model_state": [1]},
               tmp_path / "c.pt")
    _assert_refused(tmp_path / "c.pt", "damaged")


def test_tampered_zip_is_refused(tmp_path: Path, trained) -> None:
    net, _, _ = trained
    path = save_checkpoint(tmp_path / "x.pt", net=net)
    clean = path.read_bytes()
    data = bytearray(clean)
    data[len(data) // 2: len(data) // 2 + 64] = b"\x00" * 64
    path.write_bytes(bytes(data))
    _assert_refused(path, "not a readable checkpoint|modified or damaged")
    # one flipped bit inside a weight: the zip still reads, the checksum catches it
    weight = net[5].weight.detach().contiguous().numpy().tobytes()
    offset = clean.index(weight[:64]) + 10
    data = bytearray(clean)
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    _assert_refused(path, "modified or damaged")
    path.write_bytes(path.read_bytes()[:100])  # truncated
    _assert_refused(path, "not a readable checkpoint")


def test_pickle_that_would_run_code_is_refused(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self):
            return (print, ("owned",))

    torch.save({"format": "dl-playground-checkpoint", "version": 1, "x": Evil()},
               tmp_path / "evil.pt")
    _assert_refused(tmp_path / "evil.pt", "not a readable checkpoint")


def test_other_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    _assert_refused(tmp_path / "notes.txt", "not a readable checkpoint")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("a.txt", "hi")
    _assert_refused(tmp_path / "other.zip", "not a readable checkpoint")
    _assert_refused(tmp_path / "missing.pt", "does not exist")
    with pytest.raises(ValueError, match="does not exist"):
        save_checkpoint(tmp_path / "no" / "dir.pt", net=nn.Linear(1, 1))
