"""Figure builders of the gradient-descent lesson. They draw the arrays they are given and compute nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.contours import even_levels, level_lines
from ui.plots.animation import FramedFigure, play_controls
from ui.plots.charts import figure
from ui.plots.grids import colorscale_stops

METHOD_COLOURS = {"sgd": "#2563eb", "momentum": "#dc2626", "nesterov": "#d97706", "rmsprop": "#059669",
                  "adagrad": "#7c3aed", "adam": "#0891b2"}
BASIN_COLOURS = ("#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#65a30d", "#db2777")


@dataclass(frozen=True)
class Path:
    """One optimizer's run: its label, colour and points (k + 1, d)."""

    label: str
    colour: str
    points: np.ndarray


def frame_steps(longest: int, most: int = 100) -> list[int]:
    """The steps that get an animation frame: all of them up to ``most``, else evenly spaced ones (and the last).

    Each frame holds only a couple of traces (one for all the balls, one per kind of arrow), as plain dicts.
    """
    if longest <= most:
        return list(range(longest + 1))
    return sorted(set(np.linspace(0, longest, most + 1).round().astype(int).tolist()))


def loss_map(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, hover: str | None = None) -> list[dict]:
    """A 2-D loss drawn as a coloured map under its level lines: ``log(1 + z − min z)``, so the valleys of
    Rosenbrock and the bowl stay visible, with 12 evenly spaced level lines of that map.

    The lines are computed here (``core.contours.level_lines``) and drawn as one line trace: plotly's own contour
    trace traces them in the browser at every redraw, about four times slower. The map is a heatmap smoothed by
    the browser's own image scaling (``zsmooth="fast"``); with ``hover`` (a hover template) it answers the mouse
    (and its clicks), else it is skipped. The two traces are the dicts plotly.js reads, as ``contour_figure`` sends
    them (the tests check every figure sent against plotly's copy, ``tests/test_app_pages.py``); a figure built
    through plotly.py (``minibatch_figure``) turns them into its objects.
    """
    shown = np.log1p(z - np.nanmin(z))
    colour = dict(type="heatmap", x=xs, y=ys, z=shown.astype(np.float32), colorscale=colorscale_stops("Viridis"),
                  showscale=False, opacity=0.75, zsmooth="fast", name="map",
                  **({"hovertemplate": hover} if hover is not None else {"hoverinfo": "skip"}))
    points = level_points(xs, ys, shown)
    lines = dict(type="scatter", x=points[:, 0].astype(np.float32), y=points[:, 1].astype(np.float32), mode="lines",
                 line=dict(color="rgba(0, 0, 0, 0.35)", width=0.6), hoverinfo="skip", showlegend=False,
                 name="levels")
    return [colour, lines]


@st.cache_data(max_entries=32, show_spinner=False)
def level_points(xs: np.ndarray, ys: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """The 12 level lines of the map ``shown`` on the grid ``xs`` × ``ys`` (``core.contours.level_lines``), kept:
    moving the start, the steps or a step size changes the paths, not the surface, and tracing the lines was 40 of
    the 2-D part's 90 ms of server time per move."""
    return level_lines(xs, ys, shown, even_levels(shown, 12), tolerance=0.1)


def _at(points: np.ndarray, step: int) -> np.ndarray:
    return points[min(step, len(points) - 1)]


def _balls(xs: Sequence[float], ys: Sequence[float], paths: Sequence[Path], size: int = 16) -> dict:
    """All optimizers' current positions as one trace (one colour per point)."""
    return dict(type="scatter", x=list(xs), y=list(ys), mode="markers", showlegend=False,
                marker=dict(size=size, color=[p.colour for p in paths], line=dict(color="white", width=2)),
                text=[p.label for p in paths], hovertemplate="%{text}<br>(%{x:.4f}, %{y:.4f})<extra></extra>")


def _arrows(segments: Sequence[tuple[float, float, float, float]], colours: Sequence[str], width: float) -> dict:
    """Arrows (x0, y0) → (x1, y1) as one trace: grey shafts, heads in each optimizer's colour."""
    x, y, symbols, sizes, heads = [], [], [], [], []
    for (x0, y0, x1, y1), colour in zip(segments, colours, strict=True):
        x += [x0, x1, None]
        y += [y0, y1, None]
        symbols += ["circle", "arrow", "circle"]
        sizes += [0, 8 + 2 * width, 0]
        heads += [colour, colour, colour]
    return dict(type="scatter", x=x, y=y, mode="lines+markers", showlegend=False, hoverinfo="skip",
                line=dict(color="#6b7280", width=width),
                marker=dict(symbol=symbols, size=sizes, color=heads, angleref="previous"))


def curve_figure(x: np.ndarray, fx: np.ndarray, paths: Sequence[Path], f_of, grad_of, lr: Sequence[float],
                 labels: Mapping[str, str], play_label: str, y_range: tuple[float, float]) -> go.Figure:
    """A 1-D loss curve with one ball per optimizer; each frame moves the balls and draws two arrows per ball:
    the plain gradient step −lr·f′(x) (thin) and the step actually taken (thick), which momentum makes longer.

    ``f_of`` and ``grad_of`` map an array of positions to values / slopes; ``labels`` has ``x``, ``loss``, ``step``.
    """
    longest = max(len(p.points) for p in paths) - 1
    steps = frame_steps(longest)
    colours = [p.colour for p in paths]

    def moving(step: int) -> list[dict]:
        here = np.array([float(_at(p.points, step)[0]) for p in paths])
        there = np.array([float(_at(p.points, step + 1)[0]) for p in paths])
        y = f_of(here)
        gradient_step = -np.asarray(lr) * grad_of(here)
        return [_arrows([(a, b, a + d, b) for a, b, d in zip(here, y, gradient_step, strict=True)], colours, 1.5),
                _arrows([(a, b, c, b) for a, b, c in zip(here, y, there, strict=True)], colours, 3.5),
                _balls(here, y, paths)]

    curve = dict(type="scatter", x=x.astype(np.float32), y=fx.astype(np.float32), mode="lines", name=labels["loss"],
                 line=dict(color="#6b7280", width=3), hoverinfo="skip")
    trails = [dict(type="scatter", x=p.points[:, 0], y=f_of(p.points[:, 0]), mode="lines", name=p.label,
                   hoverinfo="skip", line=dict(color=p.colour, width=2, dash="dot")) for p in paths]
    first = len(trails) + 1
    frames = [dict(name=str(s), data=moving(s), traces=[first, first + 1, first + 2]) for s in steps]
    return FramedFigure(data=[curve, *trails, *moving(0)], raw_frames=frames, layout=dict(
        height=460, margin=dict(l=10, r=10, t=30, b=110),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
        xaxis=dict(title=dict(text=labels["x"]), range=[float(x[0]), float(x[-1])]),
        yaxis=dict(title=dict(text=labels["loss"]), range=list(y_range)),
        **play_controls([str(s) for s in steps], 0, play_label, labels["step"] + " "),
    ))


def contour_figure(axes: tuple[np.ndarray, np.ndarray], z: np.ndarray, paths: Sequence[Path],
                   minima: Sequence[tuple[float, float]], labels: Mapping[str, str], play_label: str,
                   most_frames: int = 50) -> dict:
    """Contours of a 2-D loss with every optimizer's path; ▶ and the slider move the balls along in the browser,
    written as the dict plotly.js reads (plotly.py's checks of its traces were a third of the part's server run).

    The map itself is hovered and clicked: a click anywhere on it is sent to the server, which takes the nearest
    point of a grid of round starts (``ui.lessons.gradient_descent.start_at``). The ``frames`` of the animation
    (``most_frames``, each a slider step whose label plotly lays out) are what a fresh plot of this figure costs the
    browser most: 101 frames and an invisible grid of 1,681 markers to click took it from 35 ms to 130 ms; the grid
    of 441 that replaced it still cost 10 of a redraw's 40 ms (Chromium, ``Plotly.react``).
    ``labels`` has ``start``, ``minimum``, ``step``, ``loss`` and ``click``.
    """
    xs, ys = axes
    surface = loss_map(xs, ys, z, hover=f"{labels['click']}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>")
    lines = [dict(type="scatter", x=p.points[:, 0], y=p.points[:, 1], mode="lines", name=p.label,
                  legendgroup=p.label, line=dict(color=p.colour, width=2.5), hoverinfo="skip") for p in paths]
    start = dict(type="scatter", x=[float(paths[0].points[0, 0])] if paths else [],
                 y=[float(paths[0].points[0, 1])] if paths else [], mode="markers", name=labels["start"],
                 marker=dict(symbol="x", size=14, color="white", line=dict(color="black", width=2)))
    marks = dict(type="scatter", x=[float(m[0]) for m in minima], y=[float(m[1]) for m in minima], mode="markers",
                 name=labels["minimum"],
                 marker=dict(symbol="star", size=14, color="#facc15", line=dict(color="black", width=1)),
                 hovertemplate="(%{x:.4f}, %{y:.4f})<extra></extra>")
    longest = max((len(p.points) for p in paths), default=1) - 1
    steps = frame_steps(longest, most_frames)

    def balls(step: int) -> dict:
        return _balls([_at(p.points, step)[0] for p in paths], [_at(p.points, step)[1] for p in paths], paths, 13)

    base = [*surface, *lines, start, marks]
    frames = [dict(name=str(s), data=[balls(s)], traces=[len(base)]) for s in steps]
    return dict(data=[*base, balls(0)], frames=frames, layout=dict(
        height=540, margin=dict(l=10, r=10, t=30, b=110), legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
        xaxis=dict(title=dict(text="x"), range=[float(xs[0]), float(xs[-1])]),
        yaxis=dict(title=dict(text="y"), range=[float(ys[0]), float(ys[-1])]),
        clickmode="event+select", dragmode=False,
        **(play_controls([str(s) for s in steps], 0, play_label, labels["step"] + " ") if paths else {}),
    ))


def surface_figure(axes: tuple[np.ndarray, np.ndarray], z: np.ndarray, paths: Sequence[Path], f_of) -> go.Figure:
    """The loss as a 3-D surface with each path lying on it."""
    xs, ys = axes
    traces = [go.Surface(x=xs, y=ys, z=z.astype(np.float32), colorscale="Viridis", showscale=False, opacity=0.85)]
    for p in paths:
        traces.append(go.Scatter3d(x=p.points[:, 0], y=p.points[:, 1], z=f_of(p.points), mode="lines+markers",
                                   name=p.label, line=dict(color=p.colour, width=5), marker=dict(size=2)))
    return figure(data=traces, layout=dict(height=520, margin=dict(l=0, r=0, t=10, b=0),
                                           legend=dict(orientation="h", y=1.0)))


def phase_figure(lrs: np.ndarray, momenta: np.ndarray, steps: np.ndarray, optimum: tuple[float, float],
                 labels: Mapping[str, str]) -> go.Figure:
    """Steps to converge over (step size, momentum); cells that never converge are left blank; ★ the theory."""
    z = np.where(steps < 0, np.nan, steps).astype(np.float32)
    heat = go.Heatmap(x=lrs, y=momenta, z=z, colorscale="Viridis_r", colorbar=dict(title=dict(text=labels["steps"])),
                      hovertemplate=f"lr = %{{x:.4g}}<br>β = %{{y:.3f}}<br>{labels['steps']}: %{{z}}<extra></extra>")
    star = go.Scatter(x=[optimum[0]], y=[optimum[1]], mode="markers", name=labels["optimum"],
                      marker=dict(symbol="star", size=18, color="#facc15", line=dict(color="black", width=1.5)))
    return figure(data=[heat, star], layout=dict(
        height=460, margin=dict(l=10, r=10, t=40, b=10), title=dict(text=labels["title"], font=dict(size=15)),
        legend=dict(orientation="h", y=-0.15), xaxis=dict(title=dict(text=labels["lr"])),
        yaxis=dict(title=dict(text=labels["momentum"])), plot_bgcolor="#9ca3af"))


def basin_figure(xs: np.ndarray, ys: np.ndarray, labels_grid: np.ndarray, minima: Sequence[tuple[float, float]],
                 title: str, names: Sequence[str], none_label: str) -> dict:
    """Each start point coloured by the minimum its run ends in (grey: none reached).

    Written as the dict plotly.js reads: plotly.py checked the hover text of every start one by one, about 4 ms a
    map at every move of β (cProfile); the tests check every figure the app sends against plotly's checked copy
    (``tests/test_app_pages.py``)."""
    k = len(minima)
    colours = ["#d1d5db", *BASIN_COLOURS[:k]]
    # one band of equal width per value 0..k (z = label + 1, drawn from −0.5 to k + 0.5)
    scale = [pair for j in range(k + 1) for pair in ([j / (k + 1), colours[j]], [(j + 1) / (k + 1), colours[j]])]
    text = np.array([none_label, *names], dtype=object)[labels_grid + 1]
    heat = dict(type="heatmap", x=xs, y=ys, z=(labels_grid + 1).astype(np.float32), zmin=-0.5, zmax=k + 0.5,
                colorscale=scale, showscale=False, text=text,
                hovertemplate="(%{x:.2f}, %{y:.2f}) → %{text}<extra></extra>")
    stars = dict(type="scatter", x=[float(m[0]) for m in minima], y=[float(m[1]) for m in minima],
                 mode="markers+text", showlegend=False, text=list(names), textposition="top center",
                 marker=dict(symbol="star", size=13, color=colours[1:], line=dict(color="black", width=1)),
                 hoverinfo="skip")
    return dict(data=[heat, stars], layout=dict(
        height=380, margin=dict(l=10, r=10, t=40, b=10), title=dict(text=title, font=dict(size=14)),
        xaxis=dict(title=dict(text="x"), constrain="domain"), yaxis=dict(title=dict(text="y"), scaleanchor="x")))


def minibatch_figure(axes: tuple[np.ndarray, np.ndarray], z: np.ndarray, runs: Sequence[tuple[str, str, np.ndarray,
                                                                                         np.ndarray, int]],
                     optimum: tuple[float, float], titles: Mapping[str, str], stacked: bool = False) -> go.Figure:
    """The loss bowl over ``(w, b)`` with each run's path (left), and each run's loss on all the data against epochs
    (right; one epoch = ``steps_per_epoch`` steps, so batch sizes compare on the same axis), in one figure: the
    browser mounts every changed chart afresh, and the two always change together. ``stacked``: the loss below the
    path (a phone). ``runs``: ``(label, colour, points (k + 1, 2), losses (k + 1,), steps_per_epoch)``.
    ``titles``: ``path``, ``loss``, ``epochs``, ``minimum``."""
    ws, bs = axes
    lines = [go.Scatter(x=p[:, 0], y=p[:, 1], mode="lines", name=label, legendgroup=label,
                        line=dict(color=colour, width=2), hoverinfo="skip") for label, colour, p, _, _ in runs]
    star = go.Scatter(x=[optimum[0]], y=[optimum[1]], mode="markers", name=titles["minimum"],
                      marker=dict(symbol="star", size=15, color="#facc15", line=dict(color="black", width=1)))
    curves = [go.Scatter(x=np.arange(len(loss)) / per_epoch, y=np.asarray(loss, dtype=np.float64), mode="lines",
                         name=label, legendgroup=label, showlegend=False, line=dict(color=colour, width=2),
                         xaxis="x2", yaxis="y2", hovertemplate="%{x:.2f}: %{y:.4g}<extra></extra>")
              for label, colour, _, loss, per_epoch in runs]
    if stacked:
        path_box, loss_box = dict(x=[0.0, 1.0], y=[0.56, 1.0]), dict(x=[0.0, 1.0], y=[0.0, 0.40])
    else:
        path_box, loss_box = dict(x=[0.0, 0.46], y=[0.0, 1.0]), dict(x=[0.56, 1.0], y=[0.0, 1.0])
    heads = [dict(text=titles[name], x=(box["x"][0] + box["x"][1]) / 2, y=box["y"][1], xref="paper", yref="paper",
                  xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=15))
             for name, box in (("path", path_box), ("loss", loss_box))]
    return figure(data=[*loss_map(ws, bs, z), *lines, star, *curves], layout=dict(
        height=900 if stacked else 520, margin=dict(l=10, r=10, t=40, b=70), annotations=heads,
        legend=dict(orientation="h", y=-0.13 if not stacked else -0.07, yanchor="top", x=0),
        xaxis=dict(title=dict(text="w"), range=[float(ws[0]), float(ws[-1])], domain=path_box["x"]),
        yaxis=dict(title=dict(text="b"), range=[float(bs[0]), float(bs[-1])], domain=path_box["y"]),
        xaxis2=dict(title=dict(text=titles["epochs"]), domain=loss_box["x"], anchor="y2"),
        yaxis2=dict(type="log", domain=loss_box["y"], anchor="x2")))
