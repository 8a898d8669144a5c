"""core.surfaces against torch.autograd (float64) on formulas written out here, fine grids, published minima and
the same surfaces typed as text (core.expr)."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.expr import ExprError
from core.surfaces import SURFACES, Surface, custom_surface, nearest_minimum, quadratic_bowl

# The references, written out here (not read from the module): f(x) or f(x, y) over torch tensors.
TORCH = {
    "wavy": lambda x: (x + 1) ** 2 / 10 + torch.cos(2 * x),
    "double_well": lambda x: (x**2 - 1) ** 2 + 0.3 * x,
    "bowl": lambda x, y: 0.5 * (x**2 + 10 * y**2),
    "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
    "himmelblau": lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
    "saddle": lambda x, y: x**2 - y**2,
    "camel": lambda x, y: (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2,
}
# The same formulas as a student would type them, for custom_surface.
TYPED = {
    "bowl": "0.5*(x^2 + 10*y^2)",
    "rosenbrock": "(1 - x)^2 + 100*(y - x^2)^2",
    "himmelblau": "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    "saddle": "x^2 - y^2",
    "camel": "(4 - 2.1*x^2 + x^4/3)*x^2 + x*y + (-4 + 4*y^2)*y^2",
}
NAMES = list(SURFACES)
TOL = dict(rtol=1e-12, atol=1e-12)
CAMEL_GLOBAL = -1.0316284534898774  # the six-hump camel's minimum value, as published (e.g. Molga & Smutnicki 2005)


def torch_f_and_grad(name: str, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    values = TORCH[name](*p.unbind(-1))
    (grad,) = torch.autograd.grad(values.sum(), p)
    return values.detach().numpy(), grad.numpy()


def torch_hessian(name: str, point) -> np.ndarray:
    return torch.autograd.functional.hessian(lambda p: TORCH[name](*p.unbind(-1)),
                                             torch.tensor(point, dtype=torch.float64)).numpy()


def random_points(surface: Surface, n: int, seed: int, spread: float = 1.0) -> np.ndarray:
    """Uniform points in the box, or in the box scaled by ``spread`` about its centre (outside it)."""
    rng = np.random.default_rng(seed)
    lo, hi = np.array(surface.box).T
    centre, half = (lo + hi) / 2, (hi - lo) / 2 * spread
    return rng.uniform(centre - half, centre + half, (n, surface.dim))


def grid(surface: Surface, n: int) -> np.ndarray:
    axes = [np.linspace(lo, hi, n) for lo, hi in surface.box]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)


def test_registry_order_and_fields():
    assert NAMES == ["wavy", "double_well", "bowl", "rosenbrock", "himmelblau", "saddle", "camel"]
    for name, s in SURFACES.items():
        assert s.name == name and s.dim == (1 if name in ("wavy", "double_well") else 2)
        assert len(s.box) == len(s.start) == s.dim and all(lo < hi for lo, hi in s.box)
        assert all(lo <= v <= hi for v, (lo, hi) in zip(s.start, s.box, strict=True))
        assert s.latex.startswith("f(x") and s.latex.count("{") == s.latex.count("}") and s.lr > 0
        for m in s.minima:
            assert m.kind in ("global", "local") and len(m.point) == s.dim
            assert all(lo < v < hi for v, (lo, hi) in zip(m.point, s.box, strict=True))
    assert SURFACES["rosenbrock"].box == ((-2.0, 2.0), (-1.0, 3.0)) and SURFACES["rosenbrock"].start == (-1.5, 2.0)
    assert SURFACES["camel"].box == ((-2.0, 2.0), (-1.0, 1.0)) and SURFACES["saddle"].minima == ()


# ---- values and gradients -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("spread", [1.0, 3.0], ids=["in_box", "outside"])
def test_values_and_gradients_equal_torch_autograd(name, spread):
    s = SURFACES[name]
    points = random_points(s, 500, seed=len(name), spread=spread)
    values, grads = torch_f_and_grad(name, points)
    np.testing.assert_allclose(s.f(points), values, **TOL)
    np.testing.assert_allclose(s.grad(points), grads, rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_f_and_grad_are_vectorised(name):
    s = SURFACES[name]
    points = random_points(s, 12, seed=1).reshape(3, 4, s.dim)
    one = [float(s.f(p)) for p in points.reshape(-1, s.dim)]
    assert np.ndim(s.f(points[0, 0])) == 0 and s.grad(points[0, 0]).shape == (s.dim,)
    assert s.f(points).shape == (3, 4) and s.grad(points).shape == (3, 4, s.dim)
    assert s.f(points[0]).shape == (4,) and s.grad(points[0]).shape == (4, s.dim)
    np.testing.assert_array_equal(s.f(points).ravel(), one)
    np.testing.assert_array_equal(s.grad(points).reshape(-1, s.dim), [s.grad(p) for p in points.reshape(-1, s.dim)])
    assert s.f(np.zeros((0, s.dim))).shape == (0,) and s.grad(np.zeros((0, s.dim))).shape == (0, s.dim)
    with pytest.raises(ValueError, match="shape"):
        s.f(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="shape"):
        s.grad(np.zeros(3))


# ---- minima ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_minima_have_zero_gradient_and_positive_definite_hessian(name):
    s = SURFACES[name]
    for m in s.minima:
        _, grad = torch_f_and_grad(name, np.array([m.point]))
        assert np.abs(grad).max() <= 1e-8 and np.abs(s.grad(np.array(m.point))).max() <= 1e-8
        assert np.linalg.eigvalsh(torch_hessian(name, m.point)).min() > 1e-3
        assert m.value == pytest.approx(float(s.f(np.array(m.point))), abs=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_global_minima_are_the_lowest_points_of_a_fine_grid(name):
    s = SURFACES[name]
    values = s.f(grid(s, 4001 if s.dim == 1 else 801))
    best = [m.value for m in s.minima if m.kind == "global"]
    if not s.minima:
        return
    assert best and values.min() >= min(best) - 1e-9
    assert max(best) - min(best) <= 1e-9  # every global minimum has the lowest value
    assert all(m.value > min(best) + 1e-9 for m in s.minima if m.kind == "local")
    assert [m.kind for m in s.minima] == sorted(m.kind for m in s.minima)  # global ones first


@pytest.mark.parametrize("name", ["wavy", "double_well", "himmelblau", "camel"])
def test_every_local_minimum_of_a_grid_is_listed(name):
    """The grid points lower than all their neighbours lie next to a listed minimum, and each listed one has one."""
    s = SURFACES[name]
    n = 2001 if s.dim == 1 else 401
    values = s.f(grid(s, n))
    padded = np.pad(values, 1, constant_values=np.inf)
    lower = np.ones(values.shape, dtype=bool)
    for shift in np.ndindex(*(3,) * s.dim):
        if shift != (1,) * s.dim:
            lower &= values < padded[tuple(slice(k, k + n) for k in shift)]
    found = grid(s, n)[lower]
    spacing = max(hi - lo for lo, hi in s.box) / (n - 1)
    labels = nearest_minimum(s, found, tol=2 * spacing)
    assert (labels >= 0).all() and sorted(set(labels.tolist())) == list(range(len(s.minima)))


def test_published_minima():
    himmelblau = sorted(m.point for m in SURFACES["himmelblau"].minima)
    expected = sorted([(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)])
    np.testing.assert_allclose(himmelblau, expected, atol=1e-6)
    assert all(m.kind == "global" and abs(m.value) <= 1e-20 for m in SURFACES["himmelblau"].minima)
    camel = SURFACES["camel"].minima
    assert [m.kind for m in camel].count("global") == 2 and len(camel) == 6
    for m in camel[:2]:
        assert m.value == pytest.approx(CAMEL_GLOBAL, abs=1e-15)
        np.testing.assert_allclose(np.abs(m.point), (0.0898, 0.7126), atol=1e-4)
    np.testing.assert_allclose(sorted(m.value for m in camel[2:]), [-0.2155, -0.2155, 2.1043, 2.1043], atol=1e-4)
    assert SURFACES["rosenbrock"].minima[0].point == (1.0, 1.0) and SURFACES["rosenbrock"].minima[0].value == 0.0
    roots = np.sort(np.roots([4.0, 0.0, -4.0, 0.3]).real)  # f'(x) = 4x³ - 4x + 0.3: minimum, maximum, minimum
    well = SURFACES["double_well"].minima
    np.testing.assert_allclose([m.point[0] for m in well], roots[[0, 2]], rtol=1e-12)
    assert [m.kind for m in well] == ["global", "local"]
    wavy = SURFACES["wavy"].minima
    assert [m.kind for m in wavy] == ["global", "local", "local", "local"]
    np.testing.assert_allclose([m.point[0] for m in wavy], [-1.544, 1.447, -4.532, 4.426], atol=1e-3)


# ---- the step size and the start -------------------------------------------------------------------------------------


def plain_descent(s: Surface, steps: int) -> tuple[np.ndarray, np.ndarray]:
    x, path = np.array(s.start, dtype=np.float64), []
    for _ in range(steps):
        path.append(x)
        x = x - s.lr * s.grad(x)
    path.append(x)
    return np.array(path), s.f(np.array(path))


@pytest.mark.parametrize("name", NAMES)
def test_plain_descent_with_the_default_step_goes_downhill(name):
    s = SURFACES[name]
    path, values = plain_descent(s, 2000 if name != "saddle" else 40)
    assert np.isfinite(path).all() and (np.diff(values) <= 1e-12).all()
    for m in s.minima:  # the step is stable at every minimum: lr times the largest curvature below 2
        assert s.lr * np.linalg.eigvalsh(torch_hessian(name, m.point)).max() < 2


def test_what_the_default_starts_show():
    ends = {name: plain_descent(SURFACES[name], 3000)[0][-1] for name in ("wavy", "double_well", "himmelblau", "camel")}
    for name in ("wavy", "double_well", "camel"):  # stuck in a local minimum, not the global one
        k = int(nearest_minimum(SURFACES[name], ends[name], 1e-6))
        assert k >= 0 and SURFACES[name].minima[k].kind == "local"
    assert nearest_minimum(SURFACES["himmelblau"], ends["himmelblau"], 1e-6) >= 0
    path, _ = plain_descent(SURFACES["rosenbrock"], 3000)  # down into the valley, then a slow crawl along it
    assert abs(path[-1, 1] - path[-1, 0] ** 2) < 0.05 and 0.5 < path[-1, 0] < 1
    path, _ = plain_descent(SURFACES["saddle"], 40)  # towards the saddle along x, then away along y
    assert abs(path[15, 0]) < 0.05 and abs(path[-1, 1]) > SURFACES["saddle"].box[1][1]


# ---- nearest_minimum ------------------------------------------------------------------------------------------------


def test_nearest_minimum_at_around_and_away_from_the_minima():
    s = SURFACES["camel"]
    centres = np.array([m.point for m in s.minima])
    assert nearest_minimum(s, centres).tolist() == list(range(6))
    assert nearest_minimum(s, centres + np.array([0.03, -0.03])).tolist() == list(range(6))  # 0.042 away
    assert nearest_minimum(s, centres + np.array([0.04, 0.04])).tolist() == [-1] * 6  # 0.057 away
    assert nearest_minimum(s, centres + np.array([0.04, 0.04]), tol=0.06).tolist() == list(range(6))
    assert nearest_minimum(s, np.zeros(2)) == -1 and nearest_minimum(s, np.zeros(2)).shape == ()
    assert nearest_minimum(s, np.zeros((3, 4, 2))).shape == (3, 4)
    assert nearest_minimum(SURFACES["wavy"], np.array([[SURFACES["wavy"].minima[2].point[0] + 0.01]])).tolist() == [2]
    assert (nearest_minimum(SURFACES["saddle"], np.zeros((5, 2))) == -1).all()
    with pytest.raises(ValueError, match="shape"):
        nearest_minimum(s, np.zeros(3))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["wavy", "himmelblau", "camel"]), st.floats(0.0, 3.0), st.integers(0, 2**32 - 1))
def test_nearest_minimum_is_the_brute_force_one(name, tol, seed):
    s = SURFACES[name]
    points = random_points(s, 50, seed)
    expected = []
    for p in points:
        distances = [math.dist(p, m.point) for m in s.minima]
        k = int(np.argmin(distances))
        expected.append(k if distances[k] <= tol else -1)
    assert nearest_minimum(s, points, tol).tolist() == expected


# ---- the bowl --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kappa", [1.0, 10.0, 100.0, 1000.0])
def test_quadratic_bowl(kappa):
    s = quadratic_bowl(kappa)
    p = torch.tensor([0.3, -0.7], dtype=torch.float64)
    hessian = torch.autograd.functional.hessian(lambda q: 0.5 * (q[0] ** 2 + kappa * q[1] ** 2), p).numpy()
    np.testing.assert_array_equal(hessian, np.diag([1.0, kappa]))  # L = kappa, mu = 1
    np.testing.assert_allclose(s.grad(np.array([0.3, -0.7])), [0.3, -0.7 * kappa], rtol=1e-15)
    assert s.lr == pytest.approx(2 / (kappa + 1)) and f"{kappa:g}" in s.latex
    assert s.minima[0].point == (0.0, 0.0) and s.minima[0].kind == "global"
    path, values = plain_descent(s, 200)  # the best fixed step: both axes shrink by (kappa - 1)/(kappa + 1)
    assert (np.diff(values) <= 0).all()
    if kappa > 1:
        assert np.allclose(path[1:, 1] / path[:-1, 1], -(kappa - 1) / (kappa + 1))  # y zigzags


def test_the_registry_bowl_has_kappa_10_and_bad_kappas_are_refused():
    points = random_points(SURFACES["bowl"], 20, seed=3)
    np.testing.assert_array_equal(SURFACES["bowl"].f(points), quadratic_bowl(10).f(points))
    for kappa in (0.5, 0.0, -1.0, 1000.5, math.inf, math.nan):
        with pytest.raises(ValueError, match="kappa"):
            quadratic_bowl(kappa)


# ---- a surface typed by the student ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(TYPED))
def test_typed_formulas_equal_the_registry(name):
    """Two implementations of each surface: the hand-written one and the one read from text and differentiated
    symbolically."""
    s = SURFACES[name]
    typed = custom_surface(TYPED[name], box=s.box, start=s.start)
    points = random_points(s, 300, seed=7, spread=2.0)
    np.testing.assert_allclose(typed.f(points), s.f(points), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(typed.grad(points), s.grad(points), rtol=1e-12, atol=1e-10)
    assert typed.name == "custom" and typed.minima == () and typed.box == s.box and typed.start == s.start


def test_custom_surface_fields_and_shapes():
    s = custom_surface("x**2 + 3*sin(y)**2 + 0.1*y**2")
    assert (s.dim, s.box, s.start, s.minima, s.lr) == (2, ((-3.0, 3.0), (-3.0, 3.0)), (2.0, 2.0), (), 0.01)
    assert s.latex == r"f(x, y) = x^{2} + 3\left(\sin\left(y\right)\right)^{2} + 0.1y^{2}"
    points = random_points(s, 24, seed=5).reshape(2, 3, 4, 2)
    assert s.f(points).shape == (2, 3, 4) and s.grad(points).shape == (2, 3, 4, 2)
    assert np.ndim(s.f(np.array([1.0, 2.0]))) == 0
    p = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    x, y = p.unbind(-1)
    (grad,) = torch.autograd.grad((x**2 + 3 * torch.sin(y) ** 2 + 0.1 * y**2).sum(), p)
    np.testing.assert_allclose(s.grad(points), grad.numpy(), **TOL)
    constant = custom_surface("2")
    assert constant.f(np.zeros((5, 2))).tolist() == [2.0] * 5 and not constant.grad(np.zeros((5, 2))).any()


@pytest.mark.parametrize(("text", "box", "what"), [
    ("sqrt(x)", ((-3.0, 3.0), (-3.0, 3.0)), "f = nan at (x, y) = (-3, -3)"),
    ("log(x**2 + y**2)", ((-3.0, 3.0), (-3.0, 3.0)), "f = -inf at (x, y) = (0, 0)"),
    ("sqrt(x**2 + y**2)", ((-3.0, 3.0), (-3.0, 3.0)), "∂f/∂x = nan at (x, y) = (0, 0)"),
    ("1/y + x", ((-3.0, 3.0), (-3.0, 3.0)), "f = inf at (x, y) = (-3, 0)"),
    ("exp(exp(exp(x)))", ((-3.0, 3.0), (-3.0, 3.0)), "inf"),
    ("abs(y)**0.5", ((-1.0, 1.0), (-1.0, 1.0)), "∂f/∂y = "),
])
def test_surfaces_that_are_not_finite_on_the_grid_are_refused(text, box, what):
    with pytest.raises(ExprError) as raised:
        custom_surface(text, box=box)
    assert raised.value.code == "not_finite" and what in str(raised.value)


def test_only_the_grid_is_checked():
    """A pole between the grid's points (spaced 0.06) passes: the check is what a page draws, not a proof."""
    s = custom_surface("1/(x - 0.01)")
    assert np.isfinite(s.f(grid(s, 101))).all() and not np.isfinite(s.f(np.array([0.01, 0.0])))


@pytest.mark.parametrize(("text", "code"), [("2x", "syntax"), ("", "empty"), ("foo(x)", "unknown_function"),
                                            ("__import__('os')", "chars"), ("x" * 201, "too_long")])
def test_unreadable_formulas_raise_expr_error(text, code):
    with pytest.raises(ExprError) as raised:
        custom_surface(text)
    assert raised.value.code == code


def test_bad_boxes_are_refused():
    for box in (((1.0, -1.0), (0.0, 1.0)), ((0.0, 1.0),), ((0.0, 0.0), (0.0, 1.0))):
        with pytest.raises(ValueError, match="box"):
            custom_surface("x + y", box=box)
