"""Why CNNs took off (the primer, 0x03 1): better activations and GPUs, measured.

The same small CNN (two conv blocks without batch normalisation, a dense layer) is trained on the offline digits
with sigmoid and with ReLU everywhere, the same optimizer, step size, seed and batches: the test accuracy after
each epoch and the epochs each needs to reach ``target``. Sigmoid's slope is at most 1/4 and near 0 for large
inputs, so the gradient that reaches the first layers shrinks layer by layer; ReLU passes it through unchanged where
a unit is active. The training speed (images per second) is measured on the CPU, and on a GPU where there is one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import torch

from core.data import load_digits_dataset
from core.models import CNNConfig, ConvBlock, build_model
from core.train import TrainConfig, train

RACE_ACTIVATIONS = ("sigmoid", "relu")


def race_network(activation: str) -> CNNConfig:
    """Two 3×3 conv blocks (16 and 32 channels, max pooling, no batch normalisation) and a dense layer of 64, with
    ``activation`` after every layer but the last."""
    return CNNConfig(blocks=(ConvBlock(16, 3, activation, "max", False), ConvBlock(32, 3, activation, "max", False)),
                     dense=(64,), activation=activation, dropout=0.0)


@dataclass(frozen=True)
class Race:
    epochs: int = 12
    seed: int = 0
    target: float = 0.95
    optimizer: str = "momentum"  # the same for both networks: SGD with momentum 0.9
    lr: float = 0.05
    batch_size: int = 64


@dataclass
class RaceResult:
    accuracy: dict[str, list[float]] = field(default_factory=dict)  # activation -> test accuracy after each epoch
    epochs_to_target: dict[str, int | None] = field(default_factory=dict)  # first epoch (1-based) at the target
    images_per_second: dict[str, float] = field(default_factory=dict)  # "cpu" (and "cuda") for the ReLU network
    gpu: str = ""  # the GPU's name, "" when there is none
    seconds: float = 0.0


def first_epoch_at(accuracy: list[float], target: float) -> int | None:
    """The first epoch (counting from 1) whose accuracy is at least ``target``; None if none is."""
    return next((n for n, a in enumerate(accuracy, 1) if a >= target), None)


def run_race(race: Race) -> RaceResult:
    """Train ``race_network(a)`` for each activation on the CPU (one thread, as the app trains); then, where CUDA is
    available, the ReLU network once more on the GPU for its speed."""
    start = time.perf_counter()
    data, result = load_digits_dataset(), RaceResult()
    config = TrainConfig(optimizer=race.optimizer, lr=race.lr, batch_size=race.batch_size, epochs=race.epochs,
                         seed=race.seed, device="cpu")
    for activation in RACE_ACTIVATIONS:
        model = build_model(race_network(activation), seed=race.seed)
        run = train(model, data, config)
        accuracy = [h["test_accuracy"] for h in run.history if h.get("test_accuracy") is not None]
        result.accuracy[activation] = accuracy
        result.epochs_to_target[activation] = first_epoch_at(accuracy, race.target)
        if activation == "relu":
            result.images_per_second["cpu"] = run.images_per_second
    if torch.cuda.is_available():
        result.gpu = torch.cuda.get_device_name(0)
        model = build_model(race_network("relu"), seed=race.seed)
        result.images_per_second["cuda"] = train(model, data, replace(config, device="cuda")).images_per_second
    result.seconds = time.perf_counter() - start
    return result
