"""``store.db`` on PostgreSQL (a throwaway cluster, ``harness.postgres``): the driver a ``postgresql://`` URL gets, and
replicas that make the schema at the same moment. The store's own tests (tests/test_rooms.py, …) run on PostgreSQL
too, through the ``database_url`` fixture."""

from __future__ import annotations

import threading

from sqlalchemy import func, select, text

from store.db import SCHEMA_VERSION, connect, driver_url, metadata, schema_version


def test_postgresql_urls_use_psycopg_3_and_others_are_left_alone():
    assert driver_url("postgresql://u@h:5/d").drivername == "postgresql+psycopg"
    assert driver_url("postgres://u@h/d").drivername == "postgresql+psycopg"
    assert driver_url("postgresql+psycopg://u@h/d").drivername == "postgresql+psycopg"
    assert str(driver_url("sqlite:////tmp/x.sqlite3")) == "sqlite:////tmp/x.sqlite3"


def test_a_plain_postgresql_url_connects(postgres):
    url = postgres.new_database().replace("postgresql+psycopg://", "postgresql://")
    engine = connect(url)
    try:
        assert engine.dialect.driver == "psycopg"
        with engine.connect() as conn:
            assert conn.execute(select(schema_version.c.version)).scalars().all() == [SCHEMA_VERSION]
    finally:
        engine.dispose()


def test_replicas_starting_together_make_the_schema_once(postgres):
    """Eight app processes' first ``connect`` at the same instant on an empty database: none fails, one version row."""
    url = postgres.new_database()
    n = 8
    start, engines, failures = threading.Barrier(n), [], []

    def replica() -> None:
        start.wait()
        try:
            engines.append(connect(url))
        except Exception as error:  # any failure is what the test reports
            failures.append(repr(error))

    threads = [threading.Thread(target=replica) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert failures == [] and len(engines) == n
        with engines[0].connect() as conn:
            assert conn.execute(select(func.count()).select_from(schema_version)).scalar_one() == 1
            tables = conn.execute(text("select tablename from pg_tables where schemaname = 'public'")).scalars().all()
        assert set(tables) == set(metadata.tables)
    finally:
        for engine in engines:
            engine.dispose()
