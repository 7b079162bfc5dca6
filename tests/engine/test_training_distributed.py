"""DistContext: batch split, sharding policy, and a real 2-process gloo run on the CPU."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from ddp_worker import GLOBAL_BATCH, Indexed, tiny_net
from torch.utils import data

from engine.builder import NetworkSpec
from engine.builder.spec import layer
from engine.models import ModelRef
from engine.training.config import RunConfig
from engine.training.distributed import ENV_VARS, DistContext, ShardSampler
from engine.training.runlog import read_run_log

ROOT = Path(__file__).resolve().parents[2]


def ctx(rank: int = 0, world_size: int = 2) -> DistContext:
    """A context without a process group: enough for batch and sampler arithmetic."""
    return DistContext(rank, world_size, rank, torch.device("cpu"), "gloo")


# -- per_process_batch ------------------------------------------------------------------
def test_per_process_batch_is_global_over_world_size() -> None:
    assert ctx(world_size=2).per_process_batch(256) == 128
    assert ctx(world_size=4).per_process_batch(4) == 1
    assert ctx(world_size=1).per_process_batch(7) == 7


def test_per_process_batch_not_divisible_names_the_fix() -> None:
    with pytest.raises(ValueError, match=r"batch_size=255 is the global batch.*254 or 256"):
        ctx(world_size=2).per_process_batch(255)
    with pytest.raises(ValueError, match=r"multiple of the 3 processes.*use 3"):
        ctx(world_size=3).per_process_batch(2)
    for bad in (0, -4, 2.0, True):
        with pytest.raises(ValueError, match="positive integer"):
            ctx().per_process_batch(bad)  # type: ignore[arg-type]


# -- sharding ---------------------------------------------------------------------------
def shards(n: int, world_size: int, **kw) -> list[list[int]]:
    return [list(ctx(r, world_size).make_sampler(range(n), **kw)) for r in range(world_size)]


def test_training_shards_are_padded_with_the_first_examples() -> None:
    # 10 examples over 3 processes: 2 repeats, every process takes 4.
    got = shards(10, 3, shuffle=False, seed=0)
    assert got == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
    assert [len(ctx(r, 3).make_sampler(range(10), shuffle=False, seed=0))
            for r in range(3)] == [4, 4, 4]


def test_evaluation_shards_hold_each_example_once() -> None:
    got = shards(10, 3, shuffle=False, seed=0, pad=False)
    assert got == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]
    assert sorted(sum(got, [])) == list(range(10))
    assert [len(ctx(r, 3).make_sampler(range(10), shuffle=False, seed=0, pad=False))
            for r in range(3)] == [4, 3, 3]


def test_fewer_examples_than_processes_still_gives_every_process_one() -> None:
    assert shards(1, 3, shuffle=False, seed=0) == [[0], [0], [0]]
    assert shards(1, 3, shuffle=False, seed=0, pad=False) == [[0], [], []]


def test_shuffled_shards_interleave_to_the_single_process_order() -> None:
    """Global batch k of N processes holds the examples of a single process's batch k."""
    n, world = 13, 2
    single = data.RandomSampler(range(n), generator=torch.Generator().manual_seed(5))
    samplers = [ctx(r, world).make_sampler(range(n), shuffle=True, seed=5)
                for r in range(world)]
    previous: list[int] = []
    for epoch in range(3):
        expected = list(single)
        for s in samplers:
            s.set_epoch(epoch)
        got = [list(s) for s in samplers]
        padded = expected + expected[:1]
        assert got == [padded[0::2], padded[1::2]]
        assert expected != previous  # a new order each epoch
        previous = expected


def test_shard_sampler_rejects_a_bad_rank() -> None:
    with pytest.raises(ValueError, match=r"rank=2 must be in \[0, world_size=2\)"):
        ShardSampler(data.SequentialSampler(range(4)), rank=2, world_size=2)


def test_shard_note_says_what_happens() -> None:
    assert ctx().shard_note(64) is None
    note = ctx(world_size=2).shard_note(69)
    assert note == ("69 training examples do not split evenly over 2 processes: the first "
                    "example of each epoch's order is used twice so every process takes 35")
    assert "the first 2 examples of each epoch's order are used twice" in (
        ctx(world_size=3).shard_note(10) or "")
    assert "evaluated once" in (ctx(world_size=3).shard_note(10, pad=False) or "")


# -- from_env -----------------------------------------------------------------------------
def test_from_env_is_none_outside_torchrun(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    assert DistContext.from_env() is None


@pytest.mark.parametrize(("env", "message"), [
    ({"RANK": "x", "WORLD_SIZE": "2"}, r"RANK='x' must be an integer"),
    ({"RANK": "2", "WORLD_SIZE": "2"}, r"RANK=2 must be in \[0, WORLD_SIZE=2\)"),
])
def test_from_env_rejects_malformed_variables(monkeypatch: pytest.MonkeyPatch,
                                              env: dict[str, str], message: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        DistContext.from_env(device="cpu")


def test_from_env_rejects_an_unknown_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    with pytest.raises(ValueError, match="not supported under torchrun"):
        DistContext.from_env(device="meta")


# -- a real 2-process run -----------------------------------------------------------------
def torchrun(script: Path, *args: str, nproc: int = 2, timeout: float = 120
             ) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(script.parent)]),
               OMP_NUM_THREADS="1")
    for name in ENV_VARS:
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           f"--nproc_per_node={nproc}", str(script), *args],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    out = tmp_path_factory.mktemp("ddp")
    done = torchrun(Path(__file__).with_name("ddp_worker.py"), str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    return [torch.load(out / f"rank{r}.pt", weights_only=True) for r in range(2)]


def single_process(n: int, epochs: int, *, pad_to: int = 1, seed: int = 0) -> dict:
    """The reference: one process, global batch, the same seeded order; ``pad_to``
    applies the documented padding so the last batch matches the padded shards."""
    ds = Indexed(n, seed=1)
    net = tiny_net(seed=0)
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    sampler = data.RandomSampler(ds, generator=torch.Generator().manual_seed(seed))
    for _ in range(epochs):
        order = list(sampler)
        order += order[:-len(order) % pad_to]
        for start in range(0, len(order), GLOBAL_BATCH):
            X, y, _ = data.default_collate([ds[i] for i in order[start:start + GLOBAL_BATCH]])
            opt.zero_grad()
            F.cross_entropy(net(X), y).backward()
            opt.step()
    return net.state_dict()


def assert_same_weights(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=k)


def test_two_ranks_join_one_gloo_group(two_ranks: list[dict]) -> None:
    assert [r["rank"] for r in two_ranks] == [0, 1]
    assert [r["is_main"] for r in two_ranks] == [True, False]
    assert {r["backend"] for r in two_ranks} == {"gloo"}
    for r in two_ranks:  # (1 + 2, 10 + 10) on both
        assert r["reduced"].tolist() == [3.0, 20.0]


def test_ddp_weights_equal_one_process_with_the_global_batch(two_ranks: list[dict]) -> None:
    reference = single_process(64, epochs=2)
    for r in two_ranks:
        assert_same_weights(r["even"], reference)
    # The comparison can fail: another shuffle order gives other weights.
    other = single_process(64, epochs=2, seed=1)
    assert not torch.allclose(other["0.weight"], reference["0.weight"], atol=1e-4)


def test_world_size_not_dividing_the_data_pads_and_stays_in_step(two_ranks: list[dict]
                                                                  ) -> None:
    r0, r1 = two_ranks
    for epoch in range(2):
        a, b = r0["odd_seen"][epoch], r1["odd_seen"][epoch]
        assert len(a) == len(b) == 35  # 69 examples: one repeated, 35 each
        assert sorted(set(a) | set(b)) == list(range(69))
        assert len(a + b) - len(set(a + b)) == 1
    assert "the first example" in r0["note"]
    # With the padding applied, one process reproduces the two exactly.
    reference = single_process(69, epochs=2, pad_to=2)
    for r in two_ranks:
        assert_same_weights(r["odd"], reference)


def test_evaluation_over_two_ranks_counts_each_example_once(two_ranks: list[dict]) -> None:
    r0, r1 = two_ranks
    assert sorted(r0["eval_seen"] + r1["eval_seen"]) == list(range(7))
    ds = Indexed(7, seed=2)
    net = tiny_net(0)
    net.load_state_dict(r0["even"])
    with torch.no_grad():
        correct = int((net(ds.X).argmax(1) == ds.y).sum())
    assert r0["eval"] == r1["eval"] == (correct, 7)

# -- python -m engine train --config under torchrun: the real CLI, run() and DDP ------------------
def tiny_config(**changes) -> RunConfig:
    spec = NetworkSpec("mlp-2d", (1, 2), (layer("Linear", in_features=2, out_features=16),
                                          layer("ReLU"), layer("Linear", out_features=2)),
                       "xavier")
    # 200 examples, global batch 32: the last batch (8) splits evenly over 2 processes;
    # 51 test examples: the test shards differ by one.
    base = RunConfig(model=ModelRef.from_spec(spec), dataset="spiral", n_train=200, n_test=51,
                     batch_size=32, num_epochs=3, lr=0.5, optimizer="momentum", seed=1,
                     device="cpu", progress_every=3)
    return base.replace(**changes).validate()


def torchrun_module(args: list[str], *, cwd: Path, nproc: int = 2
                    ) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    for name in ENV_VARS:
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           f"--nproc_per_node={nproc}", "-m", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def one_process(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference, through the same CLI in this process: 3 epochs (``one.pt``,
    ``one.jsonl``) and 2 epochs (``half.pt``) of :func:`tiny_config`."""
    from engine.cli import main

    folder = tmp_path_factory.mktemp("one")
    (folder / "exp.json").write_text(tiny_config().to_json())
    for args in (["--save", "one.pt", "--run-log", "one.jsonl"],
                 ["--epochs", "2", "--save", "half.pt"]):
        paths = [str(folder / a) if a.endswith((".pt", ".jsonl")) else a for a in args]
        assert main(["train", "--config", str(folder / "exp.json"), *paths]) == 0
    return folder


def test_cli_under_torchrun_equals_one_process_and_rank_0_alone_writes(
        one_process: Path, tmp_path: Path) -> None:
    (tmp_path / "exp.json").write_text(tiny_config().to_json())
    two = torchrun_module(["engine", "train", "--config", "exp.json", "--save", "two.pt",
                           "--run-log", "run.jsonl", "--tensorboard", "tb"], cwd=tmp_path)
    assert two.returncode == 0, two.stdout + two.stderr
    a = torch.load(one_process / "one.pt", weights_only=True)
    b = torch.load(tmp_path / "two.pt", weights_only=True)
    assert_same_weights(b["model_state"], a["model_state"])
    # Figures summed over the processes equal one process's (test shards exact).
    ours, theirs = read_run_log(tmp_path / "run.jsonl"), read_run_log(one_process / "one.jsonl")
    assert [e["epoch"] for e in ours.epochs] == [1, 2, 3]
    for mine, ref in zip(ours.epochs, theirs.epochs, strict=True):
        assert mine["metrics"].keys() == ref["metrics"].keys()
        for key, value in mine["metrics"].items():
            assert value == pytest.approx(ref["metrics"][key], rel=1e-5, abs=1e-6), key
    # Rank 0 alone prints: each epoch once (torchrun passes both processes' stdout on).
    assert [two.stdout.count(f"epoch {e}/3:") for e in (1, 2, 3)] == [1, 1, 1]
    assert two.stdout.count("saved checkpoint") == 1
    assert "note: torchrun: 2 processes (gloo on cpu), 16 of the global batch 32" in two.stdout
    # ... and alone writes: one TensorBoard file, one log with one header.
    assert len(list((tmp_path / "tb").iterdir())) == 1
    assert ours.status == "finished"
    assert ours.meta["world_size"] == 2 and ours.meta["per_process_batch"] == 16
    assert (tmp_path / "run.jsonl").read_text().count('"kind": "header"') == 1


def test_a_one_process_checkpoint_resumes_exactly_under_torchrun(one_process: Path) -> None:
    """2 epochs in one process, the 3rd under torchrun == 3 epochs in one process: the
    weights, optimiser state and shuffle generator carry over."""
    two = torchrun_module(["engine", "train", "--config", "exp.json", "--resume", "half.pt",
                           "--epochs", "3", "--save", "resumed.pt"], cwd=one_process)
    assert two.returncode == 0, two.stdout + two.stderr
    assert "resuming at epoch 3" in two.stdout
    straight = torch.load(one_process / "one.pt", weights_only=True)
    resumed = torch.load(one_process / "resumed.pt", weights_only=True)
    assert_same_weights(resumed["model_state"], straight["model_state"])


@pytest.fixture
def group_of_one(tmp_path: Path) -> Iterator[None]:
    """A real one-process gloo group, so a DistContext can play any rank in-process."""
    import torch.distributed as td

    td.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0,
                          world_size=1)
    yield
    td.destroy_process_group()


@pytest.mark.usefixtures("group_of_one")
@pytest.mark.parametrize("rank", [0, 1])
def test_cli_only_rank_0_prints_and_writes(rank: int, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from engine.cli import main

    fake = ctx(rank, world_size=2)  # rank `rank` of 2, its collectives in a group of one
    monkeypatch.setattr(DistContext, "from_env", classmethod(lambda cls, **kw: fake))
    config = tmp_path / "exp.json"
    config.write_text(tiny_config(n_train=201, num_epochs=2).to_json())
    out = tmp_path / "out"
    out.mkdir()
    code = main(["train", "--config", str(config), "--save", str(out / "w.pt"),
                 "--run-log", str(out / "run.jsonl"), "--tensorboard", str(out / "tb")])
    assert code == 0
    printed = capsys.readouterr()
    if rank == 1:
        assert printed.out == "" and printed.err == ""
        assert list(out.iterdir()) == []
        return
    assert "epoch 2/2:" in printed.out
    assert "examples/sec per process on cpu" in printed.out  # the loop's rate is rank 0's
    assert "note: 201 training examples do not split evenly over 2 processes" in printed.out
    assert sorted(p.name for p in out.iterdir()) == ["run.jsonl", "tb", "w.pt"]
    assert any("201 training examples" in n for n in read_run_log(out / "run.jsonl").notes)


def test_train_flags_survive_torchrun_s_parser() -> None:
    """torchrun's argparse takes any prefix of its own options even after the script
    (``--log`` would match ``--log-dir``), so no flag of ours may be one."""
    from torch.distributed.run import get_args_parser

    from engine.cli import build_parser

    theirs = [o for o in get_args_parser()._option_string_actions if o.startswith("--")]
    train = build_parser()._subparsers._group_actions[0].choices["train"]
    ours = [o for o in train._option_string_actions if o.startswith("--") and o != "--help"]
    clashes = [o for o in ours if any(t.startswith(o) for t in theirs)]
    assert clashes == []


@pytest.mark.needs_cuda
def test_cli_under_torchrun_on_cuda_uses_nccl(tmp_path: Path) -> None:
    nproc = min(2, torch.cuda.device_count())  # nccl wants one GPU per process
    (tmp_path / "exp.json").write_text(tiny_config(device="cuda").to_json())
    done = torchrun_module(["engine", "train", "--config", "exp.json", "--save", "gpu.pt"],
                           cwd=tmp_path, nproc=nproc)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"torchrun: {nproc} processes (nccl on cuda)" in done.stdout
    assert done.stdout.count("epoch 3/3:") == 1
    state = torch.load(tmp_path / "gpu.pt", weights_only=True)["model_state"]
    assert all(t.device.type == "cpu" for t in state.values())  # saved loadable anywhere


class RecordingDist:
    """Stands in for a DistContext of rank 1: records what the CLI glue calls."""

    rank, world_size, is_main = 1, 2, False

    def __init__(self) -> None:
        self.calls: list[str] = []

    def barrier(self) -> None:
        self.calls.append("barrier")

    def close(self) -> None:
        self.calls.append("close")


def test_outputs_wait_for_every_process_only_on_a_normal_end() -> None:
    """torchrun kills the others when one process exits non-zero (a diverged run exits
    1), so each waits at a barrier for rank 0 to finish writing — except after an
    exception, when the others may never arrive."""
    from engine.training.launch import RunOutputs

    normal = RecordingDist()
    with RunOutputs(RunConfig(), dist=normal):
        pass
    assert normal.calls == ["barrier", "close"]
    failed = RecordingDist()
    with pytest.raises(KeyboardInterrupt), RunOutputs(RunConfig(), dist=failed):
        raise KeyboardInterrupt
    assert failed.calls == ["close"]


def test_a_diverging_run_under_torchrun_stops_every_process(tmp_path: Path) -> None:
    """No process waits forever at an all-reduce the other left: both stop at the same
    progress point, rank 0 says why once and its log ends with it."""
    done = torchrun_module(["engine", "train", "--preset", "linear-regression", "--lr",
                            "10000", "--epochs", "3", "--device", "cpu", "--run-log",
                            "run.jsonl"], cwd=tmp_path)
    assert done.returncode != 0
    assert done.stderr.count("stopped: loss diverged at epoch 1") == 1, done.stderr
    assert read_run_log(tmp_path / "run.jsonl").status == "diverged"
