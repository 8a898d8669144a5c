"""A data set the class draws: the labels a teacher asks for, a drawing as the database keeps it, and the class's
drawings as a ``core.data.Dataset`` to train on (alone, or added to the built-in digits).

A drawing is kept small and fixed: the pad's grey picture (ink bright) area-resized to ``STORED_SIDE`` ×
``STORED_SIDE`` and rounded to bytes (``stored_picture``), ``STORED_SIDE ** 2`` bytes in all, whatever the pad sent.
It is prepared for a network (``core.drawing.prepare_image``) only when the class trains or tests, the way the
network's training pictures were.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from core.classroom import shown_text

if TYPE_CHECKING:  # torch is imported where a network or a data set is made: the sidebar's classroom line needs none
    import torch

    from core.data import Dataset

STORED_SIDE = 56
"""A kept drawing is ``STORED_SIDE`` × ``STORED_SIDE`` grey bytes (the 280-pixel pad averaged over 5 × 5 blocks)."""
STORED_BYTES = STORED_SIDE * STORED_SIDE

DIGIT_LABELS: tuple[str, ...] = tuple(str(d) for d in range(10))
"""The labels of a call for the digits 0–9."""
LABEL_MAX = 20
"""Longest label a teacher may name, in characters."""
LABELS_MIN, LABELS_MAX = 2, 10
"""A call asks for at least two and at most ten labels."""
LABEL_SEPARATORS = re.compile(r"[,;\n，；、]")
"""What separates the labels a teacher types: commas, semicolons (also the Chinese ones), the enumeration comma or
new lines."""

TEST_SHARE = 0.2
"""The share of each label's drawings kept aside to test the class's network (at least one where there are two)."""
MIN_PER_LABEL = 2
"""A class can train once every label has this many drawings: one to learn from, one to test on."""


def read_labels(text: object) -> tuple[str, ...] | None:
    """The labels a teacher typed (``LABEL_SEPARATORS`` between them), each cleaned (``core.classroom.shown_text``,
    at most ``LABEL_MAX`` characters), the empty ones and repeats dropped, in the order typed; None unless
    ``LABELS_MIN`` to ``LABELS_MAX`` are left."""
    if not isinstance(text, str):
        return None
    labels: list[str] = []
    for part in LABEL_SEPARATORS.split(text[:(LABEL_MAX + 1) * LABELS_MAX * 4]):
        label = shown_text(part, LABEL_MAX)
        if label and label not in labels:
            labels.append(label)
    return tuple(labels) if LABELS_MIN <= len(labels) <= LABELS_MAX else None


def stored_picture(gray: np.ndarray) -> bytes:
    """A drawing as it is kept: ``gray`` (``(H, W)`` in [0, 1], ink bright) area-resized to ``STORED_SIDE`` squared
    (``core.data.area_resize``: each new pixel the mean of the old ones it covers) and rounded to ``round(255 v)``."""
    from core.data import area_resize

    g = np.clip(np.asarray(gray, dtype=np.float64), 0.0, 1.0)
    if g.ndim != 2 or min(g.shape) < 1:
        raise ValueError(f"expected a (H, W) picture, got shape {g.shape}")
    small = area_resize(g, STORED_SIDE, STORED_SIDE)
    return np.rint(small * 255.0).astype(np.uint8).tobytes()


def picture_from_stored(data: bytes) -> np.ndarray:
    """A kept drawing back as grey ``(STORED_SIDE, STORED_SIDE)`` float64 in [0, 1] (``byte / 255``); anything but
    exactly ``STORED_BYTES`` bytes raises ``ValueError``."""
    if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) != STORED_BYTES:
        raise ValueError(f"a kept drawing is {STORED_BYTES} bytes")
    return np.frombuffer(bytes(data), dtype=np.uint8).reshape(STORED_SIDE, STORED_SIDE).astype(np.float64) / 255.0


@dataclass(frozen=True)
class ClassDrawing:
    """One drawing of the class: the index of its label in the call's labels, and its kept picture."""

    label: int
    pixels: bytes


def counts_per_label(drawings: Sequence[ClassDrawing], n_labels: int) -> list[int]:
    """How many drawings each label has (``np.bincount`` over the labels, ``n_labels`` long)."""
    return [int(n) for n in np.bincount([d.label for d in drawings], minlength=n_labels)[:n_labels]]


def ready_to_train(counts: Sequence[int]) -> bool:
    """Whether the class can train: every label has at least ``MIN_PER_LABEL`` drawings."""
    return len(counts) >= LABELS_MIN and min(counts) >= MIN_PER_LABEL


def prepared_inputs(pictures: Sequence[np.ndarray], preparation: str) -> torch.Tensor:
    """Pictures prepared for a network as ``preparation``'s data set prepared its own (``prepare_image``): float32
    ``(N, 1, 28, 28)``."""
    import torch

    from core.drawing import prepare_image

    if not pictures:
        return torch.zeros(0, 1, 28, 28)
    return torch.cat([prepare_image(p, preparation).x for p in pictures])


def class_dataset(drawings: Sequence[ClassDrawing], labels: Sequence[str], preparation: str = "mnist",
                  base: Dataset | None = None, seed: int = 0, test_share: float = TEST_SHARE) -> Dataset:
    """The class's drawings as a data set: each prepared as ``preparation``'s pictures were (``prepared_inputs``);
    of each label's ``n`` drawings, ``max(1, floor(test_share · n))`` (none when ``n < 2``) drawn at random
    (``seed``) are the test split, the rest the training split. With ``base`` (of the same labels), its training
    and test images come first in each split. Blank drawings are left out."""
    import torch

    from core.data import Dataset
    if base is not None and list(base.classes) != list(labels):
        raise ValueError("the base data set has other classes")
    rng = np.random.default_rng(seed)
    kept = [d for d in drawings if 0 <= d.label < len(labels)]
    pictures = [picture_from_stored(d.pixels) for d in kept]
    inked = [i for i, p in enumerate(pictures) if p.max() - p.min() >= 0.05]
    y = np.array([kept[i].label for i in inked], dtype=np.int64)
    x = prepared_inputs([pictures[i] for i in inked], preparation)
    test = np.zeros(len(y), dtype=bool)
    for label in range(len(labels)):
        where = np.flatnonzero(y == label)
        if len(where) >= 2:
            test[rng.permutation(where)[:max(1, int(test_share * len(where)))]] = True
    x_train, y_train = x[torch.from_numpy(~test)], torch.from_numpy(y[~test])
    x_test, y_test = x[torch.from_numpy(test)], torch.from_numpy(y[test])
    description = f"{len(y)} drawings by the class ({int((~test).sum())} to train on, {int(test.sum())} to test)."
    if base is not None:
        x_train, y_train = torch.cat([base.x_train, x_train]), torch.cat([base.y_train, y_train])
        x_test, y_test = torch.cat([base.x_test, x_test]), torch.cat([base.y_test, y_test])
        description = f"{base.description} Plus {description[0].lower()}{description[1:]}"
    return Dataset(x_train.contiguous(), y_train, x_test.contiguous(), y_test, list(labels), description)


def class_probabilities(model: torch.nn.Module, pixels: bytes, preparation: str) -> np.ndarray:
    """What the class's network makes of a kept drawing: the softmax of its logits (float64, one a class) for the
    drawing prepared as its training drawings were (``prepared_inputs``)."""
    import torch
    x = prepared_inputs([picture_from_stored(pixels)], preparation)
    with torch.no_grad():
        logits = model.eval()(x)
    return torch.softmax(logits.double(), dim=1)[0].numpy()
