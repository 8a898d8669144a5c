"""Convolution, discrete and continuous: what ``torch.nn.functional.conv2d`` computes, written out in NumPy.

A convolutional layer slides a kernel ``w`` over the input ``x`` and, at every stop, multiplies the values under
the kernel taps by the weights and adds them up. With stride ``s``, padding ``p`` and dilation ``d``::

    y[o, i, j] = b[o] + sum_{c, a, b'} w[o, c, a, b'] * x_p[c, s*i + d*a, s*j + d*b']

where ``x_p`` is ``x`` padded by ``p``. That is cross-correlation, which deep-learning libraries call
"convolution"; ``flip=True`` rotates the kernel by 180° first, which gives the convolution of mathematics.

How ``conv2d`` computes it: the input is padded once, then *blocked im2col*. For a block of output rows, the
``C_in*kh*kw`` shifted views of the input (one per kernel tap, from ``sliding_window_view``, no copy) are copied
into one small matrix, and one BLAS product ``W (C_out x C_in*kh*kw) @ cols`` gives those rows of every output
channel. Blocks of about 1 MiB keep that matrix in cache; the Python loop runs over these blocks (one for a
small image, a few dozen for 1024²), never over output pixels.

Why this one (``python bench/conv.py --alternatives``: 2 CPU cores, float32, median times, torch with its
default 2 threads in the same run): it is 0.5-0.9x torch's time on 512² and 1024² single-channel images with
3x3 to 7x7 kernels and about 2x torch on 512² RGB -> 8 channels, and the alternatives were slower:

* tap loop of whole-array multiply-adds (``np.multiply(x_shift, w_ab, out=tmp); y += tmp``) on 2-D shifted
  views: 1.1-1.4x slower on 512², 2.5-4.5x on 1024², 12-15x on RGB -> 8 (27 taps, each over 8 channels);
* the same on a flattened image, so each tap is one contiguous slice: a tie on 512², 1.1-1.7x slower on
  1024², 8x on RGB; in 64k-element blocks: 1.0-1.4x slower, 4x on RGB; blocks shared by two threads: a tie
  on 1024² 5x5 and 7x7, slower elsewhere, 2.4x on RGB;
* im2col of the whole image + one matmul: 2.5-4x slower (the column matrix, ``kh*kw`` times the image, falls
  out of cache), 1.7x on RGB;
* ``sliding_window_view`` + ``np.einsum``: 6-10x slower (2x on RGB); + ``np.tensordot``: 7-12x (6x on RGB).

Everything runs in the input's own precision (float32 stays float32: half the memory traffic of float64).

``conv_output_size`` is the output length of this sliding window along one axis,
``floor((n + p_before + p_after - d(k-1) - 1) / s) + 1``, and the one place that formula is written:
``core.receptive``, ``core.depth`` and the convolution questions use it too.

The continuous part samples two signals on one uniform grid and integrates ``(f*g)(t) = ∫ f(τ) g(t-τ) dτ``
with the trapezoid rule, as one discrete convolution of the samples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from core.arguments import Pair, as_pair, whole_number, work_dtype

PADDING_MODES: dict[str, str] = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
"""torch's ``padding_mode`` names and the ``np.pad`` mode that pads the same way."""

_BLOCK_BYTES = 1 << 20  # im2col block: 256 KiB was up to 1.4x slower (more blocks), 2-4 MiB no faster overall

Padding = tuple[Pair, Pair]


# ---- output size and padding ------------------------------------------------------------------------------


def conv_output_size(n: int, k: int, stride: int = 1, padding: int | Pair = 0, dilation: int = 1) -> int:
    """``floor((n + p_before + p_after - d(k-1) - 1) / s) + 1``: the output length along one axis.

    ``padding`` is ``p`` on both sides or a pair ``(p_before, p_after)``; ValueError when the kernel's span
    ``d(k-1) + 1`` is longer than the padded input. The one copy of this formula: ``conv2d`` uses it, and so do the
    layers of ``core.receptive`` and ``core.depth``, where a max pooling layer with floor rounding slides its window
    exactly like a convolution of the same kernel, stride, padding and dilation (``nn.MaxPool2d`` gives the shape of
    ``nn.Conv2d``). It lives here, with the convolution that defines it, because ``core.conv`` imports nothing from
    ``core`` but ``core.arguments``: every module can use it without an import cycle. ``core.pooling`` has its own
    ``pool_output_size`` for what only ``pool2d`` does (``ceil_mode``, torch's ``p <= k // 2``, no dilation).
    """
    n = whole_number(n, "input size n", at_least=1)
    k = whole_number(k, "kernel size k", at_least=1)
    stride = whole_number(stride, "stride s", at_least=1)
    dilation = whole_number(dilation, "dilation d", at_least=1)
    if isinstance(padding, Integral):
        pad_before = pad_after = whole_number(padding, "padding p", at_least=0)
    else:
        try:
            before, after = padding
        except (TypeError, ValueError):
            raise ValueError(f"padding p must be a whole number or a pair (before, after), got {padding!r}") from None
        pad_before = whole_number(before, "padding p before", at_least=0)
        pad_after = whole_number(after, "padding p after", at_least=0)
    span = dilation * (k - 1) + 1
    padded = n + pad_before + pad_after
    if span > padded:
        raise ValueError(f"the kernel covers {span} pixels (d*(k-1)+1 with k={k}, d={dilation}) but the padded input "
                         f"has only {padded} (n={n} plus padding {pad_before}+{pad_after}): use a smaller kernel or "
                         f"dilation, or more padding, so that d*(k-1)+1 <= n + padding")
    return (padded - span) // stride + 1


def resolve_padding(padding, kernel_size, dilation=1, stride=1) -> Padding:
    """Explicit ``((top, bottom), (left, right))``; "same" pads ``d(k-1)`` in all, the odd pixel right/bottom."""
    k, d, s = as_pair(kernel_size, "kernel_size"), as_pair(dilation, "dilation"), as_pair(stride, "stride")
    for name, v in {"kernel_size": min(k), "dilation": min(d), "stride": min(s)}.items():
        whole_number(v, name, at_least=1)
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding != "same":
            raise ValueError(f'padding must be an int, a pair (h, w), "valid" or "same", got {padding!r}')
        if s != (1, 1):
            raise ValueError(f'padding="same" needs stride 1 (as in PyTorch): with stride {s} the output cannot keep '
                             "the input's size; give the padding as numbers instead")
        totals = [d_ * (k_ - 1) for k_, d_ in zip(k, d, strict=True)]
        return (totals[0] // 2, totals[0] - totals[0] // 2), (totals[1] // 2, totals[1] - totals[1] // 2)
    p = as_pair(padding, "padding")
    if min(p) < 0:
        raise ValueError(f"padding must be 0 or more, got {padding!r}")
    return (p[0], p[0]), (p[1], p[1])


def pad2d(x: np.ndarray, pads: Padding, padding_mode: str = "zeros") -> np.ndarray:
    """``x`` (..., H, W) padded by ``((top, bottom), (left, right))`` as ``torch.nn.functional.pad`` does."""
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {', '.join(PADDING_MODES)}, got {padding_mode!r}")
    if not any(pads[0] + pads[1]):
        return x
    for axis, (before, after) in zip(("height", "width"), pads, strict=True):
        size = x.shape[-2] if axis == "height" else x.shape[-1]
        if padding_mode == "reflect" and max(before, after) >= size:
            raise ValueError(f"reflect padding must be smaller than the input along each axis (as in PyTorch): "
                             f"padding {max(before, after)} on the {axis} of {size}; use at most {size - 1}, "
                             "or another padding_mode")
        if padding_mode == "circular" and max(before, after) > size:
            raise ValueError(f"circular padding can wrap around at most once (as in PyTorch): padding "
                             f"{max(before, after)} on the {axis} of {size}; use at most {size}, "
                             "or another padding_mode")
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [pads[0], pads[1]], mode=PADDING_MODES[padding_mode])


@dataclass(frozen=True)
class _Setup:
    """Everything ``conv2d`` and ``conv_step`` agree on: the padded input, the kernel they apply, s, d, pads."""

    xp: np.ndarray  # (C_in, H + top + bottom, W + left + right), in the working dtype
    w: np.ndarray  # (C_out, C_in, kh, kw), already flipped when flip=True
    s: Pair
    d: Pair
    pads: Padding
    out_shape: Pair
    out_dtype: np.dtype
    batched: bool  # x came as (C_in, H, W)


def _setup(x, weight, stride, padding, dilation, padding_mode, flip) -> _Setup:
    x, w = np.asarray(x), np.asarray(weight)
    if not ((x.ndim == 2 and w.ndim == 2) or (x.ndim == 3 and w.ndim == 4)):
        raise ValueError("conv2d takes x of shape (H, W) with a (kh, kw) kernel, or x of shape (C_in, H, W) with a "
                         f"(C_out, C_in, kh, kw) weight; got x of shape {x.shape} and weight of shape {w.shape}")
    batched = x.ndim == 3
    if not batched:
        x, w = x[None], w[None, None]
    if w.shape[1] != x.shape[0]:
        raise ValueError(f"the weight {w.shape} expects C_in = {w.shape[1]} input channels but x {x.shape} has "
                         f"{x.shape[0]}; the second axis of the weight must match the first axis of x")
    work, out_dtype = work_dtype(x, "conv2d")
    kh, kw = w.shape[-2:]
    for name, v in {"kernel height kh": kh, "kernel width kw": kw, "C_out": w.shape[0], "C_in": w.shape[1]}.items():
        whole_number(v, name, at_least=1)
    s, d = as_pair(stride, "stride"), as_pair(dilation, "dilation")
    pads = resolve_padding(padding, (kh, kw), d, s)
    out_shape = []
    for axis, n, k, s_, p_, d_ in zip(("height", "width"), x.shape[1:], (kh, kw), s, pads, d, strict=True):
        try:
            out_shape.append(conv_output_size(n, k, s_, p_, d_))
        except ValueError as error:
            raise ValueError(f"along the {axis}: {error}") from None
    w = w.astype(work, copy=False)
    if flip:
        w = w[..., ::-1, ::-1]
    xp = pad2d(x.astype(work, copy=False), pads, padding_mode)
    return _Setup(xp, w, s, d, pads, (out_shape[0], out_shape[1]), out_dtype, batched)


# ---- conv2d -----------------------------------------------------------------------------------------------


def _taps(xp: np.ndarray, kernel_size: Pair, s: Pair, d: Pair, out_shape: Pair) -> np.ndarray:
    """View ``T[c, a, b, i, j] = x_p[c, s*i + d*a, s*j + d*b]``: one shifted image per kernel tap, no copy."""
    (kh, kw), (h_out, w_out) = kernel_size, out_shape
    span = (d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1)
    windows = sliding_window_view(xp, span, axis=(1, 2))  # (C, H_p - span_h + 1, W_p - span_w + 1, span_h, span_w)
    windows = windows[:, ::s[0], ::s[1], ::d[0], ::d[1]]  # every s-th window, every d-th pixel in it
    assert windows.shape[1:3] == (h_out, w_out)
    return windows.transpose(0, 3, 4, 1, 2)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, padding_mode="zeros", flip=False) -> np.ndarray:
    """``y[o,i,j] = b[o] + sum_{c,a,b'} w[o,c,a,b'] x_p[c, s i + d a, s j + d b']``, as ``F.conv2d`` computes it."""
    st = _setup(x, weight, stride, padding, dilation, padding_mode, flip)
    c_out, c_in, kh, kw = st.w.shape
    h_out, w_out = st.out_shape
    b = None if bias is None else _bias(bias, c_out, st.batched).astype(st.xp.dtype)
    taps = _taps(st.xp, (kh, kw), st.s, st.d, st.out_shape)
    k = c_in * kh * kw
    w2 = st.w.reshape(c_out, k)
    y = np.empty((c_out, h_out * w_out), st.xp.dtype)
    rows = max(1, _BLOCK_BYTES // (k * w_out * st.xp.itemsize))
    cols = np.empty(k * min(rows, h_out) * w_out, st.xp.dtype)
    for i0 in range(0, h_out, rows):  # blocks of output rows, so that `cols` stays in cache
        i1 = min(h_out, i0 + rows)
        block = cols[: k * (i1 - i0) * w_out].reshape(c_in, kh, kw, i1 - i0, w_out)
        np.copyto(block, taps[..., i0:i1, :])
        np.matmul(w2, block.reshape(k, -1), out=y[:, i0 * w_out: i1 * w_out])
    y = y.reshape(c_out, h_out, w_out)
    if b is not None:
        y += b[:, None, None]
    y = y.astype(st.out_dtype, copy=False)
    return y if st.batched else y[0]


def _bias(bias, c_out: int, batched: bool) -> np.ndarray:
    b = np.asarray(bias, dtype=np.float64)
    if batched and b.shape != (c_out,):
        raise ValueError(f"bias must have one value per output channel, shape ({c_out},); got shape {b.shape}")
    if not batched and b.ndim != 0:
        raise ValueError(f"with a 2-D x and kernel the bias is one number; got shape {b.shape}")
    return b.reshape(-1)


# ---- one output cell, step by step ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ConvStep:
    """Output cell ``(i, j)``: the input under the kernel taps, their products with the kernel, and the sum."""

    window: np.ndarray  # (kh, kw) values of the padded input under the taps
    is_padding: np.ndarray  # (kh, kw) bool: the tap falls in the padding
    rows: np.ndarray  # (kh,) tap rows in the padded input: s*i + d*a
    cols: np.ndarray  # (kw,) tap columns in the padded input: s*j + d*b
    kernel: np.ndarray  # (kh, kw) the kernel as applied (rotated 180° when flip=True)
    products: np.ndarray  # window * kernel
    value: float  # sum of the products = conv2d(...)[i, j]


def conv_step(x, weight, i: int, j: int, stride=1, padding=0, dilation=1, padding_mode="zeros",
              flip=False) -> ConvStep:
    """``y[i, j] = sum_{a,b} w[a, b] x_p[s i + d a, s j + d b]`` for one 2-D cell, every term kept."""
    st = _step_setup(x, weight, stride, padding, dilation, padding_mode, flip)
    h_out, w_out = st.out_shape
    if not (isinstance(i, Integral) and isinstance(j, Integral) and 0 <= i < h_out and 0 <= j < w_out):
        raise ValueError(f"output cell ({i}, {j}) is outside the {h_out}x{w_out} output: i must be in 0..{h_out - 1} "
                         f"and j in 0..{w_out - 1}")
    return _step_at(st, np.shape(x), i, j)


def conv_steps(x, weight, stride=1, padding=0, dilation=1, padding_mode="zeros", flip=False) -> list[ConvStep]:
    """``conv_step`` for every output cell in reading order (cell ``i * W_out + j``), the arguments checked and the
    input padded once rather than once a cell (the step-by-step view draws every cell's frame)."""
    st = _step_setup(x, weight, stride, padding, dilation, padding_mode, flip)
    h_out, w_out = st.out_shape
    return [_step_at(st, np.shape(x), i, j) for i in range(h_out) for j in range(w_out)]


def _step_setup(x, weight, stride, padding, dilation, padding_mode, flip) -> _Setup:
    if np.ndim(x) != 2 or np.ndim(weight) != 2:
        raise ValueError(f"conv_step takes a 2-D x and a 2-D kernel; got x of shape {np.shape(x)} and kernel of "
                         f"shape {np.shape(weight)}")
    return _setup(x, weight, stride, padding, dilation, padding_mode, flip)


def _step_at(st: _Setup, shape: tuple[int, int], i: int, j: int) -> ConvStep:
    w = st.w[0, 0]
    rows = st.s[0] * i + st.d[0] * np.arange(w.shape[0])
    cols = st.s[1] * j + st.d[1] * np.arange(w.shape[1])
    window = st.xp[0][np.ix_(rows, cols)]
    (top, _), (left, _) = st.pads
    h, w_in = shape
    row_pad = (rows < top) | (rows >= top + h)
    col_pad = (cols < left) | (cols >= left + w_in)
    products = window * w
    return ConvStep(window, row_pad[:, None] | col_pad[None, :], rows, cols, np.array(w), products,
                    float(products.sum()))


# ---- kernels ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Kernel:
    """A named image kernel: its weights (read-only float64) and what it does, in one line."""

    weights: np.ndarray
    description: str


def _kernel(rows, description: str, scale: float = 1.0) -> Kernel:
    weights = np.array(rows, dtype=np.float64) * scale
    weights.flags.writeable = False
    return Kernel(weights, description)


_BINOMIAL_3, _BINOMIAL_5 = np.array([1.0, 2.0, 1.0]), np.array([1.0, 4.0, 6.0, 4.0, 1.0])

KERNELS: dict[str, Kernel] = {
    "identity": _kernel([[0, 0, 0], [0, 1, 0], [0, 0, 0]], "Identity: copies each pixel unchanged."),
    "box_blur": _kernel(np.ones((3, 3)), "Box blur: the mean of the 3x3 neighbourhood (all weights 1/9).", 1 / 9),
    "gaussian_blur_3": _kernel(np.outer(_BINOMIAL_3, _BINOMIAL_3),
                               "Gaussian blur 3x3: binomial weights (1 2 1) x (1 2 1) / 16.", 1 / 16),
    "gaussian_blur_5": _kernel(np.outer(_BINOMIAL_5, _BINOMIAL_5),
                               "Gaussian blur 5x5: binomial weights (1 4 6 4 1) x (1 4 6 4 1) / 256.", 1 / 256),
    "sharpen": _kernel([[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
                       "Sharpen: the pixel plus its difference from its four neighbours (weights sum to 1)."),
    "laplacian": _kernel([[0, 1, 0], [1, -4, 1], [0, 1, 0]],
                         "Laplacian (4-neighbour): second derivative, responds to edges in every direction."),
    "sobel_x": _kernel([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
                       "Sobel x: horizontal gradient (right minus left), finds vertical edges."),
    "sobel_y": _kernel([[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
                       "Sobel y: vertical gradient (bottom minus top), finds horizontal edges."),
    "prewitt_x": _kernel([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
                         "Prewitt x: horizontal gradient with equal row weights, finds vertical edges."),
    "prewitt_y": _kernel([[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
                         "Prewitt y: vertical gradient with equal column weights, finds horizontal edges."),
    "emboss": _kernel([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
                      "Emboss: lights one diagonal side of each edge and shades the other (weights sum to 1)."),
    "outline": _kernel([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
                       "Outline (8-neighbour Laplacian): the pixel minus its eight neighbours; flat areas go to 0."),
}
"""Classic image kernels by stable name (used by the page's selectbox, the URL and the tests)."""


# ---- continuous convolution -------------------------------------------------------------------------------


def default_grid(n: int = 801, half_width: float = 4.0) -> np.ndarray:
    """``n`` equally spaced points on ``[-half_width, half_width]`` (n odd puts 0 on the grid)."""
    if n < 2:
        raise ValueError(f"the grid needs at least 2 points, got n={n}")
    if not half_width > 0:
        raise ValueError(f"half_width must be positive, got {half_width}")
    # m * hw / (n - 1) with integer m: points like ±0.5 or ±1 are exact, so jumps of the signals land on the grid
    return half_width * np.arange(-(n - 1), n, 2, dtype=np.float64) / (n - 1)


def _grid_step(t: np.ndarray) -> float:
    """The spacing ``dt`` of a uniform, strictly increasing 1-D grid; ValueError otherwise."""
    if t.ndim != 1 or t.size < 2:
        raise ValueError(f"t must be a 1-D grid of at least 2 points, got shape {t.shape}")
    steps = np.diff(t)
    dt = (t[-1] - t[0]) / (t.size - 1)
    if not dt > 0 or np.any(steps <= 0):
        raise ValueError("t must be strictly increasing")
    if np.max(np.abs(steps - dt)) > 1e-9 * max(dt, np.max(np.abs(t))):
        raise ValueError("t must be uniformly spaced (equal steps, within 1e-9 relative); resample on default_grid")
    return float(dt)


def _lag_samples(g: np.ndarray, t: np.ndarray, dt: float) -> np.ndarray:
    """``g(m dt)`` for the lags ``m = -(n-1) .. n-1``: linear interpolation on the grid, 0 off the grid."""
    n = t.size
    offset = -t[0] / dt  # the grid index of t = 0 (maybe fractional)
    if abs(offset - round(offset)) < 1e-9:  # lags fall on grid points: index, don't interpolate
        o = round(offset)
        h = np.zeros(2 * n - 1)
        lo, hi = max(0, o - (n - 1)), min(n, o + n)  # grid indices reachable as o + m
        h[lo - o + n - 1: hi - o + n - 1] = g[lo:hi]
        return h
    return np.interp(dt * np.arange(-(n - 1), n), t, g, left=0.0, right=0.0)


def convolve_continuous(f, g, t, flip: bool = True) -> np.ndarray:
    """``(f*g)(t) = ∫ f(τ) g(t-τ) dτ`` (flip=False: ``∫ f(τ) g(τ-t) dτ``) by the trapezoid rule on the grid ``t``."""
    t = np.asarray(t, dtype=np.float64)
    f, g = np.asarray(f, dtype=np.float64), np.asarray(g, dtype=np.float64)
    dt = _grid_step(t)
    if f.shape != t.shape or g.shape != t.shape:
        raise ValueError(f"f, g and t must have the same length; got {f.shape}, {g.shape} and {t.shape}")
    n = t.size
    h = _lag_samples(g, t, dt)  # h[m + n - 1] = g(m dt)
    if not flip:
        h = h[::-1]  # g(τ - t) = g(-(t - τ))
    trapezoid = np.full(n, dt)
    trapezoid[[0, -1]] = dt / 2
    # result[i] = sum_j dt_j f(τ_j) g(t_i - τ_j) and t_i - τ_j = (i - j) dt: a discrete convolution
    return np.convolve(f * trapezoid, h)[n - 1: 2 * n - 1]


def shifted_kernel(g, t, shift: float, flip: bool = True) -> np.ndarray:
    """Samples of ``g(shift - τ)`` (flip=False: ``g(τ - shift)``) on the grid ``t``, 0 off the grid."""
    t = np.asarray(t, dtype=np.float64)
    dt = _grid_step(t)
    g = np.asarray(g, dtype=np.float64)
    if g.shape != t.shape:
        raise ValueError(f"g and t must have the same length; got {g.shape} and {t.shape}")
    where = shift - t if flip else t - shift
    for end in (t[0], t[-1]):  # on the grid's end up to rounding counts as on the grid, as in convolve_continuous
        where[np.abs(where - end) < 1e-9 * dt] = end
    return np.interp(where, t, g, left=0.0, right=0.0)


@dataclass(frozen=True)
class Signal:
    """A named signal: a vectorised function of ``t`` and what it is, in one line."""

    fn: Callable[[np.ndarray], np.ndarray]
    description: str


def _rectangle(t):
    return np.heaviside(0.5 - np.abs(t), 0.5)


def _triangle(t):
    return np.clip(1.0 - np.abs(t), 0.0, None)


def _gaussian(t):
    return np.exp(-np.square(t) / 2) / np.sqrt(2 * np.pi)


def _exponential_decay(t):
    return np.heaviside(t, 0.5) * np.exp(-np.maximum(t, 0.0))


def _step(t):
    return np.heaviside(t, 0.5)


def _sine_burst(t):
    return np.where(np.abs(t) <= 1, np.sin(2 * np.pi * 2 * np.asarray(t, dtype=np.float64)), 0.0)


SIGNALS: dict[str, Signal] = {
    "rectangle": Signal(_rectangle, "Rectangle: 1 on |t| < 1/2, 0 outside (1/2 on the jumps)."),
    "triangle": Signal(_triangle, "Triangle: 1 - |t| on |t| <= 1, 0 elsewhere."),
    "gaussian": Signal(_gaussian, "Gaussian: the standard normal density, sigma = 1."),
    "exponential_decay": Signal(_exponential_decay, "Exponential decay: e^(-t) for t > 0, 0 before (1/2 at t = 0)."),
    "step": Signal(_step, "Step: 0 before t = 0, 1 after (1/2 at t = 0)."),
    "sine_burst": Signal(_sine_burst, "Sine burst: sin(2π·2t) on |t| <= 1 (two periods each side), 0 elsewhere."),
}
"""Continuous signals by stable name (selectbox, URL and tests use the same names).

At a jump a signal takes the midpoint of the jump (``np.heaviside(t, 0.5)``): on a grid that has the jump on it,
the trapezoid rule is then exact for one jump, where the value 1 would add ``dt/2`` of area per jump.
"""
