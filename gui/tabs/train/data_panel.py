"""Dataset choice and options: subset sizes, noise, resize, data folder, downloads."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from engine.data import DatasetInfo, dataset_info, default_data_root, list_datasets
from gui.tabs.train.job import DataOptions

ROOT_KEY = "train/data_root"
FOLDER_KEY = "train/image_folder"
DOWNLOAD_KEY = "train/allow_download"
ERROR_STYLE = "color: #b00020;"
FALLBACK = "procedural-shapes"


class DataPanel(QWidget):
    """Pick a dataset and its options; ``changed`` fires on any edit."""

    changed = Signal()

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.combo = QComboBox()
        for info in list_datasets(tasks=("classification", "regression")):
            self.combo.addItem(info.title, info.name)
            self.combo.setItemData(self.combo.count() - 1, info.description,
                                   Qt.ItemDataRole.ToolTipRole)
        self.description = _wrapped("color: #555;")
        self.n_train = _count("Training examples to use (a seeded random subset of file "
                              "datasets, the generated size of offline ones); all = default")
        self.n_test = _count("Test examples to use; all = the dataset's default")
        self.noise = QDoubleSpinBox()
        self.noise.setRange(0.0, 5.0)
        self.noise.setSingleStep(0.05)
        self.noise.setToolTip("Noise of the generated 2-D set (std of the jitter)")
        self.resize_box = QSpinBox()
        self.resize_box.setRange(0, 512)
        self.resize_box.setSpecialValueText("none")
        self.resize_box.setSuffix(" px")
        self.resize_box.setToolTip("Resize images to N×N (the book: 224 for AlexNet, 96 for "
                                   "ResNet); none keeps the dataset's size")
        self.root_edit = QLineEdit(str(settings.value(ROOT_KEY, str(default_data_root()))))
        self.root_edit.setToolTip("Folder holding MNIST / Fashion-MNIST / CIFAR-10 files "
                                  "(remembered)")
        self.folder_edit = QLineEdit(str(settings.value(FOLDER_KEY, "")))
        self.folder_edit.setPlaceholderText("folder with one sub-folder per class")
        self.folder_edit.setToolTip("Your images: one sub-folder per class, optionally "
                                    "under train/ and test/")
        self.download = QCheckBox("Allow download")
        self.download.setToolTip("Let torchvision download missing files (needs internet)")
        self.download.setChecked(str(settings.value(DOWNLOAD_KEY, "false")) == "true")
        self.in_use = _wrapped()
        self.in_use.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._build()

    def _build(self) -> None:
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Dataset", self.combo)
        form.addRow(self.description)
        subset = QHBoxLayout()
        subset.addWidget(self.n_train, 1)
        subset.addWidget(QLabel("test"))
        subset.addWidget(self.n_test, 1)
        form.addRow("Train / test", subset)
        form.addRow("Noise", self.noise)
        form.addRow("Resize", self.resize_box)
        form.addRow("Data folder", _with_browse(self.root_edit, self._ask_root))
        form.addRow("Image folder", _with_browse(self.folder_edit, self._ask_folder))
        form.addRow("", self.download)
        form.addRow(self.in_use)
        self._form = form
        self.combo.currentIndexChanged.connect(self._on_combo_changed)
        for box in (self.n_train, self.n_test, self.noise, self.resize_box):
            box.valueChanged.connect(self.changed)
        self.root_edit.editingFinished.connect(self._on_paths_edited)
        self.folder_edit.editingFinished.connect(self._on_paths_edited)
        self.download.toggled.connect(self._on_paths_edited)
        self._on_combo_changed()

    # ------------------------------------------------------------------ state
    @property
    def name(self) -> str:
        return str(self.combo.currentData())

    def info(self) -> DatasetInfo:
        return dataset_info(self.name)

    def set_dataset(self, name: str) -> None:
        index = self.combo.findData(name)
        if index >= 0:
            self.combo.setCurrentIndex(index)

    def set_resize(self, resize: int | None) -> None:
        with QSignalBlocker(self.resize_box):
            self.resize_box.setValue(resize or 0)
        self.changed.emit()

    def set_subset(self, n_train: int | None, n_test: int | None) -> None:
        for box, value in ((self.n_train, n_train), (self.n_test, n_test)):
            with QSignalBlocker(box):
                box.setValue(value or 0)
        self.changed.emit()

    def set_data_root(self, path: str) -> None:
        self.root_edit.setText(path)
        self._on_paths_edited()

    def resize_value(self) -> int | None:
        return self.resize_box.value() or None

    def input_shape(self) -> tuple[int, ...] | None:
        """One example's shape after the resize, or None when only the files know."""
        shape = self.info().input_shape
        size = self.resize_value()
        if shape is None or size is None or len(shape) != 3:
            return shape
        return (shape[0], size, size)

    def options(self) -> DataOptions:
        info = self.info()
        extra = {"noise": self.noise.value()} if "noise" in info.options else {}
        root = self.folder_edit.text().strip() if info.name.startswith("image-folder") else (
            self.root_edit.text().strip())
        return DataOptions(info.name, root or None, self.download.isChecked(),
                           self.resize_value(), self.n_train.value() or None,
                           self.n_test.value() or None, extra)

    def show_in_use(self, text: str, *, error: bool = False) -> None:
        self.in_use.setStyleSheet(ERROR_STYLE if error else "color: #1a7f37;")
        self.in_use.setText(text)

    # ------------------------------------------------------------------ slots
    def _on_combo_changed(self, *_: object) -> None:
        info = self.info()
        self.description.setText(info.description)
        has_noise = "noise" in info.options
        if has_noise:
            with QSignalBlocker(self.noise):
                self.noise.setValue(float(info.options["noise"]))
        image = info.input_shape is None or len(info.input_shape) == 3
        self._set_row_visible(self.noise, has_noise)
        self._set_row_visible(self.resize_box, image)
        self._set_row_visible(self.root_edit.parentWidget(), not info.offline
                              and not info.name.startswith("image-folder"))
        self._set_row_visible(self.folder_edit.parentWidget(), info.name.startswith("image-folder"))
        self.download.setVisible(not info.offline and not info.name.startswith("image-folder"))
        self.show_in_use("")
        self.changed.emit()

    def _set_row_visible(self, field: QWidget, visible: bool) -> None:
        self._form.setRowVisible(field, visible)

    def _on_paths_edited(self) -> None:
        self.settings.setValue(ROOT_KEY, self.root_edit.text().strip())
        self.settings.setValue(FOLDER_KEY, self.folder_edit.text().strip())
        self.settings.setValue(DOWNLOAD_KEY, "true" if self.download.isChecked() else "false")
        self.changed.emit()

    def _ask_root(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Data folder", self.root_edit.text())
        if path:
            self.set_data_root(path)

    def _ask_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Image folder", self.folder_edit.text()
                                                or str(Path.home()))
        if path:
            self.folder_edit.setText(path)
            self._on_paths_edited()


def _wrapped(style: str = "") -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    if style:
        label.setStyleSheet(style)
    return label


def _count(tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(0, 1_000_000)
    box.setSingleStep(256)
    box.setSpecialValueText("all")
    box.setToolTip(tip)
    box.setGroupSeparatorShown(True)
    return box


def _with_browse(edit: QLineEdit, slot) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(edit, 1)
    button = QPushButton("Browse…")
    button.setToolTip("Choose the folder")
    button.clicked.connect(slot)
    row.addWidget(button)
    return box
