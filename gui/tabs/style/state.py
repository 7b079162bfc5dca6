"""The Style tab's remembered settings (QSettings, one JSON value per kind)."""

from __future__ import annotations

import json
from dataclasses import asdict, fields

from PySide6.QtCore import QSettings

from engine.style import StyleSettings

SETTINGS_KEY = "style/settings"


def save_settings(qs: QSettings, settings: StyleSettings) -> None:
    qs.setValue(SETTINGS_KEY, json.dumps(asdict(settings)))


def restore_settings(qs: QSettings, default: StyleSettings) -> StyleSettings:
    """The remembered settings, or ``default`` where they are missing or unusable."""
    try:
        saved = json.loads(str(qs.value(SETTINGS_KEY, "{}")))
    except (TypeError, ValueError):
        return default
    if not isinstance(saved, dict):
        return default
    names = {f.name for f in fields(StyleSettings)}
    changes = {k: v for k, v in saved.items() if k in names}
    for key in ("content_layers", "style_layers"):
        if key in changes:
            changes[key] = tuple(changes[key] or ())
    try:
        return default.with_changes(**changes)
    except (TypeError, ValueError):
        return default
