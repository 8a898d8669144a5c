"""Fully-connected layers as convolutions, written out in NumPy (torch is only the reference in the tests).

A fully-connected (dense) layer maps every input dimension to every output: ``y = W x + b`` with ``W`` of shape
``(out, in)``. Three ways of seeing it as a convolution::

    on channels:       y[o, i, j] = b[o] + sum_c W[o, c] x[c, i, j]
                                  = a 1x1 convolution with weight[o, c, 0, 0] = W[o, c]
    after global pool: g[c] = (1 / HW) sum_{i,j} x[c, i, j],  logits = W g + b
                                  = a 1x1 convolution of the 1x1 map g[:, None, None]
    on a flattened map: y[o] = b[o] + sum_k W[o, k] flat(x)[k],  flat(x)[c HW + i W + j] = x[c, i, j]
                                  = a 'valid' convolution whose (H, W) kernel covers the whole map,
                                    weight = W.reshape(out, C, H, W), output (out, 1, 1)

``flat`` is row-major, as ``torch.flatten`` does it. The 1x1 convolution has ``out*in + out`` parameters, exactly
the dense layer's; a ``kh x kw`` kernel has ``out*in*kh*kw + out``.

Every function takes one map ``x`` of shape ``(C, H, W)`` or a batch ``(N, C, H, W)`` and keeps the batch axis.
Results keep the inputs' float dtype (NumPy's promotion of ``x``, ``W`` and ``b``; float16 is computed in float32,
integers and booleans become float64). ``b`` may be ``None``: no bias, as in torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from core.arguments import whole_number
from core.pooling import global_avg_pool

# ---- arguments --------------------------------------------------------------------------------------------


def _dtypes(*arrays: np.ndarray | None) -> tuple[np.dtype, np.dtype]:
    """(dtype computed in, dtype returned) for the arrays together: floats keep theirs (float16 computed in float32)."""
    given = [a for a in arrays if a is not None]
    for a in given:
        if not (np.issubdtype(a.dtype, np.number) or a.dtype == bool) or np.issubdtype(a.dtype, np.complexfloating):
            raise ValueError(f"fc_conv works on real numbers; got an array of {a.dtype}")
    out = np.result_type(*given)
    if not np.issubdtype(out, np.floating):
        out = np.dtype(np.float64)
    return np.promote_types(out, np.float32), out


def _map(x, name: str = "x") -> np.ndarray:
    """``x`` as an array of shape (C, H, W) or (N, C, H, W) with no empty axis."""
    x = np.asarray(x)
    if x.ndim not in (3, 4) or 0 in x.shape:
        raise ValueError(f"{name} must have shape (C, H, W) or (N, C, H, W) with no empty axis; got shape {x.shape}")
    return x


def _weight_and_bias(weight, bias, names: tuple[str, str], axes: str) -> tuple[np.ndarray, np.ndarray | None]:
    """``weight`` of shape ``axes`` (its first axis ``out``) and ``bias`` of shape (out,) or None, checked together."""
    weight_name, bias_name = names
    weight = np.asarray(weight)
    if weight.ndim != axes.count(",") + 1 or 0 in weight.shape:
        raise ValueError(f"{weight_name} must have shape {axes} with no empty axis; got shape {weight.shape}")
    if bias is None:
        return weight, None
    bias = np.asarray(bias)
    if bias.shape != (weight.shape[0],):
        raise ValueError(f"{bias_name} must have shape (out,) = ({weight.shape[0]},) to match {weight_name} "
                         f"{weight.shape}; got shape {bias.shape}")
    return weight, bias


def _dense(W, b) -> tuple[np.ndarray, np.ndarray | None]:
    """``W`` of shape (out, in) and ``b`` of shape (out,) or None."""
    return _weight_and_bias(W, b, ("W", "b"), "(out, in)")


def _conv_weight(weight, bias) -> tuple[np.ndarray, np.ndarray | None]:
    """``weight`` of shape (out, C, kh, kw) and ``bias`` of shape (out,) or None."""
    return _weight_and_bias(weight, bias, ("weight", "bias"), "(out, C, kh, kw)")


def _check_channels(x: np.ndarray, c_weight: int, what: str) -> None:
    if x.shape[-3] != c_weight:
        raise ValueError(f"{what} expects C = {c_weight} input channels but x {x.shape} has {x.shape[-3]}; the "
                         "channel axis of x (C in (C, H, W) or (N, C, H, W)) must match")


def _with_bias(y: np.ndarray, bias: np.ndarray | None, work: np.dtype, out: np.dtype) -> np.ndarray:
    """``y[..., o, i, j] + bias[o]``, cast to the returned dtype."""
    if bias is not None:
        y = y + bias.astype(work, copy=False)[:, None, None]
    return y.astype(out, copy=False)


# ---- dense <-> convolution weights --------------------------------------------------------------------------


def linear_to_conv1x1(W, b) -> tuple[np.ndarray, np.ndarray | None]:
    """``weight[o, c, 0, 0] = W[o, c]``, ``bias = b``: (out, in), (out,) -> (out, in, 1, 1), (out,). New arrays."""
    W, b = _dense(W, b)
    return W[:, :, None, None].copy(), None if b is None else b.copy()


def linear_to_conv(W, b, input_shape) -> tuple[np.ndarray, np.ndarray | None]:
    """``weight[o, c, i, j] = W[o, c HW + i W + j]``: a dense layer on a flattened (C, H, W) map as an (H, W) kernel.

    (out, C*H*W), (out,) -> (out, C, H, W), (out,); the row-major order is ``torch.flatten``'s.
    """
    W, b = _dense(W, b)
    try:
        c, h, w = input_shape
    except (TypeError, ValueError):
        raise ValueError(f"input_shape must be (C, H, W), got {input_shape!r}") from None
    c, h, w = whole_number(c, "C", at_least=1), whole_number(h, "H", at_least=1), whole_number(w, "W", at_least=1)
    if W.shape[1] != c * h * w:
        raise ValueError(f"W {W.shape} takes {W.shape[1]} inputs but a flattened (C, H, W) = ({c}, {h}, {w}) map has "
                         f"C*H*W = {c * h * w}; W's second dimension must equal C*H*W")
    return W.reshape(W.shape[0], c, h, w).copy(), None if b is None else b.copy()


# ---- the layers ---------------------------------------------------------------------------------------------


def dense_per_position(x, W, b) -> np.ndarray:
    """``y[o, i, j] = sum_c W[o, c] x[c, i, j] + b[o]``: the dense layer at every pixel. (C, H, W) -> (out, H, W)."""
    x, (W, b) = _map(x), _dense(W, b)
    _check_channels(x, W.shape[1], f"W {W.shape}")
    work, out = _dtypes(x, W, b)
    y = np.einsum("oc,...chw->...ohw", W.astype(work, copy=False), x.astype(work, copy=False))
    return _with_bias(y, b, work, out)


def dense_on_flattened(x, W, b) -> np.ndarray:
    """``y = W flat(x) + b``, ``flat`` row-major as ``torch.flatten``: (C, H, W) -> (out,), (N, C, H, W) -> (N, out)."""
    x, (W, b) = _map(x), _dense(W, b)
    n_in = int(np.prod(x.shape[-3:]))
    if W.shape[1] != n_in:
        raise ValueError(f"W {W.shape} takes {W.shape[1]} inputs but x {x.shape} flattens to C*H*W = {n_in}; W's "
                         "second dimension must equal C*H*W")
    work, out = _dtypes(x, W, b)
    flat = x.reshape(*x.shape[:-3], n_in).astype(work, copy=False)
    y = flat @ W.astype(work, copy=False).T
    if b is not None:
        y = y + b.astype(work, copy=False)
    return y.astype(out, copy=False)


def conv2d_1x1(x, weight, bias) -> np.ndarray:
    """``y[o, i, j] = sum_c weight[o, c, 0, 0] x[c, i, j] + bias[o]``: (C, H, W), (out, C, 1, 1) -> (out, H, W)."""
    x, (weight, bias) = _map(x), _conv_weight(weight, bias)
    if weight.shape[2:] != (1, 1):
        raise ValueError(f"conv2d_1x1 needs a 1x1 kernel, weight of shape (out, C, 1, 1); got {weight.shape} "
                         "(use conv2d_valid for larger kernels)")
    _check_channels(x, weight.shape[1], f"weight {weight.shape}")
    work, out = _dtypes(x, weight, bias)
    y = np.einsum("oc,...chw->...ohw", weight[:, :, 0, 0].astype(work, copy=False), x.astype(work, copy=False))
    return _with_bias(y, bias, work, out)


def conv2d_valid(x, weight, bias) -> np.ndarray:
    """``y[o, i, j] = sum_{c,a,b'} weight[o, c, a, b'] x[c, i + a, j + b'] + bias[o]``: stride 1, no padding.

    (C, H, W), (out, C, kh, kw) -> (out, H - kh + 1, W - kw + 1); cross-correlation, as ``F.conv2d``. One einsum
    over ``sliding_window_view``'s windows: meant for small maps, not speed.
    """
    x, (weight, bias) = _map(x), _conv_weight(weight, bias)
    _check_channels(x, weight.shape[1], f"weight {weight.shape}")
    kh, kw = weight.shape[2:]
    h, w = x.shape[-2:]
    if kh > h or kw > w:
        raise ValueError(f"the {kh}x{kw} kernel does not fit in the {h}x{w} input (no padding): a 'valid' "
                         "convolution needs kh <= H and kw <= W")
    work, out = _dtypes(x, weight, bias)
    windows = sliding_window_view(x.astype(work, copy=False), (kh, kw), axis=(-2, -1))  # (..., C, H', W', kh, kw)
    y = np.einsum("...cijab,ocab->...oij", windows, weight.astype(work, copy=False))
    return _with_bias(y, bias, work, out)


# ---- global pooling and the classifier head ----------------------------------------------------------------


def classifier_head(x, W, b) -> np.ndarray:
    """``logits = W gap(x) + b``: (C, H, W), (out, C) -> (out,); (N, C, H, W) -> (N, out)."""
    x, (W, b) = _map(x), _dense(W, b)
    _check_channels(x, W.shape[1], f"W {W.shape}")
    work, out = _dtypes(x, W, b)
    y = global_avg_pool(x.astype(work, copy=False)) @ W.astype(work, copy=False).T
    if b is not None:
        y = y + b.astype(work, copy=False)
    return y.astype(out, copy=False)


def classifier_head_as_conv(x, W, b) -> np.ndarray:
    """The same head as a 1x1 conv of the pooled 1x1 map: (C, H, W) -> (out, 1, 1); (N, C, H, W) -> (N, out, 1, 1)."""
    x = _map(x)
    g = global_avg_pool(x)[..., None, None]  # (C, 1, 1) or (N, C, 1, 1)
    return conv2d_1x1(g, *linear_to_conv1x1(W, b))


# ---- what the page shows ------------------------------------------------------------------------------------


def param_counts(in_features: int, out_features: int, kernel_hw=(1, 1)) -> dict[str, int]:
    """``dense = in*out + out``, ``conv = out*in*kh*kw + out`` (bias included in both): equal for a 1x1 kernel."""
    n_in = whole_number(in_features, "in_features", at_least=1)
    n_out = whole_number(out_features, "out_features", at_least=1)
    try:
        kh, kw = kernel_hw
    except (TypeError, ValueError):
        raise ValueError(f"kernel_hw must be a pair (kh, kw), got {kernel_hw!r}") from None
    kh, kw = whole_number(kh, "kh", at_least=1), whole_number(kw, "kw", at_least=1)
    return {"dense": n_in * n_out + n_out, "conv": n_out * n_in * kh * kw + n_out}


def compare(x, W, b) -> dict:
    """The dense layer at every pixel and the 1x1 conv with the same numbers, side by side.

    Returns ``dense`` and ``conv`` ((out, H, W), or (N, out, H, W)), ``max_abs_diff`` (a float) and the parameter
    counts ``dense_params`` and ``conv_params`` (equal).
    """
    x, (W, b) = _map(x), _dense(W, b)
    dense = dense_per_position(x, W, b)
    conv = conv2d_1x1(x, *linear_to_conv1x1(W, b))
    counts = param_counts(W.shape[1], W.shape[0])
    return {"dense": dense, "conv": conv, "max_abs_diff": float(np.max(np.abs(dense - conv))),
            "dense_params": counts["dense"], "conv_params": counts["conv"]}


# ---- the lesson's examples and questions ---------------------------------------------------------------------

def example(channels: int, size: int, outputs: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A readable example, deterministic per ``seed``: ``x`` (C, size, size) in steps of 0.5 within [-2, 2], ``W``
    (outputs, C) in quarter steps within [-1, 1], ``b`` (outputs,) in halves within [-1, 1] (all float64)."""
    for name, value in (("channels", channels), ("size", size), ("outputs", outputs)):
        whole_number(value, name, at_least=1)
    rng = np.random.default_rng([seed, channels, size, outputs])
    x = rng.integers(-4, 5, size=(channels, size, size)) / 2
    W = rng.integers(-4, 5, size=(outputs, channels)) / 4
    b = rng.integers(-2, 3, size=outputs) / 2
    return x.astype(np.float64), W.astype(np.float64), b.astype(np.float64)


@dataclass(frozen=True)
class ParamsQuestion:
    """How many weights (with biases) has the 1×1 convolution equal to a dense layer from ``c_in`` channels to
    ``c_out`` at every position of an ``h``×``w`` map? (The map's size does not matter: the trap.)"""

    c_in: int
    c_out: int
    h: int
    w: int

    @property
    def answer(self) -> int:
        return self.c_in * self.c_out + self.c_out


@dataclass(frozen=True)
class FlattenQuestion:
    """A dense layer on a flattened ``c``×``h``×``w`` map with ``out`` outputs is a convolution with an ``h``×``w``
    kernel: how many weights (with biases) does it have?"""

    c: int
    h: int
    w: int
    out: int

    @property
    def answer(self) -> int:
        return self.out * self.c * self.h * self.w + self.out


@dataclass(frozen=True)
class BottleneckQuestion:
    """How many weights (biases included) has the bottleneck: a 1×1 convolution from ``c`` channels to ``s``, a
    ``k``×``k`` convolution among those ``s``, a 1×1 convolution back to ``c``? (``bottleneck_counts``.)"""

    c: int
    s: int
    k: int

    @property
    def answer(self) -> int:
        return bottleneck_counts(self.c, self.s, self.k)["bottleneck"]


def bottleneck_question(seed: int) -> BottleneckQuestion:
    rng = np.random.default_rng([seed, 3])
    c = int(rng.choice([64, 128, 256, 512]))
    return BottleneckQuestion(c, c // int(rng.choice([2, 4, 8])), int(rng.choice([3, 5])))


def params_question(seed: int) -> ParamsQuestion:
    rng = np.random.default_rng([seed, 1])
    c_in, c_out = (int(v) for v in rng.choice([3, 8, 16, 32, 64, 128, 256], size=2))
    h = int(rng.choice([1, 7, 14, 28, 56]))
    return ParamsQuestion(c_in, c_out, h, h)


def flatten_question(seed: int) -> FlattenQuestion:
    rng = np.random.default_rng([seed, 2])
    side = int(rng.choice([2, 3, 4, 5, 7]))
    return FlattenQuestion(int(rng.choice([4, 8, 16, 32, 64])), side, side, int(rng.choice([2, 10, 16, 100])))


def flat_example(channels: int, size: int, outputs: int, seed: int) -> np.ndarray:
    """A dense layer's weights on the flattened ``(channels, size, size)`` map, ``(outputs, C·size·size)``, in
    quarter steps within [-1, 1], deterministic per ``seed``."""
    rng = np.random.default_rng([seed, channels, size, outputs, 7])
    return (rng.integers(-4, 5, size=(outputs, channels * size * size)) / 4).astype(np.float64)


# ---- 1×1 convolution as feature fusion ----------------------------------------------------------------------

MIXES: dict[str, tuple[float, float, float]] = {
    "luminance": (0.299, 0.587, 0.114),  # ITU-R BT.601: the brightness the eye sees
    "mean": (1 / 3, 1 / 3, 1 / 3),
    "red_minus_green": (1.0, -1.0, 0.0),
    "blue_minus_yellow": (-0.5, -0.5, 1.0),
}
"""Named weights ``(w_R, w_G, w_B)`` of a 1×1 convolution from 3 colour channels to one."""


def fuse_channels(rgb, weights, bias: float = 0.0) -> np.ndarray:
    """One feature map mixed from the channels of ``rgb`` ``(H, W, C)`` by a 1×1 convolution:
    ``y[i, j] = sum_c weights[c] rgb[i, j, c] + bias``, every pixel with the same ``C`` weights."""
    rgb = np.asarray(rgb)
    if rgb.ndim != 3:
        raise ValueError(f"expected an (H, W, C) image, got shape {rgb.shape}")
    weight = np.asarray(weights, dtype=np.float64).reshape(1, -1, 1, 1)
    return conv2d_1x1(np.moveaxis(rgb, -1, 0), weight, np.array([float(bias)]))[0]


def bottleneck_counts(channels: int, squeezed: int, kernel: int) -> dict[str, int]:
    """Weights (biases included) of a ``kernel``×``kernel`` convolution from ``channels`` to ``channels`` channels,
    made directly or as a bottleneck: a 1×1 convolution squeezing to ``squeezed`` channels, the ``kernel``×``kernel``
    convolution among those, a 1×1 convolution back to ``channels``:
    ``direct = c·c·k² + c``, ``bottleneck = (c·s + s) + (s·s·k² + s) + (s·c + c)``."""
    c = whole_number(channels, "channels", at_least=1)
    s = whole_number(squeezed, "squeezed", at_least=1)
    k = whole_number(kernel, "kernel", at_least=1)
    return {"direct": c * c * k * k + c, "bottleneck": (c * s + s) + (s * s * k * k + s) + (s * c + c)}
