"""Where does descent end? Run an optimizer from every point of a grid and name the minimum each run reaches."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.optim import descend_many
from core.surfaces import Surface, nearest_minimum


@dataclass(frozen=True)
class BasinMap:
    xs: np.ndarray  # (n,) start x of each column
    ys: np.ndarray  # (n,) start y of each row
    labels: np.ndarray  # (n, n) index into surface.minima of the minimum reached, -1 if none (or diverged)
    share: np.ndarray  # (len(minima),) fraction of starts that reach each minimum
    diverged: float  # fraction of starts whose run diverged


def basin_map(surface: Surface, method: str, lr: float, steps: int, momentum: float = 0.0, n: int = 40,
              tol: float = 0.05) -> BasinMap:
    """``descend_many`` from an n × n grid over the surface's box; each run labelled by ``nearest_minimum``."""
    (x_lo, x_hi), (y_lo, y_hi) = surface.box
    xs, ys = np.linspace(x_lo, x_hi, n), np.linspace(y_lo, y_hi, n)
    gx, gy = np.meshgrid(xs, ys)  # row = y, column = x, as a heatmap draws them
    starts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    runs = descend_many(surface.grad, starts, method, lr, steps, momentum=momentum)
    labels = np.asarray(nearest_minimum(surface, runs.points[-1], tol), dtype=int)
    diverged = runs.diverged_at >= 0
    labels[diverged] = -1
    share = np.array([np.mean(labels == k) for k in range(len(surface.minima))])
    return BasinMap(xs, ys, labels.reshape(n, n), share, float(np.mean(diverged)))


@dataclass(frozen=True)
class Comparison:
    """Start by start, where a second optimizer ends against a first: fractions of the starts (summing to 1)."""

    better: float  # the second ends in a lower minimum (or in one where the first reached none)
    same: float  # both end in the same minimum, or both in none
    worse: float  # the second ends in a higher minimum, or in none where the first reached one
    starts: int


def compare_endings(surface: Surface, first: BasinMap, second: BasinMap) -> Comparison:
    """Compare two basin maps of ``surface`` over the same starts: a minimum's height is its ``value``; ending in no
    minimum (or diverging, label -1) counts as higher than any minimum. Two different minima of equal height count
    as "same"."""
    if first.labels.shape != second.labels.shape:
        raise ValueError(f"the maps cover different starts: {first.labels.shape} and {second.labels.shape}")
    heights = np.array([m.value for m in surface.minima] + [np.inf])  # label -1 picks the last: no minimum
    a, b = heights[first.labels.ravel()], heights[second.labels.ravel()]
    same = (a == b)
    better, worse = (b < a) & ~same, (b > a) & ~same
    return Comparison(float(better.mean()), float(same.mean()), float(worse.mean()), int(a.size))
