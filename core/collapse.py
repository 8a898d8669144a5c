"""Why depth needs an activation: a stack of linear layers is one linear layer.

``W₂(W₁x + b₁) + b₂ = (W₂W₁)x + (W₂b₁ + b₂)``, and so on for any depth. With an activation between the
layers the stack bends, and no single straight line matches it any more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.linear_stack import compose_linear, forward_stack, random_linear_layers


@dataclass(frozen=True)
class Collapse:
    """A 1-input, 1-output stack of ``depth`` layers and the straight lines that try to replace it."""

    x: np.ndarray  # (n,) inputs
    layers: list[tuple[np.ndarray, np.ndarray]]  # (W_i, b_i), W_i of shape (out, in)
    stack: np.ndarray  # (n,) the stack's output, activation between the layers
    W: float  # the composed single layer y = W·x + b of the same weights without activation
    b: float
    composed: np.ndarray  # (n,) W·x + b
    slope: float  # the least-squares straight line through the stack's output
    intercept: float
    best_line: np.ndarray  # (n,) slope·x + intercept

    @property
    def gap_composed(self) -> float:
        """max |stack − (W·x + b)|: rounding error (~1e-15) without activation, large with one."""
        return float(np.abs(self.stack - self.composed).max())

    @property
    def gap_line(self) -> float:
        """max |stack − best straight line|: how far the stack is from any line."""
        return float(np.abs(self.stack - self.best_line).max())


def depth_collapse(depth: int, width: int, seed: int, activation: str, x: np.ndarray, scale: float = 2.0) -> Collapse:
    """Random layers 1 → width → … → width → 1 (``depth`` of them), applied to ``x`` with ``activation``.

    Weights are N(0, scale²/fan_in). Small weights keep every unit near 0, where sigmoid, tanh and GELU are
    almost straight, so the stack barely bends; scale 2 makes the bends plain to see.
    """
    x = np.asarray(x, dtype=np.float64)
    layers = random_linear_layers(depth, width, seed, scale=scale)
    stack = forward_stack(x[:, None], layers, activation)[:, 0]
    W, b = compose_linear(layers)
    composed = W[0, 0] * x + b[0]
    slope, intercept = straight_line_fit(x, stack)
    return Collapse(x, layers, stack, float(W[0, 0]), float(b[0]), composed, slope, intercept,
                    slope * x + intercept)


def straight_line_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The least-squares line y ≈ slope·x + intercept (minimises Σ (y − slope·x − intercept)²)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    A = np.stack([x, np.ones_like(x)], axis=1)
    (slope, intercept), *_ = np.linalg.lstsq(A, y, rcond=None)
    return float(slope), float(intercept)


def line_gap(x: np.ndarray, y: np.ndarray) -> float:
    """max |y − best straight line|: 0 (up to rounding) exactly when the points lie on a line."""
    slope, intercept = straight_line_fit(x, y)
    return float(np.abs(np.asarray(y, dtype=np.float64) - (slope * np.asarray(x) + intercept)).max())
