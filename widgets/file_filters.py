"""File names that match the file type chosen in a save dialog.

Qt's dialogs return what was typed: ``pic`` with "PNG images (*.png)" chosen stays
``pic``, and ``pic.txt`` would be written as a PNG named .txt. ``fit_suffix`` appends the
chosen filter's extension to a bare name and refuses a name whose extension is another.
"""

from __future__ import annotations

import re
from pathlib import Path


def filter_suffixes(file_filter: str) -> list[str]:
    """``".png"``-style suffixes of one filter (``"PNG images (*.png *.PNG)"``); empty for
    ``"All files (*)"`` or a filter without patterns."""
    match = re.search(r"\(([^)]*)\)", file_filter or "")
    if match is None:
        return []
    out = []
    for pattern in match.group(1).split():
        if pattern.startswith("*.") and "*" not in pattern[2:]:
            out.append(pattern[1:].lower())
    return out


def fit_suffix(path: str, selected_filter: str) -> tuple[str, str | None]:
    """``(path, None)`` with the filter's extension added when the name has none, or
    ``(path, message)`` when its extension is not one of the filter's (a sentence for the
    user). A filter without extensions (All files) takes any name."""
    suffixes = filter_suffixes(selected_filter)
    if not suffixes:
        return path, None
    name = Path(path).name
    suffix = Path(path).suffix.lower()
    if suffix in suffixes:
        return path, None
    if not suffix:
        return path + suffixes[0], None
    kind = selected_filter.split("(", 1)[0].strip() or suffixes[0]
    return path, (f"{name} does not end in {' or '.join(suffixes)}, so it would not be a "
                  f"{kind} file by its name; choose a name ending in {suffixes[0]} (or "
                  f"none, and {suffixes[0]} is added)")
