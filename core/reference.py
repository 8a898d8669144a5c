"""The reference network: the trainer's default CNN trained once on the offline digits, so that the lessons that
look inside a trained network work before a student has trained one; and what can be read from a trained network:
its stages end to end, its learned kernels against hand-made ones, its classifier head."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.data import Dataset, load_digits_dataset
from core.model_inside import feature_maps
from core.models import CNNConfig, build_model
from core.train import TrainConfig, evaluate, train

REFERENCE_CONFIG = CNNConfig()
REFERENCE_TRAINING = TrainConfig(augment=True, seed=0, epochs=8)
"""The trainer's defaults for the digits (augmentation on), without its drawn digits: a few seconds on a CPU."""

LESSON_OF_LAYER = {nn.Conv2d: "convolution", nn.BatchNorm2d: "cnn_trainer", nn.ReLU: "activations",
                   nn.MaxPool2d: "pooling", nn.AvgPool2d: "pooling", nn.Flatten: "fc_conv", nn.Linear: "fc_conv",
                   nn.Dropout: "cnn_trainer"}
"""The lesson that teaches each kind of layer (the registry's names)."""


def train_reference(data: Dataset | None = None) -> tuple[nn.Module, float]:
    """``REFERENCE_CONFIG`` trained on ``data`` (default: the offline digits) with ``REFERENCE_TRAINING``: the model
    (on the CPU, in eval mode) and its test accuracy. The same on every call (seeded, one thread)."""
    data = data or load_digits_dataset()
    model = build_model(REFERENCE_CONFIG, seed=REFERENCE_TRAINING.seed)
    result = train(model, data, REFERENCE_TRAINING)
    if result.status != "finished":
        raise RuntimeError(f"the reference network did not train: {result.message}")
    model = model.cpu().eval()
    return model, evaluate(model, data)["accuracy"]


@dataclass(frozen=True)
class Stage:
    """One layer's output for one image: its name, kind (the module's class name), the lesson that teaches it,
    and the output without the batch axis."""

    name: str
    kind: str
    lesson: str
    output: np.ndarray


def stage_names(model: nn.Sequential) -> list[tuple[str, str, str]]:
    """``(name, kind, lesson)`` of every stage ``stages`` returns, in the same order, read from the model's layers
    without running it: every layer but dropout (the identity at test time), then the softmax as ``probabilities``."""
    named = [(name, type(layer).__name__, LESSON_OF_LAYER.get(type(layer), "cnn_trainer"))
             for name, layer in model.named_children() if not isinstance(layer, nn.Dropout)]
    return [*named, ("probabilities", "Softmax", "home")]


def stages(model: nn.Sequential, x: torch.Tensor) -> list[Stage]:
    """Every layer of ``model`` for the one image ``x`` ``(1, C, H, W)``, in order (dropout, the identity at test
    time, left out), then the softmax of the last output as ``probabilities`` (named as ``stage_names`` names them)."""
    kept = {name for name, layer in model.named_children() if not isinstance(layer, nn.Dropout)}
    outputs = [y[0].detach().cpu().numpy() for name, y in feature_maps(model, x) if name in kept]
    logits = torch.from_numpy(outputs[-1])
    outputs.append(torch.softmax(logits, 0).numpy())
    return [Stage(name, kind, lesson, output)
            for (name, kind, lesson), output in zip(stage_names(model), outputs, strict=True)]


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """``a·b / (|a| |b|)`` of the flattened arrays: 1 for the same pattern, -1 for its negative, 0 if either is 0."""
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / norm) if norm > 0 else 0.0


def nearest_kernels(learned: np.ndarray, handmade: dict[str, np.ndarray]) -> list[tuple[str, float]]:
    """For each learned kernel ``(n, k, k)``: the hand-made kernel of the same shape whose pattern is closest
    (largest ``|cosine|``; the first such in ``handmade``'s order on a tie) and the signed cosine (negative: the
    learned kernel is that pattern with its sign flipped)."""
    candidates = {name: w for name, w in handmade.items() if np.shape(w) == learned.shape[1:]}
    if not candidates:
        raise ValueError(f"no hand-made kernel of shape {learned.shape[1:]}")
    out = []
    for kernel in learned:
        scores = {name: cosine(kernel, w) for name, w in candidates.items()}
        best = max(scores, key=lambda name: abs(scores[name]))
        out.append((best, scores[best]))
    return out


@dataclass(frozen=True)
class Head:
    """The classifier head for one image: ``weights`` ``(classes, features)`` and ``bias`` of the last dense layer,
    the ``features`` it receives, ``logits = weights @ features + bias`` and their softmax ``probabilities``."""

    weights: np.ndarray
    bias: np.ndarray
    features: np.ndarray
    logits: np.ndarray
    probabilities: np.ndarray


def head_layer(model: nn.Sequential) -> tuple[str, nn.Linear]:
    """The last ``nn.Linear`` of ``model`` and its name: the classifier head, whose weights need no image."""
    linear = [(name, layer) for name, layer in model.named_children() if isinstance(layer, nn.Linear)]
    if not linear:
        raise ValueError("this model has no dense layer")
    return linear[-1]


def head(model: nn.Sequential, x: torch.Tensor, seen: list[Stage] | None = None) -> Head:
    """The last ``nn.Linear`` of ``model`` (``head_layer``) and what flows through it for the one image ``x``; read
    from ``seen``, the ``stages`` of ``x`` already computed, when given (no second pass through the network)."""
    name, last = head_layer(model)
    if seen is None:
        outputs = [(n, y[0].detach().cpu().numpy()) for n, y in feature_maps(model, x)]
    else:
        outputs = [(stage.name, stage.output) for stage in seen]  # dropout, the identity here, is not a stage
    position = [n for n, _ in outputs].index(name)
    features = (outputs[position - 1][1] if position else x[0].detach().cpu().numpy()).reshape(-1)
    weights, bias = last.weight.detach().cpu().numpy(), last.bias.detach().cpu().numpy()
    logits = outputs[position][1]
    return Head(weights, bias, features, logits, torch.softmax(torch.from_numpy(logits), 0).numpy())
