"""Segment: transposed convolution, the book's FCN and per-pixel predictions (d2l
14.9–14.11).

Three sections: the **Transposed conv** explorer (grids, formula, matrix view, a photo
upsampled by a bilinear-initialised transposed convolution), **Train** (the FCN on the
offline procedural scenes or VOC2012, on the shared ``gui.training`` views) and the
**Viewer** (image | prediction | ground
truth, overlay, hover readout, drop your own image). The tab holds the network the
viewer predicts with: until one is trained or loaded, an untrained FCN, and the
viewer says so.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.segmentation import SCENE_CLASSES, SCENE_COLORS, VOC_CLASSES, VOC_COLORMAP
from gui.context import AppContext
from gui.tabs.base import PlaygroundTab
from gui.tabs.segment.explorer import ExplorerPanel
from gui.tabs.segment.viewer import ViewerPanel

SCENE_SIZE = 64
HELD_OUT = 200  # the procedural set's default test split, so these are never trained on


def class_colors(names: tuple[str, ...]) -> list[tuple[int, int, int]]:
    """The dataset's own label colours (VOC's colormap, the scenes'), else a palette."""
    if tuple(names) == VOC_CLASSES:
        return [tuple(c) for c in VOC_COLORMAP]
    if tuple(names) == SCENE_CLASSES:
        return [tuple(c) for c in SCENE_COLORS]
    import colorsys

    out = [(0, 0, 0)]
    for i in range(1, len(names)):
        r, g, b = colorsys.hsv_to_rgb((i * 0.618) % 1.0, 0.75, 0.95)
        out.append((round(r * 255), round(g * 255), round(b * 255)))
    return out


class SegmentTab(PlaygroundTab):
    key = "segment"
    title = "Segment"

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.model: Any = None  # engine.segmentation.network.SegmentationModel
        self.predictor = self.make_runner("predict")
        self.predictor.event.connect(self._on_predictor_event)
        self.loader = self.make_runner("load-network")
        self.loader.event.connect(self._on_loader_event)
        self.loader.failed.connect(self._on_loader_failed)
        self._build()
        self._use_untrained()
        self._load_scenes()

    def _build(self) -> None:
        self.sections = QTabWidget()
        self.explorer = ExplorerPanel()
        self.sections.addTab(self.explorer, self.explorer.title)
        from gui.tabs.segment.train_panel import TrainPanel

        self.train_panel = TrainPanel(self)
        self.train_panel.network_trained.connect(self._on_train_panel_network_trained)
        self.sections.addTab(self.train_panel, self.train_panel.title)
        viewer_box = QWidget()
        col = QVBoxLayout(viewer_box)
        col.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.network_label = QLabel()
        self.network_label.setWordWrap(True)
        load = QPushButton("Load network…")
        load.setToolTip("A checkpoint (.pt) of a segmentation run saved by this app, e.g. "
                        "python -m engine train --zoo fcn --dataset procedural-scenes --save "
                        "run.pt")
        load.clicked.connect(self._on_load_clicked)
        self.tv_button = QToolButton()
        self.tv_button.setText("torchvision")
        self.tv_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.tv_menu = QMenu(self.tv_button)
        self.tv_menu.aboutToShow.connect(self._fill_tv_menu)
        self.tv_button.setMenu(self.tv_menu)
        self.tv_button.setToolTip("torchvision's pretrained segmentation networks (VOC "
                                  "classes) whose weights are in the torch cache; nothing is "
                                  "downloaded")
        bar.addWidget(self.network_label, 1)
        bar.addWidget(self.tv_button)
        bar.addWidget(load)
        col.addLayout(bar)
        self.viewer = ViewerPanel(self.request_prediction)
        col.addWidget(self.viewer, 1)
        self.sections.addTab(viewer_box, self.viewer.title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.sections)

    # -------------------------------------------------------------- network
    def _use_untrained(self) -> None:
        import torch

        from engine.segmentation.network import FCN, SegmentationModel

        torch.manual_seed(0)
        net = FCN(len(SCENE_CLASSES), stride=8)
        self.set_model(SegmentationModel(net, SCENE_CLASSES, "untrained FCN (stride 8, "
                                         "random init): its masks are noise until trained"))

    def set_model(self, model: Any) -> None:
        self.model = model
        self.network_label.setText(f"Network: {model.source}")
        self.viewer.set_classes(model.class_names, class_colors(model.class_names))
        if self.viewer.image is not None:
            self.request_prediction(self.viewer.image)

    def _on_train_panel_network_trained(self, model: Any, class_names: Any, source: str
                                        ) -> None:
        from engine.segmentation.network import SegmentationModel

        self.set_model(SegmentationModel(model.net, tuple(class_names), source))

    def _on_load_clicked(self) -> None:
        from gui.dialogs import ask_path

        path = ask_path(self, self.context.settings, "segment/checkpoint",
                        "Segmentation checkpoint", file_filter="Checkpoints (*.pt *.pth);;All "
                        "files (*)")
        if path:
            self.load_network(path)

    def load_network(self, path: str) -> bool:
        from engine.segmentation.network import load_segmentation_checkpoint

        try:
            model = load_segmentation_checkpoint(path)
        except ValueError as exc:
            self.context.error(f"Segment: {exc}")
            self.network_label.setText(f"<span style='color:#d32f2f'>{exc}</span> — still "
                                       f"using: {self.model.source}")
            return False
        self.set_model(model)
        self.context.info(f"Segment: loaded {model.source}")
        return True

    def _fill_tv_menu(self) -> None:
        from engine.segmentation.pretrained import SEGMENTERS, cache_file, cached_segmenters

        self.tv_menu.clear()
        cached = set(cached_segmenters())
        for name in SEGMENTERS:
            action = self.tv_menu.addAction(name if name in cached else
                                            f"{name} (not in the cache)")
            action.setEnabled(name in cached)
            action.setToolTip(str(cache_file(name)))
            action.triggered.connect(lambda _=False, n=name: self.load_segmenter(n))

    def load_segmenter(self, name: str) -> None:
        """torchvision's ``name`` from the cache, loaded on a worker (large files)."""
        from engine.segmentation.pretrained import load_segmenter

        self.network_label.setText(f"Loading {name}…")
        self.loader.start(lambda control: iter([load_segmenter(name)]))

    def _on_loader_event(self, model: Any) -> None:
        self.set_model(model)

    def _on_loader_failed(self, message: str) -> None:
        self.network_label.setText(f"<span style='color:#d32f2f'>{message}</span> — still "
                                   f"using: {self.model.source}")

    # -------------------------------------------------------------- prediction
    def _load_scenes(self) -> None:
        from engine.data import load_dataset

        b = load_dataset("procedural-scenes", batch_size=8, n_train=1, n_test=HELD_OUT,
                         size=SCENE_SIZE)
        X, y = b.test.dataset.X, b.test.dataset.y
        self.viewer.set_scenes(np.ascontiguousarray(X.permute(0, 2, 3, 1).numpy()), y.numpy())

    def request_prediction(self, image: np.ndarray) -> None:
        from engine.segmentation.network import predict

        net, device = self.model.net, self.context.device

        def job(control: Any) -> Any:
            net.to(device)
            yield predict(net, image, device=device)

        self.predictor.start(job)

    def _on_predictor_event(self, prediction: Any) -> None:
        self.viewer.show_prediction(prediction)

    # -------------------------------------------------------------- PlaygroundTab
    def accepts_images(self) -> bool:
        return True

    def open_image(self, path: str) -> bool:
        self.sections.setCurrentIndex(2)
        return self.viewer.image_canvas.load_file(path)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        ok = super().shutdown(timeout_ms)  # stops the run (within a batch) and waits
        self.train_panel.shutdown()  # the run in progress is kept as stopped
        return ok
