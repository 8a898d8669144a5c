"""core.fc_conv against torch (F.linear, F.conv2d, adaptive_avg_pool2d, torch.flatten, nn.Conv2d), float64."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from core.fc_conv import (
    classifier_head,
    classifier_head_as_conv,
    compare,
    conv2d_1x1,
    conv2d_valid,
    dense_on_flattened,
    dense_per_position,
    linear_to_conv,
    linear_to_conv1x1,
    param_counts,
)
from core.pooling import global_avg_pool

TOL = {"rtol": 1e-12, "atol": 1e-12}
TOL32 = {"rtol": 1e-5, "atol": 1e-5}


def rand(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


def torch_per_position(x, W, b):
    """``nn.Linear`` at every pixel: channels last, F.linear, channels first again."""
    xt = t(x)
    batched = xt.ndim == 4
    xt = xt if batched else xt[None]
    y = F.linear(xt.permute(0, 2, 3, 1), t(W), None if b is None else t(b)).permute(0, 3, 1, 2)
    return (y if batched else y[0]).numpy()


def torch_conv(x, weight, bias):
    xt = t(x)
    batched = xt.ndim == 4
    y = F.conv2d(xt if batched else xt[None], t(weight), None if bias is None else t(bias))
    return (y if batched else y[0]).numpy()


def torch_gap(x):
    xt = t(x)
    batched = xt.ndim == 4
    g = F.adaptive_avg_pool2d(xt if batched else xt[None], 1).flatten(1)
    return (g if batched else g[0]).numpy()


def torch_flat_linear(x, W, b):
    xt = t(x)
    flat = torch.flatten(xt, 1) if xt.ndim == 4 else torch.flatten(xt)
    return F.linear(flat, t(W), t(b)).numpy()


SHAPES = [(3, 5, 4), (1, 1, 1), (6, 7, 2), (2, 3, 5, 4), (1, 1, 1, 1)]


# ---- each function against torch -----------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("out", [1, 4])
def test_dense_per_position_and_conv2d_1x1_equal_torch(shape, out):
    x, W, b = rand(shape, 1), rand((out, shape[-3]), 2), rand(out, 3)
    expected = torch_per_position(x, W, b)
    np.testing.assert_allclose(dense_per_position(x, W, b), expected, **TOL)
    weight, bias = linear_to_conv1x1(W, b)
    assert weight.shape == (out, shape[-3], 1, 1) and bias.shape == (out,)
    np.testing.assert_allclose(torch_conv(x, weight, bias), expected, **TOL)
    got = conv2d_1x1(x, weight, bias)
    assert got.shape == expected.shape == (*shape[:-3], out, *shape[-2:])
    np.testing.assert_allclose(got, expected, **TOL)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("kernel", [(1, 1), (2, 3), (1, 1, "full")], ids=str)
def test_conv2d_valid_equals_torch(shape, kernel):
    h, w = shape[-2:]
    kh, kw = (h, w) if kernel[-1] == "full" else (min(kernel[0], h), min(kernel[1], w))
    x, weight, bias = rand(shape, 4), rand((3, shape[-3], kh, kw), 5), rand(3, 6)
    got = conv2d_valid(x, weight, bias)
    expected = torch_conv(x, weight, bias)
    assert got.shape == expected.shape == (*shape[:-3], 3, h - kh + 1, w - kw + 1)
    np.testing.assert_allclose(got, expected, **TOL)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_linear_on_flattened_map_is_a_full_kernel_conv(shape):
    c, h, w = shape[-3:]
    W, b = rand((5, c * h * w), 7), rand(5, 8)
    x = rand(shape, 9)
    expected = torch_flat_linear(x, W, b)  # (5,) or (N, 5)
    np.testing.assert_allclose(dense_on_flattened(x, W, b), expected, **TOL)
    weight, bias = linear_to_conv(W, b, (c, h, w))
    assert weight.shape == (5, c, h, w)
    np.testing.assert_allclose(torch_conv(x, weight, bias)[..., 0, 0], expected, **TOL)
    got = conv2d_valid(x, weight, bias)
    assert got.shape == (*shape[:-3], 5, 1, 1)
    np.testing.assert_allclose(got[..., 0, 0], expected, **TOL)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_global_pool_and_classifier_head_equal_torch(shape):
    x, W, b = rand(shape, 10), rand((4, shape[-3]), 11), rand(4, 12)
    g = torch_gap(x)
    np.testing.assert_allclose(global_avg_pool(x), g, **TOL)
    logits = F.linear(t(g), t(W), t(b)).numpy()
    np.testing.assert_allclose(classifier_head(x, W, b), logits, **TOL)
    as_conv = classifier_head_as_conv(x, W, b)
    assert as_conv.shape == (*shape[:-3], 4, 1, 1)
    np.testing.assert_allclose(as_conv[..., 0, 0], logits, **TOL)
    pooled = F.adaptive_avg_pool2d(t(x if x.ndim == 4 else x[None]), 1)  # (N, C, 1, 1): the map a 1x1 conv sees
    via_torch = F.conv2d(pooled, t(W[:, :, None, None]), t(b))
    np.testing.assert_allclose(as_conv, via_torch.numpy() if x.ndim == 4 else via_torch[0].numpy(), **TOL)


def test_conv1x1_weights_in_a_real_nn_conv2d_match_nn_linear_per_position():
    c, out = 5, 3
    linear = torch.nn.Linear(c, out, dtype=torch.float64)
    W, b = linear.weight.detach().numpy().copy(), linear.bias.detach().numpy().copy()
    conv = torch.nn.Conv2d(c, out, 1, dtype=torch.float64)
    weight, bias = linear_to_conv1x1(W, b)
    with torch.no_grad():
        conv.weight.copy_(t(weight))
        conv.bias.copy_(t(bias))
        xt = t(rand((2, c, 6, 4), 13))
        via_linear = linear(xt.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        via_conv = conv(xt)
    np.testing.assert_allclose(via_conv.numpy(), via_linear.numpy(), **TOL)
    np.testing.assert_allclose(conv2d_1x1(xt.numpy(), weight, bias), via_linear.numpy(), **TOL)


def test_no_bias_as_in_torch():
    x, W = rand((3, 4, 5), 14), rand((2, 3), 15)
    weight, bias = linear_to_conv1x1(W, None)
    assert bias is None
    np.testing.assert_allclose(dense_per_position(x, W, None), torch_per_position(x, W, None), **TOL)
    np.testing.assert_allclose(conv2d_1x1(x, weight, None), torch_conv(x, weight, None), **TOL)
    np.testing.assert_allclose(conv2d_valid(x, weight, None), torch_conv(x, weight, None), **TOL)
    assert linear_to_conv(rand((2, 60)), None, (3, 4, 5))[1] is None


def test_conversions_return_new_arrays():
    W, b = rand((2, 12), 16), rand(2, 17)
    before = W.copy(), b.copy()
    for weight, bias in (linear_to_conv1x1(W[:, :3], b), linear_to_conv(W, b, (3, 2, 2))):
        weight[...] = 0.0
        bias[...] = 0.0
    np.testing.assert_array_equal(W, before[0])
    np.testing.assert_array_equal(b, before[1])


def test_flatten_order_by_hand():
    """``W[o, c HW + i W + j]`` lands at ``weight[o, c, i, j]``: torch.flatten's row-major order."""
    W = np.arange(12.0)[None]  # one output, (C, H, W) = (3, 2, 2)
    weight, _ = linear_to_conv(W, np.zeros(1), (3, 2, 2))
    assert weight[0, 2, 1, 0] == 2 * 4 + 1 * 2 + 0
    np.testing.assert_array_equal(weight[0], torch.arange(12.0, dtype=torch.float64).reshape(3, 2, 2).numpy())


# ---- properties over random shapes ---------------------------------------------------------------------------

shapes = st.fixed_dictionaries({
    "c": st.integers(1, 6), "h": st.integers(1, 7), "w": st.integers(1, 7), "out": st.integers(1, 5),
    "n": st.one_of(st.none(), st.integers(1, 3)), "seed": st.integers(0, 2**16),
})


def draw(s):
    shape = (s["c"], s["h"], s["w"]) if s["n"] is None else (s["n"], s["c"], s["h"], s["w"])
    rng = np.random.default_rng(s["seed"])
    return rng.standard_normal(shape), rng.standard_normal((s["out"], s["c"])), rng.standard_normal(s["out"]), rng


@settings(max_examples=50, deadline=None)
@given(s=shapes)
def test_dense_per_position_is_a_1x1_conv_property(s):
    x, W, b, _ = draw(s)
    expected = torch_per_position(x, W, b)
    result = compare(x, W, b)
    np.testing.assert_allclose(result["dense"], expected, **TOL)
    np.testing.assert_allclose(result["conv"], expected, **TOL)
    np.testing.assert_allclose(conv2d_valid(x, *linear_to_conv1x1(W, b)), expected, **TOL)
    assert result["max_abs_diff"] <= 1e-12
    assert result["dense_params"] == result["conv_params"] == s["c"] * s["out"] + s["out"]


@settings(max_examples=50, deadline=None)
@given(s=shapes)
def test_dense_on_flattened_is_a_full_kernel_conv_property(s):
    x, _, b, rng = draw(s)
    W = rng.standard_normal((s["out"], s["c"] * s["h"] * s["w"]))
    expected = torch_flat_linear(x, W, b)
    got = conv2d_valid(x, *linear_to_conv(W, b, (s["c"], s["h"], s["w"])))
    assert got.shape == (*x.shape[:-3], s["out"], 1, 1)
    np.testing.assert_allclose(got[..., 0, 0], expected, **TOL)
    np.testing.assert_allclose(dense_on_flattened(x, W, b), expected, **TOL)
    counts = param_counts(s["c"], s["out"], (s["h"], s["w"]))
    assert counts["conv"] == W.size + b.size  # the full kernel has exactly the flattened dense layer's parameters


@settings(max_examples=50, deadline=None)
@given(s=shapes)
def test_classifier_head_is_a_1x1_conv_after_global_pooling_property(s):
    x, W, b, _ = draw(s)
    logits = F.linear(t(torch_gap(x)), t(W), t(b)).numpy()
    np.testing.assert_allclose(classifier_head(x, W, b), logits, **TOL)
    np.testing.assert_allclose(classifier_head_as_conv(x, W, b)[..., 0, 0], logits, **TOL)


@settings(max_examples=50, deadline=None)
@given(s=shapes)
def test_float32_agrees_within_float32_tolerance(s):
    x, W, b, _ = draw(s)
    x32, W32, b32 = x.astype(np.float32), W.astype(np.float32), b.astype(np.float32)
    expected = torch_per_position(x32, W32, b32)
    for got in (dense_per_position(x32, W32, b32), conv2d_1x1(x32, *linear_to_conv1x1(W32, b32)),
                conv2d_valid(x32, *linear_to_conv1x1(W32, b32))):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, expected, **TOL32)
    head = classifier_head(x32, W32, b32)
    assert head.dtype == np.float32
    np.testing.assert_allclose(head, F.linear(t(torch_gap(x32)), t(W32), t(b32)).numpy(), **TOL32)
    np.testing.assert_allclose(classifier_head_as_conv(x32, W32, b32)[..., 0, 0], head, **TOL32)
    assert global_avg_pool(x32).dtype == np.float32


@pytest.mark.parametrize(("dtype", "expected"), [(np.float16, np.float16), (np.int64, np.float64), (bool, np.float64)])
def test_other_input_dtypes(dtype, expected):
    x = (np.arange(24).reshape(2, 3, 4) % 3).astype(dtype)
    W, b = np.ones((2, 2), dtype), np.zeros(2, dtype)
    y = dense_per_position(x, W, b)
    assert y.dtype == expected
    np.testing.assert_allclose(y, torch_per_position(x.astype(np.float64), W.astype(np.float64), b.astype(np.float64)))
    assert global_avg_pool(x).dtype == expected


# ---- parameter counts ------------------------------------------------------------------------------------------


def test_param_counts_match_torch_modules():
    for c, out in [(1, 1), (3, 8), (64, 10)]:
        dense = sum(p.numel() for p in torch.nn.Linear(c, out).parameters())
        counts = param_counts(c, out)
        assert counts == {"dense": dense, "conv": sum(p.numel() for p in torch.nn.Conv2d(c, out, 1).parameters())}
        assert counts["dense"] == c * out + out
    conv3x3 = sum(p.numel() for p in torch.nn.Conv2d(3, 8, 3).parameters())
    assert param_counts(3, 8, (3, 3)) == {"dense": 32, "conv": conv3x3} == {"dense": 3 * 8 + 8, "conv": 8 * 3 * 9 + 8}


# ---- invalid arguments -----------------------------------------------------------------------------------------

X = np.ones((3, 4, 5))


@pytest.mark.parametrize(("call", "match"), [
    (lambda: linear_to_conv1x1(np.ones(3), np.ones(3)), r"W must have shape \(out, in\)"),
    (lambda: linear_to_conv1x1(np.ones((2, 3)), np.ones(3)), r"b must have shape \(out,\) = \(2,\)"),
    (lambda: linear_to_conv(np.ones((2, 59)), np.ones(2), (3, 4, 5)), "must equal C\\*H\\*W"),
    (lambda: linear_to_conv(np.ones((2, 60)), np.ones(2), (3, 20)), r"input_shape must be \(C, H, W\)"),
    (lambda: linear_to_conv(np.ones((2, 60)), np.ones(2), (3, 0, 5)), "H must be at least 1"),
    (lambda: linear_to_conv(np.ones((2, 60)), np.ones(2), (3, 4.0, 5)), "H must be a whole number"),
    (lambda: dense_per_position(X, np.ones((2, 4)), np.ones(2)), "expects C = 4 input channels"),
    (lambda: dense_per_position(np.ones((4, 5)), np.ones((2, 4)), np.ones(2)), r"\(C, H, W\) or \(N, C, H, W\)"),
    (lambda: dense_per_position(np.ones((0, 4, 5)), np.ones((2, 0)), np.ones(2)), "no empty axis"),
    (lambda: dense_per_position(X, np.ones((2, 3)), np.ones(3)), r"b must have shape"),
    (lambda: dense_per_position(X.astype(complex), np.ones((2, 3)), np.ones(2)), "real numbers"),
    (lambda: dense_on_flattened(X, np.ones((2, 59)), np.ones(2)), "must equal C\\*H\\*W"),
    (lambda: conv2d_1x1(X, np.ones((2, 3, 3, 3)), np.ones(2)), "needs a 1x1 kernel"),
    (lambda: conv2d_1x1(X, np.ones((2, 4, 1, 1)), np.ones(2)), "expects C = 4 input channels"),
    (lambda: conv2d_1x1(X, np.ones((2, 3)), np.ones(2)), r"weight must have shape \(out, C, kh, kw\)"),
    (lambda: conv2d_valid(X, np.ones((2, 3, 5, 5)), np.ones(2)), "5x5 kernel does not fit in the 4x5 input"),
    (lambda: conv2d_valid(X, np.ones((2, 2, 1, 1)), np.ones(2)), "expects C = 2 input channels"),
    (lambda: conv2d_valid(X, np.ones((2, 3, 1, 1)), np.ones(3)), r"bias must have shape \(out,\) = \(2,\)"),
    (lambda: global_avg_pool(np.ones(5)), r"\(C, H, W\) or \(N, C, H, W\)"),
    (lambda: classifier_head(X, np.ones((2, 4)), np.ones(2)), "expects C = 4 input channels"),
    (lambda: classifier_head_as_conv(X, np.ones((2, 4)), np.ones(2)), "expects C = 4 input channels"),
    (lambda: param_counts(0, 3), "in_features must be at least 1"),
    (lambda: param_counts(2.5, 3), "in_features must be a whole number"),
    (lambda: param_counts(3, 2, 3), "kernel_hw must be a pair"),
    (lambda: compare(X, np.ones((2, 4)), np.ones(2)), "expects C = 4 input channels"),
])
def test_mismatched_shapes_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_torch_refuses_the_same_mismatches():
    """The shapes refused above are ones torch refuses too (so the errors are real, not stricter than torch)."""
    with pytest.raises(RuntimeError):
        F.linear(torch.ones(4, 5, 3), torch.ones(2, 4), torch.ones(2))
    with pytest.raises(RuntimeError):
        F.conv2d(torch.ones(1, 3, 4, 5), torch.ones(2, 3, 5, 5))
    with pytest.raises(RuntimeError):
        F.linear(torch.flatten(torch.ones(3, 4, 5)), torch.ones(2, 59), torch.ones(2))


# ---- the lesson's examples and questions -----------------------------------------------------------------------

def test_examples_are_deterministic_and_on_their_grids():
    from core.fc_conv import example, flat_example

    x, W, b = example(3, 4, 2, 5)
    x2, W2, b2 = example(3, 4, 2, 5)
    assert (x == x2).all() and (W == W2).all() and (b == b2).all()
    assert x.shape == (3, 4, 4) and W.shape == (2, 3) and b.shape == (2,)
    assert (np.abs(x) <= 2).all() and ((x * 2) % 1 == 0).all() and ((W * 4) % 1 == 0).all()
    assert flat_example(3, 4, 2, 5).shape == (2, 48)
    with pytest.raises(ValueError):
        example(0, 3, 2, 1)


@pytest.mark.parametrize("seed", range(1, 40))
def test_the_quiz_answers_are_torchs_parameter_counts(seed):
    from core.fc_conv import flatten_question, params_question

    q = params_question(seed)
    conv = torch.nn.Conv2d(q.c_in, q.c_out, 1)
    assert q.answer == sum(p.numel() for p in conv.parameters())
    f = flatten_question(seed)
    assert f.answer == sum(p.numel() for p in torch.nn.Conv2d(f.c, f.out, (f.h, f.w)).parameters())
    assert f.answer == sum(p.numel() for p in torch.nn.Linear(f.c * f.h * f.w, f.out).parameters())


# ---- 1×1 convolution as feature fusion ----------------------------------------------------------------------

@pytest.mark.parametrize("weights, bias", [((0.299, 0.587, 0.114), 0.0), ((1.0, -1.0, 0.0), 0.25),
                                           ((-0.5, 2.0, 1.5, 0.3), -1.0)])
def test_fuse_channels_is_torchs_1x1_convolution(weights, bias):
    from core.fc_conv import fuse_channels

    rgb = np.random.default_rng(3).random((7, 9, len(weights)))
    got = fuse_channels(rgb, weights, bias)
    x = torch.from_numpy(np.moveaxis(rgb, -1, 0)[None])
    w = torch.tensor(weights, dtype=torch.float64).view(1, -1, 1, 1)
    expected = F.conv2d(x, w, torch.tensor([bias], dtype=torch.float64))[0, 0].numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert got.shape == (7, 9)
    with pytest.raises(ValueError):
        fuse_channels(rgb[..., 0], weights)


@given(st.integers(1, 96), st.integers(1, 48), st.integers(1, 7))
@settings(max_examples=40, deadline=None)
def test_bottleneck_counts_are_torchs_parameter_counts(channels, squeezed, kernel):
    from core.fc_conv import bottleneck_counts

    def count(*layers):
        return sum(p.numel() for layer in layers for p in layer.parameters())

    nn = torch.nn
    got = bottleneck_counts(channels, squeezed, kernel)
    assert got["direct"] == count(nn.Conv2d(channels, channels, kernel))
    assert got["bottleneck"] == count(nn.Conv2d(channels, squeezed, 1), nn.Conv2d(squeezed, squeezed, kernel),
                                      nn.Conv2d(squeezed, channels, 1))


@given(st.integers(1, 500))
@settings(max_examples=30, deadline=None)
def test_the_bottleneck_question_is_torchs_parameter_count(seed):
    from core.fc_conv import bottleneck_question

    q = bottleneck_question(seed)
    layers = (torch.nn.Conv2d(q.c, q.s, 1), torch.nn.Conv2d(q.s, q.s, q.k), torch.nn.Conv2d(q.s, q.c, 1))
    assert q.answer == sum(p.numel() for layer in layers for p in layer.parameters())
    assert q.s < q.c
