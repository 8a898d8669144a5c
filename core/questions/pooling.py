"""Exercises for "predict, then check" in the pooling lesson: drawn from a seed, so a shared link asks the same."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.pooling import pool_output_size


@dataclass(frozen=True)
class PoolSizeQuestion:
    """How long is the output of ``size``-wide pooling with stride ``s``, padding ``p`` and ``ceil_mode`` along an
    axis of ``n`` pixels?"""

    n: int
    size: int
    s: int
    p: int
    ceil_mode: bool

    @property
    def answer(self) -> int:
        return pool_output_size(self.n, self.size, self.s, self.p, self.ceil_mode)


@dataclass(frozen=True)
class PoolWinnerQuestion:
    """Which value does 2×2 max pooling with stride 2 keep at output cell ``(i, j)`` of ``x``?"""

    x: np.ndarray  # 4×4 digits, max pooled with 2×2 windows, stride 2
    i: int
    j: int

    @property
    def answer(self) -> float:
        return float(self.x[2 * self.i:2 * self.i + 2, 2 * self.j:2 * self.j + 2].max())


def pool_size_question(seed: int) -> PoolSizeQuestion:
    """n in 4..64, size in 2..5, stride in 1..5, padding in 0..size//2, floor or ceil mode."""
    rng = np.random.default_rng(seed)
    while True:
        size = int(rng.integers(2, 6))
        q = PoolSizeQuestion(int(rng.integers(4, 65)), size, int(rng.integers(1, 6)),
                             int(rng.integers(0, size // 2 + 1)), bool(rng.integers(0, 2)))
        try:
            q.answer  # noqa: B018  (raises ValueError when the window does not fit)
        except ValueError:
            continue
        return q


def pool_winner_question(seed: int) -> PoolWinnerQuestion:
    """A 4×4 input of digits 0..9 and one of the four output cells of its 2×2, stride-2 max pooling."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 10, (4, 4)).astype(float)
    return PoolWinnerQuestion(x, int(rng.integers(0, 2)), int(rng.integers(0, 2)))
