"""The transposed-convolution explorer (d2l 14.10): edit an input and a kernel, set the
stride and padding, and see the output, where one input cell lands, the output-size
formula with its numbers, the matrix view (W and Wᵀ), and a photo upsampled by a
transposed convolution initialised with ``bilinear_kernel``.

Everything here is a few hundred multiply-adds (the grids are at most 6x6), so it runs
on the UI thread; the photo is shrunk to at most 160 px before it is upsampled.
"""

from __future__ import annotations

import numpy as np
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.images import load_image, sample_image
from engine.segmentation import (
    bilinear_upsample,
    contribution,
    conv_matrix,
    trans_conv,
    trans_conv_output_size,
)
from gui.tabs.segment.grids import SOURCE, HeatGrid, NumberGrid
from widgets.group_box import group_box
from widgets.image_canvas import ImageCanvas

BOOK_X = np.array([[0.0, 1.0], [2.0, 3.0]])
BOOK_K = np.array([[0.0, 1.0], [2.0, 3.0]])
MATRIX_LIMIT = 400  # cells of Wᵀ's larger side product shown; beyond, a note
PHOTO_SIDE = 160


def _spin(lo: int, hi: int, value: int, tip: str) -> QSpinBox:
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setValue(value)
    s.setToolTip(tip)
    return s


class ExplorerPanel(QWidget):
    """Grids, spin boxes, formula, matrix view and bilinear upsampling."""

    title = "Transposed conv"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.photo: np.ndarray | None = None
        self._build()
        self.x_grid.set_values(BOOK_X)
        self.k_grid.set_values(BOOK_K)
        self.recompute()
        self._load_photo(str(sample_image()))

    # -------------------------------------------------------------- build
    def _build(self) -> None:
        settings = QGridLayout()
        self.n_h = _spin(1, 6, 2, "Input height n_h")
        self.n_w = _spin(1, 6, 2, "Input width n_w")
        self.k_h = _spin(1, 5, 2, "Kernel height k_h")
        self.k_w = _spin(1, 5, 2, "Kernel width k_w")
        self.s_h = _spin(1, 4, 1, "Stride s_h: how far apart (in the output) the kernel "
                                  "copies of neighbouring input cells land")
        self.s_w = _spin(1, 4, 1, "Stride s_w")
        self.p_h = _spin(0, 4, 0, "Padding p_h: rows removed from the top and bottom of the "
                                  "output (a transposed conv pads its output)")
        self.p_w = _spin(0, 4, 0, "Padding p_w: columns removed from the left and right")
        for row, (name, a, b) in enumerate((("input n", self.n_h, self.n_w),
                                            ("kernel k", self.k_h, self.k_w),
                                            ("stride s", self.s_h, self.s_w),
                                            ("padding p", self.p_h, self.p_w))):
            settings.addWidget(QLabel(name), row, 0)
            settings.addWidget(a, row, 1)
            settings.addWidget(QLabel("×"), row, 2)
            settings.addWidget(b, row, 3)
        for s in (self.n_h, self.n_w, self.k_h, self.k_w, self.s_h, self.s_w, self.p_h,
                  self.p_w):
            s.valueChanged.connect(self._on_setting_changed)
        book = QPushButton("Book's example")
        book.setToolTip("X = K = [[0, 1], [2, 3]], stride 1, padding 0 (d2l 14.10.1)")
        book.clicked.connect(self.reset_to_book)
        randomise = QPushButton("Random values")
        randomise.setToolTip("Small random integers in X and K")
        randomise.clicked.connect(self._on_random_clicked)
        settings.addWidget(book, 4, 0, 1, 2)
        settings.addWidget(randomise, 4, 2, 1, 2)
        controls = QWidget()
        controls.setLayout(settings)

        self.x_grid = NumberGrid(editable=True)
        self.x_grid.setToolTip("Input X: edit a value; hover a cell to see where it lands")
        self.k_grid = NumberGrid(editable=True)
        self.k_grid.setToolTip("Kernel K: edit a value")
        self.y_grid = NumberGrid(editable=False)
        self.y_grid.setToolTip("Output Y = trans_conv(X, K): hover a cell for its sum")
        for grid in (self.x_grid, self.k_grid):
            grid.values_changed.connect(self.recompute)
        self.x_grid.cell_hovered.connect(self._on_x_grid_cell_hovered)
        self.y_grid.cell_hovered.connect(self._on_y_grid_cell_hovered)

        grids = QHBoxLayout()
        grids.addWidget(controls)
        for title, grid in (("X (input)", self.x_grid), ("K (kernel)", self.k_grid),
                            ("Y (output)", self.y_grid)):
            grids.addWidget(group_box(title, grid))
        grids.addStretch(1)

        self.formula = QLabel()
        self.formula.setTextFormat(Qt.TextFormat.RichText)
        self.hover = QLabel("Hover an input cell: its value times K is added to the "
                            "highlighted output cells.")
        self.hover.setWordWrap(True)

        self.w_grid = HeatGrid()
        self.wt_grid = HeatGrid()
        self.matrix_note = QLabel()
        self.matrix_note.setWordWrap(True)
        matrices = QHBoxLayout()
        matrices.addWidget(group_box("W (convolution: Y-sized input → X-sized output)",
                                     self.w_grid))
        matrices.addWidget(group_box("Wᵀ (transposed convolution: vec(Y) = Wᵀ · vec(X))",
                                     self.wt_grid))
        matrices.addStretch(1)
        matrix_box = QWidget()
        mcol = QVBoxLayout(matrix_box)
        mcol.setContentsMargins(0, 0, 0, 0)
        mcol.addLayout(matrices)
        mcol.addWidget(self.matrix_note)

        col = QVBoxLayout()
        col.addLayout(grids)
        col.addWidget(self.formula)
        col.addWidget(self.hover)
        col.addWidget(group_box("Matrix view", matrix_box))
        col.addWidget(group_box("Bilinear upsampling of a photo", self._build_photo()))
        col.addStretch(1)
        inner = QWidget()
        inner.setLayout(col)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

    def _build_photo(self) -> QWidget:
        box = QWidget()
        col = QVBoxLayout(box)
        bar = QHBoxLayout()
        self.factor = QComboBox()
        for f in (2, 3, 4):
            self.factor.addItem(f"× {f}", f)
        self.factor.setToolTip("Upsampling factor s: kernel 2s, stride s, padding s/2, "
                               "weights from bilinear_kernel")
        self.factor.currentIndexChanged.connect(self.upsample_photo)
        load = QPushButton("Load photo…")
        load.setToolTip("Upsample your own picture (it is shrunk to 160 px first)")
        load.clicked.connect(self._on_load_clicked)
        self.photo_info = QLabel()
        self.photo_info.setWordWrap(True)
        bar.addWidget(QLabel("factor"))
        bar.addWidget(self.factor)
        bar.addWidget(load)
        bar.addWidget(self.photo_info, 1)
        col.addLayout(bar)
        pics = QHBoxLayout()
        self.photo_in = ImageCanvas(empty_text="Load a photo")
        self.photo_out = ImageCanvas(empty_text="")
        for c in (self.photo_in, self.photo_out):
            c.setMinimumSize(280, 220)
            c.setAcceptDrops(False)
            pics.addWidget(c)
        col.addLayout(pics)
        return box

    # -------------------------------------------------------------- state
    def settings(self) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
        return ((self.k_h.value(), self.k_w.value()), (self.s_h.value(), self.s_w.value()),
                (self.p_h.value(), self.p_w.value()))

    def reset_to_book(self) -> None:
        for spin, v in ((self.n_h, 2), (self.n_w, 2), (self.k_h, 2), (self.k_w, 2),
                        (self.s_h, 1), (self.s_w, 1), (self.p_h, 0), (self.p_w, 0)):
            spin.blockSignals(True)
            spin.setValue(v)
            spin.blockSignals(False)
        self.x_grid.set_values(BOOK_X)
        self.k_grid.set_values(BOOK_K)
        self.recompute()

    def _on_random_clicked(self) -> None:
        g = np.random.default_rng()
        self.x_grid.set_values(g.integers(0, 4, (self.n_h.value(), self.n_w.value())))
        self.k_grid.set_values(g.integers(0, 4, (self.k_h.value(), self.k_w.value())))
        self.recompute()

    def _on_setting_changed(self) -> None:
        if self.x_grid.values().shape != (self.n_h.value(), self.n_w.value()):
            self.x_grid.resize_to(self.n_h.value(), self.n_w.value())
        if self.k_grid.values().shape != (self.k_h.value(), self.k_w.value()):
            self.k_grid.resize_to(self.k_h.value(), self.k_w.value())
        self.recompute()

    def output(self) -> np.ndarray | None:
        return self._Y

    # -------------------------------------------------------------- compute
    def recompute(self) -> None:
        X, K = self.x_grid.values(), self.k_grid.values()
        k, s, p = self.settings()
        n = X.shape
        rows = []
        for dim, i in (("H", 0), ("W", 1)):
            sub = "h" if i == 0 else "w"
            value = (n[i] - 1) * s[i] + k[i] - 2 * p[i]
            rows.append(f"{dim} = (n<sub>{sub}</sub> − 1)·s<sub>{sub}</sub> + k<sub>{sub}</sub>"
                        f" − 2p<sub>{sub}</sub> = ({n[i]} − 1)·{s[i]} + {k[i]} − 2·{p[i]} = "
                        f"<b>{value}</b>")
        try:
            shape = trans_conv_output_size(n, k, s, p)
        except ValueError as exc:
            self._Y = None
            self.y_grid.set_values(np.zeros((0, 0)))
            self.formula.setText("<br>".join(rows) + f"<br><span style='color:#d32f2f'>{exc}"
                                 f"</span>")
            self._show_matrices(None)
            return
        Y = trans_conv(torch.tensor(X), torch.tensor(K), stride=s, padding=p).numpy()
        self._Y = Y
        self.y_grid.set_values(Y)
        self.formula.setText("<br>".join(rows) + f"<br>output {shape[0]} × {shape[1]}")
        self._show_matrices(shape)

    def _show_matrices(self, shape: tuple[int, int] | None) -> None:
        if shape is None:
            self.w_grid.set_matrix(np.zeros((0, 0)))
            self.wt_grid.set_matrix(np.zeros((0, 0)))
            self.matrix_note.setText("")
            return
        X, K = self.x_grid.values(), self.k_grid.values()
        k, s, p = self.settings()
        cells = shape[0] * shape[1]
        if cells * X.size > MATRIX_LIMIT * 4:
            self.w_grid.set_matrix(np.zeros((0, 0)))
            self.wt_grid.set_matrix(np.zeros((0, 0)))
            self.matrix_note.setText(f"Wᵀ would be {cells} × {X.size}: too large to draw "
                                     f"here; shrink the input or the stride.")
            return
        W = conv_matrix(torch.tensor(K), shape, stride=s, padding=p).numpy()
        self.w_grid.set_matrix(W)
        self.wt_grid.set_matrix(W.T)
        same = np.allclose(W.T @ X.reshape(-1), self._Y.reshape(-1))
        self.matrix_note.setText(
            f"W is {W.shape[0]} × {W.shape[1]}: each row is the kernel placed on a "
            f"{shape[0]}×{shape[1]} grid (stride {s[0]}×{s[1]}, padding {p[0]}×{p[1]}). "
            f"Wᵀ · vec(X) {'equals' if same else 'differs from'} vec(Y) "
            f"{'✔' if same else '✘'} — a transposed convolution is the convolution's "
            f"backward pass, not its inverse.")

    # -------------------------------------------------------------- hover
    def _on_x_grid_cell_hovered(self, i: int, j: int) -> None:
        if i < 0 or self._Y is None:
            self.y_grid.highlight(set())
            self.x_grid.highlight(set())
            return
        k, s, p = self.settings()
        X = self.x_grid.values()
        r0, r1, c0, c1 = contribution(i, j, X.shape, k, stride=s, padding=p)
        cells = {(r, c) for r in range(r0, r1) for c in range(c0, c1)}
        self.y_grid.highlight(cells)
        self.x_grid.highlight({(i, j)}, SOURCE)
        where = (f"Y[{r0}:{r1}, {c0}:{c1}]" if cells else "nothing: the padding cuts its "
                 "whole copy away")
        self.hover.setText(f"X[{i}, {j}] = {X[i, j]:g} adds {X[i, j]:g} · K to {where} "
                           f"(rows from {i}·{s[0]} − {p[0]}, columns from {j}·{s[1]} − {p[1]}).")

    def _on_y_grid_cell_hovered(self, r: int, c: int) -> None:
        if r < 0 or self._Y is None:
            self.x_grid.highlight(set())
            return
        k, s, p = self.settings()
        X, K = self.x_grid.values(), self.k_grid.values()
        terms, sources = [], set()
        for i in range(X.shape[0]):
            for j in range(X.shape[1]):
                a, b = r + p[0] - i * s[0], c + p[1] - j * s[1]
                if 0 <= a < k[0] and 0 <= b < k[1]:
                    terms.append(f"X[{i},{j}]·K[{a},{b}] = {X[i, j]:g}·{K[a, b]:g}")
                    sources.add((i, j))
        self.x_grid.highlight(sources, SOURCE)
        self.hover.setText(f"Y[{r}, {c}] = " + (" + ".join(terms) if terms else "0 (no input "
                           "lands here)") + f" = {self._Y[r, c]:g}")

    # -------------------------------------------------------------- photo
    def _on_load_clicked(self) -> None:
        from gui.dialogs import ask_path
        from gui.image_io import image_file_filter

        window = self.window()
        settings = getattr(getattr(window, "context", None), "settings", None)
        path = ask_path(self, settings, "segment/photo", "Photo to upsample",
                        file_filter=image_file_filter())
        if path:
            self._load_photo(path)

    def _load_photo(self, path: str) -> bool:
        try:
            image = load_image(path, max_side=PHOTO_SIDE)
        except ValueError as exc:
            self.photo_info.setText(f"<span style='color:#d32f2f'>{exc}</span>")
            return False
        self.photo = image.array
        self.upsample_photo()
        return True

    def upsample_photo(self) -> None:
        if self.photo is None:
            return
        f = int(self.factor.currentData())
        x = torch.from_numpy(self.photo).permute(2, 0, 1).float() / 255.0
        y = bilinear_upsample(x, f)
        out = (y.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
        self.photo_in.set_image(self.photo)
        self.photo_out.set_image(np.ascontiguousarray(out))
        h, w = self.photo.shape[:2]
        self.photo_info.setText(
            f"input {w}×{h} → output {out.shape[1]}×{out.shape[0]} with "
            f"ConvTranspose2d(3, 3, kernel_size={2 * f}, stride={f}, padding={f // 2}) "
            f"initialised by bilinear_kernel(3, 3, {2 * f})")
