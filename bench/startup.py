"""Cold start: seconds from ``streamlit run app.py`` to ``/_stcore/health`` answering, and to the home page
rendered in headless Chromium (title drawn, script idle, every figure drawn). The floor is a minimal
one-slider Streamlit script started and loaded the same way in the same run.

    python bench/startup.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from harness.server import CHROMIUM_ARGS, find_chromium, free_port, wait_for_health  # noqa: E402

FLOOR_SCRIPT = 'import streamlit as st\nx = st.slider("x", 0, 100, 0)\nst.title(f"x = {x}")\n'
READY = """() => document.querySelector('h1')
    && document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    && !document.querySelector('[data-testid="stSkeleton"]')
    && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(
        c => { const gd = c.querySelector('.js-plotly-plot'); return gd && gd._fullLayout; })"""


def start_once(script: Path, browser) -> tuple[float, float]:
    """(seconds to health OK, seconds to the page rendered), both from the moment of launch."""
    port = free_port()
    t0 = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless=true", f"--server.port={port}",
         "--server.address=127.0.0.1"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_for_health(base_url, process)
        healthy = time.perf_counter() - t0
        page = browser.new_page()
        page.goto(base_url)
        page.wait_for_function(READY, timeout=120_000)
        rendered = time.perf_counter() - t0
        page.close()
        return healthy, rendered
    finally:
        process.terminate()
        process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        sys.exit("bench/startup.py needs Chromium: apt-get install -y chromium, or set CHROMIUM_PATH")

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        floor = Path(tmp) / "floor.py"
        floor.write_text(FLOOR_SCRIPT)
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        results: dict[str, list[tuple[float, float]]] = {"floor": [], "app": []}
        for _ in range(args.repeats):  # interleaved, so that both see the same machine load
            results["floor"].append(start_once(floor, browser))
            results["app"].append(start_once(ROOT / "app.py", browser))
        browser.close()

    med = {name: (statistics.median(h for h, _ in runs), statistics.median(r for _, r in runs))
           for name, runs in results.items()}
    print(f"cold start, median of {args.repeats}; floor = one-slider script, same run")
    print("| script           | health OK s | ratio | home rendered s | ratio |")
    print("|------------------|-------------|-------|-----------------|-------|")
    for name, label in (("floor", "one-slider floor"), ("app", "app.py (home)")):
        healthy, rendered = med[name]
        print(f"| {label:<16} | {healthy:>11.2f} | {healthy / med['floor'][0]:>5.2f} "
              f"| {rendered:>15.2f} | {rendered / med['floor'][1]:>5.2f} |")


if __name__ == "__main__":
    main()
