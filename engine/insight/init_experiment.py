"""The book's initialisation lesson as two runs (d2l 5.4): sigmoid + N(0, 1) vs Xavier.

The same deep sigmoid MLP on the same data, started once from weights ~ N(0, 1) and
once from Xavier-uniform weights. Both are plain ``RunConfig`` s differing only in
``init``, so they run through the one loop with the ``WeightStatsHook`` showing the
gradient norm per layer. What the runs show (measured, tests/engine/test_insight.py):
N(0, 1) saturates the sigmoids and blows up the logits, so the first losses are far
above ln 10 (about 5 to 14 in the first epoch); Xavier starts at ln 10, but through four
sigmoids the first layer's gradient is still about 1 % of the last one's (σ' ≤ 1/4
per layer) — the book's reason to move to ReLU. Which run then learns faster depends
on depth and learning rate; the curves show it rather than a claim.

>>> configs = init_experiment_configs()
>>> [c.init for c in configs.values()]
['normal-1', 'xavier']
"""

from __future__ import annotations

from typing import Any

from engine.builder.spec import NetworkSpec, layer
from engine.models.ref import ModelRef

INIT_RUNS = {"sigmoid + N(0, 1)": "normal-1", "sigmoid + Xavier": "xavier"}


def sigmoid_mlp(depth: int = 4, width: int = 128) -> NetworkSpec:
    """Flatten, ``depth`` × (Linear(width), Sigmoid), Linear(10) for 28×28 images."""
    if not isinstance(depth, int) or not 1 <= depth <= 16:
        raise ValueError(f"depth={depth!r} must be between 1 and 16 hidden layers")
    layers = [layer("Flatten")]
    for _ in range(depth):
        layers += [layer("Linear", out_features=width), layer("Sigmoid")]
    layers.append(layer("Linear", out_features=10))
    return NetworkSpec(f"sigmoid-mlp-{depth}", (1, 1, 28, 28), tuple(layers), "default",
                       description=f"d2l 5.4: {depth} sigmoid layers of {width} units")


def init_experiment_configs(*, depth: int = 4, num_epochs: int = 3, lr: float = 0.5,
                            n_train: int = 6000, n_test: int = 1000, seed: int = 0,
                            **changes: Any) -> dict[str, Any]:
    """``{title: RunConfig}`` of the two runs, on the offline procedural-shapes set."""
    from engine.training.config import RunConfig

    ref = ModelRef.from_spec(sigmoid_mlp(depth))
    settings = {"dataset": "procedural-shapes", "lr": lr, "batch_size": 256,
                "num_epochs": num_epochs, "n_train": n_train, "n_test": n_test,
                "seed": seed, **changes}
    return {title: RunConfig(model=ref, init=init, **settings)
            for title, init in INIT_RUNS.items()}
