"""Real handwriting on the trainer's drawing pad: how the offline digits model reads MNIST digits.

MNIST's test digits (real handwriting that the offline model never saw) are drawn onto a 280×280 grey picture the
way the pad hands its picture to ``core.drawing.prepare_image``
(``ui.widgets.drawing_pad.drawing_pad``: white ink on black, grey in [0, 1]): each 28×28 digit scaled
up ×10 (bilinear). A second style, "small, off-centre", draws
the digit at ×5 (140×140) at a random place on the pad, as a student who draws small in a corner. Each picture goes
through ``prepare_image(gray, dataset)``, the pad's path, and the model's answer is compared with MNIST's label.

Table 1: ``CNNConfig()`` trained on the offline digits (``load_digits_dataset()``) with ``TrainConfig(seed=s)``, as
before (no augmentation, 8 epochs), with ``augment=True``, and with the program's drawn digits added to the training
images as well (``load_digits_dataset(drawn=FOR_TRAINING)``: the trainer's default for the digits), for 8 epochs and
longer (``--epochs``): training seconds and the accuracy on the digits' own test split; and the seconds it takes to
draw the digits (once per server in the app, before a student presses Start). Table 2: accuracy on MNIST
digits drawn on the pad, overall ("large": the first ``--n``; "small": the same digits small and off-centre; "held
out": digits 8,000..9,999, from MNIST's harder half of writers) and per digit ("large"): the old preparation (the
whole picture area-resized to 8×8, as ``prepare_image`` did before) and the new one (``prepare_image``: ink cropped,
made upright, stretched to the scans' 20×32 box, strokes normalised to the scans' weight, 4×4 counts), each with the
models of Table 1. Table 3: the same network trained on the first 8,000 MNIST test images (as the MNIST loader gives
them) and tested on the other 2,000, directly and through the pad (``prepare_image(gray, "mnist")``): what the pad's
path costs a model trained on the same kind of handwriting. Targets: >= 90% for the offline default model on the
pad, >= 97% for the MNIST model through the pad, default digits training <= 20 s.

The MNIST test set is read from ``harness.paths.MNIST_T10K`` (``../shared/data/mnist-t10k`` beside the checkout), or
where it is not there from ``$DLP_MNIST_T10K``, with ``core.data.read_idx``; without it the script says so and stops.

    python bench/handwriting.py [--n 1000] [--seeds 1] [--epochs 8 16 24]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.data import (  # noqa: E402
    DIGIT_CLASSES,
    Dataset,
    digits_to_28,
    downsample_to_8,
    load_digits_dataset,
    read_idx,
)
from core.drawing import prepare_image  # noqa: E402
from core.drawn_digits import FOR_TRAINING, drawn_digits  # noqa: E402
from core.models import CNNConfig, build_model  # noqa: E402
from core.train import TrainConfig, augment, train  # noqa: E402
from harness.paths import MNIST_T10K  # noqa: E402

PAD = 280  # the pad's side in pixels (st_canvas(height=280, width=280))
MNIST_TRAIN = 8000  # the first 8,000 MNIST test images train the reference model; the other 2,000 test it


def mnist_folder() -> Path:
    """``harness.paths.MNIST_T10K`` where it is, else ``$DLP_MNIST_T10K`` (a checkout elsewhere, a worktree)."""
    return MNIST_T10K if MNIST_T10K.is_dir() else Path(os.environ.get("DLP_MNIST_T10K") or MNIST_T10K)


def load_mnist_t10k(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's test images ``(10000, 28, 28)`` in [0, 1] and labels ``(10000,)``."""
    x = read_idx(folder / "t10k-images-idx3-ubyte.gz").astype(np.float64) / 255.0
    y = read_idx(folder / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    return x, y


def on_pad(digits: np.ndarray, style: str, seed: int = 0) -> np.ndarray:
    """``(N, 28, 28)`` -> ``(N, 280, 280)``, white ink on black. "large": scaled ×10 (bilinear), filling the pad as
    MNIST's digit fills its 28×28; "small": scaled ×5 and placed at a random position (seeded)."""
    x = torch.tensor(digits[:, None], dtype=torch.float32)
    if style == "large":
        return F.interpolate(x, size=(PAD, PAD), mode="bilinear", align_corners=False).clamp(0, 1)[:, 0].numpy()
    small = F.interpolate(x, size=(PAD // 2, PAD // 2), mode="bilinear", align_corners=False).clamp(0, 1)[:, 0]
    rng = np.random.default_rng(seed)
    out = np.zeros((len(digits), PAD, PAD), dtype=np.float32)
    for i, (top, left) in enumerate(rng.integers(0, PAD // 2 + 1, size=(len(digits), 2))):
        out[i, top:top + PAD // 2, left:left + PAD // 2] = small[i].numpy()
    return out


def old_prepare(gray: np.ndarray) -> torch.Tensor:
    """The preparation ``prepare_image(gray, "digits")`` did before: the whole picture area-resized to 8×8."""
    return digits_to_28(torch.tensor(downsample_to_8(gray), dtype=torch.float32)[None, None]).clamp(0, 1)


def prepared(pictures: np.ndarray, how: str) -> torch.Tensor:
    """The network inputs ``(N, 1, 28, 28)`` for the pad pictures: ``how`` is "old", or a dataset name for
    ``prepare_image``."""
    if how == "old":
        return torch.cat([old_prepare(g) for g in pictures])
    return torch.cat([prepare_image(g, how).x for g in pictures])


def predict(model, x: torch.Tensor) -> np.ndarray:
    model = model.cpu().eval()
    with torch.no_grad():
        return torch.cat([model(x[i:i + 500]).argmax(1) for i in range(0, len(x), 500)]).numpy()


def scores(pred: np.ndarray, y: np.ndarray) -> tuple[float, list[float]]:
    return float((pred == y).mean()), [float((pred[y == k] == k).mean()) for k in range(10)]


def trained(data: Dataset, config: TrainConfig) -> tuple[torch.nn.Module, float, float]:
    """(model, seconds, final test accuracy on the data's own split)."""
    model = build_model(CNNConfig(), seed=config.seed)
    result = train(model, data, config)
    return model, result.seconds, result.history[-1]["test_accuracy"]


def augment_ms(data: Dataset, batch: int = 64, runs: int = 200) -> tuple[float, float]:
    """Median milliseconds of ``augment`` on one batch, and of one training step (forward, backward, Adam) on it,
    on one torch thread as ``train`` uses on the CPU."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = build_model(CNNConfig())
        optimizer = torch.optim.Adam(model.parameters(), lr=0.003)
        xb, yb, gen = data.x_train[:batch], data.y_train[:batch], torch.Generator().manual_seed(0)
        aug, step = [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            augment(xb, gen)
            t1 = time.perf_counter()
            optimizer.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            optimizer.step()
            aug.append(t1 - t0)
            step.append(time.perf_counter() - t1)
        return 1000 * statistics.median(aug), 1000 * statistics.median(step)
    finally:
        torch.set_num_threads(before)


def row(name: str, cells: list[str]) -> str:
    return f"| {name} | " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="MNIST test digits drawn on the pad (the first N)")
    parser.add_argument("--seeds", type=int, default=1, help="training seeds for the offline models")
    parser.add_argument("--epochs", type=int, nargs="*", default=[8, 16, 24],
                        help="epochs of the augmented offline models (the unaugmented one trains 8)")
    args = parser.parse_args()
    folder = mnist_folder()
    if not (folder / "t10k-images-idx3-ubyte.gz").is_file():
        print(f"skipped: the MNIST test set is not in {folder} (set DLP_MNIST_T10K)")
        return
    print(f"torch {torch.__version__}; load average at the start {os.getloadavg()[0]:.2f} "
          f"({os.cpu_count()} CPUs): timings are of this machine at this load")
    x_all, y_all = load_mnist_t10k(folder)
    x_pad, y_pad = x_all[:args.n], y_all[:args.n]
    held_out = slice(MNIST_TRAIN, len(y_all))

    t0 = time.perf_counter()
    pads = {"large": on_pad(x_pad, "large"), "small": on_pad(x_pad, "small")}
    inputs = {(style, how): prepared(pads[style], how) for style in pads for how in ("old", "digits")}
    inputs["held_out", "digits"] = prepared(on_pad(x_all[held_out], "large"), "digits")  # the old: not needed
    print(f"prepared {sum(len(v) for v in inputs.values())} pad pictures in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    drawn_digits(FOR_TRAINING)
    drawing = time.perf_counter() - t0
    data = {0: load_digits_dataset(), FOR_TRAINING: load_digits_dataset(drawn=FOR_TRAINING)}
    configs = [(False, 8, 0), (True, 8, 0), *((True, e, 0) for e in args.epochs if e != 8),
               *((True, e, FOR_TRAINING) for e in sorted({8, *args.epochs}))]
    runs = {c: [trained(data[c[2]], TrainConfig(seed=seed, augment=c[0], epochs=c[1])) for seed in range(args.seeds)]
            for c in configs}

    print(f"\n1. CNNConfig() + TrainConfig(seed=s, augment, epochs) on the offline digits ({len(data[0].x_train)} "
          f"scans to train on, {len(data[0].x_test)} to test), with or without {FOR_TRAINING:,} drawn digits added to "
          f"the training images (drawn in {drawing:.1f} s, once), {args.seeds} seed(s); target <= 20 s")
    print("| augmentation | drawn digits | epochs | seconds (each seed) | digits test accuracy (each seed) |")
    print("|---|---|---|---|---|")
    for (augmented, epochs, drawn), results in runs.items():
        seconds = ", ".join(f"{s:.1f}" for _, s, _ in results)
        print(row("on" if augmented else "off", [f"{drawn:,}", str(epochs), seconds,
                                              ", ".join(f"{a:.2%}" for _, _, a in results)]))
    aug, step = augment_ms(data[0])
    print(f"\naugment() on a batch of 64: {aug:.2f} ms (median of 200), a training step on it {step:.2f} ms: "
          f"+{aug / step:.0%} per step")

    print(f"\n2. MNIST test digits on the pad -> prepare_image(gray, \"digits\") -> offline model: the first {args.n} "
          f"(\"large\": ×10, filling the pad; \"small\": ×5, anywhere), and digits {MNIST_TRAIN}..9999 (\"held "
          f"out\", large); per digit: large; mean of {args.seeds} seed(s); target >= 90%")
    header = ["large", "small", "held out", *DIGIT_CLASSES]
    print("| preparation | augmentation, drawn digits, epochs | " + " | ".join(header) + " |")
    print("|---" * (len(header) + 2) + "|")
    for how, (augmented, epochs, drawn) in [("old", (False, 8, 0)), ("old", (True, 8, 0)),
                                          *(("digits", c) for c in configs)]:
        models = [m for m, _, _ in runs[augmented, epochs, drawn]]
        large = [scores(predict(m, inputs["large", how]), y_pad) for m in models]
        small = [scores(predict(m, inputs["small", how]), y_pad)[0] for m in models]
        held = [scores(predict(m, inputs["held_out", "digits"]), y_all[held_out])[0] for m in models] \
            if how == "digits" else []
        per = np.mean([p for _, p in large], axis=0)
        print(row("new" if how == "digits" else "old (before)",
                  [f"{'on' if augmented else 'off'}, {drawn:,}, {epochs}",
                   f"{statistics.mean(a for a, _ in large):.1%}",
                   f"{statistics.mean(small):.1%}", f"{statistics.mean(held):.1%}" if held else "-",
                   *[f"{v:.0%}" for v in per]]))

    x_mnist = torch.tensor(x_all[:, None], dtype=torch.float32)
    y_mnist = torch.tensor(y_all)
    data = Dataset(x_mnist[:MNIST_TRAIN], y_mnist[:MNIST_TRAIN], x_mnist[held_out], y_mnist[held_out],
                   list(DIGIT_CLASSES), "MNIST t10k, first 8,000 / last 2,000")
    model, seconds, direct = trained(data, TrainConfig())
    pad_x = prepared(on_pad(x_all[held_out], "large"), "mnist")
    pad_small = prepared(on_pad(x_all[held_out], "small", seed=1), "mnist")
    total, per = scores(predict(model, pad_x), y_all[held_out])
    small_total = scores(predict(model, pad_small), y_all[held_out])[0]
    print(f"\n3. CNNConfig() + TrainConfig() trained on MNIST test images 0..{MNIST_TRAIN - 1} ({seconds:.1f} s), "
          f"tested on {MNIST_TRAIN}..9999; target >= 97% through the pad")
    header = ["direct", "pad large", "pad small", *DIGIT_CLASSES]
    print("| model | " + " | ".join(header) + " |")
    print("|---" * (len(header) + 1) + "|")
    print(row("MNIST 8,000", [f"{direct:.1%}", f"{total:.1%}", f"{small_total:.1%}", *[f"{v:.0%}" for v in per]]))


if __name__ == "__main__":
    main()
