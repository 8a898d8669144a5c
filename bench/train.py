"""``core.train.train`` against a bare PyTorch loop, and the default network's time and accuracy.

Table 1: throughput of ``train`` (images per second of training steps; its end-of-epoch test excluded, as
``TrainResult.images_per_second``) against a bare loop on the same device and thread count: the same initial
weights, batch size and permutation, forward / cross-entropy / backward / Adam step, nothing else. Runs alternate,
median of ``--runs``; target ratio >= 0.9. Table 2: ``CNNConfig()`` with ``TrainConfig()`` on sklearn's digits
resampled to 28×28 (stratified 80/20), per seed: seconds and final test accuracy (target >= 97% within 20 s).
Table 3: the same on MNIST's 10,000 test images in ../shared/data/mnist-t10k beside the checkout
(``harness.paths.MNIST_T10K``, read by ``core.data.read_idx``; a random 8,000 train / 2,000 test), if present
(target >= 97% in 60 s).

    python bench/train.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bare import bare_images_per_second  # noqa: E402
from core.data import DIGIT_CLASSES, Dataset, read_idx  # noqa: E402
from core.models import CNNConfig, build_model  # noqa: E402
from core.train import TrainConfig, resolve_device, train  # noqa: E402
from harness.paths import MNIST_T10K as MNIST  # noqa: E402


def _dataset(x, y, tr, te, description):
    return Dataset(x[tr], y[tr], x[te], y[te], list(DIGIT_CLASSES), description)


def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = F.interpolate(torch.tensor(d.images / 16.0, dtype=torch.float32)[:, None], size=(28, 28),
                      mode="bilinear", align_corners=False).clamp(0, 1)
    tr, te = train_test_split(np.arange(len(d.target)), test_size=0.2, stratify=d.target, random_state=0)
    return _dataset(x, torch.tensor(d.target, dtype=torch.int64), tr, te, "digits 28×28")


def mnist_t10k(n_train: int = 8000):
    x = torch.from_numpy(read_idx(MNIST / "t10k-images-idx3-ubyte.gz")).float().div_(255).unsqueeze(1)
    y = torch.from_numpy(read_idx(MNIST / "t10k-labels-idx1-ubyte.gz").astype(np.int64))
    perm = np.random.default_rng(0).permutation(len(y))
    return _dataset(x, y, perm[:n_train], perm[n_train:], "MNIST t10k 8,000 / 2,000")


def throughput(data, runs: int) -> None:
    config = TrainConfig(epochs=2, schedule="constant")
    ours, bare = [], []
    for _ in range(runs):
        ours.append(train(build_model(CNNConfig()), data, config).images_per_second)
        bare.append(bare_images_per_second(build_model(CNNConfig()), data, config))
    o, b = statistics.median(ours), statistics.median(bare)
    print(f"\n1. throughput, default CNN, batch {config.batch_size}, {config.epochs} epochs of {len(data.x_train)} "
          f"images, device {resolve_device(config.device)}, cpu_threads {config.cpu_threads}, median of {runs}")
    print(f"{'loop':<12}{'images/s':>10}")
    print(f"{'train()':<12}{o:>10.0f}\n{'bare torch':<12}{b:>10.0f}\n{'ratio':<12}{o / b:>10.2f}  (target >= 0.9)")


def accuracy(data, seeds, target_s: float, title: str) -> None:
    print(f"\n{title}: CNNConfig() + TrainConfig(), {len(data.x_train)} train / {len(data.x_test)} test")
    print(f"{'seed':>4}{'seconds':>9}{'accuracy':>10}{'best':>8}  target >= 97% within {target_s:.0f} s")
    for seed in seeds:
        r = train(build_model(CNNConfig(), seed=seed), data, TrainConfig(seed=seed))
        tests = [h["test_accuracy"] for h in r.history if h["test_accuracy"] is not None]
        ok = "ok" if tests[-1] >= 0.97 and r.seconds <= target_s else "MISSED"
        print(f"{seed:>4}{r.seconds:>9.1f}{tests[-1]:>10.2%}{max(tests):>8.2%}  {ok}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run / one seed each")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads by default")
    data = digits()
    throughput(data, 1 if args.quick else 3)
    accuracy(data, range(1 if args.quick else 3), 20, "2. digits")
    if MNIST.is_dir():
        accuracy(mnist_t10k(), range(1), 60, "3. MNIST t10k")
    else:
        print(f"\n3. skipped: {MNIST} not found")


if __name__ == "__main__":
    main()
