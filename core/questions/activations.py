"""Exercises for "predict, then check" in the activation lesson: drawn from a seed, so a shared link asks the same."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.activations import ACTIVATIONS

NEURON_ACTIVATIONS = ("relu", "leaky_relu", "identity")


@dataclass(frozen=True)
class NeuronQuestion:
    """One neuron: ``f(w·x + b)`` with two small integer weights and inputs."""

    activation: str
    w: tuple[int, int]
    x: tuple[int, int]
    b: int

    @property
    def z(self) -> int:
        """The pre-activation ``w·x + b``."""
        return self.w[0] * self.x[0] + self.w[1] * self.x[1] + self.b

    @property
    def answer(self) -> float:
        return float(ACTIVATIONS[self.activation].fn(float(self.z)))


@dataclass(frozen=True)
class CollapseQuestion:
    """Two 1-D linear layers ``y = w2 (w1 x + b1) + b2``: which single ``y = W x + B`` do they equal?"""

    w1: int
    b1: int
    w2: int
    b2: int

    @property
    def answer_w(self) -> float:
        return float(self.w2 * self.w1)

    @property
    def answer_b(self) -> float:
        return float(self.w2 * self.b1 + self.b2)


@dataclass(frozen=True)
class VanishingQuestion:
    """The most that ``depth`` sigmoid slopes (each at most σ'(0) = 1/4) can leave of a gradient."""

    depth: int

    @property
    def answer(self) -> float:
        return 0.25**self.depth


def _ints(rng: np.random.Generator, n: int, lo: int = -3, hi: int = 3) -> tuple[int, ...]:
    return tuple(int(v) for v in rng.integers(lo, hi + 1, n))


def neuron_question(seed: int) -> NeuronQuestion:
    """relu, leaky_relu or identity; w and x pairs of integers in -3..3, b in -3..3."""
    rng = np.random.default_rng(seed)
    activation = NEURON_ACTIVATIONS[int(rng.integers(len(NEURON_ACTIVATIONS)))]
    w, x, (b,) = _ints(rng, 2), _ints(rng, 2), _ints(rng, 1)
    return NeuronQuestion(activation, (w[0], w[1]), (x[0], x[1]), b)


def collapse_question(seed: int) -> CollapseQuestion:
    """Weights in -3..3 without 0 (a zero weight would make the question trivial), biases in -3..3."""
    rng = np.random.default_rng(seed)
    nonzero = np.array([-3, -2, -1, 1, 2, 3])
    w1, w2 = (int(v) for v in rng.choice(nonzero, 2))
    b1, b2 = _ints(rng, 2)
    return CollapseQuestion(w1, b1, w2, b2)


def vanishing_question(seed: int) -> VanishingQuestion:
    """depth in 2..6."""
    return VanishingQuestion(int(np.random.default_rng(seed).integers(2, 7)))

