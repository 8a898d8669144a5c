"""``store.rooms`` on a real database, SQLite and PostgreSQL (a fresh one per test): opening, joining, following,
closing and expiring rooms, and what a stranger, a guesser or a flood cannot do."""

import pytest
from sqlalchemy import func, select

from core.classroom import CODE_ALPHABET, JOIN_LIMITS, RoomLimits, new_token, read_code, token_hash
from store import rooms as R
from store.db import SCHEMA_VERSION, SchemaMismatch, connect, join_attempts, members, schema_version
from store.db import rooms as rooms_table

T0 = 1_000_000.0


def count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def test_a_new_database_gets_this_schema_and_another_version_is_refused(database_url):
    url = database_url
    engine = connect(url)
    with engine.connect() as conn:
        assert conn.execute(select(schema_version.c.version)).scalars().all() == [SCHEMA_VERSION]
    connect(url).dispose()  # opened again: same version, accepted
    with engine.begin() as conn:
        conn.execute(schema_version.update().values(version=SCHEMA_VERSION + 1))
    engine.dispose()
    with pytest.raises(SchemaMismatch):
        connect(url)


def test_a_teacher_opens_a_room_and_students_join_it(engine):
    teacher = new_token()
    code = R.open_room(engine, teacher, T0)
    assert read_code(code) == code
    assert R.is_teacher(engine, code, teacher, T0) and not R.is_teacher(engine, code, new_token(), T0)
    ann, bob = new_token(), new_token()
    joined = R.join(engine, code.lower(), ann, "  Ann ", T0 + 1)
    assert joined == R.Joined(R.room(engine, code, T0 + 1), "Ann") and joined.room.students == 1
    assert R.join(engine, f"{code[:3]} {code[3:]}", bob, None, T0 + 2).room.students == 2
    assert R.join(engine, code, ann, "Annie", T0 + 3).room.students == 2  # again, renamed: still two
    assert R.is_member(engine, code, ann, T0 + 3) and not R.is_member(engine, code, new_token(), T0 + 3)
    R.leave(engine, code, bob)
    assert R.room(engine, code, T0 + 4).students == 1


def test_tokens_are_not_kept(engine):
    teacher, student = new_token(), new_token()
    code = R.open_room(engine, teacher, T0)
    R.join(engine, code, student, "x", T0)
    with engine.connect() as conn:
        kept = [*conn.execute(select(rooms_table)).all(), *conn.execute(select(members)).all()]
    text = repr(kept)
    assert teacher not in text and student not in text
    assert token_hash(teacher) in text and token_hash(student) in text


def test_wrong_codes_and_unknown_rooms_are_refused(engine):
    code = R.open_room(engine, new_token(), T0)
    other = next(c for c in CODE_ALPHABET if c != code[0]) + code[1:]
    assert R.join(engine, other, new_token(), None, T0) == R.Refused("no_such_room")
    assert R.join(engine, "hello", new_token(), None, T0) == R.Refused("not_a_code")
    assert R.join(engine, {"code": code}, new_token(), None, T0) == R.Refused("not_a_code")


def test_only_the_teacher_token_runs_the_room(engine):
    teacher, stranger = new_token(), new_token()
    code = R.open_room(engine, teacher, T0)
    R.join(engine, code, stranger, "s", T0)
    assert not R.send_class_to(engine, code, stranger, "/pooling?part=steps", T0)
    assert not R.close_room(engine, code, stranger)
    assert R.room(engine, code, T0).follow_link is None
    assert R.send_class_to(engine, code, teacher, "/pooling?part=steps&lang=zh", T0 + 5)
    shown = R.room(engine, code, T0 + 6)
    assert (shown.follow_link, shown.follow_at) == ("/pooling?part=steps&lang=zh", T0 + 5)


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "pooling",
                                  "/" + "a" * R.LINK_MAX, "/x\ny", None])
def test_the_class_is_only_sent_to_a_path_of_this_app(engine, link):
    teacher = new_token()
    code = R.open_room(engine, teacher, T0)
    assert not R.send_class_to(engine, code, teacher, link, T0)


def test_closing_a_room_deletes_everything_it_held(engine):
    teacher = new_token()
    code, kept = R.open_room(engine, teacher, T0), R.open_room(engine, new_token(), T0)
    for n in range(5):
        R.join(engine, code, new_token(), f"s{n}", T0)
    R.join(engine, kept, new_token(), "other room", T0)
    assert R.close_room(engine, code, teacher)
    assert R.room(engine, code, T0) is None
    assert count(engine, members, members.c.room == code) == 0 and count(engine, rooms_table) == 1
    assert count(engine, members) == 1  # the other room is untouched
    assert not R.close_room(engine, code, teacher)  # closed once


def test_a_room_ends_when_its_time_is_up(engine):
    limits = RoomLimits(lifetime_s=3600)
    code = R.open_room(engine, new_token(), T0, limits)
    student = new_token()
    R.join(engine, code, student, None, T0 + 10)
    assert R.room(engine, code, T0 + 3599) is not None
    assert R.room(engine, code, T0 + 3600) is None and not R.is_member(engine, code, student, T0 + 3600)
    assert R.join(engine, code, new_token(), None, T0 + 3601) == R.Refused("no_such_room")
    assert R.expire_rooms(engine, T0 + 3600) == 1
    assert count(engine, rooms_table) == count(engine, members) == 0


def test_opening_a_room_deletes_the_rooms_whose_time_is_up(engine):
    old = R.open_room(engine, new_token(), T0, RoomLimits(lifetime_s=60))
    R.join(engine, old, new_token(), "left behind", T0)
    R.open_room(engine, new_token(), T0 + 61)
    with engine.connect() as conn:
        assert conn.execute(select(rooms_table.c.code)).scalars().all() != [] and \
            old not in conn.execute(select(rooms_table.c.code)).scalars().all()
    assert count(engine, members) == 0


def test_a_full_room_takes_no_one_more_but_lets_its_students_back(engine):
    limits = RoomLimits(students=3)
    code = R.open_room(engine, new_token(), T0, limits)
    students = [new_token() for _ in range(3)]
    for s in students:
        assert isinstance(R.join(engine, code, s, None, T0, limits), R.Joined)
    assert R.join(engine, code, new_token(), None, T0, limits) == R.Refused("room_full")
    assert isinstance(R.join(engine, code, students[0], "back", T0, limits), R.Joined)


def test_a_browser_guessing_codes_is_stopped_and_may_try_again_later(engine):
    code = R.open_room(engine, new_token(), T0)
    guesser = new_token()
    wrong = [c + code[1:] for c in CODE_ALPHABET if c != code[0]]
    limit = JOIN_LIMITS["browser"]
    answers = [R.join(engine, guess, guesser, None, T0 + n * 0.1) for n, guess in enumerate(wrong[:limit.attempts])]
    assert answers == [R.Refused("no_such_room")] * limit.attempts
    assert R.join(engine, code, guesser, None, T0 + 2) == R.Refused("too_many_tries")  # even the right code
    assert isinstance(R.join(engine, code, new_token(), None, T0 + 2), R.Joined)  # another browser is not held up
    assert isinstance(R.join(engine, code, guesser, None, T0 + limit.window_s + 3), R.Joined)


def test_the_whole_server_takes_a_bounded_number_of_tries_a_minute(engine):
    code = R.open_room(engine, new_token(), T0)
    limit = JOIN_LIMITS["server"]
    with engine.begin() as conn:  # a flood from many browsers, already recorded
        conn.execute(join_attempts.insert(), [{"browser": token_hash(str(n)), "at": T0} for n in range(limit.attempts)])
    assert R.join(engine, code, new_token(), None, T0 + 1) == R.Refused("too_many_tries")
    assert isinstance(R.join(engine, code, new_token(), None, T0 + limit.window_s + 1), R.Joined)
    assert R.expire_rooms(engine, T0 + 2 * limit.window_s + 2) == 0
    assert count(engine, join_attempts) == 0  # old tries are forgotten


@pytest.mark.parametrize("nickname", ["Robert'); DROP TABLE members;--", "' OR 1=1 --", "%s%s%s", "\x00\x1b[31m",
                                      "<script>alert(1)</script>", "李雷" * 50])
def test_hostile_nicknames_are_cleaned_and_stored_as_values(engine, nickname):
    code = R.open_room(engine, new_token(), T0)
    joined = R.join(engine, code, new_token(), nickname, T0)
    assert isinstance(joined, R.Joined) and count(engine, members) == 1
    with engine.connect() as conn:
        assert conn.execute(select(members.c.nickname)).scalar_one() == joined.nickname
    assert joined.nickname is None or not set(joined.nickname) & set("<>;%\x00\x1b()")
