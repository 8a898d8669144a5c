"""Is a CNN scale-invariant? The primer (0x03 1) says convolution copes with position and scale; measured here.

Convolution is shift-equivariant: shifting the input shifts the feature map by exactly as much
(``equivariance_errors``). It is not scale-equivariant: a kernel has a fixed size in pixels, so enlarging the input
does not enlarge the map the same way. A network's tolerance of other sizes comes from what it was trained on:
``run_scale_experiment`` trains the same network on the digits as they are and on the digits at varied sizes, then
tests both on the test digits rescaled from 0.5× to 1.5×.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from core.data import Dataset, load_digits_dataset
from core.models import CNNConfig, build_model
from core.train import TrainConfig, evaluate, train

SCALES = tuple(round(0.5 + 0.1 * k, 1) for k in range(11))
"""The test sizes: 0.5×, 0.6×, …, 1.5×."""


def rescale_images(x: torch.Tensor, factor: float) -> torch.Tensor:
    """``x`` ``(N, C, H, W)`` with every image enlarged (``factor > 1``) or shrunk about its centre: the output pixel
    at position ``p`` (normalised to [-1, 1] as ``F.affine_grid``, ``align_corners=False``) takes the input at
    ``p / factor``, bilinearly, zero outside; the result clipped to [0, 1] like the images."""
    if not factor > 0:
        raise ValueError(f"factor must be > 0, got {factor}")
    theta = torch.tensor([[1 / factor, 0.0, 0.0], [0.0, 1 / factor, 0.0]], dtype=x.dtype).expand(len(x), 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False).clamp(0, 1)


def varied_sizes(data: Dataset, copies: int, low: float, high: float, seed: int = 0) -> Dataset:
    """``data`` with ``copies`` more copies of every training image, each rescaled by its own factor drawn uniformly
    from [``low``, ``high``] (``numpy.random.default_rng(seed)``); the test images unchanged."""
    rng = np.random.default_rng(seed)
    extra = [torch.cat([rescale_images(data.x_train[i:i + 1], float(f)) for i, f in
                        enumerate(rng.uniform(low, high, len(data.x_train)))]) for _ in range(copies)]
    return Dataset(torch.cat([data.x_train, *extra]), data.y_train.repeat(copies + 1), data.x_test, data.y_test,
                   list(data.classes), data.description)


def equivariance_errors(image: torch.Tensor, kernel: torch.Tensor, shift: int = 3, factor: float = 2.0
                        ) -> tuple[float, float]:
    """For one ``(H, W)`` image on a zero border wider than ``shift`` and a ``(k, k)`` kernel (convolution with
    ``padding = k // 2``): ``max |conv(shift(x)) - shift(conv(x))|`` and ``max |conv(rescale(x)) -
    rescale(conv(x))| / max |conv(rescale(x))|``. The first is 0 (equivariance), the second is not."""
    x = image[None, None].to(torch.float64)
    w = kernel[None, None].to(torch.float64)

    def conv(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(t, w, padding=kernel.shape[-1] // 2)

    def moved(t: torch.Tensor) -> torch.Tensor:
        return torch.roll(t, shifts=(shift, shift), dims=(2, 3))  # what rolls round is zero: a true shift

    shift_error = float((conv(moved(x)) - moved(conv(x))).abs().max())
    enlarged = conv(rescale_images(x, factor).to(torch.float64))
    relative = (enlarged - rescale_unclipped(conv(x), factor)).abs().max() / enlarged.abs().max()
    return shift_error, float(relative)


def rescale_unclipped(x: torch.Tensor, factor: float) -> torch.Tensor:
    """``rescale_images`` without the clipping to [0, 1] (for feature maps, which may be negative)."""
    theta = torch.tensor([[1 / factor, 0.0, 0.0], [0.0, 1 / factor, 0.0]], dtype=x.dtype).expand(len(x), 2, 3)
    return F.grid_sample(x, F.affine_grid(theta, list(x.shape), align_corners=False), mode="bilinear",
                         padding_mode="zeros", align_corners=False)


@dataclass(frozen=True)
class ScaleExperiment:
    """``CNNConfig()`` trained ``epochs`` epochs (seed ``seed``) on the digits as they are, and on the digits plus
    ``copies`` copies at sizes from ``low`` to ``high``; both tested at ``SCALES``."""

    epochs: int = 8
    seed: int = 0
    copies: int = 2
    low: float = 0.5
    high: float = 1.5


@dataclass
class ScaleResult:
    scales: tuple[float, ...]
    plain_accuracy: list[float] = field(default_factory=list)  # the network trained on the digits as they are
    varied_accuracy: list[float] = field(default_factory=list)  # trained on the digits at varied sizes
    shift_error: float = 0.0
    scale_error: float = 0.0
    seconds: float = 0.0
    status: str = "finished"


def accuracy_by_scale(model: torch.nn.Module, data: Dataset, scales=SCALES) -> list[float]:
    """The test accuracy of ``model`` on ``data``'s test images rescaled by each factor of ``scales``."""
    return [evaluate(model, Dataset(data.x_train[:1], data.y_train[:1], rescale_images(data.x_test, s), data.y_test,
                                    list(data.classes), data.description))["accuracy"] for s in scales]


def run_scale_experiment(exp: ScaleExperiment) -> ScaleResult:
    """Both trainings and both accuracy curves, and the two equivariance errors on the first test digit with a
    Sobel kernel (the digit placed on a zero border)."""
    start = time.perf_counter()
    result = ScaleResult(SCALES)
    data = load_digits_dataset()
    config = TrainConfig(epochs=exp.epochs, seed=exp.seed)
    for target, training in ((result.plain_accuracy, data),
                             (result.varied_accuracy, varied_sizes(data, exp.copies, exp.low, exp.high, exp.seed))):
        model = build_model(CNNConfig(), seed=exp.seed)
        run = train(model, training, config)
        if run.status != "finished":
            result.status, result.seconds = run.status, time.perf_counter() - start
            return result
        target.extend(accuracy_by_scale(model, data))
    digit = F.pad(data.x_test[0, 0].to(torch.float64), (8, 8, 8, 8))
    sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    result.shift_error, result.scale_error = equivariance_errors(digit, sobel)
    result.seconds = time.perf_counter() - start
    return result
