"""What a layer costs: parameters and multiply-adds of a convolution and of a dense layer doing the same job."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LayerCost:
    params: int
    mult_adds: int


def conv_cost(c_in: int, c_out: int, kh: int, kw: int, h_out: int, w_out: int, bias: bool = True) -> LayerCost:
    """Conv2d: ``C_out·C_in·kh·kw (+ C_out)`` parameters; every output value needs ``C_in·kh·kw`` multiply-adds."""
    return LayerCost(c_out * c_in * kh * kw + (c_out if bias else 0), c_out * h_out * w_out * c_in * kh * kw)


def dense_cost(n_in: int, n_out: int, bias: bool = True) -> LayerCost:
    """Linear: every output is connected to every input: ``n_in·n_out (+ n_out)`` parameters."""
    return LayerCost(n_in * n_out + (n_out if bias else 0), n_in * n_out)
