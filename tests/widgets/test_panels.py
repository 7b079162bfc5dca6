"""Sliders, PlotPanel and MessagePanel."""

from __future__ import annotations

import csv

import numpy as np
from PIL import Image

from widgets.message_panel import MessagePanel
from widgets.plot_panel import PlotPanel
from widgets.sliders import LabeledRangeSlider, LabeledSlider


def test_labeled_slider_emits_float(qtbot):
    s = LabeledSlider("IoU threshold", minimum=0.0, maximum=1.0, value=0.5, tooltip="t")
    qtbot.addWidget(s)
    with qtbot.waitSignal(s.value_changed) as blocker:
        s.setValue(0.25)
    assert blocker.args == [0.25] and s.value() == 0.25
    assert s.toolTip() == "t" and s.title.text() == "IoU threshold"


def test_range_slider(qtbot):
    s = LabeledRangeSlider("Scale", minimum=0.1, maximum=1.0, value=(0.2, 0.8))
    qtbot.addWidget(s)
    with qtbot.waitSignal(s.range_changed) as blocker:
        s.setValue((0.3, 0.9))
    assert blocker.args == [0.3, 0.9]
    assert s.value() == (0.3, 0.9)


def test_plot_panel_series_legend_and_throttled_redraw(qtbot):
    p = PlotPanel(x_label="epoch", y_label="value", max_fps=30)
    qtbot.addWidget(p)
    for i in range(1000):
        p.append("train loss", i / 100, 1.0 / (i + 1))
    assert p.redraws == 0  # nothing pushed yet: appends only mark dirty
    qtbot.waitUntil(lambda: p.redraws >= 1, timeout=1000)
    x, y = p.series_data("train loss")
    assert len(x) == 1000 and y[0] == 1.0
    legend_names = [label.text for _, label in p.legend.items]
    assert legend_names == ["train loss"]
    p.remove_series("train loss")
    assert p.series_names() == [] and p.legend.items == []


def test_plot_panel_exports(qtbot, tmp_path):
    p = PlotPanel(x_label="epoch", y_label="accuracy")
    qtbot.addWidget(p)
    p.resize(500, 300)
    p.set_series("train acc", np.array([0.0, 1.0, 2.0]), np.array([0.1, 0.5, 0.7]))
    p.append("test acc", 1.0, 0.4)
    p.export_csv(tmp_path / "c.csv")
    with open(tmp_path / "c.csv", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["series", "epoch", "accuracy"]
    assert rows[1:] == [["train acc", "0.0", "0.1"], ["train acc", "1.0", "0.5"],
                        ["train acc", "2.0", "0.7"], ["test acc", "1.0", "0.4"]]
    p.export_png(tmp_path / "p.png", width=600)
    img = np.asarray(Image.open(tmp_path / "p.png"))
    assert img.shape[1] == 600 and img.std() > 5  # not blank


def test_message_panel(qtbot):
    m = MessagePanel(max_items=3)
    qtbot.addWidget(m)
    with qtbot.waitSignal(m.message_added) as blocker:
        m.add("error", "boom")
    assert blocker.args == ["error", "boom"]
    for i in range(4):
        m.add("info", f"n{i}")
    assert m.messages() == [("info", "n1"), ("info", "n2"), ("info", "n3")]


def test_append_after_empty_set_series(qtbot):
    p = PlotPanel()
    qtbot.addWidget(p)
    p.set_series("a", np.array([]), np.array([]))
    for i in range(300):
        p.append("a", i, i * 2)
    x, y = p.series_data("a")
    assert len(x) == 300 and y[-1] == 598


def test_plot_panel_export_failure_is_one_sentence_naming_the_path(qtbot, tmp_path):
    p = PlotPanel(x_label="epoch")
    qtbot.addWidget(p)
    p.append("loss", 0.0, 1.0)
    (tmp_path / "file.txt").write_text("x")
    failures = []
    p.export_failed.connect(failures.append)
    target = tmp_path / "file.txt" / "curves.csv"
    assert p.export_csv(target) is False  # used to raise NotADirectoryError
    assert p.export_png(tmp_path / "missing" / "p.png") is False
    assert failures[0] == (f"could not save {target}: {tmp_path / 'file.txt'} is a file, "
                           f"not a folder")
    assert failures[1] == (f"could not save {tmp_path / 'missing' / 'p.png'}: the folder "
                           f"{tmp_path / 'missing'} does not exist")
    assert sorted(x.name for x in tmp_path.iterdir()) == ["file.txt"]


def test_plot_panel_dialog_adds_the_extension_and_refuses_another(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    p = PlotPanel()
    qtbot.addWidget(p)
    p.append("loss", 0.0, 1.0)
    answers = [(str(tmp_path / "curves"), "CSV files (*.csv)"),
               (str(tmp_path / "pic.txt"), "PNG images (*.png)")]
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: answers.pop(0))
    failures = []
    p.export_failed.connect(failures.append)
    p._ask_csv()
    assert (tmp_path / "curves.csv").is_file()
    p._ask_png()
    assert not (tmp_path / "pic.txt").exists() and "pic.txt" in failures[0]


def test_epoch_axis_shows_plain_numbers_not_si_scaled(qtbot):
    p = PlotPanel(x_label="epoch")
    qtbot.addWidget(p)
    p.resize(500, 300)
    p.set_series("loss", np.linspace(0, 0.8, 9), np.linspace(2, 1, 9))
    p.flush()
    p.plot_item.setXRange(0, 0.8, padding=0)
    axis = p.plot_item.getAxis("bottom")
    axis.updateAutoSIPrefix()
    assert axis.autoSIPrefixScale == 1.0 and "x0.001" not in axis.labelString()


def test_legend_sits_below_the_plot_and_covers_no_curve(qtbot):
    p = PlotPanel(x_label="epoch")
    qtbot.addWidget(p)
    p.resize(700, 320)
    p.show()
    qtbot.waitExposed(p)
    for name in ("run 1 · train loss", "run 1 · train acc", "run 1 · test acc",
                 "run 2 · train loss", "run 2 · train acc", "run 2 · test acc"):
        p.set_series(name, np.linspace(0, 1, 5), np.linspace(1, 0, 5))
    qtbot.wait(50)
    legend = p.legend.sceneBoundingRect()
    view = p.plot_item.vb.sceneBoundingRect()
    assert len(p.legend.items) == 6 and legend.height() > 20
    assert not legend.intersects(view) and legend.top() >= view.bottom()
    visible = p.plot.mapToScene(p.plot.viewport().rect()).boundingRect()
    assert visible.contains(legend)  # not cut off by the widget
