"""Rooms in the database, by ``core.classroom``'s rules: a teacher opens one and holds its token; students join by
its code from any browser, under a nickname or none; the teacher sends the class a view; the room closes when the
teacher ends it or when its time is up, and closing deletes everything it held.

Every function takes the engine (``store.db.connect``) and the time ``now`` (seconds, ``time.time()``), so that tests
set the clock. Tokens are kept only as their hashes (``core.classroom.token_hash``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement, Engine, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from core.classroom import JOIN_LIMITS, RoomLimits, clean_nickname, new_code, read_code, token_hash, within_limit
from store.db import answers, class_models, drawing_calls, drawings, join_attempts, members, questions, rooms

DEFAULT_LIMITS = RoomLimits()

LINK_MAX = 2000
"""Longest view a teacher may send the class (the app's own links are far shorter)."""

Refusal = Literal["not_a_code", "no_such_room", "room_full", "too_many_tries"]
"""Why a join was refused: the text cannot be a code; no open room has it; the room has its most students; this
browser (or the whole server) has tried too many codes of late."""


@dataclass(frozen=True)
class Room:
    """What anyone in a room may know of it."""

    code: str
    created_at: float
    expires_at: float
    students: int
    follow_link: str | None
    follow_at: float | None


@dataclass(frozen=True)
class Joined:
    room: Room
    nickname: str | None


@dataclass(frozen=True)
class Refused:
    reason: Refusal


def open_room(engine: Engine, teacher_token: str, now: float, limits: RoomLimits = DEFAULT_LIMITS) -> str:
    """Open a room for the holder of ``teacher_token``, with a fresh code; returns the code. Rooms whose time is up
    are deleted first (``expire_rooms``), so a server forgets them without a task of its own."""
    expire_rooms(engine, now)
    for _ in range(20):  # a code already taken (one chance in millions per open room) is drawn again
        code = new_code()
        try:
            with engine.begin() as conn:
                conn.execute(insert(rooms).values(code=code, teacher=token_hash(teacher_token), created_at=now,
                                                  expires_at=now + limits.lifetime_s))
            return code
        except IntegrityError:
            continue
    raise RuntimeError("no free room code after 20 draws")


def room(engine: Engine, code: str, now: float) -> Room | None:
    """The open room ``code``, or None (no such room, or its time is up)."""
    with engine.connect() as conn:
        return _room(conn, code, now)


def _room(conn, code: str, now: float) -> Room | None:
    row = conn.execute(select(rooms).where(rooms.c.code == code, rooms.c.expires_at > now)).first()
    if row is None:
        return None
    students = conn.execute(select(func.count()).select_from(members).where(members.c.room == code)).scalar_one()
    return Room(row.code, row.created_at, row.expires_at, students, row.follow_link, row.follow_at)


def teachers_room(code: str, teacher_token: str, now: float | None) -> ColumnElement[bool]:
    """The condition on ``rooms`` every teacher's action checks: room ``code``, run by ``teacher_token`` (compared as
    its hash) and, unless ``now`` is None, still open at ``now``."""
    condition = and_(rooms.c.code == code, rooms.c.teacher == token_hash(teacher_token))
    return condition if now is None else and_(condition, rooms.c.expires_at > now)


def runs_room(conn, code: str, teacher_token: str, now: float | None) -> bool:
    """Whether ``teacher_token`` runs room ``code`` (open at ``now``, unless it is None), in the transaction
    ``conn``."""
    return conn.execute(select(rooms.c.code).where(teachers_room(code, teacher_token, now))).first() is not None


def is_teacher(engine: Engine, code: str, teacher_token: str, now: float) -> bool:
    """Whether ``teacher_token`` runs the open room ``code``."""
    with engine.connect() as conn:
        return runs_room(conn, code, teacher_token, now)


def join(engine: Engine, typed: object, browser_token: str, nickname: object, now: float,
         limits: RoomLimits = DEFAULT_LIMITS) -> Joined | Refused:
    """The browser holding ``browser_token`` joins the room whose code was ``typed``, under ``nickname`` (cleaned;
    none if nothing is left). Every try counts against ``JOIN_LIMITS`` first, right code or wrong, so that codes
    cannot be guessed faster than the limits allow. Joining again (another nickname, the same browser) is allowed."""
    browser = token_hash(browser_token)
    with engine.begin() as conn:
        oldest = now - max(limit.window_s for limit in JOIN_LIMITS.values())
        mine = conn.execute(select(join_attempts.c.at).where(join_attempts.c.browser == browser,
                                                             join_attempts.c.at > oldest)).scalars().all()
        everyone = conn.execute(select(join_attempts.c.at).where(join_attempts.c.at > oldest)).scalars().all()
        conn.execute(insert(join_attempts).values(browser=browser, at=now))
    if not (within_limit(mine, now, JOIN_LIMITS["browser"]) and within_limit(everyone, now, JOIN_LIMITS["server"])):
        return Refused("too_many_tries")
    code = read_code(typed)
    if code is None:
        return Refused("not_a_code")
    found = room(engine, code, now)
    if found is None:
        return Refused("no_such_room")
    name = clean_nickname(nickname)
    with engine.begin() as conn:
        hold_room(conn, code)
        found = _room(conn, code, now) or found
        here = conn.execute(select(members.c.student).where(members.c.room == code,
                                                            members.c.student == browser)).first()
        if here is not None:
            conn.execute(update(members).where(members.c.room == code, members.c.student == browser)
                         .values(nickname=name))
        elif found.students >= limits.students:
            return Refused("room_full")
        else:
            conn.execute(insert(members).values(room=code, student=browser, nickname=name, joined_at=now))
    return Joined(room(engine, code, now) or found, name)


def hold_room(conn, code: str) -> None:
    """Take room ``code``'s lock for the rest of the transaction, before its checks: an update of the room's row
    that changes nothing, which PostgreSQL answers with the row's lock and SQLite with the database's write lock. A
    check of a cap and the insert after it then happen in one go, so two students at the same moment cannot both
    pass a cap with one place left, nor one browser answer twice from two tabs."""
    conn.execute(update(rooms).where(rooms.c.code == code).values(code=rooms.c.code))


def is_member(engine: Engine, code: str, browser_token: str, now: float) -> bool:
    """Whether the browser holding ``browser_token`` is in the open room ``code``."""
    with engine.connect() as conn:
        return conn.execute(
            select(members.c.room).join(rooms, rooms.c.code == members.c.room)
            .where(members.c.room == code, members.c.student == token_hash(browser_token), rooms.c.expires_at > now)
        ).first() is not None


def leave(engine: Engine, code: str, browser_token: str) -> None:
    """The browser holding ``browser_token`` leaves room ``code`` (nothing happens if it was not in it)."""
    with engine.begin() as conn:
        conn.execute(delete(members).where(members.c.room == code, members.c.student == token_hash(browser_token)))


def send_class_to(engine: Engine, code: str, teacher_token: str, link: str, now: float) -> bool:
    """The teacher of room ``code`` sends the class to ``link``, a path of this app (``/lesson?...``); False when
    ``teacher_token`` does not run the room or the link is not such a path."""
    if not (isinstance(link, str) and link.startswith("/") and not link.startswith("//") and len(link) <= LINK_MAX
            and link.isprintable()):
        return False
    with engine.begin() as conn:
        done = conn.execute(update(rooms).where(teachers_room(code, teacher_token, now))
                            .values(follow_link=link, follow_at=now))
    return done.rowcount == 1


def close_room(engine: Engine, code: str, teacher_token: str) -> bool:
    """The teacher ends room ``code``: the room and everything it held are deleted. False (nothing deleted) when
    ``teacher_token`` does not run it."""
    with engine.begin() as conn:
        if not runs_room(conn, code, teacher_token, None):  # an expired room too: its teacher may end it
            return False
        _delete_rooms(conn, rooms.c.code == code)
    return True


def expire_rooms(engine: Engine, now: float) -> int:
    """Delete every room whose time is up, with all it held, and join attempts older than any limit's window;
    returns how many rooms were deleted."""
    with engine.begin() as conn:
        gone = _delete_rooms(conn, rooms.c.expires_at <= now)
        oldest = now - max(limit.window_s for limit in JOIN_LIMITS.values())
        conn.execute(delete(join_attempts).where(join_attempts.c.at <= oldest))
    return gone


def _delete_rooms(conn, which) -> int:
    """Delete the rooms ``which`` selects and what they hold (explicitly, not only by the foreign keys' cascade, so
    that a database without enforced foreign keys forgets as much)."""
    codes = select(rooms.c.code).where(which)
    asked = select(questions.c.id).where(questions.c.room.in_(codes))
    conn.execute(delete(answers).where(answers.c.question.in_(asked)))
    conn.execute(delete(questions).where(questions.c.room.in_(codes)))
    for table in (drawings, drawing_calls, class_models):
        conn.execute(delete(table).where(table.c.room.in_(codes)))
    conn.execute(delete(members).where(members.c.room.in_(codes)))
    return conn.execute(delete(rooms).where(which)).rowcount
