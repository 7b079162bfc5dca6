"""Build a real ``nn.Sequential`` from a spec (d2l ch. 5-8)."""

from __future__ import annotations

from torch import nn

from engine.builder.blocks import BLOCK_SOURCES
from engine.builder.init_schemes import INIT_FUNCTIONS
from engine.builder.layers import make_leaf
from engine.builder.resolve import Resolved, first_error, resolve
from engine.builder.spec import NetworkSpec


def build(spec: NetworkSpec) -> nn.Sequential:
    """Build the network: ``net[i]`` is the module of ``spec.layers[i]``.

    Sizes given as ``"auto"`` are inferred from ``spec.input_shape`` (like d2l's Lazy
    layers, but the modules are ordinary ones with allocated parameters). Then the init
    scheme is applied with ``net.apply`` and frozen entries get ``requires_grad=False``.
    Random numbers come from torch's global RNG: call ``torch.manual_seed`` first for a
    reproducible net.

    Args:
        spec: the network; its ``input_shape`` (N, ...) drives the inference.

    Returns:
        nn.Sequential taking input of shape ``spec.input_shape`` (any batch size).

    Raises:
        ValueError: a layer cannot take its input shape; the message names it and the
            shapes (same text as ``summarize(spec).error``).
    """
    resolved = resolve(spec)
    error = first_error(resolved)
    if error:
        raise ValueError(error)
    modules = [_module(r) if r.shared_index is None else None for r in resolved]
    for i, r in enumerate(resolved):
        if r.shared_index is not None:
            modules[i] = modules[r.shared_index]
    net = nn.Sequential(*modules)
    init = INIT_FUNCTIONS[spec.init]
    if init is not None:
        net.apply(init)
    for r, module in zip(resolved, modules, strict=True):
        if r.entry.frozen:
            module.requires_grad_(False)
    return net


def _module(r: Resolved) -> nn.Module:
    assert r.call is not None and r.concrete is not None
    if r.entry.type in BLOCK_SOURCES:
        factory = BLOCK_SOURCES[r.entry.type][0]
        args, kwargs = r.call
        return factory(*args, **kwargs)
    return make_leaf(r.entry.type, r.concrete)
