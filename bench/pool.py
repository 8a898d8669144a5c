"""``core.pooling.pool2d`` against ``F.max_pool2d`` / ``F.avg_pool2d`` on the CPU, float32, same inputs, same run.

Timed as in ``bench/conv.py`` (whose timing helpers it uses): blocks of runs after a warm-up, core and torch in
turn with a pause between blocks, the median over all runs; ``torch.set_num_threads`` is left at its default and
printed. Stride = size, no padding. With ``--alternatives`` it also times the other ways of computing the same
thing that ``core/pooling.py``'s docstring compares.

    python bench/pool.py [--runs 9] [--rounds 3] [--alternatives]
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from numpy.lib.stride_tricks import sliding_window_view

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.conv import paired_ms, run_cli, time_ms  # noqa: E402
from core.pooling import pool2d  # noqa: E402

# (case, (C, H, W), size = stride, mode, target ratio core/torch)
CASES: list[tuple[str, tuple[int, int, int], int, str, float]] = [
    (f"{name} {size}×{size} {mode}", shape, size, mode, 2.0)
    for name, shape in (("1024² ×1", (1, 1024, 1024)), ("16×256²", (16, 256, 256)))
    for size in (2, 3)
    for mode in ("max", "avg")
]
TORCH_POOL = {"max": F.max_pool2d, "avg": F.avg_pool2d}


def inputs(shape: tuple[int, int, int]) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(shape, dtype=np.float32)


def main_table(runs: int, rounds: int) -> None:
    print(f"torch {torch.__version__}, numpy {np.__version__}, torch.get_num_threads() = {torch.get_num_threads()}, "
          f"float32, stride = size, padding 0, median of {runs * rounds} runs ({rounds} blocks of {runs}) "
          "after warm-up\n")
    print("| case | core ms | torch ms | ratio (core/torch) | target | ok? |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, shape, size, mode, target in CASES:
        x = inputs(shape)
        xt = torch.from_numpy(x)[None]
        if shape[0] == 1:
            x = x[0]  # the 2-D form, as the page calls it
        expected = TORCH_POOL[mode](xt, size)[0].numpy()
        assert np.allclose(pool2d(x, size, mode=mode).reshape(expected.shape), expected, rtol=1e-5, atol=1e-6), name

        def ref(xt=xt, size=size, mode=mode):
            return TORCH_POOL[mode](xt, size)

        core_ms, torch_ms = paired_ms(lambda x=x, size=size, mode=mode: pool2d(x, size, mode=mode), ref, runs, rounds)
        ratio = core_ms / torch_ms
        print(f"| {name} | {core_ms:.2f} | {torch_ms:.2f} | {ratio:.2f} | ≤ {target:g}× | "
              f"{'yes' if ratio <= target else 'NO'} |", flush=True)


# ---- the alternatives that core/pooling.py's docstring compares (stride = size, no padding) ---------------------

UFUNC = {"max": np.maximum, "avg": np.add}
REDUCE = {"max": np.max, "avg": np.mean}


def offset_loop(x: np.ndarray, k: int, mode: str) -> np.ndarray:
    """One whole-array ufunc per window offset: ``y = combine(y, x[:, a::k, b::k])``, k² strided passes."""
    h, w = x.shape[1:]
    h_out, w_out = h // k, w // k
    y = x[:, 0: k * h_out: k, 0: k * w_out: k].copy()
    for a in range(k):
        for b in range(k):
            if a or b:
                UFUNC[mode](y, x[:, a: a + k * (h_out - 1) + 1: k, b: b + k * (w_out - 1) + 1: k], out=y)
    return y / (k * k) if mode == "avg" else y


def rows_then_columns(x: np.ndarray, k: int, mode: str) -> np.ndarray:
    """Separable: ``combine`` of the k strided row-views (whole rows), then of k strided column-views: 2k passes."""
    h, w = x.shape[1:]
    h_out, w_out = h // k, w // k
    rows = x[:, 0: k * h_out: k].copy()
    for a in range(1, k):
        UFUNC[mode](rows, x[:, a: a + k * (h_out - 1) + 1: k], out=rows)
    y = rows[:, :, 0: k * w_out: k].copy()
    for b in range(1, k):
        UFUNC[mode](y, rows[:, :, b: b + k * (w_out - 1) + 1: k], out=y)
    return y / (k * k) if mode == "avg" else y


def reshape_trick(x: np.ndarray, k: int, mode: str) -> np.ndarray:
    """Crop to whole windows, ``reshape(C, H/k, k, W/k, k)`` and reduce axes 2 and 4 in one call."""
    c, h, w = x.shape
    h_out, w_out = h // k, w // k
    return REDUCE[mode](x[:, : k * h_out, : k * w_out].reshape(c, h_out, k, w_out, k), axis=(2, 4))


def reshape_one_axis_at_a_time(x: np.ndarray, k: int, mode: str) -> np.ndarray:
    """The reshape trick, rows first (axis 2 of ``(C, H/k, k, W)``), then the small last axis of the columns."""
    c, h, w = x.shape
    h_out, w_out = h // k, w // k
    rows = REDUCE[mode](x[:, : k * h_out, : k * w_out].reshape(c, h_out, k, k * w_out), axis=2)
    return REDUCE[mode](rows.reshape(c, h_out, w_out, k), axis=-1)


def windows_view(x: np.ndarray, k: int, mode: str) -> np.ndarray:
    """``sliding_window_view`` of every k-th window, reduced over its last two axes."""
    return REDUCE[mode](sliding_window_view(x, (k, k), axis=(1, 2))[:, ::k, ::k], axis=(-2, -1))


ALTERNATIVES: dict[str, Callable[[np.ndarray, int, str], np.ndarray]] = {
    "core": lambda x, k, mode: pool2d(x, k, mode=mode),
    "window-offset loop": offset_loop,
    "rows, then columns": rows_then_columns,
    "reshape trick": reshape_trick,
    "reshape, one axis at a time": reshape_one_axis_at_a_time,
    "sliding_window_view": windows_view,
}


def alternatives_table(runs: int, rounds: int) -> None:
    names = list(ALTERNATIVES)
    print("\nAlternatives (ms, float32, median; torch measured in the same run)\n")
    print("| case | torch | " + " | ".join(names) + " |")
    print("| --- | ---: |" + " ---: |" * len(names))
    for name, shape, size, mode, _ in CASES:
        x = inputs(shape)
        xt = torch.from_numpy(x)[None]
        expected = TORCH_POOL[mode](xt, size)[0].numpy()
        cells = [f"{time_ms(lambda xt=xt, size=size, mode=mode: TORCH_POOL[mode](xt, size), runs, rounds):.2f}"]
        for fn in ALTERNATIVES.values():
            assert np.allclose(fn(x, size, mode), expected, rtol=1e-5, atol=1e-6)
            cells.append(f"{time_ms(lambda fn=fn, x=x, size=size, mode=mode: fn(x, size, mode), runs, rounds):.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


def main() -> None:
    run_cli(__doc__.splitlines()[0], main_table, alternatives_table)


if __name__ == "__main__":
    main()
