"""Train a classifier on a ``Dataset``, report progress as plain dicts, evaluate it (checkpoints: ``core.checkpoints``).

``train`` is the runner of "stepper, runner, plotter": it never draws; every N batches it hands ``on_progress`` a
dict of Python numbers, which the page turns into a chart. The data moves to the device once and each batch is a
slice of it picked by a seeded permutation (no DataLoader: on 28×28 images its per-batch copies and collation
cost more than the model).
"""

from __future__ import annotations

import contextlib
import gc
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from core.seeding import dropout_generator, private_dropout

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam")
SCHEDULES = ("constant", "cosine")
DEVICES = ("auto", "cpu", "cuda", "mps")
PROGRESS_EVERY = 10  # batches between two progress reports (plus one at every epoch's end)
DIVERGED = "diverged: lower the learning rate"
OUT_OF_MEMORY = "out of GPU memory: lower the batch size or the model size, or train on the CPU"


@dataclass(frozen=True)
class TrainConfig:
    """How to train: optimizer, its lr (and momentum, weight decay), batch size, epochs, seed, device."""

    optimizer: str = "adam"
    lr: float = 0.003
    momentum: float = 0.9  # for "momentum" and "nesterov"
    weight_decay: float = 0.0
    batch_size: int = 64
    epochs: int = 8
    schedule: str = "cosine"  # "constant" | "cosine": lr · (1 + cos(π · step / steps)) / 2, down to 0 at the end
    seed: int = 0  # the batch order, augmentation and dropout masks (private generators, see train)
    device: str = "auto"
    cpu_threads: int = 1  # torch intra-op threads on the CPU while training (0: leave torch's setting), see _threads
    augment: bool = False  # every batch randomly rotated, slanted, scaled, shifted, its strokes changed (see augment)


@dataclass
class TrainResult:
    # "finished" | "stopped" (the stop event) | "diverged" (a non-finite loss) | "out_of_memory" (the device ran out
    # of memory: the model is back on the CPU, usable, with the weights of the last completed step)
    status: str
    message: str  # English; the UI translates by status
    history: list[dict] = field(default_factory=list)  # the progress dicts, as on_progress received them
    seconds: float = 0.0  # wall time of the whole call
    images_per_second: float = 0.0  # training images / time in training steps (end-of-epoch tests excluded)


# ---- devices -------------------------------------------------------------------------------------------------

def _mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def resolve_device(name: str) -> torch.device:
    """``"auto"``: cuda if present, then mps, then cpu; a named device that is absent raises ValueError."""
    if name not in DEVICES:
        raise ValueError(f"unknown device {name!r}; choose one of {', '.join(DEVICES)}")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "mps" if _mps_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' asked for, but no CUDA GPU is available here (or torch was built without "
                         "CUDA); use 'auto' or 'cpu'")
    if name == "mps" and not _mps_available():
        raise ValueError("device 'mps' asked for, but Apple's Metal backend is not available here; use 'auto' or "
                         "'cpu'")
    return torch.device(name)


def device_info(device: torch.device | str) -> dict:
    """``{"type", "name" (GPU name or "CPU"), "memory_gb" (GPU memory in GB, None for cpu and mps)}``."""
    device = torch.device(device)
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return {"type": "cuda", "name": props.name, "memory_gb": props.total_memory / 1e9}
    if device.type == "mps":
        return {"type": "mps", "name": "Apple GPU (MPS)", "memory_gb": None}
    return {"type": device.type, "name": "CPU", "memory_gb": None}


# ---- augmentation --------------------------------------------------------------------------------------------

AUGMENT_DEGREES = 12.0  # rotation: θ uniform in [-12°, 12°]
AUGMENT_SHEAR = 0.3  # slant: k uniform in [-0.3, 0.3], x moved by k·y
AUGMENT_SCALE = 0.12  # scale: s_x and s_y, each uniform in [1 - 0.12, 1 + 0.12] (the aspect ratio changes too)
AUGMENT_SHIFT = 2.0  # shift: t_x and t_y uniform in [-2, 2] pixels
AUGMENT_STROKE = 0.5  # stroke: a uniform in [-0.5, 0.5], the weight of one 3×3 dilation (a > 0) or erosion (a < 0)
AUGMENT_SEED = 0x5EED  # added to TrainConfig.seed for augment's own generator, so that it is not the batch order's


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """``x`` ``(N, C, H, W)`` with each image randomly changed, its parameters drawn from ``generator`` (on the CPU;
    the global RNG is not touched), the same generator state giving the same images.

    Stroke first: with ``a`` uniform in [-``AUGMENT_STROKE``, ``AUGMENT_STROKE``], ``x + a (D(x) - x)`` for a > 0,
    ``x + |a| (E(x) - x)`` for a < 0, where D and E are 3×3 max and min filters (grey dilation and erosion). Then an
    affine warp that moves the content's point ``q`` to ``A q + t`` with ``A = R(θ) K(k) S`` (rotation, slant
    ``K = [[1, k], [0, 1]]``, scale ``S = diag(s_x, s_y)``; positions normalised to [-1, 1] about the centre, as
    ``F.affine_grid``, so ``t_x = 2 shift / W``): each output pixel ``p`` samples the input at ``A⁻¹ (p - t)``,
    bilinearly, zero outside.
    """
    n, _, h, w = x.shape
    u = torch.rand(n, 7, generator=generator, dtype=torch.float32).to(x.device) * 2 - 1  # uniform in [-1, 1]
    a = (u[:, 0] * AUGMENT_STROKE).view(n, 1, 1, 1)
    dilated = F.max_pool2d(x, 3, 1, 1)
    eroded = -F.max_pool2d(-x, 3, 1, 1)
    x = x + a.clamp(min=0) * (dilated - x) + (-a).clamp(min=0) * (eroded - x)
    theta, k = u[:, 1] * math.radians(AUGMENT_DEGREES), u[:, 2] * AUGMENT_SHEAR
    sx, sy = 1 + AUGMENT_SCALE * u[:, 3], 1 + AUGMENT_SCALE * u[:, 4]
    t = torch.stack([u[:, 5] * AUGMENT_SHIFT * 2 / w, u[:, 6] * AUGMENT_SHIFT * 2 / h], 1)  # (N, 2)
    cos, sin, one, zero = torch.cos(theta), torch.sin(theta), torch.ones_like(k), torch.zeros_like(k)

    def matrices(*rows):  # (N, 2, 2) from four (N,) entries, row by row
        return torch.stack(rows, 1).view(n, 2, 2)

    # A⁻¹ = S⁻¹ K(k)⁻¹ R(θ)⁻¹ = S⁻¹ K(-k) R(-θ)
    inverse = matrices(1 / sx, zero, zero, 1 / sy) @ matrices(one, -k, zero, one) @ matrices(cos, sin, -sin, cos)
    matrix = torch.cat([inverse, -(inverse @ t.unsqueeze(2))], 2)  # (N, 2, 3): p -> A⁻¹ p - A⁻¹ t
    grid = F.affine_grid(matrix, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False).clamp(0, 1)


# ---- training ------------------------------------------------------------------------------------------------

def _optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    if config.optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {config.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    params, wd = model.parameters(), config.weight_decay
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=wd, foreach=True)
    momentum = 0.0 if config.optimizer == "sgd" else config.momentum
    return torch.optim.SGD(params, lr=config.lr, momentum=momentum, nesterov=config.optimizer == "nesterov",
                           weight_decay=wd, foreach=True)


def _check(config: TrainConfig, n_train: int) -> None:
    if not (config.lr > 0 and math.isfinite(config.lr)) or config.epochs < 1 or config.batch_size < 1:
        raise ValueError(f"need lr > 0, epochs >= 1 and batch_size >= 1; got lr={config.lr}, "
                         f"epochs={config.epochs}, batch_size={config.batch_size}")
    if config.schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {config.schedule!r}; choose one of {', '.join(SCHEDULES)}")
    if config.batch_size > n_train:
        raise ValueError(f"batch size {config.batch_size} is larger than the training set ({n_train} images); "
                         "choose at most that many")


SCORING_BATCH = 64
"""Test images scored at a time: a batch of 64 keeps a wide network's feature maps in the CPU's caches; measured on 2
cores, the set-up's largest network scores the 360 test digits in 0.34 s at 64 against 1.05 s at 512, and the default
network is no slower (0.025 s against 0.038 s)."""


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = SCORING_BATCH) -> torch.Tensor:
    """Predictions for x (eval mode, no grad), in batches; the model's mode is restored."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            pred = torch.cat([model(x[i: i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)])
    finally:
        model.train(was_training)
    return pred


@contextlib.contextmanager
def _threads(n: int, device: torch.device):
    """torch on ``n`` intra-op threads in this thread while training on the CPU, restored after.

    One thread by default: on a 2-core machine whose other core is busy (a classroom server, the test runner),
    2 threads took 4-7x longer than 1 on the default CNN (9-16 s vs 2.3 s for 2 epochs of digits: each parallel op
    waits for the descheduled thread); on an idle machine 2 threads gain little on 28×28 images. With torch's OpenMP
    backend the setting holds for the calling thread only (as ``core.curve_fit.one_torch_thread``).
    """
    before = torch.get_num_threads()
    if n > 0 and device.type == "cpu":
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _release_device_memory(model: nn.Module, device: torch.device) -> None:
    """After an out-of-memory error: the model (weights, buffers) back on the CPU without its gradients, and the
    device's cached blocks returned to the driver. Call it once the exception is gone: its traceback holds the
    frames of the failed step, and with them the batch, its activations and the optimizer state."""
    model.zero_grad(set_to_none=True)  # the failed step's gradients, if any: meaningless, and on the device
    model.to("cpu")
    gc.collect()  # tensors caught in reference cycles (frames of the failed step) are freed now, not later
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    if device.type == "mps":
        torch.mps.empty_cache()


def train(model: nn.Module, dataset, config: TrainConfig, on_progress: Callable[[dict], None] | None = None,
          stop: threading.Event | None = None) -> TrainResult:
    """Minimise cross-entropy on ``dataset.x_train`` with mini-batches; the model is trained in place and left on
    the device. With ``config.augment`` each batch is changed by ``augment`` before the forward pass, from a
    generator of its own seeded with ``seed + AUGMENT_SEED``. ``stop`` is checked before every batch; a non-finite
    loss ends the run at once ("diverged"). When the device runs out of memory (moving the data there, a training
    step or an end-of-epoch test), the run ends with status "out_of_memory": the history so far is kept, the model
    is moved back to the CPU (usable there) and the device's memory is freed.

    Progress dicts (every ``PROGRESS_EVERY`` batches and at each epoch's end): step, epoch, batch (1-based),
    batches_per_epoch, loss (this batch), train_accuracy (of the epoch so far), test_accuracy (at an epoch's end,
    else None), images_per_second, elapsed (seconds). Same seed on the same CPU: the same numbers, also while other
    threads train or seed torch: the batch order, the augmentation and the dropout masks (``_private_dropout``) come
    from private generators seeded from ``config.seed``; torch's process-wide RNG is neither read nor changed
    (except by dropout modules other than ``nn.Dropout``, which ``build_model`` does not make).
    """
    device = resolve_device(config.device)
    n = len(dataset.x_train)
    _check(config, n)
    batches = math.ceil(n / config.batch_size)
    total = batches * config.epochs
    history: list[dict] = []
    start = time.perf_counter()
    eval_seconds, images, step = 0.0, 0, 0

    def report(epoch: int, batch: int, loss: float, correct: int, seen: int, test_accuracy: float | None) -> None:
        elapsed = time.perf_counter() - start
        info = {"step": step, "epoch": epoch, "batch": batch, "batches_per_epoch": batches, "loss": loss,
                "train_accuracy": correct / seen, "test_accuracy": test_accuracy,
                "images_per_second": images / max(elapsed - eval_seconds, 1e-9), "elapsed": elapsed}
        history.append(info)
        if on_progress is not None:
            on_progress(info)

    def result(status: str, message: str) -> TrainResult:
        seconds = time.perf_counter() - start
        return TrainResult(status, message, history, seconds, images / max(seconds - eval_seconds, 1e-9))

    def run() -> TrainResult:
        """The epochs; every tensor on the device is local here, so all of them go when this frame goes."""
        nonlocal eval_seconds, images, step
        model.to(device)
        x, y = dataset.x_train.to(device), dataset.y_train.to(device)  # once; batches are slices of these
        x_test, y_test = dataset.x_test.to(device), dataset.y_test.to(device)
        optimizer = _optimizer(model, config)
        order = torch.Generator().manual_seed(config.seed)
        jitter = torch.Generator().manual_seed(config.seed + AUGMENT_SEED)  # augment's own, on the CPU
        model.train()
        for epoch in range(1, config.epochs + 1):
            perm = torch.randperm(n, generator=order).to(device)
            correct = torch.zeros((), dtype=torch.int64, device=device)
            seen = 0
            for batch in range(1, batches + 1):
                if stop is not None and stop.is_set():
                    return result("stopped", f"stopped after {step} steps")
                idx = perm[(batch - 1) * config.batch_size: batch * config.batch_size]
                xb, yb = x[idx], y[idx]
                if config.augment:
                    xb = augment(xb, jitter)
                logits = model(xb)
                loss = F.cross_entropy(logits, yb)
                value = loss.item()
                if not math.isfinite(value):
                    return result("diverged", DIVERGED)
                if config.schedule == "cosine":
                    for group in optimizer.param_groups:
                        group["lr"] = config.lr * (1 + math.cos(math.pi * step / total)) / 2
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                step += 1
                images += len(idx)
                seen += len(idx)
                correct += (logits.detach().argmax(1) == yb).sum()
                if batch == batches:
                    t0 = time.perf_counter()
                    test_accuracy = (_accuracy(model, x_test, y_test) == y_test).float().mean().item()
                    eval_seconds += time.perf_counter() - t0
                    report(epoch, batch, value, correct.item(), seen, test_accuracy)
                elif batch % PROGRESS_EVERY == 0:
                    report(epoch, batch, value, correct.item(), seen, None)
        return result("finished", f"finished {config.epochs} epochs")

    try:
        with torch.enable_grad(), _threads(config.cpu_threads, device), \
                private_dropout(model, dropout_generator(device, config.seed)):
            return run()
    except torch.cuda.OutOfMemoryError:  # torch.OutOfMemoryError, also raised by CPU-only builds' stubs
        pass  # handled below, once this exception and its traceback (the failed step's tensors) are released
    _release_device_memory(model, device)
    return result("out_of_memory", OUT_OF_MEMORY)


def evaluate(model: nn.Module, dataset, batch_size: int = SCORING_BATCH, first: int | None = None) -> dict:
    """On the test split (its ``first`` images when given): accuracy, per_class (recall of each true class; nan where
    a class has no test image), confusion (counts, rows = true class, columns = predicted), predicted (the class
    predicted for each image scored)."""
    device = next(model.parameters()).device
    y = dataset.y_test[:first].to(device)
    pred = _accuracy(model, dataset.x_test[:first].to(device), y, batch_size)
    k = len(dataset.classes)
    confusion = torch.bincount(y * k + pred, minlength=k * k).reshape(k, k).cpu()
    totals = confusion.sum(1)
    per_class = [float(confusion[i, i] / totals[i]) if totals[i] else float("nan") for i in range(k)]
    return {"accuracy": float((pred == y).float().mean()), "per_class": per_class,
            "confusion": confusion.tolist(), "predicted": pred.cpu().tolist()}


UNSURE_BELOW = 0.6
"""A top probability under this is an answer the network is not sure of: the page says so instead of naming a class."""


def top_answers(probabilities, k: int = 3) -> list[tuple[int, float]]:
    """The ``k`` most probable classes, most probable first: ``[(class index, probability), …]``; equal
    probabilities keep the lower class index first."""
    p = torch.as_tensor(probabilities, dtype=torch.float64).flatten()
    order = sorted(range(len(p)), key=lambda i: (-float(p[i]), i))[:k]
    return [(i, float(p[i])) for i in order]


def mistakes(scores: dict, dataset, limit: int = 12) -> list[tuple[int, int, int]]:
    """The first ``limit`` misclassified test images from ``evaluate``'s result: (index, true class, predicted)."""
    y = dataset.y_test[:len(scores["predicted"])].tolist()
    wrong = [(i, t, p) for i, (t, p) in enumerate(zip(y, scores["predicted"], strict=True)) if t != p]
    return wrong[:limit]


__all__ = ["DIVERGED", "OPTIMIZERS", "OUT_OF_MEMORY", "TrainConfig", "TrainResult", "device_info", "evaluate",
           "resolve_device", "train"]
