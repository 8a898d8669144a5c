"""Colours that read on a projector, in the light and the dark theme alike."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st


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


def palette() -> Palette:
    """The palette of the theme the viewer's browser is showing (light when unknown)."""
    theme = getattr(st.context, "theme", None)
    return DARK if getattr(theme, "type", None) == "dark" else LIGHT
