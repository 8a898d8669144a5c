"""Activation functions, their derivatives and their properties, in NumPy.

A layer without an activation is linear, ``y = W x + b``, and a stack of linear layers is one linear layer
(``core.linear_stack``). An activation ``f`` between the layers bends the line; how it bends decides what the
network can draw (``core.curve_fit``) and how a gradient survives the trip back through many layers
(``core.vanishing``: each layer multiplies it by ``f'``, at most ``max_slope``).

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

import functools
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


def as_float64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


_BLOCK = 1 << 16  # elements per block: a formula's ~10 float64 temporaries (512 KiB each) stay in L2 cache


def _elementwise(f: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """``f`` (float64 array -> array) for any scalar or array, applied in blocks of ``_BLOCK`` values.

    On 1,000,000 values blocks take up to half the time of one pass over the whole array, whose temporaries fall out
    of cache (``bench/activations.py --alternatives``). A 0-d result becomes a NumPy scalar, as NumPy's ufuncs do.
    """

    @functools.wraps(f)
    def apply(x) -> np.ndarray:
        x = as_float64(x)
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
    return np.ones_like(as_float64(x))[()]


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

    spelled = activation_named(name).torch_module
    match = _MODULE.fullmatch(spelled)
    assert match, spelled
    args = [float(a) for a in match[2].split(",") if a.strip()]
    return getattr(nn, match[1])(*args)


def activation_named(name: str) -> Activation:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def value_and_slope(name: str, x) -> tuple[np.ndarray, np.ndarray]:
    """``(f(x), f'(x))``, the same numbers as ``fn`` and ``grad`` (tested bitwise), sharing what the two have in
    common: ``Φ(x)`` for GELU (its ``erfc`` is most of the cost), ``σ(x)`` for sigmoid and SiLU, ``tanh(x)``. A
    training loop that needs both at every step (``core.curve_fit.fit_curve``) pays about half for GELU."""
    act = activation_named(name)
    shared = _SHARED_PARTS.get(name)
    if shared is None:
        return act.fn(x), act.grad(x)
    return shared(as_float64(x))


def _gelu_both(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cdf = normal_cdf(x)
    return x * cdf, cdf + x * _normal_pdf(x)


def _sigmoid_both(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = _sigmoid(x)
    return s, s * (1.0 - s)


def _silu_both(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = _sigmoid(x)
    return x * s, s * (1.0 + x * (1.0 - s))


def _tanh_both(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = np.tanh(x)
    return t, 1.0 - t * t


_SHARED_PARTS: dict[str, Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]] = {
    "gelu": _gelu_both, "sigmoid": _sigmoid_both, "silu": _silu_both, "tanh": _tanh_both}
