"""Browser journeys: what a student does across the app, in headless Chromium against a real ``streamlit run``.

For every page, its main control (the registry's ``Lesson.main_control``, the one ``bench/pages.py`` times) is
moved the way a student moves it (keys on a slider, a click in a drop-down); the figure must change, the link must bring
the same value and the same figure back in another browser, and the sidebar's language switch must keep
it. Then a whole lesson path, page by page, in both languages, both colour schemes, desktop and phone width,
with a screenshot of every step in artifacts/screenshots/ (look at them).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from harness.browser import (
    assert_healthy,
    draw_a_one,
    drawn_answer,
    full_page_screenshot,
    page_url,
    plot_point,
    wait_for_query,
    wait_until_idle,
    watch_errors,
)
from tests.conftest import H1_KEYS, PAGES
from ui.shell.i18n import translate
from ui.shell.registry import Lesson, MainControl

pytestmark = pytest.mark.browser
SPECS = {spec.url_path: spec for spec in PAGES}
WAIT = 90_000  # ms: generous, the CI machine may be busy

# How a student finds each main control: its label (a function of the language) and, for a drop-down, the
# catalogue prefix of its options' names. Keyed by the widget's session key (``MainControl.key``).
Label = Callable[[str], str]


def _label(key: str, **fields: str) -> Label:
    return lambda lang: translate(key, lang, **{name: translate(value, lang) for name, value in fields.items()})


LABELS: dict[str, Label] = {
    "home_steps": _label("home.steps"),
    "convolution_kernel": _label("kernel.label"),
    "pooling_isize": _label("pooling.size"),
    "activations_range": _label("activations.gallery.range"),
    "tensors_example": _label("tensors.cast.example"),
    "gradient_descent_lr_sgd": _label("gradient_descent.lr_of", name="common.optimizer.sgd"),
    "cnn_trainer_blocks": _label("cnn_trainer.blocks"),
    "depth_level": _label("depth.tube.layer"),
    "fc_conv_c": _label("fc_conv.channels"),
    "backprop_step": _label("backprop.step"),
    "glossary_search": _label("glossary.search"),
}
OPTION_NAMES = {"convolution_kernel": "kernel.name.", "tensors_example": "tensors.example."}
ROLES = {"slider": "slider", "select_slider": "slider", "selectbox": "combobox", "text_input": "textbox"}

# A fingerprint of what a page draws: one hash per plotly figure of its traces' data and the drawn parts of
# its layout (shapes, annotations, title; numpy arrays arrive as typed arrays {dtype, bdata}, which stringify
# like any object; plotly's generated trace ids are left out), and one per table. The main figure is the first,
# but a control's effect may show in a later one (the pooled image, not the input), so all count. A page
# without a figure (the trainer before training: its network is a summary line and a canvas-drawn grid) is
# fingerprinted by its text.
FINGERPRINT = """() => {
    const hash = text => {
        let h = 0x811c9dc5;
        for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193); }
        return (h >>> 0).toString(16) + ':' + text.length;
    };
    const drawn = gd => JSON.stringify([gd.data, gd.layout.shapes, gd.layout.annotations, gd.layout.title],
                                       (k, v) => k === 'uid' ? undefined : v);
    const figures = [...document.querySelectorAll('.js-plotly-plot')].map(gd => 'figure ' + hash(drawn(gd)));
    const tables = [...document.querySelectorAll('[data-testid="stTable"]')].map(e => 'table ' + hash(e.innerText));
    const main = document.querySelector('[data-testid="stMain"]');
    const texts = figures.length ? [] : [...main.querySelectorAll('[data-testid="stMarkdown"]')].map(
        e => 'text ' + hash(e.innerText));
    return JSON.stringify([...figures, ...tables, ...texts]);
}"""


def fingerprint(page: Page) -> str:
    value = page.evaluate(FINGERPRINT)
    assert value != "[]", "the page has neither a figure nor a table"
    return value


def control(page: Page, main: MainControl, lang: str) -> Locator:
    """The main control, found by its label the way a student (or a screen reader) finds it, inside the element
    that carries its session key (so that it is the bench's control and no other with the same label)."""
    assert main.key in LABELS, f"tests/test_journeys.py: add the label of {main.key!r} (a main control) to LABELS"
    box = page.locator(f".st-key-{main.key}")
    reveal(page, box)
    label = re.escape(LABELS[main.key](lang))
    # react-aria names a slider's input by itself and by its group: the label comes twice
    return box.get_by_role(ROLES[main.kind], name=re.compile(rf"^{label}( {label})?$"))


def reveal(page: Page, box: Locator) -> None:
    """Open the expander that hides ``box``, if one does (the gradient-descent step sizes live in one)."""
    box.first.wait_for(state="attached", timeout=WAIT)
    if box.first.evaluate("e => { const d = e.closest('details'); return !!d && !d.open; }"):
        page.locator('[data-testid="stExpander"]').filter(has=box).locator("summary").first.click()
        expect(box.first).to_be_visible(timeout=WAIT)


def shown_value(widget: Locator, kind: str) -> str:
    """What the control shows: a slider's value text (as read out by a screen reader), a drop-down's choice."""
    if ROLES[kind] == "slider":
        return widget.get_attribute("aria-valuetext") or widget.input_value()
    return widget.input_value()


def change_main_control(page: Page, main: MainControl, lang: str) -> tuple[str, object]:
    """Move the page's main control as a student would; wait for the rerun. Returns (shown value, chosen value)."""
    kind, key = main.kind, main.key
    widget = control(page, main, lang)
    before, search = shown_value(widget, kind), page.evaluate("() => location.search")
    chosen: object = None
    if ROLES[kind] == "slider":
        widget.focus()
        widget.press("ArrowRight")
        if shown_value(widget, kind) == before:  # already at its largest value
            widget.press("ArrowLeft")
    elif ROLES[kind] == "textbox":  # typed, then Enter (a text box sends its value on Enter or on leaving it)
        widget.fill(next(str(v) for v in main.values if str(v) and str(v) != before))
        widget.press("Enter")
    else:
        chosen = next(v for v in main.values if translate(OPTION_NAMES[key] + str(v), lang) != before)
        open_list(widget)
        page.get_by_role("option", name=translate(OPTION_NAMES[key] + str(chosen), lang), exact=True).click()
    page.wait_for_function("s => location.search !== s", arg=search, timeout=WAIT)  # the rerun wrote the link
    wait_until_idle(page)
    shown = shown_value(control(page, main, lang), kind)
    assert shown != before
    return shown, chosen


CONTROLLED = [spec for spec in PAGES if spec.main_control is not None]
"""Pages with a main control: every page but the classroom, whose controls are a class's actions (start, join,
send, end: ``tests/test_browser_classroom.py``), not a view a link could bring back."""


def test_every_page_but_the_classroom_has_a_main_control():
    assert [spec.name for spec in PAGES if spec.main_control is None] == ["classroom"]


@pytest.mark.parametrize("spec", CONTROLLED, ids=[spec.url_path for spec in CONTROLLED])
def test_main_control_changes_the_figure_travels_in_the_link_and_survives_the_language(
        page: Page, console_errors, server, browser: Browser, spec: Lesson):
    main = spec.main_control
    page.set_default_timeout(WAIT)
    page.goto(page_url(server, spec, lang="en", **main.query))
    wait_until_idle(page)
    before = fingerprint(page)
    shown, chosen = change_main_control(page, main, "en")
    page.wait_for_function(f"() => ({FINGERPRINT})() !== {before!r}", timeout=WAIT)
    after = fingerprint(page)
    assert_healthy(page, console_errors, server)

    link = page.url
    fresh = browser.new_context(viewport={"width": 1280, "height": 800})  # another student opens the link
    try:
        other = fresh.new_page()
        errors = watch_errors(other)
        other.set_default_timeout(WAIT)
        other.goto(link)
        wait_until_idle(other)
        assert shown_value(control(other, main, "en"), main.kind) == shown
        # a chart mounts after the run ends: on a busy machine it can still be missing when the page is idle. On a
        # timeout the assertion below says what the page drew instead.
        with contextlib.suppress(PlaywrightTimeout):
            other.wait_for_function(f"() => ({FINGERPRINT})() === {after!r}", timeout=WAIT)
        assert fingerprint(other) == after
        assert_healthy(other, errors, server)
    finally:
        fresh.close()

    page.locator('[data-testid="stSidebar"]').get_by_text("简体中文").click()
    expect(page.locator("h1").first).to_have_text(translate(H1_KEYS[spec.name], "zh"), timeout=WAIT)
    wait_until_idle(page)
    assert page.title() == f"{translate(spec.title_key, 'zh')} · {translate('app.title', 'zh')}"
    assert "lang=zh" in page.url
    assert_healthy(page, console_errors, server)
    now = shown_value(control(page, main, "zh"), main.kind)
    if chosen is None:
        assert now == shown
        return
    assert f"={chosen}" in page.url.split("?")[1]  # the choice itself is kept (and stays in the link)
    # the drop-down's box shows the choice's Chinese name too, not only its label and its list
    # (``ui.shell.url_state.relabel_after_language_switch``)
    assert now == translate(OPTION_NAMES[main.key] + str(chosen), "zh")


# ---- a student's path through the lessons --------------------------------------------------------------------

JOURNEY = ("home", "convolution", "pooling", "activations", "tensors", "gradient_descent", "cnn_trainer")
SIZES = {1280: 800, 390: 844}  # a laptop, a phone
PHONE = 768  # below this width the sidebar covers the page instead of pushing it aside
COMBOS = [(lang, scheme, width) for lang in ("en", "zh") for scheme in ("light", "dark") for width in SIZES]
# The whole journey (an upload, a shape conflict, a click on a figure, a network trained and asked about a
# drawing) runs in two of the combinations; the others walk the same pages and look at each one's first view.
FULL = {("en", "light", 1280), ("zh", "dark", 390)}
TRAINER_LINK = {"data": "digits", "blocks": "1", "b1": "8-3-relu-max-bn", "epochs": "3"}  # a small network: seconds


def open_lesson(page: Page, path: str, lang: str) -> None:
    """Go to a lesson the way a student does: from the home page, its card; elsewhere, its link in the sidebar.
    A phone hides the sidebar: open it for the link, and close it again once the lesson is there (it would cover
    the page)."""
    name = translate(SPECS[path].title_key, lang)
    sidebar = page.locator('[data-testid="stSidebar"]')
    if page.locator("h1").first.inner_text() == translate(H1_KEYS["home"], lang):
        page.locator('[data-testid="stMain"] [data-testid="stPageLink"]').get_by_role(
            "link", name=re.compile(rf"^\d+\. {re.escape(name)}$")).click()  # the path's cards are numbered
    else:
        if sidebar.get_attribute("data-collapsed") == "true":
            page.locator('[data-testid="stHeader"]').get_by_role("button", name="Expand sidebar").click()
            expect(sidebar).to_have_attribute("data-collapsed", "false")
        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=name, exact=True).click()
    expect(page.locator("h1").first).to_have_text(translate(H1_KEYS[path], lang), timeout=WAIT)
    wait_until_idle(page)
    if page.viewport_size["width"] < PHONE and sidebar.get_attribute("data-collapsed") == "false":
        sidebar.get_by_role("button", name="Collapse sidebar").click()
        expect(sidebar).to_have_attribute("data-collapsed", "true")


def pick_part(page: Page, part_key: str, lang: str) -> None:
    """Click one part of a lesson in its part picker (a segmented control)."""
    search = page.evaluate("() => location.search")
    page.get_by_role("radio", name=translate(part_key, lang), exact=True).click()
    page.wait_for_function("s => location.search !== s", arg=search, timeout=WAIT)
    wait_until_idle(page)


def choose(page: Page, label: str, option: str) -> None:
    """Open the drop-down labelled ``label`` and pick ``option``; wait for the rerun it starts."""
    search = page.evaluate("() => location.search")
    open_list(page.get_by_role("combobox", name=label, exact=True))
    page.get_by_role("option", name=option, exact=True).click()
    page.wait_for_function("s => location.search !== s", arg=search, timeout=WAIT)
    wait_until_idle(page)


def open_list(combobox: Locator) -> None:
    """Click a drop-down open. Right after a rerun that moved it (a file uploader appeared above it) the first click
    can be lost: click again until its list is open."""
    for _ in range(4):
        combobox.click()
        try:
            expect(combobox).to_have_attribute("aria-expanded", "true", timeout=5_000)
            return
        except AssertionError:
            continue
    expect(combobox).to_have_attribute("aria-expanded", "true")


def small_png(path) -> str:
    """A 48 × 64 picture with a bright square and a gradient, so that every kernel does something visible."""
    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:48, 0:64]
    pixels = np.stack([x * 4, y * 5, np.full_like(x, 60)], axis=-1)
    pixels[12:36, 20:44] = 255
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    return str(path)


def step_convolution(page: Page, lang: str, tmp_path) -> None:
    """On an image: upload one's own picture, then try another kernel on it."""
    pick_part(page, "convolution.part.image", lang)
    choose(page, translate("image.source", lang), translate("image.name.upload", lang))
    expect(page.get_by_text(translate("image.upload_hint", lang))).to_be_visible(timeout=WAIT)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(small_png(tmp_path / "mine.png"))
    page.get_by_text(translate("convolution.image.input", lang, h=48, w=64)).first.wait_for(timeout=WAIT)
    wait_until_idle(page)
    before = fingerprint(page)
    choose(page, translate("kernel.label", lang), translate("kernel.name.sharpen", lang))
    wait_for_query(page, "kernel=sharpen")
    page.wait_for_function(f"() => ({FINGERPRINT})() !== {before!r}", timeout=WAIT)
    expect(page.get_by_text(translate("convolution.image.input", lang, h=48, w=64)).first).to_be_visible()


def step_tensors(page: Page, lang: str) -> None:
    """Broadcasting with one's own shapes: (2, 3) and (4,) clash on the last axis, and the page says where."""
    pick_part(page, "tensors.part.broadcast", lang)
    choose(page, translate("tensors.cast.example", lang), translate("tensors.example.custom", lang))
    for name, shape in (("a", "2, 3"), ("b", "4")):
        box = page.get_by_role("textbox", name=translate("tensors.cast.shape_label", lang, name=name), exact=True)
        search = page.evaluate("() => location.search")
        box.fill(shape)
        box.press("Enter")
        page.wait_for_function("s => location.search !== s", arg=search, timeout=WAIT)
        wait_until_idle(page)
    where = translate("common.list_separator", lang).join(  # "、" between Chinese phrases
        translate("tensors.cast.error_axis", lang, name=name, axis=axis, size=size)
        for name, axis, size in (("a", 1, 3), ("b", 0, 4)))
    expect(page.get_by_text(translate("tensors.cast.error", lang, r=1, where=where))).to_be_visible(timeout=WAIT)


def step_gradient_descent(page: Page, lang: str) -> None:
    """In two dimensions: click on the contour map, and the runs start there (see test_browser.py for the bowl)."""
    from urllib.parse import parse_qs, urlsplit

    pick_part(page, "gradient_descent.part.two_d", lang)
    target = (1.5, -0.5)  # on the default surface (Rosenbrock's valley), away from the paths
    figure = page.locator(".js-plotly-plot").first
    figure.scroll_into_view_if_needed()
    x, y = plot_point(figure, target)
    page.mouse.click(x, y)
    page.wait_for_function("() => location.search.includes('sx=') && location.search.includes('sy=')", timeout=WAIT)
    wait_until_idle(page)
    query = parse_qs(urlsplit(page.url).query)
    picked = [float(query["sx"][0]), float(query["sy"][0])]
    assert picked == pytest.approx(target, abs=0.11)  # the nearest point of the figure's click grid
    start = page.locator(".js-plotly-plot").first.evaluate(
        "gd => { const t = gd.data.find(d => d.marker && d.marker.symbol === 'x'); return [t.x[0], t.y[0]]; }")
    assert start == pytest.approx(picked, abs=1e-9)


def step_trainer(page: Page, lang: str) -> None:
    """Train a small network for three epochs, then draw a "1" on the pad: the network's answer is 1."""
    page.get_by_role("button", name=translate("cnn_trainer.start", lang)).click()
    page.get_by_text(translate("cnn_trainer.try.title", lang), exact=True).first.wait_for(timeout=120_000)
    wait_until_idle(page)
    prompt = page.get_by_text(translate("cnn_trainer.try.draw_something", lang))
    expect(prompt).to_have_count(1, timeout=WAIT)
    draw_a_one(page, WAIT)
    page.get_by_text(translate("cnn_trainer.try.seen", lang, h=8, w=8)).first.wait_for(timeout=WAIT)
    expect(prompt).to_have_count(0, timeout=WAIT)
    assert drawn_answer(page, lang, WAIT) == "1"


def shoot(page: Page, name: str) -> None:
    """A full-page screenshot from the top (a step may have scrolled down, and the picture stops at 6000 px)."""
    page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
    full_page_screenshot(page, name)


@pytest.mark.parametrize(("lang", "scheme", "width"), COMBOS, ids=[f"{lang}-{s}-{w}" for lang, s, w in COMBOS])
def test_student_journey(browser: Browser, server, tmp_path, lang, scheme, width):
    """Home, then lesson after lesson through the sidebar, in one browser session: every page's first view
    in every combination; in two of them, also what the student does there. A screenshot of every step."""
    full = (lang, scheme, width) in FULL
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": SIZES[width]},
                                  locale="en-US")
    try:
        page = context.new_page()
        errors = watch_errors(page)
        page.set_default_timeout(WAIT)
        page.goto(page_url(server, SPECS["home"], lang=lang))
        wait_until_idle(page)
        background = page.evaluate(
            "() => getComputedStyle(document.querySelector('[data-testid=\"stApp\"]')).backgroundColor")
        assert (sum(int(v) for v in re.findall(r"\d+", background)[:3]) < 150) == (scheme == "dark"), background
        for n, path in enumerate(JOURNEY, start=1):
            if path == "cnn_trainer" and full:  # a teacher's link: a small network, three epochs
                page.goto(page_url(server, SPECS[path], lang=lang, **TRAINER_LINK))
                wait_until_idle(page)
            elif path != "home":
                open_lesson(page, path, lang)
            assert f"lang={lang}" in page.url
            assert_healthy(page, errors, server)
            shot = f"journey-{lang}-{scheme}-{width}-{n}-{path}"
            shoot(page, f"{shot}.png")
            if not full:
                continue
            if path == "convolution":
                step_convolution(page, lang, tmp_path)
            elif path == "tensors":
                step_tensors(page, lang)
            elif path == "gradient_descent":
                step_gradient_descent(page, lang)
            elif path == "cnn_trainer":
                step_trainer(page, lang)
            else:
                continue
            assert_healthy(page, errors, server)
            shoot(page, f"{shot}-done.png")
    finally:
        context.close()
