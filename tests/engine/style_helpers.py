"""Test helpers shared by the style-transfer tests (engine and CLI)."""

from __future__ import annotations

from torch import nn


class Poison(nn.Module):
    """Identity for the content target and two steps, then NaN: a stand-in for a
    numerical blow-up of the feature network."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, X):
        self.calls += 1
        return X * float("nan") if self.calls > 3 else X  # content target + 2 steps
