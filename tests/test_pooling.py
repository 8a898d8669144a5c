"""core.pooling against torch (F.max_pool2d with indices, F.avg_pool2d, adaptive_avg_pool2d, and conv + relu before
pooling for the shift measurement), float64."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from core.pooling import (
    POOL_MODES,
    feature_map,
    global_avg_pool,
    pool2d,
    pool_output_size,
    pool_step,
    relative_change,
    shift_curve,
)

TORCH_REFUSES = (RuntimeError, ValueError)


def torch_pool(x, size, stride=None, padding=0, ceil_mode=False):
    """(max, argmax, avg) from torch in float64 for x of shape (H, W) or (C, H, W), as numpy arrays."""
    xt = torch.from_numpy(np.asarray(x, dtype=np.float64))
    xt = xt[None] if xt.ndim == 2 else xt
    y_max, idx = F.max_pool2d(xt, size, stride, padding, ceil_mode=ceil_mode, return_indices=True)
    y_avg = F.avg_pool2d(xt, size, stride, padding, ceil_mode=ceil_mode)
    if np.ndim(x) == 2:
        y_max, idx, y_avg = y_max[0], idx[0], y_avg[0]
    return y_max.numpy(), idx.numpy(), y_avg.numpy()


def check_against_torch(x, size, stride=None, padding=0, ceil_mode=False, indices=True):
    """Core equals torch where torch computes it (max and its indices exactly), and raises ValueError where not."""
    try:
        y_max, idx, y_avg = torch_pool(x, size, stride, padding, ceil_mode)
    except TORCH_REFUSES:
        for mode in POOL_MODES:
            with pytest.raises(ValueError):
                pool2d(x, size, stride, padding, mode, ceil_mode)
        return False
    got_max = pool2d(x, size, stride, padding, "max", ceil_mode)
    assert got_max.shape == y_max.shape
    np.testing.assert_array_equal(got_max, y_max)
    got_max, got_idx = pool2d(x, size, stride, padding, "max", ceil_mode, return_indices=True)
    np.testing.assert_array_equal(got_max, y_max)
    assert got_idx.dtype == np.int64
    if indices:
        np.testing.assert_array_equal(got_idx, idx)
    got_avg = pool2d(x, size, stride, padding, "avg", ceil_mode)
    assert got_avg.shape == y_avg.shape
    np.testing.assert_allclose(got_avg, y_avg, rtol=0, atol=1e-12)
    return True


def distinct(shape, seed=0):
    """A random permutation of 0, 1, 2, ...: no ties, so the winner (and its index) is unique."""
    return np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape).astype(np.float64)


# ---- pool2d against torch -----------------------------------------------------------------------------------

DEFAULT = dict(c=2, h=9, w=11, size=2, stride=None, padding=0, ceil_mode=False)
CHANGES = [
    {},
    {"size": 1}, {"size": 3}, {"size": 4}, {"size": 5}, {"size": (2, 3)}, {"size": (5, 1)},
    {"stride": 1}, {"stride": 2}, {"stride": 3}, {"stride": 5}, {"stride": (1, 3)},
    {"size": 3, "padding": 1}, {"size": 4, "padding": 2}, {"size": (3, 5), "padding": (1, 2)},
    {"size": 5, "padding": (0, 2)},
    {"ceil_mode": True}, {"ceil_mode": True, "size": 3}, {"ceil_mode": True, "size": 3, "stride": 2, "padding": 1},
    {"ceil_mode": True, "size": 4, "stride": 3, "padding": 2}, {"ceil_mode": True, "size": (3, 2), "stride": (4, 5)},
    {"c": 1}, {"c": 4}, {"c": None}, {"c": None, "size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"h": 1, "w": 1, "size": 1}, {"h": 1, "w": 7, "size": (1, 3)},
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "default")
def test_pool2d_equals_torch_one_change_at_a_time(change):
    case = {**DEFAULT, **change}
    shape = (case["h"], case["w"]) if case["c"] is None else (case["c"], case["h"], case["w"])
    x = distinct(shape)
    assert check_against_torch(x, case["size"], case["stride"], case["padding"], case["ceil_mode"])


def int_or_pair(lo, hi):
    return st.one_of(st.integers(lo, hi), st.tuples(st.integers(lo, hi), st.integers(lo, hi)))


@settings(max_examples=400, deadline=None)
@given(c=st.integers(1, 4), h=st.integers(1, 14), w=st.integers(1, 14), size=int_or_pair(1, 5),
       stride=st.one_of(st.none(), int_or_pair(1, 5)), padding=int_or_pair(0, 3), ceil_mode=st.booleans(),
       two_d=st.booleans(), seed=st.integers(0, 2**16))
def test_pool2d_equals_torch_property(c, h, w, size, stride, padding, ceil_mode, two_d, seed):
    """Padding up to 3 for sizes from 1: some combinations are refused, and core must refuse exactly those."""
    x = distinct((h, w) if two_d else (c, h, w), seed)
    check_against_torch(x, size, stride, padding, ceil_mode)


@settings(max_examples=150, deadline=None)
@given(h=st.integers(1, 10), w=st.integers(1, 10), size=int_or_pair(1, 4), stride=int_or_pair(1, 4),
       padding=st.integers(0, 2), ceil_mode=st.booleans(), levels=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_ties_go_to_the_first_maximum_in_row_major_order_as_in_torch(h, w, size, stride, padding, ceil_mode,
                                                                     levels, seed):
    x = np.random.default_rng(seed).integers(0, levels, (2, h, w)).astype(np.float64)  # many equal values
    check_against_torch(x, size, stride, padding, ceil_mode)


def test_ties_by_hand():
    x = np.array([[3.0, 1.0, 3.0, 3.0]])
    y, idx = pool2d(x, (1, 2), stride=1, padding=(0, 1), return_indices=True)
    np.testing.assert_array_equal(y, [[3.0, 3.0, 3.0, 3.0, 3.0]])
    np.testing.assert_array_equal(idx, [[0, 0, 2, 2, 3]])  # the first 3 of each window
    square = np.array([[0.0, 5.0], [5.0, 0.0]])
    assert pool2d(square, 2, return_indices=True)[1][0, 0] == 1  # row-major: (0, 1) comes before (1, 0)
    np.testing.assert_array_equal(pool2d(square, 2, return_indices=True)[1], torch_pool(square, 2)[1])


def test_nan_and_minus_infinity_follow_torch():
    nan, inf = np.nan, np.inf
    x = np.array([[1.0, nan, nan, 0.0]])
    y, idx = pool2d(x, (1, 4), return_indices=True)
    t_max, t_idx, _ = torch_pool(x, (1, 4))
    np.testing.assert_array_equal(y, t_max)  # NaN wins the max
    np.testing.assert_array_equal(idx, t_idx)  # torch names the last NaN
    assert np.isnan(pool2d(x, (1, 4))[0, 0])
    minus = np.full((1, 3), -inf)
    y, idx = pool2d(minus, (1, 3), stride=1, padding=(0, 1), return_indices=True)
    t_max, t_idx, _ = torch_pool(minus, (1, 3), 1, (0, 1))
    np.testing.assert_array_equal(y, t_max)
    np.testing.assert_array_equal(idx, t_idx)  # a window of -inf names its first cell of x, never the padding


def test_avg_counts_padding_but_not_the_ceil_mode_overhang():
    x = np.arange(1.0, 6.0)[None]  # one row: 1 2 3 4 5
    np.testing.assert_allclose(pool2d(x, (1, 2), ceil_mode=True, mode="avg"), [[1.5, 3.5, 5.0]])  # 5 / 1
    np.testing.assert_allclose(pool2d(x, (1, 3), (1, 2), (0, 1), "avg", ceil_mode=True), [[1.0, 3.0, 3.0]])  # (4+5+0)/3
    np.testing.assert_allclose(pool2d(x, (1, 3), (1, 3), (0, 1), "avg", ceil_mode=True), [[1.0, 4.0]])
    assert check_against_torch(x, (1, 2), ceil_mode=True)
    one = np.array([[7.0]])  # ceil mode lets a 3x3 window with stride 4 pool a single pixel, as torch does
    assert check_against_torch(one, 3, 4, ceil_mode=True)
    assert pool2d(one, 3, 4, mode="avg", ceil_mode=True)[0, 0] == 7.0


def test_large_input_and_float32_match_torch():
    x = distinct((3, 67, 81), seed=5)
    assert check_against_torch(x, 3, 2, 1, ceil_mode=True)
    x32 = np.random.default_rng(6).standard_normal((3, 64, 48)).astype(np.float32)
    xt = torch.from_numpy(x32)
    np.testing.assert_array_equal(pool2d(x32, 3, 2, 1), F.max_pool2d(xt, 3, 2, 1).numpy())
    np.testing.assert_allclose(pool2d(x32, 3, 2, 1, "avg"), F.avg_pool2d(xt, 3, 2, 1).numpy(), rtol=1e-6, atol=1e-6)


def test_the_input_is_left_as_it_was():
    x = distinct((2, 5, 6))
    before = x.copy()
    for mode in POOL_MODES:
        pool2d(x, 1, mode=mode)  # size 1: the one case without any arithmetic on a new array
        pool2d(x, 3, 1, 1, mode=mode, ceil_mode=True)
    pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize(("dtype", "expected"), [(np.float32, np.float32), (np.float64, np.float64),
                                                 (np.float16, np.float16), (np.int64, np.float64),
                                                 (np.uint8, np.float64), (bool, np.float64)])
def test_result_keeps_the_input_float_dtype(dtype, expected):
    x = (np.arange(30).reshape(5, 6) % 7).astype(dtype)
    for mode in POOL_MODES:
        assert pool2d(x, 2, 1, 1, mode).dtype == expected
        assert pool2d(x[None], 3, ceil_mode=True, mode=mode).dtype == expected
    y, idx = pool2d(x, 2, return_indices=True)
    assert y.dtype == expected and idx.dtype == np.int64
    assert global_avg_pool(x[None]).dtype == expected


# ---- invalid arguments --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"stride": 0}, "stride s must be at least 1"),
    ({"stride": (1, -1)}, "stride s must be at least 1"),
    ({"size": 0}, "window size k must be at least 1"),
    ({"size": 3, "padding": 2}, "more than half the window"),
    ({"size": (2, 3), "padding": (1, 2)}, "along the width: padding p=2"),
    ({"padding": -1}, "padding p must be 0 or more"),
    ({"size": 6}, "does not fit"),
    ({"size": (1, 7), "stride": 1}, "along the width: the 7-wide window"),
])
def test_invalid_arguments_raise_value_error_where_torch_raises(kwargs, match):
    x = distinct((1, 5, 5))
    with pytest.raises(TORCH_REFUSES):
        torch_pool(x, kwargs.get("size", 2), kwargs.get("stride"), kwargs.get("padding", 0))
    for mode in POOL_MODES:
        with pytest.raises(ValueError, match=match):
            pool2d(x, **{"size": 2, **kwargs}, mode=mode)


@pytest.mark.parametrize(("args", "kwargs", "match"), [
    ((np.ones((4, 4)), 2), {"mode": "min"}, "mode must be one of max, avg"),
    ((np.ones((4, 4)), 2), {"mode": "avg", "return_indices": True}, "needs mode='max'"),
    ((np.ones(4), 2), {}, r"\(H, W\) or \(C, H, W\)"),
    ((np.ones((1, 1, 4, 4)), 2), {}, r"\(H, W\) or \(C, H, W\)"),
    ((np.ones((0, 4, 4)), 2), {}, "no empty axis"),
    ((np.ones((4, 4), dtype=complex), 2), {}, "real numbers"),
    ((np.array([["a", "b"]]), 1), {}, "real numbers"),
    ((np.ones((4, 4)), 2.0), {}, "size must be an int or a pair"),
    ((np.ones((4, 4)), (2, 2, 2)), {}, "size must be an int or a pair"),
    ((np.ones((4, 4)), True), {}, "size must be an int or a pair"),
    ((np.ones((4, 4)), 2), {"padding": "same"}, "padding must be an int or a pair"),
])
def test_invalid_inputs_raise_value_error(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        pool2d(*args, **kwargs)


# ---- output size --------------------------------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(n=st.integers(1, 40), k=st.integers(1, 9), s=st.one_of(st.none(), st.integers(1, 6)), p=st.integers(0, 5),
       ceil_mode=st.booleans())
def test_pool_output_size_equals_the_shape_torch_returns(n, k, s, p, ceil_mode):
    try:
        shape = F.max_pool2d(torch.zeros(1, 1, n, 1), (k, 1), None if s is None else (s, 1), (p, 0),
                             ceil_mode=ceil_mode).shape
    except RuntimeError:
        with pytest.raises(ValueError):
            pool_output_size(n, k, s, p, ceil_mode)
        return
    assert pool_output_size(n, k, s, p, ceil_mode) == shape[2]


@pytest.mark.parametrize(("args", "match"), [
    ((0, 2), "input size n must be at least 1"), ((5, 0), "window size k must be at least 1"),
    ((5, 2, 0), "stride s must be at least 1"), ((5, 2, 2, -1), "padding p must be 0 or more"),
    ((5, 3, 1, 2), r"PyTorch allows p <= k // 2 = 1"), ((2, 3), "does not fit"), ((2, 5, 1, 1), "does not fit"),
    ((5.0, 2), "whole number"), ((5, 2, 1, 0.5), "whole number"), ((5, True), "whole number"),
])
def test_pool_output_size_rejects_invalid_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        pool_output_size(*args)


def test_pool_output_size_by_hand():
    assert pool_output_size(28, 2) == 14
    assert pool_output_size(7, 2) == 3 and pool_output_size(7, 2, ceil_mode=True) == 4
    assert pool_output_size(5, 3, 2, 1) == 3
    assert pool_output_size(6, 2, 3, 1, ceil_mode=True) == 3  # ceil(5/3) + 1 = 3: the 3rd window starts at 6 < 7
    assert pool_output_size(5, 2, 3, 1, ceil_mode=True) == 2  # ceil(4/3) + 1 = 3, but it would start at 6 >= 6
    assert pool_output_size(1, 3, 4, ceil_mode=True) == 1


# ---- one output cell, step by step ----------------------------------------------------------------------------

X25 = np.arange(1.0, 26.0).reshape(5, 5)


def test_pool_step_by_hand_max_with_padding():
    # padded input 7x7 (x in rows and columns 1..5), 3x3 windows at 2i, 2j; the output is 3x3
    step = pool_step(X25, 3, 2, 1, 0, 2, "max")
    np.testing.assert_array_equal(step.rows, [0, 1, 2])
    np.testing.assert_array_equal(step.cols, [4, 5, 6])
    np.testing.assert_array_equal(step.window, [[0, 0, 0], [4, 5, 0], [9, 10, 0]])
    np.testing.assert_array_equal(step.is_padding, [[True] * 3, [False, False, True], [False, False, True]])
    assert not step.is_overhang.any()
    assert step.winner == (2, 1) and step.value == 10.0
    assert step.total is None and step.count is None


def test_pool_step_by_hand_avg_with_ceil_mode_overhang():
    # size 2, stride 2, ceil mode: 3x3 output, the last row and column of windows hang past the 5x5 input
    step = pool_step(X25, 2, 2, 0, 2, 1, "avg", ceil_mode=True)
    np.testing.assert_array_equal(step.rows, [4, 5])
    np.testing.assert_array_equal(step.cols, [2, 3])
    np.testing.assert_array_equal(step.window, [[23, 24], [0, 0]])
    np.testing.assert_array_equal(step.is_overhang, [[False, False], [True, True]])
    np.testing.assert_array_equal(step.is_padding, step.is_overhang)
    assert (step.total, step.count, step.value, step.winner) == (47.0, 2, 23.5, None)
    padded = pool_step(X25, 3, 2, 1, 0, 0, "avg")
    assert (padded.total, padded.count) == (1 + 2 + 6 + 7, 9)  # padding is counted


@pytest.mark.parametrize("mode", list(POOL_MODES))
@pytest.mark.parametrize(("size", "stride", "padding", "ceil_mode"), [
    (2, None, 0, False), (3, 1, 1, False), ((2, 3), (1, 2), (1, 1), False), (3, 2, 1, True), (2, 3, 1, True),
    ((4, 3), (3, 4), (2, 0), True), (5, 5, 2, True),
])
def test_pool_step_value_equals_pool2d_in_every_cell(mode, size, stride, padding, ceil_mode):
    x = distinct((7, 8), seed=9) - 30.0  # negative values too: padding must not win the max
    y = pool2d(x, size, stride, padding, mode, ceil_mode)
    idx = pool2d(x, size, stride, padding, "max", ceil_mode, return_indices=True)[1]
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    for i in range(y.shape[0]):
        for j in range(y.shape[1]):
            step = pool_step(x, size, stride, padding, i, j, mode, ceil_mode)
            assert step.value == pytest.approx(y[i, j], rel=1e-12, abs=1e-12)
            inside = ~step.is_padding
            r, c = np.meshgrid(step.rows - ph, step.cols - pw, indexing="ij")
            np.testing.assert_array_equal(step.window[inside], x[r[inside], c[inside]])
            assert np.all(step.window[step.is_padding] == 0)
            if mode == "max":
                a, b = step.winner
                assert (step.rows[a] - ph) * x.shape[1] + step.cols[b] - pw == idx[i, j]
                assert step.window[a, b] == step.value
            else:
                assert step.value == pytest.approx(step.total / step.count, rel=1e-15)


def test_pool_step_rejects_cells_outside_the_output():
    with pytest.raises(ValueError, match="outside the 2x2 output"):
        pool_step(X25, 2, 2, 0, 2, 0, "max")
    with pytest.raises(ValueError, match="2-D"):
        pool_step(X25[None], 2, 2, 0, 0, 0, "max")
    assert pool_step(X25, 2, 2, 0, 2, 0, "max", ceil_mode=True).value == 22.0


# ---- global average pooling ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 7, 5), (8, 32, 32)])
def test_global_avg_pool_equals_adaptive_avg_pool2d(shape):
    x = np.random.default_rng(2).standard_normal(shape)
    expected = F.adaptive_avg_pool2d(torch.from_numpy(x), 1)[:, 0, 0].numpy()
    np.testing.assert_allclose(global_avg_pool(x), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(global_avg_pool(x), pool2d(x, shape[1:], mode="avg")[:, 0, 0], rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        global_avg_pool(x[0])
    batch = np.stack([x, 2 * x + 1])  # (N, C, H, W) -> (N, C)
    np.testing.assert_allclose(global_avg_pool(batch), F.adaptive_avg_pool2d(torch.from_numpy(batch), 1)[..., 0, 0],
                               rtol=0, atol=1e-12)


def test_pool_modes():
    assert set(POOL_MODES) == {"max", "avg"}
    for name, mode in POOL_MODES.items():
        assert mode.description and "\n" not in mode.description, name
        assert mode.formula.startswith("y[i,j] =")


# ---- a small shift of the input, before and after pooling ---------------------------------------------------


def test_relative_change_is_the_frobenius_norm_ratio():
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((5, 6)), rng.standard_normal((5, 6))
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    assert relative_change(a, b) == pytest.approx((torch.linalg.norm(tb - ta) / torch.linalg.norm(ta)).item(),
                                                  rel=1e-14)
    assert relative_change(np.zeros((2, 2)), np.zeros((2, 2))) == 0.0
    assert relative_change(a, a) == 0.0


def test_feature_map_is_torchs_same_padded_conv_then_relu():
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((9, 11)), rng.standard_normal((3, 3))
    ref = F.relu(F.conv2d(torch.from_numpy(x)[None, None], torch.from_numpy(w)[None, None], padding="same"))[0, 0]
    np.testing.assert_allclose(feature_map(x, w), ref.numpy(), rtol=0, atol=1e-12)
    assert feature_map(x, w).min() >= 0


@pytest.mark.parametrize("size", [2, 3])
def test_shift_curve_equals_torch_on_an_input_shifted_right_with_zeros(size):
    rng = np.random.default_rng(6)
    x, w = rng.random((12, 15)), rng.standard_normal((3, 3))
    curve = shift_curve(x, w, range(4), size)
    tw = torch.from_numpy(w)[None, None]

    def block(t_in):
        return F.relu(F.conv2d(t_in, tw, padding="same"))

    def change(a, b):
        return (torch.linalg.norm(b - a) / torch.linalg.norm(a)).item()

    tx = torch.from_numpy(x)[None, None]
    base = block(tx)
    for s in range(4):
        moved = block(F.pad(tx, (s, 0))[..., : x.shape[1]])  # s zero columns in on the left, s columns out right
        assert curve["feature"][s] == pytest.approx(change(base, moved), abs=1e-12)
        for mode, pool in (("max", F.max_pool2d), ("avg", F.avg_pool2d)):
            assert curve[mode][s] == pytest.approx(change(pool(base, size), pool(moved, size)), abs=1e-12)
    assert curve["feature"][0] == curve["max"][0] == curve["avg"][0] == 0.0
