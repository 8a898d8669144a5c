"""``core.conv.conv2d`` against ``torch.nn.functional.conv2d`` on the CPU, float32, same inputs, same run.

Each case is timed as blocks of runs after a warm-up, core and torch in turn, with a pause between blocks so
that neither library's idle worker threads (OpenBLAS's and torch's OpenMP pool both spin for a while after a
call) steal the two cores from the other; the time reported is the median over all runs of all blocks.
``torch.set_num_threads`` is left at its default and printed. With ``--alternatives`` it also times the other
ways of computing the same thing that ``core/conv.py``'s docstring compares.

    python bench/conv.py [--runs 9] [--rounds 3] [--alternatives]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from numpy.lib.stride_tricks import sliding_window_view

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.conv import conv2d  # noqa: E402

# (case, H = W, C_in, C_out, k, target ratio core/torch)
CASES: list[tuple[str, int, int, int, int, float]] = [
    ("512² 1→1 3×3", 512, 1, 1, 3, 1.5),
    ("512² 1→1 5×5", 512, 1, 1, 5, 1.5),
    ("512² 1→1 7×7", 512, 1, 1, 7, 1.5),
    ("1024² 1→1 3×3", 1024, 1, 1, 3, 1.5),
    ("1024² 1→1 5×5", 1024, 1, 1, 5, 1.5),
    ("1024² 1→1 7×7", 1024, 1, 1, 7, 1.5),
    ("512² RGB→8 3×3", 512, 3, 8, 3, 3.0),
]
PAUSE_S = 0.3


def warm_up(fn: Callable[[], object], seconds: float = 0.3) -> None:
    """At least 3 calls and ``seconds`` of calls: caches, thread pools and the allocator settle first."""
    start = time.perf_counter()
    for calls in itertools.count(1):
        fn()
        if calls >= 3 and time.perf_counter() - start > seconds:
            return


def time_ms(fn: Callable[[], object], runs: int, rounds: int) -> float:
    """Median milliseconds of ``fn`` over ``rounds`` blocks of ``runs`` calls, after a warm-up."""
    warm_up(fn)
    times = []
    for _ in range(rounds):
        time.sleep(PAUSE_S)
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def paired_ms(core: Callable[[], object], ref: Callable[[], object], runs: int, rounds: int) -> tuple[float, float]:
    """(core ms, torch ms): blocks of each in turn, so that slow and quiet moments of the machine hit both."""
    for fn in (core, ref):
        warm_up(fn)
    times: dict[int, list[float]] = {0: [], 1: []}
    for r in range(rounds):
        for which in ((0, 1) if r % 2 == 0 else (1, 0)):
            fn = (core, ref)[which]
            time.sleep(PAUSE_S)
            for _ in range(runs):
                start = time.perf_counter()
                fn()
                times[which].append(time.perf_counter() - start)
    return 1e3 * statistics.median(times[0]), 1e3 * statistics.median(times[1])


def inputs(h: int, c_in: int, c_out: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((c_in, h, h), dtype=np.float32)
    w = rng.standard_normal((c_out, c_in, k, k), dtype=np.float32)
    return x, w


def main_table(runs: int, rounds: int) -> None:
    print(f"torch {torch.__version__}, numpy {np.__version__}, torch.get_num_threads() = {torch.get_num_threads()}, "
          f"float32, padding 0, stride 1, median of {runs * rounds} runs ({rounds} blocks of {runs}) after warm-up\n")
    print("| case | core ms | torch ms | ratio (core/torch) | target | ok? |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, h, c_in, c_out, k, target in CASES:
        x, w = inputs(h, c_in, c_out, k)
        xt, wt = torch.from_numpy(x)[None], torch.from_numpy(w)
        if c_in == 1 and c_out == 1:
            x, w = x[0], w[0, 0]  # the 2-D form, as the page calls it
        expected = F.conv2d(xt, wt)[0].numpy()
        assert np.allclose(conv2d(x, w).reshape(expected.shape), expected, rtol=1e-4, atol=1e-3), name

        def ref(xt=xt, wt=wt):
            with torch.no_grad():
                return F.conv2d(xt, wt)

        core_ms, torch_ms = paired_ms(lambda x=x, w=w: conv2d(x, w), ref, runs, rounds)
        ratio = core_ms / torch_ms
        print(f"| {name} | {core_ms:.2f} | {torch_ms:.2f} | {ratio:.2f} | ≤ {target:g} | "
              f"{'yes' if ratio <= target else 'NO'} |", flush=True)


# ---- the alternatives that core/conv.py's docstring compares (stride 1, no padding) -------------------------


def taps_2d(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per tap: ``y += w[o, c, a, b] * x[c, a:a+H_out, b:b+W_out]`` on whole 2-D shifted views, in place."""
    c_out, c_in, kh, kw = w.shape
    h_out, w_out = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    y = np.zeros((c_out, h_out, w_out), x.dtype)
    tmp = np.empty_like(y)
    for c in range(c_in):
        for a in range(kh):
            for b in range(kw):
                np.multiply(w[:, c, a, b, None, None], x[c, None, a:a + h_out, b:b + w_out], out=tmp)
                y += tmp
    return y


def taps_flat(x: np.ndarray, w: np.ndarray, block: int | None = None) -> np.ndarray:
    """Per tap on the flattened image, so each shifted image is one contiguous slice; optionally in blocks."""
    c_out, c_in, kh, kw = w.shape
    h, width = x.shape[1:]
    h_out, w_out = h - kh + 1, width - kw + 1
    xf = x.reshape(c_in, -1)
    n = h_out * width - (kw - 1)  # the last (kw - 1) columns of the last row would read past the end
    y = np.zeros((c_out, h_out * width), x.dtype)
    block = block or n
    tmp = np.empty((c_out, block), x.dtype)
    for start in range(0, n, block):
        stop = min(n, start + block)
        _accumulate(y, tmp, xf, w, width, start, stop)
    return y.reshape(c_out, h_out, width)[:, :, :w_out]


def _accumulate(y: np.ndarray, tmp: np.ndarray, xf: np.ndarray, w: np.ndarray, width: int, start: int,
                stop: int) -> None:
    """``y[:, start:stop] += w[:, c, a, b] * x_flat[c, start + a*width + b : ...]`` over every tap (c, a, b)."""
    _, c_in, kh, kw = w.shape
    out, t = y[:, start:stop], tmp[:, : stop - start]
    for c in range(c_in):
        for a in range(kh):
            for b in range(kw):
                off = a * width + b
                np.multiply(w[:, c, a, b, None], xf[c, None, start + off: stop + off], out=t)
                out += t


POOL = ThreadPoolExecutor(2)


def taps_flat_threads(x: np.ndarray, w: np.ndarray, block: int = 1 << 16) -> np.ndarray:
    """The blocked flat tap loop with the blocks shared between two threads (NumPy releases the GIL in ufuncs)."""
    c_out, c_in, kh, kw = w.shape
    h, width = x.shape[1:]
    h_out, w_out = h - kh + 1, width - kw + 1
    xf = x.reshape(c_in, -1)
    n = h_out * width - (kw - 1)
    y = np.zeros((c_out, h_out * width), x.dtype)

    def run(starts: range) -> None:
        tmp = np.empty((c_out, block), x.dtype)
        for start in starts:
            stop = min(n, start + block)
            _accumulate(y, tmp, xf, w, width, start, stop)

    starts = range(0, n, block)
    for future in [POOL.submit(run, starts[0::2]), POOL.submit(run, starts[1::2])]:
        future.result()
    return y.reshape(c_out, h_out, width)[:, :, :w_out]


def swv_einsum(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    windows = sliding_window_view(x, w.shape[-2:], axis=(1, 2))  # (C, H_out, W_out, kh, kw)
    return np.einsum("cijab,ocab->oij", windows, w, optimize=True)


def swv_tensordot(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    windows = sliding_window_view(x, w.shape[-2:], axis=(1, 2))
    return np.moveaxis(np.tensordot(windows, w, axes=([0, 3, 4], [1, 2, 3])), -1, 0)


def im2col_whole(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """One column matrix for the whole image (C*kh*kw x H_out*W_out), one matmul."""
    c_out, c_in, kh, kw = w.shape
    windows = sliding_window_view(x, (kh, kw), axis=(1, 2)).transpose(0, 3, 4, 1, 2)  # (C, kh, kw, H_out, W_out)
    cols = windows.reshape(c_in * kh * kw, -1)  # copies
    return (w.reshape(c_out, -1) @ cols).reshape(c_out, *windows.shape[-2:])


ALTERNATIVES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "core (blocked im2col + matmul)": lambda x, w: conv2d(x, w),
    "tap loop, 2-D views": taps_2d,
    "tap loop, flat slices": taps_flat,
    "tap loop, flat, 64k blocks": lambda x, w: taps_flat(x, w, 1 << 16),
    "tap loop, flat, 64k blocks, 2 threads": taps_flat_threads,
    "im2col whole image + matmul": im2col_whole,
    "sliding_window_view + einsum": swv_einsum,
    "sliding_window_view + tensordot": swv_tensordot,
}


def alternatives_table(runs: int, rounds: int) -> None:
    names = list(ALTERNATIVES)
    print("\nAlternatives (ms, float32, median; torch measured in the same run)\n")
    print("| case | torch | " + " | ".join(names) + " |")
    print("| --- | ---: |" + " ---: |" * len(names))
    for name, h, c_in, c_out, k, _ in CASES:
        x, w = inputs(h, c_in, c_out, k)
        expected = F.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w))[0].numpy()
        xt, wt = torch.from_numpy(x)[None], torch.from_numpy(w)
        cells = [f"{time_ms(lambda xt=xt, wt=wt: F.conv2d(xt, wt), runs, rounds):.2f}"]
        for fn in ALTERNATIVES.values():
            assert np.allclose(fn(x, w), expected, rtol=1e-4, atol=1e-3)
            cells.append(f"{time_ms(lambda fn=fn, x=x, w=w: fn(x, w), runs, rounds):.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


def run_cli(description: str, table: Callable[[int, int], None], alternatives: Callable[[int, int], None]) -> None:
    """The command line shared by the kernel benchmarks: --runs, --rounds, --alternatives."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=9, help="timed runs per block")
    parser.add_argument("--rounds", type=int, default=3, help="blocks per library and case")
    parser.add_argument("--alternatives", action="store_true", help="also time the alternatives")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    table(args.runs, args.rounds)
    if args.alternatives:
        alternatives(args.runs, max(1, args.rounds - 1))


def main() -> None:
    run_cli(__doc__.splitlines()[0], main_table, alternatives_table)


if __name__ == "__main__":
    main()
