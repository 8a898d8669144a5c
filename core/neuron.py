"""One neuron with two inputs, ``f(w1 x1 + w2 x2 + b)``: where on the plane it switches.

Whatever the activation ``f``, the neuron's output changes along one direction only, and its turning point
(``f``'s value at 0) lies on the line ``w1 x1 + w2 x2 + b = 0``.
"""

from __future__ import annotations

import math


def decision_line(w1: float, w2: float, b: float, lo: float, hi: float
                  ) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The part of ``w1 x1 + w2 x2 + b = 0`` inside the square [lo, hi]², as its two ends; None if it misses the
    square (or w1 = w2 = 0). A line through one corner only gives that corner twice."""
    w1, w2, b, lo, hi = (float(v) for v in (w1, w2, b, lo, hi))
    if not all(math.isfinite(v) for v in (w1, w2, b, lo, hi)) or not lo < hi:
        raise ValueError(f"need finite numbers and lo < hi; got w1={w1}, w2={w2}, b={b}, lo={lo}, hi={hi}")
    tol = 1e-12 * max(hi - lo, abs(lo), abs(hi))  # a crossing at a corner may round just outside
    ends = []
    for edge in (lo, hi):
        if w2 != 0:  # crossing the vertical edge x1 = edge
            x2 = -(w1 * edge + b) / w2
            if lo - tol <= x2 <= hi + tol:
                ends.append((edge, min(max(x2, lo), hi)))
        if w1 != 0:  # crossing the horizontal edge x2 = edge
            x1 = -(w2 * edge + b) / w1
            if lo - tol <= x1 <= hi + tol:
                ends.append((min(max(x1, lo), hi), edge))
    if not ends:
        return None
    return min(ends), max(ends)  # points on a line sorted by (x1, x2) are sorted along it
