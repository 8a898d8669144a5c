"""The level and projector mode in a real browser: what a beginner sees, the same figure from the same link, fonts
measured from the DOM, and screenshots of three lessons in both modes and both languages (look at them)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from harness.browser import assert_healthy, full_page_screenshot, page_url, wait_until_idle, watch_errors
from ui.shell.i18n import LANGUAGES, translate
from ui.shell.modes import FONT_SCALE, TEXT_SCALE
from ui.shell.registry import CONVOLUTION, GRADIENT_DESCENT, POOLING

CONTROLS = ('[data-testid="stSlider"], [data-testid="stSelectbox"], [data-testid="stCheckbox"], '
            '[data-testid="stButtonGroup"], [data-testid="stMultiSelect"], [data-testid="stRadio"], '
            '[data-testid="stTextInput"], [data-testid="stToggle"]')
"""Every kind of control a lesson draws (Streamlit's test ids)."""

VISIBLE_CONTROLS = f"""() => [...document.querySelectorAll('[data-testid="stMain"]')[0].querySelectorAll(
    '{CONTROLS}')].filter(el => el.checkVisibility()).length"""
"""How many controls of the page's main area the student can see (inside a closed expander: not visible)."""

FIGURES = """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => JSON.stringify(gd.data))"""
"""The data of every figure on the page, as plotly.js holds it."""

FONTS = """() => {
    const paragraph = document.querySelector('[data-testid="stMain"] [data-testid="stMarkdownContainer"] p');
    const title = document.querySelector('.js-plotly-plot .gtitle, .js-plotly-plot .annotation-text');
    const tick = document.querySelector('.js-plotly-plot .xtick text');
    const px = el => el ? parseFloat(getComputedStyle(el).fontSize) : null;
    return {paragraph: px(paragraph), title: px(title), tick: px(tick),
            colour: paragraph ? getComputedStyle(paragraph).color : null}; }"""
"""Font sizes in CSS pixels, as the browser computed them: a paragraph of the lesson, a figure's title, a tick."""


def open_page(page: Page, server, spec, **query: str) -> None:
    page.goto(page_url(server, spec, **query))
    wait_until_idle(page)


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_a_beginner_sees_fewer_controls_and_the_same_figures_as_an_expert(page: Page, console_errors, server, lang):
    query = dict(lang=lang, part="steps", n="6", k="3", s="2", p="1", d="1", seed="5")
    open_page(page, server, CONVOLUTION, level="expert", **query)
    expert_controls, expert_figures = page.evaluate(VISIBLE_CONTROLS), page.evaluate(FIGURES)
    open_page(page, server, CONVOLUTION, **query)
    beginner_controls, beginner_figures = page.evaluate(VISIBLE_CONTROLS), page.evaluate(FIGURES)
    assert 0 < beginner_controls < expert_controls
    assert beginner_figures == expert_figures  # the folded controls kept the link's stride, padding, seed
    more = page.get_by_text(translate("modes.more_controls", lang), exact=True)
    expect(more).to_have_count(1)
    more.click()  # unfolded, the beginner has every control the expert has
    page.wait_for_timeout(300)
    assert page.evaluate(VISIBLE_CONTROLS) == expert_controls
    assert_healthy(page, console_errors, server)


def test_the_sidebar_switches_write_the_level_and_projector_mode_into_the_link(page: Page, console_errors, server):
    open_page(page, server, POOLING, lang="en", part="steps")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text(translate("modes.level.expert", "en"), exact=True).click()
    page.wait_for_function("() => location.search.includes('level=expert')")
    wait_until_idle(page)
    expect(page.get_by_text(translate("modes.more_controls", "en"), exact=True)).to_have_count(0)
    sidebar.get_by_text(translate("modes.present", "en")).click()
    page.wait_for_function("() => location.search.includes('present=1')")
    wait_until_idle(page)
    assert page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)") == pytest.approx(
        17 * TEXT_SCALE, abs=0.1)  # .streamlit/config.toml's baseFontSize, 1.4 times
    assert_healthy(page, console_errors, server)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_projector_mode_has_larger_fonts_full_contrast_and_a_folded_sidebar(browser, server, scheme):
    """Fonts measured from the DOM: the lesson's text and its figures' titles and ticks, normal against projector."""
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1920, "height": 1080})
    try:
        page = context.new_page()
        errors = watch_errors(page)
        query = dict(lang="en", part="two_d")
        open_page(page, server, GRADIENT_DESCENT, **query)
        normal = page.evaluate(FONTS)
        expect(page.locator('[data-testid="stSidebar"]')).to_have_attribute("data-collapsed", "false")
        open_page(page, server, GRADIENT_DESCENT, present="1", **query)
        large = page.evaluate(FONTS)
        assert large["paragraph"] == pytest.approx(normal["paragraph"] * TEXT_SCALE, rel=0.02)
        assert large["title"] == pytest.approx(normal["title"] * FONT_SCALE, rel=0.02)
        assert large["tick"] == pytest.approx(normal["tick"] * FONT_SCALE, rel=0.02)
        assert large["colour"] == ("rgb(255, 255, 255)" if scheme == "dark" else "rgb(0, 0, 0)")
        expect(page.locator('[data-testid="stSidebar"]')).to_have_attribute("data-collapsed", "true")
        full_page_screenshot(page, f"modes/projector-gradient_descent-{scheme}.png")
        assert_healthy(page, errors, server)
        print(json.dumps({"scheme": scheme, "normal": normal, "projector": large}))
    finally:
        context.close()


SHOWN = [(CONVOLUTION, {"part": "image"}), (POOLING, {"part": "steps"}), (GRADIENT_DESCENT, {"part": "one_d"})]


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("mode", ["beginner", "expert-projector"])
@pytest.mark.parametrize(("spec", "query"), SHOWN, ids=[spec.name for spec, _ in SHOWN])
def test_screenshots_of_three_lessons_in_both_modes_and_languages(browser, server, spec, query, mode, lang):
    """A laptop's 1440 × 900 for the beginner; a projector's 1920 × 1080 for the expert in projector mode (the
    screenshot is then looked at scaled to 50 %, as from the back of a room)."""
    projector = mode == "expert-projector"
    viewport = {"width": 1920, "height": 1080} if projector else {"width": 1440, "height": 900}
    context = browser.new_context(viewport=viewport)
    try:
        page = context.new_page()
        errors = watch_errors(page)
        extra = {"level": "expert", "present": "1"} if projector else {}
        open_page(page, server, spec, lang=lang, **query, **extra)
        full_page_screenshot(page, f"modes/{spec.name}-{mode}-{lang}.png")
        assert_healthy(page, errors, server)
    finally:
        context.close()
