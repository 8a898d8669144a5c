"""Figure builders of the convolution lesson's own views (the integral). They draw what they are given."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.plots.animation import FramedFigure, play_controls
from ui.shell.theme import Palette


@dataclass(frozen=True)
class IntegralFrame:
    """One position t: the slid kernel g(t − τ), the product f(τ)·g(t − τ), and (f∗g)(t)."""

    t: float
    g_shift: np.ndarray
    product: np.ndarray
    value: float


def integral_figure(tau: np.ndarray, f: np.ndarray, result: np.ndarray, frames: Sequence[IntegralFrame],
                    current: int, labels: Mapping[str, str], pal: Palette, play_label: str) -> go.Figure:
    """Top: f(τ), g(t − τ) and their product with its area shaded. Bottom: the result drawn up to t.

    ``labels`` has ``f``, ``g``, ``product``, ``result``, ``tau``, ``t``. Each frame moves t in the browser, and
    puts its reading of the area in the figure's title: ``t = 0.5:  (f ∗ g)(t) = <b>0.5000</b>``.
    """
    titles = [f"{labels['t']} = {fr.t:.1f}:  {labels['result']} = <b>{fr.value:.4f}</b>" for fr in frames]
    tau32, result32 = tau.astype(np.float32), result.astype(np.float32)

    def moving(frame: IntegralFrame) -> list[dict]:
        """What a frame changes: the y of g(t − τ), of the product and of the result so far (NaN after t: the same
        τ as every frame, so that a frame need not repeat it), and the marker at t."""
        so_far = np.where(tau <= frame.t + 1e-12, result32, np.float32(np.nan))
        return [dict(y=frame.g_shift.astype(np.float32)), dict(y=frame.product.astype(np.float32)), dict(y=so_far),
                dict(x=[frame.t], y=[frame.value])]

    styles = [dict(x=tau32, name=labels["g"], line=dict(color=pal.backward)),
              dict(x=tau32, name=labels["product"], fill="tozeroy", line=dict(color=pal.highlight, width=1)),
              dict(x=tau32, name=labels["result"], line=dict(color=pal.target, width=3)),
              dict(mode="markers", marker=dict(size=11, color=pal.target), showlegend=False,
                   hovertemplate=f"{labels['t']}=%{{x:.2f}}<br>%{{y:.4f}}<extra></extra>")]
    raw = [dict(name=f"{fr.t:.2f}", data=moving(fr), traces=[1, 2, 3, 4],
                layout=dict(title=dict(text=title))) for fr, title in zip(frames, titles, strict=True)]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.55, 0.45],
                        figure=FramedFigure(raw_frames=raw))
    fig.add_trace(go.Scatter(x=tau32, y=f.astype(np.float32), name=labels["f"], line=dict(color=pal.forward, width=3)),
                  row=1, col=1)
    for n, (trace, style) in enumerate(zip(moving(frames[current]), styles, strict=True)):
        fig.add_trace(go.Scatter(**style, **trace), row=1 if n < 2 else 2, col=1)
    lo, hi = float(min(result.min(), 0.0)), float(max(result.max(), 1e-9))
    fig.update_yaxes(range=[lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo)], row=2, col=1, title_text=labels["result"])
    fig.update_xaxes(title_text=labels["tau"], row=2, col=1)
    fig.update_layout(height=580, margin=dict(l=10, r=10, t=90, b=110), hovermode="x unified",
                      title=dict(text=titles[current], x=0, xanchor="left", y=0.985, yanchor="top",
                                 font=dict(size=15)),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
                      **play_controls([fr["name"] for fr in raw], current, play_label, f"{labels['t']} = "))
    return fig
