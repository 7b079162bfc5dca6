"""Inside the network: feature maps, attributions, weight / gradient statistics,
evaluation views and fine-tuning. Qt-free; every function runs headless.

* ``features``: ``feature_maps(net, x)`` via forward hooks, ``inspect_input`` (maps +
  top-k), ``fit_input`` (any image to the net's input, saying what changed),
  ``FeatureMapHook`` (maps of the current weights during training, on request).
* ``attribution``: saliency, integrated gradients, Grad-CAM through captum.
* ``stats``: ``WeightStatsHook`` (histograms and norms per parameter, sampled).
* ``evaluation``: ``confusion_matrix``, ``per_class``, ``rank_by_loss``, ``evaluate``.
* ``finetune``: ``finetune_model``, ``finetune_param_groups``, ``finetune_config``.
* ``init_experiment``: sigmoid + N(0, 1) vs Xavier (d2l 5.4).
"""

from __future__ import annotations

from engine.insight.evaluation import (
    ClassReport,
    Evaluation,
    confusion_matrix,
    evaluate,
    per_class,
    rank_by_loss,
)
from engine.insight.features import (
    FeatureMap,
    Inspection,
    conv_layers,
    feature_maps,
    fit_input,
    inspect_input,
)
from engine.insight.finetune import finetune_config, finetune_model, finetune_param_groups
from engine.insight.stats import ParamStats, WeightStatsHook

__all__ = [
    "ClassReport",
    "Evaluation",
    "FeatureMap",
    "Inspection",
    "ParamStats",
    "WeightStatsHook",
    "confusion_matrix",
    "conv_layers",
    "evaluate",
    "feature_maps",
    "finetune_config",
    "finetune_model",
    "finetune_param_groups",
    "fit_input",
    "inspect_input",
    "per_class",
    "rank_by_loss",
]
