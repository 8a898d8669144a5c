"""Grids as pictures, shared by the lessons: an image or feature map, a kernel with its numbers, and a window
sliding over a padded input (convolution and pooling step by step). They draw what they are given."""

from __future__ import annotations

import base64
import functools
import io
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from ui.plots.animation import play_controls
from ui.plots.charts import figure
from ui.shell.modes import on_a_phone, presenting
from ui.shell.theme import Palette

SIGNED_SCALE = "RdBu_r"  # negative blue, zero white, positive red: a diverging scale for signed data


# ---- the integral ---------------------------------------------------------------------------------


# ---- images, kernels and feature maps ---------------------------------------------------------------


def picture_layout(title: str, height: int) -> dict:
    """A picture's layout: square pixels, rows downwards, no ticks, the title above."""
    return dict(height=height, margin=dict(l=0, r=0, t=34, b=0), title=dict(text=title, font=dict(size=14)),
                yaxis=dict(autorange="reversed", scaleanchor="x", constrain="domain", showticklabels=False),
                xaxis=dict(constrain="domain", showticklabels=False))


def shrunk_for_view(z: np.ndarray, max_side: int, signed: bool) -> tuple[np.ndarray, int]:
    """``z`` (H, W) in blocks of f × f pixels, f the smallest whole factor that brings both sides to ``max_side`` or
    less: each block's value is its mean, or for a signed map the value of largest magnitude (a thin edge in a map of
    differences stays visible); and f. Partial blocks at the edges count what they cover."""
    f = max(1, -(-max(z.shape) // max_side))
    if f == 1:
        return z, 1
    h, w = z.shape
    padded = np.full((-(-h // f) * f, -(-w // f) * f), np.nan, dtype=np.float64)
    padded[:h, :w] = z
    blocks = padded.reshape(padded.shape[0] // f, f, padded.shape[1] // f, f).transpose(0, 2, 1, 3).reshape(
        padded.shape[0] // f, padded.shape[1] // f, f * f)
    if not signed:
        return np.nanmean(blocks, axis=-1), f
    pick = np.nanargmax(np.abs(np.nan_to_num(blocks, nan=0.0)), axis=-1)
    return np.take_along_axis(blocks, pick[..., None], axis=-1)[..., 0], f


def _signed(z: np.ndarray, kind: str) -> bool:
    """Whether a map of ``kind`` is drawn on the diverging scale: ``signed``, or ``auto`` with a negative value."""
    return kind == "signed" or (kind == "auto" and float(np.nanmin(z)) < 0)


@functools.cache
def colorscale_stops(name: str) -> tuple[tuple[float, str], ...]:
    """A named colour scale (plotly.py's names, ``gray``, ``RdBu_r``) as the stops plotly.py writes for it: what a
    trace built as a dict (``heatmap_trace``) must say itself, since plotly.js knows only some of the names."""
    return tuple(tuple(stop) for stop in go.Heatmap(colorscale=name).colorscale)


def heatmap_trace(**props) -> dict:
    """A heatmap trace as the dict plotly.js reads, for the figures of many panels (``bands_figure``,
    ``panels_figure``): building and checking a ``go.Heatmap`` and its axes in plotly.py cost about 10 ms for the
    trainer's 13 stages at every move of its slider (cProfile), and the tests check every figure the app sends
    against plotly's checked copy of it instead (``tests/test_app_pages.py``). A named ``colorscale`` becomes its
    stops (``colorscale_stops``)."""
    if isinstance(props.get("colorscale"), str):
        props["colorscale"] = colorscale_stops(props["colorscale"])
    return {"type": "heatmap", **props}


def _map_props(z: np.ndarray, kind: str, value_label: str, cell: str = "(%{y}, %{x})") -> dict:
    """A map's colours and hover text; ``cell``: how the hover names the cell (its axis coordinates unless the map
    shares its axes with others, ``CELL_HOVER``)."""
    signed = _signed(z, kind)
    zmax = float(np.nanmax(np.abs(z))) or 1.0
    scale = dict(colorscale=SIGNED_SCALE, zmid=0.0, zmin=-zmax, zmax=zmax) if signed else dict(
        colorscale="gray", zmin=0.0, zmax=1.0 if kind == "gray" else max(zmax, 1e-12))
    return dict(z=z.astype(np.float32), **scale, hovertemplate=f"{cell}<br>{value_label}%{{z:.4f}}<extra></extra>")


def map_heatmap(z: np.ndarray, kind: str = "auto", value_label: str = "", **more) -> go.Heatmap:
    """A map's cells coloured as ``image_figure`` colours them (``kind``: ``gray``, ``signed`` or ``auto``), with
    the value under the mouse; ``more``: the trace's other settings (axes, colour bar)."""
    return go.Heatmap(**_map_props(z, kind, value_label), **more)


def _picture_props(z: np.ndarray, kind: str, max_side: int | None, value_label: str) -> dict:
    if max_side is None or max(z.shape) <= max_side:
        return _map_props(z, kind, value_label)
    signed = _signed(z, kind)
    shrunk, f = shrunk_for_view(z, max_side, signed)
    return {**_map_props(shrunk, "signed" if signed else kind, value_label), "x": np.arange(shrunk.shape[1]) * f,
            "y": np.arange(shrunk.shape[0]) * f,
            "hovertemplate": f"(%{{y}}, %{{x}}) {f}×{f}<br>{value_label}%{{z:.4f}}<extra></extra>"}


def picture_heatmap(z: np.ndarray, kind: str = "auto", max_side: int | None = None, value_label: str = "",
                    **more) -> go.Heatmap:
    """A map's cells as ``map_heatmap`` colours them; with ``max_side``, a larger map drawn in blocks
    (``shrunk_for_view``): no more cells than a small figure's pixels show, the mouse reading a block, named by its
    first pixel."""
    return go.Heatmap(**_picture_props(z, kind, max_side, value_label), **more)


def image_figure(z: np.ndarray, title: str, *, kind: str = "auto", height: int = 340,
                 value_label: str = "", colorbar: bool = True, max_side: int | None = None) -> go.Figure:
    """An image or a map, pixel for pixel, with the value under the mouse.

    ``kind``: ``rgb`` (H, W, 3 in [0, 1]), ``gray`` (values in [0, 1]), ``signed`` (diverging scale centred on
    0) or ``auto`` (signed when anything is negative, else grey from 0 to the maximum). With ``max_side``, a larger
    map is drawn in blocks (``picture_heatmap``).
    """
    if kind == "rgb":
        trace = go.Image(z=np.clip(np.rint(z * 255), 0, 255).astype(np.uint8),
                         hovertemplate="(%{y}, %{x})<br>RGB %{z[0]}, %{z[1]}, %{z[2]}<extra></extra>")
    else:
        trace = picture_heatmap(z, kind, max_side, value_label, colorbar=dict(thickness=10), showscale=colorbar)
    return figure(data=[trace], layout=picture_layout(title, height))


PHOTO_QUALITY = 90
"""JPEG quality of a photo shown only to be looked at (``photo_figure``): no visible loss at the figure's size."""


def photo_figure(rgb: np.ndarray, title: str, *, height: int = 340) -> go.Figure:
    """A colour photo (H, W, 3 in [0, 1]) shown to be looked at, not read pixel by pixel: sent as a JPEG picture
    (about a tenth of its pixels' bytes, and nothing for plotly.py to check), with the pixel under the mouse."""
    buffer = io.BytesIO()
    Image.fromarray(np.clip(np.rint(rgb * 255), 0, 255).astype(np.uint8)).save(buffer, "JPEG",
                                                                                   quality=PHOTO_QUALITY)
    source = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    trace = go.Image(source=source, hovertemplate="(%{y}, %{x})<extra></extra>")
    return figure(data=[trace], layout=picture_layout(title, height))


def _numbers_props(w: np.ndarray, cell: str = "(%{y}, %{x})") -> dict:
    """A small grid's numbers written in its cells on a diverging scale; ``cell`` as in ``_map_props``."""
    wmax = float(np.abs(w).max()) or 1.0
    return dict(z=w, colorscale=SIGNED_SCALE, zmid=0.0, zmin=-wmax, zmax=wmax, showscale=False,
                text=[[f"{v:.3g}" for v in row] for row in w], texttemplate="%{text}",
                textfont=dict(size=15 if max(w.shape) <= 5 else 12),
                hovertemplate=f"{cell} = %{{z}}<extra></extra>", xgap=2, ygap=2)


def numbers_heatmap(w: np.ndarray, **place) -> go.Heatmap:
    """A small grid's numbers written in its cells, on a diverging scale centred on 0 (negative blue, positive red)
    and as wide as its largest magnitude. ``place``: the trace's axes (``xaxis``, ``yaxis``) and ``name``."""
    return go.Heatmap(**_numbers_props(w), **place)


def _grid_axis(cells: int, downwards: bool = False, **more) -> dict:
    """An axis over ``cells`` cells, numbered downwards (rows) or rightwards, without ticks. Explicit ranges: every
    cell visible in however narrow a column (square cells are not worth clipping)."""
    span = [cells - 0.5, -0.5] if downwards else [-0.5, cells - 0.5]
    return dict(range=span, showticklabels=False, ticks="", showgrid=False, zeroline=False, **more)


def kernel_figure(w: np.ndarray, title: str, height: int = 260) -> go.Figure:
    """The kernel's numbers on a diverging scale (negative blue, positive red)."""
    kh, kw = w.shape
    return figure(data=[numbers_heatmap(w)], layout=dict(
        height=height, margin=dict(l=0, r=0, t=34, b=0), title=dict(text=title, font=dict(size=14)),
        yaxis=_grid_axis(kh, downwards=True),
        xaxis=_grid_axis(kw)))


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


def _placed(layout: dict, titles: list, n: int, title: str, x_domain: list, y_domain: list, x_axis: dict,
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
        props = _numbers_props(band.z, CELL_HOVER) if band.numbers else {
            **_map_props(band.z, band.kind, "", CELL_HOVER), "showscale": False}
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
            place = _placed(layout, titles, n, title, x_domain, [bottom, top], PICTURE_AXIS,
                            dict(PICTURE_AXIS, autorange="reversed", scaleanchor=f"x{suffix}", constraintoward="top"))
            traces.append(heatmap_trace(**_picture_props(w, kind[0] if kind else "auto", max_side, ""),
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
    return heatmap_trace(**_numbers_props(w, CELL_HOVER), x0=left + cell_w / 2, dx=cell_w, y0=top + cell_h / 2,
                         dy=cell_h, name=title)


# ---- step by step ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepFrame:
    """Output cell (i, j): the window's coordinates in the padded input, what the middle panel shows
    (``middle`` values, coloured, with ``middle_text`` written in the cells), and the output value."""

    i: int
    j: int
    rows: np.ndarray
    cols: np.ndarray
    middle: np.ndarray
    middle_text: list[list[str]]
    value: float


def products_text(window: np.ndarray, w: np.ndarray) -> list[list[str]]:
    """``a×b`` for every input value a under kernel weight b."""
    return [[f"{a:.2g}×{b:.2g}" for a, b in zip(wr, kr, strict=True)] for wr, kr in zip(window, w, strict=True)]


def step_figure(x_padded: np.ndarray, is_pad: np.ndarray, out: np.ndarray, frames: Sequence[StepFrame], current: int,
                titles: Mapping[str, str], pal: Palette, play_label: str) -> dict:
    """Padded input with the window lit | what the window computes | output filled cell by cell.

    Used by convolution (window × kernel) and pooling (the window, its winner or its sum). Play and the
    slider under the figure move through ``frames`` in the browser, without a server round trip. Written as the
    dict plotly.js reads (``heatmap_trace``): building plotly.py's objects and walking the frames for their
    arrays was half of the step-by-step part's server run (cProfile); the tests check every figure sent against
    plotly's checked copy (``tests/test_app_pages.py``).
    """
    hp, wp = x_padded.shape
    ho, wo = out.shape
    fmt = np.vectorize(lambda v: f"{v:.2g}")
    input_text = fmt(np.where(is_pad, 0.0, x_padded)).astype(object)
    input_text[is_pad] = "·"  # padding cells: no data, drawn as a dot
    middle_width = max(frames[0].middle.shape[1], 3) + 1

    def moving(frame: StepFrame) -> list[dict]:
        """The four traces a frame changes, as plain dicts (a frame only replaces what it names)."""
        lit = np.full((hp, wp), np.nan, dtype=np.float32)
        lit[np.ix_(frame.rows, frame.cols)] = 1.0
        order = frame.i * wo + frame.j
        done = np.full(ho * wo, np.nan, dtype=np.float32)
        done[: order + 1] = out.reshape(-1)[: order + 1]
        current_cell = np.full((ho, wo), np.nan, dtype=np.float32)
        current_cell[frame.i, frame.j] = 1.0
        return [dict(type="heatmap", z=lit), dict(type="heatmap", z=frame.middle.astype(np.float32),
                                                   text=frame.middle_text),
                dict(type="heatmap", z=done.reshape(ho, wo)), dict(type="heatmap", z=current_cell)]

    first = moving(frames[current])
    styles = [
        dict(colorscale=[[0, pal.highlight], [1, pal.highlight]], opacity=0.45, showscale=False, hoverinfo="skip",
             xgap=1, ygap=1),
        dict(texttemplate="%{text}", colorscale=SIGNED_SCALE, zmid=0.0, showscale=False, xgap=2, ygap=2,
             hovertemplate="%{text}<extra></extra>"),
        dict(texttemplate="%{z:.3g}", colorscale=SIGNED_SCALE, zmid=0.0, showscale=False, xgap=2, ygap=2,
             hovertemplate="(%{y}, %{x}) = %{z:.6g}<extra></extra>"),
        dict(colorscale=[[0, pal.highlight], [1, pal.highlight]], opacity=0.35, showscale=False, hoverinfo="skip"),
    ]

    shown = np.where(is_pad, np.nan, x_padded)
    traces = [heatmap_trace(z=shown.astype(np.float32), text=input_text, texttemplate="%{text}", colorscale="gray",
                            zmin=float(np.nanmin(shown)) - 1, zmax=float(np.nanmax(shown)) + 1, showscale=False,
                            xgap=1, ygap=1, hovertemplate="(%{y}, %{x}) = %{z:.4g}<extra></extra>", xaxis="x",
                            yaxis="y")]
    for trace, style, column in zip(first, styles, (1, 2, 3, 3), strict=True):
        suffix = "" if column == 1 else str(column)
        traces.append(heatmap_trace(**{k: v for k, v in trace.items() if k != "type"}, **style, xaxis=f"x{suffix}",
                                    yaxis=f"y{suffix}"))
    layout = row_of_panels([wp, middle_width, wo], [titles["input"], titles["middle"], titles["output"]])
    for column in (1, 2, 3):
        suffix = "" if column == 1 else str(column)
        layout[f"xaxis{suffix}"].update(constrain="domain", showticklabels=False)
        layout[f"yaxis{suffix}"].update(autorange="reversed", scaleanchor=f"x{suffix}", constrain="domain",
                                        showticklabels=False)
    layout.update(height=430, margin=dict(l=0, r=0, t=40, b=100), plot_bgcolor="rgba(128,128,128,0.25)",
                  **play_controls([f"({fr.i}, {fr.j})" for fr in frames], current, play_label, titles["cell"] + " "))
    return {"data": traces, "layout": layout, "frames": [dict(name=f"({fr.i}, {fr.j})", data=moving(fr),
                                                              traces=[1, 2, 3, 4]) for fr in frames]}


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
