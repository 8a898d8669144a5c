"""How much a small shift of the input changes a feature map, before and after pooling."""

from __future__ import annotations

import numpy as np

from core.conv import conv2d
from core.images import shift_image
from core.pooling import pool2d


def relative_change(a: np.ndarray, b: np.ndarray) -> float:
    """``‖b − a‖ / ‖a‖`` (Frobenius norms); 0 when both are zero."""
    norm = float(np.linalg.norm(a))
    return float(np.linalg.norm(b - a)) / norm if norm else 0.0


def feature_map(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The usual CNN block before pooling: ``relu(conv2d(x, w))`` with "same" padding."""
    return np.maximum(conv2d(x, w, padding="same"), 0.0)


def shift_curve(x: np.ndarray, w: np.ndarray, shifts: range, size: int) -> dict[str, list[float]]:
    """For each right-shift s: the relative change of the feature map, and of its max- and avg-pooled maps.

    The shifted input is compared on the same canvas as the original (the pixels shifted in are zeros).
    """
    base = feature_map(x, w)
    pooled = {mode: pool2d(base, size, mode=mode) for mode in ("max", "avg")}
    curve: dict[str, list[float]] = {"feature": [], "max": [], "avg": []}
    for s in shifts:
        moved = feature_map(shift_image(x, 0, s), w)
        curve["feature"].append(relative_change(base, moved))
        for mode in ("max", "avg"):
            curve[mode].append(relative_change(pooled[mode], pool2d(moved, size, mode=mode)))
    return curve
