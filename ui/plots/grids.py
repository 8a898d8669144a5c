"""One grid as a picture, shared by the lessons: an image or feature map, a photo, a kernel with its numbers, and
the heatmap traces and colour scales the figures of several grids (``ui.plots.panels``) and the step-by-step view
(``ui.plots.steps``) are built from. They draw what they are given."""

from __future__ import annotations

import base64
import functools
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from ui.plots.charts import figure

SIGNED_SCALE = "RdBu_r"  # negative blue, zero white, positive red: a diverging scale for signed data


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


def map_props(z: np.ndarray, kind: str, value_label: str, cell: str = "(%{y}, %{x})") -> dict:
    """A map's colours and hover text; ``cell``: how the hover names the cell (its axis coordinates unless the map
    shares its axes with others, ``ui.plots.panels.CELL_HOVER``)."""
    signed = _signed(z, kind)
    zmax = float(np.nanmax(np.abs(z))) or 1.0
    scale = dict(colorscale=SIGNED_SCALE, zmid=0.0, zmin=-zmax, zmax=zmax) if signed else dict(
        colorscale="gray", zmin=0.0, zmax=1.0 if kind == "gray" else max(zmax, 1e-12))
    return dict(z=z.astype(np.float32), **scale, hovertemplate=f"{cell}<br>{value_label}%{{z:.4f}}<extra></extra>")


def picture_props(z: np.ndarray, kind: str, max_side: int | None, value_label: str) -> dict:
    """``map_props`` for a picture: past ``max_side``, the map in blocks (``shrunk_for_view``), each named by its
    first pixel."""
    if max_side is None or max(z.shape) <= max_side:
        return map_props(z, kind, value_label)
    signed = _signed(z, kind)
    shrunk, f = shrunk_for_view(z, max_side, signed)
    return {**map_props(shrunk, "signed" if signed else kind, value_label), "x": np.arange(shrunk.shape[1]) * f,
            "y": np.arange(shrunk.shape[0]) * f,
            "hovertemplate": f"(%{{y}}, %{{x}}) {f}×{f}<br>{value_label}%{{z:.4f}}<extra></extra>"}


def picture_heatmap(z: np.ndarray, kind: str = "auto", max_side: int | None = None, value_label: str = "",
                    **more) -> go.Heatmap:
    """A map's cells as ``map_props`` colours them; with ``max_side``, a larger map drawn in blocks
    (``shrunk_for_view``): no more cells than a small figure's pixels show, the mouse reading a block, named by its
    first pixel."""
    return go.Heatmap(**picture_props(z, kind, max_side, value_label), **more)


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


def numbers_props(w: np.ndarray, cell: str = "(%{y}, %{x})") -> dict:
    """A small grid's numbers written in its cells on a diverging scale; ``cell`` as in ``map_props``."""
    wmax = float(np.abs(w).max()) or 1.0
    return dict(z=w, colorscale=SIGNED_SCALE, zmid=0.0, zmin=-wmax, zmax=wmax, showscale=False,
                text=[[f"{v:.3g}" for v in row] for row in w], texttemplate="%{text}",
                textfont=dict(size=15 if max(w.shape) <= 5 else 12),
                hovertemplate=f"{cell} = %{{z}}<extra></extra>", xgap=2, ygap=2)


def numbers_heatmap(w: np.ndarray, **place) -> go.Heatmap:
    """A small grid's numbers written in its cells, on a diverging scale centred on 0 (negative blue, positive red)
    and as wide as its largest magnitude. ``place``: the trace's axes (``xaxis``, ``yaxis``) and ``name``."""
    return go.Heatmap(**numbers_props(w), **place)


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
