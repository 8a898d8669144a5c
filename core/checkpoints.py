"""Checkpoints: a trained network and the config that builds it, saved with ``torch.save`` and read back with
``torch.load(weights_only=True)``, so that a file that would run code when unpickled is refused before any of its code
runs. A checkpoint must describe a network the trainer's set-up could build (``core.setup_limits.SETUP``), so a small
file cannot ask the server for a huge network.
"""

from __future__ import annotations

import io
import pickle
import struct
import zipfile

import torch
from torch import nn

from core.models import CNNConfig, MLPConfig, build_model
from core.setup_limits import outside_setup

FORMAT, VERSION = "dl-playground-checkpoint", 1
MAX_CHECKPOINT_PARAMS = 64_000_000
"""Most weights and buffers a checkpoint's network may have: above the largest the trainer builds (about 30 million),
so a tiny file that describes a huge network is refused before any memory is allocated for it."""
_KINDS = {"cnn": CNNConfig, "mlp": MLPConfig}


class CheckpointError(ValueError):
    """A file that is not a checkpoint of ours (``code``: "not_a_checkpoint", "corrupt", "mismatch", or "too_large":
    a network outside the trainer's set-up, ``core.setup_limits.SETUP``)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def save_checkpoint(path_or_file, model: nn.Module, config: CNNConfig | MLPConfig) -> None:
    """Write the config (as JSON) and the weights (on the CPU) with ``torch.save``."""
    kind = "cnn" if isinstance(config, CNNConfig) else "mlp"
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"format": FORMAT, "version": VERSION, "config_kind": kind, "config": config.to_json(),
                "state_dict": state}, path_or_file)


def load_checkpoint(path_or_file, expect: CNNConfig | MLPConfig | None = None) -> tuple[nn.Sequential, CNNConfig |
                                                                                                        MLPConfig]:
    """Read a checkpoint written by ``save_checkpoint`` onto the CPU: (model in eval mode, config).

    Only tensors and plain containers are unpickled (``weights_only=True``), so a file that would run code raises
    ``CheckpointError("not_a_checkpoint")`` before running it. With ``expect``, a checkpoint of another network
    raises ``CheckpointError("mismatch")``, as does one whose weights do not fit its own config.
    """
    try:
        data = torch.load(path_or_file, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as e:
        raise CheckpointError("not_a_checkpoint", f"not a checkpoint: the file holds objects other than tensors, "
                              f"which are not loaded ({str(e).splitlines()[0]})") from None
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, ValueError, KeyError, IndexError, TypeError,
            AttributeError, struct.error, io.UnsupportedOperation) as e:  # what damaged pickle bytes can raise
        if isinstance(e, FileNotFoundError):
            raise
        raise CheckpointError("corrupt", f"the file is damaged or truncated and cannot be read "
                              f"({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("format"), str) or data["format"] != FORMAT:
        raise CheckpointError("not_a_checkpoint", f"not a checkpoint of this app (no format {FORMAT!r})")
    if not isinstance(data.get("version"), int) or data["version"] != VERSION:  # a tensor here cannot be compared
        raise CheckpointError("not_a_checkpoint", f"checkpoint version {data.get('version')!r} is not supported "
                              f"(this app reads version {VERSION})")
    if set(data) != {"format", "version", "config_kind", "config", "state_dict"} \
            or not isinstance(data["config_kind"], str) or data["config_kind"] not in _KINDS \
            or not isinstance(data["config"], str) or not isinstance(data["state_dict"], dict):
        raise CheckpointError("corrupt", "the checkpoint's keys are not the expected ones")
    try:
        config = _KINDS[data["config_kind"]].from_json(data["config"])
    except (ValueError, RecursionError) as e:  # RecursionError: JSON nested too deeply
        raise CheckpointError("corrupt", f"the checkpoint's config is invalid: {e}") from None
    if expect is not None and config != expect:
        raise CheckpointError("mismatch", "the checkpoint holds a different network from the one expected")
    reason = outside_setup(config)
    if reason is not None:
        raise CheckpointError("too_large", f"the checkpoint's network is not one the trainer can build: {reason}")
    try:
        with torch.device("meta"):  # shapes only, no memory
            size = sum(v.numel() for v in build_model(config).state_dict().values())
    except (RuntimeError, TypeError, ValueError, OverflowError) as e:  # sizes too large for torch
        raise CheckpointError("corrupt", f"the checkpoint's network cannot be built: "
                              f"{str(e).splitlines()[0]}") from None
    if size > MAX_CHECKPOINT_PARAMS:
        raise CheckpointError("corrupt", f"the checkpoint's network has {size} weights, more than the limit of "
                              f"{MAX_CHECKPOINT_PARAMS}")
    model = build_model(config)
    try:
        model.load_state_dict(data["state_dict"], strict=True)
    except (RuntimeError, TypeError, AttributeError) as e:  # AttributeError: a key that is not a string
        raise CheckpointError("mismatch", f"the weights do not fit the checkpoint's network: "
                              f"{str(e).splitlines()[0]}") from None
    return model.eval(), config
