"""Animations played by plotly.js in the browser: a Play button and a scrubbing rail over the frames,
and a figure whose frames travel as plain dicts."""

from __future__ import annotations

import base64
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ui.plots.charts import untemplated


def play_controls(frame_names: Sequence[str], active: int, play_label: str, prefix: str,
                   duration: int = 250) -> dict:
    """A Play button and a scrubbing slider over the figure's frames, both played by plotly.js in the browser. The
    chart component (``ui/plots/kept_chart.js``) draws these two as its own HTML below the chart rather than leave
    them to plotly.js, which lays out and measures every step of a slider again at each redraw; a figure shown any
    other way keeps plotly.js's own."""
    animate = dict(frame=dict(duration=duration, redraw=True), transition=dict(duration=0), mode="immediate")
    return dict(
        # the button on the left of the rail, the current frame's name above the rail's right end: neither covers
        # the other on a phone; the rail's last tick label stays inside the figure
        updatemenus=[dict(type="buttons", showactive=False, x=0.0, y=-0.08, xanchor="left", yanchor="top",
                          buttons=[dict(label=play_label, method="animate", args=[None, {**animate,
                                                                                      "fromcurrent": True}])])],
        sliders=[dict(active=active, x=0.2, len=0.8, y=-0.02, yanchor="top", pad=dict(t=30, r=24),
                      currentvalue=dict(prefix=prefix, font=dict(size=14), xanchor="right"),
                      steps=[dict(label=name, method="animate", args=[[name], animate]) for name in frame_names])],
    )


TYPED_FROM = 16
"""NumPy arrays of at least this many numbers go as plotly's typed arrays (base64 of the raw bytes, as plotly.py sends a
checked trace's); a shorter one (a few balls' positions) is shorter as a JSON list."""


_SHORT_TYPES = {"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4", "uint32": "u4",
                "float32": "f4", "float64": "f8"}
"""plotly.js's names of the typed arrays it reads."""

_NARROWER = {"int64": ((np.int8, np.int16, np.int32), np.iinfo), "uint64": ((np.uint8, np.uint16, np.uint32), np.iinfo)}


def typed_array_spec(array: np.ndarray) -> dict | np.ndarray:
    """``array`` as plotly.js's typed-array spec ``{"dtype", "bdata"[, "shape"]}`` (base64 of its bytes), the spec
    plotly.py's ``to_typed_array_spec`` writes, tested equal for every numeric dtype and shape; 64-bit integers go
    in the narrowest integer type that holds them (or stay as they are, as there). Written here because plotly's
    own passes each array through narwhals first: 80 µs an array, most of a step-by-step part's rerun (cProfile: 837
    arrays, 68 of its 108 ms)."""
    if array.size == 0:
        return array
    name = array.dtype.name
    if name in _NARROWER:
        kinds, info = _NARROWER[name]
        lo, hi = array.min(), array.max()
        narrow = next((kind for kind in kinds if info(kind).min <= lo and hi <= info(kind).max), None)
        if narrow is None:
            return array
        array = array.astype(narrow)
        name = array.dtype.name
    if name not in _SHORT_TYPES:
        return array
    spec = {"dtype": _SHORT_TYPES[name],
            "bdata": base64.b64encode(np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))).decode()}
    if array.ndim > 1:
        spec["shape"] = str(array.shape)[1:-1]
    return spec


def _typed_arrays(value) -> None:
    """Replace, in place, every NumPy array of ``TYPED_FROM`` numbers or more inside ``value`` (dicts and lists) by
    its typed-array spec."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        if isinstance(item, np.ndarray):
            if item.size >= TYPED_FROM:
                value[key] = typed_array_spec(item)
        elif isinstance(item, dict | list):
            _typed_arrays(item)


class FramedFigure(go.Figure):
    """A figure whose animation frames go to the browser as plain dicts, never built as plotly objects.

    Building a frame's traces as plotly objects costs about a millisecond each on the server, which made a
    60-frame animation a half-second rerun; the browser needs only the JSON. ``st.plotly_chart`` serialises a
    figure through ``to_dict``, which is where the frames are put back.
    """

    def __init__(self, *args, raw_frames: Sequence[dict] = (), layout: dict | None = None, **kwargs) -> None:
        # checked by the tests instead (``ui.plots.charts.figure``)
        super().__init__(*args, layout=untemplated(layout), _validate=False, **kwargs)
        self._raw_frames = list(raw_frames)
        _typed_arrays(self._raw_frames)

    @property
    def raw_frames(self) -> list[dict]:
        """The frames as they go to the browser."""
        return self._raw_frames

    def to_dict(self) -> dict:
        figure = super().to_dict()
        figure["frames"] = self._raw_frames
        return figure
