"""Per-page render cost under AppTest, next to the framework's floor measured in the same run.

For every page: the time of its first render in a fresh session, and the median of 10 reruns after
changing its main control (the registry's ``Lesson.main_control``; each of a lesson's ``extra_controls`` gets a row
of its own). The floor is a minimal one-slider Streamlit script measured the same way.

    python bench/pages.py [--reruns 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from harness.apptest import app_test, benchmarked_controls, change, finish_background_work  # noqa: E402
from ui.shell.registry import all_pages  # noqa: E402

FLOOR_SCRIPT = """
import streamlit as st
x = st.slider("x", 0, 100, 0, key="x")
st.write(x * 2)
"""


def measure(make, kind: str, key: str, values: tuple, reruns: int) -> tuple[float, float]:
    """(first render, median rerun) in milliseconds."""
    start = time.perf_counter()
    at = make()
    first = time.perf_counter() - start
    assert not at.exception, at.exception
    times = []
    for n in range(reruns):
        start = time.perf_counter()
        change(at, kind, key, values[n % len(values)])
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return first * 1e3, statistics.median(times) * 1e3


def floor_app():
    at = AppTest.from_string(FLOOR_SCRIPT, default_timeout=60)
    return at.run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reruns", type=int, default=10)
    args = parser.parse_args()

    unmeasured = [spec.url_path for spec in all_pages() if spec.main_control is None]  # the classroom: actions only

    # Warm the imports (streamlit, plotly, numpy, the app's modules) so that every row pays the same.
    floor_app()
    app_test()

    floor_first, floor_rerun = measure(floor_app, "slider", "x", (10, 20, 30, 40, 50), args.reruns)
    controls = benchmarked_controls()
    for _, spec, control in controls:  # warm each view once (imports, cached images), as a running server would be
        app_test(dict(control.query), page=spec.script)
    rows = []
    for label, spec, control in controls:
        first, rerun = measure(lambda spec=spec, control=control: app_test(dict(control.query), page=spec.script),
                               control.kind, control.key, control.values, args.reruns)
        rows.append((label, first, rerun))

    print(f"AppTest, {args.reruns} reruns per page; floor = one-slider script, same run, same process")
    width = max(20, *(len(name) for name, _, _ in rows))
    header = (f"| {'page':<{width}} | {'first render ms':>15} | {'floor ms':>8} | {'ratio':>6} "
              f"| {'rerun median ms':>15} | {'floor ms':>8} | {'ratio':>6} |")
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    print(f"| {'(floor)':<{width}} | {floor_first:>15.1f} | {floor_first:>8.1f} | {1.0:>6.1f} "
          f"| {floor_rerun:>15.1f} | {floor_rerun:>8.1f} | {1.0:>6.1f} |")
    for name, first, rerun in rows:
        print(f"| {name:<{width}} | {first:>15.1f} | {floor_first:>8.1f} | {first / floor_first:>6.1f} "
              f"| {rerun:>15.1f} | {floor_rerun:>8.1f} | {rerun / floor_rerun:>6.1f} |")
    if unmeasured:
        print(f"\nNot measured (no main control: its controls are a class's actions): {', '.join(unmeasured)}")
    finish_background_work()  # the trainer's digits, drawn in a thread: an exit inside torch aborts


if __name__ == "__main__":
    main()
