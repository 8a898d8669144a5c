"""core.optim against torch.optim (float64: a parameter tensor, a closure with loss.backward(), optimizer.step()),
``descend`` against ``descend_many`` and ``phase_diagram``, and the rates against their closed forms (Goh, "Why
Momentum Really Works", Distill 2017)."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.optim import (
    _FLOAT_MAX_D,
    LIMIT,
    MAX_STEPS,
    METHODS,
    QUIZ_BETAS,
    QUIZ_LRS,
    convergence_steps,
    descend,
    descend_many,
    measured_rate,
    optimal_momentum,
    phase_diagram,
    step_question,
)

NAMES = list(METHODS)
TOL = dict(rtol=1e-9, atol=1e-12)  # torch fuses some multiply-adds (FMA): the runs differ by rounding, ~1e-16 a step


# ---- the surfaces, each written once for NumPy points (d,) and torch tensors, with its gradient by hand ----------


def bowl(p):
    return 0.5 * (p[0] ** 2 + 10 * p[1] ** 2)


def bowl_grad(p):
    return np.array([p[0], 10 * p[1]])


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def rosenbrock_grad(p):
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def quartic(p):  # 1-D, two minima: x ≈ -1.30 (global) and x ≈ 1.13
    return p[0] ** 4 - 3 * p[0] ** 2 + p[0]


def quartic_grad(p):
    return np.array([4 * p[0] ** 3 - 6 * p[0] + 1])


def himmelblau(p):
    return (p[0] ** 2 + p[1] - 11) ** 2 + (p[0] + p[1] ** 2 - 7) ** 2


def himmelblau_grad(p):
    x, y = p
    a, b = x * x + y - 11, x + y * y - 7
    return np.array([4 * x * a + 2 * b, 2 * a + 4 * y * b])


# name: (f, grad, start, lrs for the SGD family, lrs for rmsprop, adagrad, adam)
SURFACES = {
    "bowl": (bowl, bowl_grad, [-2.0, 1.0], {"sgd": (0.01, 0.1), "rmsprop": (0.01, 0.1), "adagrad": (0.1, 1.0),
                                             "adam": (0.01, 0.1)}),
    "rosenbrock": (rosenbrock, rosenbrock_grad, [-1.5, 2.0], {"sgd": (1e-4, 1e-3), "rmsprop": (1e-3, 1e-2),
                                                              "adagrad": (0.1, 0.5), "adam": (0.01, 0.05)}),
    "quartic": (quartic, quartic_grad, [2.0], {"sgd": (0.005, 0.02), "rmsprop": (0.01, 0.05), "adagrad": (0.1, 0.5),
                                              "adam": (0.01, 0.1)}),
    "himmelblau": (himmelblau, himmelblau_grad, [0.5, -0.5], {"sgd": (0.002, 0.01), "rmsprop": (0.01, 0.05),
                                                              "adagrad": (0.1, 0.5), "adam": (0.01, 0.1)}),
}
SGD_FAMILY = ("sgd", "momentum", "nesterov")


# ---- the reference: torch.optim, written out here (not read from the registry) -----------------------------------


def torch_optimizer(method, p, lr, momentum=0.0, betas=(0.9, 0.999), eps=None, alpha=0.99):
    extra = {} if eps is None else {"eps": eps}
    if method == "sgd" or (method in ("momentum", "nesterov") and momentum == 0):  # torch refuses nesterov with 0
        return torch.optim.SGD([p], lr=lr)
    if method == "momentum":
        return torch.optim.SGD([p], lr=lr, momentum=momentum)
    if method == "nesterov":
        return torch.optim.SGD([p], lr=lr, momentum=momentum, nesterov=True)
    if method == "rmsprop":
        return torch.optim.RMSprop([p], lr=lr, alpha=alpha, momentum=0, centered=False, **extra)
    if method == "adagrad":
        return torch.optim.Adagrad([p], lr=lr, lr_decay=0, initial_accumulator_value=0, **extra)
    assert method == "adam"
    return torch.optim.Adam([p], lr=lr, betas=betas, amsgrad=False, weight_decay=0, **extra)


def torch_trajectory(f, x0, method, lr, steps, **kwargs):
    """(points (steps + 1, d), f at each) from the real optimizer, float64, CPU."""
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    optimizer = torch_optimizer(method, p, lr, **kwargs)

    def closure():
        optimizer.zero_grad()
        loss = f(p)
        loss.backward()
        return loss

    points, values = [p.detach().clone()], []
    for _ in range(steps):
        values.append(optimizer.step(closure).item())
        points.append(p.detach().clone())
    with torch.no_grad():
        values.append(f(p).item())
    return torch.stack(points).numpy(), np.array(values)


def check_against_torch(surface, method, lr, steps=120, **kwargs):
    f, grad, x0, _ = SURFACES[surface]
    run = descend(f, grad, x0, method, lr, steps, **kwargs)
    points, values = torch_trajectory(f, x0, method, lr, steps, **kwargs)
    assert run.diverged_at is None, (surface, method, lr, kwargs)
    assert run.points.shape == (steps + 1, len(x0)) and run.points.dtype == np.float64
    np.testing.assert_allclose(run.points, points, **TOL)
    np.testing.assert_allclose(run.values, values, **TOL)
    return run


# ---- descend against torch.optim -------------------------------------------------------------------------------


def test_registry():
    assert NAMES == ["sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam"]
    assert all(m.name == name for name, m in METHODS.items())
    assert {name: m.torch_name for name, m in METHODS.items()} == {
        "sgd": "SGD", "momentum": "SGD", "nesterov": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad", "adam": "Adam"}
    assert [name for name, m in METHODS.items() if m.uses_momentum] == ["momentum", "nesterov"]
    assert all(m.default_lr > 0 for m in METHODS.values())


@pytest.mark.parametrize("name", ["rmsprop", "adagrad", "adam"])
def test_default_eps_is_torchs(name):
    p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    optimizer = getattr(torch.optim, METHODS[name].torch_name)([p])
    assert METHODS[name].default_eps == optimizer.defaults["eps"]


def test_gradients_by_hand_equal_autograd():
    rng = np.random.default_rng(0)
    for surface, (f, grad, x0, _) in SURFACES.items():
        for x in rng.uniform(-3, 3, size=(20, len(x0))):
            p = torch.tensor(x, requires_grad=True)
            f(p).backward()
            np.testing.assert_allclose(grad(x), p.grad.numpy(), rtol=1e-12, atol=1e-12, err_msg=surface)
            assert f(x) == pytest.approx(f(p).item(), rel=1e-15)


@pytest.mark.parametrize("surface", list(SURFACES))
@pytest.mark.parametrize("method", NAMES)
def test_trajectory_equals_torch_optim(method, surface):
    lrs = SURFACES[surface][3]["sgd" if method in SGD_FAMILY else method]
    momenta = (0.5, 0.9) if METHODS[method].uses_momentum else (0.0,)
    for lr in lrs:
        for momentum in momenta:
            check_against_torch(surface, method, lr, momentum=momentum)


def test_sgd_ignores_momentum_and_a_momentum_of_zero_is_sgd():
    f, grad, x0, _ = SURFACES["bowl"]
    plain = descend(f, grad, x0, "sgd", 0.05, 50)
    np.testing.assert_array_equal(descend(f, grad, x0, "sgd", 0.05, 50, momentum=0.9).points, plain.points)
    for method in ("momentum", "nesterov"):
        np.testing.assert_array_equal(descend(f, grad, x0, method, 0.05, 50, momentum=0.0).points, plain.points)
    check_against_torch("bowl", "nesterov", 0.05, momentum=0.0)  # against SGD(lr): torch refuses nesterov with 0


@pytest.mark.parametrize(("method", "kwargs"), [
    ("rmsprop", {"alpha": 0.9}),
    ("rmsprop", {"alpha": 0.5, "eps": 1e-2}),
    ("rmsprop", {"eps": 0.5}),
    ("adagrad", {"eps": 0.1}),
    ("adagrad", {"eps": 0.0}),
    ("adam", {"betas": (0.5, 0.9)}),
    ("adam", {"betas": (0.3, 0.99)}),  # 1 - beta1 >= 0.5: torch.lerp's other formula
    ("adam", {"betas": (0.0, 0.0)}),
    ("adam", {"eps": 1e-2}),
    ("adam", {"betas": (0.95, 0.9999), "eps": 1e-4}),
])
@pytest.mark.parametrize("surface", ["bowl", "himmelblau"])
def test_eps_betas_and_alpha_are_passed_through(method, kwargs, surface):
    run = check_against_torch(surface, method, SURFACES[surface][3][method][1], **kwargs)
    default = descend(*SURFACES[surface][:3], method, SURFACES[surface][3][method][1], 120)
    assert not np.array_equal(run.points, default.points)  # the argument changed something


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(NAMES), st.lists(st.floats(-3, 3), min_size=2, max_size=2), st.floats(1e-3, 0.15),
       st.floats(0, 0.95), st.sampled_from(["bowl", "himmelblau"]))
def test_trajectory_equals_torch_optim_property(method, x0, lr, momentum, surface):
    f, grad, _, _ = SURFACES[surface]
    if surface == "himmelblau":
        lr /= 20  # curvatures up to ~100 near its minima
    run = descend(f, grad, x0, method, lr, 30, momentum=momentum)
    points, values = torch_trajectory(f, x0, method, lr, 30, momentum=momentum)
    k = len(run.points)  # up to where it diverged, if it did
    np.testing.assert_allclose(run.points, points[:k], **TOL)
    np.testing.assert_allclose(run.values, values[:k], **TOL)


# ---- divergence -----------------------------------------------------------------------------------------------


def test_divergence_ends_the_run_at_the_last_finite_point():
    """SGD with lr = 1 on ½(x² + 10y²) multiplies y by 1 - 10 = -9 each step: |y| = 9^k passes 1e6 at k = 7, so
    step 6 (point 6 -> 7) is the one that leaves and the run keeps points 0..6."""
    run = descend(bowl, bowl_grad, [0.0, 1.0], "sgd", 1.0, 100)
    assert run.diverged_at == 6
    assert len(run.points) == len(run.values) == run.diverged_at + 1
    np.testing.assert_array_equal(run.points[:, 1], (-9.0) ** np.arange(7))
    assert np.all(np.isfinite(run.points)) and np.all(np.isfinite(run.values))
    points, _ = torch_trajectory(bowl, [0.0, 1.0], "sgd", 1.0, 7)
    np.testing.assert_array_equal(run.points, points[:7])
    assert np.abs(points[7]).max() > LIMIT


@pytest.mark.parametrize("method", NAMES)
def test_every_method_diverges_on_a_huge_lr(method):
    run = descend(bowl, bowl_grad, [-2.0, 1.0], method, 1e7, 100, momentum=0.9)
    assert run.diverged_at is not None and len(run.points) == run.diverged_at + 1
    assert np.all(np.abs(run.points) <= LIMIT) and np.all(np.isfinite(run.values))
    points, _ = torch_trajectory(bowl, [-2.0, 1.0], method, 1e7, run.diverged_at + 1, momentum=0.9)
    np.testing.assert_allclose(run.points, points[:-1], **TOL)
    assert not np.abs(points[-1]).max() <= LIMIT


def test_a_nan_gradient_or_an_infinite_value_is_divergence_too():
    def nan_beyond_1(p):  # NaN once x passes 1
        return np.array([math.nan]) if p[0] > 1 else np.array([-1.0])

    run = descend(lambda p: -p[0], nan_beyond_1, [0.0], "sgd", 0.3, 20)  # 0, 0.3, 0.6, 0.9, 1.2, NaN
    assert run.diverged_at == 4 and run.points[-1, 0] == pytest.approx(1.2)

    run = descend(lambda p: math.inf if p[0] > 1 else -p[0], lambda p: np.array([-1.0]), [0.0], "sgd", 0.3, 20)
    assert run.diverged_at == 3 and run.points[-1, 0] == pytest.approx(0.9)  # 1.2 is finite but f is not

    run = descend(lambda p: -p[0], lambda p: np.array([-1.0]), [0.0], "sgd", 0.3, 20)
    assert run.diverged_at is None and len(run.points) == 21


def test_zero_steps_and_a_converged_start():
    run = descend(bowl, bowl_grad, [-2.0, 1.0], "adam", 0.1, 0)
    assert run.points.shape == (1, 2) and run.values.tolist() == [7.0] and run.diverged_at is None
    run = descend(bowl, bowl_grad, [0.0, 0.0], "adam", 0.1, 10)  # g = 0: Adam's m = 0, no 0/0
    np.testing.assert_array_equal(run.points, np.zeros((11, 2)))


@pytest.mark.parametrize("d", [_FLOAT_MAX_D, _FLOAT_MAX_D + 1])
def test_python_floats_and_numpy_arrays_give_the_same_numbers(d):
    """descend computes in Python floats up to _FLOAT_MAX_D coordinates and on NumPy arrays beyond: both equal
    descend_many (arrays) to the last bit, and torch."""
    scale = np.linspace(0.5, 3.0, d)

    def f(p):
        return 0.5 * float(np.sum(scale * p * p))

    def grad(p):
        return scale * p

    x0 = np.linspace(-2, 2, d)
    for method in NAMES:
        run = descend(f, grad, x0, method, 0.1, 60, momentum=0.8)
        many = descend_many(grad, x0, method, 0.1, 60, momentum=0.8)
        np.testing.assert_array_equal(run.points, many.points[:, 0])
        p = torch.tensor(x0, requires_grad=True)
        optimizer = torch_optimizer(method, p, 0.1, momentum=0.8)
        for _ in range(60):
            optimizer.zero_grad()
            (0.5 * (torch.from_numpy(scale) * p * p).sum()).backward()
            optimizer.step()
        np.testing.assert_allclose(run.points[-1], p.detach().numpy(), **TOL)
    diverging = descend(f, grad, x0, "sgd", 5.0, 60)  # the last coordinate: 2 * (-14)^k, beyond 1e6 at k = 5
    assert diverging.diverged_at == 4 and len(diverging.points) == 5


# ---- descend_many against descend ------------------------------------------------------------------------------


def bowl_grad_many(p):
    return p * np.array([1.0, 10.0])


def rosenbrock_grad_many(p):
    x, y = p[:, 0], p[:, 1]
    return np.stack([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], axis=1)


MANY = {"bowl": (bowl, bowl_grad, bowl_grad_many), "rosenbrock": (rosenbrock, rosenbrock_grad, rosenbrock_grad_many)}


def check_many_against_one_by_one(surface, x0, method, lr, momentum, steps, **kwargs):
    f, grad, grad_many = MANY[surface]
    runs = descend_many(grad_many, x0, method, lr, steps, momentum=momentum, **kwargs)
    n = runs.points.shape[1]
    assert runs.points.shape == (steps + 1, n, 2) and runs.diverged_at.shape == (n,)
    x0s = np.broadcast_to(x0, (n, 2))
    lrs, momenta = np.broadcast_to(lr, (n,)), np.broadcast_to(momentum, (n,))
    for i in range(n):
        one = descend(f, grad, x0s[i], method, float(lrs[i]), steps, momentum=float(momenta[i]), **kwargs)
        k = len(one.points)
        np.testing.assert_allclose(runs.points[:k, i], one.points, rtol=1e-12, atol=0)
        if one.diverged_at is None:
            assert runs.diverged_at[i] == -1
        else:
            assert runs.diverged_at[i] == one.diverged_at
            np.testing.assert_array_equal(runs.points[k:, i], np.broadcast_to(one.points[-1], (steps + 1 - k, 2)))
    return runs


@pytest.mark.parametrize("method", NAMES)
def test_descend_many_equals_descend_run_by_run(method):
    rng = np.random.default_rng(NAMES.index(method))
    n = 12
    x0 = rng.uniform(-2, 2, size=(n, 2))
    lr = np.exp(rng.uniform(np.log(1e-3), np.log(0.3), size=n))
    lr[:2] = (0.5, 5.0)  # these two diverge on the bowl
    momentum = rng.uniform(0, 0.95, size=n)
    runs = check_many_against_one_by_one("bowl", x0, method, lr, momentum, 80)
    if method in SGD_FAMILY:
        assert runs.diverged_at[1] >= 0
    check_many_against_one_by_one("rosenbrock", x0 / 2, method, lr / 100, momentum, 80)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(NAMES), st.integers(1, 6), st.floats(1e-3, 0.5), st.floats(0, 0.95), st.integers(0, 2**32 - 1),
       st.booleans(), st.booleans())
def test_descend_many_equals_descend_property(method, n, lr, momentum, seed, lr_per_run, momentum_per_run):
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(-3, 3, size=(n, 2))
    lrs = lr * rng.uniform(0.5, 2, size=n) if lr_per_run else lr
    momenta = rng.uniform(0, 0.95, size=n) if momentum_per_run else momentum
    check_many_against_one_by_one("bowl", x0, method, lrs, momenta, 40, betas=(0.8, 0.99), eps=1e-6, alpha=0.9)


def test_descend_many_broadcasts_lr_momentum_and_start():
    lr = np.array([0.01, 0.05, 0.1, 0.25])
    runs = check_many_against_one_by_one("bowl", np.array([-2.0, 1.0]), "momentum", lr, 0.5, 50)
    assert runs.points.shape == (51, 4, 2)
    np.testing.assert_array_equal(runs.points[0], np.tile([-2.0, 1.0], (4, 1)))
    runs = check_many_against_one_by_one("bowl", np.array([-2.0, 1.0]), "nesterov", 0.05, np.array([0, 0.5, 0.9]), 50)
    assert runs.points.shape == (51, 3, 2)
    runs = check_many_against_one_by_one("bowl", np.array([[-2.0, 1.0], [1.0, 1.0]]), "adam", 0.1, 0.0, 30)
    assert runs.points.shape == (31, 2, 2)
    runs = check_many_against_one_by_one("bowl", np.array([-2.0, 1.0]), "adagrad", 0.5, 0.0, 30)
    assert runs.points.shape == (31, 1, 2)
    with pytest.raises(ValueError, match="broadcast"):
        descend_many(bowl_grad_many, np.zeros((3, 2)), "sgd", np.full(4, 0.1), 10)
    with pytest.raises(ValueError, match="broadcast"):
        descend_many(bowl_grad_many, np.zeros(2), "momentum", np.full(2, 0.1), 10, momentum=np.full(3, 0.5))
    with pytest.raises(ValueError, match="shape"):
        descend_many(lambda p: p[:, :1], np.zeros((3, 2)), "sgd", 0.1, 10)


def test_descend_many_a_nan_gradient_freezes_that_run_only():
    def grad(p):
        g = p * np.array([1.0, 10.0])
        g[p[:, 0] > 1.5] = np.nan
        return g

    runs = descend_many(grad, np.array([[1.0, 0.0], [2.0, 0.0]]), "sgd", 0.1, 10)
    assert runs.diverged_at.tolist() == [-1, 0]
    np.testing.assert_array_equal(runs.points[:, 1], np.tile([2.0, 0.0], (11, 1)))
    np.testing.assert_allclose(runs.points[:, 0, 0], 0.9 ** np.arange(11), rtol=1e-15)


# ---- heavy ball: Goh's tuning and measured rates ----------------------------------------------------------------


def test_optimal_momentum_closed_forms():
    t = optimal_momentum(100.0, 1.0)
    assert t.kappa == 100
    assert t.lr == pytest.approx(4 / 121, rel=1e-15)
    assert t.momentum == pytest.approx(81 / 121, rel=1e-15)
    assert t.rate_gd == pytest.approx(99 / 101, rel=1e-15)
    assert t.rate_momentum == pytest.approx(9 / 11, rel=1e-15)
    assert t.rate_momentum == pytest.approx(math.sqrt(t.momentum), rel=1e-15)
    same = optimal_momentum(5.0, 5.0)
    assert same.kappa == 1 and same.momentum == 0 and same.rate_gd == 0 and same.lr == pytest.approx(1 / 5)


@pytest.mark.parametrize("kappa", [2.0, 10.0, 50.0, 100.0, 1e4])
def test_optimal_momentum_is_the_smallest_spectral_radius(kappa):
    """Heavy ball on a curvature λ is the linear map (x_k, x_{k-1}) -> (x_{k+1}, x_k) with matrix [[1 + β - αλ, -β],
    [1, 0]]: at Goh's tuning its spectral radius is √β for every λ in [mu, L], and any other tuning does worse."""
    mu, L = 1.0, kappa

    def worst_radius(lr, beta):
        return max(np.abs(np.linalg.eigvals([[1 + beta - lr * lam, -beta], [1, 0]])).max()
                   for lam in np.linspace(mu, L, 201))

    t = optimal_momentum(L, mu)
    assert worst_radius(t.lr, t.momentum) == pytest.approx(t.rate_momentum, rel=1e-6)
    for lr_factor, beta_factor in ((0.95, 1.0), (1.05, 1.0), (1.0, 0.95), (1.0, 1.02)):
        assert worst_radius(t.lr * lr_factor, min(t.momentum * beta_factor, 0.999)) > t.rate_momentum
    gd = max(abs(1 - 2 / (L + mu) * lam) for lam in (mu, L))
    assert gd == pytest.approx(t.rate_gd, rel=1e-14)


@pytest.mark.parametrize(("L", "mu"), [(1.0, 0.0), (1.0, 2.0), (1.0, -1.0), (math.inf, 1.0), (math.nan, 1.0)])
def test_optimal_momentum_rejects_bad_curvatures(L, mu):
    with pytest.raises(ValueError, match="mu <= L"):
        optimal_momentum(L, mu)


def test_heavy_ball_is_torchs_sgd_with_momentum():
    """x_{k+1} = x_k - α∇f(x_k) + β(x_k - x_{k-1}) from rest (x_{-1} = x_0) is SGD(lr=α, momentum=β)."""
    kappa = 30.0
    t = optimal_momentum(kappa, 1.0)

    def grad(p):
        return np.array([p[0], kappa * p[1]])

    x_prev = x = np.array([3.0, -2.0])
    heavy_ball = [x]
    for _ in range(150):
        x, x_prev = x - t.lr * grad(x) + t.momentum * (x - x_prev), x
        heavy_ball.append(x)
    run = descend(lambda p: 0.5 * (p[0] ** 2 + kappa * p[1] ** 2), grad, [3.0, -2.0], "momentum", t.lr, 150,
                  momentum=t.momentum)
    np.testing.assert_allclose(run.points, np.array(heavy_ball), rtol=1e-9, atol=1e-14)
    points, _ = torch_trajectory(lambda p: 0.5 * (p[0] ** 2 + kappa * p[1] ** 2), [3.0, -2.0], "momentum", t.lr, 150,
                                 momentum=t.momentum)
    np.testing.assert_allclose(np.array(heavy_ball), points, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("kappa", [10.0, 50.0, 100.0])
@pytest.mark.parametrize("x0", [[1.0, 1.0], [-3.0, 0.5], [0.0, 2.0]])
def test_measured_rates_match_the_theory(kappa, x0):
    """Plain GD at lr = 2/(L + mu) contracts both coordinates by exactly (κ-1)/(κ+1). Heavy ball at Goh's tuning
    is critically damped at both ends of the spectrum (a double eigenvalue ±√β), so its distance falls like
    k·√β^k: the fit over a finite run sees the factor k and lands up to ~4% above √β at κ = 10, less for larger κ."""
    t = optimal_momentum(kappa, 1.0)

    def f(p):
        return 0.5 * (p[0] ** 2 + kappa * p[1] ** 2)

    def grad(p):
        return np.array([p[0], kappa * p[1]])

    gd = descend(f, grad, x0, "sgd", 2 / (kappa + 1), 3000)
    assert measured_rate(gd.points, [0, 0]) == pytest.approx(t.rate_gd, rel=1e-6)
    hb = descend(f, grad, x0, "momentum", t.lr, 3000, momentum=t.momentum)
    rate = measured_rate(hb.points, [0, 0])
    assert t.rate_momentum <= rate <= t.rate_momentum * (1.05 if kappa == 10 else 1.025)


def test_measured_rate_on_handmade_distances():
    k = np.arange(60)
    points = np.stack([3.0 + 0.5**k, np.full(60, 4.0)], axis=1)
    assert measured_rate(points, [3.0, 4.0], skip=0) == pytest.approx(0.5, rel=1e-9)
    wobbly = np.stack([0.8**k * (1 + 0.3 * (-1) ** k), np.zeros(60)], axis=1)  # the fit ignores the wobble
    assert measured_rate(wobbly, [0, 0]) == pytest.approx(0.8, rel=1e-2)
    stops = np.stack([np.r_[0.1 ** np.arange(13), np.zeros(10)], np.zeros(23)], axis=1)
    assert measured_rate(stops, [0, 0], skip=2) == pytest.approx(0.1, rel=1e-9)  # up to 1e-12, then 0 is cut off
    assert math.isnan(measured_rate(stops, [0, 0], skip=12))  # one distance >= 1e-12 left: nothing to fit
    growing = np.stack([1.1**k, np.zeros(60)], axis=1)
    assert measured_rate(growing, [0, 0]) == pytest.approx(1.1, rel=1e-9)
    with pytest.raises(ValueError, match="shape"):
        measured_rate(np.zeros((10, 3, 2)), [0, 0])
    with pytest.raises(ValueError, match="skip"):
        measured_rate(points, [3.0, 4.0], skip=-1)


# ---- convergence_steps and the phase diagram --------------------------------------------------------------------


def test_convergence_steps_on_handmade_runs():
    d = np.array([5.0, 2.0, 0.5, 2.0, 0.5, 0.1, 0.05])[:, None]  # distances along x from the target 0
    assert convergence_steps(d, [0.0], 1.0) == 4  # within 1 at step 2, leaves again at 3, stays from 4
    assert convergence_steps(d, [0.0], 0.5) == 4  # <= tol counts
    assert convergence_steps(d, [0.0], 0.01) == -1
    assert convergence_steps(d, [0.0], 10.0) == 0
    assert convergence_steps(d, [0.0], 0.05) == 6  # only the last point
    two_d = np.array([[3.0, 4.0], [0.0, 0.6], [0.6, 0.8], [0.0, 0.0]])
    assert convergence_steps(two_d, [0, 0], 1.0) == 1  # distance sqrt(0.36 + 0.64) = 1
    runs = np.stack([d, d[::-1], np.full_like(d, np.nan)], axis=1)  # (7, 3, 1)
    np.testing.assert_array_equal(convergence_steps(runs, [0.0], 1.0), [4, -1, -1])
    np.testing.assert_array_equal(convergence_steps(runs, np.array([[0.0], [5.0], [0.0]]), 3.0), [1, 5, -1])
    with pytest.raises(ValueError, match="tol"):
        convergence_steps(d, [0.0], -1.0)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 3), min_size=1, max_size=30), st.floats(0, 3))
def test_convergence_steps_is_its_definition(distances, tol):
    points = np.array(distances)[:, None]
    ok = [all(v <= tol for v in distances[k:]) for k in range(len(distances))]
    assert convergence_steps(points, [0.0], tol) == (ok.index(True) if True in ok else -1)


def test_phase_diagram_cells_equal_single_runs():
    kappa = 10.0
    lrs = np.array([0.02, 0.1, 0.2, 0.3, 0.45])
    momenta = np.array([0.0, 0.3, 0.6, 0.9])
    pd = phase_diagram(bowl_grad_many, [1.0, 1.0], [0, 0], lrs, momenta, steps=300, tol=1e-6)
    assert pd.steps.shape == pd.diverged.shape == (4, 5)
    np.testing.assert_array_equal(pd.lrs, lrs)
    np.testing.assert_array_equal(pd.momenta, momenta)
    for i, momentum in enumerate(momenta):
        for j, lr in enumerate(lrs):
            run = descend(lambda p: 0.5 * (p[0] ** 2 + kappa * p[1] ** 2), bowl_grad, [1.0, 1.0], "momentum", lr, 300,
                          momentum=momentum)
            assert pd.diverged[i, j] == (run.diverged_at is not None)
            expected = -1 if run.diverged_at is not None else convergence_steps(run.points, [0, 0], 1e-6)
            assert pd.steps[i, j] == expected, (momentum, lr)
    assert pd.diverged[0, 3] and not pd.diverged[3, 3]  # lr = 0.3: beyond 2/L for GD, inside 2(1+β)/L with β = 0.9
    assert pd.steps[0, 0] == -1  # lr = 0.02 without momentum needs ~690 steps
    gd = descend(bowl, bowl_grad, [1.0, 1.0], "sgd", 0.1, 300)
    assert pd.steps[0, 1] == convergence_steps(gd.points, [0, 0], 1e-6)  # momentum 0 is plain SGD


@pytest.mark.parametrize("kappa", [10.0, 100.0])
def test_phase_diagram_fastest_cell_is_near_goh_tuning(kappa):
    """On a fine grid around Goh's tuning the fastest cell lies within a few percent of it, and the tuning's own cell
    needs at most ~20% more steps: the tuning minimises the asymptotic rate, and being critically damped (k·√β^k)
    it is slightly slower over a finite run than a slightly underdamped neighbour."""
    t = optimal_momentum(kappa, 1.0)
    scale = np.array([1.0, kappa])
    factors = np.linspace(0.7, 1.3, 31)
    pd = phase_diagram(lambda p: p * scale, [1.0, 1.0], [0, 0], t.lr * factors, t.momentum * factors, steps=2000,
                       tol=1e-10)
    steps = np.where(pd.steps < 0, 10**9, pd.steps)
    i, j = np.unravel_index(steps.argmin(), steps.shape)
    assert abs(factors[i] - 1) <= 0.08 and abs(factors[j] - 1) <= 0.08
    assert steps[15, 15] <= 1.2 * steps[i, j]
    assert steps[15, 15] <= math.log(1e-10) / math.log(t.rate_momentum) * 1.3
    assert steps[0, 0] > 1.3 * steps[i, j] and steps[-1, -1] > 1.3 * steps[i, j]


def test_phase_diagram_rejects_bad_grids():
    with pytest.raises(ValueError, match="at least one"):
        phase_diagram(bowl_grad_many, [1.0, 1.0], [0, 0], [], [0.5])
    with pytest.raises(ValueError, match="momentum"):
        phase_diagram(bowl_grad_many, [1.0, 1.0], [0, 0], [0.1], [0.5, 1.0])
    with pytest.raises(ValueError, match="lr"):
        phase_diagram(bowl_grad_many, [1.0, 1.0], [0, 0], [0.0, 0.1], [0.5])
    with pytest.raises(ValueError, match="tol"):
        phase_diagram(bowl_grad_many, [1.0, 1.0], [0, 0], [0.1], [0.5], tol=-1.0)
    with pytest.raises(ValueError, match="x0"):
        phase_diagram(bowl_grad_many, [[1.0, 1.0]], [0, 0], [0.1], [0.5])


# ---- the quiz ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(40))
def test_step_question_answer_is_one_torch_step(seed):
    q = step_question(seed)
    assert q == step_question(seed)
    assert q.lr in QUIZ_LRS and q.beta in QUIZ_BETAS
    for v in (q.x, q.v, q.g):
        assert -3 <= v <= 3 and round(v, 1) == v
    p = torch.tensor([q.x], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=q.lr, momentum=q.beta)
    optimizer.state[p]["momentum_buffer"] = torch.tensor([q.v], dtype=torch.float64)
    p.grad = torch.tensor([q.g], dtype=torch.float64)
    optimizer.step()
    assert q.v_next == pytest.approx(optimizer.state[p]["momentum_buffer"].item(), rel=1e-15, abs=1e-15)
    assert q.answer == pytest.approx(p.item(), rel=1e-15, abs=1e-15)


def test_step_questions_vary():
    questions = {step_question(seed) for seed in range(200)}
    assert len(questions) > 150
    assert {q.lr for q in questions} == set(QUIZ_LRS) and {q.beta for q in questions} == set(QUIZ_BETAS)


# ---- arguments -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"method": "adamw"}, "unknown method 'adamw'; choose one of sgd, momentum"),
    ({"lr": 0.0}, "lr"),
    ({"lr": -0.1}, "lr"),
    ({"lr": math.inf}, "lr"),
    ({"lr": math.nan}, "lr"),
    ({"momentum": 1.0}, "momentum"),
    ({"momentum": -0.1}, "momentum"),
    ({"momentum": math.nan}, "momentum"),
    ({"steps": -1}, "steps"),
    ({"steps": MAX_STEPS + 1}, "steps"),
    ({"steps": 2.5}, "steps"),
    ({"steps": True}, "steps"),
    ({"betas": (1.0, 0.999)}, "betas"),
    ({"betas": (0.9, -0.1)}, "betas"),
    ({"eps": -1e-8}, "eps"),
    ({"eps": math.nan}, "eps"),
    ({"alpha": 1.5}, "alpha"),
    ({"x0": [math.nan, 0.0]}, "x0"),
    ({"x0": [2e6, 0.0]}, "x0"),
    ({"x0": [[0.0, 0.0]]}, "x0"),
    ({"x0": []}, "x0"),
    ({"lr": [0.1, 0.2]}, "descend_many"),
])
def test_descend_rejects_bad_arguments(kwargs, match):
    args = {"f": bowl, "grad": bowl_grad, "x0": [1.0, 1.0], "method": "sgd", "lr": 0.1, "steps": 10} | kwargs
    with pytest.raises(ValueError, match=match):
        descend(**args)


def test_descend_rejects_a_gradient_of_the_wrong_shape_or_a_non_finite_start_value():
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        descend(bowl, lambda p: np.zeros(3), [1.0, 1.0], "sgd", 0.1, 10)
    with pytest.raises(ValueError, match="f"):
        descend(lambda p: math.nan, bowl_grad, [1.0, 1.0], "sgd", 0.1, 10)


def test_descend_many_rejects_bad_arguments():
    with pytest.raises(ValueError, match="lr"):
        descend_many(bowl_grad_many, np.zeros((2, 2)), "sgd", np.array([0.1, -0.1]), 10)
    with pytest.raises(ValueError, match="momentum"):
        descend_many(bowl_grad_many, np.zeros((2, 2)), "momentum", 0.1, 10, momentum=np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="x0"):
        descend_many(bowl_grad_many, np.zeros((2, 2, 2)), "sgd", 0.1, 10)
    with pytest.raises(ValueError, match="unknown method"):
        descend_many(bowl_grad_many, np.zeros(2), "lbfgs", 0.1, 10)


def test_inputs_are_left_as_they_were():
    x0 = np.array([[1.0, 2.0], [3.0, 4.0]])
    lr = np.array([0.1, 0.2])
    descend_many(bowl_grad_many, x0, "adam", lr, 5)
    descend(bowl, bowl_grad, x0[0], "adam", 0.1, 5)
    np.testing.assert_array_equal(x0, [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(lr, [0.1, 0.2])


def test_core_optim_does_not_import_torch():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(__file__).resolve().parent.parent.joinpath("core", "optim.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                 and node.module}
    assert imported <= {"__future__", "math", "operator", "collections", "dataclasses", "numpy"}
