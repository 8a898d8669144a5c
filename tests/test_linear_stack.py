"""core.linear_stack against torch.nn.Sequential of nn.Linear (and the activations' torch modules) in float64."""

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from core.activations import ACTIVATIONS
from core.linear_stack import compose_linear, forward_stack, random_linear_layers

# The reference: torch's own modules with their defaults, written out here (not read from the registry).
TORCH_MODULE = {
    "identity": nn.Identity,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.01),
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "softplus": nn.Softplus,
    "silu": nn.SiLU,
}


def torch_sequential(layers, activation=None):
    modules = []
    for i, (w, b) in enumerate(layers):
        linear = nn.Linear(w.shape[1], w.shape[0], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w))
            linear.bias.copy_(torch.from_numpy(b))
        modules.append(linear)
        if activation is not None and i < len(layers) - 1:
            modules.append(TORCH_MODULE[activation]())
    return nn.Sequential(*modules)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=2, max_size=6), st.integers(0, 2**16))
def test_compose_linear_equals_the_stack(sizes, seed):
    rng = np.random.default_rng(seed)
    layers = [(rng.standard_normal((n_out, n_in)), rng.standard_normal(n_out))
              for n_in, n_out in itertools.pairwise(sizes)]
    w, b = compose_linear(layers)
    assert w.shape == (sizes[-1], sizes[0]) and b.shape == (sizes[-1],)
    x = rng.standard_normal((7, sizes[0]))
    h = x
    for w_i, b_i in layers:
        h = h @ w_i.T + b_i
    np.testing.assert_allclose(x @ w.T + b, h, rtol=1e-10, atol=1e-10)
    with torch.no_grad():
        expected = torch_sequential(layers)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(x @ w.T + b, expected, rtol=1e-10, atol=1e-10)


def test_compose_linear_two_scalar_layers():
    w, b = compose_linear([(np.array([[2.0]]), np.array([1.0])), (np.array([[-3.0]]), np.array([0.5]))])
    assert (w[0, 0], b[0]) == (-6.0, -2.5)  # -3 (2x + 1) + 0.5


@pytest.mark.parametrize("layers", [
    [],
    [(np.ones((2, 3)), np.ones(3))],
    [(np.ones(3), np.ones(3))],
    [(np.ones((2, 3)), np.ones(2)), (np.ones((4, 3)), np.ones(4))],
])
def test_compose_linear_rejects_shapes_that_do_not_chain(layers):
    with pytest.raises(ValueError):
        compose_linear(layers)


def test_random_linear_layers_shapes_scale_and_seed():
    layers = random_linear_layers(4, 8, seed=3, in_dim=2, out_dim=3, scale=2.0)
    assert [w.shape for w, _ in layers] == [(8, 2), (8, 8), (8, 8), (3, 8)]
    assert [b.shape for _, b in layers] == [(8,), (8,), (8,), (3,)]
    again = random_linear_layers(4, 8, seed=3, in_dim=2, out_dim=3, scale=2.0)
    assert all(np.array_equal(w, w2) and np.array_equal(b, b2) for (w, b), (w2, b2) in zip(layers, again, strict=True))
    assert not np.array_equal(random_linear_layers(4, 8, seed=4)[1][0], random_linear_layers(4, 8, seed=3)[1][0])
    big = random_linear_layers(3, 400, seed=0, scale=1.5)
    assert np.std(big[1][0]) == pytest.approx(1.5 / math.sqrt(400), rel=0.02)  # N(0, scale²/fan_in)
    assert np.std(big[0][1]) == pytest.approx(0.5, rel=0.1)  # b ~ N(0, 0.5²)
    assert len(random_linear_layers(1, 8, seed=0)) == 1 and random_linear_layers(1, 8, seed=0)[0][0].shape == (1, 1)
    with pytest.raises(ValueError):
        random_linear_layers(0, 8, seed=0)


def test_random_linear_stacks_stay_of_order_one():
    x = np.linspace(-3, 3, 101)[:, None]
    for depth in range(1, 11):
        spreads = [forward_stack(x, random_linear_layers(depth, 16, seed), "identity").std() for seed in range(40)]
        assert 0.2 < np.median(spreads) < 5, depth


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_forward_stack_equals_torch_sequential(name):
    layers = random_linear_layers(4, 6, seed=7, in_dim=2, out_dim=3)
    x = np.random.default_rng(0).standard_normal((11, 2)) * 2
    with torch.no_grad():
        expected = torch_sequential(layers, name)(torch.from_numpy(x)).numpy()
    got = forward_stack(x, layers, name)
    assert got.shape == (11, 3)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_forward_stack_one_dimensional_input_and_bad_shapes():
    layers = random_linear_layers(3, 5, seed=0)
    x = np.linspace(-3, 3, 9)
    np.testing.assert_array_equal(forward_stack(x, layers, "tanh"), forward_stack(x[:, None], layers, "tanh"))
    w, b = compose_linear(layers)
    np.testing.assert_allclose(forward_stack(x, layers, "identity")[:, 0], w[0, 0] * x + b[0], rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="shape"):
        forward_stack(np.ones((4, 2)), layers, "relu")
    with pytest.raises(ValueError, match="unknown activation"):
        forward_stack(x, layers, "swish")
