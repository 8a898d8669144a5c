"""Does convolution handle position and a dense network not? Train both on centred images, test on shifted ones.

A CNN and an MLP of about the same parameter count P are trained on the same centred images with the same
``TrainConfig`` and init seed; then each is tested on the test images moved s = 0, 1, ..., s_max pixels
(``core.data.shift_images``: right and/or down, zero fill). A convolution's weights are shared over positions, so a
moved input moves its feature maps; max pooling and the dense head after the last map are not exactly
shift-invariant, and that is part of what is measured. An MLP's first layer has one weight per pixel: the weights of
a pixel that was (nearly) always dark in training were (nearly) never trained.

Measured (``python bench/shift.py``, 2 CPU cores): the default (digits, right shifts 0..8, 3 epochs) takes 2.5-3 s
warm; CNN 98% / MLP 87% at shift 0, 64% / 27% on the mean over shifts 3..6 (seeds 0-9: a gap of 0.22-0.41).
Centred shapes show the same for right and for down shifts (gap 0.23-0.46, seeds 0-2). The claim has limits that
the experiment shows too: the digits fill the canvas's full height, so a down shift cuts the digit off at once, and
there the CNN's advantage is small or gone (seed 0: 27% vs 39%); diagonal shifts (s·√2 pixels) defeat both networks
soon after s = 3 on either dataset.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace

import torch
from torch import nn

from core.data import Dataset, load_digits_dataset, load_shapes, shift_images
from core.models import CNNConfig, ConvBlock, MLPConfig, build_model
from core.train import TrainConfig, train

DIRECTIONS = ("right", "down", "diagonal")
EXPERIMENT_DATASETS = ("shapes", "digits")
EVAL_BATCH = 512

SHIFT_CNN = CNNConfig(blocks=(ConvBlock(8), ConvBlock(16), ConvBlock(32)), dense=(32,), dropout=0.0)
"""The experiment's default CNN (15,522 parameters for 10 classes): three blocks conv 3×3 -> batch norm -> ReLU ->
max 2×2 (8, 16, 32 channels; 28 -> 14 -> 7 -> 3), then dense 32. The third pooling matters: after two blocks (a 7×7
map of 4-pixel cells) the dense head is nearly as position-bound as the MLP (digits, right shifts, batch 64: a mean
gap of 0.10-0.17 over shifts 4..6 with blocks 8, 16; 0.31-0.37 with 8, 16, 32). ``input_shape`` and ``classes`` are
set from the data by ``run_shift_experiment``."""

SHIFT_TRAIN = TrainConfig(batch_size=32, epochs=3, cpu_threads=1)
"""Both networks' training: Adam, lr 0.003, batch 32, cosine schedule, one CPU thread; epochs and seed are replaced
by the experiment's."""


# ---- parameter counts ----------------------------------------------------------------------------------------

def param_count(config: CNNConfig | MLPConfig) -> int:
    """P = Σ numel(p) over the parameters p of ``build_model(config)``."""
    return sum(p.numel() for p in build_model(config).parameters())


def matching_mlp(cnn: CNNConfig, activation: str = "relu") -> MLPConfig:
    """One hidden layer of h units, P_mlp = in·h + h + h·classes + classes as close as possible to P_cnn.

    P_mlp is linear in h with slope (in + 1 + classes), so h = round((P_cnn − classes) / (in + 1 + classes)), at
    least 1; then |P_mlp − P_cnn| ≤ (in + 1 + classes) / 2 unless h was raised to 1. ``in`` = C·H·W of the input.
    """
    c, h, w = cnn.input_shape
    n_in = c * h * w
    hidden = max(1, round((param_count(cnn) - cnn.classes) / (n_in + 1 + cnn.classes)))
    return MLPConfig(hidden=(hidden,), activation=activation, dropout=0.0, input_shape=cnn.input_shape,
                     classes=cnn.classes)


# ---- accuracy under shifts -----------------------------------------------------------------------------------

def _offsets(s: int, direction: str) -> tuple[int, int]:
    """(dx, dy) of a shift by s: right (s, 0), down (0, s), diagonal (s, s)."""
    return {"right": (s, 0), "down": (0, s), "diagonal": (s, s)}[direction]


def shift_accuracy(model: nn.Module, dataset: Dataset, shifts, direction: str = "diagonal",
                   batch_size: int = EVAL_BATCH) -> list[float]:
    """acc(s) = (1/N) Σ_i [argmax model(shift(x_i, dx, dy)) = y_i] on the test split, for each s in ``shifts``.

    (dx, dy) = (s, 0) for "right", (0, s) for "down", (s, s) for "diagonal" (moving right and down, zero fill).
    Eval mode, no gradients, batches of ``batch_size``; the model's training mode is restored afterwards.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}; choose one of {', '.join(DIRECTIONS)}")
    shifts = [int(s) for s in shifts]
    if any(s < 0 for s in shifts):
        raise ValueError(f"shifts must be non-negative, got {shifts}")
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    x, y = dataset.x_test, dataset.y_test.to(device)
    if len(y) == 0:
        raise ValueError("the test split is empty")
    was_training = model.training
    model.eval()
    out = []
    try:
        with torch.no_grad():
            for s in shifts:
                moved = shift_images(x, *_offsets(s, direction))
                correct = 0
                for i in range(0, len(y), batch_size):
                    pred = model(moved[i: i + batch_size].to(device)).argmax(1)
                    correct += int((pred == y[i: i + batch_size]).sum())
                out.append(correct / len(y))
    finally:
        model.train(was_training)
    return out


# ---- the experiment ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShiftExperiment:
    """Train on centred ``dataset`` images ("digits" or "shapes"), test at shifts 0..``max_shift`` pixels in
    ``direction`` ("right", "down" or "diagonal"), ``epochs`` of training, ``seed`` for the init, the batch order and
    the generated shapes. ``n_train`` and ``n_test`` apply to "shapes"; "digits" has its fixed 1,437 / 360 split.
    """

    dataset: str = "digits"
    max_shift: int = 8
    direction: str = "right"
    epochs: int = 3
    seed: int = 0
    n_train: int = 1500
    n_test: int = 600

    @property
    def shifts(self) -> list[int]:
        return list(range(self.max_shift + 1))


@dataclass
class ShiftResult:
    """Test accuracy of both networks at each shift, their parameter counts, the call's wall time and status."""

    shifts: list[int]
    cnn_accuracy: list[float] = field(default_factory=list)  # one per shift; empty unless finished
    mlp_accuracy: list[float] = field(default_factory=list)
    pooled_accuracy: list[float] = field(default_factory=list)  # the CNN with global max pooling before its head
    cnn_params: int = 0
    mlp_params: int = 0
    pooled_params: int = 0
    seconds: float = 0.0  # wall time of the whole call (data, both trainings, both evaluations)
    status: str = "finished"  # "finished" | "stopped" | "diverged"


def check_experiment(exp: ShiftExperiment) -> None:
    """ValueError naming the first field that cannot be run."""
    if exp.dataset not in EXPERIMENT_DATASETS:
        raise ValueError(f"unknown dataset {exp.dataset!r} for the shift experiment; choose one of "
                         f"{', '.join(EXPERIMENT_DATASETS)}")
    if not 0 <= exp.max_shift < 28:
        raise ValueError(f"max_shift must be between 0 and 27 pixels (the images are 28×28), got {exp.max_shift}")
    if exp.direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {exp.direction!r}; choose one of {', '.join(DIRECTIONS)}")
    if exp.epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {exp.epochs}")
    if exp.dataset == "shapes" and (exp.n_train < 1 or exp.n_test < 1):
        raise ValueError(f"n_train and n_test must be at least 1, got {exp.n_train} and {exp.n_test}")


def experiment_data(exp: ShiftExperiment) -> Dataset:
    """Centred training and test images: shapes drawn with ``centred=True``; the digits are centred scans (their
    split is fixed: ``seed`` is not used)."""
    if exp.dataset == "shapes":
        return load_shapes(seed=exp.seed, n_train=exp.n_train, n_test=exp.n_test, centred=True)
    return load_digits_dataset(exp.seed)


def run_shift_experiment(exp: ShiftExperiment, cnn: CNNConfig | None = None, train_config: TrainConfig | None = None,
                         stop: threading.Event | None = None) -> ShiftResult:
    """Train ``cnn`` (default ``SHIFT_CNN``), ``matching_mlp(cnn)`` and ``cnn`` with global max pooling before its
    dense head on centred images with the same ``train_config`` (default ``SHIFT_TRAIN``; its epochs and seed are
    replaced by the experiment's) and the same init seed, then ``shift_accuracy`` of each at ``exp.shifts`` in
    ``exp.direction``. Convolution and pooling move a moved input's maps along (equivariance); only the global
    pooling then forgets where a feature was (invariance), so the third network tolerates shifts far better.

    ``stop`` is checked before the data is loaded and before every training batch: once set, the result has status
    "stopped" and no accuracies (likewise "diverged" when a training loss is not finite).
    """
    check_experiment(exp)
    start = time.perf_counter()
    result = ShiftResult(exp.shifts)

    def done(status: str) -> ShiftResult:
        result.status, result.seconds = status, time.perf_counter() - start
        return result

    if stop is not None and stop.is_set():
        return done("stopped")
    data = experiment_data(exp)
    cnn = replace(cnn or SHIFT_CNN, input_shape=tuple(data.x_train.shape[1:]), classes=len(data.classes))
    mlp = matching_mlp(cnn)
    pooled = replace(cnn, global_pool="max")
    result.cnn_params, result.mlp_params, result.pooled_params = param_count(cnn), param_count(mlp), \
        param_count(pooled)
    config = replace(train_config or SHIFT_TRAIN, epochs=exp.epochs, seed=exp.seed)
    models = []
    for net in (cnn, mlp, pooled):
        model = build_model(net, seed=exp.seed)
        run = train(model, data, config, stop=stop)
        if run.status != "finished":
            return done(run.status)
        models.append(model)
    result.cnn_accuracy = shift_accuracy(models[0], data, exp.shifts, exp.direction)
    result.mlp_accuracy = shift_accuracy(models[1], data, exp.shifts, exp.direction)
    result.pooled_accuracy = shift_accuracy(models[2], data, exp.shifts, exp.direction)
    return done("finished")


__all__ = ["DIRECTIONS", "EXPERIMENT_DATASETS", "SHIFT_CNN", "SHIFT_TRAIN", "ShiftExperiment", "ShiftResult",
           "check_experiment", "experiment_data", "matching_mlp", "param_count", "run_shift_experiment",
           "shift_accuracy"]
