"""The yardstick of the training benchmarks: a bare PyTorch loop doing what ``core.train.train`` does and no more.

The same device, permutation (a generator seeded with ``config.seed``), batches, Adam (weight decay included) and
cosine schedule as ``train``; no progress reports, no per-batch ``loss.item()``, no divergence check, no
end-of-epoch test. ``bench/train.py``, ``bench/shift.py`` and ``bench/gpu_check.py`` time ``train`` against it.
"""

from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F

from core.train import TrainConfig, _threads, resolve_device


def sync(device: torch.device) -> None:
    """Wait for the GPU to finish what it was given (a timer read before that would stop too early)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bare_train(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, config: TrainConfig) -> int:
    """Train ``model`` in place on ``(x, y)`` (already on the config's device) for ``config.epochs``; the number of
    images it went through. Dropout draws from the CPU generator seeded with ``config.seed``, restored afterwards."""
    device = resolve_device(config.device)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay, foreach=True)
    order = torch.Generator().manual_seed(config.seed)
    n, images, step = len(x), 0, 0
    total = math.ceil(n / config.batch_size) * config.epochs
    model.train()
    with torch.random.fork_rng(devices=[]), _threads(config.cpu_threads, device):
        torch.manual_seed(config.seed)
        for _ in range(config.epochs):
            perm = torch.randperm(n, generator=order).to(device)
            for i in range(0, n, config.batch_size):
                idx = perm[i: i + config.batch_size]
                loss = F.cross_entropy(model(x[idx]), y[idx])
                if config.schedule == "cosine":
                    for group in opt.param_groups:
                        group["lr"] = config.lr * (1 + math.cos(math.pi * step / total)) / 2
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                images += len(idx)
                step += 1
        sync(device)
    return images


def bare_images_per_second(model: torch.nn.Module, data, config: TrainConfig) -> float:
    """Images per second of ``bare_train`` on ``data.x_train``: timed from the first batch to the last step's end."""
    device = resolve_device(config.device)
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)
    sync(device)
    start = time.perf_counter()
    images = bare_train(model, x, y, config)
    return images / (time.perf_counter() - start)
