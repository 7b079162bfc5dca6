"""NetworkDiagram: the net as a vertical flow of boxes with their output shapes."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QGraphicsScene, QGraphicsView

from engine.builder import NetworkSpec, Summary, layer_type
from gui.tabs.build.format import GROUP_COLORS, settings_text, shape_text

BOX_W, BOX_H, GAP, SHAPE_W = 168, 30, 14, 92
ERROR_FILL, ERROR_EDGE, SELECT_EDGE = "#ffd3d3", "#c62828", "#1a73e8"


class NetworkDiagram(QGraphicsView):
    """Input, one box per entry (blocks in bold), output; click a box to select its row."""

    row_clicked = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setBackgroundBrush(QBrush(QColor("#fafafa")))
        self.setToolTip("The network top to bottom; the text right of a box is its output "
                        "shape (batch dim left out). Click a box to select the row.")
        self.boxes: list[QGraphicsRectItem] = []

    def show_network(self, spec: NetworkSpec, summary: Summary, selected: int | None) -> None:
        scene = self.scene()
        scene.clear()
        self.boxes = []
        y = 0.0
        self._terminal(y, "input", shape_text(summary.input_shape, batch=False))
        for row in summary.layers:
            y += BOX_H + GAP
            entry = spec.layers[row.index]
            lt = layer_type(entry.type)
            box = self._box(y, entry.type, settings_text(entry.type, entry.params),
                            GROUP_COLORS[lt.group], bold=lt.is_block)
            box.setData(0, row.index)
            box.setToolTip(row.error or f"{row.name}: output {shape_text(row.output_shape)}")
            if row.error:
                box.setBrush(QBrush(QColor(ERROR_FILL)))
                box.setPen(QPen(QColor(ERROR_EDGE), 2))
                self._shape(y, "✖ error", ERROR_EDGE)
            elif row.output_shape is not None:
                self._shape(y, shape_text(row.output_shape, batch=False), "#333")
            if row.index == selected:
                box.setPen(QPen(QColor(SELECT_EDGE), 2.5))
            self.boxes.append(box)
        if summary.layers and summary.error is None:
            y += BOX_H + GAP
            self._terminal(y, "output", shape_text(summary.output_shape, batch=False))
        scene.setSceneRect(QRectF(-8, -8, BOX_W + SHAPE_W + 24, y + BOX_H + 16))
        if selected is not None and 0 <= selected < len(self.boxes):
            self.ensureVisible(self.boxes[selected], 10, 40)

    def _box(self, y: float, title: str, detail: str, fill: str, *,
             bold: bool = False) -> QGraphicsRectItem:
        scene = self.scene()
        if y > 0:
            scene.addLine(BOX_W / 2, y - GAP, BOX_W / 2, y, QPen(QColor("#777"), 1.5))
        box = scene.addRect(QRectF(0, y, BOX_W, BOX_H), QPen(QColor("#888")),
                            QBrush(QColor(fill)))
        font = QFont(self.font())
        font.setBold(bold)
        text = scene.addSimpleText(title if not detail else f"{title}  {detail}", font)
        metrics_w = text.boundingRect().width()
        if metrics_w > BOX_W - 10:  # keep the type, shorten the settings
            text.setText(self.fontMetrics().elidedText(text.text(), Qt.TextElideMode.ElideRight,
                                                       BOX_W - 14))
        text.setPos(6, y + (BOX_H - text.boundingRect().height()) / 2)
        text.setParentItem(box)
        text.setPos(6, y + (BOX_H - text.boundingRect().height()) / 2)
        return box

    def _terminal(self, y: float, title: str, shape: str) -> None:
        box = self._box(y, title, "", "#ffffff")
        box.setPen(QPen(QColor("#aaa"), 1, Qt.PenStyle.DashLine))
        self._shape(y, shape, "#333")

    def _shape(self, y: float, text: str, color: str) -> None:
        item = self.scene().addSimpleText(text)
        item.setBrush(QBrush(QColor(color)))
        item.setPos(BOX_W + 8, y + (BOX_H - item.boundingRect().height()) / 2)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        for item in self.items(event.position().toPoint()):
            while item.parentItem() is not None:
                item = item.parentItem()
            if isinstance(item, QGraphicsRectItem) and item.data(0) is not None:
                self.row_clicked.emit(int(item.data(0)))
                return
        super().mousePressEvent(event)
