"""The deep-learning workflow in miniature: one neuron ``y_hat = w*x + b`` trained by SGD.

Training runs every stage of the loop (forward pass, loss, backpropagation, optimizer step);
inference runs only the forward pass, with the weights that training left behind.
"""

from __future__ import annotations

from dataclasses import dataclass

STAGES: tuple[str, ...] = ("input", "layers", "prediction", "loss", "gradients", "optimizer")
"""The stages of the loop, in the order one training step visits them."""

PHASES: dict[str, tuple[str, ...]] = {
    "training": STAGES,
    "inference": ("input", "layers", "prediction"),
}
"""Which stages run in each phase: inference is the forward pass only."""

TOY_DATA: tuple[tuple[float, float], ...] = ((-1.0, -2.0), (0.0, 1.0), (1.0, 4.0), (2.0, 7.0))
"""Examples ``(x, y)`` of the rule ``y = 3x + 1`` that the neuron has to discover."""

START_W, START_B = 0.5, 0.0


@dataclass(frozen=True)
class Step:
    """Every number of one training step on one example (SGD, batch size 1)."""

    x: float
    y: float
    w: float
    b: float
    y_hat: float
    loss: float
    grad_w: float
    grad_b: float
    w_next: float
    b_next: float


def forward(w: float, b: float, x: float) -> float:
    """The layer: ``y_hat = w * x + b``."""
    return w * x + b


def training_step(w: float, b: float, x: float, y: float, lr: float) -> Step:
    """Forward, squared loss ``L = (y_hat - y)^2``, gradients, and the SGD update ``w <- w - lr dL/dw``."""
    y_hat = forward(w, b, x)
    loss = (y_hat - y) ** 2
    dloss_dyhat = 2.0 * (y_hat - y)  # chain rule: dL/dw = dL/dy_hat * dy_hat/dw = 2(y_hat - y) * x
    grad_w, grad_b = dloss_dyhat * x, dloss_dyhat
    return Step(x, y, w, b, y_hat, loss, grad_w, grad_b, w - lr * grad_w, b - lr * grad_b)


def train(steps: int, lr: float, w: float = START_W, b: float = START_B,
          data: tuple[tuple[float, float], ...] = TOY_DATA) -> list[Step]:
    """Run ``steps`` SGD steps, cycling through ``data`` one example at a time."""
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    history: list[Step] = []
    for k in range(steps):
        x, y = data[k % len(data)]
        step = training_step(w, b, x, y, lr)
        history.append(step)
        w, b = step.w_next, step.b_next
    return history


def dataset_loss(w: float, b: float, data: tuple[tuple[float, float], ...] = TOY_DATA) -> float:
    """Mean squared error over the whole data set: ``mean((w x_i + b - y_i)^2)``."""
    return sum((forward(w, b, x) - y) ** 2 for x, y in data) / len(data)


def loss_curve(history: list[Step], w0: float = START_W, b0: float = START_B,
               data: tuple[tuple[float, float], ...] = TOY_DATA) -> list[float]:
    """Data-set loss before training and after each step of ``history``."""
    return [dataset_loss(w0, b0, data)] + [dataset_loss(s.w_next, s.b_next, data) for s in history]
