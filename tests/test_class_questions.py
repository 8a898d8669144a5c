"""``store.questions`` on a real database (SQLite and PostgreSQL): the teacher asks, students answer, the projector
counts without names, the reveal judges; strangers, outsiders, late or malformed answers and floods are refused."""

import pytest
from sqlalchemy import func, select

from core.classroom import ClassQuestion, RoomLimits, new_token
from store import questions as Q
from store import rooms as R
from store.db import SCHEMA_VERSION, answers, connect, questions, schema_version
from tests.helpers.classroom import room_of

T0 = 2_000_000.0
CHOICE = ClassQuestion("choice", 2, "Which pooling keeps the largest value?", ("avg", "min", "max"))
NUMBER = ClassQuestion("number", 12.0, source="pooling:quiz:7")


@pytest.fixture
def room(engine):
    return room_of(engine, 4, T0)


def test_a_class_answers_and_the_projector_counts(engine, room):
    code, teacher, (ann, bob, cat, dan) = room
    asked = Q.ask(engine, code, teacher, CHOICE, T0 + 1)
    assert Q.latest(engine, code) == Q.Asked(asked, CHOICE, T0 + 1, None)
    assert Q.answer(engine, asked, ann, "2", T0 + 2) == 2.0
    assert Q.answer(engine, asked, bob, "0", T0 + 2) == 0.0
    assert Q.answer(engine, asked, cat, "2", T0 + 2) == 2.0
    assert Q.tally(engine, asked) == Q.Tally(3, [("avg", 1), ("min", 0), ("max", 2)], None)  # no judgement yet
    assert Q.answer(engine, asked, bob, "2", T0 + 3) == 2.0  # changed their mind: still one answer each
    assert Q.tally(engine, asked) == Q.Tally(3, [("avg", 0), ("min", 0), ("max", 3)], None)
    assert Q.reveal(engine, code, teacher, asked, T0 + 4)
    assert Q.tally(engine, asked).right == 3
    assert Q.answer(engine, asked, dan, "2", T0 + 5) == "already_revealed"
    assert Q.my_answer(engine, asked, bob) == 2.0 and Q.my_answer(engine, asked, dan) is None


def test_number_questions_count_each_number_and_judge_within_tolerance(engine, room):
    code, teacher, students = room
    asked = Q.ask(engine, code, teacher, NUMBER, T0)
    for s, text in zip(students, ["12", "12.0", "11", "１２"], strict=True):
        Q.answer(engine, asked, s, text, T0)
    Q.reveal(engine, code, teacher, asked, T0 + 1)
    assert Q.tally(engine, asked) == Q.Tally(4, [("11", 1), ("12", 3)], 3)
    assert Q.latest(engine, code).question.source == "pooling:quiz:7"


def test_the_projector_never_learns_who_answered(engine, room):
    code, teacher, students = room
    asked = Q.ask(engine, code, teacher, CHOICE, T0)
    Q.answer(engine, asked, students[0], "1", T0)
    assert all(students[0] not in repr(part) for part in Q.tally(engine, asked).__dict__.values())


def test_only_the_teacher_asks_and_reveals(engine, room):
    code, teacher, students = room
    assert Q.ask(engine, code, students[0], CHOICE, T0) is None
    asked = Q.ask(engine, code, teacher, CHOICE, T0)
    assert not Q.reveal(engine, code, students[0], asked, T0)
    other_room = R.open_room(engine, other_teacher := new_token(), T0)
    assert not Q.reveal(engine, other_room, other_teacher, asked, T0)  # another room's teacher
    assert Q.latest(engine, code).revealed_at is None


def test_only_the_rooms_students_answer_and_only_answers_count(engine, room):
    code, teacher, students = room
    asked = Q.ask(engine, code, teacher, CHOICE, T0)
    assert Q.answer(engine, asked, new_token(), "2", T0) == "not_in_the_room"
    assert Q.answer(engine, asked + 1, students[0], "2", T0) == "no_such_question"
    for text in ("3", "-1", "max", "", None, "1" * 100, "2; DROP TABLE answers"):
        assert Q.answer(engine, asked, students[0], text, T0) == "not_an_answer"
    assert Q.tally(engine, asked).answered == 0


def test_a_room_asks_a_bounded_number_of_questions(engine):
    teacher = new_token()
    code = R.open_room(engine, teacher, T0)
    limits = RoomLimits(questions=3)
    assert all(Q.ask(engine, code, teacher, NUMBER, T0, limits) is not None for _ in range(3))
    assert Q.ask(engine, code, teacher, NUMBER, T0, limits) is None


def test_questions_and_answers_go_with_their_room(engine, room):
    code, teacher, students = room
    asked = Q.ask(engine, code, teacher, CHOICE, T0)
    Q.answer(engine, asked, students[0], "2", T0)
    R.close_room(engine, code, teacher)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(questions)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(answers)).scalar_one() == 0
    assert Q.answer(engine, asked, students[0], "2", T0) == "no_such_question"


def test_a_version_1_database_is_brought_up_to_date(database_url):
    url = database_url
    engine = connect(url)
    with engine.begin() as conn:  # as version 1 left it: no questions, no answers
        answers.drop(conn)
        questions.drop(conn)
        conn.execute(schema_version.update().values(version=1))
    engine.dispose()
    engine = connect(url)
    with engine.connect() as conn:
        assert conn.execute(select(schema_version.c.version)).scalars().all() == [SCHEMA_VERSION]
    code = R.open_room(engine, teacher := new_token(), T0)
    assert Q.ask(engine, code, teacher, CHOICE, T0) is not None
    engine.dispose()
