"""Which VGG-19 convolutions are style layers and which are content layers."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QPushButton, QWidget

from engine.style import BOOK_CONTENT_LAYERS, BOOK_STYLE_LAYERS, CONV_LAYERS, layer_name


class LayerPicker(QWidget):
    """A row per convolution: its name and index, a Style and a Content checkbox.

    ``layers_changed(style, content)`` carries two tuples of ``features`` indices.
    """

    layers_changed = Signal(tuple, tuple)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(0)
        for col, text in enumerate(("layer", "style", "content")):
            head = QLabel(f"<b>{text}</b>")
            grid.addWidget(head, 0, col, alignment=Qt.AlignmentFlag.AlignCenter if col
                           else Qt.AlignmentFlag.AlignLeft)
        self.style_boxes: dict[int, QCheckBox] = {}
        self.content_boxes: dict[int, QCheckBox] = {}
        for row, index in enumerate(CONV_LAYERS, start=1):
            name = QLabel(f"{layer_name(index)} <span style='color:#888'>({index})</span>")
            name.setToolTip(f"VGG-19 features[{index}]; shallow layers carry fine texture, "
                            "deep ones larger patterns and the layout")
            grid.addWidget(name, row, 0)
            for col, boxes, kind in ((1, self.style_boxes, "style"),
                                     (2, self.content_boxes, "content")):
                box = QCheckBox()
                box.setToolTip(f"Use {layer_name(index)} as a {kind} layer")
                box.toggled.connect(self._emit)
                grid.addWidget(box, row, col, alignment=Qt.AlignmentFlag.AlignCenter)
                boxes[index] = box
        book = QPushButton("Book's layers")
        book.setToolTip("Style conv1_1, conv2_1, conv3_1, conv4_1, conv5_1; content conv4_4 "
                        "(d2l 14.12)")
        book.clicked.connect(lambda: self.set_layers(BOOK_STYLE_LAYERS, BOOK_CONTENT_LAYERS,
                                                     emit=True))
        grid.addWidget(book, len(CONV_LAYERS) + 1, 0, 1, 3)
        self._emitting = True

    def set_layers(self, style: Sequence[int], content: Sequence[int], *,
                   emit: bool = False) -> None:
        self._emitting = False
        for index, box in self.style_boxes.items():
            box.setChecked(index in style)
        for index, box in self.content_boxes.items():
            box.setChecked(index in content)
        self._emitting = True
        if emit:
            self._emit()

    def layers(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        style = tuple(i for i, b in self.style_boxes.items() if b.isChecked())
        content = tuple(i for i, b in self.content_boxes.items() if b.isChecked())
        return style, content

    def _emit(self) -> None:
        if self._emitting:
            self.layers_changed.emit(*self.layers())
