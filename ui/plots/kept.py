"""``kept_chart``: a plotly figure drawn by a component that keeps its chart between reruns and redraws it with
plotly.js's ``Plotly.react``, instead of ``st.plotly_chart``, which mounts every changed chart afresh (a new node and
a full ``newPlot``). In the browser, a one-slider app redrawing one 100 × 100 heatmap answered a key press in 39-48 ms
this way against 67-68 ms with ``st.plotly_chart`` (same run, ``bench/latency.py``'s measure).

The figure is themed here (``chart_template``), as Streamlit's chart themes its own in the browser: the viewer's
light or dark palette, Streamlit's colours for series, its font, transparent backgrounds. plotly.js comes from the
plotly package the server runs (its ``package_data``, served by Streamlit's component file server), so the browser
draws exactly the plotly.js version the figures were written for.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import plotly
import plotly.io as pio
import streamlit as st
from plotly.basedatatypes import BaseFigure

from ui.plots.animation import TYPED_FROM, FramedFigure, typed_array_spec
from ui.shell.modes import base_font_px
from ui.shell.theme import Palette, is_dark, palette

PLOTLY_JS_DIR = Path(plotly.__file__).parent / "package_data"
"""Where the plotly package keeps its ``plotly.min.js``."""

SERIES = {False: ["#0068c9", "#83c9ff", "#ff2b2b", "#ffabab", "#29b09d", "#7defa1", "#ff8700", "#ffd16a", "#6d3fc0",
                  "#d5dae5"],
          True: ["#83c9ff", "#0068c9", "#ffabab", "#ff2b2b", "#7defa1", "#29b09d", "#ffd16a", "#ff8700", "#6d3fc0",
                 "#d5dae5"]}
"""Streamlit's colours for series without a colour of their own, in the light (False) and dark (True) theme."""

SEQUENTIAL = ["#e4f5ff", "#c7ebff", "#a6dcff", "#83c9ff", "#60b4ff", "#3d9df3", "#1c83e1", "#0068c9", "#0054a3",
              "#004280"]
"""Streamlit's sequential scale (light to dark; the dark theme runs it the other way), for a heatmap without a colour
scale of its own."""

QUIET_TEXT = {False: "#808495", True: "#e6eaf1"}
"""Streamlit's colour for a chart's ticks, axis titles and annotations, in the light (False) and dark (True) theme."""

GRID = {False: "#e6eaf1", True: "#31333F"}
"""Streamlit's colour for a chart's grid and zero lines."""


def chart_template(pal: Palette, dark: bool, base_px: float) -> dict:
    """The look Streamlit's chart theme gives a plotly chart, measured in the browser (Streamlit 1.67; ``base_px``:
    the page's root font size): the page's font; the title at 1 rem in the palette's ink, at the left; axis titles at
    0.875 rem, ticks, legends and hover labels at 0.75 rem, ticks and axis titles in Streamlit's quiet grey; no
    vertical grid; Streamlit's grid colour; the page's background; Streamlit's series colours and sequential scale;
    no side margins but what the ticks need."""
    line, quiet = GRID[dark], QUIET_TEXT[dark]
    axis = dict(gridcolor=line, zerolinecolor=line, automargin=True,
                title=dict(standoff=1.25 * base_px, font=dict(size=0.875 * base_px)))
    ordered = SEQUENTIAL[::-1] if dark else SEQUENTIAL
    scale = [[n / (len(ordered) - 1), colour] for n, colour in enumerate(ordered)]
    small = 0.75 * base_px
    return dict(
        data=dict(heatmap=[dict(type="heatmap", colorscale=scale)]),
        layout=dict(font=dict(family='"Source Sans", sans-serif', color=quiet, size=small),
                    paper_bgcolor=pal.background, plot_bgcolor=pal.background, colorway=SERIES[dark],
                    title=dict(x=0, xanchor="left", pad=dict(l=0.25 * base_px), font=dict(size=base_px,
                                                                                         color=pal.text)),
                    hovermode="closest", margin=dict(l=0, r=0, pad=0.5 * base_px),
                    hoverlabel=dict(bgcolor=pal.background, bordercolor=line, font=dict(size=small, color=quiet)),
                    legend=dict(font=dict(size=small, color=pal.text)), xaxis=dict(axis, showgrid=False),
                    yaxis=axis, colorscale=dict(sequential=scale)))


HOLDER = '<div data-testid="stPlotlyChart" style="width: 100%"></div>'
"""The chart's place, there from the start: the tests and benchmarks wait for every chart of the page to be drawn,
and find this one before plotly.js has loaded, as they find Streamlit's own (same test id)."""


LOAD_PLOTLY = Path(__file__).with_name("load_plotly.js").read_text()
"""``loadPlotly(src)``: the script that loads plotly.js once per page."""


def loader_script(src: str) -> str:
    """The page's loader: ``<script>`` that calls ``loadPlotly`` on ``src``, the URL of plotly.min.js."""
    return f"<script>\n{LOAD_PLOTLY}loadPlotly({json.dumps(src)});\n</script>"


@dataclass(frozen=True)
class Components:
    """What a server registers once (``components``): where the browser finds plotly.min.js, the chart component,
    and the loader: a script that only starts loading plotly.js (``load_plotly.js``, which the chart's script also
    starts with)."""

    src: str
    chart: Any
    loader: str


@cache
def components() -> Components:
    """The components, registered on first use."""
    import streamlit.components.v1 as v1

    files = v1.declare_component("plotly_js", path=str(PLOTLY_JS_DIR))  # only its file server is used
    js = LOAD_PLOTLY + Path(__file__).with_name("kept_chart.js").read_text()
    src = f"/component/{files.name}/plotly.min.js"
    return Components(src=src,
                      chart=st.components.v2.component(
                          "kept_chart", html=HOLDER, js=js,
                          isolate_styles=False),  # plotly.js styles its charts from the page's head
                      loader=loader_script(src))


def load_plotly_early() -> None:
    """Start loading plotly.js now, in the sidebar (where the element's empty place shows least): a page's first
    chart comes late in its script, and a fresh browser would only then fetch and compile plotly.js's 4.8 MB."""
    with st.sidebar:
        st.html(components().loader, unsafe_allow_javascript=True)


JSON_OPTIONS = orjson.OPT_NON_STR_KEYS
"""Keys that are not strings are written as plotly's own orjson engine writes them; numpy goes through ``_plain``."""


def _plain(value: Any) -> Any:
    """What orjson does not write itself, as plotly.js reads it: a numeric NumPy array of ``TYPED_FROM`` numbers or
    more as a typed array (base64 of its bytes, as plotly.py's ``to_dict`` sends a checked trace's arrays), a shorter
    or non-numeric one as a list, a NumPy scalar as a number. Anything else: ``TypeError``, and ``figure_json`` asks
    plotly."""
    if isinstance(value, np.ndarray):
        spec = typed_array_spec(value) if value.size >= TYPED_FROM and value.dtype.kind in "biuf" else None
        return spec if isinstance(spec, dict) else value.tolist()  # booleans, float16, huge integers: a list
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def figure_spec(figure: Any) -> dict:
    """The figure's data, layout and frames as plotly.py holds them, for ``figure_json`` to write (read, never
    changed): a dict is taken as it is. Not ``figure.to_dict()``, which deep-copies every trace and walks it again to
    encode its arrays, a third of a figure-heavy part's rerun on the server (cProfile): the arrays are encoded as
    they are written (``_plain``)."""
    if not isinstance(figure, BaseFigure):
        return dict(figure)
    spec = {"data": figure._data, "layout": figure._layout}  # plotly.py's own store of what to_dict copies
    frames = figure.raw_frames if isinstance(figure, FramedFigure) else [f._props for f in figure._frame_objs]
    if frames:
        spec["frames"] = frames
    return spec


def figure_json(figure: Any, dark: bool, pal: Palette) -> bytes:
    """The figure (a plotly figure or its dict) as UTF-8 JSON, in the viewer's theme (``chart_template``).

    Written by orjson directly: plotly's ``to_json`` without orjson writes, parses and writes again (its way to turn
    NaN into null), and with it still escapes ``<``, ``>`` and ``/`` for HTML, which the component's ``JSON.parse``
    does not need: 8 to 25 ms of a rerun on the step-by-step and image parts (cProfile). NaN and infinities become
    null, as plotly writes them; anything orjson cannot write (a date in pandas' form) goes through plotly's own
    cleaning."""
    spec = figure_spec(figure)
    spec = {**spec, "layout": {**spec.get("layout", {}), "template": chart_template(pal, dark, base_font_px())}}
    try:
        return orjson.dumps(spec, default=_plain, option=JSON_OPTIONS)
    except TypeError:
        return pio.to_json(spec, validate=False).encode()


def chart_payload(figure: bytes, src: str, config: dict, clicks: bool) -> bytes:
    """What the component is given: ``{"figure", "src", "config", "clicks"}`` as UTF-8 JSON bytes, the figure's JSON
    (``figure_json``) spliced in as it is. Bytes, because Streamlit looks into a dict it is given for data frames
    (importing pandas, a third of a second on a fresh server's first page) and re-serialises it to identify the
    component; bytes it passes on as they are."""
    head = json.dumps({"src": src, "config": config, "clicks": clicks})
    return head[:-1].encode() + b', "figure": ' + figure + b"}"


def kept_chart(where: Any, figure: Any, key: str | None, config: dict,
               on_click: Callable[[], None] | None = None, width: int | str = "stretch") -> None:
    """Draw ``figure`` in ``where`` (``st``, a column, a container) with the component that keeps its chart: a chart
    with a ``key`` stays on the page from one rerun to the next and only changes; without one it is drawn afresh
    whenever the figure changes. With ``on_click`` (and a ``key``), a click on a point calls it before the rerun,
    and ``clicked_point(key)`` says where the click was. ``width``: in pixels, or ``"stretch"`` to fill its place."""
    if on_click is not None and key is None:
        raise ValueError("a chart whose clicks are read needs a key")
    parts = components()
    data = chart_payload(figure_json(figure, is_dark(), palette()), parts.src, config, clicks=on_click is not None)
    callbacks = {} if on_click is None else {"on_click_change": on_click}
    if where is st:
        parts.chart(key=key, data=data, width=width, **callbacks)
    else:
        with where:
            parts.chart(key=key, data=data, width=width, **callbacks)


def clicked_point(key: str) -> dict | None:
    """The point of the chart ``key`` the viewer has just clicked (in its ``on_click``): ``point_of`` its state."""
    return point_of(st.session_state.get(key))


def point_of(state: object) -> dict | None:
    """The clicked point in a chart component's state (which comes from the browser): its ``click``, when that is
    ``{"x", "y", ...}`` (``"customdata"``, ``"curve"``: the trace's number); None for anything else."""
    point = state.get("click") if isinstance(state, dict) else None
    if not isinstance(point, dict) or not {"x", "y"} <= point.keys():
        return None
    return point
