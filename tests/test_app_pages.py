"""AppTest: every page of the navigation, and every part of every lesson, renders in both languages; the home page
shows the right numbers."""

import json
import re
import subprocess
import sys

import plotly.graph_objects as go
import plotly.io as pio
import pytest

from core.workflow import START_B, START_W, TOY_DATA, loss_curve, train
from tests.conftest import H1_KEYS, PAGE_IDS, PAGE_PARTS, PAGES, ROOT, app_test, assert_clean, lesson_app
from tests.helpers.code import open_code, shown_code
from tests.helpers.figures import charts
from ui.shell.i18n import LANGUAGES, translate


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("spec", PAGES, ids=PAGE_IDS)
def test_every_page_renders_in_every_language(spec, lang, caplog):
    at = app_test({"lang": lang}, page=spec.script)
    assert_clean(at)
    assert_every_text_found(caplog)
    assert at.title, "every page starts with a title"
    if lang == "zh":
        assert any("\u4e00" <= ch <= "\u9fff" for ch in at.title[0].value)
    sidebar_switch = [w for w in at.get("button_group") if w.key == "lang"]  # app.py ran around the page
    assert sidebar_switch and sidebar_switch[0].value == lang
    assert_every_chart_is_what_plotly_checks(at)


LESSON_PARTS = [(spec, part) for spec, part in PAGE_PARTS if part is not None]


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize(("spec", "part"), LESSON_PARTS, ids=[f"{s.url_path}-{p}" for s, p in LESSON_PARTS])
def test_every_part_of_every_lesson_renders_in_both_languages(spec, part, lang, caplog):
    """In English at the beginner's level (expert controls folded away), in Chinese at the expert's (all in place)."""
    at = lesson_app(spec, {"part": part, "level": "expert" if lang == "zh" else "beginner"}, lang)  # ran cleanly
    assert at.title[0].value == translate(H1_KEYS[spec.url_path], lang)
    intro_key = getattr(getattr(spec.module(), f"part_{part}"), "intro_key", None)  # ui.shell.lesson_frame.part_intro
    if intro_key is not None:  # the part's introduction, its glossary terms marked, first of what the part shows
        shown = [re.sub(r"<abbr title=\"[^\"]*\">(.*?)</abbr>", r"\1", m.value) for m in at.markdown]
        assert translate(intro_key, lang).strip() in shown
    assert_every_text_found(caplog)
    assert_every_chart_is_what_plotly_checks(at)


def assert_every_chart_is_what_plotly_checks(at) -> None:
    """Every figure the page sent passes plotly.py's checks and is what they make of it. The app builds its figures
    unchecked (``ui.plots.charts.figure``: checking took up to a third of a rerun), so this is where a misspelt
    property, or a value the checks would have rewritten (a title given as a bare string), is caught. Alike: a
    property set to ``None`` or to an empty list or dict (the checks drop it; plotly.js reads it as unset), and a
    frame's trace without its ``type`` (the checks add it; plotly.js takes it from the trace it updates)."""
    for n, chart in enumerate(charts(at)):
        checked = json.loads(pio.to_json(go.Figure(chart.spec), validate=False))  # go.Figure(a dict) checks it all
        assert _as_read(checked) == _as_read(chart.spec), f"chart {n} ({chart.title or chart.key}) differs from " \
                                                          "its checked copy"


def _as_read(value, in_frame: bool = False):
    """``value`` as plotly.js reads it: without properties set to None or to an empty list or dict, and without the
    ``type`` of a frame's traces."""
    if isinstance(value, list):
        return [_as_read(item, in_frame) for item in value]
    if not isinstance(value, dict):
        return value
    kept = {key: _as_read(item, in_frame or key == "frames") for key, item in value.items()}
    return {key: item for key, item in kept.items()
            if item is not None and item != [] and item != {} and not (in_frame and key == "type")}


def assert_every_text_found(caplog) -> None:
    """No text the page asked for was missing from the catalogues (a key built at run time, as
    ``"common.steps." + key``, escapes the static check of test_i18n.py)."""
    missing = [r.getMessage() for r in caplog.records if r.getMessage().startswith("missing translation key")]
    assert missing == []


def test_home_explains_the_current_step_with_the_numbers_of_core():
    at = app_test({"steps": "5", "lr": "0.2", "stage": "optimizer"})
    assert_clean(at)
    step = train(6, 0.2)[-1]  # the step about to be taken after 5 steps
    text = " ".join(m.value for m in at.markdown)
    assert f"{step.w_next:.6g}".replace("-", "−") in text
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["w"] == f"{step.w:.6g}".replace("-", "−")
    assert metrics["Loss"] == f"{loss_curve(train(5, 0.2))[-1]:.6g}"


def test_inference_uses_the_trained_weights_and_runs_no_loss():
    at = app_test({"phase": "inference", "steps": "100", "stage": "prediction", "x": "4.5"})
    assert_clean(at)
    last = train(100, 0.1)[-1]
    y_hat = last.w_next * 4.5 + last.b_next
    assert any(f"{y_hat:.6g}" in m.value for m in at.markdown)
    at2 = app_test({"phase": "inference", "stage": "loss"})
    assert at2.info and translate("home.stage.loss", "en") in at2.info[0].value


def test_too_large_a_step_size_warns_and_keeps_working():
    at = app_test({"lr": "1.0", "steps": "100"})
    assert_clean(at)
    assert at.warning and at.warning[0].value == translate("home.diverging", "en")


def test_show_the_code_reproduces_the_screen():
    """The snippet of the home page, run as a script, prints the weights that the page shows."""
    at = app_test({"steps": "37", "lr": "0.13", "phase": "inference", "x": "-2.5"})
    [code] = [c for c in shown_code(at) if "torch.optim.SGD" in c]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    last = train(37, 0.13)[-1]
    lines = result.stdout.splitlines()
    assert lines[0] == f"after 37 steps: w = {last.w_next:.6g}, b = {last.b_next:.6g}"
    assert lines[1] == f"prediction for x = -2.5: {last.w_next * -2.5 + last.b_next:.6g}"
    assert f"data = {TOY_DATA!r}" in code and f"torch.tensor({START_W!r}" in code and f"({START_B!r}" in code


def test_a_failing_page_shows_a_friendly_message_not_a_traceback():
    from streamlit.testing.v1 import AppTest

    def entry():
        import streamlit as st

        from ui.shell.errors import run_page

        def broken():
            raise ZeroDivisionError("boom")

        run_page(st.navigation([st.Page(broken, title="Broken", default=True)]))

    at = AppTest.from_function(entry, default_timeout=30)
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [translate("app.page_error", "en")]


@pytest.mark.parametrize(("locale", "query", "lang"), [
    ("zh-CN", {}, "zh"),
    ("zh-TW", {}, "zh"),
    ("en-GB", {}, "en"),
    ("zh-CN", {"lang": "en"}, "en"),
    ("en-US", {"lang": "zh"}, "zh"),
])
def test_language_follows_the_link_then_the_browser_locale(locale, query, lang):
    at = app_test(query, context={"locale": locale})
    assert_clean(at)
    assert at.title[0].value == translate("home.title", lang)
    assert dict(at.query_params)["lang"] == lang


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_figures_follow_the_viewers_theme(theme):
    """The home page's loop: the forward-pass boxes (input, layers, prediction) are filled with the theme's forward
    colour, and no box has a colour of the other theme."""
    from tests.helpers.figures import chart
    from ui.lessons.home_figures import NODE_XY
    from ui.shell.theme import DARK, LIGHT

    at = app_test(context={"theme": theme})
    assert_clean(at)
    pal, other = (LIGHT, DARK) if theme == "light" else (DARK, LIGHT)
    boxes = dict(zip(NODE_XY, chart(at, key="home_flow").layout["shapes"], strict=True))  # a box per stage, in order
    assert [boxes[name]["fillcolor"] for name in ("input", "layers", "prediction")] == [pal.forward] * 3
    assert boxes["target"]["fillcolor"] == pal.target
    colours = {box["fillcolor"] for box in boxes.values()} | {box["line"]["color"] for box in boxes.values()}
    assert not colours & {other.forward, other.backward, other.target, other.highlight, other.inactive}
    history = {trace["marker"]["color"] for trace in chart(at, key="home_history").traces}
    assert history == {pal.forward, pal.backward, pal.target, pal.muted}


PRIMER_ORDER = ["home", "convolution", "pooling", "depth", "activations", "tensors", "backprop", "gradient_descent",
                "fc_conv", "cnn_trainer"]
"""The course: the primer's 0x02 workflow, its 0x03 (convolution, pooling, depth, activations), its 0x04 (tensors,
weights and gradients, step size and momentum, fully-connected = 1×1), then the live CNN that uses them all."""


def test_the_course_follows_the_primer_and_each_lesson_builds_on_earlier_ones():
    from ui.shell.registry import course as the_course

    course = [spec.name for spec in the_course()]
    assert course == PRIMER_ORDER
    for i, spec in enumerate(the_course()):
        assert spec.primer.startswith("0x0"), spec.name
        assert set(spec.builds_on) <= set(course[:i]), spec.name  # only lessons that come before it
        assert (i == 0) == (not spec.builds_on), spec.name


def test_learning_path_cards_link_every_lesson_of_the_registry_numbered(monkeypatch):
    from ui.shell import registry as nav

    fake = nav.Lesson("fake_lesson", "🧪", script="tests/fixtures/fake_lesson.py", primer="0x09")
    monkeypatch.setattr(nav, "SECTIONS", {**nav.SECTIONS, "nav.section.start": (nav.HOME, fake)})
    at = app_test()
    assert_clean(at)
    *cards, after = at.get("page_link")
    expected = [spec for _, spec in nav.lessons()]
    assert fake in expected
    assert [link.proto.page for link in cards] == [spec.url_path for spec in expected]
    assert [link.proto.label for link in cards] == [f"{n}. {translate(spec.title_key, 'en')}"
                                                    for n, spec in enumerate(expected, 1)]
    assert after.proto.page == expected[0].url_path  # the home page's "next": the first lesson


def _page(spec) -> str:
    """What a page link to ``spec`` points at: its URL path, empty for the default (home) page."""
    return "" if spec.default else spec.url_path


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_previous_and_next_links_walk_the_whole_course(lang):
    """From the home page to the trainer and back, every lesson's last links name its neighbours in the course, and
    its "builds on" links the lessons the registry names."""
    from ui.shell.registry import by_name
    from ui.shell.registry import course as the_course

    course = the_course()
    for i, spec in enumerate(course):
        at = app_test({"lang": lang}, page=spec.script)
        assert_clean(at)
        links = at.get("page_link")
        before = course[i - 1] if i else None
        after = course[i + 1] if i + 1 < len(course) else None
        tail = [s for s in (before, after) if s is not None]
        assert [link.proto.page for link in links[-len(tail):]] == [_page(s) for s in tail], spec.name
        if before is not None:
            assert links[-len(tail)].proto.label == (f"← {translate('course.previous', lang)}: "
                                                     f"{translate(before.title_key, lang)}")
        if after is not None:
            assert links[-1].proto.label == f"{translate('course.next', lang)}: {translate(after.title_key, lang)} →"
        if spec.builds_on:
            assert [link.proto.page for link in links[:len(spec.builds_on)]] == [
                _page(by_name(name)) for name in spec.builds_on]
            primer = translate("course.primer", lang, section=spec.primer)
            assert any(primer in m.value and translate(spec.claim_key, lang) in m.value for m in at.markdown)


def test_the_home_page_corrects_the_primer_on_backpropagation_with_the_steps_numbers():
    """The primer calls the optimizer's adjustment backpropagation: the home page shows the two apart, with the
    gradient backpropagation computed and the step the optimizer took from it, for the current step."""
    at = app_test({"steps": "5", "lr": "0.2"})
    assert_clean(at)
    from core.workflow import training_step
    from ui.lessons.home import fmt

    done = train(5, 0.2)[-1]
    step = training_step(done.w_next, done.b_next, *TOY_DATA[5 % len(TOY_DATA)], 0.2)
    expected = translate("home.primer.in_fact", "en", grad_w=fmt(step.grad_w), grad_b=fmt(step.grad_b),
                         lr=fmt(0.2), w_next=fmt(step.w_next))
    assert any(m.value.endswith(expected) for m in at.markdown)
    assert step.w_next == pytest.approx(step.w - 0.2 * step.grad_w, abs=1e-12)  # the optimizer's rule, by hand
    inference = app_test({"phase": "inference"})
    assert not any(translate("course.in_fact", "en") in m.value for m in inference.markdown)


def test_show_the_code_offers_the_script_for_download():
    at = app_test({"steps": "3"})
    assert not at.get("download_button") and not at.code  # closed, the snippet is not drawn
    [download] = open_code(at).get("download_button")
    assert download.proto.label == translate("code.download", "en")


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_history_of_deep_learning_puts_each_milestone_at_its_year(lang):
    from tests.helpers.figures import chart
    from ui.lessons.home_figures import MILESTONES

    at = app_test({"lang": lang})
    assert_clean(at)
    figure = chart(at, key="home_history")
    rows = sorted((-y, year, text) for trace in figure.traces
                  for y, year, text in zip(trace["y"], trace["customdata"], trace["text"], strict=True))
    assert [year for _, year, _ in rows] == [year for _, year, _ in MILESTONES]  # top to bottom, in time order
    for (_, year, text), (key, _, _) in zip(rows, MILESTONES, strict=True):
        label = translate("home.history.events." + key, lang)
        shown = text.removeprefix(f"<b>{year}</b>  ").replace("<br>(", " (").replace("<br>（", "（")
        assert shown == label  # the names in brackets go to a second line
    assert [year for _, year, _ in MILESTONES] == sorted(year for _, year, _ in MILESTONES)
    assert {year for _, year, _ in MILESTONES} >= {1958, 1986, 1989, 2012}  # perceptron, backprop, LeNet, AlexNet
