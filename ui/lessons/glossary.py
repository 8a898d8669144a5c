"""The glossary page: every term of the course side by side in English and Chinese, its definition in the page's
language, and a link to the part of the course that teaches it; a search box filters the table (in the link as
``?q=``)."""

from __future__ import annotations

import streamlit as st

from ui.shell.i18n import current_language, t
from ui.shell.registry import by_name, course
from ui.shell.terms import Term, glossary
from ui.shell.url_state import Text, UrlParam, shown, text_decoder, url_widget

SEARCH_LIMIT = 40
LINK = {"q": Text(SEARCH_LIMIT)}
"""What the glossary's link may say: the search."""


def matches(term: Term, query: str) -> bool:
    """Whether ``query`` (any case, surrounding spaces ignored) occurs in the term or its definition, in either
    language, or in the concept's id."""
    needle = query.strip().casefold()
    return not needle or any(needle in text.casefold() for text in (
        term.concept.replace("_", " "), term.en, term.zh, term.define_en, term.define_zh, *term.en_forms))


def in_course_order(terms: tuple[Term, ...]) -> list[Term]:
    """The terms in the order the course teaches them (by lesson, then as the glossary lists them)."""
    order = {spec.name: n for n, spec in enumerate(course())}
    return sorted(terms, key=lambda term: order.get(term.lesson, len(order)))


def page() -> None:
    st.title(t("glossary.title"))
    st.markdown(t("glossary.intro"))
    query = url_widget(st.text_input, UrlParam("glossary_search", "q", "", text_decoder(SEARCH_LIMIT),
                                               accepts=LINK["q"]),
                       t("glossary.search"), max_chars=SEARCH_LIMIT, placeholder=t("glossary.placeholder"))
    found = [term for term in in_course_order(glossary()) if matches(term, query)]
    st.caption(t("glossary.count", shown=len(found), total=len(glossary())))
    if not found:
        st.info(t("glossary.none", query=shown(query.strip())), icon="🔎")
        return
    lang = current_language()
    widths = [2, 2, 5, 3]
    for cell, name in zip(st.columns(widths), ("en", "zh", "definition", "taught"), strict=True):
        cell.markdown(f"**{t('glossary.column.' + name)}**")
    for term in found:
        with st.container(border=True):
            english, chinese, definition, where = st.columns(widths, vertical_alignment="center")
            english.markdown(f"**{term.en}**")
            chinese.markdown(f"**{term.zh}**")
            definition.markdown(term.definition(lang))
            lesson = by_name(term.lesson)
            part = f" · {t(f'{lesson.name}.part.{term.part}')}" if term.part else ""
            where.page_link(lesson.script, label=f"{t(lesson.title_key)}{part}", icon=lesson.icon,
                            query_params={"part": term.part} if term.part else None)
