"""Level lines of a map sampled on a grid, computed once on the server so the browser draws plain lines.

``level_lines(xs, ys, z, levels)``: for each level c, the curves where the piecewise-linear interpolant of ``z``
(``z[i, j]`` sampled at ``(xs[j], ys[i])``) equals c, found by marching squares (``skimage.measure.find_contours``).
Every returned point lies on a grid edge, at the place where linear interpolation between the edge's two samples
reaches c. The curves come back as one ``(n, 2)`` array of ``(x, y)`` points, curves separated by a row of NaN,
ready for one line trace. Samples that are not finite are left out (cells touching them draw no line).

With ``tolerance`` > 0 each curve is thinned by Douglas–Peucker (``skimage.measure.approximate_polygon``): the
points kept are a subset of the exact ones, and no dropped point lies farther than ``tolerance`` grid cells from the
thinned curve. A tenth of a cell is below a pixel in the app's figures and halves the points sent.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from skimage.measure import approximate_polygon, find_contours


def even_levels(z: np.ndarray, count: int = 15) -> np.ndarray:
    """``count`` levels evenly spaced strictly between the smallest and largest finite values of ``z``."""
    finite = z[np.isfinite(z)]
    if finite.size == 0 or float(finite.min()) == float(finite.max()):
        return np.empty(0)
    return np.linspace(float(finite.min()), float(finite.max()), count + 2)[1:-1]


def level_lines(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, levels: Sequence[float],
                tolerance: float = 0.0) -> np.ndarray:
    """The level curves of ``z`` (shape ``(len(ys), len(xs))``) at ``levels``, as ``(x, y)`` rows with NaN rows
    between curves, thinned to ``tolerance`` grid cells; ``xs`` and ``ys`` increase."""
    z = np.asarray(z, dtype=np.float64)
    finite = np.isfinite(z)
    filled = np.where(finite, z, 0.0)
    rows, cols = np.arange(len(ys), dtype=np.float64), np.arange(len(xs), dtype=np.float64)
    pieces: list[np.ndarray] = []
    gap = np.full((1, 2), np.nan)
    for level in levels:
        for curve in find_contours(filled, float(level), mask=finite if not finite.all() else None):
            if tolerance > 0:
                curve = approximate_polygon(curve, tolerance)
            points = np.column_stack([np.interp(curve[:, 1], cols, xs), np.interp(curve[:, 0], rows, ys)])
            pieces.extend([points, gap])
    return np.concatenate(pieces[:-1]) if pieces else np.empty((0, 2))
