"""A part's own controls rerun the part alone (``ui.shell.lesson_frame.drawn_alone``): read from what the browser
receives over the websocket, in Chromium against a real ``streamlit run``.

A full rerun sends every element of the page again, the lesson's introduction among them; a rerun of the part alone
sends only the part's elements. So the introduction's text (as the page sends it, ``ui.shell.terms.annotate``)
appears in the messages received after a part picker click, and not in those received after a part's slider moves.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from core.depth import DEFAULT_STACK, parse_layer
from core.receptive import receptive_fields
from harness.browser import assert_healthy, page_url, wait_for_query, wait_until_idle
from ui.shell.i18n import translate
from ui.shell.registry import CNN_TRAINER, CONVOLUTION, DEPTH, POOLING
from ui.shell.terms import annotate

pytestmark = pytest.mark.browser


def record_frames(page: Page) -> list[bytes]:
    """Every websocket frame the page receives from now on, as bytes."""
    frames: list[bytes] = []

    def on_socket(socket) -> None:
        socket.on("framereceived", lambda payload: frames.append(
            payload if isinstance(payload, bytes) else payload.encode()))

    page.on("websocket", on_socket)
    return frames


def sent_since(frames: list[bytes], start: int) -> bytes:
    return b"".join(frames[start:])


def sent_for_a_press(page: Page, frames: list[bytes], slider: str, key: str, query: str) -> bytes:
    """What the page receives for one press of ``key`` on the slider named ``slider``, once ``query`` is in the link
    and the page is idle again."""
    control = page.get_by_role("slider", name=slider)
    before = len(frames)
    control.focus()
    control.press(key)
    wait_for_query(page, query)
    wait_until_idle(page)
    return sent_since(frames, before)


def test_a_parts_slider_reruns_the_part_alone_and_the_part_picker_the_whole_page(page: Page, console_errors,
                                                                                  server):
    frames = record_frames(page)
    page.goto(page_url(server, POOLING, part="steps", lang="en"))
    wait_until_idle(page)
    intro = annotate(translate("pooling.intro", "en"), "en", set()).strip().encode()  # st.markdown drops the end
    part_intro = "Move the output cell, or press ▶".encode()  # from the part's own introduction, pooling.steps.intro
    assert part_intro in translate("pooling.steps.intro", "en").encode()
    assert intro in sent_since(frames, 0) and part_intro in sent_since(frames, 0)  # the first run sends the page

    before = len(frames)
    slider = page.get_by_role("slider", name=translate("pooling.size", "en"))
    slider.focus()
    slider.press("ArrowRight")
    wait_for_query(page, "size=3")
    wait_until_idle(page)
    after_slider = sent_since(frames, before)
    assert translate("pooling.size", "en").encode() in after_slider  # the part was sent again (its slider) …
    assert intro not in after_slider  # … and the page around it was not, nor the part's introduction above it
    assert part_intro not in after_slider  # (ui.shell.lesson_frame.part_alone)

    before = len(frames)
    page.get_by_text(translate("pooling.part.image", "en"), exact=True).click()
    wait_for_query(page, "part=image")
    wait_until_idle(page)
    assert intro in sent_since(frames, before)  # another part: the whole page runs again
    assert_healthy(page, console_errors, server)


REDRAWS = """(keys) => { window.__redraws = {};
  for (const key of keys) {
    const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
    window.__redraws[key] = 0;
    gd.on('plotly_afterplot', () => { window.__redraws[key] += 1; });
  } }"""
"""Count, from now on, each chart's redraws (plotly's ``plotly_afterplot``), by its key."""


def test_a_chart_whose_figure_did_not_change_is_not_redrawn(page: Page, console_errors, server):
    """The probe's slider reruns the trainer's inside view of one test image: the stages' chart gets a new figure and
    is redrawn, as is the head's at the fragment's end; the classifier's weights, the same for every image and drawn
    below the fragment (``ui.lessons.cnn_trainer_inside.head_weights``), are left as they are."""
    page.goto(page_url(server, CNN_TRAINER, part="inside", lang="en"))
    wait_until_idle(page)
    changed, same, last = (f"cnn_trainer_inside_{name}" for name in ("stages", "head_weights", "head"))
    page.evaluate(REDRAWS, [changed, same, last])
    slider = page.get_by_role("slider", name=translate("common.network.probe", "en"))
    slider.focus()
    slider.press("ArrowRight")
    wait_for_query(page, "probe=1")
    wait_until_idle(page)
    page.wait_for_function(f"() => window.__redraws.{changed} > 0 && window.__redraws.{last} > 0")
    assert page.evaluate(f"() => window.__redraws.{same}") == 0
    assert_healthy(page, console_errors, server)


KEPT_FOR_LATER = """(keys) => { window.__kept = {};
  for (const key of keys) {
    const holder = document.querySelector(`.st-key-${key} [data-testid="stPlotlyChart"]`);
    const log = window.__kept[key] = [];
    let pending = holder.__pending;
    Object.defineProperty(holder, '__pending', {configurable: true, get: () => pending, set: value => {
      if (!!value !== !!pending) log.push(value ? 'kept' : `drawn after ${window.__redraws[key]} redraws`);
      pending = value; }});
  } }"""
"""Log, from now on, each time the chart ``key`` keeps a new figure to draw later and each time it takes it up
(``ui/plots/kept_chart.js``), with how often it had been redrawn by then."""


def test_a_chart_out_of_sight_is_redrawn_after_the_press_not_during_it(page: Page, console_errors, server):
    """The probe's slider changes the stages' chart beside it and the head's far below it, out of sight: the stages
    are redrawn at once, the head's new figure is kept and drawn a moment later, nothing scrolled."""
    page.goto(page_url(server, CNN_TRAINER, part="inside", lang="en"))
    wait_until_idle(page)
    near, far = "cnn_trainer_inside_stages", "cnn_trainer_inside_head"
    probabilities = f"() => Array.from(document.querySelector('.st-key-{far} .js-plotly-plot').data[2].y).join()"
    before = page.evaluate(probabilities)
    page.evaluate(REDRAWS, [near, far])
    page.evaluate(KEPT_FOR_LATER, [near, far])
    slider = page.get_by_role("slider", name=translate("common.network.probe", "en"))
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function(f"() => window.__redraws.{near} > 0 && window.__redraws.{far} > 0")
    wait_until_idle(page)  # which waits for no chart to hold a figure still to draw (harness.browser.DRAWN)
    assert page.evaluate("() => window.__kept") == {near: [], far: ["kept", "drawn after 0 redraws"]}
    assert page.evaluate(f"() => window.__redraws.{far}") == 1
    assert page.evaluate(probabilities) != before  # the next digit's
    assert_healthy(page, console_errors, server)


def test_the_bias_reruns_the_sum_alone_and_leaves_the_channels_rows_unsent(page: Page, console_errors, server):
    """Convolution over channels: the bias slider is in a fragment of its own with the sum it shifts
    (``ui.lessons.convolution.bias_and_sum``): after it moves, the sum's figure is sent again (its new title), the
    rows above it are not: no kernel's figure (small, so Streamlit would send it whole; a large unchanged figure it
    sends as a reference to the browser's copy) and no kernel picker."""
    frames = record_frames(page)
    page.goto(page_url(server, CONVOLUTION, part="channels", lang="en"))
    wait_until_idle(page)
    kernel = translate("kernel.name.sobel_x", "en").encode()  # the red channel's kernel, by default
    assert kernel in sent_since(frames, 0)
    page.get_by_text(translate("modes.more_controls", "en")).last.click()
    after = sent_for_a_press(page, frames, translate("convolution.channels.bias", "en"), "ArrowRight", "bias=0.1")
    assert translate("convolution.channels.sum", "en", b="0.1").encode() in after
    assert kernel not in after
    assert_healthy(page, console_errors, server)


def test_the_unit_looked_at_in_the_tube_reruns_alone(page: Page, console_errors, server):
    """The depth lesson's tube: the layer, row and column looked at are in a fragment of their own with the picture
    (``ui.lessons.depth.tube_view``): after the layer's slider moves, the new title is sent, the stack's controls
    above (their padding note) are not."""
    frames = record_frames(page)
    page.goto(page_url(server, DEPTH, part="tube", lang="en"))
    wait_until_idle(page)
    note = translate("depth.padding_note", "en").split("`")[0][:40].encode()
    assert note in sent_since(frames, 0)
    after = sent_for_a_press(page, frames, translate("depth.tube.layer", "en"), "ArrowLeft", "layer=6")
    size = receptive_fields([parse_layer(layer) for layer in DEFAULT_STACK])[5]["size"]
    assert translate("depth.tube.title", "en", layer=6, size=size).encode() in after
    assert note not in after
    assert_healthy(page, console_errors, server)


def test_the_trainers_set_up_reruns_alone_and_leaves_the_live_view_unsent(page: Page, console_errors, server):
    """The trainer's set-up (``ui.lessons.cnn_trainer.set_up``) is a fragment of its own: a move of the blocks slider
    sends the set-up again (its summary, with the new count of weights) and not the live view below it (the "press
    Start" notice) nor the data picker above it."""
    frames = record_frames(page)
    page.goto(page_url(server, CNN_TRAINER, part="train", lang="en"))
    wait_until_idle(page)
    idle, data = (translate(key, "en").encode() for key in ("cnn_trainer.idle", "cnn_trainer.dataset"))
    first = sent_since(frames, 0)
    assert idle in first and data in first
    after = sent_for_a_press(page, frames, translate("cnn_trainer.blocks", "en"), "ArrowRight", "blocks=3")
    assert translate("cnn_trainer.blocks", "en").encode() in after
    assert b"weights" in after and b"multiply-adds per image" in after  # the summary, for three blocks
    assert idle not in after and data not in after
    assert_healthy(page, console_errors, server)


# (lesson, part, the slider's catalogue key, the key pressed, what the link says after it, a text sent again with
# the slider's fragment, a text of the part outside it that is not sent again)
SLIDERS_ALONE = {
    "activations gallery": ("activations", "gallery", "activations.gallery.range", "ArrowRight", "range=5.5",
                            "activations.gallery.range", "activations.table.title"),
}


@pytest.mark.parametrize("case", list(SLIDERS_ALONE))
def test_a_sliders_own_fragment_leaves_the_rest_of_its_part_unsent(page: Page, console_errors, server, case):
    """A part's slider that changes one plot reruns that plot's fragment alone: after a press its own label is sent
    again and the part's text outside the fragment (a table, formulas, other charts) is not."""
    from ui.shell.registry import by_name

    lesson, part, slider, key, query, inside, outside = SLIDERS_ALONE[case]
    frames = record_frames(page)
    page.goto(page_url(server, by_name(lesson), part=part, lang="en"))
    wait_until_idle(page)
    inside_text, outside_text = (translate(k, "en").encode() for k in (inside, outside))
    assert outside_text in sent_since(frames, 0)
    after = sent_for_a_press(page, frames, translate(slider, "en"), key, query)
    assert inside_text in after
    assert outside_text not in after
    assert_healthy(page, console_errors, server)
