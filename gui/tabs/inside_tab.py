"""Inside tab: look inside a network on an input — feature maps, attributions and
evaluation views (d2l 7.2 / 7.6 on your own image, CNN Explainer style).

The network is a finished run shared by the Train tab, the network sent from Build, an
untrained preset, or a checkpoint file; the input a test sample of its dataset or a
dropped image (resized / greyscaled to what the net takes, with a note). Every engine
call runs on a worker (``gui/tabs/inside/jobs.py``) and comes back as ready numpy images.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QTabWidget, QWidget

from gui.context import AppContext
from gui.dialogs import ask_path
from gui.tabs.base import PlaygroundTab

from .inside.attribution_view import PREDICTED, AttributionView
from .inside.evaluation_view import EvaluationView
from .inside.finetune_page import FinetunePage
from .inside.jobs import (
    AttributionReady,
    Gallery,
    MapsReady,
    Source,
    SubjectReady,
    attribution_job,
    evaluation_job,
    load_subject_job,
    maps_job,
)
from .inside.maps_view import FeatureMapsView
from .inside.source_panel import CHECKPOINT, PRESETS, SourcePanel
from .inside.weights_page import WeightsPage

DIR_KEY = "inside/checkpoint_dir"
LIVE_ONLY_MAPS = ("While the run trains only its feature maps can be taken (on its own "
                  "thread); attributions and evaluation come when it has finished — pick "
                  "its 'Trained:' entry then.")
PAGES = ("Feature maps", "Attribution", "Evaluation", "Weights && gradients", "Fine-tune")


class InsideTab(PlaygroundTab):
    key = "inside"
    title = "Inside"

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.subject: Any = None
        self.samples: Any = None
        self.x: Any = None  # the current input tensor (C, H, W)
        self.true_name = ""
        self._shared_model: tuple[Any, str] | None = context.current_model
        self._live_hook: Any = None  # the FeatureMapHook of the Train tab's current run
        self._live_info: Any = None  # its LiveNetwork, while that run trains
        self._build()
        self._connect()
        self._refresh_sources(select_first=True)

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        self.source = SourcePanel()
        self.source.setMinimumWidth(260)
        self.maps = FeatureMapsView()
        self.attribution = AttributionView()
        self.evaluation = EvaluationView()
        self.weights = WeightsPage(self.make_runner("experiment"))
        self.finetune = FinetunePage(self.make_runner("fine-tune"))
        self.pages = QTabWidget()
        for page, title in zip((self.maps, self.attribution, self.evaluation, self.weights,
                                self.finetune), PAGES, strict=True):
            self.pages.addTab(page, title)
        self.banner = QLabel("")
        self.banner.setWordWrap(True)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.source)
        split.addWidget(self.pages)
        split.setStretchFactor(1, 3)
        split.setSizes([300, 900])
        layout = QHBoxLayout(self)
        layout.addWidget(split)
        self.subject_runner = self.make_runner("network")
        self.maps_runner = self.make_runner("maps")
        self.attr_runner = self.make_runner("attribution")
        self.eval_runner = self.make_runner("evaluation")

    def _connect(self) -> None:
        self.source.source_chosen.connect(self._on_source_chosen)
        self.source.sample_chosen.connect(self._on_sample_chosen)
        self.source.image_dropped.connect(self._on_image_dropped)
        self.source.open_button.clicked.connect(self._ask_image)
        self.maps.refresh_requested.connect(self.refresh_maps)
        self.maps.scale_changed.connect(lambda _on: self.refresh_maps())
        self.attribution.requested.connect(self._on_attribution_requested)
        self.evaluation.evaluate_requested.connect(self.evaluate)
        self.evaluation.cell_clicked.connect(self._on_cell_clicked)
        self.pages.currentChanged.connect(self._on_page_changed)
        self.subject_runner.event.connect(self._on_subject_event)
        self.maps_runner.event.connect(self._on_maps_event)
        self.attr_runner.event.connect(self._on_attr_event)
        self.eval_runner.event.connect(self._on_eval_event)
        self.maps_runner.failed.connect(self.maps.show_message)
        self.attr_runner.failed.connect(self.attribution.show_message)
        self.eval_runner.failed.connect(self.evaluation.show_message)
        self.subject_runner.failed.connect(self.source.weights.setText)
        self.weights.experiment_requested.connect(self.run_experiment)
        self.weights.sequence.hook_event.connect(self._on_experiment_hook_event)
        self.weights.sequence.run_prepared.connect(
            lambda title, _p: self.weights.status.setText(f"Training {title}…"))
        self.weights.sequence.done.connect(self._on_experiment_done)
        self.finetune.start_requested.connect(self.run_finetune)
        self.finetune.choose_folder.connect(self._ask_finetune_folder)
        self.finetune.choose_weights.connect(self._ask_finetune_weights)
        self.finetune.sequence.run_prepared.connect(self._on_finetune_prepared)
        self.finetune.sequence.done.connect(self._on_finetune_done)
        self.context.model_shared.connect(self._on_model_shared)
        self.context.add_training_hook(self._training_hook)
        self.context.add_training_hook(self._live_maps_hook)
        self.context.training_event.connect(self._on_training_event)
        self.context.network_sent.connect(lambda _spec: self._refresh_sources())

    def _refresh_sources(self, *, select_first: bool = False) -> None:
        from engine.models import ModelRef

        entries: list[tuple[str, Source]] = []
        if self._live_info is not None:
            from engine.insight.subject import Subject

            info = self._live_info
            live = Subject(None, f"{info.name} (training now)", "live: the weights as they "
                           "are when the maps are taken", info.input_shape, info.class_names,
                           info.dataset, info.data_root)
            entries.append((f"Training now: {info.name} (live)",
                            Source("live", live.title, model=live)))
        if self._shared_model is not None:
            model, title = self._shared_model
            entries.append((f"Trained: {title}", Source("run", title, model=model)))
        spec = self.context.current_network
        if spec is not None:
            entries.append((f"From Build: {spec.name} (untrained)",
                            Source("ref", f"{spec.name} (untrained)",
                                   ref=ModelRef.from_spec(spec))))
        for name in PRESETS:
            entries.append((f"Preset: {name} (untrained)",
                            Source("ref", f"{name} (untrained)", ref=ModelRef.preset(name))))
        current = self.source.network.currentText()
        labels = [label for label, _ in entries]
        keep = labels.index(current) if current in labels and not select_first else 0
        self.source.set_sources(entries, keep)
        if select_first:
            self.load_source(entries[0][1])

    # ------------------------------------------------------------------ actions
    def load_source(self, source: Source) -> None:
        self.source.weights.setText(f"Loading {source.title or source.path}…")
        self.subject_runner.start(load_subject_job(source))

    def set_input_image(self, rgb: Any, name: str) -> None:
        """Feed a dropped / opened RGB image to the network (fitted to its input)."""
        if self.subject is None:
            return
        from engine.insight.features import fit_input

        try:
            x, notes = fit_input(rgb, self.subject.input_shape, mean=self.subject.mean,
                                 std=self.subject.std)
        except ValueError as exc:
            self.source.input_note.setText(str(exc))
            self.context.warn(f"Inside: {exc}")
            return
        self.true_name = ""
        self._set_input(x, f"{name}: " + ("; ".join(notes) if notes else "used as it is"))

    def _set_input(self, x: Any, note: str) -> None:
        from .inside.render import input_image

        self.x = x
        self.source.show_input(input_image(x.numpy(), self.subject.mean, self.subject.std), note)
        self.refresh_maps()
        if self.pages.currentWidget() is self.attribution:
            self.attribution._emit()

    def refresh_maps(self) -> None:
        if self.subject is None or self.x is None:
            return
        if self.subject.net is None:  # the Train tab's run: its training thread answers
            if self._live_info is None or self._live_hook is None:
                self.maps.show_message("That run is not training any more; pick its "
                                       "'Trained:' entry (finished runs) or another network.")
                return
            self._live_hook.request(self.x)
            self.maps.show_message("asked the training run for maps at its next batch…")
            return
        self.maps.show_message("computing…")
        self.maps_runner.start(maps_job(self.subject, self.x, shared=self.maps.shared.isChecked()))

    def evaluate(self) -> None:
        if self.subject is None:
            return
        if self.subject.net is None:
            self.evaluation.show_message(LIVE_ONLY_MAPS)
            return
        if self.samples is None:
            self.evaluation.show_message("This network has no test set to evaluate on (see "
                                         "the note under the input).")
            return
        self.evaluation.show_message("evaluating…")
        self.eval_runner.start(evaluation_job(self.subject, self.samples,
                                              device=self.context.device))

    def run_experiment(self, **changes: Any) -> None:
        """The book's initialisation experiment (``engine.insight.init_experiment``)."""
        from engine.insight.init_experiment import init_experiment_configs
        from engine.insight.stats import WeightStatsHook

        configs = init_experiment_configs(device=self.context.device, **changes)
        self.weights.set_running(True)
        self.weights.sequence.start(configs, hooks=lambda: [WeightStatsHook(every=5)],
                                    device_label=self.context.device_label)

    def run_finetune(self) -> bool:
        """The hot-dog recipe on the chosen folder: fine-tuned, then from scratch."""
        from pathlib import Path

        from engine.insight.finetune import finetune_config, pretrained_status

        page = self.finetune
        folder = page.folder.text().strip()
        if not folder or not Path(folder).expanduser().is_dir():
            page.status.setText("Choose an image folder first: one sub-folder per class.")
            return False
        weights = page.weights_choice()
        if page.weights.currentData() == "file" and weights is None:
            page.status.setText("Pick the weights file (.pth) first, or another weights "
                                "choice.")
            return False
        common = {"lr": page.lr.value(), "num_epochs": page.epochs.value(),
                  "batch_size": page.batch.value(), "device": self.context.device}
        configs = {}
        notes = []
        if weights == "pretrained":
            ok, text = pretrained_status()
            notes.append(text)
            if not ok:
                weights = None
        if weights is not None:
            configs["fine-tuned"] = finetune_config(folder, weights=weights,
                                                    head_lr_mult=page.mult.value(), **common)
        else:
            notes.append("no pretrained weights: running the from-scratch network only")
        configs["from scratch"] = finetune_config(folder, scratch=True, **common)
        page.weights_note.setText("; ".join(notes))
        page.set_running(True)
        page.status.setText("Loading the folder…")
        page.sequence.start(configs, device_label=self.context.device_label)
        return True

    def _ask_finetune_folder(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        start = str(self.context.settings.value("inside/finetune_dir", ""))
        folder = QFileDialog.getExistingDirectory(self, "Image folder", start)
        if folder:
            self.context.settings.setValue("inside/finetune_dir", folder)
            self.finetune.folder.setText(folder)

    def _ask_finetune_weights(self) -> None:
        path = ask_path(self, self.context.settings, "inside/weights_dir", "Weights file",
                        file_filter="PyTorch weights (*.pth *.pt);;All files (*)")
        if path:
            self.finetune.weights_file = path
            self.finetune.weights_note.setText(f"weights file: {path}")

    def _on_finetune_prepared(self, title: str, p: object) -> None:
        self.finetune.status.setText(f"{title}: {p.n_train} training / {p.n_test} test "  # type: ignore[attr-defined]
                                     f"images; weights: {p.weights}")  # type: ignore[attr-defined]

    def _on_finetune_done(self, stopped: bool, error: str) -> None:
        self.finetune.set_running(False)
        runs = [r.network for r in self.finetune.sequence.runs]
        self.finetune.status.setText(error or ("Stopped." if stopped else
                                     f"Finished: {', '.join(runs)}."))

    def _training_hook(self) -> Any:
        """A ``WeightStatsHook`` for a run the Train tab starts (when watching)."""
        if not self.weights.watch.isChecked():
            return None
        from engine.insight.stats import WeightStatsHook

        return WeightStatsHook()

    def _live_maps_hook(self) -> Any:
        """A ``FeatureMapHook`` for a run the Train tab starts: it answers "Refresh" of
        the live entry with maps of the weights as they are then (training thread)."""
        from engine.insight.features import FeatureMapHook

        self._live_hook = FeatureMapHook(None)
        return self._live_hook

    # ------------------------------------------------------------------ slots
    def _on_training_event(self, event: object) -> None:
        from engine.insight.features import Inspection, LiveNetwork
        from engine.insight.stats import ParamStats
        from engine.training import Finished, Stopped

        if isinstance(event, LiveNetwork):
            self._live_info = event
            self._refresh_sources()
            return
        if isinstance(event, (Finished, Stopped)):
            self._live_info, self._live_hook = None, None
            self._refresh_sources()
            return
        if isinstance(event, Inspection):
            self._show_live_maps(event)
            return
        if not isinstance(event, ParamStats) or self.weights.sequence.is_running():
            return
        if event.global_step == 1:  # a new run in the Train tab
            self.weights.view.clear()
            self.weights.status.setText("Live from the Train tab's run.")
        self.weights.view.add_stats(event, "Train tab")

    def _on_experiment_hook_event(self, title: str, event: object) -> None:
        from engine.insight.stats import ParamStats

        if isinstance(event, ParamStats):
            self.weights.view.add_stats(event, title)

    def _on_experiment_done(self, stopped: bool, error: str) -> None:
        self.weights.set_running(False)
        self.weights.status.setText(error or ("Stopped." if stopped else
                                    "Both runs finished: compare the first losses and the "
                                    "gradient norms per layer."))

    def _on_source_chosen(self, source: object) -> None:
        if source == CHECKPOINT:
            path = ask_path(self, self.context.settings, DIR_KEY, "Open checkpoint",
                            file_filter="Checkpoints (*.pt *.pth);;All files (*)")
            if path:
                self.load_source(Source("checkpoint", path=path))
            return
        self.load_source(source)  # type: ignore[arg-type]

    def _on_model_shared(self, model: object, title: str) -> None:
        self._shared_model = (model, title)
        self._refresh_sources()

    def _on_subject_event(self, event: object) -> None:
        if not isinstance(event, SubjectReady):
            return
        self.subject, self.samples = event.subject, event.samples
        n = len(event.samples.X) if event.samples is not None else 0
        self.source.set_subject(event.subject.title, event.subject.weights, n, event.sample_note)
        self.attribution.set_network(event.subject.class_names, event.convs)
        self.evaluation.result = None
        self.evaluation.show_message("")
        if n:
            self._on_sample_chosen(self.source.sample.value())
        elif self.x is not None:
            self.maps.clear("Drop an image on the input to see its feature maps.")

    def _on_sample_chosen(self, index: int) -> None:
        if self.samples is None or not 0 <= index < len(self.samples.X):
            return
        label = int(self.samples.y[index])
        names = self.samples.class_names or self.subject.class_names
        self.true_name = names[label] if label < len(names) else str(label)
        self._set_input(self.samples.X[index], f"test sample {index} of "
                                               f"{self.samples.source}")

    def _on_image_dropped(self, rgb: object, name: str) -> None:
        self.set_input_image(rgb, name)

    def _ask_image(self) -> None:
        from gui.image_io import image_file_filter

        path = ask_path(self, self.context.settings, "inside/image_dir", "Open image",
                        file_filter=image_file_filter())
        if path:
            self.open_image(path)

    def _on_maps_event(self, event: object) -> None:
        if not isinstance(event, MapsReady):
            return
        ins = event.inspection
        self.maps.set_maps(ins.maps, event.mosaics, ins.notes)
        self.maps.show_message(f"{len(ins.maps)} convolution layers" if ins.maps else "")
        self.source.show_predictions(ins.prediction, self.true_name)

    def _show_live_maps(self, ins: Any) -> None:
        from .inside.render import mosaic

        if self.subject is None or self.subject.net is not None:
            return  # the user moved on to another network
        shared = self.maps.shared.isChecked()
        mosaics = tuple(mosaic(m.activation, shared=shared) for m in ins.maps)
        self.maps.set_maps(ins.maps, mosaics, ins.notes)
        self.maps.show_message(f"live: epoch {ins.epoch}, batch {ins.step}" if ins.maps
                               else " ".join(ins.notes))
        self.source.show_predictions(ins.prediction, self.true_name)

    def _on_page_changed(self, index: int) -> None:
        if self.pages.widget(index) is self.attribution and self.x is not None:
            self.attribution._emit()

    def _on_attribution_requested(self, method: str, target: int, layer: str) -> None:
        if self.subject is None or self.x is None:
            return
        if self.subject.net is None:
            self.attribution.show_message(LIVE_ONLY_MAPS)
            return
        self.attribution.show_message("computing…")
        self.attr_runner.start(attribution_job(
            self.subject, self.x, method=method, target=None if target == PREDICTED else target,
            layer=layer or None))

    def _on_attr_event(self, event: object) -> None:
        if isinstance(event, AttributionReady):
            self.attribution.show_result(event.attribution, event.input_rgb, event.overlay_rgb,
                                         self.subject.class_names)

    def _on_eval_event(self, event: object) -> None:
        from engine.insight.evaluation import EvalProgress, Evaluation

        if isinstance(event, EvalProgress):
            self.evaluation.show_progress(event.done, event.total)
        elif isinstance(event, Evaluation):
            self.evaluation.set_result(event)
        elif isinstance(event, Gallery):
            self.evaluation.set_gallery("Test samples, most wrong first", event.indices,
                                        event.images)

    def _on_cell_clicked(self, true: int, predicted: int) -> None:
        result = self.evaluation.result
        if result is None or self.samples is None:
            return
        from .inside.jobs import gallery

        if true < 0:
            indices, title = result.ranked[:60], "Test samples, most wrong first"
        else:
            cell = result.cell(true, predicted)
            names = result.class_names
            indices = cell[:60]
            title = (f"true {names[true]}, predicted {names[predicted]}: {len(cell)} samples"
                     + (" (first 60, highest loss first)" if len(cell) > 60 else ""))
        g = gallery(self.subject, self.samples, indices)  # ≤ 60 thumbnails: cheap
        self.evaluation.set_gallery(title, g.indices, g.images)

    # ------------------------------------------------------------------ PlaygroundTab
    def accepts_images(self) -> bool:
        return True

    def open_image(self, path: str) -> bool:
        return self.source.canvas.load_file(path)
