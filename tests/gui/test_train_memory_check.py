"""Train tab: a run whose memory estimate exceeds the device's is not started silently."""

from __future__ import annotations

import pytest

from engine.builder import NetworkSpec, Params, layer, preset
from engine.builder.memory import device_memory
from gui.tabs.train import memory_check
from gui.tabs.train.job import HyperParams
from gui.tabs.train_tab import TrainTab

# 2 -> 100000 -> 100000 -> 2: 10 B parameters, 40 GB of weights alone.
GIANT = NetworkSpec("giant", (1, 2), (layer("Linear", out_features=100_000), layer("ReLU"),
                                      layer("Linear", out_features=100_000),
                                      layer("Linear", out_features=2)),
                    train_defaults=Params({"dataset": "xor", "batch_size": 10}))


@pytest.fixture
def tab(qtbot, context):
    t = TrainTab(context)
    qtbot.addWidget(t)
    t.show()
    qtbot.waitExposed(t)
    yield t
    t.shutdown()


def test_the_estimate_uses_the_data_shape_and_the_hyper_parameters() -> None:
    hp = HyperParams(batch_size=32, optimizer="adam")
    m = memory_check.estimate(GIANT, hp, (2,))
    params = 2 * 100_000 + 100_000 + 100_000 * 100_000 + 100_000 + 100_000 * 2 + 2
    assert m.parameters == 4 * params and m.optimizer_state == 8 * params
    assert m.batch_size == 32
    assert memory_check.estimate(preset("lenet"), hp, (2,)) is None  # does not fit: no figure


def test_too_big_a_run_asks_first_and_no_means_no_run(tab, context, monkeypatch):
    if device_memory(context.device) is None:
        pytest.skip("this platform does not report its memory")
    asked: list[str] = []
    monkeypatch.setattr(memory_check, "ask", lambda parent, title, text: asked.append(text)
                        or False)
    monkeypatch.setattr(tab.runner, "start", lambda job: pytest.fail("a 40 GB run started"))
    context.send_network(GIANT)
    assert tab.data.input_shape() == (2,)
    assert not tab.start_training()
    assert not tab.runner.is_running() and not tab.runs
    assert len(asked) == 1
    assert "needs about 74.5 GiB" in asked[0] and "smaller batch size" in asked[0]


def test_a_run_that_fits_is_not_asked_about(tab, qtbot, context, monkeypatch):
    monkeypatch.setattr(memory_check, "ask", lambda *a: pytest.fail("asked for a small net"))
    tab.data.set_dataset("xor")
    tab.data.set_subset(64, 32)
    context.send_network(preset("playground-mlp"))
    tab.hparams.set_values(num_epochs=1)
    with qtbot.waitSignal(tab.runner.finished, timeout=30000):
        assert tab.start_training()
