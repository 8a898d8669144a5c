"""Loss surfaces for the gradient-descent lesson: curves f(x) and landscapes f(x, y) with their exact gradients.

Each ``Surface`` holds ``f`` and its analytic gradient (both vectorised over points of shape ``(..., dim)``), a view
box, a start that shows something, its minima in the box and a step size for plain gradient descent. The gradients
equal torch autograd in float64, the minima have zero gradient (to 1e-8) and a positive definite Hessian, and the
global ones are the lowest points of a fine grid over the box (tests/test_surfaces.py).

The minima are known in closed form (bowl, Rosenbrock, Himmelblau's (3, 2)) or refined at import by Newton's method
from published approximations (Himmelblau's other three, the camel's six, the curves' roots of f'), until the
gradient is at rounding level.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from core.expr import ExprError, parse_function


@dataclass(frozen=True)
class Minimum:
    point: tuple[float, ...]
    value: float
    kind: str  # "global" or "local"


@dataclass(frozen=True)
class Surface:
    name: str  # the registry key, or "custom"
    dim: int  # 1 or 2
    f: Callable[[np.ndarray], np.ndarray]  # points (..., dim) -> values (...)
    grad: Callable[[np.ndarray], np.ndarray]  # points (..., dim) -> gradients (..., dim), analytic
    box: tuple[tuple[float, float], ...]  # the view, one (lo, hi) per axis
    start: tuple[float, ...]  # a default start that shows something
    minima: tuple[Minimum, ...]  # the minima inside the box, global and local
    latex: str
    lr: float  # a step size with which plain gradient descent from ``start`` behaves


# ---- the formulas -------------------------------------------------------------------------------------------------


def _points(p, dim: int) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if p.ndim == 0 or p.shape[-1] != dim:
        raise ValueError(f"points must have shape (..., {dim}); got {p.shape}")
    return p


def _curve(f1: Callable, df1: Callable) -> tuple[Callable, Callable]:
    """``f`` and ``grad`` over points (..., 1) from f(x) and f'(x) over arrays."""
    return (lambda p: f1(_points(p, 1)[..., 0]),
            lambda p: df1(_points(p, 1)[..., 0])[..., None])


def _plane(f2: Callable, grad2: Callable) -> tuple[Callable, Callable]:
    """``f`` and ``grad`` over points (..., 2) from f(x, y) and (∂f/∂x, ∂f/∂y) over arrays."""

    def f(p):
        p = _points(p, 2)
        if p.shape == (2,):  # one point, as an optimizer asks: Python floats skip NumPy's per-call overhead
            return np.float64(f2(float(p[0]), float(p[1])))
        return f2(p[..., 0], p[..., 1])

    def grad(p):
        p = _points(p, 2)
        if p.shape == (2,):
            return np.array(grad2(float(p[0]), float(p[1])), dtype=np.float64)
        gx, gy = grad2(p[..., 0], p[..., 1])
        return np.stack(np.broadcast_arrays(gx, gy), axis=-1)

    return f, grad


def _wavy(x):
    return (x + 1) ** 2 / 10 + np.cos(2 * x)


def _wavy_grad(x):
    return (x + 1) / 5 - 2 * np.sin(2 * x)


DOUBLE_WELL_TILT = 0.3


def _double_well(x):
    return (x * x - 1) ** 2 + DOUBLE_WELL_TILT * x


def _double_well_grad(x):
    return 4 * x * (x * x - 1) + DOUBLE_WELL_TILT


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _rosenbrock_grad(x, y):
    return -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)


def _himmelblau(x, y):
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def _himmelblau_grad(x, y):
    a, b = x * x + y - 11, x + y * y - 7
    return 4 * x * a + 2 * b, 2 * a + 4 * y * b


def _saddle(x, y):
    return x * x - y * y


def _saddle_grad(x, y):
    return 2 * x, -2 * y


def _camel(x, y):
    x2, y2 = x * x, y * y
    return (4 - 2.1 * x2 + x2 * x2 / 3) * x2 + x * y + (4 * y2 - 4) * y2


def _camel_grad(x, y):
    x2 = x * x
    return 8 * x - 8.4 * x2 * x + 2 * x2 * x2 * x + y, x + 16 * y * y * y - 8 * y


# ---- minima -------------------------------------------------------------------------------------------------------


def _jacobian(grad: Callable, p: np.ndarray) -> np.ndarray:
    """The Hessian as the central-difference Jacobian of the analytic gradient (error O(h²) ≈ 1e-12)."""
    h = 1e-6 * np.maximum(1.0, np.abs(p))
    columns = [(grad(p + h[k] * e) - grad(p - h[k] * e)) / (2 * h[k]) for k, e in enumerate(np.eye(p.size))]
    return np.stack(columns, axis=-1)


def _refine(grad: Callable, guess: Sequence[float]) -> np.ndarray:
    """Newton's method on ``grad = 0`` from ``guess``, until the gradient stops shrinking."""
    p = np.asarray(guess, dtype=np.float64)
    g = np.linalg.norm(grad(p))
    for _ in range(100):
        step = np.linalg.solve(_jacobian(grad, p), grad(p))
        q = p - step
        gq = np.linalg.norm(grad(q))
        if gq >= g:
            break
        p, g = q, gq
    return p


def _minima(f: Callable, grad: Callable, guesses: Sequence[Sequence[float]],
            exact: Sequence[Sequence[float]] = ()) -> tuple[Minimum, ...]:
    """The minima at ``exact`` points and at the refined ``guesses``, each marked global when its value is the
    lowest (within 1e-9): the global ones first, by position, then the local ones by value."""
    points = [np.asarray(p, dtype=np.float64) for p in exact] + [_refine(grad, p) for p in guesses]
    values = [float(f(p)) for p in points]
    lowest = min(values)
    found = [Minimum(tuple(float(v) for v in p), v, "global" if v <= lowest + 1e-9 else "local")
             for p, v in zip(points, values, strict=True)]
    return tuple(sorted(found, key=lambda m: (m.kind == "local", m.value if m.kind == "local" else 0.0, m.point)))


# ---- the registry -------------------------------------------------------------------------------------------------

KAPPA_RANGE = (1.0, 1000.0)


def quadratic_bowl(kappa: float) -> Surface:
    """``½(x² + κ y²)``: Hessian diag(1, κ), so L = κ and μ = 1 and the condition number is κ. ``lr = 2/(L + μ)``,
    the best fixed step for plain gradient descent: x and y both shrink by (κ - 1)/(κ + 1) per step, y flipping
    sign each time (the zigzag)."""
    kappa = float(kappa)
    if not KAPPA_RANGE[0] <= kappa <= KAPPA_RANGE[1]:
        raise ValueError(f"kappa must be in [{KAPPA_RANGE[0]:g}, {KAPPA_RANGE[1]:g}]; got {kappa}")
    f, grad = _plane(lambda x, y: 0.5 * (x * x + kappa * y * y), lambda x, y: (x, kappa * y))
    return Surface("bowl", 2, f, grad, ((-3.0, 3.0), (-3.0, 3.0)), (-2.5, 1.5),
                   (Minimum((0.0, 0.0), 0.0, "global"),),
                   rf"f(x, y) = \tfrac{{1}}{{2}}\left(x^{{2}} + {kappa:g}\,y^{{2}}\right)", 2.0 / (kappa + 1.0))


def _surfaces() -> dict[str, Surface]:
    wavy_f, wavy_grad = _curve(_wavy, _wavy_grad)
    well_f, well_grad = _curve(_double_well, _double_well_grad)
    rosen_f, rosen_grad = _plane(_rosenbrock, _rosenbrock_grad)
    himmel_f, himmel_grad = _plane(_himmelblau, _himmelblau_grad)
    saddle_f, saddle_grad = _plane(_saddle, _saddle_grad)
    camel_f, camel_grad = _plane(_camel, _camel_grad)
    return {s.name: s for s in (
        # four minima in [-5, 5], near -4.5, -1.5 (global), 1.4 and 4.4, and f rises at both ends of the box, so
        # descent never leaves it; from 3 descent stops in the local minimum near 1.4
        Surface("wavy", 1, wavy_f, wavy_grad, ((-5.0, 5.0),), (3.0,),
                _minima(wavy_f, wavy_grad, [(-4.5,), (-1.5,), (1.4,), (4.4,)]),
                r"f(x) = \frac{(x + 1)^{2}}{10} + \cos(2x)", 0.05),
        # the tilt makes the left well deeper; from 1.5 descent settles in the shallower right one
        Surface("double_well", 1, well_f, well_grad, ((-2.0, 2.0),), (1.5,),
                _minima(well_f, well_grad, [(-1.04,), (0.96,)]),
                rf"f(x) = \left(x^{{2}} - 1\right)^{{2}} + {DOUBLE_WELL_TILT:g}\,x", 0.05),
        quadratic_bowl(10.0),
        # the curved valley: fast down into it, then a long crawl along it to (1, 1)
        Surface("rosenbrock", 2, rosen_f, rosen_grad, ((-2.0, 2.0), (-1.0, 3.0)), (-1.5, 2.0),
                _minima(rosen_f, rosen_grad, [], exact=[(1.0, 1.0)]),
                r"f(x, y) = (1 - x)^{2} + 100\left(y - x^{2}\right)^{2}", 0.001),
        # four minima, all with value 0; starting near the top at (-0.27, -0.92) decides which one is reached
        Surface("himmelblau", 2, himmel_f, himmel_grad, ((-5.0, 5.0), (-5.0, 5.0)), (-0.5, -0.5),
                _minima(himmel_f, himmel_grad, [(-2.805, 3.131), (-3.779, -3.283), (3.584, -1.848)],
                        exact=[(3.0, 2.0)]),
                r"f(x, y) = \left(x^{2} + y - 11\right)^{2} + \left(x + y^{2} - 7\right)^{2}", 0.01),
        # no minimum: from just off the ridge y = 0, descent slides towards the saddle, then escapes along y
        Surface("saddle", 2, saddle_f, saddle_grad, ((-2.0, 2.0), (-2.0, 2.0)), (1.0, 0.01), (),
                r"f(x, y) = x^{2} - y^{2}", 0.1),
        # six-hump camel: two global minima (-1.0316...) and four local ones
        Surface("camel", 2, camel_f, camel_grad, ((-2.0, 2.0), (-1.0, 1.0)), (-1.5, 0.8),
                _minima(camel_f, camel_grad, [(0.0898, -0.7126), (-0.0898, 0.7126), (1.7036, -0.7961),
                                              (-1.7036, 0.7961), (1.6071, 0.5687), (-1.6071, -0.5687)]),
                r"f(x, y) = \left(4 - 2.1x^{2} + \tfrac{x^{4}}{3}\right)x^{2} + xy + \left(4y^{2} - 4\right)y^{2}",
                0.01),
    )}


SURFACES: dict[str, Surface] = _surfaces()
"""Surfaces by stable name (selectbox, URL and tests use the same names): the curves first, then the planes."""


def nearest_minimum(surface: Surface, points, tol: float = 0.05) -> np.ndarray:
    """For points (..., dim): the index into ``surface.minima`` of the minimum within distance ``tol`` (the nearest
    one, should several be), -1 where there is none."""
    p = _points(points, surface.dim)
    if not surface.minima:
        return np.full(p.shape[:-1], -1, dtype=int)
    centres = np.array([m.point for m in surface.minima])
    distance = np.linalg.norm(p[..., None, :] - centres, axis=-1)  # (..., number of minima)
    nearest = np.argmin(distance, axis=-1)
    return np.where(np.take_along_axis(distance, nearest[..., None], -1)[..., 0] <= tol, nearest, -1)


# ---- a surface typed by the student -------------------------------------------------------------------------------

CUSTOM_GRID = 101


def custom_surface(text: str, box=((-3.0, 3.0), (-3.0, 3.0)), start=(2.0, 2.0)) -> Surface:
    """The surface f(x, y) written in ``text`` (read by ``core.expr.parse_function``, never run as code). Raises
    ExprError if the formula cannot be read, or if f or its gradient is not finite somewhere on a 101 × 101 grid over
    the box (code "not_finite", naming the first such point). Its minima are unknown: ``minima = ()``."""
    expr = parse_function(text)
    box = tuple((float(lo), float(hi)) for lo, hi in box)
    if len(box) != 2 or not all(lo < hi for lo, hi in box):
        raise ValueError(f"box must be two (lo, hi) pairs with lo < hi; got {box}")
    xs, ys = (np.linspace(lo, hi, CUSTOM_GRID) for lo, hi in box)
    x, y = np.meshgrid(xs, ys)
    gx, gy = expr.grad(x, y)
    for what, values in (("f", expr(x, y)), ("∂f/∂x", gx), ("∂f/∂y", gy)):
        bad = ~np.isfinite(values)
        if bad.any():
            row, column = (int(k[0]) for k in np.nonzero(bad))
            where, value = f"(x, y) = ({x[row, column]:.3g}, {y[row, column]:.3g})", values[row, column]
            raise ExprError("not_finite", "", -1, f"{what} = {value} at {where}: a surface must have a finite value "
                            "and slope everywhere in the box.")
    f, grad = _plane(expr, expr.grad)
    return Surface("custom", 2, f, grad, box, tuple(float(v) for v in start), (), f"f(x, y) = {expr.to_latex()}",
                   0.01)
