"""Exercises for "predict, then check" in the convolution lesson: drawn from a seed, so a shared link asks the same."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.conv import conv_output_size


@dataclass(frozen=True)
class SizeQuestion:
    n: int
    k: int
    s: int
    p: int
    d: int

    @property
    def answer(self) -> int:
        return conv_output_size(self.n, self.k, self.s, self.p, self.d)


@dataclass(frozen=True)
class CellQuestion:
    x: np.ndarray  # small integer input
    w: np.ndarray  # small integer kernel
    i: int
    j: int

    @property
    def answer(self) -> float:
        kh, kw = self.w.shape
        return float((self.x[self.i:self.i + kh, self.j:self.j + kw] * self.w).sum())


def size_question(seed: int) -> SizeQuestion:
    """n in 5..64, k in 1..7, s in 1..4, p in 0..3, d in 1..3, redrawn until the output has at least one cell."""
    rng = np.random.default_rng(seed)
    while True:
        q = SizeQuestion(int(rng.integers(5, 65)), int(rng.integers(1, 8)), int(rng.integers(1, 5)),
                         int(rng.integers(0, 4)), int(rng.choice([1, 1, 1, 2, 3])))
        try:
            q.answer  # noqa: B018  (raises ValueError when the kernel does not fit)
        except ValueError:
            continue
        return q


def cell_question(seed: int) -> CellQuestion:
    """A 4×4 input of digits 0..5, a 2×2 kernel of −2..2, and one output cell (valid cross-correlation)."""
    rng = np.random.default_rng(seed)
    return CellQuestion(rng.integers(0, 6, (4, 4)).astype(float), rng.integers(-2, 3, (2, 2)).astype(float),
                        int(rng.integers(0, 3)), int(rng.integers(0, 3)))
