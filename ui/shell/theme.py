"""Colours that read on a projector, in the light and the dark theme alike."""

from __future__ import annotations

from dataclasses import dataclass, replace

import streamlit as st

from ui.shell.modes import presenting


@dataclass(frozen=True)
class Palette:
    text: str
    muted: str
    background: str
    panel: str
    forward: str  # the forward pass (both phases)
    backward: str  # backpropagation and the update (training only)
    target: str
    highlight: str
    inactive: str


LIGHT = Palette(text="#111827", muted="#9ca3af", background="#ffffff", panel="#eef2f7",
                forward="#1d4ed8", backward="#c2410c", target="#047857", highlight="#a21caf",
                inactive="#e5e7eb")
DARK = Palette(text="#f1f5f9", muted="#64748b", background="#0f172a", panel="#1e293b",
               forward="#7aa7ff", backward="#fb923c", target="#34d399", highlight="#f0abfc",
               inactive="#334155")


LIGHT_PROJECTOR = replace(LIGHT, text="#000000", muted="#4b5563", inactive="#d1d5db")
DARK_PROJECTOR = replace(DARK, text="#ffffff", muted="#cbd5e1", inactive="#475569")
"""Projector mode's palettes: full-contrast text, and greys that a projector does not wash out."""


def is_dark() -> bool:
    """Whether the viewer's browser shows the dark theme."""
    return getattr(getattr(st.context, "theme", None), "type", None) == "dark"


def palette() -> Palette:
    """The palette of the theme the viewer's browser is showing (light when unknown), at full contrast in projector
    mode."""
    dark = is_dark()
    if presenting():
        return DARK_PROJECTOR if dark else LIGHT_PROJECTOR
    return DARK if dark else LIGHT
