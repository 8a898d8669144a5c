"""core.conv against torch (nn.Conv2d / F.conv2d, float64), scipy.signal.convolve2d and closed-form integrals."""

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.conv import (
    KERNELS,
    PADDING_MODES,
    SIGNALS,
    conv2d,
    conv_output_size,
    conv_step,
    conv_steps,
    convolve_continuous,
    default_grid,
    resolve_padding,
    shifted_kernel,
)

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

TORCH_REFUSES = (RuntimeError, ValueError, NotImplementedError)
MODES = list(PADDING_MODES)


def torch_conv(x, w, b=None, stride=1, padding=0, dilation=1, padding_mode="zeros"):
    """nn.Conv2d in float64 with these weights: torch's own padding rules ("same", padding_mode) and conv2d."""
    c_out, c_in, kh, kw = w.shape
    layer = torch.nn.Conv2d(c_in, c_out, (kh, kw), stride, padding, dilation, bias=b is not None,
                            padding_mode=padding_mode, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(w))
        if b is not None:
            layer.bias.copy_(torch.from_numpy(b))
        return layer(torch.from_numpy(x)[None])[0].numpy()


def check_against_torch(x, w, b, stride, padding, dilation, padding_mode):
    """Core equals torch to 1e-10 where torch computes it, and raises ValueError where torch refuses."""
    try:
        expected = torch_conv(x, w, b, stride, padding, dilation, padding_mode)
    except TORCH_REFUSES:
        with pytest.raises(ValueError):
            conv2d(x, w, b, stride, padding, dilation, padding_mode)
        return False
    got = conv2d(x, w, b, stride, padding, dilation, padding_mode)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)
    return True


# ---- conv2d against torch -----------------------------------------------------------------------------------

DEFAULT = dict(h=9, w=11, c_in=2, c_out=3, k=(3, 3), stride=1, padding=0, dilation=1, padding_mode="zeros", bias=True)
CHANGES = [
    {},
    {"k": (1, 1)}, {"k": (2, 2)}, {"k": (4, 5)}, {"k": (5, 5)}, {"k": (7, 7), "h": 12, "w": 13}, {"k": (2, 7)},
    {"stride": 2}, {"stride": 3}, {"stride": 4}, {"stride": (1, 3)},
    {"padding": 1}, {"padding": 3}, {"padding": (0, 2)}, {"padding": "same"}, {"padding": "valid"},
    {"padding": "same", "k": (4, 2)}, {"padding": "same", "k": (4, 5), "dilation": (1, 3)},
    {"dilation": 2}, {"dilation": 3}, {"dilation": (1, 2)},
    {"c_in": 1}, {"c_in": 4}, {"c_out": 1}, {"c_out": 4}, {"c_in": 1, "c_out": 1},
    {"bias": False},
    {"stride": 2, "padding": 2, "dilation": 2},
    *({"padding_mode": mode, "padding": p} for mode in MODES for p in (1, (3, 2), "same")),
    *({"padding_mode": mode, "padding": "same", "k": (4, 4), "dilation": 3} for mode in MODES),
]


def random_case(seed=0, h=9, w=11, c_in=2, c_out=3, k=(3, 3), bias=True):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((c_in, h, w))
    weight = rng.standard_normal((c_out, c_in, *k))
    return x, weight, (rng.standard_normal(c_out) if bias else None)


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "default")
def test_conv2d_equals_torch_one_change_at_a_time(change):
    case = {**DEFAULT, **change}
    x, w, b = random_case(h=case["h"], w=case["w"], c_in=case["c_in"], c_out=case["c_out"], k=case["k"],
                          bias=case["bias"])
    assert check_against_torch(x, w, b, case["stride"], case["padding"], case["dilation"], case["padding_mode"])


def test_even_kernel_same_padding_puts_the_extra_pixel_right_and_bottom():
    x, w, _ = random_case(k=(4, 2), c_out=1)
    expected = F.conv2d(F.pad(torch.from_numpy(x)[None], (0, 1, 1, 2)), torch.from_numpy(w))[0].numpy()
    np.testing.assert_allclose(conv2d(x, w, padding="same"), expected, rtol=0, atol=1e-10)
    assert resolve_padding("same", (4, 2), 1, 1) == ((1, 2), (0, 1))
    assert conv2d(x, w, padding="same").shape[1:] == x.shape[1:]


@pytest.mark.parametrize("padding_mode", MODES)
def test_padding_modes_equal_f_pad_then_conv2d(padding_mode):
    """What the brief spells out: torch pads with F.pad(x, (l, r, t, b), mode) and convolves with padding 0."""
    x, w, b = random_case(seed=3, k=(3, 4))
    torch_mode = "constant" if padding_mode == "zeros" else padding_mode
    xt = F.pad(torch.from_numpy(x)[None], (2, 2, 1, 1), mode=torch_mode)
    expected = F.conv2d(xt, torch.from_numpy(w), torch.from_numpy(b), stride=(2, 1))[0].numpy()
    got = conv2d(x, w, b, stride=(2, 1), padding=(1, 2), padding_mode=padding_mode)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)


def test_two_dimensional_form_and_scalar_bias():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((8, 10)), rng.standard_normal((3, 2))
    expected = F.conv2d(torch.from_numpy(x)[None, None], torch.from_numpy(w)[None, None],
                        torch.tensor([0.5], dtype=torch.float64), stride=2, padding=1, dilation=(2, 1))[0, 0].numpy()
    x_before = x.copy()
    got = conv2d(x, w, 0.5, stride=2, padding=1, dilation=(2, 1))
    np.testing.assert_array_equal(x, x_before)  # the input is left as it was
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)


int_or_pair = st.one_of(st.integers(1, 4), st.tuples(st.integers(1, 4), st.integers(1, 4)))
paddings = st.one_of(st.integers(0, 3), st.tuples(st.integers(0, 3), st.integers(0, 3)),
                     st.sampled_from(["same", "valid"]))


@settings(max_examples=300, deadline=None)
@given(h=st.integers(1, 20), w=st.integers(1, 20), c_in=st.integers(1, 4), c_out=st.integers(1, 4),
       kh=st.integers(1, 7), kw=st.integers(1, 7), stride=int_or_pair, padding=paddings,
       dilation=st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))),
       padding_mode=st.sampled_from(MODES), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_conv2d_equals_torch_property(h, w, c_in, c_out, kh, kw, stride, padding, dilation, padding_mode, bias, seed):
    x, weight, b = random_case(seed, h, w, c_in, c_out, (kh, kw), bias)
    computed = check_against_torch(x, weight, b, stride, padding, dilation, padding_mode)
    assume(computed)  # the refused combinations were checked to raise ValueError in core too


# ---- flip=True: true convolution ------------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "p"), [((3, 3), 0), ((3, 3), 1), ((2, 5), 2), ((4, 4), (1, 3)), ((1, 1), 0)])
def test_flip_equals_scipy_convolve2d(k, p):
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((7, 9)), rng.standard_normal(k)
    ph, pw = (p, p) if isinstance(p, int) else p
    expected = scipy.signal.convolve2d(np.pad(x, ((ph, ph), (pw, pw))), w, mode="valid")
    np.testing.assert_allclose(conv2d(x, w, padding=p, flip=True), expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("padding_mode", MODES)
def test_flip_equals_torch_with_the_kernel_rotated(padding_mode):
    x, w, b = random_case(seed=5, k=(3, 4))
    expected = torch_conv(x, np.ascontiguousarray(w[..., ::-1, ::-1]), b, 2, (1, 2), (1, 2), padding_mode)
    got = conv2d(x, w, b, stride=2, padding=(1, 2), dilation=(1, 2), padding_mode=padding_mode, flip=True)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)


def test_flip_changes_nothing_for_a_symmetric_kernel_and_mirrors_an_asymmetric_one():
    x = np.random.default_rng(6).standard_normal((6, 6))
    blur = KERNELS["gaussian_blur_3"].weights
    np.testing.assert_allclose(conv2d(x, blur, flip=True), conv2d(x, blur), atol=1e-14)
    sobel = KERNELS["sobel_x"].weights
    np.testing.assert_allclose(conv2d(x, sobel, flip=True), -conv2d(x, sobel), atol=1e-14)


# ---- dtypes -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("dtype", "expected"), [(np.float32, np.float32), (np.float64, np.float64),
                                                 (np.float16, np.float16), (np.int64, np.float64),
                                                 (np.uint8, np.float64), (bool, np.float64)])
def test_result_keeps_the_input_float_dtype(dtype, expected):
    x = (np.arange(30).reshape(5, 6) % 7).astype(dtype)
    y = conv2d(x, KERNELS["sobel_x"].weights, 0.25, padding=1)  # float64 kernel and bias on any input
    assert y.dtype == expected
    y3 = conv2d(x[None], KERNELS["laplacian"].weights[None, None].astype(np.float32), np.array([1.0]))
    assert y3.dtype == expected


def test_float32_result_matches_torch_float32():
    x, w, b = random_case(seed=7, h=40, w=33, k=(5, 3))
    x32, w32, b32 = x.astype(np.float32), w.astype(np.float32), b.astype(np.float32)
    expected = F.conv2d(torch.from_numpy(x32)[None], torch.from_numpy(w32), torch.from_numpy(b32), padding=2)[0]
    np.testing.assert_allclose(conv2d(x32, w32, b32, padding=2), expected.numpy(), rtol=1e-5, atol=1e-5)


def test_large_input_crosses_several_row_blocks():
    """Big enough that conv2d works through the image in several blocks of rows."""
    x, w, b = random_case(seed=8, h=300, w=301, c_in=3, c_out=5, k=(5, 5))
    assert check_against_torch(x, w, b, 1, 2, 1, "zeros")
    assert check_against_torch(x, w, b, (3, 2), 0, 2, "reflect")


# ---- invalid arguments ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"stride": 0}, "stride"),
    ({"stride": (1, -1)}, "stride"),
    ({"stride": 1.5}, "stride"),
    ({"dilation": 0}, "dilation"),
    ({"padding": -1}, "padding"),
    ({"padding": "full"}, "padding"),
    ({"padding": "same", "stride": 2}, "stride 1"),
    ({"padding_mode": "mirror"}, "padding_mode"),
    ({"padding": 5, "padding_mode": "reflect"}, "reflect"),
    ({"padding": 6, "padding_mode": "circular"}, "circular"),
    ({"dilation": 4}, "kernel covers"),
])
def test_invalid_arguments_raise_value_error_with_a_plain_message(kwargs, match):
    x, w = np.ones((5, 5)), np.ones((3, 3))
    with pytest.raises(ValueError, match=match):
        conv2d(x, w, **kwargs)


def test_invalid_shapes_raise_value_error():
    with pytest.raises(ValueError, match="along the height: the kernel covers 4 pixels"):
        conv2d(np.ones((3, 3)), np.ones((4, 4)))
    with pytest.raises(ValueError, match="along the width: the kernel covers 5 pixels"):
        conv2d(np.ones((3, 4)), np.ones((1, 3)), dilation=2)
    with pytest.raises(ValueError, match="C_in = 2"):
        conv2d(np.ones((3, 5, 5)), np.ones((1, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        conv2d(np.ones((5, 5)), np.ones((1, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        conv2d(np.ones((1, 5, 5)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="kernel width"):
        conv2d(np.ones((5, 5)), np.ones((3, 0)))
    with pytest.raises(ValueError, match="one value per output channel"):
        conv2d(np.ones((1, 5, 5)), np.ones((2, 1, 3, 3)), bias=np.ones(3))
    with pytest.raises(ValueError, match="one number"):
        conv2d(np.ones((5, 5)), np.ones((3, 3)), bias=np.ones(2))
    with pytest.raises(ValueError, match="real numbers"):
        conv2d(np.ones((5, 5), dtype=complex), np.ones((3, 3)))


# ---- output size and padding -------------------------------------------------------------------------------------


def torch_length(n, k, s, before, after, d):
    """The output length ``F.conv2d`` gives after ``F.pad`` by (before, after) along one axis; None where it refuses."""
    try:
        return F.conv2d(F.pad(torch.zeros(1, 1, n, 1), (0, 0, before, after)), torch.zeros(1, 1, k, 1), stride=s,
                        dilation=d).shape[2]
    except RuntimeError:
        return None


@settings(max_examples=400, deadline=None)
@given(n=st.integers(1, 40), k=st.integers(1, 9), s=st.integers(1, 5), before=st.integers(0, 6),
       after=st.integers(0, 6), d=st.integers(1, 4))
def test_conv_output_size_equals_the_length_torch_returns(n, k, s, before, after, d):
    """Padding as a pair (before, after) and as one number p on both sides (torch's own ``padding=p`` too)."""
    for padding, pads in (((before, after), (before, after)), (before, (before, before))):
        length = torch_length(n, k, s, *pads, d)
        if length is None:
            with pytest.raises(ValueError, match="kernel covers"):
                conv_output_size(n, k, s, padding, d)
            continue
        assert conv_output_size(n, k, s, padding, d) == length == (n + sum(pads) - d * (k - 1) - 1) // s + 1
    if torch_length(n, k, s, before, before, d) is not None:
        own = F.conv2d(torch.zeros(1, 1, n, 1), torch.zeros(1, 1, k, 1), stride=s, padding=(before, 0), dilation=d)
        assert conv_output_size(n, k, s, before, d) == own.shape[2]


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 30), k=st.integers(1, 5), s=st.integers(1, 3), d=st.integers(1, 3), data=st.data())
def test_conv_output_size_is_also_max_pooling_length(n, k, s, d, data):
    """A max pooling layer (floor rounding) slides its window as a convolution does: core.receptive and core.depth
    use conv_output_size for both kinds of layer."""
    p = data.draw(st.integers(0, k // 2), label="padding")  # torch's limit for pooling
    x = torch.zeros(1, 1, n, n + 1, dtype=torch.float64)
    if d * (k - 1) + 1 > n + 2 * p:
        with pytest.raises(ValueError):
            conv_output_size(n, k, s, p, d)
        return
    for layer in (torch.nn.Conv2d(1, 1, k, s, p, d, dtype=torch.float64), torch.nn.MaxPool2d(k, s, p, d)):
        assert layer(x).shape[-2:] == (conv_output_size(n, k, s, p, d), conv_output_size(n + 1, k, s, p, d))


def test_conv_output_size_by_hand():
    assert conv_output_size(224, 3, 1, 1) == 224
    assert conv_output_size(224, 11, 4) == 54  # AlexNet's first layer
    assert conv_output_size(7, 3, 2, 1, 2) == 3  # (7 + 2 - 4 - 1) // 2 + 1
    assert conv_output_size(5, 5) == 1
    assert conv_output_size(5, 3, 1, (2, 0)) == 5  # (5 + 2 + 0 - 2 - 1) // 1 + 1


@pytest.mark.parametrize(("args", "match"), [
    ((0, 3), "input size n must be at least 1"), ((5, 0), "kernel size k"), ((5, 3, 0), "stride s"),
    ((5, 3, 1, -1), "padding p must be 0 or more"), ((5, 3, 1, (0, -1)), "padding p after must be 0 or more"),
    ((5, 3, 1, (1, 2, 3)), "or a pair"), ((5, 3, 1, 0, 0), "dilation d"), ((2, 3), "kernel covers 3 pixels"),
    ((5, 3, 1, 0, 3), "d\\*\\(k-1\\)\\+1"), ((5.0, 3), "whole number"), ((5, 3, 1, 0.5), "whole number"),
    ((5, True), "kernel size k must be a whole number"), ((5, 3, 1, True), "padding p must be a whole number"),
])
def test_conv_output_size_rejects_invalid_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        conv_output_size(*args)


def test_resolve_padding():
    assert resolve_padding(2, 3) == ((2, 2), (2, 2))
    assert resolve_padding((1, 3), (3, 3)) == ((1, 1), (3, 3))
    assert resolve_padding("valid", 5) == ((0, 0), (0, 0))
    assert resolve_padding("same", 3) == ((1, 1), (1, 1))
    assert resolve_padding("same", (4, 5), (1, 3)) == ((1, 2), (6, 6))  # totals d(k-1) = 3 and 12
    assert resolve_padding("same", 2, 3) == ((1, 2), (1, 2))
    for bad in (-1, (1, -2), "full", (1, 2, 3), 1.0):
        with pytest.raises(ValueError):
            resolve_padding(bad, 3)
    with pytest.raises(ValueError, match="stride 1"):
        resolve_padding("same", 3, 1, (1, 2))


# ---- one output cell, step by step -------------------------------------------------------------------------------

X25 = np.arange(1.0, 26.0).reshape(5, 5)
W22 = np.array([[1.0, 2.0], [3.0, 4.0]])


def test_conv_step_by_hand_zero_padding_stride_and_dilation():
    # padded input 7x7 (x in rows and columns 1..5), taps at s*i + d*a = 2i + {0, 2}; the output is 3x3
    step = conv_step(X25, W22, 1, 2, stride=2, padding=1, dilation=2)
    np.testing.assert_array_equal(step.rows, [2, 4])
    np.testing.assert_array_equal(step.cols, [4, 6])
    np.testing.assert_array_equal(step.window, [[X25[1, 3], 0.0], [X25[3, 3], 0.0]])  # column 6 is padding
    np.testing.assert_array_equal(step.is_padding, [[False, True], [False, True]])
    np.testing.assert_array_equal(step.products, [[9.0, 0.0], [57.0, 0.0]])
    assert step.value == 66.0
    corner = conv_step(X25, W22, 0, 0, stride=2, padding=1, dilation=2)
    np.testing.assert_array_equal(corner.window, [[0.0, 0.0], [0.0, 7.0]])
    np.testing.assert_array_equal(corner.is_padding, [[True, True], [True, False]])
    assert corner.value == 28.0


def test_conv_step_by_hand_reflect_padding_and_flip():
    step = conv_step(X25, W22, 1, 2, stride=2, padding=1, dilation=2, padding_mode="reflect")
    # padded column 6 is x column 5, one past the edge: reflected to column 3
    np.testing.assert_array_equal(step.window, [[9.0, 9.0], [19.0, 19.0]])
    np.testing.assert_array_equal(step.is_padding, [[False, True], [False, True]])
    assert step.value == 9.0 * 1 + 9.0 * 2 + 19.0 * 3 + 19.0 * 4
    flipped = conv_step(X25, W22, 1, 2, stride=2, padding=1, dilation=2, padding_mode="reflect", flip=True)
    np.testing.assert_array_equal(flipped.kernel, [[4.0, 3.0], [2.0, 1.0]])
    assert flipped.value == 9.0 * 4 + 9.0 * 3 + 19.0 * 2 + 19.0 * 1


@pytest.mark.parametrize(("k", "stride", "padding", "dilation", "padding_mode", "flip"), [
    ((3, 3), 1, 0, 1, "zeros", False),
    ((3, 3), 1, "same", 1, "reflect", True),
    ((2, 4), (2, 1), (2, 1), (1, 2), "circular", False),
    ((4, 4), 1, "same", 2, "replicate", True),
    ((1, 3), 3, 3, 1, "zeros", False),
])
def test_conv_step_value_equals_conv2d_in_every_cell(k, stride, padding, dilation, padding_mode, flip):
    rng = np.random.default_rng(9)
    x, w = rng.standard_normal((7, 8)), rng.standard_normal(k)
    y = conv2d(x, w, stride=stride, padding=padding, dilation=dilation, padding_mode=padding_mode, flip=flip)
    pads = resolve_padding(padding, k, dilation, stride)
    xp = np.pad(x, pads, mode=PADDING_MODES[padding_mode])
    inside = np.zeros(xp.shape, dtype=bool)
    inside[pads[0][0]: pads[0][0] + x.shape[0], pads[1][0]: pads[1][0] + x.shape[1]] = True
    for i in range(y.shape[0]):
        for j in range(y.shape[1]):
            step = conv_step(x, w, i, j, stride, padding, dilation, padding_mode, flip)
            assert step.value == pytest.approx(y[i, j], abs=1e-12)
            np.testing.assert_array_equal(step.window, xp[np.ix_(step.rows, step.cols)])
            np.testing.assert_array_equal(step.is_padding, ~inside[np.ix_(step.rows, step.cols)])
            np.testing.assert_array_equal(step.products, step.window * step.kernel)


@pytest.mark.parametrize(("k", "stride", "padding", "dilation", "padding_mode", "flip"), [
    ((3, 3), 1, 0, 1, "zeros", False),
    ((2, 4), (2, 1), (2, 1), (1, 2), "circular", False),
    ((4, 4), 1, "same", 2, "replicate", True),
])
def test_every_step_at_once_is_each_cells_step_in_reading_order(k, stride, padding, dilation, padding_mode, flip):
    """``conv_steps``: cell ``i * W_out + j`` is ``conv_step(..., i, j, ...)``, term for term, and its value the
    convolution's ``y[i, j]``."""
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((6, 9)), rng.standard_normal(k)
    y = conv2d(x, w, stride=stride, padding=padding, dilation=dilation, padding_mode=padding_mode, flip=flip)
    steps = conv_steps(x, w, stride, padding, dilation, padding_mode, flip)
    assert len(steps) == y.size
    for (i, j), step in zip(np.ndindex(*y.shape), steps, strict=True):
        one = conv_step(x, w, i, j, stride, padding, dilation, padding_mode, flip)
        for field in ("window", "is_padding", "rows", "cols", "kernel", "products"):
            np.testing.assert_array_equal(getattr(step, field), getattr(one, field))
        assert step.value == one.value == pytest.approx(y[i, j], abs=1e-12)
    with pytest.raises(ValueError, match="2-D"):
        conv_steps(x[None], w[None, None])


def test_conv_step_rejects_cells_outside_the_output_and_batched_inputs():
    for i, j in [(3, 0), (0, 3), (-1, 0)]:
        with pytest.raises(ValueError, match="outside the 3x3 output"):
            conv_step(X25, W22, i, j, stride=2, padding=1, dilation=2)
    with pytest.raises(ValueError, match="2-D"):
        conv_step(X25[None], W22[None, None], 0, 0)


# ---- kernels ----------------------------------------------------------------------------------------------------

SUM_TO_ONE = ["identity", "box_blur", "gaussian_blur_3", "gaussian_blur_5", "sharpen", "emboss"]
SUM_TO_ZERO = ["laplacian", "sobel_x", "sobel_y", "prewitt_x", "prewitt_y", "outline"]


def test_kernel_registry():
    assert set(KERNELS) == set(SUM_TO_ONE) | set(SUM_TO_ZERO)
    for name, kernel in KERNELS.items():
        assert kernel.weights.shape == ((5, 5) if name == "gaussian_blur_5" else (3, 3)), name
        assert kernel.weights.dtype == np.float64
        assert not kernel.weights.flags.writeable
        with pytest.raises(ValueError):
            kernel.weights[0, 0] = 1.0
        assert kernel.description and "\n" not in kernel.description
    for name in SUM_TO_ONE:
        assert KERNELS[name].weights.sum() == pytest.approx(1.0, abs=1e-15), name
    for name in SUM_TO_ZERO:
        assert KERNELS[name].weights.sum() == pytest.approx(0.0, abs=1e-15), name
    binomial = np.array([1, 4, 6, 4, 1])
    np.testing.assert_array_equal(KERNELS["gaussian_blur_5"].weights * 256, np.outer(binomial, binomial))


def test_kernels_do_what_their_descriptions_say():
    ramp_right = np.tile(np.arange(6.0), (6, 1))  # brighter to the right
    assert np.all(conv2d(ramp_right, KERNELS["sobel_x"].weights) == 8.0)
    assert np.all(conv2d(ramp_right, KERNELS["prewitt_x"].weights) == 6.0)
    assert np.all(conv2d(ramp_right.T, KERNELS["sobel_y"].weights) == 8.0)  # brighter to the bottom
    for name in ("laplacian", "outline", "sobel_y"):
        np.testing.assert_allclose(conv2d(ramp_right, KERNELS[name].weights), 0.0, atol=1e-12)
    x = np.random.default_rng(10).standard_normal((6, 7))
    np.testing.assert_array_equal(conv2d(x, KERNELS["identity"].weights, padding=1), x)


# ---- continuous convolution --------------------------------------------------------------------------------------

CLOSED_FORMS = {
    ("rectangle", "rectangle"): lambda t: np.clip(1.0 - np.abs(t), 0.0, None),  # the triangle
    ("gaussian", "gaussian"): lambda t: np.exp(-np.square(t) / 4) / np.sqrt(4 * np.pi),  # N(0, 1) * N(0, 1) = N(0, 2)
    ("exponential_decay", "exponential_decay"): lambda t: np.maximum(t, 0.0) * np.exp(-np.maximum(t, 0.0)),
    ("rectangle", "step"): lambda t: np.clip(np.asarray(t) + 0.5, 0.0, 1.0),
    ("step", "exponential_decay"): lambda t: 1.0 - np.exp(-np.maximum(t, 0.0)),
}
"""Exact ``f*g`` for pairs ``(f, g)`` of SIGNALS, integrated by hand (t e^-t is ∫_0^t e^-τ e^-(t-τ) dτ, and so on)."""

# Where two jumps of the integrand meet, the sampled product is 1/4 instead of 1/2: an error of dt/4 per meeting.
JUMPS_MEET = {
    ("rectangle", "rectangle"): (-1.0, 0.0, 1.0),
    ("gaussian", "gaussian"): (),
    ("exponential_decay", "exponential_decay"): (0.0,),
    ("rectangle", "step"): (-0.5, 0.5),
    ("step", "exponential_decay"): (0.0,),
}


@pytest.mark.parametrize("n", [801, 3201])
@pytest.mark.parametrize("pair", list(CLOSED_FORMS), ids="*".join)
def test_convolve_continuous_equals_the_closed_form(pair, n):
    """Max error 2e-5 on |t| <= 3 (beyond that the grid's ends cut the integrals: step*rect needs the step up to
    t + 1/2), except at the few t where two jumps meet: there at most dt/2 (first order, = 5e-3 on the default
    grid, 1.25e-3 on the 4x finer one)."""
    t = default_grid(n)
    dt = t[1] - t[0]
    f, g = SIGNALS[pair[0]].fn(t), SIGNALS[pair[1]].fn(t)
    error = np.abs(convolve_continuous(f, g, t) - CLOSED_FORMS[pair](t))
    meet = np.isin(t, JUMPS_MEET[pair])
    inner = np.abs(t) <= 3.0
    assert error[inner & ~meet].max() < 2e-5
    assert error[meet].max(initial=0.0) <= dt / 2 + 1e-12


def test_correlation_of_exponential_decay_with_itself():
    """flip=False: ∫ e^-τ e^-(τ-t) dτ over max(0, t) <= τ <= min(4, 4 + t) (both τ and τ - t on the grid)
    = e^t (e^(-2 max(0, t)) - e^(-2 min(4, 4 + t))) / 2, which is e^-|t| / 2 but for the grid's ends."""
    t = default_grid()
    f = SIGNALS["exponential_decay"].fn(t)
    expected = np.exp(t) * (np.exp(-2 * np.maximum(t, 0.0)) - np.exp(-2 * np.minimum(4.0, 4.0 + t))) / 2
    error = np.abs(convolve_continuous(f, f, t, flip=False) - expected)
    dt = t[1] - t[0]
    # for t < 0 the grid's end cuts g(τ - t) at τ = 4 + t, a jump of e^-4 f(4 + t) sampled at full value: dt/2 of it
    assert error[(t != 0) & (np.abs(t) <= 3.0)].max() < dt / 2 * np.exp(-4.0) * np.exp(-1.0) + 1e-6
    assert error[t == 0].max() <= dt / 4 + 1e-12  # the two jumps meet at t = 0


def brute_force(f, g, t, flip):
    """Each output point on its own: trapezoid over τ of f(τ) g(t_i - τ), g interpolated (an n x n matrix)."""
    where = t[:, None] - t[None, :] if flip else t[None, :] - t[:, None]
    for end in (t[0], t[-1]):  # a lag that lands on the grid's end up to rounding is on the grid (g there, not 0)
        where[np.abs(where - end) < 1e-9] = end
    g_shifted = np.interp(where, t, g, left=0.0, right=0.0)
    return np.trapezoid(f[None, :] * g_shifted, t, axis=1)


@pytest.mark.parametrize("flip", [True, False])
@pytest.mark.parametrize("grid", [(-4.0, 4.0, 201), (-3.3, 4.1, 157), (0.0, 2.0, 64), (1.0, 3.0, 201)])
def test_convolve_continuous_equals_brute_force_trapezoid(grid, flip):
    t = np.linspace(*grid)
    rng = np.random.default_rng(11)
    f, g = rng.standard_normal(t.size), rng.standard_normal(t.size)
    np.testing.assert_allclose(convolve_continuous(f, g, t, flip), brute_force(f, g, t, flip), rtol=0, atol=1e-10)
    one_by_one = [np.trapezoid(f * shifted_kernel(g, t, t_i, flip), t) for t_i in t]  # the page's picture
    np.testing.assert_allclose(convolve_continuous(f, g, t, flip), one_by_one, rtol=0, atol=1e-10)


def python_calls(fn, *args) -> int:
    """How many Python- and C-level function calls ``fn(*args)`` makes (``sys.setprofile``): the work done in the
    interpreter, which a vectorised computation keeps the same however many points it is given."""
    import sys

    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        fn(*args)
    finally:
        sys.setprofile(None)
    return count


def test_convolve_continuous_is_vectorised_for_2000_points(monkeypatch):
    """Not timed (a busy machine would fail it): the interpreter's work does not grow with the number of points,
    and the integral is one ``np.convolve`` of the whole grid, not one trapezoid per output point."""
    def signals(n: int):
        t = np.linspace(-5.0, 5.0, n)
        return SIGNALS["gaussian"].fn(t), SIGNALS["sine_burst"].fn(t), t

    small, large = python_calls(convolve_continuous, *signals(201)), python_calls(convolve_continuous, *signals(2001))
    assert small == large and large < 200
    lengths = []
    real = np.convolve
    monkeypatch.setattr(np, "convolve", lambda a, v, *args: lengths.append((len(a), len(v))) or real(a, v, *args))
    f, g, t = signals(2001)
    np.testing.assert_allclose(convolve_continuous(f, g, t), brute_force(f, g, t, True), rtol=0, atol=1e-10)
    assert lengths == [(2001, 2 * 2001 - 1)]


def test_shifted_kernel():
    t = default_grid()
    g = SIGNALS["exponential_decay"].fn(t)
    flipped = shifted_kernel(g, t, 1.0)  # g(1 - τ): e^-(1-τ) for -3 <= τ < 1 (1 - τ on the grid), 0 after
    np.testing.assert_allclose(flipped[t < 1.0], np.exp(-(1.0 - t[t < 1.0])) * (t[t < 1.0] >= -3.0), atol=1e-12)
    assert np.all(flipped[t > 1.0] == 0.0)
    slid = shifted_kernel(g, t, 1.0, flip=False)  # g(τ - 1)
    np.testing.assert_allclose(slid[t > 1.0], np.exp(-(t[t > 1.0] - 1.0)), atol=1e-12)
    assert np.all(slid[t < 1.0] == 0.0)
    np.testing.assert_allclose(shifted_kernel(g, t, 0.0, flip=False), g)
    np.testing.assert_allclose(shifted_kernel(g, t, 0.0), g[::-1])


def test_grid_validation():
    t = default_grid(11)
    with pytest.raises(ValueError, match="uniformly spaced"):
        convolve_continuous(t, t, t**3)
    with pytest.raises(ValueError, match="increasing"):
        convolve_continuous(t, t, t[::-1])
    with pytest.raises(ValueError, match="same length"):
        convolve_continuous(t[:-1], t, t)
    with pytest.raises(ValueError, match="1-D"):
        convolve_continuous(t, t, t[None])
    with pytest.raises(ValueError, match="same length"):
        shifted_kernel(t[1:], t, 0.0)


def test_default_grid():
    t = default_grid()
    assert t.size == 801 and t[0] == -4.0 and t[-1] == 4.0
    np.testing.assert_allclose(np.diff(t), 0.01, rtol=1e-9)
    assert {-1.0, -0.5, 0.0, 0.5, 1.0} <= set(t)  # the jumps of the signals lie on the grid
    np.testing.assert_array_equal(t, -t[::-1])
    with pytest.raises(ValueError):
        default_grid(1)
    with pytest.raises(ValueError):
        default_grid(11, 0.0)


def test_signals():
    assert {"rectangle", "triangle", "gaussian", "exponential_decay", "step", "sine_burst"} <= set(SIGNALS)
    t = default_grid()
    for name, signal in SIGNALS.items():
        assert signal.fn(t).shape == t.shape, name
        assert signal.description and "\n" not in signal.description
    fn = {name: signal.fn for name, signal in SIGNALS.items()}
    np.testing.assert_array_equal(fn["rectangle"](np.array([0.0, 0.49, 0.5, 0.51, -0.5])), [1, 1, 0.5, 0, 0.5])
    np.testing.assert_allclose(fn["triangle"](np.array([-1.5, -0.25, 0.0, 0.5])), [0, 0.75, 1, 0.5])
    assert np.trapezoid(fn["gaussian"](t), t) == pytest.approx(1.0, abs=1e-4)
    np.testing.assert_allclose(fn["exponential_decay"](np.array([-1.0, 0.0, 1.0])), [0, 0.5, np.exp(-1)])
    np.testing.assert_array_equal(fn["step"](np.array([-1.0, 0.0, 2.0])), [0, 0.5, 1])
    np.testing.assert_allclose(fn["sine_burst"](np.array([-1.5, 0.125, 1.5])), [0, 1, 0], atol=1e-12)
