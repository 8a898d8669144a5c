"""Several grids in one figure, shared by the lessons: maps stacked top to bottom (``bands_figure``), small grids
side by side (``panels_figure``) and the layout of one row of plots (``row_of_panels``). One figure, and as few
pairs of axes as keep the pictures right: the browser mounts, lays out and draws every chart and every subplot
afresh at each redraw."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ui.plots.grids import heatmap_trace, map_props, numbers_props, picture_props
from ui.shell.modes import on_a_phone, presenting


@dataclass(frozen=True)
class Band:
    """One row of ``bands_figure``: a map (or a ``(1, n)`` strip) with its title and its height in pixels (the
    gap below it included; for a picture, the most it may take: a wide one is made lower to fit the width it is
    laid out for); ``numbers`` writes each cell's value in it (a few cells), ``square`` keeps its pixels square (a
    picture), ``kind`` colours it as ``image_figure`` does."""

    z: np.ndarray
    title: str
    height: int
    numbers: bool = False
    square: bool = True
    kind: str = "auto"


def place_panel(layout: dict, titles: list, n: int, title: str, x_domain: list, y_domain: list, x_axis: dict,
                y_axis: dict) -> dict:
    """Put panel ``n`` of a figure of several on its own axes (``x_axis`` and ``y_axis`` over ``x_domain`` and
    ``y_domain`` of the paper) with ``title`` above it: the axes go into ``layout``, the title into ``titles``;
    returns where its trace goes (axes and name)."""
    suffix = "" if n == 0 else str(n + 1)
    layout[f"xaxis{suffix}"] = dict(x_axis, domain=x_domain, anchor=f"y{suffix}")
    layout[f"yaxis{suffix}"] = dict(y_axis, domain=[max(y_domain[0], 0.0), y_domain[1]], anchor=f"x{suffix}")
    titles.append(_title(title, (x_domain[0] + x_domain[1]) / 2, y_domain[1], "paper", "paper"))
    return dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}", name=title)


PICTURE_AXIS = dict(constrain="domain", showticklabels=False, ticks="", showgrid=False, zeroline=False)
"""A picture panel's axes (``panels_figure``): no ticks or grid, shrunk to keep its pixels square."""


BANDS_WIDTH_PX, PHONE_BANDS_WIDTH_PX, PROJECTOR_BANDS_WIDTH_PX = 780, 340, 1150
"""The width picture bands are laid out for (``bands_figure``): a laptop's column (791 px at 1280), a phone's, and
a projector's (projector mode, 1920 px wide, also draws the figure 1.2 times as tall). A wide mosaic is made no
taller than keeps it within this width. On a narrower screen the pictures shrink together, their cells still
square, leaving room below them."""


def bands_width() -> int:
    """The width in pixels to lay picture bands out for (``bands_figure``): a phone's column, a projector's or a
    laptop's. Laid out for a laptop, the pictures on a phone would shrink to half and leave half the figure empty
    below them; on a projector they would stay a laptop's size."""
    if on_a_phone():
        return PHONE_BANDS_WIDTH_PX
    return PROJECTOR_BANDS_WIDTH_PX if presenting() else BANDS_WIDTH_PX


SHARED_AXIS = dict(showticklabels=False, ticks="", showgrid=False, zeroline=False, fixedrange=True)
"""An axis several grids share (``bands_figure``, ``panels_figure``): no ticks or grid, not zoomed by a drag."""

CELL_HOVER = "(%{pointNumber[0]}, %{pointNumber[1]})"
"""The cell under the mouse in a grid that shares its axes with others (a band, a panel of numbers), as (row,
column) of its own map: the cell's number in its trace, whatever the axis units it is placed in."""


def _title(text: str, x: float, y: float, xref: str, yref: str) -> dict:
    """A grid's title, centred above the point (``x``, ``y``) in the coordinates ``xref``, ``yref``."""
    return dict(text=text, x=x, y=y, xref=xref, yref=yref, xanchor="center", yanchor="bottom", showarrow=False,
                font=dict(size=14))


def _band_run(bands: Sequence[Band], square: bool, suffix: str, titles: list,
              width_px: float) -> tuple[list[dict], dict, dict, int]:
    """One run of consecutive bands on one pair of axes (``x{suffix}``, ``y{suffix}``), stacked top to bottom, each
    under its title: their traces, the two axes and the run's height in pixels. The y axis counts pixels downwards.
    Pictures (``square``) are centred with square cells (the x axis is tied to the y axis' scale), at most
    ``width_px`` wide; strips span the whole width (the x axis runs from 0 to 1)."""
    traces, top = [], 0.0
    for band in bands:
        rows, columns = band.z.shape
        height = band.height - PANEL_GAP_PX  # the gap below it is part of a band's height
        if square:
            height = min(height, width_px * rows / columns)
        cell_h = height / rows
        cell_w = cell_h if square else 1 / columns
        x0 = -columns * cell_w / 2 + cell_w / 2 if square else cell_w / 2
        top += PANEL_TITLE_PX
        titles.append(_title(band.title, 0 if square else 0.5, top, f"x{suffix}", f"y{suffix}"))
        props = numbers_props(band.z, CELL_HOVER) if band.numbers else {
            **map_props(band.z, band.kind, "", CELL_HOVER), "showscale": False}
        traces.append(heatmap_trace(**props, x0=x0, dx=cell_w, y0=top + cell_h / 2, dy=cell_h, xaxis=f"x{suffix}",
                                    yaxis=f"y{suffix}", name=band.title))
        top += height + PANEL_GAP_PX
    if square:
        x_axis = dict(SHARED_AXIS, range=[-width_px / 2, width_px / 2])
        y_axis = dict(SHARED_AXIS, range=[top, 0], scaleanchor=f"x{suffix}", constraintoward="top")
    else:
        x_axis, y_axis = dict(SHARED_AXIS, range=[0, 1]), dict(SHARED_AXIS, range=[top, 0])
    return traces, x_axis, y_axis, round(top)


def bands_figure(bands: Sequence[Band], width_px: float = BANDS_WIDTH_PX) -> dict:
    """Maps stacked top to bottom in one figure, each under its title, each on its own colour range (as
    ``image_figure`` or, with numbers, ``kernel_figure`` draws it), each named by its title: pictures centred with
    square cells, laid out for a column ``width_px`` wide (``PHONE_BANDS_WIDTH_PX`` on a phone), strips across the
    whole width.

    One figure rather than one per map (every changed chart is mounted and laid out afresh in the browser at each
    rerun, ``panels_figure``), and one pair of axes per run of pictures or strips rather than one per map: each
    pair is a subplot plotly.js lays out and draws at every redraw, about 2 ms each (the trainer's 13 stages: 26
    of its 30 ms, Chromium). Written as the dict plotly.js reads (``heatmap_trace``)."""
    runs = [list(group) for _, group in itertools.groupby(bands, key=lambda band: band.square)]
    traces, layout, annotations, placed = [], {}, [], []
    for n, run in enumerate(runs):
        suffix = "" if n == 0 else str(n + 1)
        run_traces, x_axis, y_axis, run_height = _band_run(run, run[0].square, suffix, annotations, width_px)
        traces += run_traces
        placed.append((suffix, x_axis, y_axis, run_height))
    height = sum(run_height for *_, run_height in placed)
    top_px = 0
    for suffix, x_axis, y_axis, run_height in placed:
        layout[f"xaxis{suffix}"] = dict(x_axis, anchor=f"y{suffix}")
        layout[f"yaxis{suffix}"] = dict(y_axis, domain=[max(0.0, 1 - (top_px + run_height) / height),
                                                        1 - top_px / height], anchor=f"x{suffix}")
        top_px += run_height
    return {"data": traces, "layout": dict(height=height, margin=dict(l=0, r=0, t=0, b=0), annotations=annotations,
                                           **layout)}


PANEL_TITLE_PX, PANEL_GAP_PX = 34, 10
"""Room above each row of panels for their titles, and below it before the next row."""


def panels_figure(panels: Sequence[tuple[np.ndarray, str] | tuple[np.ndarray, str, str]], columns: int,
                  row_height: int = 200, gap: float = 0.04, *, pictures: bool = False,
                  max_side: int | None = None) -> dict:
    """Several small grids side by side in one figure, ``columns`` to a row in reading order, each titled above,
    named by its title and on its own colour range: their numbers written in (as ``kernel_figure`` draws one) or,
    with ``pictures``, as pictures with square pixels (as ``image_figure`` draws one, of the panel's ``kind``,
    ``auto`` when not given, in blocks past ``max_side``).

    One figure rather than one per grid: the browser mounts and lays out every changed chart afresh at each
    rerun, about 30 ms a chart on a laptop (``bench/latency.py``), so a row of eight small charts cost a quarter
    of a second where one chart of eight panels costs a tenth of it. Grids of numbers share one pair of axes
    (``_number_panel``: a subplot is laid out and drawn at every redraw, about 2 ms each); pictures keep their own,
    which keep their pixels square. Written as the dict plotly.js reads (``heatmap_trace``).
    """
    rows = -(-len(panels) // columns)
    height = rows * (row_height + PANEL_TITLE_PX)
    traces, layout, titles = [], {}, []
    for n, (w, title, *kind) in enumerate(panels):
        row, column = divmod(n, columns)
        x_domain = [column / columns + gap / 2, (column + 1) / columns - gap / 2]
        if pictures:
            top = 1 - (row * (row_height + PANEL_TITLE_PX) + PANEL_TITLE_PX) / height
            bottom = 1 - ((row + 1) * (row_height + PANEL_TITLE_PX) - PANEL_GAP_PX) / height
            suffix = "" if n == 0 else str(n + 1)
            y_axis = dict(PICTURE_AXIS, autorange="reversed", scaleanchor=f"x{suffix}", constraintoward="top")
            place = place_panel(layout, titles, n, title, x_domain, [bottom, top], PICTURE_AXIS, y_axis)
            traces.append(heatmap_trace(**picture_props(w, kind[0] if kind else "auto", max_side, ""),
                                        showscale=False, **place))
        else:
            top_px = row * (row_height + PANEL_TITLE_PX) + PANEL_TITLE_PX
            box = (x_domain[0], x_domain[1], top_px, top_px + row_height - PANEL_GAP_PX)
            traces.append(_number_panel(w, title, box, titles))
    if not pictures:
        layout = dict(xaxis=dict(SHARED_AXIS, range=[0, 1]), yaxis=dict(SHARED_AXIS, range=[height, 0]))
    return {"data": traces, "layout": dict(height=height, margin=dict(l=0, r=0, t=0, b=0), annotations=titles,
                                           **layout)}


def _number_panel(w: np.ndarray, title: str, box: tuple[float, float, float, float], titles: list) -> dict:
    """A grid of numbers filling ``box`` = (left, right, top, bottom) of a figure whose x axis runs over its width
    from 0 to 1 and whose y axis counts pixels downwards: its trace (the cell under the mouse read as (row, column)
    of the grid), its title above it appended to ``titles``."""
    left, right, top, bottom = box
    kh, kw = w.shape
    cell_w, cell_h = (right - left) / kw, (bottom - top) / kh
    titles.append(_title(title, (left + right) / 2, top, "x", "y"))
    return heatmap_trace(**numbers_props(w, CELL_HOVER), x0=left + cell_w / 2, dx=cell_w, y0=top + cell_h / 2,
                         dy=cell_h, name=title)


def row_of_panels(widths: Sequence[float], titles: Sequence[str], spacing: float = 0.05) -> dict:
    """The layout of one row of plots side by side, as ``make_subplots(rows=1, cols=len(widths),
    column_widths=widths, horizontal_spacing=spacing, subplot_titles=titles)`` writes it (``tests/test_figures.py``
    compares them), without building the figure through plotly.py (about 20 ms a rerun): plot k has the axes
    ``x<k>``/``y<k>`` (``x``/``y`` for the first), its share ``widths[k] / sum(widths)`` of the width left after the
    gaps, and its title centred above it."""
    room = 1.0 - spacing * (len(widths) - 1)
    shares = [room * (width / float(sum(widths))) for width in widths]
    layout: dict = {}
    annotations = []
    if len(titles) != len(widths):
        raise ValueError(f"{len(widths)} widths but {len(titles)} titles")
    for k, title in enumerate(titles):
        start = sum(shares[:k]) + k * spacing
        left, right = max(0.0, start), min(1.0, start + shares[k])  # clamped, as plotly does: rounding passes 1
        suffix = "" if k == 0 else str(k + 1)
        layout[f"xaxis{suffix}"] = dict(anchor=f"y{suffix}", domain=[left, right])
        layout[f"yaxis{suffix}"] = dict(anchor=f"x{suffix}", domain=[0.0, 1.0])
        annotations.append(dict(font=dict(size=16), showarrow=False, text=title, x=(left + right) / 2,
                                xanchor="center", xref="paper", y=1.0, yanchor="bottom", yref="paper"))
    layout["annotations"] = annotations
    return layout
