"""Translation catalogues: same keys in both languages, no key unused or undefined, real Chinese text."""

import ast
import re
import string

import pytest

from tests.conftest import ROOT
from ui.shell import i18n
from ui.shell.i18n import LANGUAGES, catalogue, resolve_language, translate
from ui.shell.registry import all_pages

CODE_FILES = [ROOT / "app.py", *sorted((ROOT / "pages").rglob("*.py")), *sorted((ROOT / "ui").rglob("*.py")),
              *sorted((ROOT / "core").rglob("*.py"))]
CJK = re.compile(r"[\u4e00-\u9fff\u3001\u3002]")  # the ideographs, and the Chinese comma 、 and full stop 。


def fields(text):
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def code_strings():
    """Every string constant in the app's code, and the literal keys passed to ``t``/``translate``."""
    constants, called = set(), set()
    for path in CODE_FILES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                if name in ("t", "translate"):
                    called.add(node.args[0].value)
    return constants, called


def test_both_catalogues_have_exactly_the_same_keys():
    en, zh = catalogue("en"), catalogue("zh")
    assert sorted(set(en) - set(zh)) == [], "keys missing from zh.toml"
    assert sorted(set(zh) - set(en)) == [], "keys missing from en.toml"


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_no_empty_texts(lang):
    assert [key for key, text in catalogue(lang).items() if not text.strip()] == []


def test_placeholders_agree_between_languages():
    en, zh = catalogue("en"), catalogue("zh")
    assert {k: fields(en[k]) for k in en if fields(en[k]) != fields(zh[k])} == {}


def test_chinese_catalogue_is_chinese():
    """Every Chinese text has Chinese in it, except formulas and symbols, which must then equal the English."""
    en, zh = catalogue("en"), catalogue("zh")
    untranslated = [key for key, text in zh.items()
                    if not CJK.search(text)
                    and (text != en[key] or re.search(r"[A-Za-z]{4,}", re.sub(r"\{[^}]*\}", "", text)))]
    assert untranslated == []


def test_every_key_the_code_asks_for_is_defined():
    _, called = code_strings()
    assert called, "found no t(...) calls: the scan is broken"
    assert sorted(called - set(catalogue("en"))) == []


def test_every_catalogue_key_is_used():
    """A key is used when the code holds it literally, or as a literal prefix plus a literal option name."""
    constants, _ = code_strings()
    for spec in all_pages():  # the registry names each lesson's title, introduction, summary and parts
        constants |= {spec.title_key, spec.heading_key, spec.intro_key, spec.summary_key, spec.claim_key,
                      *(f"{spec.name}.part.{part}" for part in spec.parts)}
    prefixes = [c for c in constants if c.endswith(".")]

    def used(key):
        return key in constants or any(key.startswith(p) and key[len(p):] in constants for p in prefixes)

    assert sorted(key for key in catalogue("en") if not used(key)) == []


@pytest.mark.parametrize(("query", "locale", "expected"), [
    (None, None, ("en", False)),
    (None, "en-US", ("en", False)),
    (None, "zh-CN", ("zh", False)),
    (None, "zh-TW", ("zh", False)),
    (None, "fr-FR", ("en", False)),
    ("zh", "en-US", ("zh", False)),
    ("EN", "zh-CN", ("en", False)),
    (" zh ", None, ("zh", False)),
    ("xx", "zh-CN", ("zh", True)),
    ("", None, ("en", True)),
    ("<script>", "en-GB", ("en", True)),
])
def test_resolve_language(query, locale, expected):
    assert resolve_language(query, locale) == expected


def test_missing_key_falls_back_to_english_then_to_the_key(monkeypatch):
    english = dict(catalogue("en"), **{"only.in.english": "Hello {name}"})
    monkeypatch.setattr(i18n, "catalogue", lambda lang: english if lang == "en" else {})
    assert translate("only.in.english", "zh", name="Ada") == "Hello Ada"
    assert translate("no.such.key", "zh") == "no.such.key"


def test_translator_binds_the_language_when_created(monkeypatch):
    monkeypatch.setattr(i18n, "current_language", lambda: "zh")
    label = i18n.translator("home.phase.")
    monkeypatch.setattr(i18n, "current_language", lambda: "en")
    assert label("training") == catalogue("zh")["home.phase.training"]
