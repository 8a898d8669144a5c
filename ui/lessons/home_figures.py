"""Figure builders of the home page: the training loop as a ring of boxes, and the loss history."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import plotly.graph_objects as go

from ui.plots.charts import figure
from ui.shell.theme import Palette

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
    and handed to the figure once: adding annotations one by one costs plotly several times more.
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
    return figure(data=[click_targets], layout=layout, frames=frames)


def loss_history_figure(losses: Sequence[float], current: int, title: str, x_title: str,
                        pal: Palette) -> go.Figure:
    """Loss after each training step, on a log scale when it spans orders of magnitude."""
    positive = all(v > 0 for v in losses)
    trace = go.Scatter(x=list(range(len(losses))), y=list(losses), mode="lines+markers",
                       line=dict(color=pal.backward, width=2), marker=dict(size=5),
                       hovertemplate="%{x}: %{y:.4g}<extra></extra>")
    return figure(data=[trace], layout=dict(
        height=240, margin=dict(l=10, r=10, t=40, b=10), title=dict(text=title, font=dict(size=15)),
        showlegend=False,
        xaxis=dict(title=dict(text=x_title), range=[-0.5, max(len(losses) - 1, 10) + 0.5]),
        yaxis=dict(type="log", dtick=1, exponentformat="power", showexponent="all") if positive else {},
        shapes=[dict(type="line", x0=current, x1=current, xref="x", y0=0, y1=1, yref="paper",
                  line=dict(color=pal.highlight, width=2, dash="dot"))],
    ))


MILESTONES: tuple[tuple[str, int, str], ...] = (
    ("neuron", 1943, "neuron"), ("perceptron", 1958, "neuron"), ("limits", 1969, "winter"),
    ("backprop", 1986, "training"), ("lenet", 1989, "cnn"), ("mnist", 1998, "cnn"), ("pretraining", 2006, "training"),
    ("relu", 2010, "training"), ("alexnet", 2012, "cnn"), ("resnet", 2015, "cnn"), ("transformer", 2017, "neuron"),
)
"""Milestones of deep learning: (catalogue key under ``home.history.events``, year, kind). The kinds pick the
colour: the neuron and its models, training methods, convolutional networks, the setback of 1969."""


def history_figure(events: Sequence[tuple[int, str, str]], title: str, pal: Palette) -> go.Figure:
    """The milestones down a vertical time line, one row each in order (``events`` as ``(year, label, kind)``),
    the year and the label to the right of the dot, the names in brackets on a second line: readable on a phone."""
    colours = {"neuron": pal.forward, "training": pal.backward, "cnn": pal.target, "winter": pal.muted}
    traces = []
    for kind, colour in colours.items():
        rows = [(n, e) for n, e in enumerate(events) if e[2] == kind]
        if rows:
            traces.append(go.Scatter(
                x=[0] * len(rows), y=[-n for n, _ in rows], customdata=[e[0] for _, e in rows], mode="markers+text",
                text=[f"<b>{e[0]}</b>  {e[1].replace(' (', '<br>(').replace('（', '<br>（')}" for _, e in rows],
                textposition="middle right", hoverinfo="skip", showlegend=False,
                marker=dict(size=12, color=colour), textfont=dict(size=13, color=pal.text)))
    return figure(data=traces, layout=dict(
        height=46 * len(events) + 50, margin=dict(l=10, r=10, t=40, b=10), title=dict(text=title, font=dict(size=15)),
        xaxis=dict(range=[-0.1, 2.0], visible=False),  # the dots at the left, the labels to their right
        yaxis=dict(range=[-len(events) + 0.4, 0.6], visible=False),
        shapes=[dict(type="line", x0=0, x1=0, y0=0, y1=-len(events) + 1, line=dict(color=pal.muted, width=2))]))
