"""Network builder (d2l ch. 3-8): specs, catalog, build, summary, presets, code export.

Qt-free. A ``NetworkSpec`` is a JSON-serialisable, immutable list of layers and blocks;
``summarize`` infers shapes, parameters and MACs analytically (cheap enough to run on
every edit), ``build`` makes the real ``nn.Sequential``, ``export_code`` writes a script.
"""

from __future__ import annotations

from engine.builder.build import build
from engine.builder.catalog import (
    AUTO,
    GROUPS,
    LayerType,
    ParamSpec,
    catalog,
    layer_type,
    validate_params,
)
from engine.builder.export import export_code
from engine.builder.init_schemes import INIT_FUNCTIONS
from engine.builder.layers import ShapeError
from engine.builder.memory import TrainingMemory, device_memory, training_memory
from engine.builder.presets import list_presets, preset
from engine.builder.spec import (
    DATASETS,
    INIT_SCHEMES,
    LOSSES,
    LayerSpec,
    NetworkSpec,
    Params,
    layer,
)
from engine.builder.summary import MACS_NOTE, Row, Summary, format_summary, summarize

__all__ = [
    "AUTO",
    "DATASETS",
    "GROUPS",
    "INIT_FUNCTIONS",
    "INIT_SCHEMES",
    "LOSSES",
    "MACS_NOTE",
    "LayerSpec",
    "LayerType",
    "NetworkSpec",
    "ParamSpec",
    "Params",
    "Row",
    "ShapeError",
    "Summary",
    "TrainingMemory",
    "build",
    "device_memory",
    "catalog",
    "export_code",
    "format_summary",
    "layer",
    "layer_type",
    "list_presets",
    "preset",
    "summarize",
    "training_memory",
    "validate_params",
]
