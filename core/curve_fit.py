"""Fitting a curve with a small network, for the activations lesson: the target curves and the student's own points
(``parse_points``, a parser: never ``eval``), and ``fit_curve``, a 1 → hidden → 1 network trained with Adam, its
initial weights from a private generator (``core.seeding``), on one torch thread (``one_torch_thread``).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from core.activations import _activation, _f64, make_torch_module

# ---- fitting a curve ----------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class FitResult:
    """What ``fit_curve`` saw: the fitted curve, the loss after every step, and the curve at a few steps."""

    x_eval: np.ndarray
    prediction: np.ndarray  # the network's output on x_eval at the end (the last snapshot if it diverged)
    losses: np.ndarray  # MSE on the training points (original units) before step 0, 1, ..., and after the last
    snapshot_steps: np.ndarray  # ints, from 0 to steps
    snapshot_predictions: np.ndarray  # (len(snapshot_steps), len(x_eval))
    diverged_at: int | None = None  # the first step whose loss was not finite; losses stop before it


def _mlp(sizes: Sequence[int], activation: str, dtype, generator):
    """Linear layers with ``activation`` between them, torch's default init drawn from ``generator`` on the CPU."""
    from torch import nn

    from core.seeding import materialise

    modules = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        modules.append(nn.Linear(n_in, n_out, dtype=dtype, device="meta"))
        if i < len(sizes) - 2 and activation != "identity":
            modules.append(make_torch_module(activation))
    return materialise(nn.Sequential(*modules), generator, "cpu")


@contextlib.contextmanager
def one_torch_thread():
    """torch on one intra-op thread in this thread, restored after.

    The networks here are tiny (200 x 16 matrices): a second thread gains nothing, and while other processes keep
    the cores busy (a classroom server) every parallel op waits for a descheduled thread. With one of the two cores
    kept busy, ``fit_curve``'s defaults took 21-28 s on 2 threads and 0.5-0.7 s on one. With torch's OpenMP backend
    ``set_num_threads`` holds for the calling thread only, so other sessions' threads keep their setting (tested).
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _standardise(v: np.ndarray) -> tuple[float, float]:
    std = float(v.std())
    return float(v.mean()), (std if std > 0 else 1.0)


def fit_curve(x, y, hidden: Sequence[int] = (16, 16), activation: str = "relu", steps: int = 600, lr: float = 0.01,
              seed: int = 0, snapshots: int = 12, x_eval=None) -> FitResult:
    """Fit an MLP 1 -> hidden -> 1 with ``activation`` between layers to the points (x, y): full batch, Adam, MSE.

    The network sees x and y standardised (mean 0, std 1), so the same lr works for any units; predictions and
    losses come back in the original units. torch's default init from a private generator seeded ``seed``
    (``core.seeding.default_init_``: the global RNG is neither read nor changed, so concurrent sessions get the same
    numbers), float32 on one CPU thread (``one_torch_thread``). A non-finite loss stops the training and is reported in
    ``diverged_at``.
    """
    import torch

    _activation(activation)
    x, y = _f64(x).ravel(), _f64(y).ravel()
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"x and y must hold the same number of points, at least 2; got {x.size} and {y.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite numbers")
    if steps < 0 or snapshots < 1 or not lr > 0 or any(h < 1 for h in hidden):
        raise ValueError(f"need steps >= 0, snapshots >= 1, lr > 0 and hidden sizes >= 1; got steps={steps}, "
                         f"snapshots={snapshots}, lr={lr}, hidden={tuple(hidden)}")
    x_eval = np.linspace(x.min(), x.max(), 200) if x_eval is None else _f64(x_eval).ravel()
    (x_mean, x_std), (y_mean, y_std) = _standardise(x), _standardise(y)

    def as_input(v: np.ndarray):
        return torch.from_numpy(((v - x_mean) / x_std).astype(np.float32)[:, None])

    xt, xe = as_input(x), as_input(x_eval)
    yt = torch.from_numpy(((y - y_mean) / y_std).astype(np.float32)[:, None])
    wanted = set(np.unique(np.round(np.linspace(0, steps, max(snapshots, 2) if steps else 1))).astype(int).tolist())

    model = _mlp([1, *hidden, 1], activation, torch.float32, torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, fused=True)  # one kernel a step: 30% faster
    losses, taken, curves = [], [], []
    diverged_at = None
    with torch.enable_grad(), one_torch_thread():
        for step in range(steps + 1):
            loss = torch.nn.functional.mse_loss(model(xt), yt)
            value = loss.item()
            if not math.isfinite(value):
                diverged_at = step
                break
            losses.append(value)
            if step in wanted:
                with torch.no_grad():
                    curves.append(model(xe)[:, 0].numpy().astype(np.float64) * y_std + y_mean)
                taken.append(step)
            if step < steps:
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
    snapshot_predictions = np.array(curves).reshape(len(curves), x_eval.size)
    prediction = snapshot_predictions[-1] if curves else np.full(x_eval.size, np.nan)
    return FitResult(x_eval, prediction, np.array(losses) * y_std**2, np.array(taken, dtype=np.int64),
                     snapshot_predictions, diverged_at)


# ---- curves to fit, and the student's own points --------------------------------------------------------------


def _sine(x):
    return np.sin(0.5 * np.pi * _f64(x))  # period 4: one and a half periods on [-3, 3]


def _step(x):
    return np.sign(_f64(x))  # -1 left of 0, 1 right of it, 0 at x = 0


def _abs(x):
    return np.abs(_f64(x))


def _bumpy(x):
    x = _f64(x)
    return 0.1 * x**4 - 0.9 * x**2 + 0.25 * x + 0.6  # two dips and a hump; about [-1.96, 1.35] on [-3, 3]


CURVE_TARGETS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sine": _sine,
    "step": _step,
    "abs": _abs,
    "bumpy": _bumpy,
}
"""Curves for ``fit_curve`` to learn, by stable name: sin(πx/2), sign(x), |x|, 0.1x⁴ - 0.9x² + 0.25x + 0.6."""


def target_points(name: str, n: int = 200, noise: float = 0.0, seed: int = 0, lo: float = -3.0,
                  hi: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points ``x`` evenly spaced on [lo, hi] and ``y = target(x) + noise · N(0, 1)`` (the same draw per seed)."""
    if name not in CURVE_TARGETS:
        raise ValueError(f"unknown curve {name!r}; choose one of {', '.join(CURVE_TARGETS)}")
    if n < 2 or not noise >= 0 or not lo < hi:
        raise ValueError(f"need n >= 2, noise >= 0 and lo < hi; got n={n}, noise={noise}, lo={lo}, hi={hi}")
    x = np.linspace(lo, hi, n)
    eps = np.random.default_rng(seed).standard_normal(n)  # drawn even for noise 0: a noise slider keeps its shape
    return x, CURVE_TARGETS[name](x) + noise * eps


class PointsError(ValueError):
    """The student's points could not be read: ``code`` says why, ``line`` where (1-based, None for the whole)."""

    CODES = ("empty", "format", "number", "too_many", "too_few", "range")

    def __init__(self, code: str, line: int | None = None, detail: str = ""):
        assert code in self.CODES, code
        self.code, self.line = code, line
        super().__init__(f"line {line}: {detail}" if line is not None else detail)


_SEPARATOR = re.compile(r"\s*[,;，；]\s*|\s+")
_NORMALISE = str.maketrans({"\u2212": "-", "\uff0d": "-", "\uff0b": "+", "\uff0e": "."})  # − － ＋ ．
MAX_ABS_VALUE = 1e3


def parse_points(text: str, max_points: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Points typed one ``x, y`` per line (comma, semicolon, tab or spaces between; ``#`` starts a comment line),
    returned as float64 arrays sorted by x. Anything else raises PointsError."""
    xs, ys = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.translate(_NORMALISE).strip()
        if not line or line.startswith("#"):
            continue
        parts = _SEPARATOR.split(line)
        if len(parts) != 2 or not all(parts):
            raise PointsError("format", number, f"write two numbers, x and y, separated by a comma; got {raw!r}")
        values = []
        for part in parts:
            try:
                v = float(part)
            except ValueError:
                raise PointsError("number", number, f"{part!r} is not a number") from None
            if not abs(v) <= MAX_ABS_VALUE:  # also catches nan and inf
                raise PointsError("range", number, f"{part!r} is not a number between -1000 and 1000")
            values.append(v)
        if len(xs) == max_points:
            raise PointsError("too_many", number, f"at most {max_points} points")
        xs.append(values[0])
        ys.append(values[1])
    if not xs:
        raise PointsError("empty", None, "no points: write one 'x, y' pair per line")
    if len(xs) < 2:
        raise PointsError("too_few", None, "a curve needs at least 2 points")
    order = np.argsort(np.array(xs), kind="stable")
    return np.array(xs)[order], np.array(ys)[order]
