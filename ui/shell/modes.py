"""The two ways every page can be shown, chosen in the sidebar and carried in every link.

- **Level** (``?level=beginner``, the default, or ``?level=expert``). A beginner sees each part's one or two main
  controls; the others (dilation, padding modes, flip, extra optimizers, dtype, "vs PyTorch" readouts, …) wait
  behind *More controls* (``more_controls()``). An expert sees all of them in place. A control behind *More
  controls* is drawn all the same, only folded away, so it keeps the value its link gives it: a shared expert link
  draws the same figure for a beginner.
- **Projector mode** (``?present=1``): text about 1.4 times larger, figure fonts 1.5 times larger, lines twice as
  thick, markers 1.5 times larger, full-contrast text (black on white, or white on the dark theme's background),
  the sidebar folded when a link opens the page. A teacher's link opens the lesson, the part, the settings and the
  mode.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import numpy as np
import streamlit as st

from ui.shell.i18n import t, translator
from ui.shell.url_state import url_choice, url_toggle

LEVELS = ("beginner", "expert")
LEVEL_KEY = "level"
PRESENT_KEY = "present"

TEXT_SCALE = 1.4
"""Projector mode's page text, relative to the theme's ``baseFontSize`` (the root font size every rem of the page
follows)."""
FONT_SCALE = 1.5
"""Projector mode's figure fonts, relative to each figure's own (plotly's default is 12 px)."""
LINE_SCALE = 2.0
MARKER_SCALE = 1.5
PLOTLY_FONT, PLOTLY_LINE, PLOTLY_MARKER = 12, 2, 6
"""Plotly's defaults: what a figure that sets no size of its own gets."""
THEME_TICK_FONT = 0.75
"""Streamlit's chart theme writes ticks and legends at 0.75 rem of the page; projector mode gives them
``FONT_SCALE`` times that, where a figure sets no size of its own."""


def mode_switches() -> None:
    """The sidebar's level switch and projector switch, each in the link."""
    url_choice(st.segmented_control, t("modes.level_label"), list(LEVELS), key=LEVEL_KEY, name="level",
               default="beginner", format_func=translator("modes.level."), help=t("modes.level_help"))
    url_toggle(t("modes.present"), key=PRESENT_KEY, name="present", help=t("modes.present_help"))


def is_expert() -> bool:
    return st.session_state.get(LEVEL_KEY) == "expert"


def presenting() -> bool:
    return bool(st.session_state.get(PRESENT_KEY))


PHONE_MARK = "Mobi"
"""What a phone's browser puts in its User-Agent and a laptop's does not (the advice of MDN's "Browser detection
using the user agent": every major phone browser says ``Mobi``)."""


def on_a_phone() -> bool:
    """Whether the page is read on a phone, by its browser's User-Agent (``PHONE_MARK``)."""
    return PHONE_MARK in (st.context.headers.get("User-Agent") or "")


def side_by_side(panels: int) -> int:
    """How many panels of one figure go side by side: all of them, or one to a row on a phone. Streamlit stacks
    its columns on a narrow screen by itself; the panels of a figure (``ui.plots.panels.panels_figure``) would
    otherwise shrink to a sixth of a phone's width, their numbers unreadable."""
    return 1 if on_a_phone() else panels


@contextmanager
def more_controls(label_key: str = "modes.more_controls", *, nested: bool = False) -> Iterator[None]:
    """Where a part's expert controls go: in place for an expert, folded under *More controls* (``label_key``) for a
    beginner, drawn all the same, so that they keep their values. ``nested``: inside an expander, where Streamlit
    allows no second expander; the controls wait behind a button (a popover) instead."""
    if is_expert():
        yield
        return
    label = t(label_key)
    with st.popover(label, icon=":material/tune:") if nested else st.expander(label, icon=":material/tune:"):
        yield


def more_details() -> AbstractContextManager[None]:
    """Where an expert readout goes (the largest difference from PyTorch, a dtype): in place for an expert, folded
    under *More details* for a beginner."""
    return more_controls("modes.more_details")


def base_font_px() -> float:
    """The page's root font size in CSS pixels: the theme's ``baseFontSize`` (16 when unset)."""
    return float(st.get_option("theme.baseFontSize") or 16)


def present_style(dark: bool) -> None:
    """Projector mode's page style: larger text (every rem follows the root size), full-contrast text, no greyed
    captions."""
    ink = "#ffffff" if dark else "#000000"
    st.html(f"""<style>
html {{ font-size: {base_font_px() * TEXT_SCALE:.2f}px; }}
.stApp, .stApp p, .stApp li, .stApp label, .stApp [data-testid="stCaptionContainer"],
.stApp [data-testid="stMarkdownContainer"] {{ color: {ink}; opacity: 1; }}
</style>""")


def _scaled(node: Any, key: str = "") -> Any:
    """A copy of a figure's JSON tree with every font size times ``FONT_SCALE``, line widths times ``LINE_SCALE`` and
    marker sizes times ``MARKER_SCALE`` (sizes given per point, as lists, too)."""
    if isinstance(node, Mapping):
        out = {k: _scaled(v, k) for k, v in node.items()}
        size = out.get("size")
        if key.endswith("font") and isinstance(size, int | float):
            out["size"] = round(size * FONT_SCALE, 1)
        elif key == "marker" and size is not None:
            out["size"] = _times(size, MARKER_SCALE)
        if key == "line" and isinstance(out.get("width"), int | float) and out["width"] > 0:
            out["width"] = out["width"] * LINE_SCALE
        return out
    if isinstance(node, list | tuple) and any(isinstance(v, Mapping | list | tuple) for v in node[:1]):
        return [_scaled(v, key) for v in node]
    return node  # a number, a text, an array of data: nothing in it to scale (shared, never changed)


def _times(size: Any, factor: float) -> Any:
    """``size`` times ``factor``: a number, a list, an array, or plotly's typed array ``{dtype, bdata}`` (base64)."""
    if isinstance(size, Mapping) and "bdata" in size and "dtype" in size:
        return (np.frombuffer(base64.b64decode(size["bdata"]), dtype=np.dtype(size["dtype"])) * factor).tolist()
    if isinstance(size, int | float | np.ndarray):
        return size * factor
    if isinstance(size, list):
        return [_times(s, factor) for s in size]
    return size


def _bigger_traces(traces: list[dict]) -> None:
    """Lines and markers a trace draws at plotly's default size get the scaled size too."""
    for trace in traces:
        if trace.get("type") not in ("scatter", "scattergl", "scatterpolar"):  # unnamed: a frame's partial update
            continue
        mode = trace.get("mode", "lines+markers")
        if "lines" in mode:
            line = trace.setdefault("line", {})
            line.setdefault("width", PLOTLY_LINE * LINE_SCALE)
        if "markers" in mode:
            marker = trace.setdefault("marker", {})
            marker.setdefault("size", PLOTLY_MARKER * MARKER_SCALE)


def projected(spec: Mapping[str, Any], ink: str | None = None) -> dict[str, Any]:
    """A figure's JSON (``figure.to_plotly_json()``) as projector mode shows it: every font ``FONT_SCALE`` times its
    size (plotly's 12 px where the figure sets none; Streamlit's 0.75 rem for ticks and legends), line widths
    ``LINE_SCALE`` times and markers ``MARKER_SCALE`` times theirs (plotly's defaults where unset), the figure 1.2
    times as tall and its top margin as much larger as its title; with ``ink``, every text that has no colour of its
    own (titles, ticks, legends, annotations such as subplot titles) in ``ink`` rather than the theme's grey.
    ``spec`` is left as it was."""
    spec = _scaled(spec)
    layout = spec.setdefault("layout", {})
    layout.setdefault("font", {}).setdefault("size", round(PLOTLY_FONT * FONT_SCALE, 1))
    small = round(base_font_px() * THEME_TICK_FONT * FONT_SCALE, 1)
    axes = {name for name in layout if re.fullmatch(r"[xy]axis\d*", name)} | {"xaxis", "yaxis"}
    texts = [layout.setdefault(name, {}).setdefault("tickfont", {}) for name in axes]
    texts.append(layout.setdefault("legend", {}).setdefault("font", {}))
    for font in texts:
        font.setdefault("size", small)
    if ink is not None:
        texts += [layout["font"], *(a.setdefault("font", {}) for a in layout.get("annotations", ()))]
        title = layout.get("title")
        if isinstance(title, dict):
            texts.append(title.setdefault("font", {}))
        for font in texts:
            font.setdefault("color", ink)
    _bigger_traces(spec.get("data", []))
    for frame in spec.get("frames", []):
        _bigger_traces(frame.get("data", []))
    if isinstance(layout.get("height"), int | float):
        layout["height"] = round(layout["height"] * 1.2)
    margin = layout.get("margin")
    if isinstance(margin, dict) and isinstance(margin.get("t"), int | float):
        margin["t"] = round(margin["t"] * FONT_SCALE)
    return spec


def for_the_room(figure: Any) -> Any:
    """``figure`` as projector mode shows it (``projected``, its texts in the theme's full-contrast ink; the figure
    given, often a cached one, is left alone), or ``figure`` itself outside projector mode."""
    if not presenting():
        return figure
    from ui.shell.theme import palette  # theme reads this module's switch: imported here, not at the top

    return projected(figure.to_plotly_json() if hasattr(figure, "to_plotly_json") else figure, ink=palette().text)
