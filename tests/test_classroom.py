"""``core.classroom``: room codes, nicknames, tokens and rate limits, by property."""

import math
import string
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.classroom import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CODE_SPACE,
    NICKNAME_MAX,
    ClassQuestion,
    RateLimit,
    clean_nickname,
    is_right,
    new_code,
    new_token,
    read_answer,
    read_code,
    spread,
    token_hash,
    within_limit,
)

LOOK_ALIKES = ["0ODQ", "1IL", "2Z", "5S", "8B", "6G", "UV"]


def test_no_two_characters_of_a_code_look_alike():
    assert len(set(CODE_ALPHABET)) == len(CODE_ALPHABET) == 20
    assert set(CODE_ALPHABET) <= set(string.ascii_uppercase + string.digits)
    for group in LOOK_ALIKES:
        assert sum(ch in CODE_ALPHABET for ch in group) <= 1, group
    assert CODE_SPACE == 20 ** CODE_LENGTH == 64_000_000


@given(st.lists(st.integers(0, len(CODE_ALPHABET) - 1), min_size=CODE_LENGTH, max_size=CODE_LENGTH))
def test_a_code_is_read_back_however_it_is_typed(draw):
    code = new_code(draw)
    assert read_code(code) == code
    assert read_code(code.lower()) == code
    assert read_code(f" {code[:3]}-{code[3:]} ") == code
    assert read_code(unicodedata.normalize("NFKC", code).translate({ord(c): ord(c) + 0xFEE0 for c in code})) == code


def test_fresh_codes_are_codes_and_differ():
    codes = {new_code() for _ in range(200)}
    assert all(read_code(code) == code for code in codes)
    assert len(codes) > 190


@given(st.text(max_size=40) | st.integers() | st.none() | st.binary())
def test_anything_else_is_no_code(text):
    code = read_code(text)
    if code is not None:
        assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
        assert isinstance(text, str)


def test_codes_with_look_alikes_or_the_wrong_length_are_refused():
    assert read_code("ACEFH") is None and read_code("ACEFHJK") is None
    assert read_code("ACEFH0") is None and read_code("ACEFHO") is None
    assert read_code("A" * 10_000) is None


@given(st.text(max_size=200) | st.integers() | st.none())
def test_a_nickname_is_short_and_shows_no_markup(text):
    name = clean_nickname(text)
    if name is None:
        return
    assert 0 < len(name) <= NICKNAME_MAX and name == name.strip() and "  " not in name
    assert not set(name) & set("<>&\"`;/\\=(){}[]%$#@!*+|~^")
    assert all(unicodedata.category(ch)[0] in "LNMZ" or ch in "-_.'" for ch in name)


def test_nicknames_keep_letters_of_any_script_and_drop_the_rest():
    assert clean_nickname("  李雷  ") == "李雷"
    assert clean_nickname("Ann'; DROP TABLE members;--") == "Ann' DROP TABLE"
    assert clean_nickname("<img src=x onerror=alert(1)>") == "img src x onerro"
    assert clean_nickname("🙂🙂") is None and clean_nickname("") is None and clean_nickname(None) is None


def test_tokens_are_long_random_and_kept_as_hashes():
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and all(len(t) >= 43 for t in tokens)
    token = next(iter(tokens))
    assert token_hash(token) == token_hash(token) != token and len(token_hash(token)) == 64


@given(st.lists(st.floats(0, 100), max_size=30), st.floats(0, 100), st.integers(1, 10), st.floats(1, 50))
def test_a_rate_limit_counts_the_attempts_in_its_window(times, now, attempts, window):
    recent = [t for t in times if now - window < t <= now]
    assert within_limit(times, now, RateLimit(attempts, window)) == (len(recent) < attempts)


NUMBER = ClassQuestion("number", 12.0)
CHOICE = ClassQuestion("choice", 2, "Which pooling keeps the largest value?", ("avg", "min", "max"))


def test_a_question_is_a_number_or_a_choice_with_its_answer_among_the_options():
    for bad in (dict(kind="text", answer=1), dict(kind="choice", answer=3, options=("a", "b", "c")),
                dict(kind="choice", answer=0.5, options=("a", "b")), dict(kind="choice", answer=0, options=("a",))):
        with pytest.raises(ValueError):
            ClassQuestion(**bad)


@pytest.mark.parametrize(("question", "text", "value"), [
    (NUMBER, "12", 12.0), (NUMBER, " 12.5 ", 12.5), (NUMBER, "12,5", 12.5), (NUMBER, "１２", 12.0),
    (NUMBER, "-3e2", -300.0), (NUMBER, 7, 7.0), (CHOICE, "2", 2.0), (CHOICE, 0, 0.0)])
def test_answers_are_read_as_the_question_takes_them(question, text, value):
    assert read_answer(question, text) == value


@pytest.mark.parametrize("text", ["", "twelve", "nan", "inf", "-inf", "1e999", "1" * 41, None, True, [1], "0x10"])
def test_what_is_not_a_number_is_no_answer(text):
    assert read_answer(NUMBER, text) is None


@pytest.mark.parametrize("text", ["3", "-1", "1.5", "a"])
def test_a_choice_takes_only_an_options_number(text):
    assert read_answer(CHOICE, text) is None


@given(st.text(max_size=60) | st.integers() | st.floats() | st.none())
def test_any_text_is_a_finite_answer_or_none(text):
    for question in (NUMBER, CHOICE):
        value = read_answer(question, text)
        assert value is None or (math.isfinite(value) and (question.kind == "number" or
                                                           value in range(len(question.options))))


def test_right_answers_are_judged_as_the_lessons_quiz_judges_them():
    assert is_right(NUMBER, 12.0) and not is_right(NUMBER, 12.001) and not is_right(NUMBER, 13)
    assert is_right(ClassQuestion("number", 0.0), 1e-13) and not is_right(ClassQuestion("number", 0.0), 1e-9)
    assert is_right(ClassQuestion("number", 0.3, rel_tol=1e-6), 0.1 + 0.2)
    assert is_right(CHOICE, 2.0) and not is_right(CHOICE, 1.0)


def test_the_spread_counts_each_option_or_each_number():
    assert spread(CHOICE, [2, 2, 0, 2]) == [("avg", 1), ("min", 0), ("max", 3)]
    assert spread(NUMBER, [12, 11, 12, 12.5]) == [("11", 1), ("12", 2), ("12.5", 1)]
    assert spread(NUMBER, []) == [] and spread(CHOICE, []) == [("avg", 0), ("min", 0), ("max", 0)]


@given(st.lists(st.integers(0, 2), max_size=50))
def test_the_spread_of_a_choice_adds_up_to_the_answers(values):
    assert sum(n for _, n in spread(CHOICE, values)) == len(values)
