"""Live questions in a room: the teacher asks (``core.classroom.ClassQuestion``), each student in the room answers
once (a new answer replaces their last, until the teacher reveals), the projector counts the answers and their
spread (no names), the teacher reveals the right answer and each student sees their own result.

Every function takes the engine and ``now``; only the room's teacher token may ask or reveal, only a member of the
room may answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine, func, insert, select, update

from core.classroom import ClassQuestion, RoomLimits, is_right, read_answer, spread, token_hash
from store.db import answers, members, questions, rooms
from store.rooms import hold_room, runs_room, teachers_room

DEFAULT_LIMITS = RoomLimits()

AnswerRefusal = Literal["not_in_the_room", "no_such_question", "already_revealed", "not_an_answer"]
"""Why an answer was refused: the browser is not in the question's room; the room has no such question (or has
ended); the teacher has revealed the answer; the text is not an answer to this question."""


@dataclass(frozen=True)
class Asked:
    """A question as the room holds it."""

    id: int
    question: ClassQuestion
    asked_at: float
    revealed_at: float | None


@dataclass(frozen=True)
class Tally:
    """What the projector shows: how many answered, the spread of their answers (``core.classroom.spread``), and once
    revealed, how many were right."""

    answered: int
    spread: list[tuple[str, int]]
    right: int | None


def ask(engine: Engine, code: str, teacher_token: str, question: ClassQuestion, now: float,
        limits: RoomLimits = DEFAULT_LIMITS) -> int | None:
    """The teacher of room ``code`` asks ``question``; its id, or None when the token does not run the open room or
    the room has asked its most questions."""
    with engine.begin() as conn:
        hold_room(conn, code)  # the cap and the insert in one go
        if not runs_room(conn, code, teacher_token, now):
            return None
        asked = conn.execute(select(func.count()).select_from(questions).where(questions.c.room == code)).scalar_one()
        if asked >= limits.questions:
            return None
        return conn.execute(insert(questions).values(
            room=code, kind=question.kind, prompt=question.prompt, options=json.dumps(list(question.options)),
            answer=question.answer, rel_tol=question.rel_tol, source=question.source, asked_at=now,
        )).inserted_primary_key[0]


def latest(engine: Engine, code: str) -> Asked | None:
    """The room's latest question, or None."""
    with engine.connect() as conn:
        row = conn.execute(select(questions).where(questions.c.room == code)
                           .order_by(questions.c.id.desc()).limit(1)).first()
    return None if row is None else _asked(row)


def answer(engine: Engine, question_id: int, browser_token: str, text: object, now: float) -> float | AnswerRefusal:
    """The browser holding ``browser_token`` answers question ``question_id`` with ``text``; the value taken, or why
    it was refused."""
    student = token_hash(browser_token)
    with engine.begin() as conn:
        room = conn.execute(select(questions.c.room).where(questions.c.id == question_id)).scalar()
        if room is None:
            return "no_such_question"
        hold_room(conn, room)  # one answer a browser, even from two tabs at once
        row = conn.execute(select(questions).join(rooms, rooms.c.code == questions.c.room)
                           .where(questions.c.id == question_id, rooms.c.expires_at > now)).first()
        if row is None:
            return "no_such_question"
        if conn.execute(select(members.c.student).where(members.c.room == row.room,
                                                        members.c.student == student)).first() is None:
            return "not_in_the_room"
        if row.revealed_at is not None:
            return "already_revealed"
        value = read_answer(_asked(row).question, text)
        if value is None:
            return "not_an_answer"
        done = conn.execute(update(answers).where(answers.c.question == question_id, answers.c.student == student)
                            .values(value=value, at=now))
        if done.rowcount == 0:
            conn.execute(insert(answers).values(question=question_id, student=student, value=value, at=now))
    return value


def tally(engine: Engine, question_id: int) -> Tally:
    """The answers to question ``question_id`` so far, without who gave them."""
    with engine.connect() as conn:
        row = conn.execute(select(questions).where(questions.c.id == question_id)).first()
        values = conn.execute(select(answers.c.value).where(answers.c.question == question_id)).scalars().all()
    if row is None:
        return Tally(0, [], None)
    asked = _asked(row)
    right = sum(is_right(asked.question, v) for v in values) if asked.revealed_at is not None else None
    return Tally(len(values), spread(asked.question, values), right)


def reveal(engine: Engine, code: str, teacher_token: str, question_id: int, now: float) -> bool:
    """The teacher of room ``code`` reveals the answer to its question ``question_id``; answers close."""
    with engine.begin() as conn:
        ours = conn.execute(select(questions.c.id).join(rooms, rooms.c.code == questions.c.room).where(
            questions.c.id == question_id, teachers_room(code, teacher_token, now))).first()
        if ours is None:
            return False
        conn.execute(update(questions).where(questions.c.id == question_id, questions.c.revealed_at.is_(None))
                     .values(revealed_at=now))
    return True


def my_answer(engine: Engine, question_id: int, browser_token: str) -> float | None:
    """What this browser answered to question ``question_id``, if it did."""
    with engine.connect() as conn:
        return conn.execute(select(answers.c.value).where(answers.c.question == question_id,
                                                          answers.c.student == token_hash(browser_token))).scalar()


def _asked(row) -> Asked:
    question = ClassQuestion(kind=row.kind, answer=row.answer, prompt=row.prompt,
                             options=tuple(json.loads(row.options)), rel_tol=row.rel_tol, source=row.source)
    return Asked(row.id, question, row.asked_at, row.revealed_at)
