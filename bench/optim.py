"""``core.optim`` against ``torch.optim`` on the CPU, float64, same run: 1,000 steps on Rosenbrock, and a phase diagram.

Table 1: each optimizer runs 1,000 steps on Rosenbrock from (-1.5, 2) with ``descend`` and with the same loop in
torch (a parameter tensor, ``zero_grad``, the loss, ``backward``, ``step``, points and losses kept), timed as in
``bench/conv.py`` (whose helpers it uses): blocks of runs after a warm-up, the median; torch with one run per block,
as one torch run takes about half a second (``backward`` alone ~0.3 ms a step) and core is 50x faster. The
column "f + grad" is the caller's part of ``descend``'s time: 1,000 calls of each on (2,) points. Table 2:
``phase_diagram`` on ½(x² + 10y²), a 60 × 60 grid of (momentum, lr), 500 steps each, against the same grid as a
Python loop of 3,600 ``descend`` calls and ``convergence_steps`` (timed once: it takes seconds). With
``--alternatives`` it also times ``descend`` on Python floats against NumPy arrays for d = 1..32, which sets
``core.optim._FLOAT_MAX_D``.

    python bench/optim.py [--runs 9] [--rounds 3] [--alternatives]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.conv import paired_ms, run_cli, time_ms  # noqa: E402
from core import optim  # noqa: E402
from core.optim import METHODS, convergence_steps, descend, phase_diagram  # noqa: E402

STEPS = 1_000
X0 = (-1.5, 2.0)
LR = {"sgd": 1e-3, "momentum": 1e-3, "nesterov": 1e-3, "rmsprop": 1e-2, "adagrad": 0.5, "adam": 0.05}
MOMENTUM = 0.9
SUM_TARGET_MS = 50.0
KAPPA = 10.0
GRID_LRS = np.linspace(0.005, 0.4, 60)
GRID_MOMENTA = np.linspace(0.0, 0.98, 60)
GRID_STEPS = 500
PHASE_TARGET_MS = 500.0


def rosenbrock(p: np.ndarray) -> float:
    """(1 - x)² + 100 (y - x²)² at a point (2,), in Python floats (7x faster than NumPy scalars: 0.35 µs)."""
    x, y = p.tolist()
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def rosenbrock_grad(p: np.ndarray) -> np.ndarray:
    x, y = p.tolist()
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def rosenbrock_torch(p: torch.Tensor) -> torch.Tensor:
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


SCALE = np.array([1.0, KAPPA])


def bowl(p: np.ndarray) -> float:
    x, y = p.tolist()  # Python floats: 4x faster than NumPy on two numbers
    return 0.5 * (x * x + KAPPA * y * y)


def bowl_grad(p: np.ndarray) -> np.ndarray:
    """The gradient for one point (2,) or for n points (n, 2)."""
    return SCALE * p


def torch_optimizer(method: str, p: torch.Tensor) -> torch.optim.Optimizer:
    if method in ("sgd", "momentum", "nesterov"):
        momentum = 0.0 if method == "sgd" else MOMENTUM
        return torch.optim.SGD([p], lr=LR[method], momentum=momentum, nesterov=method == "nesterov")
    return getattr(torch.optim, METHODS[method].torch_name)([p], lr=LR[method])


def torch_descend(method: str, steps: int = STEPS) -> tuple[torch.Tensor, torch.Tensor]:
    """The loop ``descend`` stands for, in torch: points (steps + 1, 2) and the loss at each."""
    p = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
    optimizer = torch_optimizer(method, p)
    points, values = torch.empty(steps + 1, 2, dtype=torch.float64), torch.empty(steps + 1, dtype=torch.float64)
    points[0] = p.detach()
    with torch.enable_grad():  # run_cli turns autograd off for the kernel benchmarks
        for k in range(steps):
            optimizer.zero_grad()
            loss = rosenbrock_torch(p)
            loss.backward()
            optimizer.step()
            values[k] = loss.detach()
            points[k + 1] = p.detach()
        values[steps] = rosenbrock_torch(p.detach())
    return points, values


def core_descend(method: str, steps: int = STEPS) -> optim.Trajectory:
    return descend(rosenbrock, rosenbrock_grad, X0, method, LR[method], steps, momentum=MOMENTUM)


def caller_part() -> None:
    """What ``descend`` spends in the caller's functions: f and grad at 1,000 points."""
    p = np.array(X0)
    for _ in range(STEPS):
        rosenbrock(p)
        rosenbrock_grad(p)


def main_table(runs: int, rounds: int) -> None:
    print(f"torch {torch.__version__}, numpy {np.__version__}, torch.get_num_threads() = {torch.get_num_threads()}, "
          f"float64, median of the runs after warm-up\n")
    print(f"Rosenbrock from {X0}, {STEPS:,} steps, momentum {MOMENTUM} for momentum and nesterov; median of "
          f"{runs * rounds} runs ({rounds} blocks of {runs}) for core, {rounds} (blocks of 1) for torch\n")
    print("| optimizer | lr | core ms | torch ms | ratio (core/torch) | f + grad ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    caller_ms = time_ms(caller_part, runs, rounds)
    total_core = total_torch = 0.0
    for method in METHODS:
        points, values = torch_descend(method, 100)
        run = core_descend(method, 100)
        assert np.allclose(run.points, points.numpy(), rtol=1e-9, atol=1e-12), method  # later steps: see the tests
        assert np.allclose(run.values, values.numpy(), rtol=1e-9, atol=1e-12), method
        core_ms = time_ms(lambda m=method: core_descend(m), runs, rounds)
        torch_ms = time_ms(lambda m=method: torch_descend(m), 1, rounds)
        total_core += core_ms
        total_torch += torch_ms
        print(f"| {method} | {LR[method]:g} | {core_ms:.2f} | {torch_ms:.1f} | {core_ms / torch_ms:.3f} | "
              f"{caller_ms:.2f} |", flush=True)
    print(f"| all six | | {total_core:.1f} | {total_torch:.0f} | {total_core / total_torch:.3f} | "
          f"{6 * caller_ms:.1f} |")
    page_surface_line(runs, rounds)
    print(f"\nsum of the six with core: {total_core:.1f} ms, target < {SUM_TARGET_MS:g} ms: "
          f"{'yes' if total_core < SUM_TARGET_MS else 'NO'}\n", flush=True)
    phase_table(runs, rounds)


def page_surface_line(runs: int, rounds: int) -> None:
    """The six again with ``core.surfaces``' Rosenbrock, the f and grad the lesson's page passes (if present)."""
    try:
        from core.surfaces import SURFACES

        surface = SURFACES["rosenbrock"]
    except (ImportError, KeyError):
        return
    p = np.array(X0)

    def six() -> None:
        for method in METHODS:
            descend(surface.f, surface.grad, X0, method, LR[method], STEPS, momentum=MOMENTUM)

    def caller() -> None:
        for _ in range(STEPS):
            surface.f(p)
            surface.grad(p)

    print(f"| all six, with core.surfaces' f and grad (the page's) | | {time_ms(six, 1, rounds):.1f} | | | "
          f"{6 * time_ms(caller, runs, rounds):.1f} |")


def descend_grid() -> np.ndarray:
    """The phase diagram's cells one ``descend`` call at a time."""
    out = np.empty((GRID_MOMENTA.size, GRID_LRS.size), dtype=int)
    for i, momentum in enumerate(GRID_MOMENTA):
        for j, lr in enumerate(GRID_LRS):
            run = descend(bowl, bowl_grad, (1.0, 1.0), "momentum", lr, GRID_STEPS, momentum=momentum)
            out[i, j] = -1 if run.diverged_at is not None else convergence_steps(run.points, (0.0, 0.0), 1e-6)
    return out


def phase_table(runs: int, rounds: int) -> None:
    def grid() -> optim.PhaseDiagram:
        return phase_diagram(bowl_grad, (1.0, 1.0), (0.0, 0.0), GRID_LRS, GRID_MOMENTA, GRID_STEPS)

    diagram = grid()
    start = time.perf_counter()
    expected = descend_grid()
    loop_ms = 1e3 * (time.perf_counter() - start)
    np.testing.assert_array_equal(diagram.steps, expected)
    fast_ms = time_ms(grid, runs, rounds)
    n = GRID_LRS.size * GRID_MOMENTA.size
    print(f"Phase diagram: ½(x² + 10y²) from (1, 1), {GRID_MOMENTA.size} momenta × {GRID_LRS.size} lrs × "
          f"{GRID_STEPS} steps, tol 1e-6 ({diagram.diverged.mean():.0%} of the runs diverge, "
          f"{(diagram.steps >= 0).mean():.0%} converge); median of {runs * rounds} runs ({rounds} blocks of {runs})\n")
    print("| way | ms | ratio to phase_diagram | target | ok? |")
    print("| --- | ---: | ---: | ---: | --- |")
    print(f"| phase_diagram (one descend_many call, {n:,} runs) | {fast_ms:.0f} | 1 | < {PHASE_TARGET_MS:g} ms | "
          f"{'yes' if fast_ms < PHASE_TARGET_MS else 'NO'} |")
    print(f"| Python loop of {n:,} descend calls (timed once) | {loop_ms:,.0f} | {loop_ms / fast_ms:.0f} | | |",
          flush=True)


# ---- the alternative that core/optim.py's docstring compares: Python floats or NumPy arrays in descend -----------


def alternatives_table(runs: int, rounds: int) -> None:
    print(f"\ndescend, {STEPS:,} steps on ½ Σ c_i x_i² (c from 1 to 10), f and grad in NumPy: ms, median\n")
    print("| d | method | Python floats | NumPy arrays | floats / arrays |")
    print("| ---: | --- | ---: | ---: | ---: |")
    h = {m: optim._hyper(m, 0.01, MOMENTUM, (0.9, 0.999), None, 0.99) for m in ("momentum", "adam")}
    for d in (1, 2, 4, 8, 16, 32, 64):
        c = np.linspace(1.0, 10.0, d)
        x0 = np.linspace(-2.0, 2.0, d) if d > 1 else np.array([1.5])

        def f(p, c=c):
            return 0.5 * float(np.dot(c * p, p))

        def grad(p, c=c):
            return c * p

        for method, hyper in h.items():
            f0 = f(x0)
            a = optim._descend_floats(f, grad, x0, hyper, STEPS, f0)
            b = optim._descend_arrays(f, grad, x0, hyper, STEPS, f0)
            np.testing.assert_array_equal(a.points, b.points)
            floats_ms, arrays_ms = paired_ms(lambda f=f, grad=grad, x0=x0, hyper=hyper, f0=f0: optim._descend_floats(
                f, grad, x0, hyper, STEPS, f0), lambda f=f, grad=grad, x0=x0, hyper=hyper, f0=f0: optim._descend_arrays(
                f, grad, x0, hyper, STEPS, f0), runs, rounds)
            print(f"| {d} | {method} | {floats_ms:.2f} | {arrays_ms:.2f} | {floats_ms / arrays_ms:.2f} |", flush=True)


def main() -> None:
    run_cli(__doc__.splitlines()[0], main_table, alternatives_table)


if __name__ == "__main__":
    main()
