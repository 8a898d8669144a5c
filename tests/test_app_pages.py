"""AppTest: every page of the navigation, and every part of every lesson, renders in both languages; the home page
shows the right numbers."""

import subprocess
import sys

import pytest

from core.workflow import START_B, START_W, TOY_DATA, loss_curve, train
from tests.conftest import H1_KEYS, PAGE_IDS, PAGE_PARTS, PAGES, ROOT, app_test, assert_clean, lesson_app
from ui.shell.i18n import LANGUAGES, translate


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("spec", PAGES, ids=PAGE_IDS)
def test_every_page_renders_in_every_language(spec, lang):
    at = app_test({"lang": lang}, page=spec.script)
    assert_clean(at)
    assert at.title, "every page starts with a title"
    if lang == "zh":
        assert any("\u4e00" <= ch <= "\u9fff" for ch in at.title[0].value)
    sidebar_switch = [w for w in at.get("button_group") if w.key == "lang"]  # app.py ran around the page
    assert sidebar_switch and sidebar_switch[0].value == lang


LESSON_PARTS = [(spec, part) for spec, part in PAGE_PARTS if part is not None]


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize(("spec", "part"), LESSON_PARTS, ids=[f"{s.url_path}-{p}" for s, p in LESSON_PARTS])
def test_every_part_of_every_lesson_renders_in_both_languages(spec, part, lang):
    at = lesson_app(spec, {"part": part}, lang)  # checked to have run cleanly
    assert at.title[0].value == translate(H1_KEYS[spec.url_path], lang)


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
    [code] = [c.value for c in at.code if "torch.optim.SGD" in c.value]
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


@pytest.mark.parametrize(("locale", "query", "title"), [
    ("zh-CN", {}, "动手学深度学习"),
    ("zh-TW", {}, "动手学深度学习"),
    ("en-GB", {}, "Deep learning, by touching it"),
    ("zh-CN", {"lang": "en"}, "Deep learning, by touching it"),
    ("en-US", {"lang": "zh"}, "动手学深度学习"),
])
def test_language_follows_the_link_then_the_browser_locale(locale, query, title):
    at = app_test(query, context={"locale": locale})
    assert_clean(at)
    assert at.title[0].value == title
    assert dict(at.query_params)["lang"] == ("zh" if "动" in title else "en")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_figures_follow_the_viewers_theme(theme):
    """The home page's loop: the forward-pass boxes (input, layers, prediction) are filled with the theme's forward
    colour, and no box has a colour of the other theme."""
    from tests.helpers.figures import charts
    from ui.lessons.home_figures import NODE_XY
    from ui.shell.theme import DARK, LIGHT

    at = app_test(context={"theme": theme})
    assert_clean(at)
    pal, other = (LIGHT, DARK) if theme == "light" else (DARK, LIGHT)
    boxes = dict(zip(NODE_XY, charts(at)[0].layout["shapes"], strict=True))  # one box per stage, in NODE_XY's order
    assert [boxes[name]["fillcolor"] for name in ("input", "layers", "prediction")] == [pal.forward] * 3
    assert boxes["target"]["fillcolor"] == pal.target
    colours = {box["fillcolor"] for box in boxes.values()} | {box["line"]["color"] for box in boxes.values()}
    assert not colours & {other.forward, other.backward, other.target, other.highlight, other.inactive}


def test_learning_path_cards_link_every_lesson_of_the_registry(monkeypatch):
    from ui.shell import registry as nav

    fake = nav.Lesson("fake_lesson", "🧪", script="tests/fixtures/fake_lesson.py")
    monkeypatch.setattr(nav, "SECTIONS", {**nav.SECTIONS, "nav.section.start": (nav.HOME, fake)})
    at = app_test()
    assert_clean(at)
    links = at.get("page_link")
    expected = [spec for _, spec in nav.lessons()]
    assert fake in expected
    assert [link.proto.page for link in links] == [spec.url_path for spec in expected]
    assert [link.proto.label for link in links] == [translate(spec.title_key, "en") for spec in expected]


def test_show_the_code_offers_the_script_for_download():
    at = app_test({"steps": "3"})
    [download] = at.get("download_button")
    assert download.proto.label == translate("code.download", "en")
