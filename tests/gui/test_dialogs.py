"""gui.dialogs.ask_path: dialogs start where the user last was, per kind of file."""

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget

from gui.dialogs import ask_path


def test_open_starts_in_the_remembered_folder_and_remembers_the_new_one(qtbot, tmp_path,
                                                                         monkeypatch):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings.setValue("k/dir", str(tmp_path / "before"))
    seen = {}

    def fake_open(parent, title, start, file_filter):
        seen.update(title=title, start=start, file_filter=file_filter)
        return str(tmp_path / "after" / "net.json"), file_filter

    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake_open)
    parent = QWidget()
    qtbot.addWidget(parent)
    got = ask_path(parent, settings, "k/dir", "Load network", file_filter="JSON (*.json)")
    assert got == str(tmp_path / "after" / "net.json")
    assert seen == {"title": "Load network", "start": str(tmp_path / "before"),
                    "file_filter": "JSON (*.json)"}
    assert settings.value("k/dir") == str(tmp_path / "after")


def test_save_suggests_the_name_and_cancel_changes_nothing(qtbot, tmp_path, monkeypatch):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings.setValue("k/dir", str(tmp_path))
    seen = {}

    def fake_save(parent, title, start, file_filter):
        seen["start"] = start
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_save)
    parent = QWidget()
    qtbot.addWidget(parent)
    assert ask_path(parent, settings, "k/dir", "Save", save=True, name="run.pt") is None
    assert seen["start"] == str(tmp_path / "run.pt")
    assert settings.value("k/dir") == str(tmp_path)


def test_save_adds_the_chosen_filters_extension_and_refuses_another(qtbot, tmp_path,
                                                                    monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    answers = [(str(tmp_path / "pic.txt"), "PNG images (*.png)"),
               (str(tmp_path / "pic"), "PNG images (*.png)")]
    warnings = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: answers.pop(0))
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warnings.append(text))
    parent = QWidget()
    qtbot.addWidget(parent)
    got = ask_path(parent, None, "k", "Save picture", save=True, name="pic.png",
                   file_filter="PNG images (*.png)")
    assert got == str(tmp_path / "pic.png")  # pic.txt refused, then "pic" got .png
    assert len(warnings) == 1 and "pic.txt" in warnings[0] and ".png" in warnings[0]
    answers.append((str(tmp_path / "run.ckpt"), "All files (*)"))
    assert ask_path(parent, None, "k", "Save", save=True, file_filter="X (*.pt);;All files (*)"
                    ) == str(tmp_path / "run.ckpt")  # "All files" takes any name
