"""ImageCanvas: drops, messages, overlays (pixels), clicks in image coordinates."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from widgets.image_canvas import ImageCanvas
from widgets.qimage import qimage_to_array


def pil_loader(path: str):
    """A minimal loader for widget tests (the app injects engine.images)."""
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB")).copy(), ""
    except Exception as exc:  # noqa: BLE001 - mimic the engine's contract
        raise ValueError(f"'{path}' is not an image: {exc}") from exc


@pytest.fixture
def canvas(qtbot):
    c = ImageCanvas(loader=pil_loader)
    c.resize(400, 300)
    qtbot.addWidget(c)
    c.show()
    qtbot.waitExposed(c)
    return c


def drop_file(widget, path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)


def test_empty_state_message(canvas):
    assert "Drop an image" in canvas.message()


def test_drop_real_image_loads_and_emits(canvas, qtbot, tmp_path):
    arr = np.zeros((30, 40, 3), np.uint8)
    arr[..., 1] = 255
    Image.fromarray(arr).save(tmp_path / "green.png")
    with qtbot.waitSignal(canvas.image_loaded, timeout=2000) as blocker:
        drop_file(canvas, tmp_path / "green.png")
    loaded, path, _notice = blocker.args
    assert loaded.shape == (30, 40, 3) and path.endswith("green.png")
    assert canvas.image_size() == (40, 30)
    assert canvas.message() == ""


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n garbage", b"just some text\n"])
def test_drop_bad_file_shows_message_no_crash(canvas, qtbot, tmp_path, content):
    bad = tmp_path / "bad.png"
    bad.write_bytes(content)
    with qtbot.waitSignal(canvas.load_failed, timeout=2000) as blocker:
        drop_file(canvas, bad)
    assert "not an image" in blocker.args[0]
    assert "not an image" in canvas.message()  # shown on the empty canvas


def test_bad_drop_keeps_current_image(canvas, qtbot, tmp_path):
    canvas.set_image(np.full((10, 10, 3), 7, np.uint8))
    (tmp_path / "t.txt").write_text("nope")
    with qtbot.waitSignal(canvas.load_failed):
        drop_file(canvas, tmp_path / "t.txt")
    assert canvas.image()[0, 0, 0] == 7 and canvas.message() == ""


def _grab(canvas) -> np.ndarray:
    QApplication.processEvents()
    return qimage_to_array(canvas.grab().toImage())


def test_box_overlay_pixels_appear_where_expected(canvas, qtbot):
    canvas.set_image(np.zeros((100, 100, 3), np.uint8))
    canvas.set_boxes("gt", [[20, 30, 60, 80]], colors=(255, 0, 0), width=3)
    qtbot.wait(50)
    img = _grab(canvas)
    dpr = canvas.devicePixelRatioF()

    def px(x, y):
        p = canvas.map_from_image(x, y)
        return img[int(p.y() * dpr), int(p.x() * dpr)]

    left_edge = px(20, 55)
    assert left_edge[0] > 200 and left_edge[1] < 60  # red on the box's left edge
    inside = px(40, 55)
    assert inside[0] < 30  # black image inside, no fill
    outside = px(80, 10)
    assert outside[0] < 30


def test_thousands_of_boxes_in_one_layer(canvas):
    canvas.set_image(np.zeros((200, 200, 3), np.uint8))
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 150, size=(5000, 2))
    boxes = np.hstack([xy, xy + 20])
    layer = canvas.set_boxes("many", boxes, colors=["#00ff00"] * 5000,
                             labels=[str(i) for i in range(5000)])
    assert len(layer.boxes) == 5000
    assert len(layer.label_items()) == 300  # labels are capped
    canvas.clear_boxes("many")
    assert canvas.layer("many") is None


@pytest.mark.parametrize("zoom", [1.0, 3.0])
def test_click_emits_image_coordinates(canvas, qtbot, zoom):
    canvas.set_image(np.zeros((100, 200, 3), np.uint8))
    if zoom != 1.0:
        canvas.viewbox.scaleBy((1 / zoom, 1 / zoom), center=QPointF(120, 40))
    qtbot.wait(50)
    target = (120.5, 40.5)
    p = canvas.map_from_image(*target)
    viewport_pos = canvas.view.viewport().mapFrom(canvas, p.toPoint())
    with qtbot.waitSignal(canvas.pixel_clicked, timeout=2000) as blocker:
        qtbot.mouseClick(canvas.view.viewport(), Qt.MouseButton.LeftButton, pos=viewport_pos)
    x, y = blocker.args
    tolerance = 1.0 / zoom + 0.6  # one screen pixel, in image pixels
    assert abs(x - target[0]) <= tolerance and abs(y - target[1]) <= tolerance


def mouse_drag(qtbot, canvas, start, end, steps: int = 6) -> None:
    """A real left-button drag on the canvas from image pixel ``start`` to ``end``."""
    vp = canvas.view.viewport()
    a = vp.mapFrom(canvas, canvas.map_from_image(*start).toPoint())
    b = vp.mapFrom(canvas, canvas.map_from_image(*end).toPoint())
    qtbot.mouseMove(vp, pos=a)
    qtbot.wait(20)
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=a)
    for t in np.linspace(0, 1, steps):
        qtbot.mouseMove(vp, pos=QPoint(int(a.x() + t * (b.x() - a.x())),
                                       int(a.y() + t * (b.y() - a.y()))))
        qtbot.wait(20)  # pyqtgraph rate-limits mouse moves
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=b)
    qtbot.wait(20)


def test_draw_mode_draws_even_when_the_drag_starts_on_a_box(canvas, qtbot):
    canvas.set_image(np.zeros((100, 100, 3), np.uint8))
    item = canvas.add_editable_box([10, 10, 60, 60], label="A")
    canvas.set_draw_mode(True)
    qtbot.wait(50)
    with qtbot.waitSignal(canvas.box_drawn, timeout=2000) as blocker:
        mouse_drag(qtbot, canvas, (30, 30), (80, 90))
    np.testing.assert_allclose(blocker.args[0], [30, 30, 80, 90], atol=2.0)
    np.testing.assert_allclose(item.box(), [10, 10, 60, 60])  # not moved
    canvas.set_draw_mode(False)  # and the box is editable again afterwards
    mouse_drag(qtbot, canvas, (30, 30), (40, 35))
    np.testing.assert_allclose(item.box(), [20, 15, 70, 65], atol=2.0)


def test_drawn_box_is_clipped_to_the_image(canvas, qtbot):
    canvas.set_image(np.zeros((100, 100, 3), np.uint8))
    canvas.viewbox.scaleBy((2, 2))  # zoom out so the drag can leave the image
    canvas.set_draw_mode(True)
    qtbot.wait(50)
    with qtbot.waitSignal(canvas.box_drawn, timeout=2000) as blocker:
        mouse_drag(qtbot, canvas, (60, 50), (140, 130))
    box = blocker.args[0]
    np.testing.assert_allclose(box[:2], [60, 50], atol=2.0)
    np.testing.assert_allclose(box[2:], [100, 100])


def test_editable_box_cannot_be_dragged_off_the_image(canvas, qtbot):
    canvas.set_image(np.zeros((100, 150, 3), np.uint8))
    canvas.viewbox.scaleBy((2, 2))
    item = canvas.add_editable_box([20, 20, 70, 60])
    qtbot.wait(50)
    finished = []
    item.box_finished.connect(finished.append)
    mouse_drag(qtbot, canvas, (40, 40), (190, 140))  # far past the bottom-right corner
    np.testing.assert_allclose(item.box(), [100, 60, 150, 100], atol=1e-6)  # at the corner
    assert finished and (finished[-1][2:] <= [150, 100]).all()
    mouse_drag(qtbot, canvas, (120, 80), (-60, -60))  # and past the top-left
    np.testing.assert_allclose(item.box(), [0, 0, 50, 40], atol=1e-6)


def test_resize_handle_is_held_at_the_image_edge(canvas, qtbot):
    canvas.set_image(np.zeros((100, 150, 3), np.uint8))
    canvas.viewbox.scaleBy((2, 2))
    item = canvas.add_editable_box([20, 20, 70, 60])
    qtbot.wait(50)
    mouse_drag(qtbot, canvas, (70, 60), (200, 130))  # bottom-right handle, outside
    np.testing.assert_allclose(item.box(), [20, 20, 150, 100], atol=1e-6)
    canvas.set_image(np.zeros((50, 50, 3), np.uint8))  # a smaller image: new bounds
    assert item.maxBounds.width() == 50


def test_draw_box_mode_emits_box(canvas, qtbot):
    canvas.set_image(np.zeros((100, 100, 3), np.uint8))
    canvas.set_draw_mode(True)
    qtbot.wait(50)
    vp = canvas.view.viewport()
    a = vp.mapFrom(canvas, canvas.map_from_image(20, 20).toPoint())
    b = vp.mapFrom(canvas, canvas.map_from_image(60, 70).toPoint())
    with qtbot.waitSignal(canvas.box_drawn, timeout=2000) as blocker:
        qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=a)
        for t in np.linspace(0, 1, 6):
            qtbot.mouseMove(vp, pos=QPoint(int(a.x() + t * (b.x() - a.x())),
                                           int(a.y() + t * (b.y() - a.y()))))
            qtbot.wait(20)  # pyqtgraph rate-limits mouse moves
        qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=b)
    box = blocker.args[0]
    np.testing.assert_allclose(box, [20, 20, 60, 70], atol=2.0)


def test_editable_box_reports_geometry(canvas, qtbot):
    canvas.set_image(np.zeros((100, 100, 3), np.uint8))
    item = canvas.add_editable_box([10, 10, 50, 40], label="A")
    np.testing.assert_allclose(item.box(), [10, 10, 50, 40])
    with qtbot.waitSignal(item.box_changed) as blocker:
        item.set_box([20, 25, 70, 90])
    np.testing.assert_allclose(blocker.args[0], [20, 25, 70, 90])
    canvas.remove_editable_box(item)
    assert canvas.editable_boxes() == []


def test_big_files_load_in_the_background(canvas, qtbot, tmp_path):
    from PySide6.QtCore import QThread

    arr = np.zeros((40, 50, 3), np.uint8)
    arr[..., 2] = 200
    Image.fromarray(arr).save(tmp_path / "blue.png")
    slot_threads = []
    canvas.image_loaded.connect(lambda *a: slot_threads.append(QThread.currentThread()))
    with qtbot.waitSignal(canvas.image_loaded, timeout=5000):
        assert canvas.load_file(tmp_path / "blue.png", background=True)  # "started"
        assert "Loading blue.png" in canvas.message()
    assert canvas.image_size() == (50, 40) and canvas.message() == ""
    assert slot_threads == [QThread.currentThread()]  # delivered on the UI thread


def test_background_failure_and_stale_results(canvas, qtbot, tmp_path):
    (tmp_path / "bad.png").write_bytes(b"nope")
    with qtbot.waitSignal(canvas.load_failed, timeout=5000) as blocker:
        canvas.load_file(tmp_path / "bad.png", background=True)
    assert "not an image" in blocker.args[0]
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "b.png")
    canvas.load_file(tmp_path / "a.png", background=True)
    canvas.load_file(tmp_path / "b.png", background=False)  # newer: wins
    qtbot.wait(300)
    assert canvas.image_size() == (30, 20)
