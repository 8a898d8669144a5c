"""The computation graph drawn with plotly: nodes in columns by depth, values on the nodes, gradients on the edges."""

from __future__ import annotations

from collections.abc import Collection
from itertools import pairwise

import plotly.graph_objects as go

from core.backprop import Graph
from core.numbers import format_number
from ui.plots.charts import figure

NODE_COLOURS = {"input": "#2563eb", "param": "#d97706", "target": "#6b7280"}  # inputs, weights, the target
OP_COLOUR = "#059669"
GRAD_COLOUR = "#dc2626"


def layout(graph: Graph) -> dict[str, tuple[float, float]]:
    """(column, row) per node: operations in the column of their depth; a leaf one column left of its first user;
    rows spread from the output leftwards, each node's inputs around its own row (a tree layout; a node used twice
    keeps its first place)."""
    users: dict[str, list[str]] = {name: [] for name in graph.nodes}
    for name, node in graph.nodes.items():
        for i in node.inputs:
            users[i].append(name)
    places: dict[str, tuple[float, float]] = {}

    def place(name: str, row: float, spread: float) -> None:
        if name in places:
            return
        node = graph.nodes[name]
        column = node.depth if not node.is_leaf else min(graph.nodes[u].depth for u in users[name]) - 1 \
            if users[name] else 0
        places[name] = (float(column), row)
        m = len(node.inputs)
        for k, i in enumerate(node.inputs):
            place(i, row + (k - (m - 1) / 2) * spread, max(spread / max(m, 1), 0.9))

    place(graph.output, 0.0, 3.0)
    for name in graph.nodes:  # anything the output does not depend on: below the rest
        if name not in places:
            places[name] = (float(graph.nodes[name].depth), max(r for _, r in places.values()) + 1.0)
    for column in {c for c, _ in places.values()}:  # at least one row apart within a column: push down
        names = sorted((n for n, (c, _) in places.items() if c == column), key=lambda n: places[n][1])
        for above, below in pairwise(names):
            if places[below][1] < places[above][1] + 1.0:
                places[below] = (column, places[above][1] + 1.0)
    return places


def graph_figure(graph: Graph, *, values: Collection[str], grads: Collection[tuple[str, str]],
                 current: str | tuple[str, str] | None, title: str, height: int | None = None) -> go.Figure:
    """Nodes show their symbol, and ``= value`` once in ``values`` (leaves always); an edge in ``grads`` shows the
    gradient it carries back, in red. ``current`` (a node name or an edge's (source, target)) is outlined."""
    pos = layout(graph)
    edge_x: list[float | None] = []
    edge_y: list[float | None] = []
    notes = []
    for e in graph.edges:
        (x0, y0), (x1, y1) = pos[e.source], pos[e.target]
        edge_x += [x0, x1, None]
        edge_y += [y0, y1, None]
        is_current = current == (e.source, e.target)
        if (e.source, e.target) in grads:
            notes.append(dict(x=(x0 + x1) / 2, y=(y0 + y1) / 2, text=format_number(e.grad), showarrow=False,
                              font=dict(color=GRAD_COLOUR, size=14 if is_current else 12),
                              bgcolor="rgba(255,255,255,0.85)", bordercolor=GRAD_COLOUR if is_current else None))
        if is_current:
            notes.append(dict(x=x0, y=y0, ax=x1, ay=y1, xref="x", yref="y", axref="x", ayref="y", text="",
                              showarrow=True, arrowhead=3, arrowwidth=3, arrowcolor=GRAD_COLOUR))
    names = list(graph.nodes)
    text, hover, colours, widths = [], [], [], []
    for name in names:
        node = graph.nodes[name]
        shown = node.is_leaf or name in values
        text.append(f"<b>{node.symbol}</b><br>{format_number(node.value)}" if shown else f"<b>{node.symbol}</b>")
        hover.append(f"{node.label}<br>value {format_number(node.value) if shown else '?'}")
        colours.append(NODE_COLOURS.get(node.op, OP_COLOUR))
        widths.append(4 if current == name else 1)
    nodes = go.Scatter(x=[pos[n][0] for n in names], y=[pos[n][1] for n in names], mode="markers+text", text=text,
                       textposition="middle center", hovertext=hover, hoverinfo="text", showlegend=False,
                       textfont=dict(color="white", size=12),
                       marker=dict(size=54, color=colours, line=dict(color="#111827", width=widths)))
    lines = go.Scatter(x=edge_x, y=edge_y, mode="lines", line=dict(color="#9ca3af", width=1.5), hoverinfo="skip",
                       showlegend=False)
    columns = [p[0] for p in pos.values()]
    rows = [p[1] for p in pos.values()]
    return figure(data=[lines, nodes], layout=dict(
        title=dict(text=title, font=dict(size=15)), annotations=notes,
        height=height or int(64 * (max(rows) - min(rows) + 1.6) + 50),
        margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="rgba(0,0,0,0)",
        xaxis=dict(visible=False, range=[min(columns) - 0.6, max(columns) + 0.6], fixedrange=True),
        yaxis=dict(visible=False, range=[max(rows) + 0.8, min(rows) - 0.8], fixedrange=True)))
