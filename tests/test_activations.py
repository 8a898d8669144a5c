"""core.activations against torch (F.*, torch.autograd, nn.Linear stacks, torch.optim.Adam; float64), math.erf,
scipy.optimize and closed forms."""

import itertools
import math
import threading
import warnings

import numpy as np
import pytest
import scipy.optimize
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from core.activations import (
    ACTIVATIONS,
    erf,
    erfc,
    make_torch_module,
    normal_cdf,
    value_and_slope,
)
from core.curve_fit import CURVE_TARGETS, PointsError, fit_curve, fit_curves, parse_points, target_points
from core.torch_reference import torch_activation_functions
from core.vanishing import INITS, depth_network, gradient_through_depth

NAMES = list(ACTIVATIONS)
TOL = dict(rtol=1e-10, atol=1e-12)  # tighter than the 1e-8 the lesson promises

# The reference: torch's own functions with their defaults, written out here (not read from the registry).
TORCH_FN = torch_activation_functions()  # torch.nn.functional with its defaults, the reference

SQRT2 = math.sqrt(2.0)
EXTREMES = [-1e4, -1000.0, -40.0, -26.6 * SQRT2, -20.5, -20.0, -4 * SQRT2, -5.0, -1.0, -0.46875 * SQRT2, -1e-300,
            -0.0, 0.0, 1e-300, 0.46875 * SQRT2, 1.0, 4 * SQRT2, 19.999, 20.0, 20.000001, 26.6 * SQRT2, 40.0,
            1000.0, 1e4]


def torch_value_and_grad(name, x):
    """f(x) and f'(x) from torch in float64: F.* forward, torch.autograd backward."""
    xt = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    y = TORCH_FN[name](xt)
    (g,) = torch.autograd.grad(y.sum(), xt)
    return y.detach().numpy(), g.numpy()


def check_against_torch(name, x):
    y, g = torch_value_and_grad(name, x)
    np.testing.assert_allclose(ACTIVATIONS[name].fn(x), y, **TOL)
    np.testing.assert_allclose(ACTIVATIONS[name].grad(x), g, **TOL)


# ---- values and derivatives against torch -------------------------------------------------------------------------


def test_registry_names_in_teaching_order():
    assert NAMES == ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus", "silu"]
    assert all(a.name == name for name, a in ACTIVATIONS.items())


@pytest.mark.parametrize("name", NAMES)
def test_values_and_derivatives_equal_torch_at_extremes_and_kinks(name):
    check_against_torch(name, np.array(EXTREMES))
    check_against_torch(name, np.linspace(-12, 12, 2401))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=1, max_size=40),
       st.floats(0.01, 1e3))
def test_values_and_derivatives_equal_torch_property(values, scale):
    x = np.array(values)
    for name in NAMES:
        check_against_torch(name, x)
        check_against_torch(name, x / scale)  # many values near 0 too


@pytest.mark.parametrize(("name", "at_zero"), [("relu", 0.0), ("leaky_relu", 0.01), ("elu", 1.0), ("gelu", 0.5),
                                               ("identity", 1.0), ("softplus", 0.5), ("sigmoid", 0.25)])
def test_derivative_at_zero_is_torch_autograds_convention(name, at_zero):
    assert ACTIVATIONS[name].grad(0.0) == at_zero == torch_value_and_grad(name, [0.0])[1][0]


@pytest.mark.parametrize("name", NAMES)
def test_scalars_shapes_and_blocks(name):
    """A scalar gives a scalar, an array keeps its shape, and an array of several blocks equals torch everywhere."""
    a = ACTIVATIONS[name]
    assert np.ndim(a.fn(0.7)) == 0 and np.ndim(a.grad(0.7)) == 0
    assert float(a.fn(0.7)) == a.fn(np.array([0.7]))[0]
    x = np.random.default_rng(1).standard_normal((3, 70_001)) * 5  # 210,003 values: four blocks of 65,536
    assert a.fn(x).shape == a.grad(x).shape == x.shape
    check_against_torch(name, x)
    x_copy = x.copy()
    a.fn(x)
    np.testing.assert_array_equal(x, x_copy)  # the input is left as it was
    assert a.fn(x) is not x  # identity returns a copy too


@pytest.mark.parametrize("name", NAMES)
def test_no_overflow_or_warning_for_any_input_up_to_1e4(name):
    x = np.concatenate([np.array(EXTREMES), np.linspace(-1e4, 1e4, 100_001), [-1e300, 1e300]])
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        warnings.simplefilter("error")
        y, g = ACTIVATIONS[name].fn(x), ACTIVATIONS[name].grad(x)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(g))


def test_the_stable_forms_at_the_far_ends():
    assert ACTIVATIONS["sigmoid"].fn(-1000.0) == 0.0
    assert ACTIVATIONS["sigmoid"].fn(1000.0) == 1.0
    assert ACTIVATIONS["softplus"].fn(1000.0) == 1000.0
    assert ACTIVATIONS["softplus"].fn(-1000.0) == 0.0
    assert ACTIVATIONS["softplus"].grad(20.5) == 1.0  # torch's threshold: x itself above 20
    assert ACTIVATIONS["elu"].fn(-1e4) == -1.0
    assert ACTIVATIONS["gelu"].fn(-1e4) == 0.0 and ACTIVATIONS["gelu"].fn(1e4) == 1e4


# ---- the torch spellings ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_torch_code_and_module_compute_the_function(name):
    a = ACTIVATIONS[name]
    x = np.linspace(-6, 6, 241)
    xt = torch.from_numpy(x)
    np.testing.assert_allclose(eval(a.torch_code, {"torch": torch, "F": F, "x": xt}).numpy(), a.fn(x), **TOL)
    module = make_torch_module(name)
    assert repr(module) == repr(eval(a.torch_module, {"nn": nn}))
    np.testing.assert_allclose(module(xt).numpy(), a.fn(x), **TOL)


def test_make_torch_module_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown activation"):
        make_torch_module("swish")


# ---- the properties in the registry -------------------------------------------------------------------------------

GRID = np.linspace(-50, 50, 1_000_001)


@pytest.mark.parametrize("name", NAMES)
def test_output_range_bounds_the_values_and_is_tight(name):
    a = ACTIVATIONS[name]
    lo, hi = a.output_range
    y = a.fn(np.concatenate([GRID, [-1e4, 1e4]]))
    assert np.all(y >= lo - 1e-15) and np.all(y <= hi + 1e-15)
    if math.isfinite(lo):
        assert y.min() - lo < 1e-8  # reached (gelu, silu: up to the grid's spacing) or approached (sigmoid, elu)
    else:
        assert a.fn(-1e4) < -50
    if math.isfinite(hi):
        assert hi - y.max() < 1e-12
    else:
        assert a.fn(1e4) > 1e3


@pytest.mark.parametrize("name", ["gelu", "silu"])
def test_gelu_and_silu_minimum_is_the_one_scipy_finds(name):
    a = ACTIVATIONS[name]
    found = scipy.optimize.minimize_scalar(lambda v: float(a.fn(v)), bounds=(-3, 0), method="bounded",
                                           options={"xatol": 1e-10})
    assert abs(found.fun - a.output_range[0]) < 1e-14
    assert a.output_range[0] == pytest.approx({"gelu": -0.16997120748, "silu": -0.27846454276}[name], abs=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_max_slope_is_the_largest_derivative(name):
    a = ACTIVATIONS[name]
    g = np.abs(a.grad(np.concatenate([GRID, [-1e4, 1e4]])))
    assert g.max() <= a.max_slope + 1e-15
    assert a.max_slope - g.max() < 1e-8  # attained (up to the grid's spacing of 1e-4), or approached (softplus)


def test_gelu_and_silu_max_slope_match_torch_autograd():
    """GELU's largest slope is at x = √2 (GELU'' = φ(x)(2 - x²)); SiLU's where x·tanh(x/2) = 2."""
    for name, around in (("gelu", SQRT2), ("silu", 2.3993572805)):
        x = torch.linspace(around - 1e-3, around + 1e-3, 20_001, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(TORCH_FN[name](x).sum(), x)
        assert abs(g.max().item() - ACTIVATIONS[name].max_slope) < 1e-13
    assert ACTIVATIONS["gelu"].max_slope == pytest.approx(1.128904145, abs=1e-9)
    assert ACTIVATIONS["silu"].max_slope == pytest.approx(1.099839320, abs=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_saturates_says_where_the_slope_dies(name):
    a = ACTIVATIONS[name]
    dead_left, dead_right = abs(a.grad(-40.0)) < 1e-12, abs(a.grad(40.0)) < 1e-12
    assert a.saturates == {(False, False): "none", (True, False): "left", (True, True): "both"}[
        (dead_left, dead_right)]


@pytest.mark.parametrize("name", NAMES)
def test_zero_centred_means_mean_zero_output_for_standard_normal_input(name):
    """E[f(z)] for z ~ N(0, 1), by the trapezoid rule on [-12, 12]: 0 for the zero-centred ones, > 0.05 else."""
    z, dz = np.linspace(-12, 12, 240_001, retstep=True)
    mean = np.sum(ACTIVATIONS[name].fn(z) * np.exp(-z * z / 2)) / math.sqrt(2 * math.pi) * dz  # ends are ~0
    assert (abs(mean) < 1e-12) if ACTIVATIONS[name].zero_centred else (mean > 0.05)


@pytest.mark.parametrize("name", NAMES)
def test_cost_cheap_means_piecewise_linear(name):
    """The "cheap" ones need only comparisons and multiplications: f(2x) = 2 f(x) exactly; the others do not."""
    a = ACTIVATIONS[name]
    x = np.linspace(-3, 3, 61)
    assert np.array_equal(a.fn(2 * x), 2 * a.fn(x)) == (a.cost == "cheap")
    assert a.cost in ("cheap", "exp", "erf") and (a.cost == "erf") == (name == "gelu")


@pytest.mark.parametrize("name", NAMES)
def test_formulas_are_balanced_latex_equations(name):
    for tex in (ACTIVATIONS[name].latex, ACTIVATIONS[name].grad_latex):
        assert "=" in tex and tex.count("{") == tex.count("}") and tex.count("(") == tex.count(")")
    assert "'" in ACTIVATIONS[name].grad_latex.split("=")[0]


# ---- erf ----------------------------------------------------------------------------------------------------------


def test_erf_erfc_and_normal_cdf_against_math():
    x = np.concatenate([np.linspace(-30, 30, 60_001), [-1e-300, 0.0, 1e-300, 0.46875, 4.0, 26.543, 26.6]])
    x = np.concatenate([x, -x])
    assert np.max(np.abs(erf(x) - [math.erf(v) for v in x])) <= 4.5e-16
    np.testing.assert_allclose(erf(x), torch.special.erf(torch.from_numpy(x)).numpy(), rtol=0, atol=4.5e-16)
    expected = np.array([math.erfc(v) for v in x])
    normal = expected > 1e-300  # subnormal results carry fewer digits
    np.testing.assert_allclose(erfc(x)[normal], expected[normal], rtol=2e-15, atol=0)  # within 9 ulp
    assert np.all(erfc(x)[~normal] < 1e-300)
    # Φ(x) = erfc(-x/√2)/2: rounding x/√2 alone moves erfc by a relative x²·1e-16, so the tolerance grows with x²
    cdf = np.array([0.5 * math.erfc(-v / SQRT2) for v in x])
    normal = cdf > 1e-300
    assert np.all(np.abs(normal_cdf(x) - cdf)[normal] <= 2e-15 * (1 + x[normal] ** 2) * cdf[normal])
    assert np.all(normal_cdf(x)[~normal] < 1e-300)


# ---- linear layers ------------------------------------------------------------------------------------------------


# ---- fit_curve ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sine_fit():
    x, y = target_points("sine")
    return x, y, fit_curve(x, y)


def test_fit_curve_defaults_learn_the_sine(sine_fit):  # its speed is measured in bench/activations.py, not here
    x, _, fit = sine_fit
    assert fit.diverged_at is None
    np.testing.assert_array_equal(fit.x_eval, np.linspace(x.min(), x.max(), 200))
    assert fit.losses.shape == (601,) and fit.losses.dtype == np.float64
    assert fit.losses[-1] < 0.02 * fit.losses[0]
    assert fit.snapshot_steps[0] == 0 and fit.snapshot_steps[-1] == 600 and len(fit.snapshot_steps) == 12
    assert np.all(np.diff(fit.snapshot_steps) > 0) and np.ptp(np.diff(fit.snapshot_steps)) <= 1  # evenly spaced
    assert fit.snapshot_predictions.shape == (12, 200) and fit.prediction.dtype == np.float64
    np.testing.assert_array_equal(fit.prediction, fit.snapshot_predictions[-1])
    assert np.max(np.abs(fit.prediction - CURVE_TARGETS["sine"](fit.x_eval))) < 0.1


def test_fit_curve_leaves_torch_threads_as_they_were_in_every_thread():
    x, y = target_points("sine", n=20)
    before = torch.get_num_threads()
    seen = {}

    def train():
        torch.set_num_threads(2)
        fit_curve(x, y, steps=3)
        seen["worker"] = torch.get_num_threads()

    worker = threading.Thread(target=train)
    worker.start()
    worker.join()
    fit_curve(x, y, steps=3)
    gradient_through_depth("relu", 2)
    assert seen["worker"] == 2 and torch.get_num_threads() == before


def test_fit_curve_losses_are_the_mse_of_its_predictions():
    x, y = target_points("bumpy", n=50, noise=0.2, seed=1)
    y = 40 * y + 7  # other units: the network sees them standardised, the losses are in these units
    fit = fit_curve(x, y, hidden=(8,), activation="tanh", steps=80, snapshots=5, x_eval=x)
    for step, curve in zip(fit.snapshot_steps, fit.snapshot_predictions, strict=True):
        assert fit.losses[step] == pytest.approx(np.mean((curve - y) ** 2), rel=1e-12)
    assert fit.losses[-1] < fit.losses[0]


def _torch_fit_losses(x, y, sizes, name, steps, lr, seed, dtype):
    """The loop written out: torch.manual_seed, nn.Sequential(Linear, act, ...) in float32, cast to ``dtype``,
    standardised data, Adam, MSE: the losses (in y's units) before each step and after the last, and the prediction."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        layers = []
        for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
            layers.append(nn.Linear(n_in, n_out))
            if i < len(sizes) - 2:
                layers.append(make_torch_module(name))
        model = nn.Sequential(*layers).to(dtype)
    xs = torch.tensor((x - x.mean()) / x.std(), dtype=dtype)[:, None]
    ys = torch.tensor((y - y.mean()) / y.std(), dtype=dtype)[:, None]
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = F.mse_loss(model(xs), ys)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        losses.append(F.mse_loss(model(xs), ys).item())
        prediction = model(xs)[:, 0].double().numpy() * y.std() + y.mean()
    return np.array(losses) * y.var(), prediction


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_fit_curve_equals_the_same_training_written_with_torch_in_float64(name):
    """Backprop and Adam by hand in NumPy against torch autograd and torch.optim.Adam, both in float64."""
    x, y = target_points("abs", n=40, noise=0.1, seed=2)
    x, y = 2 * x + 1, 3 * y - 1
    fit = fit_curve(x, y, hidden=(6, 5), activation=name, steps=60, lr=0.02, seed=9, snapshots=3, x_eval=x)
    losses, prediction = _torch_fit_losses(x, y, (1, 6, 5, 1), name, 60, 0.02, 9, torch.float64)
    np.testing.assert_allclose(fit.losses, losses, rtol=1e-11, atol=0)
    np.testing.assert_allclose(fit.prediction, prediction, rtol=1e-11, atol=1e-12)


def test_fit_curve_defaults_follow_torchs_float64_training_to_the_end():
    """600 steps of the default 1 -> 16 -> 16 -> 1 ReLU network: rounding differences grow, but stay far below what a
    student can see (the float32 training torch runs by default ends elsewhere: it is within 20%)."""
    x, y = target_points("sine", n=200, noise=0.1, seed=0)
    fit = fit_curve(x, y)
    losses, prediction = _torch_fit_losses(x, y, (1, 16, 16, 1), "relu", 600, 0.01, 0, torch.float64)
    np.testing.assert_allclose(fit.losses, losses, rtol=1e-6)
    np.testing.assert_allclose(fit.prediction, prediction, atol=1e-6)  # x_eval is x here: 200 points on [-3, 3]
    float32_losses, _ = _torch_fit_losses(x, y, (1, 16, 16, 1), "relu", 600, 0.01, 0, torch.float32)
    np.testing.assert_allclose(fit.losses[-1], float32_losses[-1], rtol=0.2)


@pytest.mark.parametrize("names", [("relu", "identity"), ("tanh", "gelu", "identity"), ("identity", "identity"),
                                   ("silu", "silu")])
def test_fit_curves_side_by_side_are_each_networks_fit_alone(names):
    x, y = target_points("bumpy", n=60, noise=0.2, seed=4)
    together = fit_curves(x, y, names, hidden=(7, 5), steps=50, lr=0.02, seed=3, snapshots=4)
    for name, fit in zip(names, together, strict=True):
        alone = fit_curve(x, y, hidden=(7, 5), activation=name, steps=50, lr=0.02, seed=3, snapshots=4)
        np.testing.assert_allclose(fit.losses, alone.losses, rtol=1e-13, atol=0)
        np.testing.assert_allclose(fit.snapshot_predictions, alone.snapshot_predictions, rtol=1e-12, atol=1e-13)
        np.testing.assert_array_equal(fit.snapshot_steps, alone.snapshot_steps)


def test_fit_curves_stops_only_the_network_that_diverges():
    """At lr 1e60 a ReLU stack's loss overflows at once; a sigmoid stack's hidden values stay in (0, 1), so its loss
    grows to about 1e117 and stays finite: the ReLU network stops, the sigmoid one trains its 30 steps."""
    x, y = target_points("sine", n=50)
    relu, sigmoid = fit_curves(x, y, ("relu", "sigmoid"), lr=1e60, steps=30)
    assert relu.diverged_at == 1 and len(relu.losses) == 1
    assert sigmoid.diverged_at is None and len(sigmoid.losses) == 31 and np.all(np.isfinite(sigmoid.losses))
    alone = fit_curve(x, y, activation="sigmoid", lr=1e60, steps=30)
    np.testing.assert_allclose(sigmoid.losses, alone.losses, rtol=1e-13)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_value_and_slope_are_fn_and_grad_bitwise(name):
    x = np.concatenate([np.linspace(-40, 40, 801), [0.0, -0.0, 1e-300, -1e-300, 20.0, 20.0000001, 1e4, -1e4]])
    value, slope = value_and_slope(name, x)
    np.testing.assert_array_equal(value, ACTIVATIONS[name].fn(x))
    np.testing.assert_array_equal(slope, ACTIVATIONS[name].grad(x))
    assert value.shape == slope.shape == x.shape


def test_fit_curve_identity_draws_the_least_squares_line():
    x, y = target_points("sine")
    fit = fit_curve(x, y, activation="identity", x_eval=x)
    slope, intercept = np.polyfit(x, y, 1)
    assert np.max(np.abs(fit.prediction - (slope * x + intercept))) < 1e-4
    assert fit.losses[-1] >= np.mean((slope * x + intercept - y) ** 2) - 1e-6


def test_fit_curve_is_deterministic_and_leaves_the_global_rng_alone():
    x, y = target_points("step", n=30)
    state = torch.get_rng_state()
    a = fit_curve(x, y, hidden=(4,), steps=20, seed=5)
    assert torch.equal(torch.get_rng_state(), state)
    b = fit_curve(x, y, hidden=(4,), steps=20, seed=5)
    c = fit_curve(x, y, hidden=(4,), steps=20, seed=6)
    np.testing.assert_array_equal(a.losses, b.losses)
    np.testing.assert_array_equal(a.snapshot_predictions, b.snapshot_predictions)
    assert not np.array_equal(a.losses, c.losses)


def test_fit_curve_divergence_is_reported_not_raised():
    x, y = target_points("sine", n=50)
    fit = fit_curve(x, y, lr=1e60, steps=30)  # float64: lr 1e8 grows the loss to 1e50, still finite
    assert fit.diverged_at is not None and 0 < fit.diverged_at <= 30
    assert len(fit.losses) == fit.diverged_at and np.all(np.isfinite(fit.losses))
    assert np.all(fit.snapshot_steps < fit.diverged_at) and len(fit.snapshot_predictions) == len(fit.snapshot_steps)
    np.testing.assert_array_equal(fit.prediction, fit.snapshot_predictions[-1])


def test_fit_curve_edge_settings():
    x, y = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 1.0])  # constant y: std 0
    fit = fit_curve(x, y, steps=0)
    assert fit.losses.shape == (1,) and list(fit.snapshot_steps) == [0] and fit.snapshot_predictions.shape == (1, 200)
    linear = fit_curve(x, 2 * x, hidden=(), steps=300, lr=0.05, snapshots=1)
    assert list(linear.snapshot_steps) == [0, 300]
    np.testing.assert_allclose(linear.prediction, 2 * linear.x_eval, atol=1e-3)


@pytest.mark.parametrize(("args", "kwargs"), [
    (([0.0, 1.0], [1.0]), {}),
    (([0.0], [1.0]), {}),
    (([0.0, np.nan], [1.0, 2.0]), {}),
    (([0.0, 1.0], [1.0, 2.0]), {"activation": "swish"}),
    (([0.0, 1.0], [1.0, 2.0]), {"lr": 0.0}),
    (([0.0, 1.0], [1.0, 2.0]), {"steps": -1}),
    (([0.0, 1.0], [1.0, 2.0]), {"hidden": (4, 0)}),
])
def test_fit_curve_rejects_bad_arguments(args, kwargs):
    with pytest.raises(ValueError):
        fit_curve(*args, **kwargs)


def test_fit_curves_needs_an_activation_and_knows_each():
    with pytest.raises(ValueError):
        fit_curves([0.0, 1.0], [1.0, 2.0], ())
    with pytest.raises(ValueError, match="swish"):
        fit_curves([0.0, 1.0], [1.0, 2.0], ("relu", "swish"))
    with pytest.raises(ValueError, match="sequence of names"):  # not the letters r, e, l, u
        fit_curves([0.0, 1.0], [1.0, 2.0], "relu")


# ---- gradient_through_depth ---------------------------------------------------------------------------------------


def numpy_backprop(name, network):
    """‖∂L/∂W_l‖ by hand, with core's f and f': the chain rule layer by layer, L = mean((y - t)²)."""
    a = ACTIVATIONS[name]
    ws = [w.detach().numpy() for w in network.weights]
    bs = [b.detach().numpy() for b in network.biases]
    h, zs, hs, t = network.x.numpy(), [], [], network.t
    for w, b in zip(ws[:-1], bs[:-1], strict=True):
        hs.append(h)
        zs.append(h @ w.T + b)
        h = a.fn(zs[-1])
    y = h @ ws[-1].T + bs[-1]
    delta_h = (2 * (y - t.numpy()) / y.size) @ ws[-1]
    norms = []
    for w, z, h_in in zip(ws[-2::-1], zs[::-1], hs[::-1], strict=True):
        delta_z = delta_h * a.grad(z)
        norms.append(np.linalg.norm(delta_z.T @ h_in))
        delta_h = delta_z @ w
    return np.array(norms[::-1])


@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("name", NAMES)
def test_gradient_norms_equal_backprop_by_hand(name, init):
    got = gradient_through_depth(name, 3, width=7, seed=1, batch=5, init=init)
    assert got.shape == (3,)
    network = depth_network(name, 3, width=7, seed=1, batch=5, init=init)
    np.testing.assert_allclose(got, numpy_backprop(name, network), rtol=1e-10, atol=1e-300)


def test_sigmoid_gradients_vanish_and_relu_gradients_do_not():
    sigmoid = gradient_through_depth("sigmoid", 20)
    relu = gradient_through_depth("relu", 20)
    assert sigmoid[0] / sigmoid[-1] < 1e-3
    assert sigmoid[0] / sigmoid[-1] < 0.25**15  # about ×0.25 per layer
    assert relu[0] / relu[-1] > 1e6 * sigmoid[0] / sigmoid[-1]
    assert 0.1 < relu[0] / relu[-1] < 10
    tanh = gradient_through_depth("tanh", 20)
    assert tanh[0] / tanh[-1] > 0.1


def test_gradient_through_depth_is_deterministic_and_leaves_the_global_rng_alone():
    state = torch.get_rng_state()
    a = gradient_through_depth("tanh", 6, seed=3, init="torch")
    assert torch.equal(torch.get_rng_state(), state)
    np.testing.assert_array_equal(a, gradient_through_depth("tanh", 6, seed=3, init="torch"))
    assert not np.array_equal(a, gradient_through_depth("tanh", 6, seed=4, init="torch"))
    assert np.all(np.isfinite(a)) and np.all(a > 0)


@pytest.mark.parametrize("init", INITS)
def test_depth_network_equals_the_same_draws_from_a_seeded_global_rng(init):
    """The private generator draws what the global RNG seeded the same way would: the pages' numbers are unchanged."""
    network = depth_network("relu", 3, width=6, seed=7, batch=4, init=init)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(7)
        expected = [nn.Linear(6, 6, dtype=torch.float64) for _ in range(3)] + [nn.Linear(6, 1, dtype=torch.float64)]
        with torch.no_grad():
            for layer in expected:
                if init == "xavier":
                    nn.init.xavier_normal_(layer.weight)
                elif init == "kaiming":
                    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        x0, t0 = torch.randn(4, 6, dtype=torch.float64), torch.randn(4, 1, dtype=torch.float64)
    assert all(torch.equal(w, b.weight) for w, b in zip(network.weights, expected, strict=True))
    assert all(torch.equal(bias, torch.zeros_like(b.bias)) for bias, b in zip(network.biases, expected, strict=True))
    assert torch.equal(network.x, x0) and torch.equal(network.t, t0)


def test_depth_network_inits():
    width = 200
    for init, std in (("xavier", math.sqrt(1 / width)), ("kaiming", math.sqrt(2 / width)),
                      ("torch", 1 / math.sqrt(3 * width))):
        network = depth_network("relu", 2, width=width, seed=0, batch=3, init=init)
        assert [w.shape for w in network.weights] == [(width, width), (width, width), (1, width)]
        assert [b.shape for b in network.biases] == [(width,), (width,), (1,)]
        assert network.weights[0].dtype == torch.float64 and network.x.shape == (3, width)
        assert network.t.shape == (3, 1)
        assert all(torch.all(b == 0) for b in network.biases)
        assert network.weights[0].std().item() == pytest.approx(std, rel=0.02)


@pytest.mark.parametrize("kwargs", [{"init": "he"}, {"depth": 0}, {"activation": "swish"}, {"width": 0}])
def test_gradient_through_depth_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        gradient_through_depth(**{"activation": "relu", "depth": 3, **kwargs})


# ---- target curves ------------------------------------------------------------------------------------------------


def test_curve_targets():
    assert list(CURVE_TARGETS) == ["sine", "step", "abs", "bumpy"]
    x = np.linspace(-3, 3, 60_000)  # 0 is not on it: np.sign changes only at the crossings
    sine = CURVE_TARGETS["sine"](x)
    assert np.all(np.abs(sine) <= 1) and np.sum(np.diff(np.sign(sine)) != 0) == 3  # 1.5 periods: 3 zero crossings
    np.testing.assert_array_equal(CURVE_TARGETS["step"](np.array([-2.0, -1e-9, 0.0, 1e-9, 2.0])), [-1, -1, 0, 1, 1])
    np.testing.assert_array_equal(CURVE_TARGETS["abs"](x), np.abs(x))
    bumpy = CURVE_TARGETS["bumpy"](x)
    assert -2 <= bumpy.min() < -1.5 and 1 < bumpy.max() <= 2
    assert np.sum(np.diff(np.sign(np.diff(bumpy))) != 0) == 3  # two dips and a hump between them


def test_target_points():
    x, y = target_points("bumpy")
    np.testing.assert_array_equal(x, np.linspace(-3, 3, 200))
    np.testing.assert_array_equal(y, CURVE_TARGETS["bumpy"](x))
    x1, y1 = target_points("sine", n=50, noise=0.1, seed=4, lo=-1, hi=2)
    x2, y2 = target_points("sine", n=50, noise=0.2, seed=4, lo=-1, hi=2)
    assert x1[0] == -1 and x1[-1] == 2 and len(x1) == 50
    np.testing.assert_allclose(2 * (y1 - CURVE_TARGETS["sine"](x1)), y2 - CURVE_TARGETS["sine"](x2), atol=1e-14)
    assert 0.05 < np.std(y1 - CURVE_TARGETS["sine"](x1)) < 0.15
    np.testing.assert_array_equal(y1, target_points("sine", n=50, noise=0.1, seed=4, lo=-1, hi=2)[1])
    assert not np.array_equal(y1, target_points("sine", n=50, noise=0.1, seed=5, lo=-1, hi=2)[1])
    for kwargs in ({"name": "saw"}, {"n": 1}, {"noise": -0.1}, {"lo": 1.0, "hi": 1.0}):
        with pytest.raises(ValueError):
            target_points(**{"name": "sine", **kwargs})


# ---- parse_points -------------------------------------------------------------------------------------------------


def test_parse_points_separators_comments_and_order():
    text = "# my points\n\n3, 1\n-1;2\n0.5\t-0.25\n  2   4  \n1，5\n1 ； 6\n-1e2, 1E-3\r\n−2, ＋3．5\n"
    x, y = parse_points(text)
    np.testing.assert_array_equal(x, [-100, -2, -1, 0.5, 1, 1, 2, 3])
    np.testing.assert_array_equal(y, [1e-3, 3.5, 2, -0.25, 5, 6, 4, 1])  # equal x keep their order
    assert x.dtype == y.dtype == np.float64


@pytest.mark.parametrize(("text", "code", "line"), [
    ("", "empty", None),
    ("# nothing\n\n   \n", "empty", None),
    ("1, 2", "too_few", None),
    ("1, 2\n3", "format", 2),
    ("1, 2\n\n3, 4, 5", "format", 3),
    ("1,,2\n3, 4", "format", 1),
    ("1, 2\n3, 4 # note", "format", 2),
    ("1, 2\nx, 4", "number", 2),
    ("1, 2\n3, 0x10", "number", 2),
    ("1, 2\n3, __import__('os')", "number", 2),
    ("1, 2\n3, 1001", "range", 2),
    ("1, 2\n-1e4, 1", "range", 2),
    ("nan, 2\n3, 4", "range", 1),
    ("1, inf\n3, 4", "range", 1),
    ("1, 2\n3, -Infinity", "range", 2),
    ("\n".join(f"{i}, {i}" for i in range(6)), "too_many", 6),
])
def test_parse_points_errors_say_why_and_where(text, code, line):
    with pytest.raises(PointsError) as caught:
        parse_points(text, max_points=5)
    assert caught.value.code == code and caught.value.line == line
    assert isinstance(caught.value, ValueError) and str(caught.value)


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(finite, finite), min_size=2, max_size=40),
       st.lists(st.sampled_from([",", ", ", " ,", ";", "; ", "\t", " ", "   ", "，", " ； "]), min_size=1),
       st.sampled_from(["\n", "\r\n", "\n\n", "\n# comment\n"]))
def test_parse_points_reads_back_what_was_written(points, separators, newline):
    lines = [f"{x!r}{separators[i % len(separators)]}{y!r}" for i, (x, y) in enumerate(points)]
    x, y = parse_points(newline.join(lines))
    expected = sorted(points, key=lambda p: p[0])  # stable, as parse_points sorts
    np.testing.assert_array_equal(x, [p[0] for p in expected])
    np.testing.assert_array_equal(y, [p[1] for p in expected])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet="0123456789.-+eE,;， \t\n#naif_x")))
def test_parse_points_never_raises_anything_but_points_error(text):
    try:
        x, y = parse_points(text)
    except PointsError as error:
        assert error.code in PointsError.CODES
        assert error.line is None or 1 <= error.line <= len(text.splitlines())
    else:
        assert len(x) == len(y) >= 2 and np.all(np.abs(x) <= 1e3) and np.all(np.diff(x) >= 0)


def test_the_deep_stack_is_drawn_without_building_a_module(monkeypatch):
    """``depth_network`` draws its weights into plain tensors (building 31 meta modules and giving them memory was
    most of a depth change's rerun): no ``nn.Linear`` is constructed, and the numbers are still those of the layers
    built under a seeded global RNG (``test_depth_network_equals_the_same_draws_from_a_seeded_global_rng``)."""

    def refuse(*args, **kwargs):
        raise AssertionError("a module was built")

    monkeypatch.setattr(nn.Linear, "__init__", refuse)
    grads = gradient_through_depth("tanh", 30)
    assert grads.shape == (30,) and np.all(np.isfinite(grads))
