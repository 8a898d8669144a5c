"""The trainer on a CUDA GPU: throughput against a bare loop, agreement with the CPU, and out-of-memory recovery.

Table 1: images per second of ``core.train.train`` (its ``TrainResult.images_per_second``: training steps only, the
end-of-epoch tests excluded) against a bare PyTorch loop on the same device, model, initial weights, batch size,
permutation, Adam and cosine schedule, with nothing else (no progress reports, no per-batch ``loss.item()``, no
divergence check). ``CNNConfig()`` with ``TrainConfig()`` on digits, and on 20,000 random 28×28 images so that the
GPU has enough work per epoch. Runs alternate after one warm-up each; median of ``--runs``; target ratio >= 0.85.

Table 2: one epoch of ``CNNConfig()`` on digits with the same seed on the CPU and on CUDA, compared: the losses
of every report, the final weights, the test predictions. The yardstick row, measured in the same run, is float32
against float64 on the CPU: how far float32 rounding alone moves this training. Checked row: cuDNN deterministic,
no TF32, dropout 0 (CPU and CUDA draw dropout masks from different generators, so with dropout the two runs are
different samples: shown with a loose accuracy target). Table 3: a batch that cannot fit in GPU memory (a
128-channel first convolution of the whole training set): ``train`` must return "out_of_memory", leave the model
on the CPU and give all of the memory back, and the GPU must train again right after.

    python bench/gpu_check.py                 # on CUDA; prints a message and exits 0 where there is none
    python bench/gpu_check.py --device cpu    # smoke test of the same code on the CPU, tiny sizes

Exit status 1 when a check fails (a throughput ratio under target counts only on CUDA). About 1 minute on an H100.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bare import bare_images_per_second  # noqa: E402
from core.data import Dataset, load_dataset  # noqa: E402
from core.models import CNNConfig, ConvBlock, build_model  # noqa: E402
from core.train import OUT_OF_MEMORY, TrainConfig, device_info, resolve_device, train  # noqa: E402

TARGET_RATIO = 0.85
# Tolerances of the checked CPU/CUDA row (float32, cuDNN deterministic, no TF32, dropout 0, 1 epoch). The yardstick
# measured in the same run, CPU float32 against float64, is how far float32 rounding alone moves this training: on
# the full digits (23 Adam steps) 1.3e-6 in the reported losses and 5.5e-6 in ‖Δw‖/‖w‖, no test prediction changed
# (x86 CPU, torch 2.13); two float32 runs that only sum in another order (1 vs 2 threads) differ by as much (1.4e-6,
# 4.3e-6): a float32 run lies about one yardstick from the exact trajectory, so two of them lie about two apart.
# It varies with the data (400 digits, 7 steps: 1.1e-4 and 9e-5): Adam's first steps divide gradients by their own
# size, so elements whose gradient is mostly rounding get steps of ±lr either way. cuDNN and cuBLAS sum in other
# orders and may pick Winograd or FFT convolutions, whose rounding is larger but float32-level; so the limit is
# 30 yardsticks, and at least 1e-4. A test image on a decision boundary may flip under such a change: 2 of 360 may
# differ. A real bug (another seed, a skipped step, other initial weights) moves the loss by 1e-2 or more.
TOL_YARDSTICKS, TOL_FLOOR, FLIPS_TOL = 30, 1e-4, 2
ACCURACY_TOL = 0.05  # informational rows (TF32, dropout): test accuracy within 5 points

failures: list[str] = []


def table(headers: list[str], rows: list[list]) -> None:
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")


def synthetic(n_train: int, n_test: int, seed: int = 0) -> Dataset:
    """Random 28×28 images with random labels: only for throughput (nothing to learn)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand((n_train + n_test, 1, 28, 28), generator=g)
    y = torch.randint(0, 10, (n_train + n_test,), generator=g)
    return Dataset(x[:n_train], y[:n_train], x[n_train:], y[n_train:], [str(i) for i in range(10)],
                   f"{n_train:,} random images")


def subset(data: Dataset, n_train: int, n_test: int) -> Dataset:
    return Dataset(data.x_train[:n_train], data.y_train[:n_train], data.x_test[:n_test], data.y_test[:n_test],
                   data.classes, data.description)


# ---- 1. throughput ---------------------------------------------------------------------------------------------

def throughput(cases: list[tuple[str, Dataset, TrainConfig]], runs: int, device: torch.device) -> None:
    print(f"\n### 1. throughput: train() against a bare loop, CNNConfig(), median of {runs} (alternating, after a "
          "warm-up)\n")
    rows = []
    for name, data, config in cases:
        warm = replace(config, epochs=1)
        train(build_model(CNNConfig()), data, warm)
        bare_images_per_second(build_model(CNNConfig()), data, warm)
        ours, bare = [], []
        for _ in range(runs):
            ours.append(train(build_model(CNNConfig()), data, config).images_per_second)
            bare.append(bare_images_per_second(build_model(CNNConfig()), data, config))
        o, b = statistics.median(ours), statistics.median(bare)
        ratio = o / b
        if device.type != "cuda":
            verdict = "(tiny: not judged)"
        elif ratio >= TARGET_RATIO:
            verdict = "ok"
        else:
            verdict = "MISSED"
            failures.append(f"throughput {name} batch {config.batch_size}: ratio {ratio:.2f}")
        rows.append([name, config.batch_size, config.epochs, f"{o:,.0f}", f"{b:,.0f}", f"{ratio:.2f}",
                     f">= {TARGET_RATIO} {verdict}"])
    table(["data", "batch", "epochs", "train() images/s", "bare loop images/s", "ratio", "target"], rows)


# ---- 2. CPU against CUDA ---------------------------------------------------------------------------------------

@contextlib.contextmanager
def cuda_numerics(deterministic: bool):
    """cuDNN deterministic, no autotuning and no TF32 (``deterministic``), else torch's defaults; restored after."""
    saved = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark, torch.backends.cudnn.allow_tf32,
             torch.backends.cuda.matmul.allow_tf32)
    if deterministic:
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark, torch.backends.cudnn.allow_tf32,
         torch.backends.cuda.matmul.allow_tf32) = saved


def one_epoch(data: Dataset, device: str, dropout: float, dtype=torch.float32, cpu_threads: int = 1) -> dict:
    """One epoch of ``CNNConfig(dropout=dropout)`` (seed 0): reported losses, weights (float64, CPU), predictions."""
    model = build_model(CNNConfig(dropout=dropout), seed=0).to(dtype)
    cast = SimpleNamespace(x_train=data.x_train.to(dtype), y_train=data.y_train, x_test=data.x_test.to(dtype),
                           y_test=data.y_test, classes=data.classes)  # train reads these fields only
    result = train(model, cast, TrainConfig(epochs=1, device=device, cpu_threads=cpu_threads))
    if result.status != "finished":
        raise RuntimeError(f"the {device} run ended {result.status}: {result.message}")
    model.eval()
    with torch.no_grad():
        predicted = model(cast.x_test.to(next(model.parameters()).device)).argmax(1).cpu()
    weights = torch.cat([v.detach().double().cpu().flatten() for v in model.state_dict().values()
                         if v.is_floating_point()])
    return {"losses": torch.tensor([h["loss"] for h in result.history], dtype=torch.float64), "weights": weights,
            "predicted": predicted, "accuracy": result.history[-1]["test_accuracy"]}


def difference(a: dict, b: dict) -> dict:
    dw = a["weights"] - b["weights"]
    return {"loss": float((a["losses"] - b["losses"]).abs().max()), "w_rel": float(dw.norm() / b["weights"].norm()),
            "w_max": float(dw.abs().max()), "flips": int((a["predicted"] != b["predicted"]).sum()),
            "accuracy": abs(a["accuracy"] - b["accuracy"])}


def agreement(data: Dataset, device: torch.device) -> None:
    other = "the same CPU on 2 threads" if device.type == "cpu" else str(device)
    print(f"\n### 2. CPU against {other}: 1 epoch of CNNConfig(), seed 0, {len(data.x_train)} train / "
          f"{len(data.x_test)} test images\n")
    threads = 2 if device.type == "cpu" else 1  # on --device cpu: two float32 runs that sum in another order
    cpu = one_epoch(data, "cpu", dropout=0.0)
    rows = []

    def row(name: str, d: dict, target: str, ok: bool | None) -> None:
        verdict = "" if ok is None else " ok" if ok else " MISSED"
        if ok is False:
            failures.append(f"agreement {name}")
        rows.append([name, f"{d['loss']:.1e}", f"{d['w_rel']:.1e}", f"{d['w_max']:.1e}", d["flips"],
                     f"{d['accuracy'] * 100:.2f}", target + verdict])

    yardstick = difference(cpu, one_epoch(data, "cpu", dropout=0.0, dtype=torch.float64))
    row("yardstick: CPU float32 vs CPU float64", yardstick, "(reference)", None)
    with cuda_numerics(deterministic=True):
        checked = difference(one_epoch(data, device.type, dropout=0.0, cpu_threads=threads), cpu)
    loss_tol, weight_tol = (max(TOL_FLOOR, TOL_YARDSTICKS * yardstick[k]) for k in ("loss", "w_rel"))
    ok = checked["loss"] <= loss_tol and checked["w_rel"] <= weight_tol and checked["flips"] <= FLIPS_TOL
    row("deterministic, no TF32, dropout 0", checked,
        f"Δloss <= {loss_tol:.1e}, ‖Δw‖/‖w‖ <= {weight_tol:.1e}, flips <= {FLIPS_TOL}", ok)
    if device.type == "cuda":
        with cuda_numerics(deterministic=False):
            tf32 = difference(one_epoch(data, "cuda", dropout=0.0), cpu)
        row("torch defaults (TF32 convolutions), dropout 0", tf32, f"Δacc <= {ACCURACY_TOL * 100:.0f} points",
            tf32["accuracy"] <= ACCURACY_TOL)
    with cuda_numerics(deterministic=True):
        dropout = difference(one_epoch(data, device.type, dropout=0.1, cpu_threads=threads),
                             one_epoch(data, "cpu", dropout=0.1))
    row("deterministic, dropout 0.1 (CUDA draws other masks)", dropout, f"Δacc <= {ACCURACY_TOL * 100:.0f} points",
        dropout["accuracy"] <= ACCURACY_TOL)
    table(["run against the CPU float32 run", "max Δloss", "‖Δw‖/‖w‖", "max Δw", "predictions differing",
           "Δ test accuracy (points)", "target"], rows)
    print(f"\nchecked row / yardstick: Δloss ×{checked['loss'] / max(yardstick['loss'], 1e-30):.1f}, "
          f"‖Δw‖/‖w‖ ×{checked['w_rel'] / max(yardstick['w_rel'], 1e-30):.1f}")


# ---- 3. out of memory ------------------------------------------------------------------------------------------

def out_of_memory(device: torch.device, digits: Dataset) -> None:
    """Train a 128-channel convolution on one batch whose first activation is 1.25 × the GPU's memory."""
    print("\n### 3. out of GPU memory: one batch too big to fit\n")
    _, total = torch.cuda.mem_get_info(device)
    per_image = 128 * 28 * 28 * 4  # bytes of the first convolution's float32 output for one image
    n = math.ceil(1.25 * total / per_image)
    x, y = torch.zeros((n, 1, 28, 28)), torch.zeros(n, dtype=torch.int64)
    data = SimpleNamespace(x_train=x, y_train=y, x_test=x[:10], y_test=y[:10], classes=[str(i) for i in range(10)])
    model = build_model(CNNConfig(blocks=(ConvBlock(128),), dense=()))
    torch.cuda.synchronize(device)
    before = torch.cuda.memory_allocated(device)
    start = time.perf_counter()
    try:
        result = train(model, data, TrainConfig(device=device.type, batch_size=n, epochs=1))
        status, message = result.status, result.message
    except Exception as error:  # a failure of the check, reported below
        status, message = "raised", f"{type(error).__name__}: {str(error).splitlines()[0][:100]}"
    seconds = time.perf_counter() - start
    del data, x, y
    torch.cuda.synchronize(device)
    after, reserved = torch.cuda.memory_allocated(device), torch.cuda.memory_reserved(device)
    on_cpu = all(p.device.type == "cpu" for p in model.parameters())
    again = train(build_model(CNNConfig()), digits, TrainConfig(device=device.type, epochs=1)).status
    checks = [("status", status, status == "out_of_memory"), ("message", message, message == OUT_OF_MEMORY),
              ("seconds to the error", f"{seconds:.2f}", seconds < 30),
              ("model on the CPU afterwards", on_cpu, on_cpu),
              ("allocated before / after (MB)", f"{before / 1e6:.1f} / {after / 1e6:.1f}", after <= before),
              ("reserved after (MB)", f"{reserved / 1e6:.1f}", reserved < 0.05 * total),
              ("next training on the GPU", again, again == "finished")]
    for name, _, ok in checks:
        if not ok:
            failures.append(f"out of memory: {name}")
    table(["check", "value", ""], [[name, value, "ok" if ok else "FAILED"] for name, value, ok in checks])
    print(f"\n(batch of {n:,} images, first activation {n * per_image / 1e9:.0f} GB, GPU {total / 1e9:.0f} GB)")


# ---- main ------------------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda",
                        help="cuda (default), or cpu: a smoke test of the same code with tiny sizes")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per loop (default 3 on cuda, 1 on cpu)")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        print("gpu_check skipped: no CUDA GPU here (torch.cuda.is_available() is False, torch "
              f"{torch.__version__}). Run it on a machine with one; `--device cpu` smoke-tests the code on the CPU.")
        return 0
    begin = time.perf_counter()
    device = resolve_device(args.device)
    info = device_info(device)
    memory = f", {info['memory_gb']:.1f} GB" if info["memory_gb"] else ""
    cuda = f", CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}" if device.type == "cuda" else ""
    print(f"## gpu_check on {info['name']}{memory} (torch {torch.__version__}{cuda})")
    digits = load_dataset("digits")
    if device.type == "cuda":
        runs = args.runs or 3
        big = synthetic(20_000, 2_000)
        cases = [("digits", digits, TrainConfig(device="cuda")),
                 ("random 20,000", big, TrainConfig(device="cuda", epochs=2)),
                 ("random 20,000", big, TrainConfig(device="cuda", epochs=2, batch_size=256))]
        check_data = digits
    else:
        print("(--device cpu: tiny sizes, a smoke test of the code; the numbers say nothing about a GPU)")
        runs = args.runs or 1
        cases = [("digits 400", subset(digits, 400, 100), TrainConfig(device="cpu", epochs=1)),
                 ("random 2,000", synthetic(2_000, 200), TrainConfig(device="cpu", epochs=1))]
        check_data = subset(digits, 400, 100)
    throughput(cases, runs, device)
    agreement(check_data, device)
    if device.type == "cuda":
        out_of_memory(device, digits)
    else:
        print("\n### 3. out of GPU memory: skipped (needs CUDA)")
    print(f"\ntotal {time.perf_counter() - begin:.0f} s; " + (f"{len(failures)} check(s) failed: "
                                                              + "; ".join(failures) if failures else "all checks ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
