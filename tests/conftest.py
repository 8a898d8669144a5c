"""Shared test fixtures and helpers: the project root on sys.path, AppTest helpers, and the browser fixtures.

What the benchmarks use too (AppTest of a page, the ``streamlit run`` server, Chromium, the browser helpers) lives in
``harness/``; this file wraps it in fixtures.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DLP_DATA"] = tempfile.mkdtemp(prefix="dlp-test-data-")  # the classroom database of this test run, and
os.environ.pop("DLP_DATABASE_URL", None)  # of the servers it starts; never the user's own

from harness.apptest import app_test  # noqa: E402  (re-exported for the tests)
from harness.server import CHROMIUM_ARGS, NO_CHROMIUM, Server, find_chromium, run_server  # noqa: E402
from ui.shell.registry import all_pages  # noqa: E402


def assert_clean(at) -> None:
    """No uncaught exception, and no friendly page-error box from ``ui.shell.errors.run_page`` either."""
    from ui.shell.i18n import LANGUAGES, translate

    assert not at.exception, [e.value for e in at.exception]
    page_errors = {translate("app.page_error", lang) for lang in LANGUAGES}
    assert not [e.value for e in at.error if e.value in page_errors]


PAGES = all_pages()
PAGE_IDS = [spec.url_path for spec in PAGES]
H1_KEYS = {spec.name: spec.heading_key for spec in PAGES}  # the catalogue key of each page's title (its h1)
PAGE_PARTS = [(spec, part) for spec in PAGES for part in (spec.parts or (None,))]
"""Every view of the app: each page, and each part of a lesson with parts."""


# ---- browser fixtures (the rig itself is harness.server) ---------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(NO_CHROMIUM)
        pytest.skip(NO_CHROMIUM)
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(chromium_path: str) -> dict:
    """pytest-playwright launches Chromium from this binary (its own browser download is not used)."""
    return {"executable_path": chromium_path, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args() -> dict:
    return {"viewport": {"width": 1280, "height": 800}, "locale": "en-US"}


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """One real ``streamlit run app.py`` for the whole test session (``harness.server.run_server``)."""
    with run_server() as running:
        yield running


def missing(reason: str) -> None:
    """Skip for want of a program the machine lacks (Chromium aside), or fail where ``REQUIRE_CLUSTER`` is set (as
    ``.ci/run`` sets it): nginx and PostgreSQL must be there in CI."""
    if os.environ.get("REQUIRE_CLUSTER"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres():
    """One throwaway PostgreSQL cluster for the whole test session (``harness.postgres.run_postgres``)."""
    from harness.postgres import NO_POSTGRES, find_pg_bin, run_postgres

    if find_pg_bin() is None:
        missing(NO_POSTGRES)
    with run_postgres() as running:
        yield running


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """A new, empty classroom database, once in SQLite (a file) and once in PostgreSQL (a new database in the session's
    cluster): the store's tests run on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'classroom.sqlite3'}"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def engine(database_url):
    """A classroom database's engine (``store.db.connect``) on ``database_url``: once SQLite, once PostgreSQL."""
    from store.db import connect

    engine = connect(database_url)
    yield engine
    engine.dispose()


def lesson_app(spec, query: dict[str, str] | None = None, lang: str = "en"):
    """A lesson page run through app.py in ``lang`` with ``query`` in its URL, checked to have run cleanly."""
    at = app_test({"lang": lang, **(query or {})}, page=spec.script)
    assert_clean(at)
    return at


def lesson_runner(spec):
    """``lesson(query=None, lang="en")``: one page's way in for its tests (``lesson_app`` bound to ``spec``)."""

    def lesson(query: dict[str, str] | None = None, lang: str = "en"):
        return lesson_app(spec, query, lang)

    return lesson


def page_texts(at) -> str:
    """Everything the page wrote as text: markdown and the info, success, warning and error boxes."""
    return "\n".join([m.value for m in at.markdown] + [e.value for e in [*at.error, *at.info, *at.success,
                                                                          *at.warning]])


def plotly_array(value) -> np.ndarray:
    """A trace's data as plotly sends it: a plain list, or a typed array ``{dtype, bdata (base64), shape}``."""
    if isinstance(value, dict) and "bdata" in value:
        import base64

        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if isinstance(shape, str):
            shape = tuple(int(s) for s in shape.split(","))
        return flat.reshape(shape) if shape else flat
    return np.asarray(value, dtype=float)


@pytest.fixture
def console_errors(page) -> list[str]:
    """The browser page's console errors, page errors and failed requests (``harness.browser.watch_errors``)."""
    from harness.browser import watch_errors

    return watch_errors(page)


@pytest.fixture(autouse=True)
def no_remembered_download_failure(monkeypatch):
    """Each test starts with no failed download remembered (``core.downloads.RETRY_AFTER``): one test's offline attempt
    must not answer the next test's."""
    import core.downloads

    monkeypatch.setattr(core.downloads, "_FAILURES", {})
