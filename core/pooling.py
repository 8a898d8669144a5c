"""Pooling: what ``torch.nn.functional.max_pool2d`` and ``avg_pool2d`` compute, written out in NumPy.

A pooling layer slides a ``kh x kw`` window over each channel with stride ``s`` and keeps one number per stop:
the largest value (max pooling) or the mean (average pooling). With padding ``p``::

    max:  y[c, i, j] = max_{a, b} x_p[c, s*i + a, s*j + b]          (x_p padded with -inf: padding never wins)
    avg:  y[c, i, j] = sum_{a, b} x_p[c, s*i + a, s*j + b] / count  (x_p padded with 0, count = kh*kw)

Output size along one axis: ``floor((n + 2p - k) / s) + 1``; ``ceil_mode=True`` rounds up instead, but drops a
last window that would start past the input (in the right padding). A ceil-mode window may hang past the padded
input: max ignores those cells, avg leaves them out of ``count`` (torch's ``count_include_pad=True`` counts the
padding, not the overhang). Torch refuses ``p > k // 2`` (a window could then lie entirely in the padding), and
so does ``pool2d``, with a ValueError.

How ``pool2d`` computes it: both reductions split into rows then columns (the max of a window is the max over
its rows of the max over its columns, and likewise for sums), so the padded input is combined ``kh`` strided
row-views at a time (``combine(x_p[:, s*i + a, :])``, whole rows, contiguous), then ``kw`` strided column-views
of that: ``kh + kw`` whole-array operations, never a Python loop over output cells.

Why this one (``python bench/pool.py --alternatives``: 2 CPU cores, float32, stride = size, median times, each
block of runs after a pause, torch 2.13 with its default 2 threads in the same run): 0.6-1.1 ms on 1024² and on
16x256² with 2x2 and 3x3 windows, where torch takes 3-8 ms for max and 1.4-2.8 ms for avg. The alternatives:

* a loop over the ``kh*kw`` window offsets (``np.maximum(y, x_p[:, a::s, b::s], out=y)``): a tie for 2x2 (4
  passes either way), 1.4-1.6x slower for 3x3 (9 strided passes instead of 3 + 3);
* the reshape trick when the stride equals the size (``x.reshape(C, H/k, k, W/k, k).max(axis=(2, 4))``):
  15-30x slower (NumPy reduces the small inner axes element by element); reducing one axis at a time: 6-15x;
* ``sliding_window_view(...)[:, ::s, ::s].max(axis=(-2, -1))``: 12-30x slower, for the same reason.

``return_indices=True`` follows torch's own loop instead, one window offset at a time in row-major order: a
cell takes over when it is larger than the best so far or is NaN, so ties go to the first maximum and NaN to the
last NaN, and a window of -inf names its first cell inside the input.

``shift_curve`` measures what pooling is for: how much a feature map (``feature_map``, conv then ReLU) changes when
the input moves a few pixels to the right, against how much its max- and avg-pooled maps change
(``relative_change``, ``‖b − a‖ / ‖a‖``).
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np

from core.arguments import Pair, as_pair, whole_number, work_dtype
from core.conv import conv2d


@dataclass(frozen=True)
class PoolMode:
    """A pooling mode: the ufunc that combines two values, what padding counts as, the formula and a description."""

    combine: np.ufunc  # np.maximum or np.add: both reduce rows first, then columns
    pad_value: float  # -inf for max (never wins), 0 for avg (adds nothing but is counted)
    formula: str
    description: str


POOL_MODES: dict[str, PoolMode] = {
    "max": PoolMode(np.maximum, -np.inf, "y[i,j] = max_{a,b} x_p[s i + a, s j + b]",
                    "Max pooling: the largest value under the window; padding never wins."),
    "avg": PoolMode(np.add, 0.0, "y[i,j] = (1/count) sum_{a,b} x_p[s i + a, s j + b]",
                    "Average pooling: the mean under the window; padded zeros are counted (PyTorch's default)."),
}
"""Pooling modes by stable name (selectbox, URL and tests use the same names)."""


# ---- output size ------------------------------------------------------------------------------------------


def pool_output_size(n: int, size: int, stride: int | None = None, padding: int = 0, ceil_mode: bool = False) -> int:
    """``floor((n + 2p - k) / s) + 1`` (ceil_mode: ``ceil``, minus a last window starting past ``n + p``)."""
    n = whole_number(n, "input size n", at_least=1)
    k = whole_number(size, "window size k", at_least=1)
    s = k if stride is None else whole_number(stride, "stride s", at_least=1)
    p = whole_number(padding, "padding p", at_least=0)
    if p > k // 2:
        raise ValueError(f"padding p={p} is more than half the window size k={k} (PyTorch allows p <= k // 2 = "
                         f"{k // 2}): a window could then cover nothing but padding; use less padding or a larger "
                         "window")
    out = (n + 2 * p - k + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1  # that last window would start in the right padding: torch drops it
    if out < 1:
        raise ValueError(f"the {k}-wide window does not fit in the padded input (n + 2p = {n + 2 * p}), so there is "
                         f"no output; use a smaller window, more padding{'' if ceil_mode else ' or ceil_mode'}")
    return out


@dataclass(frozen=True)
class _Setup:
    """Everything ``pool2d`` and ``pool_step`` agree on: the padded input, k, s, p and the sizes."""

    xp: np.ndarray  # (C, H + 2p + overhang, W + 2p + overhang) in the working dtype, padded with the mode's value
    k: Pair
    s: Pair
    p: Pair
    in_shape: Pair  # (H, W)
    out_shape: Pair
    out_dtype: np.dtype
    batched: bool  # x came as (C, H, W)


def _setup(x, size, stride, padding, mode, ceil_mode) -> _Setup:
    if mode not in POOL_MODES:
        raise ValueError(f"mode must be one of {', '.join(POOL_MODES)}, got {mode!r}")
    x = np.asarray(x)
    if x.ndim not in (2, 3) or 0 in x.shape:
        raise ValueError(f"pooling takes x of shape (H, W) or (C, H, W) with no empty axis; got shape {x.shape}")
    work, out_dtype = work_dtype(x, "pooling")
    batched = x.ndim == 3
    if not batched:
        x = x[None]
    k = as_pair(size, "size")
    s = k if stride is None else as_pair(stride, "stride")
    p = as_pair(padding, "padding")
    out_shape, after = [], []
    for axis, n, k_, s_, p_ in zip(("height", "width"), x.shape[1:], k, s, p, strict=True):
        try:
            out_shape.append(pool_output_size(n, k_, s_, p_, ceil_mode))
        except ValueError as error:
            raise ValueError(f"along the {axis}: {error}") from None
        after.append(p_ + max(0, (out_shape[-1] - 1) * s_ + k_ - (n + 2 * p_)))  # ceil mode: the overhang too
    xp = x.astype(work, copy=False)
    if any(p) or any(after):
        xp = np.pad(xp, ((0, 0), (p[0], after[0]), (p[1], after[1])), constant_values=POOL_MODES[mode].pad_value)
    return _Setup(xp, k, s, p, (x.shape[1], x.shape[2]), (out_shape[0], out_shape[1]), out_dtype, batched)


# ---- pool2d -----------------------------------------------------------------------------------------------


def _shifted(xp: np.ndarray, a: int, s: int, n_out: int, axis: int) -> np.ndarray:
    """View ``xp[.., s*i + a, ..]`` for ``i = 0 .. n_out - 1`` along ``axis``."""
    index = [slice(None)] * xp.ndim
    index[axis] = slice(a, a + s * (n_out - 1) + 1, s)
    return xp[tuple(index)]


def _along(xp: np.ndarray, k: int, s: int, n_out: int, axis: int, combine: np.ufunc) -> np.ndarray:
    """``r[.., i, ..] = combine_{a < k} xp[.., s*i + a, ..]`` along ``axis``: k - 1 whole-array operations."""
    if k == 1:
        return _shifted(xp, 0, s, n_out, axis).copy()  # a new array: avg divides it in place
    r = combine(_shifted(xp, 0, s, n_out, axis), _shifted(xp, 1, s, n_out, axis))
    for a in range(2, k):
        combine(r, _shifted(xp, a, s, n_out, axis), out=r)
    return r


def _rows_then_columns(xp: np.ndarray, k: Pair, s: Pair, out_shape: Pair, combine: np.ufunc) -> np.ndarray:
    """``combine`` over the ``kh`` rows of each window, then over its ``kw`` columns: ``kh + kw`` whole-array ops."""
    return _along(_along(xp, k[0], s[0], out_shape[0], 1, combine), k[1], s[1], out_shape[1], 2, combine)


def _counts(st: _Setup) -> np.ndarray | np.floating:
    """avg's divisor per output cell: the window's cells inside the padded input (padding counted, overhang not)."""
    rows, cols = (np.minimum(s * np.arange(n_out) + k, n + 2 * p) - s * np.arange(n_out)
                  for s, n_out, k, n, p in zip(st.s, st.out_shape, st.k, st.in_shape, st.p, strict=True))
    if rows.min() == rows.max() and cols.min() == cols.max():
        return st.xp.dtype.type(rows[0] * cols[0])  # no overhang: one number, and no big array to allocate
    return np.multiply.outer(rows.astype(st.xp.dtype), cols.astype(st.xp.dtype))


def _max_with_indices(st: _Setup) -> tuple[np.ndarray, np.ndarray]:
    """torch's loop over window offsets, row-major: a cell takes over if it beats the best so far or is NaN."""
    (kh, kw), (sh, sw), (ph, pw), (h_out, w_out), w = st.k, st.s, st.p, st.out_shape, st.in_shape[1]
    top, left = sh * np.arange(h_out) - ph, sw * np.arange(w_out) - pw  # window corners in the unpadded input
    shape = (st.xp.shape[0], h_out, w_out)
    # torch starts from the window's first cell inside the input, so an all -inf window names a real cell
    idx = np.broadcast_to(np.maximum(top, 0)[:, None] * w + np.maximum(left, 0)[None, :], shape).copy()
    best = np.full(shape, -np.inf, st.xp.dtype)
    corner = top[:, None] * w + left[None, :]
    for a in range(kh):
        rows = _shifted(st.xp, a, sh, h_out, 1)
        for b in range(kw):
            v = _shifted(rows, b, sw, w_out, 2)
            wins = (v > best) | np.isnan(v)  # padding is -inf: it never beats the starting -inf
            np.copyto(best, v, where=wins)
            np.copyto(idx, np.broadcast_to(corner + (a * w + b), shape), where=wins)
    return best, idx


def pool2d(x, size, stride=None, padding=0, mode="max", ceil_mode=False, return_indices=False):
    """Max: ``y[c,i,j] = max_{a,b} x_p[c, s i + a, s j + b]``; avg: the sum over that window / count, as torch."""
    st = _setup(x, size, stride, padding, mode, ceil_mode)

    def shaped(y: np.ndarray) -> np.ndarray:
        return y if st.batched else y[0]

    if return_indices:
        if mode != "max":
            raise ValueError(f"return_indices=True needs mode='max' (only max pooling picks a winner), got {mode!r}")
        y, idx = _max_with_indices(st)
        return shaped(y.astype(st.out_dtype, copy=False)), shaped(idx)
    y = _rows_then_columns(st.xp, st.k, st.s, st.out_shape, POOL_MODES[mode].combine)
    if mode == "avg":
        y /= _counts(st)
    return shaped(y.astype(st.out_dtype, copy=False))


def global_avg_pool(x) -> np.ndarray:
    """``g[c] = (1 / HW) sum_{h,w} x[c, h, w]``: one number per channel, (C, H, W) -> (C,), (N, C, H, W) -> (N, C)."""
    x = np.asarray(x)
    if x.ndim not in (3, 4) or 0 in x.shape:
        raise ValueError(f"global_avg_pool takes x of shape (C, H, W) or (N, C, H, W) with no empty axis; got shape "
                         f"{x.shape}")
    work, out_dtype = work_dtype(x, "pooling")
    return x.astype(work, copy=False).mean(axis=(-2, -1)).astype(out_dtype, copy=False)


# ---- one output cell, step by step ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PoolStep:
    """Output cell ``(i, j)``: the window, which cells are padding, and the max (its winner) or the sum and count."""

    window: np.ndarray  # (kh, kw) padded input under the window; padding (and ceil-mode overhang) shown as 0
    is_padding: np.ndarray  # (kh, kw) bool: the cell is padding or overhang, not part of x
    is_overhang: np.ndarray  # (kh, kw) bool: ceil mode only, past the padded input; avg leaves it out of count
    rows: np.ndarray  # (kh,) rows in the padded input: s*i + a
    cols: np.ndarray  # (kw,) columns in the padded input: s*j + b
    winner: tuple[int, int] | None  # max: (a, b) in the window of the first largest value of x (torch's); else None
    total: float | None  # avg: sum of the window
    count: int | None  # avg: the divisor, the window's cells inside the padded input
    value: float  # = pool2d(...)[i, j]


def pool_step(x, size, stride, padding, i: int, j: int, mode: str, ceil_mode: bool = False) -> PoolStep:
    """``y[i, j] = max_{a,b} x_p[s i + a, s j + b]`` or ``sum_{a,b} x_p[s i + a, s j + b] / count``, kept apart."""
    if np.ndim(x) != 2:
        raise ValueError(f"pool_step takes a 2-D x, got shape {np.shape(x)}")
    st = _setup(x, size, stride, padding, mode, ceil_mode)
    h_out, w_out = st.out_shape
    if not (isinstance(i, Integral) and isinstance(j, Integral) and 0 <= i < h_out and 0 <= j < w_out):
        raise ValueError(f"output cell ({i}, {j}) is outside the {h_out}x{w_out} output: i must be in 0..{h_out - 1} "
                         f"and j in 0..{w_out - 1}")
    (kh, kw), (sh, sw), (ph, pw), (h, w) = st.k, st.s, st.p, st.in_shape
    rows, cols = sh * i + np.arange(kh), sw * j + np.arange(kw)
    raw = st.xp[0][np.ix_(rows, cols)]
    is_padding = ((rows < ph) | (rows >= ph + h))[:, None] | ((cols < pw) | (cols >= pw + w))[None, :]
    is_overhang = (rows >= h + 2 * ph)[:, None] | (cols >= w + 2 * pw)[None, :]
    window = np.where(is_padding, 0.0, raw).astype(st.xp.dtype)
    if mode == "max":
        nan = np.flatnonzero(np.isnan(raw))
        # torch: the last NaN, else the first maximum among the cells of x
        flat = nan[-1] if nan.size else np.flatnonzero(~is_padding & (raw == raw[~is_padding].max()))[0]
        a, b = divmod(int(flat), kw)
        return PoolStep(window, is_padding, is_overhang, rows, cols, (a, b), None, None, float(raw[a, b]))
    total = window.sum()
    count = int(np.count_nonzero(~is_overhang))
    return PoolStep(window, is_padding, is_overhang, rows, cols, None, float(total), count,
                    float(total / st.xp.dtype.type(count)))


# ---- a small shift of the input, before and after pooling -------------------------------------------------


def relative_change(a: np.ndarray, b: np.ndarray) -> float:
    """``‖b − a‖ / ‖a‖`` (Frobenius norms); 0 when both are zero."""
    norm = float(np.linalg.norm(a))
    return float(np.linalg.norm(b - a)) / norm if norm else 0.0


def feature_map(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The usual CNN block before pooling: ``relu(conv2d(x, w))`` with "same" padding, for a 2-D ``x`` and ``w``."""
    return np.maximum(conv2d(x, w, padding="same"), 0.0)


def shift_curve(x: np.ndarray, w: np.ndarray, shifts: range, size: int) -> dict[str, list[float]]:
    """For each right-shift s: ``relative_change`` of the feature map, and of its max- and avg-pooled maps
    (``size`` × ``size`` windows, stride ``size``).

    The shifted input is compared on the same canvas as the original (the pixels shifted in are zeros).
    """
    from core.images import shift_image  # here, not at the top: core.images loads Pillow and scikit-learn

    base = feature_map(x, w)
    pooled = {mode: pool2d(base, size, mode=mode) for mode in ("max", "avg")}
    curve: dict[str, list[float]] = {"feature": [], "max": [], "avg": []}
    for s in shifts:
        moved = feature_map(shift_image(x, 0, s), w)
        curve["feature"].append(relative_change(base, moved))
        for mode in ("max", "avg"):
            curve[mode].append(relative_change(pooled[mode], pool2d(moved, size, mode=mode)))
    return curve
