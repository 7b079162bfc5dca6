"""The Train tab's decision-regions view: what the running 2-D classifier predicts where.

The worker computes each ``DecisionMap`` (gui/tabs/train/job.py); this view only turns
it into colours, so a redraw is a 96×96 numpy blend on the UI thread.
"""

from __future__ import annotations

from engine.training import DataSample, DecisionMap
from gui.tabs.build.format import shape_text
from gui.tabs.train.job import is_2d_classification
from widgets.decision_plot import DecisionPlot

NOT_2D_TEXT = ("Decision regions are shown for 2-D datasets: spiral, circles, xor, blobs.\n"
               "{name} examples are {shape}.")
WAITING_TEXT = "Press Train — the decision regions of {name} appear here as the network learns"


class RegionsView(DecisionPlot):
    """A ``DecisionPlot`` fed with the engine's ``DataSample`` / ``DecisionMap`` events."""

    def __init__(self) -> None:
        super().__init__()
        self.maps_shown = 0
        self.last_map: DecisionMap | None = None

    def show_dataset(self, name: str, task: str, input_shape: tuple[int, ...] | None) -> None:
        """The dataset chosen in the Data panel (nothing trained on it yet)."""
        self.last_map = None
        if input_shape is not None and is_2d_classification(task, input_shape):
            self.show_empty(WAITING_TEXT.format(name=name))
            return
        shape = "unknown until loaded" if input_shape is None else shape_text(input_shape)
        if input_shape is not None and task != "classification":
            shape += f" ({task})"
        self.show_empty(NOT_2D_TEXT.format(name=name, shape=shape))

    def show_sample(self, sample: DataSample, class_names: tuple[str, ...]) -> None:
        """A new run on 2-D data: its points, over a blank square until the first map."""
        self.image.clear()
        self.last_map = None
        self.set_points(sample.X, sample.y, class_names)
        x0, x1, y0, y1 = sample.bounds
        self.plot_item.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def show_map(self, m: DecisionMap) -> None:
        self.last_map = m
        self.maps_shown += 1
        self.set_regions(m.classes, m.confidence, m.bounds, m.num_classes)
