"""Fitting a curve with a small network, for the activations lesson: the target curves and the student's own points
(``parse_points``, a parser: never ``eval``), and ``fit_curve``, a 1 → hidden → 1 network trained with Adam in
float64 NumPy, its initial weights torch's, drawn from a private generator (``core.seeding``). ``one_torch_thread``
keeps the other small trainings (``core.vanishing``) on one torch thread.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from core.activations import ACTIVATIONS, activation_named, as_float64, make_torch_module, value_and_slope

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


def _initial_layers(sizes: Sequence[int], activation: str, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """torch's default init of ``nn.Linear`` layers of ``sizes``, float32 as ``torch.manual_seed(seed)`` then
    ``nn.Sequential(nn.Linear, ...)`` draws them (from a private generator), as float64 (W (out, in), b (out,))."""
    import torch

    model = _mlp(sizes, activation, torch.float32, torch.Generator().manual_seed(seed))
    return [(m.weight.detach().numpy().astype(np.float64), m.bias.detach().numpy().astype(np.float64))
            for m in model if isinstance(m, torch.nn.Linear)]


ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults


def fit_curve(x, y, hidden: Sequence[int] = (16, 16), activation: str = "relu", steps: int = 600, lr: float = 0.01,
              seed: int = 0, snapshots: int = 12, x_eval=None) -> FitResult:
    """Fit an MLP 1 -> hidden -> 1 with ``activation`` between layers to the points (x, y): full batch, Adam, MSE.

    The network sees x and y standardised (mean 0, std 1), so the same lr works for any units; predictions and
    losses come back in the original units. Initial weights: torch's default init from a private generator seeded
    ``seed`` (``core.seeding.default_init_``: the global RNG is neither read nor changed, so concurrent sessions get
    the same numbers). The training is float64 NumPy with backprop written out, each step what torch computes for
    ``F.mse_loss(model(x), y).backward(); torch.optim.Adam(lr=lr).step()`` on the same network in float64 (tested
    against it): with h_0 = x, z_i = h_{i-1} W_iᵀ + b_i, h_i = f(z_i) and the output z_L,

        L = mean((z_L - y)²),   g_L = 2 (z_L - y) / n,   ∂L/∂W_i = g_iᵀ h_{i-1},   ∂L/∂b_i = Σ_rows g_i,
        g_{i-1} = (g_i W_i) ⊙ f'(z_{i-1});
        m ← β₁ m + (1 - β₁) ∂,   v ← β₂ v + (1 - β₂) ∂²,   θ ← θ - lr/(1 - β₁ᵗ) · m / (√v / √(1 - β₂ᵗ) + ε).

    On these small matrices (200 x 16) NumPy's per-operation cost is a fraction of torch's: the default fit takes
    about a third of torch's float32 time. A non-finite loss stops the training and is reported in ``diverged_at``.
    """
    return fit_curves(x, y, (activation,), hidden, steps, lr, seed, snapshots, x_eval)[0]


def fit_curves(x, y, activations: Sequence[str], hidden: Sequence[int] = (16, 16), steps: int = 600,
               lr: float = 0.01, seed: int = 0, snapshots: int = 12, x_eval=None) -> tuple[FitResult, ...]:
    """``fit_curve`` for each of ``activations``, the networks trained side by side: the same shape and the same
    initial weights, each its own activation; every matrix product and Adam's update run once for all of them
    (stacked, ``(networks, rows, columns)``), so two networks cost little more than one (NumPy's cost here is per
    operation, not per number). A network whose loss turns non-finite stops there; the others go on."""
    if isinstance(activations, str):
        raise ValueError(f"activations must be a sequence of names, e.g. ({activations!r},); got the string "
                         f"{activations!r}")
    for name in activations:
        activation_named(name)
    x, y = as_float64(x).ravel(), as_float64(y).ravel()
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"x and y must hold the same number of points, at least 2; got {x.size} and {y.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite numbers")
    if steps < 0 or snapshots < 1 or not lr > 0 or any(h < 1 for h in hidden) or not activations:
        raise ValueError(f"need steps >= 0, snapshots >= 1, lr > 0, hidden sizes >= 1 and an activation; got "
                         f"steps={steps}, snapshots={snapshots}, lr={lr}, hidden={tuple(hidden)}, "
                         f"activations={tuple(activations)}")
    x_eval = np.linspace(x.min(), x.max(), 200) if x_eval is None else as_float64(x_eval).ravel()
    (x_mean, x_std), (y_mean, y_std) = _standardise(x), _standardise(y)
    k, n = len(activations), x.size
    xs = np.broadcast_to(((x - x_mean) / x_std)[:, None], (k, n, 1))
    xe = np.broadcast_to(((x_eval - x_mean) / x_std)[:, None], (k, x_eval.size, 1))
    ys = ((y - y_mean) / y_std)[:, None]
    wanted = set(np.unique(np.round(np.linspace(0, steps, max(snapshots, 2) if steps else 1))).astype(int).tolist())

    # every weight and bias a view into one vector, their gradients into another: Adam updates all in a few ops.
    # Layer i's weights are (k, out, in), its biases (k, 1, out): network j's are [j] of each.
    initial = _initial_layers([1, *hidden, 1], activations[0], seed)  # the activation draws nothing: same for all
    theta = np.concatenate([np.concatenate([np.tile(w.ravel(), k), np.tile(b, k)]) for w, b in initial])
    gradient = np.zeros_like(theta)
    weights, biases, weight_grads, bias_grads = [], [], [], []
    start = 0
    for w, b in initial:
        n_out, n_in = w.shape
        for flat, into_w, into_b in ((theta, weights, biases), (gradient, weight_grads, bias_grads)):
            into_w.append(flat[start: start + k * w.size].reshape(k, n_out, n_in))
            into_b.append(flat[start + k * w.size: start + k * (w.size + b.size)].reshape(k, 1, n_out))
        start += k * (w.size + b.size)

    def activate(z: np.ndarray, keep: bool) -> tuple[np.ndarray, list[np.ndarray | None]]:
        """Each network's activation on its own slice of z, in place; with ``keep``, the slopes for backprop (None
        for the straight line: f' = 1; for ReLU the mask z > 0, which multiplies a gradient as relu' = 1 or 0
        does, bit for bit)."""
        slopes = []
        for j, name in enumerate(activations):
            slope = None
            if name == "relu":
                if keep:
                    slope = z[j] > 0
                np.maximum(z[j], 0.0, out=z[j])
            elif name != "identity":
                if keep:
                    z[j], slope = value_and_slope(name, z[j])
                else:
                    z[j] = ACTIVATIONS[name].fn(z[j])
            slopes.append(slope)
        return z, slopes

    def forward(h: np.ndarray, keep: bool) -> tuple[np.ndarray, list[np.ndarray], list[list[np.ndarray | None]]]:
        inputs, slopes = [], []
        for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
            inputs.append(h)
            z = h @ w.transpose(0, 2, 1)
            z += b
            if i == len(weights) - 1:
                return z, inputs, slopes
            h, layer_slopes = activate(z, keep)
            slopes.append(layer_slopes)
        raise AssertionError("a network has at least one layer")

    beta1, beta2 = ADAM_BETAS
    ones = np.ones((k, 1, n))
    first, second, denominator = np.zeros_like(theta), np.zeros_like(theta), np.empty_like(theta)
    losses, taken, curves = [[] for _ in range(k)], [[] for _ in range(k)], [[] for _ in range(k)]
    diverged_at: list[int | None] = [None] * k
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(steps + 1):
            out, inputs, slopes = forward(xs, keep=step < steps)
            residual = (out - ys)[:, :, 0]  # (k, n)
            values = np.einsum("jr,jr->j", residual, residual) / n
            snapshot = None
            for j, value in enumerate(values.tolist()):
                if diverged_at[j] is not None:
                    continue
                if not math.isfinite(value):
                    diverged_at[j] = step
                    continue
                losses[j].append(value)
                if step in wanted:
                    if snapshot is None:
                        snapshot = forward(xe, keep=False)[0][:, :, 0] * y_std + y_mean
                    curves[j].append(snapshot[j])
                    taken[j].append(step)
            if step == steps or all(d is not None for d in diverged_at):
                break
            g = (residual * (2.0 / n))[:, :, None]
            for i in range(len(weights) - 1, -1, -1):
                np.matmul(g.transpose(0, 2, 1), inputs[i], out=weight_grads[i])
                np.matmul(ones, g, out=bias_grads[i])  # the column sums: as a product, 4x faster than np.sum here
                if i:
                    g = g @ weights[i]
                    for j, slope in enumerate(slopes[i - 1]):
                        if slope is not None:
                            g[j] *= slope
            t = step + 1
            first += (1.0 - beta1) * (gradient - first)  # torch: exp_avg.lerp_(grad, 1 - beta1)
            second *= beta2
            second += (1.0 - beta2) * gradient * gradient
            np.sqrt(second, out=denominator)
            denominator /= math.sqrt(1.0 - beta2**t)
            denominator += ADAM_EPS
            theta -= (lr / (1.0 - beta1**t)) * first / denominator
    results = []
    for j in range(k):
        snapshot_predictions = np.array(curves[j]).reshape(len(curves[j]), x_eval.size)
        prediction = snapshot_predictions[-1] if curves[j] else np.full(x_eval.size, np.nan)
        results.append(FitResult(x_eval, prediction, np.array(losses[j]) * y_std**2,
                                 np.array(taken[j], dtype=np.int64), snapshot_predictions, diverged_at[j]))
    return tuple(results)


# ---- curves to fit, and the student's own points --------------------------------------------------------------


def _sine(x):
    return np.sin(0.5 * np.pi * as_float64(x))  # period 4: one and a half periods on [-3, 3]


def _step(x):
    return np.sign(as_float64(x))  # -1 left of 0, 1 right of it, 0 at x = 0


def _abs(x):
    return np.abs(as_float64(x))


def _bumpy(x):
    x = as_float64(x)
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
