"""Feature maps: every convolution's channels as a grid, click a map to enlarge it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from widgets.qimage import array_to_qimage

from .render import Mosaic, enlarge


class MosaicLabel(QLabel):
    """One layer's mosaic, shown at an integer zoom; emits the clicked channel."""

    channel_clicked = Signal(int)

    def __init__(self, m: Mosaic, zoom: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mosaic, self.zoom = m, zoom
        image = array_to_qimage(m.image)
        self.setPixmap(QPixmap.fromImage(image).scaled(
            m.image.shape[1] * zoom, m.image.shape[0] * zoom,
            Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.FastTransformation))
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click a map to enlarge it")

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        pos = event.position()
        channel = self.mosaic.channel_at(pos.x() / self.zoom, pos.y() / self.zoom)
        if channel is not None:
            self.channel_clicked.emit(channel)


class FeatureMapsView(QWidget):
    """Layer rows of channel grids beside an enlarged map.

    Signals:
        refresh_requested(): the user wants the maps of the current weights.
        scale_changed(bool): shared (True) or per-map colour scale.
    """

    refresh_requested = Signal()
    scale_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._maps: list = []
        self._mosaics: list[Mosaic] = []
        self._build()

    def _build(self) -> None:
        bar = QHBoxLayout()
        self.shared = QCheckBox("Shared colour scale per layer")
        self.shared.setChecked(True)
        self.shared.setToolTip("On: one colour range for all maps of a layer (compare "
                               "channels). Off: each map stretched to its own range "
                               "(see every map's pattern).")
        self.shared.toggled.connect(self.scale_changed)
        self.refresh = QPushButton("Refresh with current weights")
        self.refresh.setToolTip("Run the input through the network again (during "
                                "training: the weights as they are now)")
        self.refresh.clicked.connect(self.refresh_requested)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        bar.addWidget(self.shared)
        bar.addWidget(self.refresh)
        bar.addWidget(self.status, 1)
        self.rows = QWidget()
        self.rows_layout = QVBoxLayout(self.rows)
        self.rows_layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.rows)
        self.scroll = scroll
        side = QWidget()
        side_layout = QVBoxLayout(side)
        self.big_title = QLabel("Click a map to enlarge it")
        self.big_title.setWordWrap(True)
        self.big = QLabel()
        self.big.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.big.setMinimumSize(200, 200)
        side_layout.addWidget(self.big_title)
        side_layout.addWidget(self.big, 1)
        split = QSplitter()
        split.addWidget(scroll)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([700, 260])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(split, 1)

    # ------------------------------------------------------------------ state in
    def show_message(self, text: str) -> None:
        self.status.setText(text)

    def clear(self, text: str = "") -> None:
        while self.rows_layout.count():
            item = self.rows_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self._maps, self._mosaics = [], []
        self.big.clear()
        self.big_title.setText("Click a map to enlarge it")
        if text:
            note = QLabel(text)
            note.setWordWrap(True)
            self.rows_layout.addWidget(note)

    def set_maps(self, maps: tuple, mosaics: tuple[Mosaic, ...], notes: tuple[str, ...] = ()
                 ) -> None:
        """Show ``FeatureMap`` s with their precomputed mosaics."""
        self.clear()
        self._maps, self._mosaics = list(maps), list(mosaics)
        if not maps:
            self.clear(" ".join(notes) or "No feature maps.")
            return
        width = max(200, self.scroll.viewport().width() - 30)
        for i, (m, mos) in enumerate(zip(maps, mosaics, strict=True)):
            title = QLabel(f"<b>{m.label}</b> — values {mos.lo:.3g} … {mos.hi:.3g}"
                           + (f" (first {mos.channels} of {m.shape[0]} channels)"
                              if mos.channels < m.shape[0] else ""))
            # fit the width, but keep a tile under ~100 px so many layers fit in view
            zoom = int(np.clip(min(width // max(1, mos.image.shape[1]),
                                   100 // max(1, mos.tile_h)), 1, 8))
            label = MosaicLabel(mos, zoom)
            label.channel_clicked.connect(lambda c, i=i: self.enlarge(i, c))
            self.rows_layout.addWidget(title)
            self.rows_layout.addWidget(label)
        self.enlarge(0, 0)

    def enlarge(self, layer: int, channel: int) -> None:
        """Show channel ``channel`` of layer ``layer`` big, with its value range."""
        if not 0 <= layer < len(self._maps):
            return
        m, mos = self._maps[layer], self._mosaics[layer]
        from .render import as_channels

        a = as_channels(m.activation)[channel]
        shared = self.shared.isChecked()
        rgb = enlarge(a, lo=mos.lo if shared else None, hi=mos.hi if shared else None)
        self.big.setPixmap(QPixmap.fromImage(array_to_qimage(rgb)))
        self.big_title.setText(f"<b>{m.name}</b> ({m.kind}) channel {channel}: "
                               f"{a.shape[-1]}×{a.shape[0]}, values {a.min():.3g} … "
                               f"{a.max():.3g}")
        self.enlarged = (layer, channel)

    def layer_count(self) -> int:
        return len(self._maps)
