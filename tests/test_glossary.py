"""The glossary (assets/i18n/glossary.toml): one Chinese term per concept, and both catalogues hold to it.

Where the English of a key names a concept, the Chinese of that key says the concept's one Chinese term and none of
its look-alikes (步长 is the step size of gradient descent, never a stride); some words are wrong in any string.
"""

from __future__ import annotations

import re
import tomllib

import pytest

from tests.conftest import ROOT
from ui.shell.i18n import catalogue
from ui.shell.registry import all_pages

GLOSSARY_PATH = ROOT / "assets" / "i18n" / "glossary.toml"
REQUIRED = ("en", "zh", "en_forms", "zh_look_alikes", "forbidden_zh", "lesson", "part", "define_en", "define_zh")
OPTIONAL = ("forbidden_en", "zh_synonym", "unnamed_in", "zh_only_where_named")
LATIN = re.compile(r"[A-Za-z0-9 _.\-]+")


def load_glossary() -> dict[str, dict]:
    with open(GLOSSARY_PATH, "rb") as file:
        return tomllib.load(file)


def plain(text: str) -> str:
    """The text without Markdown emphasis and code marks, so that **local** minimum still names a local minimum."""
    return re.sub(r"\{[^{}]*\}", "", text).replace("*", "").replace("`", "")


def finds(term: str, text: str) -> bool:
    """Whether ``term`` occurs in ``text``: a Latin term as a whole word (case-insensitive), a Chinese one anywhere."""
    if LATIN.fullmatch(term):
        return re.search(rf"(?<![A-Za-z0-9_]){re.escape(term)}(?![A-Za-z0-9_])", text, re.IGNORECASE) is not None
    return term in text


def names(entry: dict, english: str) -> str | None:
    """The first of the entry's English forms that ``english`` uses, or None."""
    return next((form for form in entry["en_forms"] if finds(form, english)), None)


def violations(en_catalogue: dict, zh_catalogue: dict, glossary: dict) -> list[str]:
    """Every place where the catalogues break the glossary, one line each, naming the key and the concept."""
    found = []
    for concept, entry in glossary.items():
        term, synonym = entry["zh"], entry.get("zh_synonym")
        skip = set(entry.get("unnamed_in", ()))
        for key, english in en_catalogue.items():
            chinese = zh_catalogue.get(key)
            if chinese is None or key in skip:
                continue
            form, zh = names(entry, plain(english)), plain(chinese)
            if form is None:
                if entry.get("zh_only_where_named") and finds(term, zh):
                    found.append(f"{key}: the Chinese says {term!r} ({concept!r}) but the English does not name it")
                continue
            found += [f"{key}: the English names {concept!r} ({form!r}) but the Chinese uses the look-alike {alike!r}"
                      for alike in entry["zh_look_alikes"] if finds(alike, zh)]
            if not finds(term, zh):
                found.append(f"{key}: the English names {concept!r} ({form!r}) but the Chinese lacks {term!r}")
        for key, chinese in zh_catalogue.items():
            zh = plain(chinese)
            found += [f"{key}: the Chinese uses {word!r}, forbidden by {concept!r}"
                      for word in entry["forbidden_zh"] if finds(word, zh)]
            if synonym and synonym in zh.replace(f"{term}（{synonym}）", ""):
                found.append(f"{key}: the Chinese uses {synonym!r} ({concept!r}) other than as {term}（{synonym}）")
        for key, english in en_catalogue.items():
            found += [f"{key}: the English uses {word!r}, forbidden by {concept!r}"
                      for word in entry.get("forbidden_en", ()) if finds(word, plain(english))]
    return found


# ---- the glossary itself --------------------------------------------------------------------------------------------

GLOSSARY = load_glossary()
LESSONS = {spec.name: spec.parts for spec in all_pages()}


def test_the_glossary_covers_the_course():
    assert {"learning_rate", "stride", "local_minimum", "weight", "bias", "kernel", "pooling", "activation_function",
            "tensor", "axis", "scalar", "broadcasting", "gradient", "momentum", "fully_connected", "perceptron",
            "loss", "padding", "dilation", "channel", "receptive_field", "feature_map", "backpropagation",
            "optimizer", "epoch", "minibatch", "batch_norm", "dropout", "relu"} <= set(GLOSSARY)


@pytest.mark.parametrize("concept", sorted(GLOSSARY))
def test_entry_schema(concept):
    entry = GLOSSARY[concept]
    assert set(entry) - set(REQUIRED) - set(OPTIONAL) == set(), "unknown fields"
    for field in REQUIRED:
        assert field in entry, field
    for field in ("en", "zh", "define_en", "define_zh"):
        assert isinstance(entry[field], str) and entry[field].strip() and "\n" not in entry[field], field
    for field in ("en_forms", "zh_look_alikes", "forbidden_zh", "forbidden_en", "unnamed_in"):
        assert all(isinstance(x, str) and x.strip() for x in entry.get(field, ())), field
    assert entry["en_forms"], "no English form names the concept"
    assert isinstance(entry.get("zh_only_where_named", False), bool)
    assert entry["lesson"] in LESSONS, f"no lesson {entry['lesson']!r} in ui/shell/registry.py"
    assert entry["part"] in (*LESSONS[entry["lesson"]], ""), f"{entry['lesson']} has no part {entry['part']!r}"
    assert re.search(r"[\u4e00-\u9fff]", entry["define_zh"]), "define_zh is not Chinese"
    assert set(entry.get("unnamed_in", ())) <= set(catalogue("en")), "unnamed_in lists unknown keys"


def test_one_chinese_term_per_concept():
    terms = [entry["zh"] for entry in GLOSSARY.values()]
    assert sorted({t for t in terms if terms.count(t) > 1}) == [], "two concepts share a Chinese term"
    for concept, entry in GLOSSARY.items():
        clashes = [alike for alike in entry["zh_look_alikes"] + entry["forbidden_zh"]
                   if finds(alike, entry["zh"]) or finds(entry["zh"], alike)]
        assert clashes == [], f"{concept}: its term is (part of) its own look-alike"
        if "zh_synonym" in entry:
            assert entry["zh_synonym"] != entry["zh"] and entry["zh_synonym"] not in entry["zh_look_alikes"]


def test_each_definition_uses_no_look_alike_of_its_own_concept():
    for concept, entry in GLOSSARY.items():
        assert [a for a in entry["zh_look_alikes"] + entry["forbidden_zh"] if finds(a, entry["define_zh"])] == [], \
            concept


# ---- the catalogues against it --------------------------------------------------------------------------------------

def test_the_catalogues_follow_the_glossary():
    assert violations(catalogue("en"), catalogue("zh"), GLOSSARY) == []


def test_the_chinese_title_is_not_a_books():
    """动手学深度学习 is a well-known book (d2l.ai); the app must not take its name."""
    zh = catalogue("zh")
    assert [key for key in ("app.title", "home.title", "nav.home") if "动手学深度学习" in zh[key]] == []
    assert [key for key, text in zh.items() if "动手学深度学习" in text] == []


# ---- the check can fail ---------------------------------------------------------------------------------------------

def test_a_planted_look_alike_is_caught():
    found = violations({"x": "The stride s"}, {"x": "步长 s"}, GLOSSARY)
    assert any(line.startswith("x:") and "'stride'" in line and "'步长'" in line for line in found), found
    assert any(line.startswith("x:") and "'stride'" in line and "lacks '步幅'" in line for line in found), found


def test_a_missing_term_is_caught_and_emphasis_does_not_hide_it():
    found = violations({"x": "a **local** minimum"}, {"x": "**局部**最小值"}, GLOSSARY)
    assert any("'local_minimum'" in line and "'局部最小值'" in line for line in found), found
    assert violations({"x": "a **local** minimum"}, {"x": "**局部**最小点"}, GLOSSARY) == []


def test_a_planted_forbidden_word_is_caught():
    found = violations({"y": "The kernel's taps"}, {"y": "卷积核的各个抽头"}, GLOSSARY)
    assert found == ["y: the Chinese uses '抽头', forbidden by 'kernel'"]
    assert any("'BN'" in line for line in violations({"z": "Batch norm"}, {"z": "批量归一化（BN）"}, GLOSSARY))


def test_a_term_used_for_something_else_is_caught():
    """损失 for "loses" (a student reads it as the loss), 步长 where the English has no step size."""
    found = violations({"x": "Tanh loses less"}, {"x": "Tanh 损失较小"}, GLOSSARY)
    assert found == ["x: the Chinese says '损失' ('loss') but the English does not name it"]
    assert violations({"x": "jump s"}, {"x": "步长 s"}, GLOSSARY) != []


def test_latin_words_match_whole_words_only():
    assert violations({"p": "as PyTorch's ceil_mode=True"}, {"p": "与 PyTorch 的 ceil_mode=True 相同"}, GLOSSARY) == []
    assert violations({"p": "Ceil mode"}, {"p": "ceil 模式"}, GLOSSARY) != []


def test_the_synonym_only_as_a_gloss():
    assert violations({"l": "Learning rate"}, {"l": "步长（学习率）"}, GLOSSARY) == []
    found = violations({"l": "Learning rate"}, {"l": "学习率"}, GLOSSARY)
    assert any("lacks '步长'" in line for line in found) and any("other than as" in line for line in found), found
