"""The Detect tab's run form: image size, training images, epochs, optimiser recipe and
learning rate — remembered between sessions; ``config()`` is the run's ``RunConfig``
(``engine.detection.ssd.training_config``, where the recipes and defaults are written)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QSpinBox

from engine.detection.ssd import RECIPES
from engine.detection.ssd import TRAINING_DEFAULTS as DEFAULTS

SIZES = (128, 256)
FORM_KEY = "detect/form"
RECIPE_TITLES = {"adam": "Adam (learns in a few epochs)", "sgd": "SGD (the book's)"}


class RunForm(QGroupBox):
    """Editors of a TinySSD run on the procedural bananas."""

    def __init__(self, settings: QSettings, parent: Any = None) -> None:
        super().__init__("TinySSD on bananas (d2l 14.7)", parent)
        self.settings = settings
        self.size = QComboBox()
        for s in SIZES:
            self.size.addItem(f"{s}×{s}", s)
        self.size.setCurrentIndex(self.size.findData(int(DEFAULTS["size"])))
        self.size.setToolTip("Image side. The book trains on 256×256; 128×128 trains about "
                             "4× faster on a CPU with the same network")
        self.n_train = QSpinBox(minimum=32, maximum=5000, value=int(DEFAULTS["n_train"]),
                                singleStep=100)
        self.n_train.setToolTip("Generated training images (the book's set has 1,000); "
                                "100 validation images")
        self.epochs = QSpinBox(minimum=1, maximum=200, value=int(DEFAULTS["epochs"]))
        self.epochs.setToolTip("Passes over the training images (the book: 20)")
        self.recipe = QComboBox()
        for name in RECIPES:
            self.recipe.addItem(RECIPE_TITLES.get(name, name), name)
        self.recipe.setToolTip("Adam, lr 1e-3: a detector that finds most bananas after "
                               "about 5 epochs on a CPU. SGD, lr 0.2: the book's recipe, "
                               "which needs many more epochs. Both: weight decay 5e-4, "
                               "batch 32")
        self.lr = QDoubleSpinBox(minimum=1e-4, maximum=1.0, decimals=4, singleStep=0.05)
        self.lr.setToolTip("Learning rate; choosing an optimiser sets its usual value")
        self.recipe.currentIndexChanged.connect(
            lambda _i: self.lr.setValue(float(RECIPES[self.recipe.currentData()]["lr"])))
        self.lr.setValue(float(RECIPES[self.recipe.currentData()]["lr"]))
        form = QFormLayout(self)
        form.addRow("image size", self.size)
        form.addRow("training images", self.n_train)
        form.addRow("epochs", self.epochs)
        form.addRow("optimiser", self.recipe)
        form.addRow("learning rate", self.lr)
        self.restore()

    def config(self, *, force_cpu: bool = False) -> Any:
        from engine.detection.ssd import training_config

        return training_config(recipe=self.recipe.currentData(),
                               size=int(self.size.currentData()),
                               n_train=self.n_train.value(), epochs=self.epochs.value(),
                               lr=self.lr.value(), device="cpu" if force_cpu else "auto")

    def side(self) -> int:
        return int(self.size.currentData())

    def restore(self) -> None:
        """The form as the learner left it last time (QSettings ``detect/form``)."""
        values = {k: self.settings.value(f"{FORM_KEY}/{k}")
                  for k in ("size", "n_train", "epochs", "recipe", "lr")}
        try:
            if values["recipe"] in RECIPES:
                self.recipe.setCurrentIndex(self.recipe.findData(values["recipe"]))
            if values["size"] is not None and self.size.findData(int(values["size"])) >= 0:
                self.size.setCurrentIndex(self.size.findData(int(values["size"])))
            for key, box in (("n_train", self.n_train), ("epochs", self.epochs)):
                if values[key] is not None:
                    box.setValue(int(values[key]))
            if values["lr"] is not None:
                self.lr.setValue(float(values["lr"]))
        except (TypeError, ValueError):  # a hand-edited settings file: keep the defaults
            pass

    def remember(self) -> None:
        for key, value in (("size", self.side()), ("n_train", self.n_train.value()),
                           ("epochs", self.epochs.value()),
                           ("recipe", self.recipe.currentData()), ("lr", self.lr.value())):
            self.settings.setValue(f"{FORM_KEY}/{key}", value)
