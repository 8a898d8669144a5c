"""Charts shared by the lessons (lines, bars, a confusion matrix, a gallery) and the one ``CHART`` config every
``st.plotly_chart`` call uses. They draw what they are given and compute nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

CHART = {"displayModeBar": False}
"""The ``config`` of every chart: no plotly tool bar over a figure a student touches."""


def figure(data=(), layout=None, frames=None) -> go.Figure:
    """``go.Figure(data, layout, frames)`` without plotly.py checking everything a second time.

    Each trace is checked when it is built (``go.Heatmap(...)``); ``go.Figure`` would rebuild and check every trace
    again from its properties, then the layout, and each ``update_*`` call on the figure once more: 4 to 16 ms of a
    rerun (about a third on the tensor and fully-connected parts). Instead, the tests check every chart the app sends,
    whole: ``tests/test_app_pages.py`` compares each part's figures with plotly's checked copy of them.
    """
    return go.Figure(data=data, layout=untemplated(layout), frames=frames, _validate=False)


def untemplated(layout: dict | None) -> dict | None:
    """``layout`` with an empty template of its own, unless it names one: ``go.Figure`` copies plotly's default
    template (Streamlit's, once Streamlit is imported) into a figure whose layout has none, at half a millisecond a
    figure, and every figure is written with the app's own template anyway (``ui.plots.kept.chart_template``). The
    default itself is left alone: ``st.plotly_chart`` themes by it."""
    if layout is None:
        return {"template": {}}
    if isinstance(layout, dict) and "template" not in layout:
        return {**layout, "template": {}}
    return layout



def lines_figure(x: Sequence[float], series: Mapping[str, Sequence[float]], title: str, x_title: str, y_title: str,
                 height: int = 320, percent: bool = False) -> go.Figure:
    """A few named curves over the same x. Their legend sits between the title and the plot (under it, it met the
    x axis's title); whole-number x (epochs, layers, shifts) get a tick each, up to 12; ``percent``: y from 0 to 1
    read as 0–100 %."""
    x = list(x)
    traces = [go.Scatter(x=x, y=list(y), name=name, mode="lines+markers") for name, y in series.items()]
    legend = len(series) > 1
    whole = len(x) <= 12 and all(float(v).is_integer() for v in x)
    return figure(data=traces, layout=dict(
        height=height + (24 if legend else 0), margin=dict(l=10, r=10, t=64 if legend else 40, b=10),
        title=dict(text=title, font=dict(size=15)), showlegend=legend,
        legend=dict(orientation="h", x=0, xanchor="left", y=1.0, yanchor="bottom"),
        xaxis=dict(title=dict(text=x_title), dtick=1 if whole else None),
        yaxis=dict(title=dict(text=y_title), tickformat=".0%" if percent else None)))


def bar_props(labels: Sequence[str], values: Sequence[float], percent: bool = False) -> dict:
    """A bar chart's bars: one per label (named as text), its value written on it (``percent``: values in [0, 1] as
    percentages, those under 0.5 % left unwritten: unreadable slivers) and read under the mouse."""
    shown = (lambda v: f"{100 * v:.1f}%" if v >= 0.005 else "") if percent else (lambda v: f"{v:.4g}")
    return dict(x=[str(label) for label in labels], y=[float(v) for v in values], text=[shown(v) for v in values],
                textposition="auto", hovertemplate="%{x}: %{y:.4g}<extra></extra>")


def bars_figure(labels: Sequence[str], values: Sequence[float], title: str, height: int = 300,
                percent: bool = False) -> go.Figure:
    """One bar per label (every label on the axis, in order, even when they look like numbers), its value written on
    it. ``percent``: values in [0, 1] written as percentages, those under 0.5 % left unwritten (unreadable slivers)."""
    return figure(go.Bar(**bar_props(labels, values, percent)),
                  layout=dict(height=height, margin=dict(l=10, r=10, t=40, b=10),
                              title=dict(text=title, font=dict(size=15)),
                              xaxis=dict(type="category"),
                              yaxis=dict(range=[0, 1.05], tickformat=".0%") if percent else {}))


def confusion_figure(counts: np.ndarray, classes: Sequence[str], title: str, true_title: str, predicted_title: str,
                     height: int = 380) -> go.Figure:
    """``counts[t, p]``: test images of class t that the network called p, each count written in its cell, the
    classes named on both axes; darker = more (the diagonal holds the right answers)."""
    counts = np.asarray(counts)
    names = [str(c) for c in classes]
    heatmap = go.Heatmap(z=counts.astype(np.float32), x=names, y=names, colorscale="Blues", showscale=False,
                         text=counts.astype(int).astype(str), texttemplate="%{text}", xgap=1, ygap=1,
                         hovertemplate=f"{true_title} %{{y}}, {predicted_title} %{{x}}: %{{z}}<extra></extra>")
    return figure(data=[heatmap], layout=dict(
        height=height, margin=dict(l=10, r=10, t=40, b=10), title=dict(text=title, font=dict(size=15)),
        xaxis=dict(title=dict(text=predicted_title), type="category", side="bottom", constrain="domain"),
        yaxis=dict(title=dict(text=true_title), type="category", autorange="reversed", scaleanchor="x",
                   constrain="domain")))


def gallery_figure(images: Sequence[np.ndarray], captions: Sequence[str], columns: int = 6,
                   row_height: int = 120) -> go.Figure:
    """Small grey images (values in [0, 1]) in a grid of ``columns``, each under its caption: one figure, so a phone
    shows the grid shrunk instead of one long column of pictures."""
    n = len(images)
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    gap_x, gap_y = 0.02, 0.28 / rows  # room between cells, and above each for its caption
    width, height = (1 - gap_x * (columns - 1)) / columns, (1 - gap_y * rows) / rows
    traces, layout, annotations = [], {}, []
    for k, (image, caption) in enumerate(zip(images, captions, strict=True)):
        r, c = divmod(k, columns)
        x0, top = c * (width + gap_x), 1 - r * (height + gap_y) - gap_y
        axis = "" if k == 0 else str(k + 1)
        traces.append(go.Heatmap(z=np.asarray(image, dtype=np.float32), colorscale="gray", zmin=0.0, zmax=1.0,
                                 showscale=False, xaxis=f"x{axis}", yaxis=f"y{axis}", hoverinfo="skip"))
        layout[f"xaxis{axis}"] = dict(domain=[x0, x0 + width], visible=False, constrain="domain", fixedrange=True)
        layout[f"yaxis{axis}"] = dict(domain=[top - height, top], visible=False, autorange="reversed",
                                      scaleanchor=f"x{axis}", constrain="domain", fixedrange=True)
        annotations.append(dict(text=caption, x=x0 + width / 2, y=top, xref="paper", yref="paper",
                                xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=13)))
    return figure(data=traces, layout=dict(height=rows * row_height, margin=dict(l=0, r=0, t=4, b=0),
                                           annotations=annotations, **layout))


def log_lines_figure(x: Sequence[float], series: Mapping[str, Sequence[float]], colours: Mapping[str, str], *,
                     title: str, x_title: str, y_title: str, dashed: Sequence[str] = (),
                     height: int = 400) -> dict:
    """Named curves on a logarithmic y axis (gradient sizes, loss curves), every value under the mouse at once.

    Written as the dict plotly.js reads, its x and y as arrays (typed arrays in the browser): plotly.py checked each
    of the x values one by one, 8 of a curve fit's 16 ms of figure building at every press (cProfile, 601 steps);
    the tests check every figure the app sends against plotly's checked copy (``tests/test_app_pages.py``)."""
    markers = len(x) <= 40
    steps = np.asarray(x)
    traces = [dict(type="scatter", x=steps, y=np.asarray(y, dtype=np.float32), name=name,
                   mode="lines+markers" if markers and name not in dashed else "lines",
                   line=dict(width=2 if name in dashed else 3, dash="dash" if name in dashed else "solid",
                             **({"color": colours[name]} if name in colours else {})),
                   hovertemplate="%{y:.3e}") for name, y in series.items()]
    return dict(data=traces, layout=dict(
        height=height, margin=dict(l=10, r=10, t=44, b=10), title=dict(text=title, font=dict(size=15)),
        hovermode="x unified", legend=dict(orientation="h", y=-0.2),
        xaxis=dict(title=dict(text=x_title), **({"dtick": 1} if len(x) <= 12 else {})),
        yaxis=dict(title=dict(text=y_title), type="log", exponentformat="power", dtick=1),
    ))


