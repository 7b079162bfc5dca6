"""Shared training pieces for every tab that trains something (Train, Segment, Detect…).

Nothing here knows a task by name: curves and table columns come from the task's metric
descriptions (``engine.training.task.MetricInfo``: key, label, unit, higher-is-better,
splits, fmt) that ``run()`` reports in ``Prepared.metrics``. A tab composes:

``TrainingSession(runner)`` (session.py)
    Owns one run at a time on a ``JobRunner`` (``PlaygroundTab.make_runner``).
    ``start(config, hooks=(), job=None)`` runs ``engine.training.run(config, control,
    hooks=hooks)`` in the worker (or ``job``, which must yield the same events);
    ``pause()`` / ``resume()`` / ``stop()``; ``state`` (idle / loading / running / paused),
    ``history`` (the engine ``History`` as it grows), ``last_progress``, ``elapsed()``.
    Signals (UI thread, plain frozen event records): ``prepared``, ``progress``,
    ``epoch_ended``, ``estimated``, ``hook_event`` (DecisionMap, a tab's own hook
    events…), ``ended`` (Finished / Stopped), ``failed(str)``, ``finished(bool)`` (the
    network may be read now), ``state_changed(str)``.

``ControlBar()`` + ``Banner()`` (controls.py)
    **Train** / Pause / Resume / Stop, a progress bar with epoch, step and ETA, and
    examples/s. ``bar.attach(session)`` wires Pause/Resume/Stop and the progress; the tab
    connects ``train_button`` and calls ``bar.set_state(state, can_train=…)`` from
    ``session.state_changed``. ``Banner.show_message(level, text)``: one message line.

``CurvesView()`` (curves.py)
    A ``widgets.plot_panel.PlotPanel`` drawing ``Run`` s: ``show_runs([run, …])`` (one run:
    a colour per curve; several: a colour per run, legend naming what differs);
    ``add_point(run, key, x, y)`` records and draws a live figure, ``draw_point`` draws one
    already recorded. The curves of a run are ``metrics.series_for(run.metrics)``.

``Run``, ``RunsPanel(metrics)``, ``RunBook(panel, runs_dir)`` (runs.py)
    ``Run``: one run as a tab keeps it (settings, task, metrics, curves, final figures,
    status, model). ``RunsPanel``: the list, one figure column per metric and split,
    ``buttons`` row for the tab's own buttons, Keep weights, Remove / Undo (Delete,
    Ctrl+Z). ``RunBook``: the runs (``book.runs``), numbering (``take_number``),
    ``add`` / ``update`` / ``selected``, ``remove`` / ``undo_remove``, and the run store
    on disk: ``store(run)`` once it ended, ``restore()`` at start-up, ``weights_path(id)``
    for Keep weights. Give each tab its own ``runs_dir`` (e.g.
    ``default_runs_dir() / "segment"``) so lists do not mix. ``record_progress(run, p)`` /
    ``record_epoch(run, e)`` / ``fill_from_history(run, history)`` fill a run's curves.

``CheckpointActions(runner)`` (checkpoints.py)
    ``save(run, path, extra)`` (raises ``engine.files.SaveError`` at once for a folder
    that cannot be written), ``load(path, purpose="load" | "resume")``,
    ``open_log(path)`` (``engine.training.runlog``); signals ``saved(path)``,
    ``loaded(Loaded)``, ``log_read(LogRead)``, ``failed(message)``. ``savable(run)``:
    whether a run can be saved, and why not. Checkpoints of builder networks rebuild
    from their spec, zoo models from their model reference and run config
    (``model_name(loaded.model)`` names either). To resume, start the session with
    ``loaded.model.config.replace(resume=loaded.path, num_epochs=…)``.

``config_job(config, keep_weights=book.weights_path(run_id))`` (jobs.py)
    The job to ``session.start`` with: ``run(config)``, and the trained network saved to
    the runs folder when **Keep weights** is ticked (``Run.weights`` then names it).

``RunRecorder(session, book, curves, make_run=…)`` (recorder.py)
    The bookkeeping between them: ``make_run(Prepared) -> Run`` (the tab names the run
    and its settings), then the run's figures recorded and drawn, its status from the
    session's state and last event, kept weights, the record stored once the worker let
    go; ``current`` (the run in progress), ``run_ended(run | None, stopped)``,
    ``abandon(why)`` (closing the window mid-run). Connect a tab's own slots to the
    session after creating the recorder: they then see the run up to date.

A minimal tab (a Segment tab, say)::

    self.session = TrainingSession(self.make_runner("training"), device_label="cpu")
    self.controls = ControlBar()
    self.controls.attach(self.session)
    self.curves = CurvesView()
    self.runs_panel = RunsPanel(task_metrics("segmentation"))
    self.book = RunBook(self.runs_panel, default_runs_dir() / "segment")
    self.recorder = RunRecorder(self.session, self.book, self.curves, make_run=lambda p: Run(
        self.book.take_number(), "toy-fcn", "toy-masks", {"lr": cfg.lr}, task=p.task,
        model=p.model, metrics=tuple(p.metrics), id=new_run_id()))
    self.session.state_changed.connect(
        lambda s: self.controls.set_state(s, can_train=True))
    self.runs_panel.selection_changed.connect(
        lambda ns: self.curves.show_runs([self.book.runs[n] for n in ns]))
    self.controls.train_button.clicked.connect(lambda: self.session.start(cfg))

``tests/gui/test_training_views.py`` trains such a per-pixel run with these pieces alone.
"""

from __future__ import annotations

from gui.training.checkpoints import (
    CheckpointActions,
    Loaded,
    LogRead,
    Saved,
    model_name,
    savable,
)
from gui.training.controls import Banner, ControlBar, duration_text
from gui.training.curves import CurvesView
from gui.training.jobs import config_job
from gui.training.metrics import Series, metrics_of, series_for, task_metrics
from gui.training.recorder import RunRecorder
from gui.training.runs import (
    Run,
    RunBook,
    RunsPanel,
    fill_from_history,
    record_epoch,
    record_progress,
    run_settings,
)
from gui.training.session import TrainingSession

__all__ = ["Banner", "CheckpointActions", "ControlBar", "CurvesView", "Loaded", "LogRead",
           "Run", "RunBook", "RunRecorder", "RunsPanel", "Saved", "Series", "TrainingSession",
           "config_job",
           "duration_text", "fill_from_history", "metrics_of", "model_name", "record_epoch",
           "record_progress", "run_settings", "savable", "series_for", "task_metrics"]
