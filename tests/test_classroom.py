"""``core.classroom``: room codes, nicknames, tokens and rate limits, by property."""

import string
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from core.classroom import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CODE_SPACE,
    NICKNAME_MAX,
    RateLimit,
    clean_nickname,
    new_code,
    new_token,
    read_code,
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
