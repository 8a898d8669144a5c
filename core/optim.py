"""Gradient descent and its variants, step by step, exactly as ``torch.optim`` computes them.

One update rule per method (``_RULES``), written with plain ``+ - * /`` so that the same code runs on Python floats
(one coordinate at a time, ``descend``) and on NumPy arrays of many runs at once (``descend_many``). Each rule is
torch's ``_single_tensor_*`` function (the one torch uses for CPU tensors) with its default arguments, operation for
operation in torch's order (tests/test_optim.py drives the real optimizers in float64). Torch's CPU kernels fuse some
multiply-adds into one rounding (FMA: ``add_`` with ``alpha``, ``addcmul_``, ``lerp_``), which Python cannot, so the
two agree to about 1e-16 per step rather than bit for bit:

- ``sgd``       ``x -= lr * g``                                                    ``SGD(lr)``
- ``momentum``  ``buf = momentum * buf + g``; ``x -= lr * buf``                     ``SGD(lr, momentum)``
- ``nesterov``  ``buf = momentum * buf + g``; ``x -= lr * (g + momentum * buf)``    ``SGD(..., nesterov=True)``
- ``rmsprop``   ``s = alpha * s + (1 - alpha) g²``; ``x -= lr * g / (√s + eps)``   ``RMSprop(lr, alpha, eps)``
- ``adagrad``   ``s += g²``; ``x -= lr * g / (√s + eps)``                           ``Adagrad(lr, eps=eps)``
- ``adam``      ``m = lerp(m, g, 1 - β1)``, ``v = β2 v + (1 - β2) g²``, at step t = 1, 2, ...:
                ``x -= lr / (1 - β1^t) * m / (√v / √(1 - β2^t) + eps)``             ``Adam(lr, betas, eps)``

Torch's conventions where the textbook leaves a choice: SGD's momentum buffer starts as the first gradient (here:
starts at 0, and ``momentum * 0 + g`` is exactly ``g``), no dampening; Adam's ``eps`` is added after the bias
correction of ``√v``, and its first moment is ``torch.lerp`` (``m + w (g - m)`` for a weight ``w < 0.5``,
``g - (g - m)(1 - w)`` otherwise). A momentum of 0 makes "momentum" and "nesterov" plain SGD (torch itself refuses
``nesterov=True`` with momentum 0).

Divergence is a result, not an error: the step whose update leaves (a non-finite point or value, or a coordinate
beyond ``LIMIT`` = 1e6) ends the run. Steps count from 0: step k moves point k to point k + 1, so a run that diverges
at step k keeps points 0..k and ``len(points) == diverged_at + 1``.

Heavy ball (Polyak; G. Goh, "Why Momentum Really Works", Distill 2017), ``x_{k+1} = x_k - α ∇f(x_k) + β (x_k -
x_{k-1})`` starting from rest, is torch's SGD with ``lr = α`` and ``momentum = β``: ``x_k - x_{k-1} = -α buf_{k-1}``.
On a quadratic with curvatures between ``mu`` and ``L`` the best constant step of plain gradient descent, ``2 / (L +
mu)``, contracts by ``(κ - 1) / (κ + 1)`` per step (κ = L / mu); heavy ball tuned as in ``optimal_momentum`` by
``(√κ - 1) / (√κ + 1)``.

Speed (``python bench/optim.py``, 2 CPU cores shared with other work): one NumPy ufunc call on a point of a few
coordinates costs 0.5-1 µs whatever its size, and Adam's update is about ten of them, while the same update on Python
floats costs about 0.3 µs per coordinate. So ``descend`` computes in Python floats up to ``_FLOAT_MAX_D`` = 12
coordinates and on NumPy arrays beyond (the same rule, so the same numbers to the last bit): on 1,000 steps floats
take 0.35-0.95x the time of arrays for d <= 8, 1-1.5x at 16, 3-5x at 64 (``--alternatives``; the crossover lies
between 8 and 16 coordinates, the lesson's surfaces have 1 or 2). A 1,000-step run then costs 1.5-6 ms
besides the caller's ``f`` and ``grad`` (six optimizers on Rosenbrock: 44-46 ms in all on the shared machine, of
which 14 in ``f`` and ``grad``; torch's own loop takes 0.4-0.6 s per optimizer, mostly in ``backward``), so the
caller's functions decide the rest: ``descend_many`` and ``phase_diagram`` want a vectorised ``grad``, and a one-point
``f`` in Python floats costs 0.35 µs where NumPy scalar arithmetic costs 2-3 µs. ``descend_many`` holds ``lr`` and
``momentum`` as full (n, d) arrays rather than (n, 1) columns (3-6x faster products for d = 2) and checks for
divergence with one ``max`` over all runs, row by row only when that fails: the phase diagram's 3,600 runs × 500
steps take about 0.1 s, 60-80x less than 3,600 ``descend`` calls.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LIMIT = 1e6  # a coordinate beyond this has left the picture: the run diverged
MAX_STEPS = 100_000
_FLOAT_MAX_D = 12  # descend on Python floats up to this many coordinates, NumPy arrays beyond (bench/optim.py)


@dataclass(frozen=True)
class Method:
    """One optimizer of the lesson and the ``torch.optim`` class that computes the same steps."""

    name: str  # registry key
    torch_name: str  # torch.optim.<torch_name>
    uses_momentum: bool  # whether the momentum argument changes anything
    default_lr: float  # a step size that behaves on the lesson's unit-scale surfaces
    default_eps: float  # torch's default eps for this optimizer (0.0 where it has none)


METHODS: dict[str, Method] = {m.name: m for m in (
    Method("sgd", "SGD", False, 0.05, 0.0),
    Method("momentum", "SGD", True, 0.02, 0.0),
    Method("nesterov", "SGD", True, 0.02, 0.0),
    Method("rmsprop", "RMSprop", False, 0.01, 1e-8),
    Method("adagrad", "Adagrad", False, 0.5, 1e-10),
    Method("adam", "Adam", False, 0.1, 1e-8),
)}


# ---- the update rules: (x, g, s, r, c, sqrt) -> (x, s, r), on floats or arrays ---------------------------------
# s, r: the method's two state slots (0 at the start); c: the constants of this step from _constants.


def _sgd(x, g, s, r, c, sqrt):
    (lr,) = c
    return x - lr * g, s, r


def _momentum(x, g, buf, r, c, sqrt):
    lr, beta = c
    buf = beta * buf + g
    return x - lr * buf, buf, r


def _nesterov(x, g, buf, r, c, sqrt):
    lr, beta = c
    buf = beta * buf + g
    return x - lr * (g + beta * buf), buf, r


def _rmsprop(x, g, s, r, c, sqrt):
    lr, alpha, one_minus_alpha, eps = c
    s = s * alpha + one_minus_alpha * g * g  # torch: square_avg.mul_(alpha).addcmul_(g, g, value=1 - alpha)
    return x - lr * g / (sqrt(s) + eps), s, r


def _adagrad(x, g, s, r, c, sqrt):
    lr, eps = c
    s = s + g * g
    return x - lr * g / (sqrt(s) + eps), s, r


def _adam(x, g, m, v, c, sqrt):
    step_size, w, beta2, one_minus_beta2, bc2_sqrt, eps = c
    m = m + w * (g - m) if w < 0.5 else g - (g - m) * (1.0 - w)  # torch.lerp(m, g, w), w = 1 - beta1
    v = v * beta2 + one_minus_beta2 * g * g
    return x - step_size * m / (sqrt(v) / bc2_sqrt + eps), m, v


_RULES = {"sgd": _sgd, "momentum": _momentum, "nesterov": _nesterov, "rmsprop": _rmsprop, "adagrad": _adagrad,
          "adam": _adam}


@dataclass(frozen=True)
class _Hyper:
    method: str
    lr: float | np.ndarray
    momentum: float | np.ndarray
    beta1: float
    beta2: float
    eps: float
    alpha: float


def _constants(h: _Hyper, t: int) -> tuple:
    """The numbers the rule of ``h.method`` needs at step ``t`` (1, 2, ...), computed once per step as torch does."""
    if h.method == "sgd":
        return (h.lr,)
    if h.method in ("momentum", "nesterov"):
        return h.lr, h.momentum
    if h.method == "rmsprop":
        return h.lr, h.alpha, 1 - h.alpha, h.eps
    if h.method == "adagrad":
        return h.lr, h.eps  # torch's clr = lr / (1 + (t - 1) * lr_decay) is lr itself: lr_decay = 0
    step = float(t)  # torch: the step counter is a tensor, read back as a float
    bias_correction1 = 1 - h.beta1**step
    bias_correction2 = 1 - h.beta2**step
    return h.lr / bias_correction1, 1 - h.beta1, h.beta2, 1 - h.beta2, bias_correction2**0.5, h.eps


# ---- checking the arguments ------------------------------------------------------------------------------------


def _check_method(method: str) -> Method:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    return METHODS[method]


def _check_steps(steps) -> int:
    if isinstance(steps, bool):
        raise ValueError(f"steps must be a whole number, got {steps!r}")
    try:
        steps = operator.index(steps)
    except TypeError:
        raise ValueError(f"steps must be a whole number, got {steps!r}") from None
    if not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be between 0 and {MAX_STEPS:,}, got {steps}")
    return steps


def _check_lr(lr: np.ndarray) -> None:
    if not np.all(np.isfinite(lr) & (lr > 0)):
        raise ValueError(f"lr must be a finite number above 0, got {lr}")


def _check_momentum(momentum: np.ndarray) -> None:
    if not np.all((momentum >= 0) & (momentum < 1)):
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")


def _hyper(method: str, lr, momentum, betas, eps, alpha) -> _Hyper:
    """Checked hyper-parameters; ``lr`` and ``momentum`` stay arrays when they are arrays (``descend_many``)."""
    m = _check_method(method)
    lr_a, momentum_a = np.asarray(lr, dtype=np.float64), np.asarray(momentum, dtype=np.float64)
    _check_lr(lr_a)
    _check_momentum(momentum_a)
    beta1, beta2 = (float(b) for b in betas)
    if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
        raise ValueError(f"betas must both be in [0, 1), got {betas}")
    eps = m.default_eps if eps is None else float(eps)
    if not (math.isfinite(eps) and eps >= 0):
        raise ValueError(f"eps must be a finite number >= 0, got {eps}")
    alpha = float(alpha)
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    as_float = lambda a: float(a) if a.ndim == 0 else a  # noqa: E731
    return _Hyper(method, as_float(lr_a), as_float(momentum_a), beta1, beta2, eps, alpha)


def _check_start(x0, allow_runs: bool) -> np.ndarray:
    x0 = np.array(x0, dtype=np.float64)  # a copy
    if x0.ndim not in ((1, 2) if allow_runs else (1,)) or x0.shape[-1] == 0:
        shapes = "(d,) or (n, d)" if allow_runs else "(d,)"
        raise ValueError(f"x0 must have shape {shapes} with d >= 1, got {x0.shape}")
    if not np.all(np.abs(x0) <= LIMIT):
        raise ValueError(f"x0 must be finite with every coordinate within ±{LIMIT:g}")
    return x0


# ---- one run ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trajectory:
    """The points of one run and f at each; ``diverged_at`` = k when step k (point k -> k + 1) left."""

    points: np.ndarray  # (k + 1, d) float64 from the start; k = steps unless the run diverged
    values: np.ndarray  # (k + 1,) f at each point
    diverged_at: int | None  # the step whose update left; points ends at the point it started from


def descend(f: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], np.ndarray], x0, method: str, lr: float,
            steps: int, momentum: float = 0.0, betas=(0.9, 0.999), eps: float | None = None,
            alpha: float = 0.99) -> Trajectory:
    """``steps`` updates of ``method`` from ``x0``, as ``torch.optim`` computes them (module docstring).

    ``f`` and ``grad`` take a point of shape (d,) and return f there and the gradient (d,). ``momentum`` counts for
    "momentum" and "nesterov", ``alpha`` for "rmsprop", ``betas`` for "adam", ``eps`` (None: torch's default) for
    the last three. A step that leaves (non-finite, or beyond ±``LIMIT``) ends the run: ``diverged_at``."""
    h = _hyper(method, lr, momentum, betas, eps, alpha)
    if not (isinstance(h.lr, float) and isinstance(h.momentum, float)):
        raise ValueError("lr and momentum must be single numbers here; descend_many takes one per run")
    steps = _check_steps(steps)
    x0 = _check_start(x0, allow_runs=False)
    f0 = float(f(x0.copy()))
    if not math.isfinite(f0):
        raise ValueError(f"f(x0) must be finite, got {f0}")
    if x0.size > _FLOAT_MAX_D:
        return _descend_arrays(f, grad, x0, h, steps, f0)
    return _descend_floats(f, grad, x0, h, steps, f0)


def _gradient(grad, p: np.ndarray) -> np.ndarray:
    g = np.asarray(grad(p), dtype=np.float64)
    if g.shape != p.shape:
        raise ValueError(f"grad must return an array of shape {p.shape}, got {g.shape}")
    return g


def _descend_floats(f, grad, x0: np.ndarray, h: _Hyper, steps: int, f0: float) -> Trajectory:
    """``descend`` one coordinate at a time in Python floats (fast for a few coordinates)."""
    rule, sqrt, d = _RULES[h.method], math.sqrt, x0.size
    x, s, r = x0.tolist(), [0.0] * d, [0.0] * d
    p = x0
    points, values = [x], [f0]
    adam = h.method == "adam"
    c = _constants(h, 1)
    diverged_at = None
    for t in range(1, steps + 1):
        if adam:
            c = _constants(h, t)
        g = np.asarray(grad(p), dtype=np.float64)
        if g.shape != x0.shape:
            raise ValueError(f"grad must return an array of shape {x0.shape}, got {g.shape}")
        g = g.tolist()
        new = [0.0] * d
        inside = True
        for i in range(d):
            new[i], s[i], r[i] = rule(x[i], g[i], s[i], r[i], c, sqrt)
            if not -LIMIT <= new[i] <= LIMIT:  # NaN too
                inside = False
        if inside:
            p = np.array(new)
            value = float(f(p))
        if not (inside and math.isfinite(value)):
            diverged_at = t - 1
            break
        x = new
        points.append(x)
        values.append(value)
    return Trajectory(np.array(points, dtype=np.float64).reshape(len(points), d), np.array(values), diverged_at)


def _descend_arrays(f, grad, x0: np.ndarray, h: _Hyper, steps: int, f0: float) -> Trajectory:
    """``descend`` on NumPy arrays (fast for many coordinates): the same rule, so the same numbers."""
    rule = _RULES[h.method]
    x, s, r = x0, np.zeros_like(x0), np.zeros_like(x0)
    points, values = [x], [f0]
    c = _constants(h, 1)
    diverged_at = None
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            if h.method == "adam":
                c = _constants(h, t)
            new, s, r = rule(x, _gradient(grad, x.copy()), s, r, c, np.sqrt)
            inside = bool(np.abs(new).max() <= LIMIT)  # the max of an array with a NaN is NaN
            value = float(f(new.copy())) if inside else math.nan
            if not math.isfinite(value):
                diverged_at = t - 1
                break
            x = new
            points.append(x)
            values.append(value)
    return Trajectory(np.array(points), np.array(values), diverged_at)


# ---- many runs at once -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Runs:
    """``n`` runs side by side; a diverged run stays at its last finite point from then on."""

    points: np.ndarray  # (steps + 1, n, d)
    diverged_at: np.ndarray  # (n,) int: the step that left (as Trajectory.diverged_at), -1 where none did


def descend_many(grad: Callable[[np.ndarray], np.ndarray], x0, method: str, lr, steps: int, momentum=0.0,
                 betas=(0.9, 0.999), eps: float | None = None, alpha: float = 0.99) -> Runs:
    """``descend`` for n runs at once. ``x0`` (n, d) or (d,), ``lr`` and ``momentum`` numbers or arrays (n,),
    broadcast to n runs; ``grad`` takes the (n, d) points and returns the (n, d) gradients. No ``f``: a run
    diverges when a coordinate leaves (non-finite, or beyond ±``LIMIT``)."""
    h = _hyper(method, lr, momentum, betas, eps, alpha)
    steps = _check_steps(steps)
    x0 = _check_start(x0, allow_runs=True)
    lr_a, momentum_a = np.asarray(h.lr), np.asarray(h.momentum)
    try:
        (n,) = np.broadcast_shapes(x0.shape[:-1], lr_a.shape, momentum_a.shape, (1,))
    except ValueError:
        raise ValueError(f"x0 {x0.shape}, lr {lr_a.shape} and momentum {momentum_a.shape} do not broadcast to "
                         "(n, d), (n,) and (n,)") from None
    d = x0.shape[-1]
    x = np.array(np.broadcast_to(x0, (n, d)))
    h = _Hyper(h.method, _full(h.lr, n, d), _full(h.momentum, n, d), h.beta1, h.beta2, h.eps, h.alpha)
    rule = _RULES[h.method]
    points = np.empty((steps + 1, n, d))
    points[0] = x
    s, r = np.zeros((n, d)), np.zeros((n, d))
    diverged_at = np.full(n, -1)
    dead = np.zeros((n, d), dtype=bool)  # a diverged run, every coordinate of it
    any_dead = False
    c = _constants(h, 1)
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            if h.method == "adam":
                c = _constants(h, t)
            g = np.asarray(grad(x.copy()), dtype=np.float64)
            if g.shape != (n, d):
                raise ValueError(f"grad must return an array of shape {(n, d)}, got {g.shape}")
            new, s, r = rule(x, g, s, r, c, np.sqrt)
            if not np.abs(new).max() <= LIMIT:  # some run left just now, or one that left before moves on
                left = ~(_row_max_abs(new) <= LIMIT) & ~dead[:, 0]  # NaN compares False
                if left.any():
                    diverged_at[left] = t - 1
                    dead[left] = True
                    any_dead = True
            if any_dead:
                np.copyto(new, x, where=dead)
            points[t] = new
            x = new
    return Runs(points, diverged_at)


def _full(a: float | np.ndarray, n: int, d: int) -> float | np.ndarray:
    """A number stays a number; an array (n,) becomes (n, d), each run's value along its row. Contiguous: NumPy
    multiplies two (n, d) arrays 3-6x faster than an (n, 1) column by an (n, d) array when d is small."""
    return a if isinstance(a, float) else np.repeat(np.broadcast_to(a, (n,))[:, None], d, axis=1)


def _row_max_abs(x: np.ndarray) -> np.ndarray:
    """``max_j |x[i, j]|`` for each row, NaN where the row holds a NaN; column by column when there are few
    (a reduction over a short last axis is slow in NumPy)."""
    a = np.abs(x)
    if a.shape[1] > 8:
        return a.max(axis=1)
    m = a[:, 0].copy()
    for j in range(1, a.shape[1]):
        np.maximum(m, a[:, j], out=m)
    return m


# ---- rates: what theory promises and what a run does -----------------------------------------------------------


@dataclass(frozen=True)
class MomentumTuning:
    """The best constant lr and momentum on a quadratic with curvatures in [mu, L], and the rates per step."""

    lr: float  # α* = (2 / (√L + √mu))²
    momentum: float  # β* = ((√κ - 1) / (√κ + 1))²
    rate_gd: float  # (κ - 1) / (κ + 1): plain gradient descent at its best lr, 2 / (L + mu)
    rate_momentum: float  # (√κ - 1) / (√κ + 1) = √β*
    kappa: float  # κ = L / mu


def optimal_momentum(L: float, mu: float) -> MomentumTuning:
    """Heavy ball's optimal tuning on a quadratic whose curvatures lie in [mu, L] (Goh, Distill 2017)."""
    L, mu = float(L), float(mu)
    if not (math.isfinite(L) and 0 < mu <= L):
        raise ValueError(f"need 0 < mu <= L (finite), got mu={mu}, L={L}")
    kappa = L / mu
    root = math.sqrt(kappa)
    rate_momentum = (root - 1) / (root + 1)
    return MomentumTuning(lr=(2 / (math.sqrt(L) + math.sqrt(mu))) ** 2, momentum=rate_momentum**2,
                          rate_gd=(kappa - 1) / (kappa + 1), rate_momentum=rate_momentum, kappa=kappa)


def _distances(points: np.ndarray, target) -> np.ndarray:
    """``‖x - target‖`` over the last axis: ``sqrt`` of the sum of squares, summed column by column (NumPy reduces a
    short last axis slowly: 3x faster than ``np.linalg.norm`` on (501, 3600, 2)), and ``np.hypot`` one coordinate
    at a time where a square would underflow (below ~1e-154) or overflow (beyond ~1e154)."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim not in (2, 3):
        raise ValueError(f"points must have shape (steps + 1, d) or (steps + 1, n, d), got {points.shape}")
    diff = points - np.asarray(target, dtype=np.float64)
    if diff.shape[-1] > 8:
        total = np.einsum("...i,...i->...", diff, diff)
    else:
        total = np.square(diff[..., 0])
        for j in range(1, diff.shape[-1]):
            total += np.square(diff[..., j])
    dist = np.sqrt(total, out=total)
    rescue = ~((dist >= 1e-145) & (dist <= 1e145))  # 0, subnormal or lost squares, inf, NaN
    if rescue.any():
        few = diff[rescue]
        exact = np.abs(few[:, 0])
        for j in range(1, few.shape[1]):
            exact = np.hypot(exact, few[:, j])
        dist[rescue] = exact
    return dist


def convergence_steps(points: np.ndarray, target, tol: float) -> np.ndarray | int:
    """The first step k with ‖x_j - target‖ <= tol for every j >= k; -1 if there is none.

    ``points`` (steps + 1, d) gives an int, (steps + 1, n, d) an array (n,)."""
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0, got {tol}")
    far = ~(_distances(points, target) <= tol)  # NaN is far
    last = far.shape[0] - 1
    after_last_far = last + 1 - far[::-1].argmax(axis=0)  # 1 + the index of the last far point
    first = np.where(far.any(axis=0), after_last_far, 0)
    first = np.where(first > last, -1, first)
    return int(first) if first.ndim == 0 else first


def measured_rate(points: np.ndarray, target, skip: int = 10) -> float:
    """The contraction per step of ‖x_k - target‖: exp of the least-squares slope of ln‖x_k - target‖ against k.

    Fitted from step ``skip`` (past the start-up) to the last step before the distance first drops below 1e-12
    (rounding takes over there). A fit rather than the ratio of the two end distances: a distance that oscillates
    (complex eigenvalues) then does not make the answer depend on where the window ends. NaN when fewer than two
    steps are left to fit. ``points``: one run, (steps + 1, d)."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2:
        raise ValueError(f"points must have shape (steps + 1, d), got {points.shape}")
    if isinstance(skip, bool) or operator.index(skip) < 0:
        raise ValueError(f"skip must be a whole number >= 0, got {skip!r}")
    dist = _distances(points, target)
    tiny = np.flatnonzero(dist < 1e-12)
    end = tiny[0] if tiny.size else dist.size  # exclusive
    k = np.arange(skip, end)
    if k.size < 2:
        return math.nan
    slope = np.polyfit(k, np.log(dist[k]), 1)[0]
    return float(np.exp(slope))


# ---- the phase diagram of heavy ball ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseDiagram:
    """Steps to converge for every (momentum, lr) of a grid: rows are momenta, columns learning rates."""

    lrs: np.ndarray
    momenta: np.ndarray
    steps: np.ndarray  # (len(momenta), len(lrs)) int: convergence_steps, -1 = not within the budget or diverged
    diverged: np.ndarray  # (len(momenta), len(lrs)) bool


def phase_diagram(grad: Callable[[np.ndarray], np.ndarray], x0, target, lrs, momenta, steps: int = 500,
                  tol: float = 1e-6) -> PhaseDiagram:
    """Heavy ball ("momentum") from ``x0`` for every pair of ``momenta`` × ``lrs``, in one ``descend_many`` call;
    a momentum of 0 is plain gradient descent. ``grad`` takes (n, d) points, as in ``descend_many``."""
    lrs = np.asarray(lrs, dtype=np.float64).ravel()
    momenta = np.asarray(momenta, dtype=np.float64).ravel()
    if lrs.size == 0 or momenta.size == 0:
        raise ValueError("give at least one lr and one momentum")
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0, got {tol}")
    x0 = _check_start(x0, allow_runs=False)
    runs = descend_many(grad, x0, "momentum", np.tile(lrs, momenta.size), steps,
                        momentum=np.repeat(momenta, lrs.size))
    diverged = runs.diverged_at >= 0
    converged = np.where(diverged, -1, convergence_steps(runs.points, target, tol))
    shape = (momenta.size, lrs.size)
    return PhaseDiagram(lrs, momenta, converged.reshape(shape), diverged.reshape(shape))


# ---- the quiz: one momentum step by hand -----------------------------------------------------------------------


@dataclass(frozen=True)
class StepQuestion:
    """Point ``x``, momentum buffer ``v``, gradient ``g``: where does one step of SGD with momentum go?"""

    x: float
    v: float
    g: float
    lr: float
    beta: float

    @property
    def v_next(self) -> float:
        """The new buffer, ``beta * v + g`` (torch: no dampening)."""
        return self.beta * self.v + self.g

    @property
    def answer(self) -> float:
        """The new point, ``x - lr * (beta * v + g)``."""
        return self.x - self.lr * self.v_next


QUIZ_LRS = (0.1, 0.2, 0.5, 1.0)
QUIZ_BETAS = (0.5, 0.8, 0.9)


def step_question(seed: int) -> StepQuestion:
    """A question with x, v, g in -3..3 (one decimal), lr from ``QUIZ_LRS``, beta from ``QUIZ_BETAS``; the same
    seed gives the same question."""
    rng = np.random.default_rng(seed)
    x, v, g = (float(i) / 10 for i in rng.integers(-30, 31, size=3))
    return StepQuestion(x=x, v=v, g=g, lr=float(rng.choice(QUIZ_LRS)), beta=float(rng.choice(QUIZ_BETAS)))
