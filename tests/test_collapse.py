"""``core.collapse`` against torch layers and NumPy's own least squares."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.collapse import depth_collapse, line_gap, straight_line_fit
from core.linear_stack import random_linear_layers

X = np.linspace(-3.0, 3.0, 301)


def torch_stack(layers, activation):
    y = torch.from_numpy(X)[:, None]
    for n, (W, b) in enumerate(layers):
        y = y @ torch.from_numpy(W).T + torch.from_numpy(b)
        if n < len(layers) - 1:
            y = activation(y)
    return y[:, 0].numpy()


@pytest.mark.parametrize(("depth", "width", "seed"), [(1, 1, 0), (2, 3, 1), (5, 4, 2), (10, 8, 3)])
def test_without_activation_the_stack_is_its_composed_layer(depth, width, seed):
    c = depth_collapse(depth, width, seed, "identity", X, scale=1.0)
    np.testing.assert_allclose(c.stack, torch_stack(random_linear_layers(depth, width, seed), lambda v: v),
                               rtol=1e-12, atol=1e-12)
    # the composed layer read off the torch stack: a line through its outputs at x = 0 and x = 1
    reference = torch_stack(random_linear_layers(depth, width, seed), lambda v: v)
    slope = (reference[-1] - reference[0]) / (X[-1] - X[0])
    assert pytest.approx(slope, rel=1e-9, abs=1e-12) == c.W
    assert c.b == pytest.approx(reference[150], rel=1e-9, abs=1e-12)  # X[150] = 0
    assert c.gap_composed < 1e-12 and c.gap_line < 1e-12
    assert c.slope == pytest.approx(c.W, rel=1e-9, abs=1e-12) and c.intercept == pytest.approx(c.b, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid"])
def test_with_an_activation_the_stack_bends(name):
    c = depth_collapse(4, 6, 1, name, X)  # weight size 2 by default
    reference = torch_stack(random_linear_layers(4, 6, 1, scale=2.0), getattr(torch, name))
    np.testing.assert_allclose(c.stack, reference, rtol=1e-12, atol=1e-12)
    slope, intercept = np.polyfit(X, reference, 1)
    assert c.slope == pytest.approx(slope, rel=1e-9) and c.intercept == pytest.approx(intercept, rel=1e-9, abs=1e-12)
    assert c.gap_line == pytest.approx(np.abs(reference - (slope * X + intercept)).max(), rel=1e-9)
    assert c.gap_line > 1e-3


@settings(max_examples=50, deadline=None)
@given(slope=st.floats(-100, 100), intercept=st.floats(-100, 100))
def test_a_line_is_fitted_exactly(slope, intercept):
    y = slope * X + intercept
    s, i = straight_line_fit(X, y)
    assert s == pytest.approx(slope, abs=1e-9) and i == pytest.approx(intercept, abs=1e-9)
    assert line_gap(X, y) < 1e-9


def test_a_parabola_is_not_a_line():
    # best line through x² on [-3, 3] is the constant mean(x²); the largest miss is at x = ±3
    assert line_gap(X, X**2) == pytest.approx(9 - np.mean(X**2), rel=1e-12)


def test_small_weights_keep_sigmoid_almost_straight():
    """Near 0 sigmoid is almost a line: the same stack bends far less with small weights."""
    small, usual = (depth_collapse(4, 6, 1, "sigmoid", X, scale=scale).gap_line for scale in (0.2, 2.0))
    assert small < 0.01 * usual
