"""A data set the class draws, in the database: the teacher calls for drawings of some labels (the digits, or
classes the teacher names); each student in the room sends drawings with a label; the projector counts them per label
and shows them (never whose they are), and the teacher may remove any; the teacher trains a network on them and
shares it with the room; students test it on new drawings, and the projector shows how many it read right.

Every function takes the engine and, where time matters, ``now``; only the room's teacher token calls for drawings,
sees them, removes them and shares a network; only a member of the room sends drawings. A new call with other labels
starts the data set afresh.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine, case, delete, func, insert, select, update

from core.class_drawings import LABELS_MAX, LABELS_MIN, STORED_BYTES, ClassDrawing
from core.classroom import RoomLimits, token_hash
from store.db import class_models, drawing_calls, drawings, members, rooms
from store.rooms import hold_room, runs_room

DEFAULT_LIMITS = RoomLimits()

Purpose = Literal["train", "test"]
"""A drawing for the class's data set, or one that tests the class's network."""

DrawingRefusal = Literal["not_in_the_room", "no_call", "not_a_label", "not_a_picture", "room_full", "too_many",
                         "no_model"]
"""Why a drawing was refused: the browser is not in the (open) room; the teacher has not called for drawings; the
label is not one of the call's; the picture is not a kept drawing's size; the room holds its most drawings; this
student has sent their most; a test drawing while the class has no network to test."""


@dataclass(frozen=True)
class Call:
    """The teacher's call for drawings: the labels asked for, and when."""

    labels: tuple[str, ...]
    called_at: float


@dataclass(frozen=True)
class Kept:
    """A drawing as the teacher's gallery shows it: no owner."""

    id: int
    label: int
    pixels: bytes


@dataclass(frozen=True)
class SharedModel:
    """The network the teacher shared: its checkpoint, its classes, how drawings are prepared for it, and when."""

    checkpoint: bytes
    labels: tuple[str, ...]
    preparation: str
    shared_at: float


@dataclass(frozen=True)
class Score:
    """How the class's network did on the class's test drawings: how many, how many right, and per label
    (``(tested, right)``, in the labels' order)."""

    tested: int
    right: int
    per_label: list[tuple[int, int]]


def call_for_drawings(engine: Engine, code: str, teacher_token: str, labels: tuple[str, ...], now: float) -> bool:
    """The teacher of room ``code`` asks the class for drawings of ``labels`` (``LABELS_MIN`` to ``LABELS_MAX``,
    each given once). The same labels again keep what was drawn; other labels delete the drawings and the shared
    network first. False when the token does not run the open room or the labels do not fit."""
    labels = tuple(labels)
    if not LABELS_MIN <= len(labels) <= LABELS_MAX or len(set(labels)) != len(labels):
        return False
    with engine.begin() as conn:
        hold_room(conn, code)  # no drawing of the old labels slips in while they are deleted
        if not runs_room(conn, code, teacher_token, now):
            return False
        before = conn.execute(select(drawing_calls.c.labels).where(drawing_calls.c.room == code)).scalar()
        text = json.dumps(list(labels), ensure_ascii=False)
        if before is None:
            conn.execute(insert(drawing_calls).values(room=code, labels=text, called_at=now))
            return True
        if tuple(json.loads(before)) != labels:
            conn.execute(delete(drawings).where(drawings.c.room == code))
            conn.execute(delete(class_models).where(class_models.c.room == code))
        conn.execute(update(drawing_calls).where(drawing_calls.c.room == code).values(labels=text, called_at=now))
    return True


def current_call(engine: Engine, code: str) -> Call | None:
    """The room's call for drawings, if the teacher has made one."""
    with engine.connect() as conn:
        row = conn.execute(select(drawing_calls).where(drawing_calls.c.room == code)).first()
    return None if row is None else Call(tuple(json.loads(row.labels)), row.called_at)


def add_drawing(engine: Engine, code: str, browser_token: str, label: object, pixels: object, now: float,
                purpose: Purpose = "train", predicted: int | None = None, called_at: float | None = None,
                limits: RoomLimits = DEFAULT_LIMITS) -> int | DrawingRefusal:
    """The browser holding ``browser_token`` sends a drawing (``pixels``: ``core.class_drawings.stored_picture``) of
    the call's label number ``label`` to room ``code``: for the data set, or (``purpose="test"``) as a test of the
    shared network, which read it as ``predicted``; with ``called_at``, only for the call made then (a label number
    of a call since replaced means another label). The drawing's id, or why it was refused; the room's and the
    student's caps (``limits``) are checked in the same transaction as the insert."""
    student = token_hash(browser_token)
    with engine.begin() as conn:
        hold_room(conn, code)  # the caps and the insert in one go
        if conn.execute(select(members.c.student).join(rooms, rooms.c.code == members.c.room).where(
                members.c.room == code, members.c.student == student, rooms.c.expires_at > now)).first() is None:
            return "not_in_the_room"
        call = conn.execute(select(drawing_calls.c.labels, drawing_calls.c.called_at)
                            .where(drawing_calls.c.room == code)).first()
        if call is None or (called_at is not None and call.called_at != called_at):
            return "no_call"
        labels = call.labels
        n_labels = len(json.loads(labels))
        if not _is_index(label, n_labels) or (purpose == "test" and not _is_index(predicted, n_labels)):
            return "not_a_label"
        if not isinstance(pixels, bytes) or len(pixels) != STORED_BYTES:
            return "not_a_picture"
        if purpose == "test" and conn.execute(select(class_models.c.room).where(class_models.c.room == code)).first() \
                is None:
            return "no_model"
        if _count(conn, drawings.c.room == code) >= limits.drawings:
            return "room_full"
        if _count(conn, drawings.c.room == code, drawings.c.student == student) >= limits.drawings_per_student:
            return "too_many"
        return conn.execute(insert(drawings).values(
            room=code, student=student, label=int(label), pixels=pixels, purpose=purpose,
            predicted=None if purpose == "train" else int(predicted), at=now)).inserted_primary_key[0]


def _is_index(value: object, n: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < n


def _count(conn, *where) -> int:
    return conn.execute(select(func.count()).select_from(drawings).where(*where)).scalar_one()


def counts(engine: Engine, code: str, n_labels: int, purpose: Purpose = "train") -> list[int]:
    """How many drawings (for ``purpose``) the room has of each of the call's ``n_labels`` labels."""
    with engine.connect() as conn:
        rows = conn.execute(select(drawings.c.label, func.count()).where(
            drawings.c.room == code, drawings.c.purpose == purpose).group_by(drawings.c.label)).all()
    found = dict(rows)
    return [int(found.get(i, 0)) for i in range(n_labels)]


def my_count(engine: Engine, code: str, browser_token: str, purpose: Purpose = "train") -> int:
    """How many drawings (for ``purpose``) this browser has sent to room ``code``."""
    with engine.connect() as conn:
        return _count(conn, drawings.c.room == code, drawings.c.student == token_hash(browser_token),
                      drawings.c.purpose == purpose)


def gallery(engine: Engine, code: str, teacher_token: str, now: float, newest: int = 40) -> list[Kept] | None:
    """The room's ``newest`` drawings for the data set, newest first, without their owners; None unless the token
    runs the open room."""
    with engine.connect() as conn:
        if not runs_room(conn, code, teacher_token, now):
            return None
        rows = conn.execute(select(drawings.c.id, drawings.c.label, drawings.c.pixels).where(
            drawings.c.room == code, drawings.c.purpose == "train").order_by(drawings.c.id.desc())
            .limit(newest)).all()
    return [Kept(row.id, row.label, bytes(row.pixels)) for row in rows]


def remove_drawing(engine: Engine, code: str, teacher_token: str, drawing_id: int, now: float) -> bool:
    """The teacher removes drawing ``drawing_id`` of their room; whether one was removed."""
    with engine.begin() as conn:
        if not runs_room(conn, code, teacher_token, now):
            return False
        return conn.execute(delete(drawings).where(drawings.c.id == drawing_id, drawings.c.room == code)).rowcount == 1


def version(engine: Engine, code: str) -> tuple[int, int]:
    """What changes whenever the room's data set does: (how many drawings for it, the newest one's id)."""
    with engine.connect() as conn:
        row = conn.execute(select(func.count(), func.max(drawings.c.id)).where(
            drawings.c.room == code, drawings.c.purpose == "train")).first()
    return int(row[0]), int(row[1] or 0)


def training_drawings(engine: Engine, code: str, teacher_token: str, now: float) -> list[ClassDrawing] | None:
    """Every drawing of the room's data set, oldest first, for the teacher to train on; None unless the token runs
    the open room."""
    with engine.connect() as conn:
        if not runs_room(conn, code, teacher_token, now):
            return None
        rows = conn.execute(select(drawings.c.label, drawings.c.pixels).where(
            drawings.c.room == code, drawings.c.purpose == "train").order_by(drawings.c.id)).all()
    return [ClassDrawing(row.label, bytes(row.pixels)) for row in rows]


def share_model(engine: Engine, code: str, teacher_token: str, checkpoint: bytes, labels: tuple[str, ...],
                preparation: str, now: float, limits: RoomLimits = DEFAULT_LIMITS) -> bool:
    """The teacher shares a trained network (``checkpoint``: ``core.checkpoints.save_checkpoint``'s bytes, at most
    ``limits.model_bytes``) whose classes are the call's labels; it replaces the last one and its test drawings."""
    if not isinstance(checkpoint, bytes) or len(checkpoint) > limits.model_bytes:
        return False
    with engine.begin() as conn:
        hold_room(conn, code)
        if not runs_room(conn, code, teacher_token, now):
            return False
        called = conn.execute(select(drawing_calls.c.labels).where(drawing_calls.c.room == code)).scalar()
        if called is None or tuple(json.loads(called)) != tuple(labels):
            return False
        conn.execute(delete(drawings).where(drawings.c.room == code, drawings.c.purpose == "test"))
        conn.execute(delete(class_models).where(class_models.c.room == code))
        conn.execute(insert(class_models).values(room=code, checkpoint=checkpoint, preparation=preparation,
                                                 labels=json.dumps(list(labels), ensure_ascii=False), shared_at=now))
    return True


def shared_model(engine: Engine, code: str) -> SharedModel | None:
    """The network the teacher of room ``code`` shared, if any."""
    with engine.connect() as conn:
        row = conn.execute(select(class_models).where(class_models.c.room == code)).first()
    if row is None:
        return None
    return SharedModel(bytes(row.checkpoint), tuple(json.loads(row.labels)), row.preparation, row.shared_at)


def shared_at(engine: Engine, code: str) -> float | None:
    """When the teacher of room ``code`` last shared a network (None: never); cheaper than ``shared_model``."""
    with engine.connect() as conn:
        return conn.execute(select(class_models.c.shared_at).where(class_models.c.room == code)).scalar()


def score(engine: Engine, code: str, n_labels: int) -> Score:
    """How the shared network did on the room's test drawings (no names): counted by the database, a row per label."""
    right = func.sum(case((drawings.c.predicted == drawings.c.label, 1), else_=0))
    with engine.connect() as conn:
        rows = conn.execute(select(drawings.c.label, func.count(), right).where(
            drawings.c.room == code, drawings.c.purpose == "test").group_by(drawings.c.label)).all()
    counted = {label: (int(tested), int(hits)) for label, tested, hits in rows}
    per_label = [counted.get(i, (0, 0)) for i in range(n_labels)]
    return Score(sum(tested for tested, _ in counted.values()), sum(hits for _, hits in counted.values()), per_label)
