"""The classroom database: where it is, its tables, and its schema's version.

SQLite in the app's data folder (``$DLP_DATA``, else ``~/.local/share/dl-playground``) with no set-up; PostgreSQL
(or any database SQLAlchemy reaches) when ``$DLP_DATABASE_URL`` names one, for several app replicas sharing it.
Every statement is built with SQLAlchemy Core, so every value travels as a bound parameter, never as query text.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import (
    Column,
    Engine,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import URL, make_url

SCHEMA_LOCK = 0x646C7021
"""The PostgreSQL advisory lock (``pg_advisory_xact_lock``) under which ``connect`` makes or checks the schema: replicas
started together would otherwise race on ``CREATE TABLE`` (PostgreSQL's catalogue refuses the second with a unique
violation, even with ``IF NOT EXISTS``). Any constant, the same in every replica."""

SCHEMA_VERSION = 3
"""The version of the tables below. A database of an earlier version is brought up to it (``UPGRADES``); one of a
later version, or of an unknown one, is refused with ``SchemaMismatch``."""

UPGRADES: dict[int, str] = {1: "adds the questions and answers tables",
                             2: "adds the drawing_calls, drawings and class_models tables"}
"""Version -> what the step to the next one does. Every step so far only adds tables, which ``create_all`` makes."""

metadata = MetaData()

schema_version = Table("schema_version", metadata, Column("version", Integer, primary_key=True))

rooms = Table(
    "rooms", metadata,
    Column("code", String(16), primary_key=True),
    Column("teacher", String(64), nullable=False),  # core.classroom.token_hash of the teacher's token
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
    Column("follow_link", Text),  # the teacher's current view, when sent to the class
    Column("follow_at", Float),
)

members = Table(
    "members", metadata,
    Column("room", String(16), ForeignKey("rooms.code", ondelete="CASCADE"), primary_key=True),
    Column("student", String(64), primary_key=True),  # token_hash of the browser's token
    Column("nickname", String(64)),
    Column("joined_at", Float, nullable=False),
)

questions = Table(
    "questions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("room", String(16), ForeignKey("rooms.code", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(8), nullable=False),  # core.classroom.ClassQuestion's fields
    Column("prompt", Text, nullable=False),
    Column("options", Text, nullable=False),  # a JSON list of strings
    Column("answer", Float, nullable=False),
    Column("rel_tol", Float, nullable=False),
    Column("source", String(200), nullable=False),
    Column("asked_at", Float, nullable=False),
    Column("revealed_at", Float),
)

answers = Table(
    "answers", metadata,
    Column("question", Integer, ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
    Column("student", String(64), primary_key=True),  # token_hash of the browser's token
    Column("value", Float, nullable=False),
    Column("at", Float, nullable=False),
)

drawing_calls = Table(
    "drawing_calls", metadata,  # the teacher's call for drawings: one a room
    Column("room", String(16), ForeignKey("rooms.code", ondelete="CASCADE"), primary_key=True),
    Column("labels", Text, nullable=False),  # a JSON list of the labels asked for
    Column("called_at", Float, nullable=False),
)

drawings = Table(
    "drawings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("room", String(16), ForeignKey("rooms.code", ondelete="CASCADE"), nullable=False, index=True),
    Column("student", String(64), nullable=False),  # token_hash of the browser's token; never shown
    Column("label", Integer, nullable=False),  # the index of its label in the call's labels
    Column("pixels", LargeBinary, nullable=False),  # core.class_drawings.stored_picture
    Column("purpose", String(8), nullable=False),  # "train": for the class's data set; "test": the class's model
    Column("predicted", Integer),  # a test drawing: the label the class's model read
    Column("at", Float, nullable=False),
    sqlite_autoincrement=True,  # ids never reused: (count, newest id) names a version of the class's data set
)

class_models = Table(
    "class_models", metadata,  # the network the teacher trained on the class's drawings, for the class to test
    Column("room", String(16), ForeignKey("rooms.code", ondelete="CASCADE"), primary_key=True),
    Column("checkpoint", LargeBinary, nullable=False),  # core.checkpoints.save_checkpoint's bytes
    Column("labels", Text, nullable=False),  # a JSON list: its classes
    Column("preparation", String(16), nullable=False),  # the data set whose way the drawings are prepared
    Column("shared_at", Float, nullable=False),
)

join_attempts = Table(
    "join_attempts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("browser", String(64), nullable=False, index=True),  # token_hash of the browser's token
    Column("at", Float, nullable=False, index=True),
)


class SchemaMismatch(RuntimeError):
    """The database was made by another version of the app's schema."""


def database_url() -> str:
    """``$DLP_DATABASE_URL``, else SQLite in the data folder (made if missing)."""
    url = os.environ.get("DLP_DATABASE_URL")
    if url:
        return url
    folder = Path(os.environ.get("DLP_DATA") or Path.home() / ".local" / "share" / "dl-playground")
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'classroom.sqlite3'}"


def connect(url: str | URL | None = None) -> Engine:
    """An engine on ``url`` (``database_url()`` by default) whose schema is this version's: the tables are made in a
    new database; a database of another version raises ``SchemaMismatch``. SQLite gets foreign keys enforced (so
    that deleting a room deletes what it holds), write-ahead logging (readers do not wait for a writer) and a 5 s
    wait for a busy database. PostgreSQL is reached with psycopg 3 (``postgresql://`` is read as
    ``postgresql+psycopg://``); its schema is made or checked in one transaction under ``SCHEMA_LOCK``, so replicas
    that start at the same moment take turns."""
    url = driver_url(url or database_url())
    if url.get_backend_name() == "postgresql":
        engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
        with engine.begin() as conn:  # DDL is transactional in PostgreSQL: the lock holds until the schema is there
            conn.execute(select(func.pg_advisory_xact_lock(SCHEMA_LOCK)))
            metadata.create_all(conn)
            _check_version(conn, engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    metadata.create_all(engine)
    with engine.begin() as conn:
        _check_version(conn, engine)
    return engine


def driver_url(url: str | URL) -> URL:
    """``url`` with PostgreSQL's driver named: ``postgresql://`` and ``postgres://`` (as hosting services write them)
    mean psycopg 3, the driver requirements.txt installs, not SQLAlchemy's default psycopg2."""
    url = make_url(url)
    if url.drivername in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    return url


def _check_version(conn, engine: Engine) -> None:
    """Record this schema's version in a new database, bring an earlier one up to it, refuse any other."""
    found = conn.execute(select(schema_version.c.version)).scalars().all()
    if not found:
        conn.execute(insert(schema_version).values(version=SCHEMA_VERSION))
    elif len(found) == 1 and found[0] in UPGRADES:  # an earlier version: its new tables were made above
        conn.execute(update(schema_version).values(version=SCHEMA_VERSION))
    elif found != [SCHEMA_VERSION]:
        raise SchemaMismatch(f"the database {engine.url!r} has schema {found}, this app needs {SCHEMA_VERSION}")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
