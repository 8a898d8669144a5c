"""Translations: ``t(key)`` looks a key up in ``assets/i18n/<lang>.toml`` for the current language.

The language is chosen once per run by ``app.py`` (``?lang=`` > browser locale > English) and kept in
session state; a key missing from a catalogue falls back to English, then to the key itself.
"""

from __future__ import annotations

import functools
import logging
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path

import streamlit as st

LANGUAGES: dict[str, str] = {"en": "English", "zh": "简体中文"}
DEFAULT_LANGUAGE = "en"
LANG_KEY = "lang"
"""Session-state key and query parameter that hold the language."""

CATALOGUE_DIR = Path(__file__).resolve().parent.parent.parent / "assets" / "i18n"
log = logging.getLogger(__name__)


def _flatten(table: Mapping[str, object], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, key + "."))
        else:
            flat[key] = str(value)
    return flat


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """All strings of one language as a flat ``{"section.key": text}`` dict."""
    with open(CATALOGUE_DIR / f"{lang}.toml", "rb") as file:
        return _flatten(tomllib.load(file))


def translate(key: str, lang: str, **values: object) -> str:
    """The text for ``key`` in ``lang`` (English if missing there), with ``{name}`` fields filled in."""
    text = catalogue(lang).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANGUAGE).get(key)
        if text is None:
            log.warning("missing translation key %r", key)
            return key
    return text.format(**values) if values else text


def resolve_language(query_value: str | None, locale: str | None) -> tuple[str, bool]:
    """Pick the language from ``?lang=`` or else the browser locale; also say whether ``?lang`` was bad."""
    if query_value is not None:
        code = query_value.strip().lower()
        if code in LANGUAGES:
            return code, False
    from_locale = DEFAULT_LANGUAGE
    if locale and locale.strip().lower().startswith("zh"):
        from_locale = "zh"
    return from_locale, query_value is not None


def current_language() -> str:
    lang = st.session_state.get(LANG_KEY, DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **values: object) -> str:
    """The text for ``key`` in the current language."""
    return translate(key, current_language(), **values)


def translator(prefix: str = "") -> Callable[[object], str]:
    """A ``format_func`` that shows option ``o`` as ``t(prefix + str(o))``.

    The language is bound now, in the closure: Streamlit may call ``format_func`` again outside the
    script run, where session state is not the one of this run.
    """
    lang = current_language()
    return lambda option: translate(f"{prefix}{option}", lang)


def filler(key: str, field: str) -> Callable[[object], str]:
    """A ``format_func`` that shows option ``o`` as ``t(key, **{field: o})`` ("{n} channels"), its language bound
    now, as in ``translator``."""
    lang = current_language()
    return lambda option: translate(key, lang, **{field: option})
