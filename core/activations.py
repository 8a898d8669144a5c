"""Activation functions and the small networks that show what they do, in NumPy (and torch where it trains).

A layer without an activation is linear, ``y = W x + b``, and a stack of linear layers is one linear layer
(``compose_linear``). An activation ``f`` between the layers bends the line; how it bends decides what the network
can draw (``fit_curve``) and how a gradient survives the trip back through many layers
(``gradient_through_depth``: each layer multiplies it by ``f'``, at most ``max_slope``).

``ACTIVATIONS`` holds each function with its derivative, its formulas and its properties. Values and derivatives
equal ``torch.nn.functional`` and ``torch.autograd`` in float64 (tests/test_activations.py), including torch's
conventions where the math leaves a choice: ``relu'(0) = 0``, ``leaky_relu'(0) = 0.01``, ``elu'(0) = 1``, and
softplus switching to ``x`` (derivative 1) above ``x = 20`` (``F.softplus``'s ``threshold``). Every formula is
written so that no intermediate overflows for any finite input: ``exp`` only ever sees ``-|x|`` or ``min(x, 20)``.

The exact GELU needs ``erf``, which NumPy lacks (SciPy is not a dependency of the app). ``erf``/``erfc`` here are
W. J. Cody's rational Chebyshev approximations (Math. Comp. 23, 1969, pp. 631-638; the netlib ``CALERF`` that SciPy's
own ``erfc`` descends from): three rational functions on ``|x| <= 0.46875``, ``<= 4`` and beyond, each evaluated
only on its own elements, ``erf`` within 4.5e-16 of ``math.erf`` and ``erfc`` within 9 ulp of ``math.erfc``
(tests). Why this one (``python bench/activations.py --alternatives``, 2 CPU cores shared with other work, median
ms): on the 2,000 points a page draws every way takes under half a millisecond (core 0.34, ``np.vectorize(math.erf)``
0.41, ``np.frompyfunc`` 0.38; torch is faster but is what the tests compare against), and on 1,000,000 values core
takes 70-90 ms against 260 for ``np.vectorize``, 200 for ``np.frompyfunc`` and 3-8 for ``torch.special.erf``.

Each formula runs over blocks of 65,536 values (``_elementwise``), so that its temporaries stay in cache: 1.6-1.8x
faster than one pass over 1,000,000 values for erf and GELU, up to 2x for softplus' derivative, about even for the
simple ones. On 1,000,000 float64 values core takes 1-11x torch's time for f (torch's SIMD kernels on 2 threads;
GELU about 10x) and 0.4-5x for f' (torch: forward and backward pass).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# ---- the functions ------------------------------------------------------------------------------------------

LEAKY_SLOPE = 0.01  # F.leaky_relu's default negative_slope
ELU_ALPHA = 1.0  # F.elu's default alpha
SOFTPLUS_THRESHOLD = 20.0  # F.softplus (beta = 1) returns x itself above this
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _f64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


_BLOCK = 1 << 16  # elements per block: a formula's ~10 float64 temporaries (512 KiB each) stay in L2 cache


def _elementwise(f: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """``f`` (float64 array -> array) for any scalar or array, applied in blocks of ``_BLOCK`` values.

    On 1,000,000 values blocks take up to half the time of one pass over the whole array, whose temporaries fall out
    of cache (``bench/activations.py --alternatives``). A 0-d result becomes a NumPy scalar, as NumPy's ufuncs do.
    """

    @functools.wraps(f)
    def apply(x) -> np.ndarray:
        x = _f64(x)
        if x.size <= _BLOCK:
            return f(x)[()]
        flat = x.ravel()
        out = np.empty_like(flat)
        for i in range(0, flat.size, _BLOCK):
            out[i: i + _BLOCK] = f(flat[i: i + _BLOCK])
        return out.reshape(x.shape)

    return apply


# Cody's coefficients, highest power last as published (A, B: erf on |x| <= 0.46875; C, D: erfc on 0.46875..4;
# P, Q: erfc beyond 4, in 1/x^2).
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03,
      1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
      8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
      2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
      3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
      6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
      2.33520497626869185e-3)
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)
_ERFC_ZERO = 26.55  # erfc(y) < 1e-308 from about y = 26.543 on: 0 there, as Cody's XBIG


def _ratio(t: np.ndarray, num: Sequence[float], den: Sequence[float]) -> np.ndarray:
    """Cody's nested form: ``num(t) / den(t)``, ``num`` one degree above ``den`` whose leading coefficient is 1."""
    xnum, xden = num[-1] * t, t.copy()
    for a, b in zip(num[:-2], den[:-1], strict=True):
        xnum += a
        xnum *= t
        xden += b
        xden *= t
    return (xnum + num[-2]) / (xden + den[-1])


def _exp_minus_square(y: np.ndarray) -> np.ndarray:
    """``exp(-y^2)`` as ``exp(-r^2) exp(-(y-r)(y+r))`` with ``r = trunc(16 y) / 16``: ``r^2`` is exact, so the
    rounding of ``y^2`` (up to 8 ulp of the result at y = 4 when taken whole) does not reach the result."""
    r = np.trunc(16.0 * y) / 16.0
    return np.exp(-r * r) * np.exp(-(y - r) * (y + r))


def _erfc_nonneg(y: np.ndarray) -> np.ndarray:
    """``erfc(y)`` for ``y >= 0`` (float64 array), each value by the one of Cody's three approximations for it."""
    out = np.empty_like(y)
    small, large = y <= 0.46875, y > 4.0
    ys = y[small]
    out[small] = 1.0 - ys * _ratio(ys * ys, _A, _B)
    mid = ~(small | large)
    ym = y[mid]
    out[mid] = _exp_minus_square(ym) * _ratio(ym, _C, _D)
    if large.any():
        yl = np.minimum(y[large], _ERFC_ZERO)
        t = 1.0 / (yl * yl)
        out[large] = np.where(yl < _ERFC_ZERO, _exp_minus_square(yl) * (_INV_SQRT_PI - t * _ratio(t, _P, _Q)) / yl,
                              0.0)
    return out


@_elementwise
def erf(x: np.ndarray) -> np.ndarray:
    """``erf(x) = 2/sqrt(pi) ∫_0^x exp(-t^2) dt``, vectorised (Cody's approximation, see the module docstring)."""
    y = np.abs(x)
    out = np.empty_like(x)
    small = y <= 0.46875
    ys = y[small]
    out[small] = x[small] * _ratio(ys * ys, _A, _B)
    out[~small] = np.copysign(1.0 - _erfc_nonneg(y[~small]), x[~small])
    return out


@_elementwise
def erfc(x: np.ndarray) -> np.ndarray:
    """``erfc(x) = 1 - erf(x)``, accurate in relative terms where it is tiny (x up to 26.5)."""
    e = _erfc_nonneg(np.abs(x))
    return np.where(x < 0, 2.0 - e, e)


@_elementwise
def normal_cdf(x: np.ndarray) -> np.ndarray:
    """``Φ(x) = (1 + erf(x/√2)) / 2``; for ``x < 0`` as ``erfc(|x|/√2) / 2``, exact in relative terms in the tail."""
    half_erfc = 0.5 * _erfc_nonneg(np.abs(x) * _SQRT_HALF)
    return np.where(x < 0, half_erfc, 1.0 - half_erfc)


def _normal_pdf(x: np.ndarray) -> np.ndarray:
    xc = np.clip(x, -40.0, 40.0)  # exp(-800) is 0 already; the clip keeps x*x finite for any finite x
    return _INV_SQRT_2PI * np.exp(-0.5 * xc * xc)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))  # never overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) for x < 0
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def _identity(x):
    return np.array(x, dtype=np.float64)[()]


def _identity_grad(x):
    return np.ones_like(_f64(x))[()]


_sigmoid_fn = _elementwise(_sigmoid)


@_elementwise
def _sigmoid_grad(x):
    s = _sigmoid(x)
    return s * (1.0 - s)


_tanh = _elementwise(np.tanh)


@_elementwise
def _tanh_grad(x):
    t = np.tanh(x)
    return 1.0 - t * t


@_elementwise
def _relu(x):
    return np.maximum(x, 0.0)


@_elementwise
def _relu_grad(x):
    return (x > 0).astype(np.float64)  # torch: relu'(0) = 0


@_elementwise
def _leaky_relu(x):
    return np.maximum(x, LEAKY_SLOPE * x)  # x > 0: x; x <= 0: slope·x (the larger one, as 0 < slope < 1)


@_elementwise
def _leaky_relu_grad(x):
    return np.where(x > 0, 1.0, LEAKY_SLOPE)  # torch: leaky_relu'(0) = negative_slope


@_elementwise
def _elu(x):
    return np.where(x > 0, x, ELU_ALPHA * np.expm1(np.minimum(x, 0.0)))


@_elementwise
def _elu_grad(x):
    return np.where(x > 0, 1.0, ELU_ALPHA * np.exp(np.minimum(x, 0.0)))  # torch: elu'(0) = alpha


@_elementwise
def _gelu(x):
    return x * normal_cdf(x)


@_elementwise
def _gelu_grad(x):
    return normal_cdf(x) + x * _normal_pdf(x)


@_elementwise
def _softplus(x):
    return np.where(x > SOFTPLUS_THRESHOLD, x, np.log1p(np.exp(np.minimum(x, SOFTPLUS_THRESHOLD))))


@_elementwise
def _softplus_grad(x):
    z = np.exp(np.minimum(x, SOFTPLUS_THRESHOLD))
    return np.where(x > SOFTPLUS_THRESHOLD, 1.0, z / (z + 1.0))


@_elementwise
def _silu(x):
    return x * _sigmoid(x)


@_elementwise
def _silu_grad(x):
    s = _sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


# ---- extremes found by bisection (pure Python, once at import) ----------------------------------------------


def _bisect(g: Callable[[float], float], lo: float, hi: float) -> float:
    """The root of ``g`` in ``[lo, hi]``, where ``g`` changes sign, to the last bit."""
    g_lo = g(lo)
    assert g_lo * g(hi) < 0, "no sign change"
    while True:
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            return mid
        if (g(mid) < 0) == (g_lo < 0):
            lo = mid
        else:
            hi = mid


def _phi(x: float) -> float:
    return 0.5 * math.erfc(-x * _SQRT_HALF)


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


# GELU: min of x Φ(x) where GELU'(x) = Φ(x) + x φ(x) = 0; the largest slope where GELU''(x) = φ(x)(2 - x^2) = 0
_GELU_ARGMIN = _bisect(lambda x: _phi(x) + x * _INV_SQRT_2PI * math.exp(-0.5 * x * x), -2.0, -0.1)
GELU_MIN = _GELU_ARGMIN * _phi(_GELU_ARGMIN)  # -0.16997120971...
GELU_MAX_SLOPE = _phi(math.sqrt(2.0)) + math.sqrt(2.0) * _INV_SQRT_2PI * math.exp(-1.0)  # 1.12894005...
# SiLU: min of x σ(x) where SiLU'(x) = σ(x)(1 + x σ(-x)) = 0; the largest slope where
# SiLU''(x) = σ(x) σ(-x) (2 + x (1 - 2σ(x))) = 0, i.e. x tanh(x/2) = 2
_SILU_ARGMIN = _bisect(lambda x: 1.0 + x * _sig(-x), -5.0, 0.0)
SILU_MIN = _SILU_ARGMIN * _sig(_SILU_ARGMIN)  # -0.27846454276...
_SILU_ARGMAX_SLOPE = _bisect(lambda x: 2.0 + x * (1.0 - 2.0 * _sig(x)), 1.0, 5.0)
SILU_MAX_SLOPE = _sig(_SILU_ARGMAX_SLOPE) * (1.0 + _SILU_ARGMAX_SLOPE * _sig(-_SILU_ARGMAX_SLOPE))  # 1.09985...


# ---- the registry -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Activation:
    """An activation function with its derivative, its formulas, its properties and its torch spelling."""

    name: str
    fn: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]  # f'(x), with torch autograd's value at the kinks
    latex: str
    grad_latex: str
    output_range: tuple[float, float]  # (inf, sup) of f; the ends are not reached except where f is constant there
    zero_centred: bool  # outputs spread on both sides of 0, so the next layer's inputs have mean about 0
    saturates: str  # where f' -> 0: "none", "left" (x -> -inf) or "both"
    max_slope: float  # sup |f'(x)|: no layer of this activation can grow a gradient by more
    cost: str  # "cheap" (compare, multiply), "exp" or "erf"
    torch_code: str  # the functional form, applied to x
    torch_module: str  # the nn.Module form


_CASES = r"\begin{cases} %s & x > 0 \\ %s & x \le 0 \end{cases}"
INF = math.inf

ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        # zero-centred: odd function, symmetric outputs
        Activation("identity", _identity, _identity_grad, r"f(x) = x", r"f'(x) = 1", (-INF, INF), True,
                   "none", 1.0, "cheap", "x", "nn.Identity()"),
        # not zero-centred: all outputs in (0, 1), mean about 1/2
        Activation("sigmoid", _sigmoid_fn, _sigmoid_grad, r"\sigma(x) = \frac{1}{1 + e^{-x}}",
                   r"\sigma'(x) = \sigma(x)\,\bigl(1 - \sigma(x)\bigr)", (0.0, 1.0), False, "both", 0.25, "exp",
                   "torch.sigmoid(x)", "nn.Sigmoid()"),
        # zero-centred: odd function
        Activation("tanh", _tanh, _tanh_grad, r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
                   r"\tanh'(x) = 1 - \tanh^2(x)", (-1.0, 1.0), True, "both", 1.0, "exp", "torch.tanh(x)",
                   "nn.Tanh()"),
        # not zero-centred: outputs >= 0
        Activation("relu", _relu, _relu_grad, r"\mathrm{ReLU}(x) = \max(0, x)",
                   r"\mathrm{ReLU}'(x) = " + _CASES % ("1", "0"), (0.0, INF), False, "left", 1.0, "cheap",
                   "F.relu(x)", "nn.ReLU()"),
        # not zero-centred (as usually classed): negative outputs are 100x smaller than positive ones
        Activation("leaky_relu", _leaky_relu, _leaky_relu_grad,
                   r"\mathrm{LeakyReLU}(x) = " + _CASES % ("x", "0.01\\,x"),
                   r"\mathrm{LeakyReLU}'(x) = " + _CASES % ("1", "0.01"), (-INF, INF), False, "none", 1.0,
                   "cheap", f"F.leaky_relu(x, {LEAKY_SLOPE})", f"nn.LeakyReLU({LEAKY_SLOPE})"),
        # not zero-centred: closer than ReLU (outputs down to -1 pull the mean towards 0), but the mean stays > 0
        Activation("elu", _elu, _elu_grad, r"\mathrm{ELU}(x) = " + _CASES % ("x", "e^{x} - 1"),
                   r"\mathrm{ELU}'(x) = " + _CASES % ("1", "e^{x}"), (-ELU_ALPHA, INF), False, "left", 1.0, "exp",
                   "F.elu(x)", "nn.ELU()"),
        # not zero-centred: outputs >= GELU_MIN ≈ -0.17; output_range holds GELU_MIN to full precision
        Activation("gelu", _gelu, _gelu_grad,
                   r"\mathrm{GELU}(x) = x\,\Phi(x) = \frac{x}{2}\left(1 + \operatorname{erf}\frac{x}{\sqrt{2}}\right)",
                   r"\mathrm{GELU}'(x) = \Phi(x) + x\,\varphi(x), \quad \varphi(x) = \frac{e^{-x^2/2}}{\sqrt{2\pi}}",
                   (GELU_MIN, INF), False, "left", GELU_MAX_SLOPE, "erf", "F.gelu(x)", "nn.GELU()"),
        # not zero-centred: outputs > 0; the slope tends to 1 (torch: exactly 1 above x = 20)
        Activation("softplus", _softplus, _softplus_grad, r"\mathrm{softplus}(x) = \ln\left(1 + e^{x}\right)",
                   r"\mathrm{softplus}'(x) = \sigma(x) = \frac{1}{1 + e^{-x}}", (0.0, INF), False, "left", 1.0,
                   "exp", "F.softplus(x)", "nn.Softplus()"),
        # not zero-centred: outputs >= SILU_MIN ≈ -0.28; output_range holds SILU_MIN to full precision
        Activation("silu", _silu, _silu_grad, r"\mathrm{SiLU}(x) = x\,\sigma(x) = \frac{x}{1 + e^{-x}}",
                   r"\mathrm{SiLU}'(x) = \sigma(x)\,\bigl(1 + x\,(1 - \sigma(x))\bigr)", (SILU_MIN, INF), False,
                   "left", SILU_MAX_SLOPE, "exp", "F.silu(x)", "nn.SiLU()"),
    )
}
"""Activation functions by stable name (selectbox, URL and tests use the same names), in teaching order."""

_MODULE = re.compile(r"nn\.(\w+)\(([^()]*)\)")


def make_torch_module(name: str):
    """A fresh ``torch.nn`` module for ``ACTIVATIONS[name]``, built from its ``torch_module`` text (no eval)."""
    from torch import nn

    spelled = _activation(name).torch_module
    match = _MODULE.fullmatch(spelled)
    assert match, spelled
    args = [float(a) for a in match[2].split(",") if a.strip()]
    return getattr(nn, match[1])(*args)


def _activation(name: str) -> Activation:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]


# ---- linear layers and what an activation changes -----------------------------------------------------------

Layer = tuple[np.ndarray, np.ndarray]


def _check_layers(layers: Sequence[Layer]) -> list[Layer]:
    if len(layers) == 0:
        raise ValueError("give at least one layer (W, b)")
    checked = []
    for i, (w, b) in enumerate(layers, start=1):
        w, b = _f64(w), _f64(b)
        if w.ndim != 2 or b.shape != (w.shape[0],):
            raise ValueError(f"layer {i}: W must be 2-D (out, in) and b of shape (out,); got W {w.shape}, b {b.shape}")
        if checked and w.shape[1] != checked[-1][0].shape[0]:
            raise ValueError(f"layer {i} takes {w.shape[1]} inputs but layer {i - 1} gives "
                             f"{checked[-1][0].shape[0]} outputs")
        checked.append((w, b))
    return checked


def compose_linear(layers: Sequence[Layer]) -> Layer:
    """``W = W_n ... W_1``, ``b = W_n(... (W_2 b_1 + b_2) ...) + b_n``: the one layer a linear stack equals."""
    (w, b), *rest = _check_layers(layers)
    for w_i, b_i in rest:
        w, b = w_i @ w, w_i @ b + b_i
    return w, b


def random_linear_layers(depth: int, width: int, seed: int, in_dim: int = 1, out_dim: int = 1,
                         scale: float = 1.0) -> list[Layer]:
    """``depth`` layers in_dim -> width -> ... -> out_dim, ``W ~ N(0, scale²/fan_in)``, ``b ~ N(0, 0.5²)``.

    Variance 1/fan_in keeps each unit's variance through a linear stack (each layer adds only the bias's 0.25),
    so the output of 1 to 10 layers (width 8 or more) on inputs in [-3, 3] stays of order 1. ReLU zeroes half of
    each layer's variance: with ReLU or GELU between the layers, ``scale=√2`` (He) keeps it of order 1 (for depth
    10 and width 32 the output's spread over [-3, 3] has median 0.75 with √2, 0.02 with 1).
    """
    for name, v in {"depth": depth, "width": width, "in_dim": in_dim, "out_dim": out_dim}.items():
        if v < 1:
            raise ValueError(f"{name} must be at least 1, got {v}")
    rng = np.random.default_rng(seed)
    sizes = [in_dim] + [width] * (depth - 1) + [out_dim]
    return [(rng.standard_normal((n_out, n_in)) * (scale / math.sqrt(n_in)), 0.5 * rng.standard_normal(n_out))
            for n_in, n_out in itertools.pairwise(sizes)]


def forward_stack(x: np.ndarray, layers: Sequence[Layer], activation: str) -> np.ndarray:
    """``h <- f(W h + b)`` layer by layer, no ``f`` after the last: x (n, in_dim) -> (n, out_dim); 1-D x is (n, 1)."""
    act = _activation(activation)
    layers = _check_layers(layers)
    h = _f64(x)
    if h.ndim == 1:
        h = h[:, None]
    if h.ndim != 2 or h.shape[1] != layers[0][0].shape[1]:
        raise ValueError(f"x must have shape (n, {layers[0][0].shape[1]}); got {np.shape(x)}")
    for i, (w, b) in enumerate(layers):
        h = h @ w.T + b
        if i < len(layers) - 1:
            h = act.fn(h)
    return h


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
def _one_torch_thread():
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
    numbers), float32 on one CPU thread (``_one_torch_thread``). A non-finite loss stops the training and is reported in
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
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, foreach=True)  # multi-tensor update: fewer ops
    losses, taken, curves = [], [], []
    diverged_at = None
    with torch.enable_grad(), _one_torch_thread():
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


# ---- gradients through depth --------------------------------------------------------------------------------

INITS = ("xavier", "kaiming", "torch")


def depth_network(activation: str, depth: int, width: int = 32, seed: int = 0, batch: int = 64,
                  init: str = "xavier"):
    """(layers, x, t) for ``gradient_through_depth``: ``depth`` Linear(width, width) and a final Linear(width, 1)
    (float64 torch modules, biases 0), inputs x ~ N(0, 1) of shape (batch, width) and targets t ~ N(0, 1).

    init: "xavier" = ``xavier_normal_`` (gain 1), "kaiming" = ``kaiming_normal_`` (for relu), "torch" = nn.Linear's
    default; all drawn from a private ``torch.Generator`` seeded ``seed`` (torch's process-wide RNG is neither read
    nor changed, so concurrent sessions cannot disturb each other), in the order building the layers under
    a globally seeded RNG would draw them: nn.Linear's default init of every layer, then the chosen init,
    then x, then t.
    """
    import torch
    from torch import nn

    from core.seeding import materialise

    _activation(activation)
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
    for name, v in {"depth": depth, "width": width, "batch": batch}.items():
        if v < 1:
            raise ValueError(f"{name} must be at least 1, got {v}")
    generator = torch.Generator().manual_seed(seed)
    layers = [nn.Linear(width, width, dtype=torch.float64, device="meta") for _ in range(depth)]
    layers.append(nn.Linear(width, 1, dtype=torch.float64, device="meta"))
    materialise(nn.ModuleList(layers), generator, "cpu")  # nn.Linear's default first, as building them drew it
    with torch.no_grad():
        for layer in layers:
            if init == "xavier":
                nn.init.xavier_normal_(layer.weight, generator=generator)
            elif init == "kaiming":
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", generator=generator)
            layer.bias.zero_()
    x = torch.randn(batch, width, dtype=torch.float64, generator=generator)
    t = torch.randn(batch, 1, dtype=torch.float64, generator=generator)
    return layers, x, t


def gradient_through_depth(activation: str, depth: int, width: int = 32, seed: int = 0, batch: int = 64,
                           init: str = "xavier") -> np.ndarray:
    """``‖∂L/∂W_l‖_F`` for the hidden layers l = 1 (next to the input) .. depth of ``depth_network``.

    Each hidden layer is followed by the activation; the final Linear(width, 1) is not counted. The loss is the MSE
    against random targets, ``L = mean((y - t)²)``, so the gradient arriving at the output is of order 1 whatever
    the output's scale, and what happens to it on the way down is the activations' (and weights') doing alone.
    """
    import torch

    layers, x, t = depth_network(activation, depth, width, seed, batch, init)
    with torch.enable_grad(), _one_torch_thread():
        h = x
        for layer in layers[:-1]:
            h = make_torch_module(activation)(layer(h))
        loss = torch.mean((layers[-1](h) - t) ** 2)
        grads = torch.autograd.grad(loss, [layer.weight for layer in layers[:-1]])
    return np.array([torch.linalg.matrix_norm(g).item() for g in grads])


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


# ---- a neuron's decision line ---------------------------------------------------------------------------------


def decision_line(w1: float, w2: float, b: float, lo: float, hi: float
                  ) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The part of ``w1 x1 + w2 x2 + b = 0`` inside the square [lo, hi]², as its two ends; None if it misses the
    square (or w1 = w2 = 0). A line through one corner only gives that corner twice."""
    w1, w2, b, lo, hi = (float(v) for v in (w1, w2, b, lo, hi))
    if not all(math.isfinite(v) for v in (w1, w2, b, lo, hi)) or not lo < hi:
        raise ValueError(f"need finite numbers and lo < hi; got w1={w1}, w2={w2}, b={b}, lo={lo}, hi={hi}")
    tol = 1e-12 * max(hi - lo, abs(lo), abs(hi))  # a crossing at a corner may round just outside
    ends = []
    for edge in (lo, hi):
        if w2 != 0:  # crossing the vertical edge x1 = edge
            x2 = -(w1 * edge + b) / w2
            if lo - tol <= x2 <= hi + tol:
                ends.append((edge, min(max(x2, lo), hi)))
        if w1 != 0:  # crossing the horizontal edge x2 = edge
            x1 = -(w2 * edge + b) / w1
            if lo - tol <= x1 <= hi + tol:
                ends.append((min(max(x1, lo), hi), edge))
    if not ends:
        return None
    return min(ends), max(ends)  # points on a line sorted by (x1, x2) are sorted along it
