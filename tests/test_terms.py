"""The glossary's hover definitions (``ui.shell.terms``) and the glossary page."""

import html
import re

import pytest

from tests.conftest import assert_clean, lesson_app
from ui.shell.i18n import LANGUAGES, translate
from ui.shell.registry import GLOSSARY, by_name, course
from ui.shell.terms import annotate, glossary

ABBR = re.compile(r'<abbr title="([^"]*)">(.*?)</abbr>')


def term(concept: str):
    return next(entry for entry in glossary() if entry.concept == concept)


def test_the_first_use_of_a_term_shows_its_definition_and_later_uses_do_not():
    stride = term("stride")
    seen: set[str] = set()
    text = f"The {stride.en} moves the window. A larger {stride.en} gives a smaller output."
    marked = annotate(text, "en", seen)
    assert ABBR.findall(marked) == [(html.escape(stride.define_en), stride.en)]
    assert marked.count(stride.en) == 2 and "stride" in seen
    assert annotate(f"Now the {stride.en} again.", "en", seen) == f"Now the {stride.en} again."  # the same page


def test_chinese_terms_are_found_without_spaces_and_defined_in_chinese():
    stride = term("stride")
    marked = annotate(f"把{stride.zh}调大，输出变小。", "zh", set())
    assert ABBR.findall(marked) == [(html.escape(stride.define_zh), stride.zh)]


@pytest.mark.parametrize("text", ["`stride` in code", "$stride$ in LaTeX", "[stride](https://x.org/stride) as a link",
                                  '<span title="stride">x</span>'])
def test_terms_are_never_marked_inside_code_maths_links_or_tags(text):
    assert annotate(text, "en", set()) == text


def test_english_terms_are_whole_words_in_any_case():
    stride = term("stride")
    assert annotate("strident", "en", set()) == "strident"
    assert ABBR.findall(annotate(stride.en.capitalize() + " first", "en", set()))


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_a_lesson_marks_each_term_once_on_its_page(lang):
    at = lesson_app(by_name("convolution"), {"part": "steps"}, lang)
    marked = [title for m in at.markdown for title, _ in ABBR.findall(m.value)]
    assert marked, "no term of the glossary is marked on the convolution page"
    assert len(marked) == len(set(marked))
    definitions = {entry.definition(lang) for entry in glossary()}
    assert {html.unescape(title) for title in marked} <= definitions


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_glossary_page_lists_every_term_side_by_side_and_links_its_part(lang):
    at = lesson_app(GLOSSARY, {}, lang)
    assert_clean(at)
    entries = glossary()
    texts = [m.value for m in at.markdown]
    for entry in entries:
        assert f"**{entry.en}**" in texts and f"**{entry.zh}**" in texts and entry.definition(lang) in texts
    links = at.get("page_link")
    assert len(links) == len(entries)
    in_order = sorted(entries, key=lambda e: [spec.name for spec in course()].index(e.lesson))
    for link, entry in zip(links, in_order, strict=True):  # in the course's order, each to its lesson and part
        lesson = by_name(entry.lesson)
        assert link.proto.page == ("" if lesson.default else lesson.url_path)
        assert link.proto.query_string == (f"part={entry.part}" if entry.part else "")
        assert link.proto.label == translate(lesson.title_key, lang) + (
            f" · {translate(f'{lesson.name}.part.{entry.part}', lang)}" if entry.part else "")


def test_the_glossary_search_filters_in_either_language_and_keeps_the_link():
    stride = term("stride")
    for query in (stride.en.upper(), stride.zh):
        at = lesson_app(GLOSSARY, {"q": query})
        rows = [m.value for m in at.markdown if m.value.startswith("**") and m.value.endswith("**")]
        assert f"**{stride.en}**" in rows and f"**{stride.zh}**" in rows
        assert len(at.get("page_link")) < len(glossary())
        assert at.text_input(key="glossary_search").value == query
    at = lesson_app(GLOSSARY, {"q": "no such term anywhere"})
    assert not at.get("page_link") and at.info


def test_a_bold_term_keeps_its_bold_and_one_inside_a_longer_bold_phrase_waits_for_a_later_use():
    """Markdown opens ``**`` only when it is not squeezed between a letter and punctuation: ``算**<abbr>`` would show
    the asterisks. A term bold on its own is wrapped with its markers; one that begins or ends a longer bold
    phrase is left, and its next plain use is marked instead."""
    gradient = term("gradient")
    marked = annotate(f"计算**{gradient.zh}**，然后", "zh", set())
    assert marked == f'计算<abbr title="{html.escape(gradient.define_zh)}">**{gradient.zh}**</abbr>，然后'
    seen: set[str] = set()
    assert annotate(f"**{gradient.zh}下降**", "zh", seen) == f"**{gradient.zh}下降**" and not seen
    assert annotate(f"**算{gradient.zh}**再看{gradient.zh}", "zh", seen).endswith(
        f'再看<abbr title="{html.escape(gradient.define_zh)}">{gradient.zh}</abbr>')
