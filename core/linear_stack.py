"""Stacks of linear layers ``y = W x + b``, with or without an activation between them.

A stack of linear layers is one linear layer (``compose_linear``); an activation between them bends it
(``forward_stack``). ``random_linear_layers`` draws the weights the collapse lesson shows. Tested against
``torch.nn.Sequential`` of ``nn.Linear`` in float64 (tests/test_linear_stack.py).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from core.activations import activation_named, as_float64

Layer = tuple[np.ndarray, np.ndarray]


def _check_layers(layers: Sequence[Layer]) -> list[Layer]:
    if len(layers) == 0:
        raise ValueError("give at least one layer (W, b)")
    checked = []
    for i, (w, b) in enumerate(layers, start=1):
        w, b = as_float64(w), as_float64(b)
        if w.ndim != 2 or b.shape != (w.shape[0],):
            raise ValueError(f"layer {i}: W must be 2-D (out, in) and b of shape (out,); got W {w.shape}, b {b.shape}")
        if checked and w.shape[1] != checked[-1][0].shape[0]:
            raise ValueError(f"layer {i} takes {w.shape[1]} inputs but layer {i - 1} gives "
                             f"{checked[-1][0].shape[0]} outputs")
        checked.append((w, b))
    return checked


def compose_linear(layers: Sequence[Layer]) -> Layer:
    """``W = W_n ... W_1``, ``b = W_n(... (W_2 b_1 + b_2) ...) + b_n``: the one layer a linear stack equals."""
    (w, b), *rest = _check_layers(layers)
    for w_i, b_i in rest:
        w, b = w_i @ w, w_i @ b + b_i
    return w, b


def random_linear_layers(depth: int, width: int, seed: int, in_dim: int = 1, out_dim: int = 1,
                         scale: float = 1.0) -> list[Layer]:
    """``depth`` layers in_dim -> width -> ... -> out_dim, ``W ~ N(0, scale²/fan_in)``, ``b ~ N(0, 0.5²)``.

    Variance 1/fan_in keeps each unit's variance through a linear stack (each layer adds only the bias's 0.25),
    so the output of 1 to 10 layers (width 8 or more) on inputs in [-3, 3] stays of order 1. ReLU zeroes half of
    each layer's variance: with ReLU or GELU between the layers, ``scale=√2`` (He) keeps it of order 1 (for depth
    10 and width 32 the output's spread over [-3, 3] has median 0.75 with √2, 0.02 with 1).
    """
    for name, v in {"depth": depth, "width": width, "in_dim": in_dim, "out_dim": out_dim}.items():
        if v < 1:
            raise ValueError(f"{name} must be at least 1, got {v}")
    rng = np.random.default_rng(seed)
    sizes = [in_dim] + [width] * (depth - 1) + [out_dim]
    return [(rng.standard_normal((n_out, n_in)) * (scale / math.sqrt(n_in)), 0.5 * rng.standard_normal(n_out))
            for n_in, n_out in itertools.pairwise(sizes)]


def forward_stack(x: np.ndarray, layers: Sequence[Layer], activation: str) -> np.ndarray:
    """``h <- f(W h + b)`` layer by layer, no ``f`` after the last: x (n, in_dim) -> (n, out_dim); 1-D x is (n, 1)."""
    act = activation_named(activation)
    layers = _check_layers(layers)
    h = as_float64(x)
    if h.ndim == 1:
        h = h[:, None]
    if h.ndim != 2 or h.shape[1] != layers[0][0].shape[1]:
        raise ValueError(f"x must have shape (n, {layers[0][0].shape[1]}); got {np.shape(x)}")
    for i, (w, b) in enumerate(layers):
        h = h @ w.T + b
        if i < len(layers) - 1:
            h = act.fn(h)
    return h
