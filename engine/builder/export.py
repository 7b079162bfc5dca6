"""Export a spec as a standalone, runnable PyTorch script."""

from __future__ import annotations

import inspect
from typing import Any

from engine.builder.blocks import BLOCK_SOURCES
from engine.builder.init_schemes import INIT_FUNCTIONS
from engine.builder.resolve import Resolved, first_error, resolve
from engine.builder.spec import NetworkSpec


def export_code(spec: NetworkSpec) -> str:
    """A Python script that rebuilds ``spec`` with plain PyTorch.

    The script holds the imports, only the block helpers the net uses (copied from
    ``engine.builder.blocks``, i.e. the book's code), the ``nn.Sequential`` with every size
    resolved, the init scheme, frozen / shared layers, and a ``__main__`` that builds the
    net, runs ``torch.randn(*spec.input_shape)`` through it (eval mode) and prints
    ``output shape: (...)`` and ``parameters: N``.

    Raises:
        ValueError: the spec has a shape error (same message as the summary's).
    """
    resolved = resolve(spec)
    error = first_error(resolved)
    if error:
        raise ValueError(f"cannot export {spec.name!r}: {error}")
    helpers: list[Any] = []
    for r in resolved:
        for obj in BLOCK_SOURCES.get(r.entry.type, (None, ()))[1]:
            if obj not in helpers:
                helpers.append(obj)
    init = INIT_FUNCTIONS[spec.init]
    sources = [inspect.getsource(obj) for obj in helpers]
    if init is not None:
        sources.append("WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d,\n"
                       "            nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)")
        sources.append(inspect.getsource(init))
    uses_f = any("F." in s for s in sources)
    head = [f'"""{spec.name}: exported by Deep Learning Playground.', "",
            f"{spec.description}" if spec.description else "Custom network.",
            f"Default input {spec.input_shape}; run: python this_file.py", '"""', "",
            "import torch", "from torch import nn"]
    if uses_f:
        head.append("from torch.nn import functional as F")
    parts = ["\n".join(head), *(s.rstrip() for s in sources), _build_net(spec, resolved),
             _main(spec)]
    return "\n\n\n".join(parts) + "\n"


def _build_net(spec: NetworkSpec, resolved: list[Resolved]) -> str:
    lines = ["def build_net():"]
    shared_targets = {r.shared_index for r in resolved if r.shared_index is not None}
    for i in sorted(shared_targets):
        lines.append(f"    shared_{i} = {_constructor(resolved[i])}  # reused: tied parameters")
    lines.append("    net = nn.Sequential(")
    for r in resolved:
        index = r.index if r.shared_index is None else r.shared_index
        code = f"shared_{index}" if index in shared_targets else _constructor(r)
        lines.append(f"        {code},  # {r.index}: {r.name} -> {r.out_shape}")
    lines.append("    )")
    init = INIT_FUNCTIONS[spec.init]
    if init is not None:
        lines.append(f"    net.apply({init.__name__})")
    for r in resolved:
        if r.entry.frozen:
            lines.append(f"    net[{r.index}].requires_grad_(False)  # frozen")
    lines.append("    return net")
    return "\n".join(lines)


def _constructor(r: Resolved) -> str:
    assert r.call is not None
    args, kwargs = r.call
    text = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
    if r.entry.type in BLOCK_SOURCES:
        return f"{BLOCK_SOURCES[r.entry.type][0].__name__}({text})"
    return f"nn.{r.entry.type}({text})"


def _main(spec: NetworkSpec) -> str:
    shape = ", ".join(str(n) for n in spec.input_shape)
    return "\n".join([
        'if __name__ == "__main__":',
        "    torch.manual_seed(0)",
        "    net = build_net()",
        "    net.eval()  # BatchNorm cannot use batch statistics of a single example",
        f"    X = torch.randn({shape})",
        "    with torch.no_grad():",
        "        y_hat = net(X)",
        '    print("output shape:", tuple(y_hat.shape))',
        '    print("parameters:", sum(p.numel() for p in net.parameters()))',
        '    print("trainable parameters:",',
        "          sum(p.numel() for p in net.parameters() if p.requires_grad))",
    ])
