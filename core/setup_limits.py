"""What the trainer's set-up lets a student build, and why a config falls outside it.

The same limits bound a checkpoint: a small file cannot ask the server for a network no student could have built,
and the per-image multiply-adds (``core.model_inside.config_mult_adds``) bound what scoring it may cost.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.block_text import format_block
from core.model_inside import config_mult_adds
from core.models import CNNConfig, ConvBlock, MLPConfig


@dataclass(frozen=True)
class SetupLimits:
    """What the trainer's set-up lets a student build. A checkpoint must describe a network inside the same limits:
    a small file cannot ask the server for a network no student could have built (``outside_setup``)."""

    channels: tuple[int, ...] = (4, 8, 16, 32, 64, 128)
    kernels: tuple[int, ...] = (1, 3, 5, 7)
    max_blocks: int = 6
    dense: tuple[int, ...] = (0, 16, 32, 64, 128, 256)  # one dense layer (0: none) after the conv blocks
    widths: tuple[int, ...] = (16, 32, 64, 128, 256, 512)  # of a dense-only network's hidden layers
    max_hidden_layers: int = 3
    activations: tuple[str, ...] = ("relu", "tanh", "sigmoid", "gelu", "leaky_relu")
    dropouts: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5)
    input_shapes: tuple[tuple[int, int, int], ...] = ((1, 28, 28),)  # every data set's images
    max_classes: int = 10
    max_mult_adds: int = 120_000_000
    """Per image (``config_mult_adds``): a test-set evaluation of 10,000 images then costs at most 1.2 T
    multiply-adds, about 20 s on 2 CPU cores, once per model."""

    def admits_block(self, block: ConvBlock) -> bool:
        """Whether the set-up offers ``block``'s channels, kernel and activation."""
        return block.channels in self.channels and block.kernel in self.kernels and block.activation in self.activations


SETUP = SetupLimits()


def outside_setup(config: CNNConfig | MLPConfig, limits: SetupLimits = SETUP) -> str | None:
    """Why the set-up could not have built ``config`` (English, for the log), or None if it could."""
    if tuple(config.input_shape) not in limits.input_shapes:
        return f"input shape {config.input_shape} is not a data set's"
    if not 2 <= config.classes <= limits.max_classes:
        return f"{config.classes} classes"
    if config.dropout not in limits.dropouts:
        return f"dropout {config.dropout}"
    if config.activation not in limits.activations:
        return f"activation {config.activation!r}"
    if isinstance(config, MLPConfig):
        if not 1 <= len(config.hidden) <= limits.max_hidden_layers:
            return f"{len(config.hidden)} hidden layers"
        wrong = [w for w in config.hidden if w not in limits.widths]
        return f"hidden layer widths {wrong}" if wrong else None
    if not 1 <= len(config.blocks) <= limits.max_blocks:
        return f"{len(config.blocks)} conv blocks (at most {limits.max_blocks})"
    for i, block in enumerate(config.blocks, 1):
        if not limits.admits_block(block):
            return f"block {i}: {format_block(block)}"
    if len(config.dense) > 1 or any(d not in limits.dense or d == 0 for d in config.dense):
        return f"dense layers {config.dense}"
    cost = config_mult_adds(config)
    return f"{cost:,} multiply-adds an image (at most {limits.max_mult_adds:,})" if cost > limits.max_mult_adds \
        else None
