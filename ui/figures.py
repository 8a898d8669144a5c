"""Figure builders (plotly) shared by the pages. They draw what they are given and compute nothing."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ui.theme import Palette

# The loop laid out as a ring: forward pass along the top, backward pass along the bottom.
NODE_XY: dict[str, tuple[float, float]] = {
    "input": (0.0, 1.0), "layers": (2.0, 1.0), "prediction": (4.0, 1.0), "loss": (6.0, 1.0),
    "target": (6.0, 2.3), "gradients": (4.0, -0.3), "optimizer": (2.0, -0.3),
}
NODE_STAGE = {name: ("loss" if name == "target" else name) for name in NODE_XY}
"""The stage each box belongs to: the target is read when the loss is computed."""
EDGES: tuple[tuple[str, str], ...] = (
    ("input", "layers"), ("layers", "prediction"), ("prediction", "loss"), ("target", "loss"),
    ("loss", "gradients"), ("gradients", "optimizer"), ("optimizer", "layers"),
)
BOX_W, BOX_H = 1.6, 0.8


def _group(name: str) -> str:
    if name == "target":
        return "target"
    return "forward" if name in ("input", "layers", "prediction") else "backward"


def _colour(pal: Palette, name: str) -> str:
    return {"forward": pal.forward, "backward": pal.backward, "target": pal.target}[_group(name)]


def _box_shapes(pal: Palette, active: Collection[str], highlight: str | None) -> list[dict]:
    shapes = []
    for name, (x, y) in NODE_XY.items():
        on = NODE_STAGE[name] in active
        lit = on and NODE_STAGE[name] == highlight
        shapes.append(dict(
            type="rect", x0=x - BOX_W / 2, x1=x + BOX_W / 2, y0=y - BOX_H / 2, y1=y + BOX_H / 2,
            line=dict(color=pal.highlight if lit else (_colour(pal, name) if on else pal.muted),
                      width=5 if lit else 2, dash="solid" if on else "dot"),
            fillcolor=_colour(pal, name) if on else pal.inactive, opacity=0.28 if on else 0.5,
            layer="below",
        ))
    return shapes


def _clip(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float, float, float]:
    """The part of segment a→b outside both boxes (centred at a and b), so arrows meet box edges."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    s = min(BOX_W / 2 / abs(dx) if dx else 1.0, BOX_H / 2 / abs(dy) if dy else 1.0) * 1.06
    return a[0] + s * dx, a[1] + s * dy, b[0] - s * dx, b[1] - s * dy


def workflow_figure(nodes: Mapping[str, tuple[str, str]], edge_labels: Mapping[str, str],
                    active: Collection[str], selected: str | None, pal: Palette,
                    play_order: Sequence[str] = (), play_label: str = "▶") -> go.Figure:
    """The training loop as boxes and arrows; boxes of stages not in ``active`` are greyed out.

    ``nodes`` maps each box (``NODE_XY``) to its title and a line of live numbers; ``edge_labels`` has
    ``forward``, ``backward`` and ``update``. ``play_order`` adds a client-side Play button that walks
    the highlight through those stages (no server round trip). The layout is assembled as plain dicts
    and validated once: adding annotations one by one costs plotly several times more.
    """
    annotations = []
    for start, end in EDGES:
        on = NODE_STAGE[start] in active and NODE_STAGE[end] in active
        x0, y0, x1, y1 = _clip(NODE_XY[start], NODE_XY[end])
        colour = _colour(pal, "loss" if start == "target" else start) if on else pal.muted
        annotations.append(dict(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="",
                                showarrow=True, arrowhead=3, arrowsize=1.3, arrowwidth=2.5 if on else 1.2,
                                arrowcolor=colour, opacity=1.0 if on else 0.6))
    for name, (x, y) in NODE_XY.items():
        title, detail = nodes[name]
        colour = pal.text if NODE_STAGE[name] in active else pal.muted
        annotations.append(dict(x=x, y=y, text=f"<b>{title}</b><br>{detail}", showarrow=False,
                                font=dict(size=14, color=colour)))
    (x_in, _), (x_layers, y_top), (x_loss, _) = NODE_XY["input"], NODE_XY["layers"], NODE_XY["loss"]
    y_mid = (y_top + NODE_XY["optimizer"][1]) / 2
    label_font = dict(size=14, color=pal.text)
    for x, y, text in (((x_in + x_layers) / 2, y_top + BOX_H / 2 + 0.2, f"<i>{edge_labels['forward']}</i> →"),
                       (x_loss - 0.45, y_mid, f"↙ <i>{edge_labels['backward']}</i>"),
                       (x_layers + 0.1, y_mid, f"<i>{edge_labels['update']}</i> ↑")):
        annotations.append(dict(x=x, y=y, text=text, showarrow=False, font=label_font, xanchor="left"))
    # Transparent markers over the boxes: hover shows the numbers, a click selects the stage.
    names = list(NODE_XY)
    click_targets = go.Scatter(
        x=[NODE_XY[n][0] for n in names], y=[NODE_XY[n][1] for n in names], mode="markers",
        marker=dict(size=64, symbol="square", color="rgba(0,0,0,0)"),
        customdata=[NODE_STAGE[n] for n in names],
        hovertext=[f"{nodes[n][0]}: {nodes[n][1]}" for n in names], hoverinfo="text", showlegend=False,
    )
    layout = dict(
        annotations=annotations, shapes=_box_shapes(pal, active, selected), height=420,
        margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(range=[-0.9, 6.9], visible=False, fixedrange=True),
        yaxis=dict(range=[-1.05, 2.8], visible=False, fixedrange=True),
        plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)", dragmode=False, clickmode="event+select",
    )
    frames = []
    if play_order:
        frames = [dict(name=stage, layout=dict(shapes=_box_shapes(pal, active, stage))) for stage in play_order]
        layout["updatemenus"] = [dict(
            type="buttons", x=0.0, y=0.0, xanchor="left", yanchor="bottom", showactive=False,
            font=dict(size=14), buttons=[dict(label=play_label, method="animate", args=[None, dict(
                frame=dict(duration=900, redraw=True), transition=dict(duration=0), fromcurrent=False)])],
        )]
    return go.Figure(data=[click_targets], layout=layout, frames=frames)


def loss_history_figure(losses: Sequence[float], current: int, title: str, x_title: str,
                        pal: Palette) -> go.Figure:
    """Loss after each training step, on a log scale when it spans orders of magnitude."""
    positive = all(v > 0 for v in losses)
    trace = go.Scatter(x=list(range(len(losses))), y=list(losses), mode="lines+markers",
                       line=dict(color=pal.backward, width=2), marker=dict(size=5),
                       hovertemplate="%{x}: %{y:.4g}<extra></extra>")
    return go.Figure(data=[trace], layout=dict(
        height=240, margin=dict(l=10, r=10, t=40, b=10), title=dict(text=title, font=dict(size=15)),
        showlegend=False,
        xaxis=dict(title=dict(text=x_title), range=[-0.5, max(len(losses) - 1, 10) + 0.5]),
        yaxis=dict(type="log", dtick=1, exponentformat="power", showexponent="all") if positive else {},
        shapes=[dict(type="line", x0=current, x1=current, xref="x", y0=0, y1=1, yref="paper",
                     line=dict(color=pal.highlight, width=2, dash="dot"))],
    ))


def lines_figure(x: Sequence[float], series: Mapping[str, Sequence[float]], title: str, x_title: str, y_title: str,
                 height: int = 320, percent: bool = False) -> go.Figure:
    """A few named curves over the same x. Their legend sits between the title and the plot (under it, it met the
    x axis's title); whole-number x (epochs, layers, shifts) get a tick each, up to 12; ``percent``: y from 0 to 1
    read as 0–100 %."""
    x = list(x)
    traces = [go.Scatter(x=x, y=list(y), name=name, mode="lines+markers") for name, y in series.items()]
    legend = len(series) > 1
    whole = len(x) <= 12 and all(float(v).is_integer() for v in x)
    return go.Figure(data=traces, layout=dict(
        height=height + (24 if legend else 0), margin=dict(l=10, r=10, t=64 if legend else 40, b=10),
        title=dict(text=title, font=dict(size=15)), showlegend=legend,
        legend=dict(orientation="h", x=0, xanchor="left", y=1.0, yanchor="bottom"),
        xaxis=dict(title=dict(text=x_title), dtick=1 if whole else None),
        yaxis=dict(title=dict(text=y_title), tickformat=".0%" if percent else None)))


def bars_figure(labels: Sequence[str], values: Sequence[float], title: str, height: int = 300,
                percent: bool = False) -> go.Figure:
    """One bar per label (every label on the axis, in order, even when they look like numbers), its value written on
    it. ``percent``: values in [0, 1] written as percentages, those under 0.5 % left unwritten (unreadable slivers)."""
    shown = (lambda v: f"{100 * v:.1f}%" if v >= 0.005 else "") if percent else (lambda v: f"{v:.4g}")
    text = [shown(v) for v in values]
    return go.Figure(go.Bar(x=[str(label) for label in labels], y=list(values), text=text, textposition="auto",
                            hovertemplate="%{x}: %{y:.4g}<extra></extra>"),
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
    return go.Figure(data=[heatmap], layout=dict(
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
    return go.Figure(data=traces, layout=dict(height=rows * row_height, margin=dict(l=0, r=0, t=4, b=0),
                                              annotations=annotations, **layout))


def log_lines_figure(x: Sequence[float], series: Mapping[str, Sequence[float]], colours: Mapping[str, str], *,
                     title: str, x_title: str, y_title: str, dashed: Sequence[str] = (),
                     height: int = 400) -> go.Figure:
    """Named curves on a logarithmic y axis (gradient sizes, loss curves), every value under the mouse at once."""
    markers = len(x) <= 40
    traces = [go.Scatter(x=list(x), y=np.asarray(y, dtype=np.float32), name=name,
                         mode="lines+markers" if markers and name not in dashed else "lines",
                         line=dict(color=colours.get(name), width=2 if name in dashed else 3,
                                   dash="dash" if name in dashed else "solid"),
                         hovertemplate="%{y:.3e}") for name, y in series.items()]
    return go.Figure(data=traces, layout=dict(
        height=height, margin=dict(l=10, r=10, t=44, b=10), title=dict(text=title, font=dict(size=15)),
        hovermode="x unified", legend=dict(orientation="h", y=-0.2),
        xaxis=dict(title=dict(text=x_title), dtick=1 if len(x) <= 12 else None),
        yaxis=dict(title=dict(text=y_title), type="log", exponentformat="power", dtick=1),
    ))


class FramedFigure(go.Figure):
    """A figure whose animation frames go to the browser as plain dicts, never built as plotly objects.

    Building a frame's traces as plotly objects costs about a millisecond each on the server, which made a
    60-frame animation a half-second rerun; the browser needs only the JSON. ``st.plotly_chart`` serialises a
    figure through ``to_dict``, which is where the frames are put back.
    """

    def __init__(self, *args, raw_frames: Sequence[dict] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._raw_frames = list(raw_frames)

    def to_dict(self) -> dict:
        figure = super().to_dict()
        figure["frames"] = self._raw_frames
        return figure
