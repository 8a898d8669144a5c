"""A window sliding over a padded input, cell by cell: convolution's and pooling's step-by-step view, played in the
browser from frames sent once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ui.plots.animation import play_controls
from ui.plots.grids import SIGNED_SCALE, heatmap_trace
from ui.plots.panels import row_of_panels
from ui.shell.theme import Palette


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
