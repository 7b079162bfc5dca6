"""The tabs of the main window, in order. Each is imported when the window is built.

A tab module defines ``<Topic>Tab(PlaygroundTab)``; register it here with a short
key (used by ``main.py --tab KEY`` and remembered as the last open tab).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class TabSpec:
    key: str
    title: str
    module: str
    class_name: str

    def load(self) -> type:
        return getattr(importlib.import_module(self.module), self.class_name)


TABS: tuple[TabSpec, ...] = (
    TabSpec("home", "Home", "gui.tabs.home_tab", "HomeTab"),
    TabSpec("detection", "Detection lab", "gui.tabs.detection_tab", "DetectionTab"),
    TabSpec("build", "Build", "gui.tabs.build_tab", "BuildTab"),
    TabSpec("train", "Train", "gui.tabs.train_tab", "TrainTab"),
)


def tab_keys() -> list[str]:
    return [t.key for t in TABS]
