"""Slider to redrawn figure, in the browser: for every part of every lesson, in both languages, the time from an
arrow-key press on the part's first slider until its figures are redrawn and Streamlit is idle, against a one-slider
Streamlit app with one 100 × 100 plotly heatmap (the floor) measured in the same run, in the same browser.

Each part: the page is opened at ``?part=<part>&lang=<lang>``, one press warms it up, then ``--presses`` presses are
timed (right, or left at the slider's end). Timing is taken in the page (``performance.now()``), from the key's
``keydown`` to the first animation frame at which the script is idle (``data-test-script-state="notRunning"``), a
message has come back since the press, every chart is drawn and at least one chart was redrawn (plotly's
``plotly_afterplot``, or a chart that is new); for a control that changes no chart, the first frame at which the rest
holds (ten frames without a redraw tell). The time is split where it is spent:

- *to server*: the press until the first message back (the widget's own debounce, the request, the rerun starting);
- *server run*: the first message back until the last one (the script runs and its deltas stream in);
- *browser*: the last message until the frame the figures are drawn (React, plotly.js);
- *KB*: the bytes of the messages received for the press;
- *later*: the most charts out of sight at the end of a press (below the fold, in a closed expander), whose new figures
  are drawn when they come into sight or the browser has been free for a moment (``ui/plots/kept_chart.js``), not
  within the time measured: what the student sees when the press is answered is what is on screen.

A part whose sliders are all in an expander has it opened first, as a student would. A part without a slider uses its
first radio group (arrow keys move it); a part with neither is listed, unmeasured. That includes a part whose slider is
its figure's own (plotly's, as convolution's integral): it moves in the browser with no message to the server at all
(``tests/test_browser.py::test_the_integral_moves_t_and_its_reading_in_the_browser``).
Target (issue 20): every part's median ≤ 1.5× the floor's median and its slowest press ≤ 2.5× the floor's median.

    python bench/latency.py [--presses 8] [--lang en,zh] [--only convolution,home:]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from harness.browser import IDLE, wait_until_idle  # noqa: E402
from harness.server import CHROMIUM_ARGS, find_chromium, run_server  # noqa: E402
from ui.shell.registry import all_pages  # noqa: E402

MEDIAN_TARGET, SLOWEST_TARGET = 1.5, 2.5

FLOOR_SCRIPT = """import numpy as np
import plotly.graph_objects as go
import streamlit as st

st.title("Floor")
x = st.slider("x", 0, 100, 50)
z = np.sin(np.add.outer(np.arange(100), np.arange(100)) * (x + 1) / 200)
st.plotly_chart(go.Figure(go.Heatmap(z=z)), key="floor_fig")
"""
"""The floor: one slider and one 100 × 100 heatmap that it changes, nothing else."""

PROBE = """() => {
  if (window.__latency) return;
  const state = window.__latency = {messages: [], key: null, plots: []};
  const Real = window.WebSocket;
  function Watched(url, protocols) {
    const socket = protocols === undefined ? new Real(url) : new Real(url, protocols);
    socket.addEventListener('message', event => {
      const d = event.data;
      state.messages.push([performance.now(), d.byteLength ?? d.size ?? d.length ?? 0]);
    });
    return socket;
  }
  Watched.prototype = Real.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) Watched[k] = Real[k];
  window.WebSocket = Watched;
  document.addEventListener('keydown', () => { state.key = performance.now(); }, true);
}"""
"""Injected before the page's own scripts: every websocket message's arrival time and size, and the last key press."""

ARM = """([idleSelector]) => {
  const state = window.__latency;
  const charts = () => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')];
  const before = new Set(charts());
  const hooked = new WeakSet();
  let redrawn = null, settled = 0, settledAt = null, sawRunning = false;
  const hook = gd => {
    if (hooked.has(gd) || !gd.on) return;
    hooked.add(gd);
    gd.on('plotly_afterplot', () => { redrawn = performance.now(); });
  };
  before.forEach(hook);
  state.key = null;
  const sent = state.messages.length;
  state.pending = new Promise((resolve, reject) => {
    const frame = () => {
      const now = performance.now();
      const all = charts();
      if (state.key !== null && now - state.key > 20000) {
        return reject(new Error(`not redrawn within 20 s: ${state.messages.length - sent} messages, ` +
          `idle ${!!document.querySelector(idleSelector)}, charts ${all.length}, ` +
          `drawn ${all.every(gd => gd._fullLayout)}, ` +
          `redrawn ${redrawn}`));
      }
      all.forEach(hook);
      if (redrawn === null && all.some(gd => !before.has(gd) && gd._fullLayout)) redrawn = now;
      const answered = state.key !== null && state.messages.length > sent;
      const idle = document.querySelector(idleSelector) && !document.querySelector('[data-testid="stSkeleton"]');
      const drawn = all.every(gd => gd._fullLayout);
      if (state.key !== null && !document.querySelector(idleSelector)) sawRunning = true;
      settled = answered && idle && drawn ? settled + 1 : 0;
      if (settled === 1) settledAt = now;
      // done at the redraw; on a part without charts, once the run seen going has ended; for a control that
      // changes no chart, at the frame the run settled, known ten frames later
      if (settled && (redrawn !== null || (all.length === 0 && sawRunning) || settled > 10)) {
        const got = state.messages.slice(sent);
        const done = redrawn !== null ? now : settledAt;
        const later = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].filter(c => c.__pending);
        resolve({key: state.key, first: got[0][0], last: got[got.length - 1][0], done,
                 bytes: got.reduce((n, m) => n + m[1], 0), charts: all.length, redrawn: redrawn !== null,
                 later: later.length});
      } else requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
}"""
"""Before a press: watch every chart for plotly's ``plotly_afterplot``, and keep in ``__latency.pending`` a promise
that resolves, at the first animation frame where the press has been answered and drawn, with the in-page times of
the press, the first and last message back and that frame, and how many charts out of sight were left to be drawn
later (``ui/plots/kept_chart.js``)."""

CONTROL = """() => {
  document.querySelectorAll('[data-latency], [data-latency-open]').forEach(e => {
    e.removeAttribute('data-latency'); e.removeAttribute('data-latency-open'); });
  const main = document.querySelector('[data-testid="stMain"]') || document;
  const shown = e => e.getClientRects().length > 0 && !e.disabled && !e.closest('[inert]');  // a closed expander's
  // content is inert
  const sliders = [...main.querySelectorAll('input[type="range"], [role="slider"]')].filter(e => !e.disabled
    && !e.closest('[data-player]'));  // not a chart's own frame rail, which moves in the browser alone
  const slider = sliders.find(shown);
  const closed = sliders.length && sliders[0].closest('details');
  if (!slider && closed) {  // the part's sliders are in an expander: the student opens it first
    closed.querySelector('summary').setAttribute('data-latency-open', '1');
    return ['closed', null, null];
  }
  if (slider) {
    slider.setAttribute('data-latency', '1');
    const now = slider.value ?? slider.getAttribute('aria-valuenow');
    const max = slider.max ?? slider.getAttribute('aria-valuemax');
    return ['slider', String(now), String(max)];
  }
  const radio = [...main.querySelectorAll('[role="radiogroup"] input[type="radio"]:checked')].find(shown);
  if (radio) { radio.setAttribute('data-latency', '1'); return ['radio', null, null]; }
  return null;
}"""
"""Mark the part's first slider on show (a range input), else the checked radio of its first radio group, for the
presses; its kind, value and maximum ("closed" when its sliders are in a closed expander, whose title is marked)."""


@dataclass
class Row:
    """One part in one language: its presses, each {key, first, last, done, bytes} in page milliseconds."""

    label: str
    lang: str
    control: str | None = None
    presses: list[dict] = field(default_factory=list)
    error: str = ""

    def totals(self) -> list[float]:
        return [p["done"] - p["key"] for p in self.presses]

    def split(self, name: str) -> float:
        start, end = {"to server": ("key", "first"), "server run": ("first", "last"),
                      "browser": ("last", "done")}[name]
        return statistics.median(p[end] - p[start] for p in self.presses)


def press_once(page, direction: str) -> dict:
    """One real key press (Chromium's input, as a student's) on the marked control, timed in the page."""
    control = page.locator('[data-latency="1"]')
    control.focus()
    page.evaluate(ARM, [IDLE])
    page.keyboard.press(direction)
    return page.evaluate("() => window.__latency.pending")


def measure(page, url: str, presses: int, label: str, lang: str) -> Row:
    """Open ``url``, find its first slider (or radio group), press once to warm up, then time ``presses`` presses."""
    row = Row(label, lang)
    page.goto(url)
    wait_until_idle(page)
    found = page.evaluate(CONTROL)
    if found is not None and found[0] == "closed":
        page.locator('[data-latency-open="1"]').click()
        page.wait_for_function(f"() => {{ const r = ({CONTROL})(); return r && r[0] !== 'closed'; }}")
        found = page.evaluate(CONTROL)
    if found is None:
        return row
    row.control = found[0]
    for i in range(presses + 1):
        found = page.evaluate(CONTROL)
        at_end = found[0] == "slider" and found[1] is not None and found[1] == found[2]
        try:
            result = press_once(page, "ArrowLeft" if at_end else "ArrowRight")
        except Exception as error:
            row.error = str(error).splitlines()[0][:160]
            return row
        page.locator(IDLE).wait_for()
        if i:  # the first press warms the part up (its caches, plotly's first draw of each chart)
            row.presses.append(result)
    return row


def parts() -> list[tuple[str, str, dict[str, str]]]:
    """(row label, page path, query) for every part of every page."""
    out = []
    for spec in all_pages():
        path = "" if spec.default else spec.url_path
        for part in spec.parts or (None,):
            out.append((f"{spec.name}: {part}" if part else spec.name, path, {"part": part} if part else {}))
    return out


def table(rows: list[Row], floor: float) -> tuple[list[str], int]:
    lines = ["| part | lang | control | median ms | × floor | slowest ms | × floor | to server | server run | "
             "browser | KB | later |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    over = 0
    for row in rows:
        if row.error:
            over += 1
            lines.append(f"| {row.label} **failed** | {row.lang} | {row.control} | {row.error} | | | | | | | | |")
            continue
        if not row.presses:
            lines.append(f"| {row.label} | {row.lang} | none | | | | | | | | | |")
            continue
        totals = row.totals()
        median, slowest = statistics.median(totals), max(totals)
        ok = median <= MEDIAN_TARGET * floor and slowest <= SLOWEST_TARGET * floor
        over += not ok
        mark = "" if ok else " **over**"
        kb = statistics.median(p["bytes"] for p in row.presses) / 1024
        lines.append(f"| {row.label}{mark} | {row.lang} | {row.control} | {median:,.0f} | {median / floor:.2f} | "
                     f"{slowest:,.0f} | {slowest / floor:.2f} | {row.split('to server'):,.0f} | "
                     f"{row.split('server run'):,.0f} | {row.split('browser'):,.0f} | {kb:,.1f} | "
                     f"{max(p.get('later', 0) for p in row.presses)} |")
    return lines, over


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=8)
    parser.add_argument("--lang", default="en,zh")
    parser.add_argument("--only", default="", help="comma-separated prefixes of row labels (e.g. convolution,home)")
    parser.add_argument("--json", type=Path, help="also write every press here")
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        sys.exit("bench/latency.py needs Chromium: apt-get install -y chromium, or set CHROMIUM_PATH")
    chosen = [p for p in parts() if not args.only or any(p[0].startswith(o) for o in args.only.split(","))]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        floor_script = Path(tmp) / "floor.py"
        floor_script.write_text(FLOOR_SCRIPT)
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        with run_server(script=floor_script) as floor_server, run_server() as server:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.add_init_script(f"({PROBE})()")
            page = context.new_page()
            page.set_default_timeout(90_000)
            floors = [measure(page, floor_server.url, args.presses, "floor (before)", "")]
            rows = [measure(page, f"{server.url}/{path}?" + "&".join(f"{k}={v}" for k, v in {**query,
                                                                                               "lang": lang}.items()),
                            args.presses, label, lang)
                    for lang in args.lang.split(",") for label, path, query in chosen]
            floors.append(measure(page, floor_server.url, args.presses, "floor (after)", ""))
            context.close()
        browser.close()
    floor = statistics.median(t for f in floors for t in f.totals())
    lines, over = table(floors + rows, floor)
    print(f"# bench/latency.py: {len(rows)} part views, {args.presses} presses each, "
          f"{time.perf_counter() - started:.0f} s")
    print(f"floor = a one-slider app with one 100 × 100 heatmap, same run and browser: median {floor:.0f} ms")
    print()
    print("\n".join(lines))
    print()
    print(f"Target: median ≤ {MEDIAN_TARGET}× and slowest ≤ {SLOWEST_TARGET}× the floor's median ({floor:.0f} ms). "
          + ("Every part within." if over == 0 else f"{over} part view(s) over."))
    if args.json:
        args.json.write_text(json.dumps([row.__dict__ for row in floors + rows], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
