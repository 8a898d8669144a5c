"""Figure builders of the activation lesson. They draw arrays they are given and compute nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from ui.plots.animation import FramedFigure, play_controls
from ui.plots.charts import figure
from ui.plots.grids import SIGNED_SCALE
from ui.shell.theme import Palette

# One colour per activation, in registry order; each readable on white and on the dark background.
SERIES_COLOURS = ("#6b7280", "#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2",
                  "#65a30d")


@dataclass(frozen=True)
class Curve:
    """One line of a curve plot; curves sharing a ``group`` toggle together in the legend."""

    name: str
    y: np.ndarray
    colour: str
    dash: str = "solid"
    width: float = 3.0
    group: str | None = None
    legend: bool = True


def _f32(a: np.ndarray) -> np.ndarray:
    """Half the bytes to the browser, still 7 significant digits on hover."""
    return np.asarray(a, dtype=np.float32)


def curves_figure(x: np.ndarray, curves: Sequence[Curve], *, title: str, x_title: str, y_title: str,
                  height: int = 380, y_range: tuple[float, float] | None = None,
                  vlines: Sequence[tuple[float, str]] = ()) -> go.Figure:
    """Several curves over the same x, every value under the mouse at once; ``vlines`` are (x, label) marks."""
    x32 = _f32(x)
    traces = [go.Scatter(x=x32, y=_f32(c.y), name=c.name, mode="lines", legendgroup=c.group, showlegend=c.legend,
                         line=dict(color=c.colour, width=c.width, dash=c.dash),
                         hovertemplate="%{y:.4f}") for c in curves]
    shapes = [dict(type="line", x0=v, x1=v, y0=0, y1=1, yref="paper", line=dict(color="#a21caf", dash="dot", width=2))
              for v, _ in vlines]
    notes = [dict(x=v, y=1, yref="paper", text=label, showarrow=False, yanchor="bottom", font=dict(color="#a21caf"))
             for v, label in vlines]
    return figure(data=traces, layout=dict(
        height=height, margin=dict(l=10, r=10, t=44, b=10), title=dict(text=title, font=dict(size=15)),
        hovermode="x unified", legend=dict(orientation="h", y=-0.18), shapes=shapes, annotations=notes,
        xaxis=dict(title=dict(text=x_title), zeroline=True),
        yaxis=dict(title=dict(text=y_title), zeroline=True, **({"range": list(y_range)} if y_range else {})),
    ))


def plane_figure(axis: np.ndarray, z: np.ndarray, segment: tuple[tuple[float, float], tuple[float, float]] | None,
                 *, title: str, boundary_label: str, signed: bool, zrange: tuple[float, float]) -> go.Figure:
    """A neuron's output over the (x1, x2) plane, with the line where its input w·x + b is 0."""
    scale = dict(colorscale=SIGNED_SCALE, zmid=0.0) if signed else dict(colorscale="Viridis")
    traces = [go.Heatmap(x=_f32(axis), y=_f32(axis), z=_f32(z), zmin=zrange[0], zmax=zrange[1], **scale,
                         colorbar=dict(thickness=10),
                         hovertemplate="x₁=%{x:.2f}, x₂=%{y:.2f}<br>%{z:.4f}<extra></extra>")]
    if segment is not None:
        (xa, ya), (xb, yb) = segment
        traces.append(go.Scatter(x=[xa, xb], y=[ya, yb], mode="lines", name=boundary_label, hoverinfo="skip",
                                 showlegend=True,
                                 line=dict(color="#ffffff", width=3, dash="dash")))
    lo, hi = float(axis[0]), float(axis[-1])
    return figure(data=traces, layout=dict(
        height=420, margin=dict(l=10, r=10, t=44, b=10), title=dict(text=title, font=dict(size=15)),
        legend=dict(orientation="h", y=-0.15),
        xaxis=dict(title=dict(text="x₁"), range=[lo, hi], constrain="domain"),
        yaxis=dict(title=dict(text="x₂"), range=[lo, hi], scaleanchor="x", constrain="domain"),
    ))


def fit_figure(x: np.ndarray, y: np.ndarray, x_eval: np.ndarray, steps: Sequence[int], predictions: np.ndarray,
               labels: Mapping[str, str], pal: Palette, play_label: str, y_range: tuple[float, float]) -> go.Figure:
    """The training points and the network's curve after each snapshot step; ▶ replays training in the browser.

    ``labels`` has ``data``, ``fit``, ``step`` and ``title``. A frame holds only the curve's new heights: plotly.js
    merges them into the drawn curve, so its x, colour and hover text travel once.
    """
    points = go.Scatter(x=_f32(x), y=_f32(y), name=labels["data"], mode="markers",
                        marker=dict(color=pal.forward, size=6, opacity=0.7), hovertemplate="(%{x:.3f}, %{y:.3f})")
    fit = go.Scatter(x=_f32(x_eval), y=_f32(predictions[-1]), name=labels["fit"], mode="lines",
                     line=dict(color=pal.backward, width=4), hovertemplate="%{y:.4f}<extra></extra>")
    names = [str(step) for step in steps]
    frames = [dict(name=name, data=[dict(y=_f32(p))], traces=[1]) for name, p in zip(names, predictions, strict=True)]
    last = len(names) - 1
    return FramedFigure(data=[points, fit], raw_frames=frames, layout=dict(
        height=460, margin=dict(l=10, r=10, t=44, b=110), title=dict(text=labels["title"], font=dict(size=15)),
        legend=dict(orientation="h", y=1.0, yanchor="bottom", x=1, xanchor="right"),
        yaxis=dict(title=dict(text="y"), range=list(y_range)),
        **play_controls(names, last, play_label, labels["step"] + " "),
    ))
