"""``core.activations`` against torch on the CPU, and the lesson's two trainings (fit_curve in NumPy,
gradient_through_depth in torch).

Tables: (1) each activation's f and f' on 1,000,000 float64 values, core (NumPy) against ``F.*`` for f and against
``F.*`` + ``torch.autograd.grad`` for f' (torch needs the forward pass to differentiate); (2) erf on the 2,000
points a page draws and on 1,000,000 values: core's Cody approximation against ``np.vectorize(math.erf)``,
``np.frompyfunc(math.erf, 1, 1)`` and ``torch.special.erf``; (3) ``fit_curve`` with its defaults on 200 points of
the sine, with ReLU and with no activation (target < 2 s); (4) ``gradient_through_depth`` at depth 30, width 32.
Timed as in ``bench/conv.py`` (whose timing helpers it uses): blocks of runs after a warm-up, core and torch in turn
with a pause between blocks, the median over all runs; ``torch.set_num_threads`` is left at its default and printed.
Table (1) uses two blocks fewer than ``--rounds`` (one each, by default) and a training run is timed 3 times after
one warm-up run, so that the whole benchmark stays near a minute. With ``--alternatives`` it also times the slow
erf alternatives on 1,000,000 values and each formula in one pass over the whole array (no blocks).

    python bench/activations.py [--runs 9] [--rounds 3] [--alternatives]
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.conv import paired_ms, run_cli, time_ms  # noqa: E402
from core import activations  # noqa: E402
from core.activations import ACTIVATIONS, erf  # noqa: E402
from core.curve_fit import fit_curve, target_points  # noqa: E402
from core.torch_reference import torch_activation_functions  # noqa: E402
from core.vanishing import gradient_through_depth  # noqa: E402

N = 1_000_000
TORCH_FN: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    **torch_activation_functions(), "identity": lambda x: x.clone()}  # core returns a new array too
FIT_TARGET_S = 2.0


def inputs(n: int) -> np.ndarray:
    return 4 * np.random.default_rng(0).standard_normal(n)  # most values in [-8, 8], every branch of every formula


def torch_grad(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """f'(x) by autograd: the forward pass, then the backward pass with ones."""
    with torch.enable_grad():
        xg = x.detach().requires_grad_()
        y = f(xg)
        (g,) = torch.autograd.grad(y, xg, torch.ones_like(y))
    return g


def header(runs: int, rounds: int) -> None:
    print(f"torch {torch.__version__}, numpy {np.__version__}, torch.get_num_threads() = {torch.get_num_threads()}, "
          f"float64, median of {runs} runs per block after warm-up\n")


def activation_table(runs: int, rounds: int) -> None:
    rounds = max(1, rounds - 2)
    print(f"(1) f and f' on {N:,} float64 values ({rounds} block{'s' if rounds > 1 else ''} of runs each)\n")
    print("| activation | cost | f core ms | f torch ms | ratio | f' core ms | f' torch ms (fwd + bwd) | ratio |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    x = inputs(N)
    xt = torch.from_numpy(x)
    for name, a in ACTIVATIONS.items():
        f = TORCH_FN[name]
        assert np.allclose(a.fn(x), f(xt).numpy(), rtol=1e-10, atol=1e-12), name
        assert np.allclose(a.grad(x), torch_grad(f, xt).numpy(), rtol=1e-10, atol=1e-12), name
        fn_core, fn_torch = paired_ms(lambda a=a: a.fn(x), lambda f=f: f(xt), runs, rounds)
        grad_core, grad_torch = paired_ms(lambda a=a: a.grad(x), lambda f=f: torch_grad(f, xt), runs, rounds)
        print(f"| {name} | {a.cost} | {fn_core:.2f} | {fn_torch:.2f} | {fn_core / fn_torch:.1f} | {grad_core:.2f} | "
              f"{grad_torch:.2f} | {grad_core / grad_torch:.1f} |", flush=True)


ERF_WAYS: dict[str, Callable[[np.ndarray], object]] = {
    "core (Cody, NumPy)": erf,
    "np.vectorize(math.erf)": np.vectorize(math.erf, otypes=[np.float64]),
    "np.frompyfunc(math.erf) + astype": lambda x: np.frompyfunc(math.erf, 1, 1)(x).astype(np.float64),
    "torch.special.erf": lambda x: torch.special.erf(torch.from_numpy(x)),
}


def erf_table(runs: int, rounds: int, n: int, ways: list[str]) -> None:
    x = inputs(n) / 4
    expected = np.array([math.erf(v) for v in x])
    print(f"\n(2) erf on {n:,} values: ms (median), max |error| against math.erf\n")
    print("| way | ms | max abs error |")
    print("| --- | ---: | ---: |")
    for name in ways:
        fn = ERF_WAYS[name]
        error = np.max(np.abs(np.asarray(fn(x), dtype=np.float64) - expected))
        ms = time_ms(lambda fn=fn: fn(x), runs, rounds)
        print(f"| {name} | {ms:.3f} | {error:.1e} |", flush=True)


def seconds_of(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def training_table(runs: int, rounds: int) -> None:
    x, y = target_points("sine")
    print("\n(3) fit_curve, defaults (hidden (16, 16), 600 steps of full-batch Adam, 200 points of the sine; "
          "median of 3 runs)\n")
    print("| activation | s | target | ok? | final loss |")
    print("| --- | ---: | ---: | --- | ---: |")
    for activation in ("relu", "identity"):
        fit = fit_curve(x, y, activation=activation)  # the warm-up
        seconds = statistics.median(seconds_of(lambda activation=activation: fit_curve(x, y, activation=activation))
                                    for _ in range(3))
        print(f"| {activation} | {seconds:.2f} | < {FIT_TARGET_S:g} s | {'yes' if seconds < FIT_TARGET_S else 'NO'} | "
              f"{fit.losses[-1]:.2e} |", flush=True)
    print("\n(4) gradient_through_depth, depth 30, width 32, batch 64 (float64, autograd)\n")
    print("| activation | ms | ‖∂L/∂W_1‖ / ‖∂L/∂W_30‖ |")
    print("| --- | ---: | ---: |")
    for activation in ("sigmoid", "relu"):
        g = gradient_through_depth(activation, 30)
        ms = time_ms(lambda activation=activation: gradient_through_depth(activation, 30), runs, 1)
        print(f"| {activation} | {ms:.1f} | {g[0] / g[-1]:.2e} |", flush=True)


def main_table(runs: int, rounds: int) -> None:
    header(runs, rounds)
    activation_table(runs, rounds)
    erf_table(runs, rounds, 2_000, list(ERF_WAYS))
    erf_table(runs, 1, N, ["core (Cody, NumPy)", "torch.special.erf"])
    training_table(runs, rounds)


def alternatives_table(runs: int, rounds: int) -> None:
    erf_table(3, 1, N, list(ERF_WAYS))
    print(f"\nEach formula in core's blocks of {activations._BLOCK:,} values and in one pass over all {N:,} "
          "(ms, median)\n")
    print("| function | blocks | one pass | one pass / blocks |")
    print("| --- | ---: | ---: | ---: |")
    x = inputs(N)
    functions = {"erf": erf, **{f"{name} {part}": getattr(ACTIVATIONS[name], part)
                                for name in ("sigmoid", "elu", "gelu", "softplus", "silu") for part in ("fn", "grad")}}
    block = activations._BLOCK
    for name, fn in functions.items():
        blocks = time_ms(lambda fn=fn: fn(x), runs, rounds)
        activations._BLOCK = N  # the whole array is one block, in nested calls too (gelu -> normal_cdf)
        try:
            one_pass = time_ms(lambda fn=fn: fn(x), runs, rounds)
        finally:
            activations._BLOCK = block
        print(f"| {name} | {blocks:.1f} | {one_pass:.1f} | {one_pass / blocks:.2f} |", flush=True)


def main() -> None:
    run_cli(__doc__.splitlines()[0], main_table, alternatives_table)


if __name__ == "__main__":
    main()
