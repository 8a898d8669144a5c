"""Cold start: seconds from ``streamlit run app.py`` to ``/_stcore/health`` answering, to the home page's title in
headless Chromium, and to the page rendered (script idle, every figure drawn). The floor is the one-slider app with one
100 × 100 heatmap of ``bench/latency.py`` (a page with a figure loads plotly.js, as the home page does), started and
loaded the same way in the same run. Target (issue 20): the rendered page within 1.3× the floor's.

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

from bench.latency import FLOOR_SCRIPT  # noqa: E402
from harness.server import CHROMIUM_ARGS, find_chromium, free_port, wait_for_health  # noqa: E402

READY = """() => document.querySelector('h1')
    && document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    && !document.querySelector('[data-testid="stSkeleton"]')
    && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(
        c => { const gd = c.querySelector('.js-plotly-plot'); return gd && gd._fullLayout; })"""


def start_once(script: Path, browser) -> tuple[float, float, float]:
    """(seconds to health OK, to the title drawn, to the page rendered), all from the moment of launch."""
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
        page.locator("h1").first.wait_for(timeout=120_000)
        titled = time.perf_counter() - t0
        page.wait_for_function(READY, timeout=120_000)
        rendered = time.perf_counter() - t0
        page.close()
        return healthy, titled, rendered
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
        results: dict[str, list[tuple[float, float, float]]] = {"floor": [], "app": []}
        for _ in range(args.repeats):  # interleaved, so that both see the same machine load
            results["floor"].append(start_once(floor, browser))
            results["app"].append(start_once(ROOT / "app.py", browser))
        browser.close()

    med = {name: [statistics.median(run[i] for run in runs) for i in range(3)] for name, runs in results.items()}
    print(f"cold start, median of {args.repeats}; floor = one slider and one 100 × 100 heatmap, same run")
    print("| script | health OK s | ratio | title drawn s | ratio | page rendered s | ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, label in (("floor", "floor (slider + heatmap)"), ("app", "app.py (home)")):
        cells = " | ".join(f"{value:.2f} | {value / med['floor'][i]:.2f}" for i, value in enumerate(med[name]))
        print(f"| {label} | {cells} |")
    ratio = med["app"][2] / med["floor"][2]
    print(f"\nTarget: page rendered within 1.3× the floor's: {ratio:.2f}× ({'within' if ratio <= 1.3 else 'over'}).")


if __name__ == "__main__":
    main()
