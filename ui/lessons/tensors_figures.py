"""Pictures of small tensors: every cell with its value and index, the axes as labelled arrows.

Layout: the last axis runs left to right inside a matrix, the one before it top to bottom; a 3-D tensor is a row
of matrices (axis 0 across), a 4-D one a row of such stacks drawn as columns (axis 0 across, axis 1 down).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from core.budgets import TENSOR_PICTURE
from ui.plots.charts import figure

GAP = 1.0  # empty cells between matrices
MAX_PICTURE_CELLS = TENSOR_PICTURE.limit  # beyond this a picture would be unreadable: the page shows the shape only


@dataclass(frozen=True)
class CellLayout:
    """Where each cell of a tensor goes: ``x``, ``y`` (cell centres, y downwards) and its index, in C order."""

    shape: tuple[int, ...]
    x: np.ndarray
    y: np.ndarray
    index: np.ndarray  # (n_cells, ndim)
    rows: int
    cols: int


def cell_layout(shape: tuple[int, ...]) -> CellLayout:
    """Cell centres for a tensor of ndim 0..4 (a scalar is one cell)."""
    ndim = len(shape)
    if ndim > 4:
        raise ValueError("pictures are drawn for at most 4 axes")
    index = np.indices(shape).reshape(ndim, -1).T if ndim else np.zeros((1, 0), dtype=int)
    rows = shape[-2] if ndim >= 2 else 1
    cols = shape[-1] if ndim >= 1 else 1
    c = index[:, -1] if ndim >= 1 else np.zeros(1, dtype=int)
    r = index[:, -2] if ndim >= 2 else np.zeros(1, dtype=int)
    across = index[:, 0] if ndim >= 3 else np.zeros_like(c)
    down = index[:, 1] if ndim == 4 else np.zeros_like(c)
    return CellLayout(tuple(shape), across * (cols + GAP) + c, down * (rows + GAP) + r, index, rows, cols)


def _arrow(x0: float, y0: float, x1: float, y1: float, text: str, colour: str, **label) -> list[dict]:
    arrow = dict(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="", showarrow=True,
                 arrowhead=3, arrowsize=1.2, arrowwidth=2, arrowcolor=colour)
    note = dict(x=(x0 + x1) / 2, y=(y0 + y1) / 2, text=text, showarrow=False, font=dict(color=colour, size=13),
                **label)
    return [arrow, note]


def axis_arrows(layout: CellLayout, labels: Sequence[str], colour: str) -> list[dict]:
    """One labelled arrow per axis: ``labels[k]`` is the text of axis k (e.g. "axis 1 · 4")."""
    ndim, rows, cols = len(layout.shape), layout.rows, layout.cols
    notes: list[dict] = []
    if ndim >= 1:
        notes += _arrow(-0.5, -1.0, cols - 0.5, -1.0, labels[-1], colour, yshift=12)
    if ndim >= 2:
        notes += _arrow(-1.0, -0.5, -1.0, rows - 0.5, labels[-2], colour, textangle=-90, xshift=-12)
    if ndim >= 3:
        right = float(layout.x.max())
        y = float(layout.y.max()) + 1.1
        notes += _arrow(cols / 2 - 0.5, y, right - cols / 2 + 0.5, y, labels[0], colour, yshift=-12)
    if ndim == 4:
        bottom = float(layout.y.max())
        x = float(layout.x.max()) + 1.1
        notes += _arrow(x, rows / 2 - 0.5, x, bottom - rows / 2 + 0.5, labels[1], colour, textangle=90, xshift=12)
    return notes


def tensor_figure(values: np.ndarray, *, title: str, name: str, colour: str, text_colour: str,
                  real: np.ndarray | None = None, axis_labels: Sequence[str] = (), height: int | None = None,
                  highlight_axis: int | None = None, value_format: str = "{:g}") -> go.Figure:
    """Each cell a square with its value; hover gives ``name[i, j, …] = value``.

    ``real`` (same shape, bool) marks the cells that exist in memory: the others (copies made by broadcasting,
    which NumPy never stores) are drawn faded. ``highlight_axis`` outlines the arrow of that axis in red.
    """
    values = np.asarray(values)
    layout = cell_layout(values.shape)
    flat = values.reshape(-1)
    real_flat = np.ones(flat.size, dtype=bool) if real is None else np.asarray(real).reshape(-1)
    shapes = [dict(type="rect", x0=x - 0.46, x1=x + 0.46, y0=y - 0.46, y1=y + 0.46, layer="below",
                   line=dict(color=colour, width=1.5, dash="solid" if on else "dot"),
                   fillcolor=colour, opacity=0.35 if on else 0.08)
              for x, y, on in zip(layout.x, layout.y, real_flat, strict=True)]
    index_text = [", ".join(map(str, i)) for i in layout.index]
    hover = [f"{name}[{i}] = {value_format.format(v)}" if i else f"{name} = {value_format.format(v)}"
             for i, v in zip(index_text, flat, strict=True)]
    cells = go.Scatter(x=layout.x, y=layout.y, mode="text", text=[value_format.format(v) for v in flat],
                       textfont=dict(color=[text_colour if on else "rgba(128,128,128,0.6)" for on in real_flat],
                                     size=13 if flat.size <= 120 else 10),
                       hovertext=hover, hoverinfo="text", showlegend=False)
    labels = list(axis_labels)
    arrows_colour = colour
    notes = axis_arrows(layout, labels, arrows_colour) if labels else []
    if highlight_axis is not None and labels:
        # the arrow and label pairs come in axis order -1, -2, 0, 1 (as drawn); recolour the conflicting one
        order = [len(labels) - 1, len(labels) - 2, 0, 1][: len(notes) // 2]
        for n, axis in enumerate(order):
            if axis == highlight_axis:
                notes[2 * n]["arrowcolor"] = "#dc2626"
                notes[2 * n + 1]["font"] = dict(color="#dc2626", size=14)
    width_cells = float(layout.x.max()) + 1
    height_cells = float(layout.y.max()) + 1
    px = 34 if flat.size <= 120 else 24
    return figure(data=[cells], layout=dict(
        title=dict(text=title, font=dict(size=14)), shapes=shapes, annotations=notes,
        height=height or int(min(520, max(150, (height_cells + 3.2) * px + 50))),
        margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)",
        xaxis=dict(visible=False, range=[-2.2, width_cells + 1.2], fixedrange=True),
        yaxis=dict(visible=False, range=[height_cells + 1.8, -2.0], fixedrange=True, scaleanchor="x"),
    ))
