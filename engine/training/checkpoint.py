"""Checkpoints: weights, optimiser and schedule state, epoch, model reference, run config
and history in one ``.pt`` file (version 2; version-1 files, which had weights,
optimiser, spec and history, still load).

Written atomically (temporary file in the same folder, then ``os.replace``) so a crash
never leaves half a checkpoint, and read with ``torch.load(weights_only=True)`` so a
planted file cannot run code. The payload carries a format marker and version; anything
else — a foreign ``.pt``, a bare tensor, a corrupt zip — is refused with a ValueError.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from torch import nn

from engine.files import atomic_path, check_writable
from engine.training.events import History

FORMAT = "dl-playground-checkpoint"
VERSION = 2


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint (tensors on the CPU).

    Attributes:
        model_state: ``net.state_dict()`` at save time.
        optimizer_state: ``optimizer.state_dict()`` or None.
        spec: the network spec dict (``NetworkSpec.to_dict()``) or None.
        history: the training history or None.
        extra: any other plain data the caller stored (e.g. dataset name).
        model_ref: the ``ModelRef`` dict the net was built from (version 1: made from
            ``spec``), or None.
        config: the ``RunConfig.to_dict()`` of the run, or None.
        scheduler_state: the LR schedule's ``state_dict()`` or None.
        epoch: epochs done when saved (resume continues with the next), or None.
        rng_state: torch's and the data loader's random states at that epoch's end
            (``trainer.rng_states``), so a resumed CPU run continues exactly.
        version: format version of the file.
        created: ISO-8601 UTC time of saving.
        torch_version: PyTorch version that wrote it.
    """

    model_state: dict[str, torch.Tensor]
    optimizer_state: dict[str, Any] | None = None
    spec: dict[str, Any] | None = None
    history: History | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    model_ref: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    scheduler_state: dict[str, Any] | None = None
    epoch: int | None = None
    rng_state: dict[str, torch.Tensor] = field(default_factory=dict)
    version: int = VERSION
    created: str = ""
    torch_version: str = ""

    def restore(self, net: nn.Module, optimizer: torch.optim.Optimizer | None = None) -> None:
        """Load the saved weights (and optimiser state, when both exist) in place.

        Raises:
            ValueError: the network's layers do not match the checkpoint's (the message
                names the first missing, unexpected or mis-shaped tensor).
        """
        from engine.models.zoo import check_state_dict

        try:
            check_state_dict(net, self.model_state, source="the checkpoint")
            net.load_state_dict(self.model_state)
        except (RuntimeError, ValueError) as exc:
            raise ValueError(f"the checkpoint's weights do not fit this network ({exc}). "
                             f"Build the network from the checkpoint's model.") from exc
        if optimizer is not None and self.optimizer_state is not None:
            optimizer.load_state_dict(self.optimizer_state)


def _checksum(state: dict[str, torch.Tensor], spec: Any) -> str:
    """SHA-256 of the weights and spec: PyTorch's zip reader does not verify its CRCs, so
    flipped bytes inside a tensor would otherwise load silently as different weights."""
    h = hashlib.sha256()
    for key in sorted(state):
        t = state[key].detach().cpu().contiguous().reshape(-1)
        h.update(f"{key}:{t.dtype}:{tuple(state[key].shape)};".encode())
        h.update(t.view(torch.uint8).numpy().tobytes())
    h.update(json.dumps(spec, sort_keys=True, default=str).encode())
    return h.hexdigest()


def save_checkpoint(
    path: str | Path,
    *,
    net: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    spec: dict[str, Any] | None = None,
    history: History | dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    model_ref: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    scheduler: Any = None,
    epoch: int | None = None,
    rng_state: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Write a checkpoint atomically.

    Args:
        path: destination, conventionally ``*.pt``; its folder must exist.
        net: the network whose ``state_dict`` is saved.
        optimizer: saved too when given (to resume training).
        spec: the network description as a plain dict (so the net can be rebuilt).
        history: a ``History`` (or its ``to_dict()``).
        extra: other plain data (str/int/float/bool/None/list/tuple/dict/tensor — what
            ``torch.load(weights_only=True)`` accepts; no numpy arrays or objects).
        model_ref: ``ModelRef.to_dict()``; default a spec ref from ``spec``.
        config: ``RunConfig.to_dict()`` of the run.
        scheduler: the LR schedule (its state is saved, to resume).
        epoch: epochs done; default the history's count.
        rng_state: random states to resume with (``trainer.rng_states``).

    Returns:
        The path written.

    Raises:
        engine.files.SaveError: (a ValueError and an OSError) the file could not be
            written; its message names ``path`` and the reason.
    """
    path = check_writable(path)  # SaveError (a ValueError) naming the path
    model_state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
    if isinstance(history, History):
        history = history.to_dict()
    if model_ref is None and spec is not None:
        model_ref = {"kind": "spec", "name": str(spec.get("name", "")), "spec": spec,
                     "options": {}, "weights": None}
    if epoch is None and history is not None:
        epoch = len(history.get("epochs", []))
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "torch_version": str(torch.__version__),  # TorchVersion is not weights_only-safe
        "model_state": model_state,
        "checksum": _checksum(model_state, spec),
        "optimizer_state": optimizer.state_dict() if optimizer is not None else None,
        "spec": spec,
        "history": history,
        "extra": extra or {},
        "model_ref": model_ref,
        "config": config,
        "scheduler_state": scheduler.state_dict() if scheduler is not None else None,
        "epoch": epoch,
        "rng_state": dict(rng_state or {}),
    }
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        torch.save(payload, f)
        f.flush()
        os.fsync(f.fileno())
    return path


def _gist(exc: BaseException) -> str:
    """The informative line of torch.load's long multi-paragraph errors."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(exc).splitlines()]
    lines = [line for line in lines if line]
    for line in lines:
        if line.startswith("WeightsUnpickler error:"):
            return line.split(". Please use", 1)[0][:200]
    return lines[0][:200] if lines else "no details"


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read a checkpoint written by ``save_checkpoint`` (tensors mapped to the CPU).

    Raises:
        ValueError: the file is missing, unreadable, not a PyTorch file, or a PyTorch
            file that is not one of ours (no format marker, other version).
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"checkpoint {path} does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt zip, pickle of arbitrary objects, truncated file...
        raise ValueError(f"{path} is not a readable checkpoint ({type(exc).__name__}: "
                         f"{_gist(exc)}); choose a .pt file saved by this app") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        what = "a dict without our marker" if isinstance(payload, dict) else type(payload).__name__
        raise ValueError(f"{path} is a PyTorch file but not a Deep Learning Playground "
                         f"checkpoint (found {what}); choose a .pt file saved by this app")
    version = payload.get("version")
    if not isinstance(version, int) or version > VERSION or version < 1:
        raise ValueError(f"{path} has checkpoint format version {version!r}; this app reads "
                         f"versions 1 to {VERSION} — update the app to open it")
    state = payload.get("model_state")
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path} is damaged: its model weights are missing or not tensors")
    if payload.get("checksum") != _checksum(state, payload.get("spec")):
        raise ValueError(f"{path} was modified or damaged after saving (its weights do not "
                         f"match the stored checksum); use an intact copy")
    history = payload.get("history")
    spec = payload.get("spec")
    model_ref = payload.get("model_ref")
    if model_ref is None and isinstance(spec, dict):  # version 1
        model_ref = {"kind": "spec", "name": str(spec.get("name", "")), "spec": spec,
                     "options": {}, "weights": None}
    epoch = payload.get("epoch")
    if epoch is None and isinstance(history, dict):
        epoch = len(history.get("epochs", []))
    return Checkpoint(
        model_state=state,
        optimizer_state=payload.get("optimizer_state"),
        spec=payload.get("spec"),
        history=History.from_dict(history) if isinstance(history, dict) else None,
        extra=payload.get("extra") or {},
        model_ref=model_ref,
        config=payload.get("config"),
        scheduler_state=payload.get("scheduler_state"),
        epoch=epoch,
        rng_state={k: v for k, v in (payload.get("rng_state") or {}).items()
                   if isinstance(v, torch.Tensor)},
        version=version,
        created=str(payload.get("created", "")),
        torch_version=str(payload.get("torch_version", "")),
    )
