"""Browser tests: headless Chromium (Playwright) against a real ``streamlit run app.py`` server.

Every page in both languages, shareable links in a fresh browser context, the sidebar language switch,
bad links, and what AppTest cannot do: clicking the plotly figure and its client-side Play animation.
Screenshots land in artifacts/screenshots/ (ignored by git); look at them. The helpers that drive a page
(``watch_errors``, ``wait_until_idle``, ``draw_a_one``, …) are ``harness.browser``'s, shared with the benchmarks.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from harness.browser import (
    DIGIT_STROKES,
    assert_healthy,
    draw_a_one,
    draw_strokes,
    drawn_answer,
    full_page_screenshot,
    page_url,
    plot_point,
    wait_for_query,
    wait_until_idle,
    watch_errors,
)
from tests.conftest import PAGE_IDS, PAGES
from ui.shell.i18n import LANGUAGES, translate

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("spec", PAGES, ids=PAGE_IDS)
def test_every_page_in_every_language(page: Page, console_errors, server, spec, lang):
    page.goto(page_url(server, spec, lang=lang))
    wait_until_idle(page)
    assert_healthy(page, console_errors, server)
    assert page.title() == f"{translate(spec.title_key, lang)} · {translate('app.title', lang)}"
    expect(page.locator("h1").first).to_be_visible()
    if lang == "zh":
        assert re.search(r"[\u4e00-\u9fff]", page.locator("h1").first.inner_text())
    assert f"lang={lang}" in page.url
    assert page.evaluate(UNRENDERED_MARKDOWN) == []
    full_page_screenshot(page, f"{spec.url_path}-{lang}.png")


UNRENDERED_MARKDOWN = """() => [...document.querySelectorAll(
        '[data-testid="stMain"] [data-testid="stMarkdownContainer"]')]
    .map(box => { const copy = box.cloneNode(true); copy.querySelectorAll('code, pre').forEach(c => c.remove());
                  return copy.textContent; })
    .filter(text => text.includes('**'))"""
"""Text of the page's markdown (code aside) that still shows ``**``: bold that Markdown did not open, as when a mark
squeezed between a Chinese character and ``**`` stops it (``ui.shell.terms.annotate``)."""


def test_unknown_page_path_falls_back_to_home(page: Page, server):
    page.set_default_timeout(30_000)
    page.goto(f"{server.url}/no-such-lesson?lang=en")
    wait_until_idle(page)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    expect(page.locator("h1").first).to_have_text(translate("home.title", "en"))
    assert "Traceback" not in server.log()


def test_bad_link_values_fall_back_with_a_notice(page: Page, console_errors, server):
    page.goto(f"{server.url}/?lang=xx&steps=lots&lr=-1&phase=%3Cscript%3Ealert(1)%3C/script%3E")
    wait_until_idle(page)
    assert_healthy(page, console_errors, server)
    expect(page.locator("h1").first).to_have_text(translate("home.title", "en"))
    expect(page.locator('[data-testid="stToast"]')).to_have_count(4)
    assert "steps=" not in page.url and "lang=en" in page.url


def test_sidebar_switch_changes_language_and_url(page: Page, console_errors, server):
    page.goto(f"{server.url}/?lang=en")
    wait_until_idle(page)
    page.locator('[data-testid="stSidebar"]').get_by_text("简体中文").click()
    expect(page.locator("h1").first).to_have_text(translate("home.title", "zh"))
    wait_until_idle(page)
    assert "lang=zh" in page.url
    assert page.title().startswith(translate("nav.home", "zh"))
    assert_healthy(page, console_errors, server)


LOOP = ".st-key-home_flow .js-plotly-plot"
"""The home page's loop figure (the history figure above it, in an expander, is drawn first)."""
LOOP_CSS = "'.st-key-home_flow .js-plotly-plot'"


def steps_slider(page: Page):
    return page.get_by_role("slider", name=translate("home.steps", "en"))


def test_a_control_writes_the_link_and_the_link_restores_it(page: Page, console_errors, server, browser):
    page.goto(f"{server.url}/?lang=en")
    wait_until_idle(page)
    before = page.locator(LOOP).first.evaluate("gd => { gd.__beforeTheMove = true; "
                                               "return JSON.stringify(gd.layout.annotations); }")
    slider = steps_slider(page)
    slider.focus()
    for _ in range(3):
        slider.press("ArrowRight")
    wait_for_query(page, "steps=3")
    wait_until_idle(page)
    after = page.locator(LOOP).first.evaluate("gd => JSON.stringify(gd.layout.annotations)")
    assert before != after, "the figure did not change with the control"
    assert page.locator(LOOP).first.evaluate("gd => gd.__beforeTheMove === true"), \
        "the chart was drawn afresh in a new node, not redrawn in place (ui.plots.kept: Plotly.react)"
    assert_healthy(page, console_errors, server)

    fresh = browser.new_context()  # another student, opening the shared link
    try:
        other = fresh.new_page()
        other.set_default_timeout(30_000)
        other.goto(page.url)
        wait_until_idle(other)
        expect(steps_slider(other)).to_have_value("3")
        shared = other.locator(LOOP).first.evaluate("gd => JSON.stringify(gd.layout.annotations)")
        assert shared == after
    finally:
        fresh.close()


def box_centre(page: Page, x: float, y: float) -> tuple[float, float]:
    """Screen position of data point (x, y) of the loop figure (reads plotly's own axis mapping)."""
    page.locator(LOOP).first.scroll_into_view_if_needed()
    return page.locator(LOOP).first.evaluate(
        """(gd, [x, y]) => {
            const r = gd.getBoundingClientRect(), l = gd._fullLayout;
            return [r.left + l.margin.l + l.xaxis.l2p(x), r.top + l.margin.t + l.yaxis.l2p(y)];
        }""", [x, y])


def test_clicking_a_box_selects_its_stage(page: Page, console_errors, server):
    from ui.lessons.home_figures import NODE_XY

    page.goto(f"{server.url}/?lang=en")
    wait_until_idle(page)
    page.mouse.click(*box_centre(page, *NODE_XY["gradients"]))
    wait_for_query(page, "stage=gradients")
    wait_until_idle(page)
    expect(page.get_by_text("Backpropagation applies the chain rule")).to_be_visible()
    assert_healthy(page, console_errors, server)


def test_play_animates_the_loop_in_the_browser(page: Page, console_errors, server):
    page.goto(f"{server.url}/?lang=en")
    wait_until_idle(page)
    figure = page.locator(LOOP).first
    widths = "gd => gd.layout.shapes.map(s => s.line.width).join(',')"
    start = figure.evaluate(widths)
    page.get_by_text(translate("home.play", "en")).click()
    page.wait_for_function(f"() => ({widths})(document.querySelector({LOOP_CSS})) !== '{start}'")
    assert_healthy(page, console_errors, server)


def test_browser_locale_picks_chinese_without_a_link(browser, server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(server.url)
        wait_until_idle(page)
        expect(page.locator("h1").first).to_have_text(translate("home.title", "zh"))
        wait_for_query(page, "lang=zh")
    finally:
        context.close()


@pytest.mark.parametrize(("scheme", "width"), [("dark", 1280), ("light", 390), ("dark", 390)])
def test_dark_theme_and_phone_width_render(browser, server, scheme, width):
    """Dark mode is dark (the app follows the system's scheme) and a phone-width window has no error."""
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        errors = watch_errors(page)
        page.goto(f"{server.url}/?lang=zh&steps=8&stage=loss")
        wait_until_idle(page)
        assert_healthy(page, errors, server)
        background = page.evaluate(
            "() => getComputedStyle(document.querySelector('[data-testid=\"stApp\"]')).backgroundColor")
        red, green, blue = (int(v) for v in re.findall(r"\d+", background)[:3])
        assert (red + green + blue < 150) == (scheme == "dark"), background
        full_page_screenshot(page, f"home-zh-{scheme}-{width}.png")
    finally:
        context.close()


# The lit cells of the step figure's highlight layer (trace 1). Plotly keeps numpy data as base64 typed arrays
# ({dtype, bdata, shape}); decode them here.
LIT = """() => { const gd = document.querySelectorAll('.js-plotly-plot')[0]; const z = gd.data[1].z;
    const bytes = Uint8Array.from(atob(z.bdata), c => c.charCodeAt(0));
    const values = new Float32Array(bytes.buffer); const cols = Number(z.shape.split(',')[1]);
    const lit = []; values.forEach((v, n) => { if (v === 1) lit.push([Math.floor(n / cols), n % cols]); });
    return JSON.stringify(lit); }"""


def test_convolution_step_slider_moves_the_window(page: Page, console_errors, server):
    page.goto(f"{server.url}/convolution?lang=en&part=steps&n=6&k=3&s=2&p=1")
    wait_until_idle(page)
    before = page.evaluate(LIT)
    slider = page.get_by_role("slider", name=translate("common.steps.cell", "en"))
    slider.focus()
    slider.press("ArrowRight")
    wait_for_query(page, "cell=1")
    wait_until_idle(page)
    page.wait_for_function(f"() => ({LIT})() !== {before!r}")
    after = page.evaluate(LIT)
    # stride 2: the window jumps two columns to the right, same rows
    shift = {(a[0] - b[0], a[1] - b[1]) for a, b in zip(eval_pairs(after), eval_pairs(before), strict=True)}
    assert shift == {(0, 2)}
    assert_healthy(page, console_errors, server)


def eval_pairs(text: str) -> list[tuple[int, int]]:
    import json

    return [tuple(p) for p in json.loads(text)]


def test_convolution_play_runs_in_the_browser(page: Page, console_errors, server):
    page.goto(f"{server.url}/convolution?lang=en&part=steps")
    wait_until_idle(page)
    before = page.evaluate(LIT)
    page.get_by_text(translate("common.play", "en")).first.click()
    page.wait_for_function(f"() => ({LIT})() !== {before!r}")  # moved by plotly.js alone, no rerun
    assert "cell=" not in page.url
    assert_healthy(page, console_errors, server)


def test_a_figures_frames_are_stepped_on_its_own_rail_in_the_browser(page: Page, console_errors, server):
    """The step-by-step figure's Play button and frame rail are the chart's own HTML (``ui/plots/kept_chart.js``),
    not plotly.js's slider, which it laid out again at every redraw: a key press on the rail shows the next cell's
    window and names the cell, with plotly.js alone (the page's own cell slider and link stay as they were)."""
    page.goto(f"{server.url}/convolution?lang=en&part=steps&n=6&k=3&s=2&p=1")
    wait_until_idle(page)
    assert page.locator(".js-plotly-plot .slider-container, .js-plotly-plot .updatemenu-container").count() == 0
    rail, reading = page.locator("[data-player] input[type=range]"), page.locator("[data-player] span")
    prefix = translate("common.steps.cell", "en") + " "
    expect(reading).to_have_text(prefix + "(0, 0)")
    assert rail.get_attribute("max") == "8"  # 3 × 3 output cells
    before = page.evaluate(LIT)
    rail.focus()
    rail.press("ArrowRight")
    page.wait_for_function(f"() => ({LIT})() !== {before!r}")
    shift = {(a[0] - b[0], a[1] - b[1]) for a, b in zip(eval_pairs(page.evaluate(LIT)), eval_pairs(before),
                                                        strict=True)}
    assert shift == {(0, 2)}  # stride 2: two columns to the right
    expect(reading).to_have_text(prefix + "(0, 1)")
    assert "cell=" not in page.url
    cell = page.get_by_role("slider", name=translate("common.steps.cell", "en"))
    assert cell.input_value() == "0"
    assert_healthy(page, console_errors, server)


def test_first_request_after_start_can_open_a_lesson_url(page: Page, chromium_path):
    """A fresh server whose very first visitor opens a lesson link still runs app.py (language, sidebar)."""
    from harness.server import run_server

    errors = watch_errors(page)
    with run_server() as fresh:
        page.goto(f"{fresh.url}/convolution?lang=zh&part=steps")
        wait_until_idle(page)
        expect(page.locator("h1").first).to_have_text(translate("convolution.title", "zh"))
        assert page.title() == f"{translate('nav.convolution', 'zh')} · {translate('app.title', 'zh')}"
        expect(page.locator('[data-testid="stSidebar"]').get_by_text("简体中文")).to_be_visible()
        assert errors == [] and "Traceback" not in fresh.log()


FIT_CURVE = """() => { const gd = [...document.querySelectorAll('.js-plotly-plot')][0];
    return JSON.stringify(gd.data[1].y); }"""


def test_activation_fit_replays_training_in_the_browser(page: Page, console_errors, server):
    """▶ under the curve fit walks through the training snapshots with plotly.js alone (no rerun)."""
    page.goto(f"{server.url}/activations?lang=en&part=fit&steps=200")
    wait_until_idle(page)
    final = page.evaluate(FIT_CURVE)
    page.get_by_text(translate("common.play", "en")).first.click()
    page.wait_for_function(f"() => ({FIT_CURVE})() !== {final!r}")  # an earlier snapshot is drawn
    assert "part=fit" in page.url and "activations_" not in page.url
    assert_healthy(page, console_errors, server)


def test_activation_pills_add_a_curve_and_the_link_keeps_it(page: Page, console_errors, server, browser):
    page.goto(f"{server.url}/activations?lang=en")
    wait_until_idle(page)
    count = "() => document.querySelectorAll('.js-plotly-plot')[0].data.length"
    assert page.evaluate(count) == 6  # sigmoid, tanh, relu and their slopes
    page.get_by_role("button", name=translate("common.activation.gelu", "en"), exact=True).click()
    wait_for_query(page, "acts=sigmoid%2Ctanh%2Crelu%2Cgelu")
    wait_until_idle(page)
    page.wait_for_function(f"() => ({count})() === 8")
    assert_healthy(page, console_errors, server)
    fresh = browser.new_context()
    try:
        other = fresh.new_page()
        other.set_default_timeout(30_000)
        other.goto(page.url)
        wait_until_idle(other)
        assert other.evaluate(count) == 8
    finally:
        fresh.close()


def test_clicking_the_contour_moves_the_start(page: Page, console_errors, server):
    """A click on the loss map makes the nearest round start (``start_at``: a 21 × 21 grid over the map) the start."""
    import numpy as np

    from core.surfaces import SURFACES

    (x_lo, x_hi), (y_lo, y_hi) = SURFACES["bowl"].box
    # the click lands on the nearest point of the 21 × 21 grid of starts, rounded to 2 decimals for the link
    want = [round(float(min(np.linspace(lo, hi, 21), key=lambda v: abs(v - target))), 2)
            for lo, hi, target in ((x_lo, x_hi, -1.0), (y_lo, y_hi, 0.5))]
    page.goto(f"{server.url}/gradient_descent?lang=en&part=two_d&plane=bowl&methods=sgd")
    wait_until_idle(page)
    figure = page.locator(".js-plotly-plot").first
    figure.scroll_into_view_if_needed()
    x, y = plot_point(figure, want)
    page.mouse.click(x, y)
    wait_for_query(page, f"sx={want[0]:g}")
    wait_for_query(page, f"sy={want[1]:g}")
    wait_until_idle(page)
    start = page.locator(".js-plotly-plot").first.evaluate(
        "gd => { const t = gd.data.find(d => d.marker && d.marker.symbol === 'x'); return [t.x[0], t.y[0]]; }")
    assert start == pytest.approx(want, abs=1e-9)
    assert_healthy(page, console_errors, server)


def test_trainer_trains_live_and_stops(page: Page, console_errors, server):
    """Start: the curves appear and grow while the worker trains (fragment polling); Stop ends the run."""
    page.goto(f"{server.url}/cnn_trainer?lang=en&epochs=30")
    wait_until_idle(page)
    page.get_by_role("button", name=translate("cnn_trainer.start", "en")).click()
    # .first: while a fragment re-runs, the chart being replaced and its replacement can both be on the page
    page.get_by_text(translate("cnn_trainer.loss_title", "en")).first.wait_for(timeout=60_000)
    points = "() => { const gd = document.querySelector('.js-plotly-plot'); return gd ? gd.data[0].x.length : 0; }"
    first = page.evaluate(points)
    page.wait_for_function(f"() => ({points})() > {first}", timeout=60_000)  # new progress without a click
    page.get_by_role("button", name=translate("cnn_trainer.stop", "en")).click()
    page.get_by_text("Stopped after").first.wait_for(timeout=60_000)
    assert_healthy(page, console_errors, server)


class _Evil:
    def __reduce__(self):
        import os

        return (os.system, ("touch /tmp/dlp_trainer_pwned",))


@pytest.mark.parametrize("kind", ["good", "evil", "truncated"])
def test_trainer_loads_a_checkpoint_or_refuses_it(page: Page, console_errors, server, tmp_path, kind):
    import io
    import os
    import pickle

    from core.checkpoints import save_checkpoint
    from core.models import CNNConfig, ConvBlock, build_model

    config = CNNConfig(blocks=(ConvBlock(4),), dense=())
    buffer = io.BytesIO()
    save_checkpoint(buffer, build_model(config), config)
    path = tmp_path / "model.pt"
    path.write_bytes({"good": buffer.getvalue(), "evil": pickle.dumps(_Evil()),
                      "truncated": buffer.getvalue()[:200]}[kind])
    page.goto(f"{server.url}/cnn_trainer?lang=en")
    wait_until_idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(path))
    if kind == "good":
        page.get_by_text("Test accuracy:").first.wait_for(timeout=60_000)  # an untrained model: chance level, but shown
    else:
        code = "not_a_checkpoint" if kind == "evil" else "corrupt"
        page.get_by_text(translate(f"cnn_trainer.checkpoint_error.{code}", "en")).first.wait_for(timeout=60_000)
    assert not os.path.exists("/tmp/dlp_trainer_pwned")
    assert_healthy(page, console_errors, server)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_three_digits_drawn_on_the_pad_are_read_right(page: Page, console_errors, server, lang):
    """The default network, trained here on the offline digits (4 epochs, with augmentation: a few seconds), reads a
    0, a 3 and a 7 drawn with the mouse, one after the other on a cleared pad, as those digits."""
    page.goto(f"{server.url}/cnn_trainer?lang={lang}&data=digits&epochs=4")
    wait_until_idle(page)
    page.get_by_role("button", name=translate("cnn_trainer.start", lang)).click()
    page.get_by_text(translate("cnn_trainer.try.title", lang), exact=True).first.wait_for(timeout=180_000)
    wait_until_idle(page)
    prompt = page.get_by_text(translate("cnn_trainer.try.draw_something", lang))
    for digit in ("0", "3", "7"):
        strokes = DIGIT_STROKES[digit]
        expect(prompt).to_have_count(1, timeout=60_000)  # an empty pad: no answer yet
        draw_strokes(page, strokes, 60_000)
        assert drawn_answer(page, lang, 60_000) == digit
        expect(prompt).to_have_count(0)
        page.get_by_role("button", name=translate("common.pad.clear", lang)).click()
        wait_until_idle(page)
    assert_healthy(page, console_errors, server)


def test_trainer_classifies_a_digit_drawn_on_the_pad(page: Page, console_errors, server):
    """A small network trained here on the digits (one block of 8 channels, 3 epochs: a few seconds) reads a "1" drawn
    with the mouse on the canvas (one stroke) as a 1, next to what it sees (8 × 8, as the training digits are)."""
    page.goto(f"{server.url}/cnn_trainer?lang=en&data=digits&blocks=1&b1=8-3-relu-max-bn&epochs=3")
    wait_until_idle(page)
    page.get_by_role("button", name=translate("cnn_trainer.start", "en")).click()
    page.get_by_text(translate("cnn_trainer.try.title", "en"), exact=True).first.wait_for(timeout=120_000)
    wait_until_idle(page)
    prompt = page.get_by_text(translate("cnn_trainer.try.draw_something", "en"))
    expect(prompt).to_have_count(1, timeout=60_000)  # the pad is empty: no answer yet
    draw_a_one(page, 60_000)
    page.get_by_text("What the network sees (8 × 8)").first.wait_for(timeout=60_000)
    expect(prompt).to_have_count(0)
    assert drawn_answer(page, "en", 60_000) == "1"
    answers = page.get_by_text("The network's answer:")
    assert answers.count() >= 2  # the followed test image's and the drawing's
    assert_healthy(page, console_errors, server)


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_next_links_walk_the_whole_course_in_order(page: Page, console_errors, server, lang):
    """From the home page, click "Next" at the foot of each lesson: the pages come in the registry's order (the
    sidebar's), each in the chosen language, to the last lesson, which has no "Next"; then "Previous" goes back."""
    from ui.shell.registry import course as the_course

    course = the_course()
    page.goto(page_url(server, course[0], lang=lang))
    wait_until_idle(page)
    next_label = translate("course.next", lang)
    for spec in course[1:]:
        link = page.get_by_role("link", name=re.compile(f"^{re.escape(next_label)}: "))
        expect(link).to_have_count(1)
        expect(link).to_contain_text(translate(spec.title_key, lang))
        link.click()
        page.wait_for_url(re.compile(f"/{spec.url_path}(\\?|$)"))
        wait_until_idle(page)
        expect(page.locator("h1").first).to_have_text(translate(spec.heading_key if spec.parts else "home.title",
                                                                lang))
    expect(page.get_by_role("link", name=re.compile(f"^{re.escape(next_label)}: "))).to_have_count(0)
    page.get_by_role("link", name=re.compile(f"^← {re.escape(translate('course.previous', lang))}: ")).click()
    page.wait_for_url(re.compile(f"/{course[-2].url_path}(\\?|$)"))
    assert f"lang={lang}" in page.url or lang == "en"
    assert_healthy(page, console_errors, server)


@pytest.mark.parametrize(("path", "query", "figure"), [
    ("depth", "tubes=8&guess=cat&see=3", "depth_game_classmate"),
    ("cnn_trainer", "part=inside&probe=3", "cnn_trainer_inside_head_weights"),
    ("fc_conv", "part=fusion&image=cat&mix=red_minus_green", "fc_conv_fusion_out"),
    ("gradient_descent", "part=minibatch&mb=1&mlr=0.03", "gradient_descent_minibatch"),
])
def test_the_new_parts_draw_in_a_real_browser(page: Page, console_errors, server, path, query, figure):
    """The tube game, a trained CNN end to end (the reference network, trained by the server on first use), the 1×1
    fusion and the mini-batches: drawn without an error, their main figure on screen."""
    page.set_default_timeout(120_000)
    page.goto(f"{server.url}/{path}?lang=zh&{query}")
    wait_until_idle(page)
    expect(page.locator(f".st-key-{figure} .js-plotly-plot").first).to_be_visible()
    full_page_screenshot(page, f"new-{path}-zh.png")
    assert_healthy(page, console_errors, server)


@pytest.mark.parametrize("phone", [False, True])
def test_panels_of_one_figure_go_one_to_a_row_on_a_phone(browser, server, playwright, phone):
    """The six input channels, with W and b after them, are one figure of panels: three to a row on a laptop, one
    to a row on a phone (told by its browser's User-Agent), as Streamlit stacks its own columns there."""
    device = playwright.devices["iPhone 13"] if phone else {"viewport": {"width": 1280, "height": 800}}
    context = browser.new_context(**device)
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        errors = watch_errors(page)
        page.goto(f"{server.url}/fc_conv?lang=en&part=position&c=6")
        wait_until_idle(page)
        figure = page.locator(".js-plotly-plot").first
        figure.scroll_into_view_if_needed()
        # each panel's left edge across the figure (0 to 1): its first cell's centre less half a cell
        lefts = figure.evaluate("gd => gd._fullData.map(d => Math.round((d.x0 - d.dx / 2) * 1000))")
        assert len(lefts) == 8
        assert len(set(lefts)) == (1 if phone else 3)
        assert_healthy(page, errors, server)
    finally:
        context.close()


def test_the_integral_moves_t_and_its_reading_in_the_browser(page: Page, console_errors, server):
    """t is the integral figure's own slider: ▶ moves the curves and the title's reading of the area with
    plotly.js alone, no message to the server and no rerun."""
    page.goto(f"{server.url}/convolution?lang=en&part=integral&f=rectangle&g=rectangle&t=-1.5")
    wait_until_idle(page)
    import re

    title = "() => document.querySelector('.js-plotly-plot').layout.title.text"
    reading = re.compile(r"t = (-?[\d.]+):.*<b>(-?[\d.]+)</b>")  # the theme may bold the whole title too
    start = page.evaluate(title)
    assert reading.search(start).group(1) == "-1.5"
    sent = page.evaluate("() => performance.getEntriesByType('resource').length")
    page.get_by_text(translate("common.play", "en")).first.click()
    page.wait_for_function(f"() => ({title})() !== {start!r} && ({title})().includes('t = ')")
    t_now, value = (float(v) for v in reading.search(page.evaluate(title)).groups())
    assert value == pytest.approx(max(0.0, 1 - abs(t_now)), abs=1e-3)  # rectangle ∗ rectangle: the triangle
    assert page.evaluate("() => performance.getEntriesByType('resource').length") == sent
    assert "t=-1.5" in page.url
    assert_healthy(page, console_errors, server)


LOOK = """gd => { const L = gd._fullLayout, style = s => { const e = gd.querySelector(s), c = getComputedStyle(e);
                                                       return [c.fontSize, c.fill, c.fontFamily]; };
    return {title: style('.gtitle'), tick: style('.xtick text'), axis_title: style('.xtitle'),
            legend: style('.legendtext'), note: style('.annotation-text'), colour_bar: style('.cbaxis text'),
            colours: gd._fullData.map(t => t.line ? t.line.color : JSON.stringify(t.colorscale)),
            grid: [L.xaxis.showgrid, L.yaxis.showgrid, L.yaxis.gridcolor, L.yaxis.zerolinecolor],
            background: [L.paper_bgcolor, L.plot_bgcolor], title_at: [L.title.x, L.title.xanchor, L.title.pad.l],
            margin: [L.margin.l, L.margin.r, L.margin.pad], standoff: L.xaxis.title.standoff,
            hover: [L.hoverlabel.bgcolor, L.hoverlabel.font.size, L.hoverlabel.font.color]}; }"""
"""What a chart looks like, as plotly.js laid it out and the browser styled it."""

@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_kept_chart_looks_as_streamlits_own(browser, scheme):
    """The same figure drawn by ``st.plotly_chart`` and by ``ui.plots.kept`` (``chart_template``): the same fonts,
    sizes and text colours, series colours, colour scale, grid, backgrounds, title place, margins and hover labels,
    in both themes."""
    from harness.server import run_server

    with run_server(script="tests/fixtures/kept_beside_streamlit.py") as fixture:
        context = browser.new_context(color_scheme=scheme)
        try:
            page = context.new_page()
            page.goto(fixture.url)
            wait_until_idle(page)
            streamlits = page.locator(".st-key-streamlit .js-plotly-plot").evaluate(LOOK)
            kept = page.locator(".st-key-kept .js-plotly-plot").evaluate(LOOK)
            ink = page.locator("h1").first.evaluate("h => getComputedStyle(h).color")
        finally:
            context.close()
    assert kept["legend"][1] == ink  # the one difference, by choice: legends in the page's own ink (the theme's
    kept["legend"][1] = streamlits["legend"][1]  # textColor), where Streamlit writes them in its default grey-black
    assert kept == streamlits


def test_a_choice_in_the_depth_stacks_table_goes_into_the_link_and_the_fields(page: Page, console_errors, server):
    """The stack's table (``ui.widgets.row_editor``): a dilation chosen in the browser's own select changes that
    layer in the link and its receptive field in the table below, and the select keeps the focus."""
    from core.depth import parse_layer
    from core.receptive import receptive_fields
    from ui.shell.registry import DEPTH

    page.goto(f"{server.url}/{DEPTH.url_path}?lang=en&part=stack&layers=3")
    wait_until_idle(page)
    stack = ["conv-3-1-1", "conv-3-1-2", "pool-2-2-1"]
    size = receptive_fields([parse_layer(layer) for layer in stack])[1]["size"]
    field = page.get_by_role("cell", name=f"{size} × {size}", exact=True)
    expect(field).to_have_count(0)
    select = page.get_by_role("combobox", name=f"{translate('depth.layer_n', 'en', n=2)} · "
                                               f"{translate('depth.column.dilation', 'en')}")
    select.focus()
    select.select_option(label=translate("depth.dilation_n", "en", d=2))
    wait_for_query(page, "l2=conv-3-1-2")
    wait_until_idle(page)
    expect(field).to_have_count(2)  # the formula's column and the measured one
    expect(select).to_be_focused()
    expect(select).to_have_value("1")  # the second of the dilations offered
    assert_healthy(page, console_errors, server)


def test_a_blocks_batch_norm_unticked_in_the_trainers_table_goes_into_the_link(page: Page, console_errors, server):
    """The trainer's blocks table (``ui.widgets.row_editor``) with a checkbox field: unticking block 1's batch norm
    writes ``nobn`` into its link parameter and the box stays unticked after the rerun."""
    from ui.shell.registry import CNN_TRAINER

    page.goto(f"{server.url}/{CNN_TRAINER.url_path}?lang=en")
    wait_until_idle(page)
    box = page.get_by_role("checkbox", name=f"{translate('cnn_trainer.block_n', 'en', i=1)} · "
                                            f"{translate('cnn_trainer.column.batch_norm', 'en')}")
    expect(box).to_be_checked()
    box.uncheck()
    wait_for_query(page, "b1=16-3-relu-max-nobn")
    wait_until_idle(page)
    expect(box).not_to_be_checked()
    assert_healthy(page, console_errors, server)
