"""Parameter and multiply-add counts against torch's own layers."""

import pytest
import torch

from core.layer_cost import conv_cost, dense_cost


@pytest.mark.parametrize(("c_in", "c_out", "k", "bias"), [(1, 1, 3, True), (3, 8, 3, True), (3, 8, 5, False),
                                                          (16, 32, 1, True)])
def test_conv_cost_matches_torch(c_in, c_out, k, bias):
    layer = torch.nn.Conv2d(c_in, c_out, k, bias=bias)
    out = layer(torch.zeros(1, c_in, 20, 24))
    cost = conv_cost(c_in, c_out, k, k, *out.shape[2:], bias=bias)
    assert cost.params == sum(p.numel() for p in layer.parameters())
    assert cost.mult_adds == out.numel() * c_in * k * k


@pytest.mark.parametrize(("n_in", "n_out", "bias"), [(10, 3, True), (784, 10, False)])
def test_dense_cost_matches_torch(n_in, n_out, bias):
    layer = torch.nn.Linear(n_in, n_out, bias=bias)
    cost = dense_cost(n_in, n_out, bias=bias)
    assert cost.params == sum(p.numel() for p in layer.parameters())
    assert cost.mult_adds == layer.weight.numel()
