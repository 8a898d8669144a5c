"""The classroom's caps under students acting at the same moment, on SQLite and PostgreSQL: a room with one place
left takes one of many students joining at once, and one browser answering from two tabs at once keeps one answer
(``store.rooms.hold_room``)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from core.class_drawings import DIGIT_LABELS, STORED_BYTES
from core.classroom import ClassQuestion, RoomLimits, new_token
from store import drawings as D
from store import questions as Q
from store import rooms as R
from store.db import answers, connect

T0 = 4_000_000.0
AT_ONCE = 8


def at_once(work, n: int = AT_ONCE) -> list:
    """``work(i)`` in ``n`` threads released together; their results (an exception counts as a result)."""
    start, results = threading.Barrier(n), [None] * n

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except Exception as error:  # the test reports it as a result
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_students_joining_at_once_never_overfill_a_room(database_url):
    engine = connect(database_url)
    limits = RoomLimits(students=3)
    code = R.open_room(engine, new_token(), T0)
    for _ in range(2):
        R.join(engine, code, new_token(), None, T0, limits)
    results = at_once(lambda i: R.join(engine, code, new_token(), None, T0, limits))
    assert sum(isinstance(r, R.Joined) for r in results) == 1, results
    assert all(isinstance(r, (R.Joined, R.Refused)) for r in results), results
    assert R.room(engine, code, T0).students == 3
    engine.dispose()


def test_one_browser_answering_from_two_tabs_at_once_keeps_one_answer(database_url):
    engine = connect(database_url)
    teacher, ann = new_token(), new_token()
    code = R.open_room(engine, teacher, T0)
    R.join(engine, code, ann, None, T0)
    asked = Q.ask(engine, code, teacher, ClassQuestion("number", 4.0), T0)
    results = at_once(lambda i: Q.answer(engine, asked, ann, str(i), T0))
    assert sorted(results) == [float(i) for i in range(AT_ONCE)], results
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(answers)).scalar_one() == 1
    engine.dispose()


def test_drawings_sent_at_once_stop_at_the_rooms_cap(database_url):
    engine = connect(database_url)
    limits = RoomLimits(drawings=5)
    teacher = new_token()
    code = R.open_room(engine, teacher, T0)
    students = [new_token() for _ in range(AT_ONCE)]
    for s in students:
        R.join(engine, code, s, None, T0)
    D.call_for_drawings(engine, code, teacher, DIGIT_LABELS, T0)
    results = at_once(lambda i: D.add_drawing(engine, code, students[i], 1, bytes(STORED_BYTES), T0, limits=limits))
    assert sorted(map(str, results)).count("room_full") == AT_ONCE - 5, results
    assert sum(D.counts(engine, code, 10)) == 5
    engine.dispose()
