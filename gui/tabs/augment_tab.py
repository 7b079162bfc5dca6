"""Augment (d2l 14.1): shape a torchvision pipeline with sliders and watch every draw.

The tab holds a small state — the image (with boxes / mask), the ``PipelineSpec`` (undo
history of frozen specs), the seed and the grid shape. Controls write the state; every
change asks for a preview, which runs on a worker (``JobRunner``); while one runs, later
changes only mark it dirty and the newest state runs next, so a moving slider never queues
work and a result older than the one on screen is dropped.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.augment import (
    PipelineSpec,
    augment_preset,
    step,
    step_type,
    to_code,
)
from engine.files import write_text_atomic
from gui.context import AppContext
from gui.dialogs import ask_path
from gui.tabs.augment.jobs import InspectDone, PreviewDone, PreviewRequest, inspect_job, preview_job
from gui.tabs.augment.layout import build_left, build_views
from gui.tabs.augment.sample_grid import LargeView, TileData
from gui.tabs.augment.source import Source, load_source
from gui.tabs.base import PlaygroundTab
from gui.tabs.build.history import SpecHistory
from gui.workers import JobRunner

DEFAULT_SOURCE = "cat.jpg"
DEFAULT_PRESET = "book: augs"
PIPELINE_KEY = "augment/pipeline"  # the pipeline survives closing the app
DIR_KEY = "augment/last_dir"
JSON_FILTER = "Augmentation pipeline (*.json);;All files (*)"
ERROR_STYLE = "color: #b00020;"


class AugmentTab(PlaygroundTab):
    key = "augment"
    title = "Augment"

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.source: Source | None = None
        self.spec = self._restored_spec()
        self.history: SpecHistory[PipelineSpec] = SpecHistory(self.spec)
        self.current = 0 if self.spec.steps else -1
        self.seed = 0
        self.samples: tuple = ()
        self.frames: tuple = ()
        self._token = 0
        self._shown_token = 0
        self._request: PreviewRequest | None = None
        self._dirty = False
        self._closed = False
        self._last_error = ""
        self._inspected: tuple[int, int] | None = None
        self.large_view: LargeView | None = None
        self.preview_runner = self._runner("preview")
        self.preview_runner.event.connect(self._on_preview_runner_event)
        self.preview_runner.finished.connect(self._on_preview_runner_finished)
        self.inspect_runner = self._runner("inspect")
        self.inspect_runner.event.connect(self._on_inspect_runner_event)
        self._build()
        self.setAcceptDrops(True)
        self._show_spec()
        self.load(DEFAULT_SOURCE)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop the previews for good: a preview finishing afterwards must not start the
        one it had pending (it would run on, drawing from torch's global generator)."""
        self._closed = True
        self._dirty = False
        return super().shutdown(timeout_ms)

    def _runner(self, name: str) -> JobRunner:
        runner = JobRunner(self, name=f"{self.key}:{name}")
        runner.failed.connect(self._on_runner_failed)
        self._runners.append(runner)
        return runner

    def _restored_spec(self) -> PipelineSpec:
        text = self.context.settings.value(PIPELINE_KEY, "")
        if text:
            try:
                return PipelineSpec.from_json(str(text))
            except ValueError as exc:
                self.context.warn(f"Augment: the saved pipeline could not be read ({exc}); "
                                  f"starting from the book's augs")
        return augment_preset(DEFAULT_PRESET)

    # ------------------------------------------------------------------ build
    def _build(self) -> None:
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(build_left(self))
        splitter.addWidget(build_views(self))
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([400, 880])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter, 1)
        for keys, slot in (("Ctrl+Z", self.undo), ("Ctrl+Shift+Z", self.redo),
                           ("Ctrl+Y", self.redo), ("Delete", self._remove_current),
                           ("Alt+Up", lambda: self._move_current(-1)),
                           ("Alt+Down", lambda: self._move_current(1)),
                           ("R", self.reroll)):
            shortcut = QShortcut(QKeySequence(keys), self, activated=slot)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # ------------------------------------------------------------------ images
    def accepts_images(self) -> bool:
        return True

    def open_image(self, path: str) -> bool:
        return self.load(path)

    def load(self, path_or_name: str) -> bool:
        """Show a bundled sample, the synthetic scene or an image file; False (and a
        message, the previous image kept) when it cannot be read."""
        try:
            source = load_source(path_or_name)
        except ValueError as exc:
            self.source_info.setText(f"<span style='{ERROR_STYLE}'>{exc}</span>")
            self.context.error(f"Augment: {exc}")
            return False
        self.source = source
        text = f"<b>{source.name}</b> {source.info}"
        if source.notice:
            text += f" <span style='color:#b06000'>({source.notice})</span>"
        self.source_info.setText(text)
        index = self.source_combo.findText(source.name)
        if index >= 0:
            self.source_combo.setCurrentIndex(index)
        self.request_preview(restart=True)
        return True

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if not files:
            self.context.error("Augment: only local files can be dropped here")
            return
        event.acceptProposedAction()
        self.load(files[0])

    def _ask_open(self) -> None:
        from gui.dialogs import IMAGE_DIR_KEY
        from gui.image_io import image_file_filter

        path = ask_path(self, self.context.settings, IMAGE_DIR_KEY, "Open image",
                        file_filter=image_file_filter())
        if path:
            self.load(path)

    # ------------------------------------------------------------------ pipeline edits
    def set_spec(self, spec: PipelineSpec, *, current: int | None = None,
                 merge_key: object = None) -> None:
        """Make ``spec`` the pipeline (one undo step, or merged into the last one)."""
        self.history.push(spec, merge_key=merge_key)
        self._apply(spec, current)

    def _apply(self, spec: PipelineSpec, current: int | None = None) -> None:
        self.spec = spec
        if current is not None:
            self.current = current
        self.current = min(self.current, len(spec.steps) - 1)
        if self.current < 0 and spec.steps:
            self.current = 0
        self.context.settings.setValue(PIPELINE_KEY, spec.to_json())
        self._show_spec()
        self.request_preview()

    def add_step(self, type_name: str) -> None:
        index = self.current + 1 if self.current >= 0 else len(self.spec.steps)
        self.set_spec(self.spec.insert(index, step(type_name)), current=index)

    def remove_step(self, index: int) -> None:
        self.set_spec(self.spec.remove(index), current=max(0, index - 1))

    def move_step(self, index: int, to: int) -> None:
        to = max(0, min(to, len(self.spec.steps) - 1))
        if to != index:
            self.set_spec(self.spec.move(index, to), current=to)

    def toggle_step(self, index: int, enabled: bool) -> None:
        from dataclasses import replace

        s = self.spec.steps[index]
        if s.enabled != enabled:
            self.set_spec(self.spec.replace_step(index, replace(s, enabled=enabled)),
                          current=index)

    def use_preset(self, name: str) -> None:
        self.set_spec(augment_preset(name), current=0)
        self.preset_combo.setCurrentText(name)
        self.context.info(f"Augment: pipeline '{name}'")

    def undo(self) -> None:
        if self.history.can_undo():
            self._apply(self.history.undo())

    def redo(self) -> None:
        if self.history.can_redo():
            self._apply(self.history.redo())

    def _remove_current(self) -> None:
        if 0 <= self.current < len(self.spec.steps):
            self.remove_step(self.current)

    def _move_current(self, delta: int) -> None:
        if 0 <= self.current < len(self.spec.steps):
            self.move_step(self.current, self.current + delta)

    def _on_pipeline_current_changed(self, row: int) -> None:
        if row != self.current and row >= 0:
            self.current = row
            self.history.break_merge()
            self._show_spec()

    def _on_form_param_edited(self, name: str, value: object) -> None:
        if not 0 <= self.current < len(self.spec.steps):
            return
        try:
            new = self.spec.steps[self.current].with_params(**{name: value})
        except ValueError as exc:
            self.form.show_error(str(exc))
            return
        self.set_spec(self.spec.replace_step(self.current, new),
                      merge_key=("param", self.current, name))

    def _show_spec(self) -> None:
        self.pipeline.show_spec(self.spec, self.current)
        self.undo_button.setEnabled(self.history.can_undo())
        self.redo_button.setEnabled(self.history.can_redo())
        if 0 <= self.current < len(self.spec.steps):
            s = self.spec.steps[self.current]
            st = step_type(s.type)
            self.params_box.setTitle(f"Step {self.current + 1}: {s.type}")
            self.step_description.setText(st.description)
            if [f.name for f in st.params] != list(self.form.editors):
                self.form.set_fields(st.params, s.params)
            else:
                self.form.set_values(s.params)
        else:
            self.params_box.setTitle("Step")
            self.step_description.setText("Add a step from the catalogue (Add step).")
            self.form.set_fields([], {})

    def use_in_training(self) -> bool:
        """Send the pipeline to the Train tab (the window switches to it)."""
        batch = self.spec.batch_steps()
        if batch:
            i, s = batch[0]
            text = (f"step {i + 1} ({s.type}) mixes labels, which training does not support "
                    f"yet; disable it (untick) to train with this pipeline")
            self.status.setText(f"<span style='{ERROR_STYLE}'>{text}</span>")
            self.context.error(f"Augment: {text}")
            return False
        if not self.spec.enabled_steps():
            self.context.warn("Augment: the pipeline has no enabled step; nothing to train with")
            return False
        self.context.send_augmentation(self.spec)
        self.context.info(f"Augment: pipeline '{self.spec.name}' handed to the Train tab")
        return True

    # ------------------------------------------------------------------ files
    def copy_code(self) -> str:
        code = to_code(self.spec)
        QGuiApplication.clipboard().setText(code)
        self.context.info("Augment: the pipeline is on the clipboard as torchvision code")
        return code

    def save_pipeline(self, path: str) -> bool:
        try:
            write_text_atomic(path, self.spec.to_json() + "\n")
        except OSError as exc:
            self.context.error(f"Augment: could not save {path}: {exc}")
            return False
        self.context.info(f"Augment: saved the pipeline to {path}")
        return True

    def load_pipeline(self, path: str) -> bool:
        try:
            spec = PipelineSpec.from_json(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            self.context.error(f"Augment: {Path(path).name} was not loaded — {exc}; the "
                               f"pipeline is unchanged")
            self.status.setText(f"<span style='{ERROR_STYLE}'>{Path(path).name}: {exc}</span>")
            return False
        self.set_spec(spec, current=0)
        self.context.info(f"Augment: loaded {Path(path).name} ({len(spec.steps)} steps)")
        return True

    def _ask_save(self) -> None:
        path = ask_path(self, self.context.settings, DIR_KEY, "Save pipeline", save=True,
                        name="augment.json", file_filter=JSON_FILTER)
        if path:
            self.save_pipeline(path)

    def _ask_load(self) -> None:
        path = ask_path(self, self.context.settings, DIR_KEY, "Load pipeline",
                        file_filter=JSON_FILTER)
        if path:
            self.load_pipeline(path)

    # ------------------------------------------------------------------ preview
    def reroll(self) -> None:
        self.seed_spin.setValue(self.seed_spin.value() + 1)

    def _on_seed_spin_value_changed(self, value: int) -> None:
        self.seed = value
        self.request_preview()

    def _on_grid_shape_changed(self, _v: int) -> None:
        self.grid.set_shape(self.rows_spin.value(), self.cols_spin.value())
        self.inspect_spin.setMaximum(self.rows_spin.value() * self.cols_spin.value())
        self.request_preview()

    def request_preview(self, *, restart: bool = False) -> None:
        """Preview the current state; while a preview runs, only remember to run again
        (``restart``: supersede it now, e.g. for a new image)."""
        if self.source is None or self._closed:
            return
        if self.preview_runner.is_running() and not restart:
            self._dirty = True
            return
        self._dirty = False
        self._token += 1
        n = self.rows_spin.value() * self.cols_spin.value()
        self._request = PreviewRequest(self._token, self.source.image, self.spec, n,
                                       self.seed, self.source.boxes, self.source.mask)
        self.preview_runner.start(preview_job(self._request))

    def _on_preview_runner_event(self, done: object) -> None:
        if not isinstance(done, PreviewDone) or done.token < self._shown_token:
            return  # older than what is on screen
        self._shown_token = done.token
        self.samples = done.samples
        self._last_error = ""
        dropped = sum(s.dropped for s in done.samples)
        text = f"{len(done.samples)} samples in {done.seconds * 1000:.0f} ms"
        if dropped:
            text += f" — {dropped} box(es) left their sample and were dropped"
        notes = sorted({n for s in done.samples for n in s.notes})
        if notes:
            text += " — " + "; ".join(notes)
        text += ". Hover a sample for its draws, click for a large view."
        self.status.setText(text)
        self._redraw()
        self._inspected = None
        self._request_inspect()

    def _on_preview_runner_finished(self, _stopped: bool) -> None:
        if self._dirty:
            self.request_preview()

    def _on_runner_failed(self, message: str) -> None:
        self.status.setText(f"<span style='{ERROR_STYLE}'>{message}</span>")
        if message != self._last_error:  # a slider repeating one error posts it once
            self.context.error(f"Augment: {message}")
        self._last_error = message

    def _tile(self, k: int) -> TileData:
        s = self.samples[k]
        labels = self.source.labels if self.source else ()
        names = tuple(labels[i] for i in s.box_indices if i < len(labels))
        h, w = s.image.shape[:2]
        caption = f"#{k + 1}  {w}×{h}"
        if s.label_mix:  # "#2: 88% + 12% #1": its own share of the label, then the partner's
            weights = dict(s.label_mix)
            others = " + ".join(f"{v:.0%} #{j + 1}" for j, v in s.label_mix if j != k)
            caption = f"#{k + 1}: {weights.get(k, 0.0):.0%}" + (f" + {others}" if others else "")
        return TileData(s.image, s.boxes, names, s.mask, caption,
                        f"Sample {k + 1} (torch seed {s.seed})\n{s.describe()}")

    def _redraw(self) -> None:
        self.grid.set_samples([self._tile(k) for k in range(len(self.samples))],
                              self.overlay_check.isChecked())

    def show_large(self, k: int) -> None:
        if k >= len(self.samples):
            return
        data = self._tile(k)
        self.large_view = LargeView(data, data.tooltip, self.overlay_check.isChecked(), self)
        self.large_view.show()

    # ------------------------------------------------------------------ inspector
    def _request_inspect(self) -> None:
        if (self._closed or self.views.currentIndex() != 1 or not self.samples
                or self._request is None):
            return
        k = min(self.inspect_spin.value(), len(self.samples)) - 1
        if self._inspected == (self._shown_token, k):
            return
        self._inspected = (self._shown_token, k)
        self.inspect_runner.start(inspect_job(self._request, k, self.samples[k].seed))

    def _on_inspect_runner_event(self, done: object) -> None:
        if not isinstance(done, InspectDone) or done.token != self._shown_token:
            return
        self.frames = done.frames
        labels = self.source.labels if self.source else ()
        items = []
        for f in done.frames:
            names = tuple(labels[i] for i in f.box_indices if i < len(labels))
            h, w = f.image.shape[:2]
            text = "the image going in" if f.draw is None else f.draw.text
            if f.notes:
                text += "\n" + "\n".join(f.notes)
            items.append((TileData(f.image, f.boxes, names, f.mask, f"{w}×{h}", text),
                          f"<b>{f.title}</b><br>{text}"))
        self.inspector.set_frames(items, self.overlay_check.isChecked())
        self.inspect_info.setText(f"Sample {done.sample + 1}: {len(done.frames) - 1} steps; "
                                  f"each frame is the image after that step.")
