"""What ``python -m engine train`` does around ``run()`` in each process: join the
``torchrun`` job if there is one, and send the results — printed lines, the run log,
TensorBoard — from rank 0 only.

>>> with RunOutputs(config, log=args.log, tensorboard=args.tensorboard) as out:
...     for event in run(config, hooks=out.hooks, dist=out.dist):
...         out.record(event)
...         if out.is_main:
...             print(...)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.training.config import RunConfig
from engine.training.distributed import DistContext


class RunOutputs:
    """One process's share of a CLI run.

    Args:
        config: the run.
        log: write the JSON-lines run log here (rank 0), or None.
        tensorboard: write TensorBoard event files in this folder (rank 0), or None.
        dist: the ``torchrun`` context; default :meth:`DistContext.from_env` (None when
            not under torchrun, i.e. one process).

    Attributes:
        dist: the context passed to ``run(config, dist=...)``.
        is_main: this process prints and writes (always True without torchrun).
        hooks: the hooks to pass to ``run`` (TensorBoard on rank 0).
        notes: sentences worth printing once the data is known (how the data was
            sharded), also written to the log.

    Raises:
        ValueError: a torchrun variable is malformed, the device cannot be used under
            torchrun, or the log / TensorBoard folder cannot be written.
    """

    def __init__(self, config: RunConfig, *, log: str | Path | None = None,
                 tensorboard: str | Path | None = None, dist: Any = "env") -> None:
        self.config = config
        self.dist = DistContext.from_env(device=config.device) if dist == "env" else dist
        self.is_main = self.dist is None or self.dist.is_main
        self.hooks: list[Any] = []
        self.notes: list[str] = []
        self._log: Any = None
        if not self.is_main:
            return
        try:
            if tensorboard is not None:
                from engine.training.tb_hook import TensorBoardHook

                self.hooks.append(TensorBoardHook(tensorboard, config=config.to_dict()))
            if log is not None:
                from engine.training.runlog import RunLogWriter

                self._log = RunLogWriter(log, config.to_dict(), meta=self._meta())
        except BaseException:
            self.close()
            raise

    def _meta(self) -> dict[str, Any]:
        d = self.dist
        if d is None:
            return {"world_size": 1}
        return {"world_size": d.world_size, "backend": d.backend, "device": str(d.device),
                "per_process_batch": d.per_process_batch(self.config.batch_size)}

    def __enter__(self) -> RunOutputs:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        # On a normal end (finished, stopped, diverged) wait for every process first:
        # torchrun ends the others as soon as one exits non-zero, and rank 0 may still be
        # writing. After an exception the others may never get here, so do not wait.
        self.close(wait=exc_type is None)

    def describe(self) -> str | None:
        """A line saying how the job is split, e.g. ``"2 processes (gloo on cpu), 128 of
        the global batch 256 each"``; None for one process."""
        d = self.dist
        if d is None:
            return None
        share = d.per_process_batch(self.config.batch_size)
        return (f"torchrun: {d.world_size} processes ({d.backend} on {d.device.type}), "
                f"{share} of the global batch {self.config.batch_size} each")

    def record(self, event: Any) -> None:
        """Log ``event`` (rank 0); on ``Prepared`` work out :attr:`notes`."""
        from engine.training.events import Prepared

        if isinstance(event, Prepared) and self.dist is not None:
            for note in (self.dist.shard_note(event.n_train),
                         self.dist.shard_note(event.n_test, pad=False)):
                if note is not None:
                    self.notes.append(note)
                    if self._log is not None:
                        self._log.note(note)
        if self._log is not None:
            self._log.record(event)

    def interrupted(self) -> None:
        """Ctrl+C: the log's final line says so."""
        if self._log is not None:
            self._log.end("interrupted", "interrupted by the user (Ctrl+C)")

    def close(self, *, wait: bool = False) -> None:
        """Close the log and TensorBoard files and leave the process group (after a
        barrier when ``wait``)."""
        for hook in self.hooks:
            hook.close()
        self.hooks = []
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.dist is not None:
            if wait:
                self.dist.barrier()
            self.dist.close()
