"""The rules of a classroom room, as pure functions: its code, a student's nickname, the tokens that identify a
teacher and a student, and the limits that keep a room and a server safe. ``store.rooms`` keeps rooms in the
database by these rules; ``ui.lessons.classroom`` shows them.

A room code is ``CODE_LENGTH`` characters from ``CODE_ALPHABET``, which leaves out characters read or typed as one
another (0 O D Q, 1 I L, 2 Z, 5 S, 8 B, 6 G, U V: of these only 6 is kept, G dropped) and the vowels I, O, U, so
that a code read off a projector is typed right:
``len(CODE_ALPHABET) ** CODE_LENGTH`` codes (``CODE_SPACE``). Guessing is slowed further by the join limits
(``JOIN_LIMITS``): a browser that has tried ``n`` codes in a window may try no more.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

CODE_ALPHABET = "ACEFHJKMNPRTWXY34679"
"""Characters of a room code: 20, none of which looks like another."""
CODE_LENGTH = 6
CODE_SPACE = len(CODE_ALPHABET) ** CODE_LENGTH
"""How many room codes there are: 20⁶ = 64,000,000."""

NICKNAME_MAX = 16
"""Most characters in a nickname, after cleaning."""

TOKEN_BYTES = 32
"""A teacher's or a student's token: 32 random bytes (256 bits), URL-safe base64."""


@dataclass(frozen=True)
class RoomLimits:
    """What one room may hold: students, drawings (in all, and from one student), questions; how long it lives
    (seconds); the largest network the teacher may share with the class (bytes of its checkpoint)."""

    students: int = 200
    drawings: int = 2000
    drawings_per_student: int = 100
    questions: int = 200
    lifetime_s: float = 12 * 3600.0
    model_bytes: int = 16 * 1024 * 1024


@dataclass(frozen=True)
class RateLimit:
    """At most ``attempts`` within any ``window_s`` seconds."""

    attempts: int
    window_s: float


JOIN_LIMITS = {"browser": RateLimit(attempts=10, window_s=60.0), "server": RateLimit(attempts=600, window_s=60.0)}
"""Join attempts (right or wrong code) allowed per browser and per server: ten codes a minute from one browser, and
the whole server (every replica sharing the database) six hundred a minute, enough for a lecture hall joining at
once and far too few to find a room of ``CODE_SPACE`` by guessing."""


def new_code(draw: Sequence[int] | None = None) -> str:
    """A fresh room code: ``CODE_LENGTH`` characters of ``CODE_ALPHABET``, from the operating system's random source
    (or from ``draw``, indices into the alphabet, for tests)."""
    indices = draw if draw is not None else [secrets.randbelow(len(CODE_ALPHABET)) for _ in range(CODE_LENGTH)]
    return "".join(CODE_ALPHABET[i] for i in indices)


def read_code(text: object) -> str | None:
    """The room code a student typed or a link carried, or None when it cannot be one: case, spaces and dashes do
    not matter; full-width characters (a Chinese keyboard's) are read as their ASCII forms; anything else, or a
    wrong length, is not a code."""
    if not isinstance(text, str) or len(text) > 4 * CODE_LENGTH:
        return None
    code = re.sub(r"[\s\-_]", "", unicodedata.normalize("NFKC", text)).upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def clean_nickname(text: object) -> str | None:
    """A nickname fit to show on a projector (``shown_text``, at most ``NICKNAME_MAX`` characters), or None for none.
    A nickname is only shown, never part of a query's text."""
    if not isinstance(text, str):
        return None
    return shown_text(text, NICKNAME_MAX) or None


def shown_text(text: str, limit: int) -> str:
    """``text`` fit to show on a projector: Unicode-normalised (NFKC), letters, digits, marks, spaces and ``-_.'``
    kept and everything else (controls, symbols, markup, emoji) dropped, runs of spaces made one, at most ``limit``
    characters ("" when nothing is left)."""
    text = unicodedata.normalize("NFKC", text[:10 * limit])
    kept = "".join(ch if unicodedata.category(ch)[0] in "LNM" or ch in "-_.'" else " " for ch in text)
    return " ".join(kept.split())[:limit].strip()


def new_token() -> str:
    """A secret token for a teacher or a browser (``TOKEN_BYTES`` random bytes)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the database keeps of a token: its SHA-256 in hex, so that a copy of the database runs no room."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def within_limit(times: Sequence[float], now: float, limit: RateLimit) -> bool:
    """Whether one more attempt at ``now`` is allowed, given the times of the earlier ones: fewer than
    ``limit.attempts`` of them in the last ``limit.window_s`` seconds."""
    return sum(now - limit.window_s < t <= now for t in times) < limit.attempts


ANSWER_TEXT_MAX = 40
"""Longest answer text a student may send (a number, or an option's number)."""


@dataclass(frozen=True)
class ClassQuestion:
    """A question the teacher asks the class: a number (``answer``, right within ``rel_tol``) or a choice among
    ``options`` (``answer``: the right option's index). ``source`` says where its text comes from: a lesson's quiz
    (``"<lesson>:<part>:<seed>"``, drawn in each student's own language) or ``""`` for the teacher's own ``prompt``."""

    kind: str  # "number" or "choice"
    answer: float
    prompt: str = ""
    options: tuple[str, ...] = ()
    rel_tol: float = 1e-9
    source: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("number", "choice"):
            raise ValueError(f"a question is a number or a choice, not {self.kind!r}")
        if self.kind == "choice" and not (2 <= len(self.options) <= 8 and float(self.answer).is_integer()
                                          and 0 <= self.answer < len(self.options)):
            raise ValueError("a choice has 2 to 8 options and the right one among them")


def read_answer(question: ClassQuestion, text: object) -> float | None:
    """A student's answer as the question takes it, or None when it cannot be one: a finite number (a decimal comma
    and full-width digits are read too) for a number; an option's index for a choice."""
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        return None
    raw = unicodedata.normalize("NFKC", str(text)).strip().replace(",", ".")
    if not raw or len(raw) > ANSWER_TEXT_MAX:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    if question.kind == "choice" and not (value.is_integer() and 0 <= value < len(question.options)):
        return None
    return value


def is_right(question: ClassQuestion, value: float) -> bool:
    """Whether ``value`` (``read_answer``'s) is the right answer: within ``rel_tol`` for a number (and 1e-12
    absolutely, for an answer of 0), the same option for a choice."""
    if question.kind == "choice":
        return value == question.answer
    return abs(value - question.answer) <= max(question.rel_tol * max(abs(value), abs(question.answer)), 1e-12)


def spread(question: ClassQuestion, values: Sequence[float]) -> list[tuple[str, int]]:
    """How the class answered, for the projector: each option and how many chose it, in the options' order, for a
    choice; each distinct number and how many gave it, smallest first, for a number (answers to a lesson's quiz are
    few distinct integers)."""
    if question.kind == "choice":
        return [(option, sum(v == n for v in values)) for n, option in enumerate(question.options)]
    counts: dict[float, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return [(f"{v:g}", counts[v]) for v in sorted(counts)]
