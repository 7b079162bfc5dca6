"""The hyper-parameter form: the book's knobs, per-network defaults, remembered values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QSettings, QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QSpinBox,
    QWidget,
)

from engine.training import INITS, LOSSES, OPTIMIZERS, SCHEDULES
from engine.training.config import config_fields
from gui.tabs.train.job import HyperParams

SETTINGS_PREFIX = "train/hparams/"
KEEP_INIT = "network's own"
OPTIMIZER_TITLES = {"sgd": "SGD", "momentum": "SGD + momentum", "adam": "Adam",
                    "adamw": "AdamW"}
# Names, labels, tooltips, ranges and defaults come from RunConfig's field metadata.
FIELDS = {f.name: f for f in config_fields("hparams")}
KINDS: dict[str, type] = {k: f.metadata["kind"] if f.metadata["kind"] in (int, float) else str
                          for k, f in FIELDS.items()}
TIPS = {k: f.metadata["help"] for k, f in FIELDS.items()}


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
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        for key, f in FIELDS.items():
            label, editor = f.metadata["label"], getattr(self, key)
            editor.setToolTip(TIPS[key])
            form.addRow(label, editor)
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
            grad_clip=clip if clip > 0 else None)

    def set_values(self, **values: Any) -> None:
        """Set some fields (names of ``HyperParams``) without emitting per field."""
        blockers = [QSignalBlocker(w) for w in self._editors()]
        for key, value in values.items():
            editor = getattr(self, key, None)
            if editor is None:
                continue
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

    def apply_defaults(self, train_defaults: Mapping[str, Any]) -> None:
        """The network's ``train_defaults`` (the book's lr, batch size, epochs, loss)."""
        self.set_values(**{k: train_defaults[k] for k in ("lr", "batch_size", "num_epochs",
                                                          "loss") if k in train_defaults})

    def save(self, settings: QSettings) -> None:
        for key, value in self.values().__dict__.items():
            settings.setValue(SETTINGS_PREFIX + key, "" if value is None else value)

    def restore(self, settings: QSettings) -> bool:
        """Values saved by ``save``; False if there were none."""
        if settings.value(SETTINGS_PREFIX + "lr") is None:
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

    def _on_editor_changed(self, *_: object) -> None:
        self._update_enabled()
        self.changed.emit()


class _FloatBox(QDoubleSpinBox):
    """Shows 0.9 and 0.0003 rather than 0.900000 and 0.000300."""

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt naming)
        return f"{value:.{self.decimals()}g}" if value else "0"


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
