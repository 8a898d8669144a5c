"""What one request may ask the server to compute: every budget, declared once.

A classroom shares one server. Each control is range-checked on its own, but a link may combine allowed values into
a request that would hold a core for minutes or allocate gigabytes. So a page works out the cost of what it is asked
for, from the request alone and before doing any of it (elements to allocate, formula evaluations, multiply-adds),
and refuses what is over its budget with a message in the student's language (``OverBudget`` carries the numbers).

The README's "Budgets" table is this module's ``BUDGETS`` (tests/test_budgets.py holds them to each other).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    """The most ``unit`` a single request may cost under ``name``, and what is counted (``counts``)."""

    name: str
    limit: int
    unit: str
    counts: str


class OverBudget(ValueError):
    """A request that would cost ``cost`` against ``budget`` (more than ``budget.limit``)."""

    def __init__(self, budget: Budget, cost: int) -> None:
        super().__init__(f"{budget.name}: {cost:,} {budget.unit}, over the limit of {budget.limit:,}")
        self.budget = budget
        self.cost = cost


TENSOR_PICTURE = Budget(
    "tensor_picture", 240, "cells",
    "cells of a broadcast result drawn as a picture; a larger result is neither drawn nor computed (its shape, "
    "steps and strides come from the operands' shapes alone)")
DESCENT_WORK = Budget(
    "descent_work", 400_000, "node evaluations",
    "gradient descent on two weights: optimizers × steps × nodes of the formula and its two partial derivatives "
    "(a built-in surface counts as 30 nodes)")

TRAINING_WORK = Budget(
    "training_work", 40_000_000_000_000, "multiply-adds",
    "one training run: 3 × multiply-adds per image × training images × epochs (the forward pass, and the backward "
    "at about twice its cost), about 10 minutes on 2 CPU cores; a run also stops after 600 s")

FIT_WORK = Budget(
    "fit_work", 8_000_000, "weight updates",
    "fitting a curve with a small network: steps × its weights (1 input, the hidden layers, 1 output)")

EVALUATION_WORK = Budget(
    "evaluation_work", 200_000_000_000, "multiply-adds",
    "scoring a trained or loaded network on the test images: multiply-adds per image × test images, about 2 s on 2 "
    "CPU cores; a larger network is scored on the first test images within the budget, and the page says how many")

BUDGETS: tuple[Budget, ...] = (TENSOR_PICTURE, DESCENT_WORK, FIT_WORK, TRAINING_WORK, EVALUATION_WORK)

TRAINING_RATE = 69e9
SECONDS_PER_IMAGE = 2.24e-4
"""The estimate shown before Start: ``SECONDS_PER_IMAGE`` for each image of each epoch (loading, the optimizer, the
bookkeeping) plus the multiply-adds at ``TRAINING_RATE`` a second, fitted on a 2-core server to two runs on the
digits (3,437 images): the default network (1.1 M multiply-adds an image, 8 epochs, 7.5 s) and a three-block CNN of
62 M (10 s an epoch)."""


def check(budget: Budget, cost: int) -> int:
    """``cost`` if it is within ``budget``; raise ``OverBudget`` otherwise."""
    if cost > budget.limit:
        raise OverBudget(budget, cost)
    return cost


def cells(shape: Iterable[int]) -> int:
    """How many numbers an array of ``shape`` holds (1 for a scalar), computed without making it."""
    return math.prod(int(n) for n in shape)


BUILT_IN_NODES = 30
"""What one step of a built-in surface counts as: its f and gradient are a few dozen NumPy operations, the size of
a short formula."""


def descent_work(optimizers: int, steps: int, nodes: int) -> int:
    """The node evaluations of ``optimizers`` runs of ``steps`` steps on a surface of ``nodes`` nodes (the formula
    and its partial derivatives; each step evaluates the gradient once, and the loss curve f once)."""
    return optimizers * (steps + 1) * nodes


def training_work(mult_adds_per_image: int, images: int, epochs: int) -> int:
    """Multiply-adds of a training run: each image's forward pass, and its backward pass at about twice that, once
    an epoch."""
    return 3 * mult_adds_per_image * images * epochs


def evaluation_images(mult_adds_per_image: int, test_images: int) -> int:
    """How many of the ``test_images`` (the first ones) a network of ``mult_adds_per_image`` is scored on: all of them
    when ``mult_adds_per_image × test_images`` is within ``EVALUATION_WORK``, else as many as fit (at least one)."""
    fit = EVALUATION_WORK.limit // max(1, mult_adds_per_image)
    return int(max(1, min(test_images, fit)))


def training_seconds(work: int, images: int, epochs: int) -> float:
    """About how long a run of ``work`` multiply-adds over ``images`` × ``epochs`` takes on a 2-core server."""
    return SECONDS_PER_IMAGE * images * epochs + work / TRAINING_RATE


def curve_fit_work(hidden: tuple[int, ...], steps: int) -> int:
    """Weight updates of ``steps`` steps of a 1 → ``hidden`` → 1 network (weights and biases)."""
    sizes = (1, *hidden, 1)
    return steps * sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(sizes))
