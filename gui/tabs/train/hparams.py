"""The hyper-parameter form: the book's knobs, per-network recipes, remembered values.

A network's *recipe* is every training setting but the seed: its ``train_defaults`` (the
book's lr, batch size, epochs, loss) over ``HyperParams``' defaults (plain SGD, no weight
decay, no schedule, no clipping, the network's own init). Choosing a network applies its
recipe whole — never LeNet's lr with the Adam picked for another net — and the form marks
each field the user changed from it ("Reset to recipe" puts them back).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from typing import Any

from PySide6.QtCore import QSettings, QSignalBlocker, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from engine.training import INITS, LOSSES, OPTIMIZERS, SCHEDULES
from engine.training.config import AMP_MODES, config_fields
from gui.tabs.train.job import HyperParams

SETTINGS_PREFIX = "train/hparams/"
RECIPE_KEY = SETTINGS_PREFIX + "recipe"  # whose recipe the remembered values edit
KEEP_INIT = "network's own"
OPTIMIZER_TITLES = {"sgd": "SGD", "momentum": "SGD + momentum", "adam": "Adam",
                    "adamw": "AdamW"}
# Names, labels, tooltips, ranges and defaults come from RunConfig's field metadata.
FIELDS = {f.name: f for f in config_fields("hparams")}
KINDS: dict[str, type] = {k: f.metadata["kind"] if f.metadata["kind"] in (int, float) else str
                          for k, f in FIELDS.items()}
TIPS = {k: f.metadata["help"] for k, f in FIELDS.items()}
LABELS = {k: f.metadata["label"] for k, f in FIELDS.items()}
RECIPE_FIELDS = tuple(k for k in KINDS if k != "seed")
EDITED = " ✎"


def recipe_values(train_defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Every recipe field: ``HyperParams`` defaults with the network's book values over them."""
    base = HyperParams().__dict__
    values = {k: base[k] for k in RECIPE_FIELDS}
    values.update({k: train_defaults[k] for k in ("lr", "batch_size", "num_epochs", "loss")
                   if k in train_defaults})
    return values


def _limits(key: str) -> tuple[Any, Any, Any]:
    f = FIELDS[key]
    return f.metadata["min"], f.metadata["max"], f.default


class HyperParamsForm(QWidget):
    """Editors for ``HyperParams``; ``changed`` fires on any edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lr = _double(*_limits("lr")[:2], 6, _limits("lr")[2])
        self.batch_size = _int(*_limits("batch_size"))
        self.num_epochs = _int(*_limits("num_epochs"))
        self.optimizer = QComboBox()
        for name in OPTIMIZERS:
            self.optimizer.addItem(OPTIMIZER_TITLES.get(name, name), name)
        self.momentum = _double(*_limits("momentum")[:2], 3, _limits("momentum")[2], step=0.05)
        self.weight_decay = _double(*_limits("weight_decay")[:2], 6,
                                    _limits("weight_decay")[2], step=1e-4)
        self.loss = _combo(LOSSES)
        self.schedule = _combo(SCHEDULES)
        self.init = _combo((KEEP_INIT, *INITS))
        self.seed = _int(*_limits("seed"))
        self.grad_clip = _double(*_limits("grad_clip")[:2], 3, 0.0, step=0.5)
        self.grad_clip.setSpecialValueText("off")
        self.amp = _combo(AMP_MODES)
        self.recipe: dict[str, Any] | None = None
        self.recipe_name = ""
        self.recipe_label = QLabel()
        self.recipe_label.setWordWrap(True)
        self.recipe_label.setStyleSheet("color: #555;")
        self.reset_button = QPushButton("Reset to recipe")
        self.reset_button.setToolTip("Put every field back to the network's recipe (the "
                                     "seed stays)")
        self.reset_button.setEnabled(False)
        self.reset_button.clicked.connect(self.reset_to_recipe)
        top = QHBoxLayout()
        top.addWidget(self.recipe_label, 1)
        top.addWidget(self.reset_button)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(top)
        self.form = form
        self.notes: dict[str, QLabel] = {}
        self.row_labels: dict[str, QLabel] = {}
        for key, label in LABELS.items():
            editor = getattr(self, key)
            editor.setToolTip(TIPS[key])
            self.row_labels[key] = row_label = QLabel(label)
            form.addRow(row_label, editor)
            if isinstance(editor, _FloatBox):
                note = self.notes[key] = QLabel()
                note.setWordWrap(True)
                note.setStyleSheet("color: #9a6700;")
                note.hide()
                form.addRow("", note)
                editor.clamped.connect(lambda text, n=note, k=label: (  # noqa: B023
                    n.setText(f"{k}: {text}"), n.show()))
                editor.valueChanged.connect(lambda _v, n=note, e=editor: n.setVisible(
                    n.isVisible() and e.value() in (e.minimum(), e.maximum())))
            signal = editor.currentIndexChanged if isinstance(editor, QComboBox) else (
                editor.valueChanged)
            signal.connect(self._on_editor_changed)

    # ------------------------------------------------------------------ values
    def values(self) -> HyperParams:
        init = self.init.currentText()
        clip = self.grad_clip.value()
        return HyperParams(
            lr=self.lr.value(), batch_size=self.batch_size.value(),
            num_epochs=self.num_epochs.value(), optimizer=self.optimizer.currentData(),
            momentum=self.momentum.value(), weight_decay=self.weight_decay.value(),
            loss=self.loss.currentText(), schedule=self.schedule.currentText(),
            init=None if init == KEEP_INIT else init, seed=self.seed.value(),
            grad_clip=clip if clip > 0 else None, amp=self.amp.currentText())

    def set_values(self, **values: Any) -> None:
        """Set some fields (names of ``HyperParams``) without emitting per field."""
        blockers = [QSignalBlocker(w) for w in self._editors()]
        for key, value in values.items():
            editor = getattr(self, key, None)
            if editor is None:
                continue
            if key in self.notes:
                self.notes[key].hide()  # a note is about what was typed, not set
            if key == "init":
                value = KEEP_INIT if value is None else value
            if key == "grad_clip":
                value = value or 0.0
            if isinstance(editor, QComboBox):
                index = editor.findData(value) if key == "optimizer" else (
                    editor.findText(str(value)))
                if index >= 0:
                    editor.setCurrentIndex(index)
            else:
                editor.setValue(value)
        del blockers
        self._update_enabled()
        self.changed.emit()

    def apply_recipe(self, name: str, train_defaults: Mapping[str, Any]) -> None:
        """Set every recipe field from ``train_defaults`` (see ``recipe_values``); ``name``
        says whose recipe it is ("preset lenet")."""
        self.recipe_name = name
        self.recipe = None  # no markers while the fields change
        self.set_values(**recipe_values(train_defaults))
        now = self.values().__dict__  # as the editors hold them (rounded, clamped)
        self.recipe = {k: now[k] for k in RECIPE_FIELDS}
        self._update_markers()

    def reset_to_recipe(self) -> None:
        if self.recipe is not None:
            self.set_values(**self.recipe)

    def edited(self) -> list[str]:
        """Recipe fields whose value differs from the recipe."""
        if self.recipe is None:
            return []
        now = self.values().__dict__
        return [k for k in RECIPE_FIELDS if now[k] != self.recipe[k]]

    def save(self, settings: QSettings) -> None:
        for key, value in self.values().__dict__.items():
            settings.setValue(SETTINGS_PREFIX + key, "" if value is None else value)
        settings.setValue(RECIPE_KEY, self.recipe_name)

    def restore(self, settings: QSettings) -> bool:
        """Values saved by ``save``, if they edit the recipe now applied; False if there
        were none or they belong to another network's recipe (that recipe stays whole;
        only the seed is taken)."""
        if settings.value(SETTINGS_PREFIX + "lr") is None:
            return False
        if self.recipe is not None and str(settings.value(RECIPE_KEY, "")) != self.recipe_name:
            seed = settings.value(SETTINGS_PREFIX + "seed")
            with suppress(TypeError, ValueError):
                self.set_values(seed=int(float(seed)))
            return False
        values: dict[str, Any] = {}
        for key, kind in KINDS.items():
            raw = settings.value(SETTINGS_PREFIX + key)
            if raw is None:
                continue
            try:
                values[key] = None if raw == "" else (
                    kind(float(raw)) if kind in (int, float) else str(raw))
            except (TypeError, ValueError):
                continue  # a hand-edited settings file: keep the current value
        self.set_values(**values)
        return True

    # ------------------------------------------------------------------ internals
    def _editors(self) -> list[QWidget]:
        return [getattr(self, key) for key in FIELDS]

    def _update_enabled(self) -> None:
        self.momentum.setEnabled(self.optimizer.currentData() == "momentum")
        self._update_markers()

    def _update_markers(self) -> None:
        """Mark the fields changed from the recipe; say whose recipe the rest are."""
        edited = self.edited()
        for key, label in self.row_labels.items():
            changed = key in edited
            label.setText(LABELS[key] + (EDITED if changed else ""))
            label.setStyleSheet("color: #9a6700; font-weight: bold;" if changed else "")
            if changed and self.recipe is not None:
                label.setToolTip(f"Changed from {self.recipe_name}'s recipe value "
                                 f"{_show(key, self.recipe[key])}")
            else:
                label.setToolTip("" if key == "seed" or self.recipe is None else
                                 f"From {self.recipe_name}'s recipe")
        self.reset_button.setEnabled(bool(edited))
        if self.recipe is None:
            self.recipe_label.setText("")
        elif edited:
            self.recipe_label.setText(f"Recipe of {self.recipe_name}, {len(edited)} "
                                      f"changed {EDITED.strip()}")
        else:
            self.recipe_label.setText(f"Recipe of {self.recipe_name}")

    def _on_editor_changed(self, *_: object) -> None:
        self._update_enabled()
        self.changed.emit()


def _show(key: str, value: Any) -> str:
    if key == "init" and value is None:
        return KEEP_INIT
    if key == "grad_clip" and value is None:
        return "off"
    if key == "optimizer":
        return OPTIMIZER_TITLES.get(value, str(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


class _FloatBox(QDoubleSpinBox):
    """Shows 0.9 and 0.0003 rather than 0.900000 and 0.000300; takes typed ``1e-3``.

    A typed value outside the range is not silently cut: it is clamped when editing ends
    and ``clamped(text)`` says so (the form shows it next to the field).
    """

    clamped = Signal(str)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt naming)
        return f"{value:.{self.decimals()}g}" if value else "0"

    def valueFromText(self, text: str) -> float:  # noqa: N802
        value = _parse(text)
        return self.minimum() if value is None else min(max(value, self.minimum()),
                                                        self.maximum())

    def validate(self, text: str, pos: int) -> object:
        value = _parse(text)
        if value is None:
            partial = text.strip().lower()
            ok = all(c in "0123456789.e+-" for c in partial)
            return (QValidator.State.Intermediate if ok else QValidator.State.Invalid,
                    text, pos)
        inside = self.minimum() <= value <= self.maximum()
        return (QValidator.State.Acceptable if inside else QValidator.State.Intermediate,
                text, pos)

    def fixup(self, text: str) -> str:
        value = _parse(text)
        if value is None:
            return self.textFromValue(self.value())
        limited = min(max(value, self.minimum()), self.maximum())
        if limited != value:
            bound = "smallest" if limited > value else "largest"
            self.clamped.emit(f"{value:g} is outside the range: limited to "
                              f"{self.textFromValue(limited)}, the {bound} value this "
                              f"field takes")
        return self.textFromValue(limited)


def _parse(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _double(lo: float, hi: float, decimals: int, value: float, *, step: float = 0.01
            ) -> QDoubleSpinBox:
    box = _FloatBox()
    box.setRange(lo, hi)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    box.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
    return box


def _int(lo: int, hi: int, value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    return box


def _combo(items: tuple[str, ...]) -> QComboBox:
    box = QComboBox()
    box.addItems(list(items))
    return box
