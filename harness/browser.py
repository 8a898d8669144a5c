"""Playwright helpers for a page of the app in headless Chromium (sync API), and the page states they wait for.

``IDLE``, ``DRAWN`` and ``BASE_PATH_PROBE`` are plain strings and patterns: bench/load.py waits on them with
Playwright's async API.
"""

from __future__ import annotations

import itertools
import math
import re

from playwright.sync_api import Page, expect

from harness.paths import ARTIFACTS
from ui.shell.i18n import catalogue

SHOTS = ARTIFACTS / "screenshots"
"""Where the browser tests put their screenshots (ignored by git); look at them."""

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
"""The app's root while no script run is going on (a CSS selector)."""

DRAWN = """() => !document.querySelector('[data-testid="stSkeleton"]')
    && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(
        chart => { const gd = chart.querySelector('.js-plotly-plot');
                   return gd && gd._fullLayout && gd.layout && !chart.__pending; })"""
"""Every plotly chart Streamlit placed has been drawn by plotly.js (which loads lazily, after the script run) with its
latest figure (a chart out of sight keeps a new figure pending a moment, ``ui/plots/kept_chart.js``); charts still
loading show a skeleton first. A JavaScript predicate, for ``page.wait_for_function``."""

BASE_PATH_PROBE = re.compile(r"/[^/]+/_stcore/(health|host-config)$")
"""On a page URL such as /convolution, Streamlit's frontend first probes /convolution/_stcore/health and host-config
to find the server's base path, and logs their 404s before it finds /_stcore/. Those are expected."""


def watch_errors(page: Page) -> list[str]:
    """Console errors, page errors and failed HTTP responses (except the base-path probes) of ``page``, collected
    from now on into the returned list; also sets the page's default timeout to 30 s."""
    errors: list[str] = []

    def on_console(message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def on_response(response) -> None:
        if response.status >= 400 and not BASE_PATH_PROBE.search(response.url.split("?")[0]):
            errors.append(f"HTTP {response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("requestfailed", lambda request: errors.append(f"request failed: {request.url}"))  # e.g. offline
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(30_000)
    return errors


SETTLED = """([quiet, most]) => new Promise(resolve => {
    const done = () => { observer.disconnect(); clearTimeout(cap); resolve(true); };
    let timer = setTimeout(done, quiet);
    const observer = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(done, quiet); });
    observer.observe(document.body, {childList: true, subtree: true});
    const cap = setTimeout(done, most);
})"""
"""Resolves once no element has been added to or removed from the page for ``quiet`` ms (at most ``most`` ms): the
elements of a finished run still being put on the page (a chart's component mounts after the run has ended, and
until it has, "every chart drawn" is true of none)."""


def wait_until_idle(page: Page) -> None:
    """Wait for the script run to finish and the page's content (its title, its figures) to be drawn and settled."""
    page.locator("h1").first.wait_for()
    page.locator(IDLE).wait_for()
    page.wait_for_function(DRAWN)
    page.evaluate(SETTLED, [250, 5000])
    page.locator(IDLE).wait_for()
    page.wait_for_function(DRAWN)


def assert_healthy(page: Page, errors: list[str], server) -> None:
    """No exception box on the page, nothing in ``errors`` (from ``watch_errors``), no Traceback in the server log."""
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    assert errors == [], errors
    assert "Traceback" not in server.log()


def wait_for_query(page: Page, fragment: str) -> None:
    """Streamlit rewrites the URL with the History API (no navigation): poll ``location.search``."""
    page.wait_for_function("f => location.search.includes(f)", arg=fragment)


def page_url(server, spec, **query: str) -> str:
    """The URL of lesson ``spec`` (a registry ``Lesson``) on ``server`` with ``query`` in its link."""
    path = "" if spec.default else spec.url_path
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return f"{server.url}/{path}" + (f"?{params}" if params else "")


def plot_point(figure, xy) -> tuple[float, float]:
    """Page coordinates of the data point ``xy`` in a plotly figure (the axes' own offsets: a legend above the plot
    pushes the plot area down)."""
    return tuple(figure.evaluate(
        """(gd, [x, y]) => {
            const r = gd.getBoundingClientRect(), l = gd._fullLayout;
            return [r.left + l.xaxis._offset + l.xaxis.l2p(x), r.top + l.yaxis._offset + l.yaxis.l2p(y)];
        }""", list(xy)))


def full_page_screenshot(page: Page, name: str) -> None:
    """A screenshot of the whole page into ``SHOTS/name``. Streamlit scrolls inside its main container, so the
    window grows to the content (at most 6000 px) for the picture."""
    (SHOTS / name).parent.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 6000)})
    wait_until_idle(page)
    page.wait_for_timeout(500)
    page.screenshot(path=SHOTS / name)
    page.set_viewport_size(size)


def draw_a_one(page: Page, timeout: float) -> None:
    """A "1" with the mouse on the trainer's drawing pad, as a student draws it: one stroke from top to bottom."""
    draw_strokes(page, DIGIT_STROKES["1"], timeout)


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 24) -> list[tuple[float, float]]:
    return [(cx + rx * math.sin(2 * math.pi * k / n), cy - ry * math.cos(2 * math.pi * k / n)) for k in range(n + 1)]


DIGIT_STROKES: dict[str, list[list[tuple[float, float]]]] = {
    "0": [_ellipse(140, 140, 55, 85)],
    "1": [[(150, 50), (140, 235)]],
    "3": [[(90, 70), (140, 50), (190, 85), (140, 135), (195, 180), (140, 230), (85, 210)]],
    "7": [[(85, 60), (200, 60), (120, 235)]],
}
"""Digits as a student draws them, in pad pixels (280 × 280, y down): each a list of strokes, each a polyline. Checked
offline with the pad's 22-pixel pen: networks trained on the offline digits read each as its digit."""


def draw_strokes(page: Page, strokes: list[list[tuple[float, float]]], timeout: float) -> None:
    """Draw ``strokes`` (pad pixels) with the mouse on the trainer's drawing pad, 8 mouse moves per segment."""
    canvas = page.locator(".canvas-root canvas").last  # fabric.js: the top canvas takes the pointer
    expect(canvas).to_be_visible(timeout=timeout)
    canvas.scroll_into_view_if_needed(timeout=timeout)
    box = canvas.bounding_box()
    scale = box["width"] / 280

    def at(point: tuple[float, float]) -> tuple[float, float]:
        return box["x"] + point[0] * scale, box["y"] + point[1] * scale

    for stroke in strokes:
        page.mouse.move(*at(stroke[0]))
        page.mouse.down()
        for (x0, y0), (x1, y1) in itertools.pairwise(stroke):
            for k in range(1, 9):
                page.mouse.move(*at((x0 + (x1 - x0) * k / 8, y0 + (y1 - y0) * k / 8)))
        page.mouse.up()


TRY_TITLE = """() => {
    const gd = document.querySelector('.st-key-cnn_trainer_try_probs .js-plotly-plot');
    const title = gd && gd.layout && gd.layout.title;
    const html = title ? (typeof title === 'string' ? title : title.text || '') : '';
    // plotly titles are HTML (<b>…</b>): keep the text (a parsed document is inert: nothing in it loads or runs)
    return new DOMParser().parseFromString(html, 'text/html').body.textContent;
}"""
"""The title of the trainer's chart of probabilities for the drawing (key ``cnn_trainer_try_probs``) as text, e.g.
"The network's answer: 1 (93.2%)"; "" while that chart is not drawn. A JavaScript function."""


def drawn_answer(page: Page, lang: str, timeout: float) -> str:
    """The class the trainer's network gives the drawing on its pad ("1"), read from the title of the drawing's chart
    of probabilities once that chart is drawn and the page is idle."""
    page.wait_for_function(f"() => ({TRY_TITLE})() !== ''", timeout=timeout)
    wait_until_idle(page)
    title = page.evaluate(TRY_TITLE).strip()
    # "The network's answer: {label} ({p}%)" -> a pattern that captures the label
    template = re.escape(catalogue(lang)["cnn_trainer.try.probabilities"])
    pattern = template.replace(re.escape("{label}"), "(?P<label>.+?)").replace(re.escape("{p}"), r"[\d.]+")
    match = re.fullmatch(pattern, title)
    assert match, f"the drawing's answer {title!r} does not read as {pattern!r}"
    return match["label"]
