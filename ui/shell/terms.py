"""The glossary (``assets/i18n/glossary.toml``): one term per concept in each language, its one-line definition,
and the part of the course that teaches it.

``explained(text)`` draws a lesson's text with the first use, on the page, of each glossary term marked: hovering it
shows the term's definition in the page's language (an ``<abbr title=…>``, which the browser shows as a tooltip).
The first use is counted per script run from ``start_page()`` on, which ``lesson_page`` calls.
"""

from __future__ import annotations

import functools
import html
import re
import tomllib
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from ui.shell.i18n import current_language

GLOSSARY = Path(__file__).resolve().parent.parent.parent / "assets" / "i18n" / "glossary.toml"


@dataclass(frozen=True)
class Term:
    """One concept of the glossary: its id, its term and definition in each language, the forms its English term
    takes in running text, and the lesson part that teaches it."""

    concept: str
    en: str
    zh: str
    define_en: str
    define_zh: str
    lesson: str
    part: str
    en_forms: tuple[str, ...]

    def term(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def definition(self, lang: str) -> str:
        return self.define_zh if lang == "zh" else self.define_en

    def forms(self, lang: str) -> tuple[str, ...]:
        """The spellings that count as a use of the term in ``lang``'s running text."""
        return (self.zh,) if lang == "zh" else tuple(dict.fromkeys((self.en, *self.en_forms)))


@functools.cache
def glossary() -> tuple[Term, ...]:
    """Every concept of ``glossary.toml``, in the file's order."""
    with open(GLOSSARY, "rb") as file:
        table = tomllib.load(file)
    return tuple(Term(concept, entry["en"], entry["zh"], entry["define_en"], entry["define_zh"], entry["lesson"],
                      entry.get("part", ""), tuple(entry.get("en_forms", ())))
                 for concept, entry in table.items())


@functools.cache
def _finder(lang: str) -> tuple[re.Pattern[str], dict[str, Term]]:
    """One pattern matching any form of any term in ``lang`` (longest first, so "feature map" wins over "feature"),
    whole words in English; and which term each lower-cased form belongs to."""
    by_form = {form.lower(): term for term in glossary() for form in term.forms(lang) if len(form) > 1}
    alternatives = "|".join(re.escape(form) for form in sorted(by_form, key=len, reverse=True))
    stars = r"(\*\*|\*)?"  # bold or italic markers right around it: see ``annotate``
    if lang == "zh":
        return re.compile(f"{stars}({alternatives}){stars}"), by_form
    return re.compile(rf"{stars}(?<![\w-])({alternatives})(?![\w-]){stars}", re.IGNORECASE), by_form


_PROTECTED = re.compile(r"(`+[^`]*`+|\$\$.*?\$\$|\$[^$\n]+\$|\[[^\]]*\]\([^)]*\)|<[^>]*>|https?://\S+)", re.DOTALL)
"""What a term is never marked inside: code, LaTeX, a link, an HTML tag, an address."""

_SEEN: ContextVar[set[str] | None] = ContextVar("glossary_terms_seen", default=None)


def start_page(seen: Iterable[str] = ()) -> None:
    """From here on in this script run, the next use of each term is its first on the page (``seen``: the terms
    already explained above, for a run of one part of the page alone)."""
    _SEEN.set(set(seen))


def terms_seen() -> frozenset[str]:
    """The terms explained so far on the page in this script run."""
    return frozenset(_SEEN.get() or ())


def annotate(text: str, lang: str, seen: set[str]) -> str:
    """``text`` with the first use of each term not in ``seen`` wrapped as ``<abbr title="definition">``; the
    concepts marked are added to ``seen``.

    A term in bold or italics on its own (``**梯度**``) is wrapped with its markers (``<abbr>**梯度**</abbr>``):
    Markdown opens bold only where ``**`` is not squeezed between a letter and punctuation, which ``**<abbr>``
    after a Chinese character would be. A term that only begins or ends a bold phrase (``**梯度下降**``) is left
    for a later use."""
    pattern, by_form = _finder(lang)

    def mark(match: re.Match[str]) -> str:
        before, found, after = match.groups()
        term = by_form[found.lower()]
        if term.concept in seen or before != after:
            return match.group(0)
        seen.add(term.concept)
        return f'<abbr title="{html.escape(term.definition(lang))}">{match.group(0)}</abbr>'

    pieces = _PROTECTED.split(text)
    return "".join(piece if i % 2 else pattern.sub(mark, piece) for i, piece in enumerate(pieces))


def explained(text: str) -> None:
    """``st.markdown(text)``, the first use of each glossary term on the page showing its definition on hover."""
    seen = _SEEN.get()
    if seen is None:
        seen = set()
        _SEEN.set(seen)
    marked = annotate(text, current_language(), seen)
    st.markdown(marked, unsafe_allow_html=marked != text)
