"""A class beyond one machine: two real app replicas sharing a throwaway PostgreSQL, behind a real nginx running the
shipped deploy/nginx.conf (``harness.cluster``). The teacher's browser is routed to one replica and the student's to
the other, three students on both (each context holds a route cookie that nginx sends to its replica, and the replica
that answered is checked); the students join by the link on the projector, and everything the class does then crosses
from one replica to the other through the database: the count, the view the teacher sends, a question and its
answers, the reveal, 30 drawings, the network the teacher trains on them and a student's test of it (``JOURNEYS``,
from ``harness.classroom``: the single-server test's whole class).

Needs nginx and PostgreSQL's server programs (Debian: ``apt-get install -y nginx postgresql``; no service is started,
the test starts its own): skipped where they are missing, failed instead where ``REQUIRE_CLUSTER`` is set (.ci/run).
Screenshots: artifacts/screenshots/cluster/; logs: artifacts/logs/ (the replicas' and nginx's)."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import create_engine, func, select

from harness.browser import assert_healthy, full_page_screenshot, wait_until_idle, watch_errors
from harness.classroom import (
    CODE_SHOWN,
    PHONE,
    PROJECTOR,
    Class,
    class_draws,
    class_question,
    class_trains_and_tests,
    follow_the_teacher,
)
from harness.cluster import NO_NGINX, ROUTE_COOKIE, find_nginx, replica_of, run_cluster
from harness.postgres import NO_POSTGRES, find_pg_bin
from store.db import answers, class_models, drawings, members, questions, rooms
from tests.conftest import missing
from ui.shell.i18n import translate

pytestmark = pytest.mark.browser

LANG = "en"  # the single-server test (tests/test_browser_classroom.py) covers both languages
SITE = "classroom.test"
"""The name the browsers reach nginx by (Chromium maps it to 127.0.0.1). Not a loopback name, because Streamlit lets a
WebSocket from a loopback origin through whatever Host it is given: under a real name, a proxy that passed the Host
without its port (nginx's ``$host``) would have every WebSocket refused, and this test would see it."""

JOURNEYS: list[Callable[[Class], None]] = [
    lambda room: follow_the_teacher(room, LANG),
    lambda room: class_question(room, LANG),
    lambda room: class_draws(room, per_student=10, lang=LANG),  # 30 digits: three of each
    lambda room: class_trains_and_tests(room, LANG),
]
"""What the class does once the students have joined (``harness.classroom``, as in the single-server test's
``whole_class``), each ``journey(room)`` starting and ending with the teacher on the room's page. Here the teacher is
on one replica and the students on both, so the view the teacher sends, the question, the answers, the drawings, the
network trained on them and a student's test of it all cross between replicas through PostgreSQL. A new classroom
journey goes here too."""
STUDENT_REPLICAS = (1, 0, 1)
"""The replica each of the three students is routed to (the teacher: replica 0)."""


@pytest.fixture(scope="module")
def cluster() -> Iterator:
    """nginx, two replicas and PostgreSQL for this module (``harness.cluster.run_cluster``)."""
    if find_nginx() is None:
        missing(NO_NGINX)
    if find_pg_bin() is None:
        missing(NO_POSTGRES)
    with run_cluster(replicas=2) as running:
        yield running


@pytest.fixture(scope="module")
def site_browser(browser_type, browser_type_launch_args) -> Iterator:
    """Chromium that resolves ``SITE`` to the loopback address."""
    args = [*browser_type_launch_args.get("args", []), f"--host-resolver-rules=MAP {SITE} 127.0.0.1"]
    browser = browser_type.launch(**{**browser_type_launch_args, "args": args})
    yield browser
    browser.close()


def site_url(cluster) -> str:
    """nginx's address as the browsers use it: ``http://classroom.test:<port>``."""
    return cluster.url.replace("127.0.0.1", SITE)


def routed_context(browser, cluster, replica: int, **options) -> BrowserContext:
    """A browser context whose requests nginx sends to replica ``replica``: it holds that replica's route cookie
    before its first request, as a browser holds the one nginx gave it on its first visit."""
    context = browser.new_context(**options)
    context.add_cookies([{"name": ROUTE_COOKIE, "value": cluster.route_to(replica), "url": site_url(cluster)}])
    return context


def open_page(page: Page, url: str, cluster, replica: int) -> None:
    """Open ``url`` and check that replica ``replica`` served it (nginx's ``X-Replica``)."""
    response = page.goto(url)
    assert response is not None and response.ok
    assert response.headers["x-replica"] == cluster.replicas[replica].addr
    wait_until_idle(page)


def count_rows(url: str, table, *where) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    finally:
        engine.dispose()


def streams_by_route(cluster, wait_s: float = 15.0) -> dict[str, set[str]]:
    """Route -> the replicas its WebSockets (``/_stcore/stream``) went to, from nginx's access log (a WebSocket is
    logged when it closes)."""
    deadline = time.monotonic() + wait_s
    while True:
        seen: dict[str, set[str]] = {}
        for line in cluster.access_log().splitlines():
            if '"GET /_stcore/stream' in line:
                fields = dict(part.split("=", 1) for part in line.split() if part.startswith(("replica=", "route=")))
                seen.setdefault(fields["route"], set()).add(fields["replica"])
        if all(cluster.route_to(n) in seen for n in range(2)) or time.monotonic() > deadline:
            return seen
        time.sleep(0.5)


def test_a_class_across_two_replicas_behind_nginx_on_postgresql(site_browser, cluster):
    browser, site = site_browser, site_url(cluster)
    assert {urlsplit(cluster.database_url).scheme} == {"postgresql+psycopg"}
    assert len({r.addr for r in cluster.replicas}) == 2 and cluster.route_to(0) != cluster.route_to(1)
    projector = routed_context(browser, cluster, 0, **PROJECTOR, locale="en-US")
    phones = [routed_context(browser, cluster, n, **PHONE, locale="en-US") for n in STUDENT_REPLICAS]
    try:
        teacher, students = projector.new_page(), [phone.new_page() for phone in phones]
        errors = {"teacher": watch_errors(teacher)} | {f"student {i}": watch_errors(p) for i, p in enumerate(students)}
        open_page(teacher, f"{site}/classroom?lang={LANG}", cluster, 0)
        teacher.get_by_role("button", name=translate("classroom.start.button", LANG), exact=True).click()
        shown = teacher.locator("h1").filter(has_text=CODE_SHOWN)
        expect(shown).to_have_count(1)
        code = shown.inner_text().replace(" ", "")
        link = teacher.locator('[data-testid="stCode"] code').first.inner_text().strip()
        assert link == f"{site}/classroom?join={code}"  # the address the class reaches: nginx's
        count = teacher.locator('[data-testid="stMetricValue"]')
        expect(count).to_have_text("0")
        assert count_rows(cluster.database_url, rooms, rooms.c.code == code) == 1  # opened on replica 0, in PostgreSQL

        for i, (student, replica) in enumerate(zip(students, STUDENT_REPLICAS, strict=True)):
            open_page(student, f"{link}&lang={LANG}", cluster, replica)
            expect(student.get_by_role("textbox", name=translate("classroom.join.code", LANG))).to_have_value(code)
            student.get_by_role("textbox", name=translate("classroom.join.nickname", LANG)).fill(f"S{i}")
            student.get_by_role("button", name=translate("classroom.join.button", LANG), exact=True).click()
            expect(student.get_by_text(translate("classroom.joined", LANG, code=code))).to_be_visible()
            expect(count).to_have_text(str(i + 1), timeout=15_000)  # each join, seen by replica 0 by itself
        full_page_screenshot(teacher, "cluster/teacher.png")

        room = Class(teacher, students, code, link, errors=errors)
        for journey in JOURNEYS:
            journey(room)
        full_page_screenshot(students[0], "cluster/student.png")

        assert count_rows(cluster.database_url, members, members.c.room == code) == 3
        asked = select(questions.c.id).where(questions.c.room == code)
        assert count_rows(cluster.database_url, questions, questions.c.room == code) == 1
        assert count_rows(cluster.database_url, answers, answers.c.question.in_(asked)) == 3
        assert count_rows(cluster.database_url, drawings, drawings.c.room == code, drawings.c.purpose == "train") == 30
        assert count_rows(cluster.database_url, drawings, drawings.c.room == code, drawings.c.purpose == "test") == 1
        assert count_rows(cluster.database_url, class_models, class_models.c.room == code) == 1  # trained on 0
        for page, seen in zip([teacher, *students], errors.values(), strict=True):
            assert_healthy(page, seen, cluster)
    finally:
        projector.close()
        for phone in phones:
            phone.close()
    streams = streams_by_route(cluster)  # each browser's WebSocket stayed on its replica
    assert streams.get(cluster.route_to(0)) == {cluster.replicas[0].addr}, streams
    assert streams.get(cluster.route_to(1)) == {cluster.replicas[1].addr}, streams
    assert not list(cluster.data_folder.iterdir())  # no SQLite database was made: the replicas used PostgreSQL


def test_nginx_gives_a_new_browser_a_route_and_keeps_it_on_one_replica(cluster):
    """A browser without a route gets one (a cookie) and keeps reaching the same replica with it; new browsers are
    spread over the replicas although they all come from one address; a forged route is replaced."""
    def route_set(response) -> str | None:
        """The route in nginx's Set-Cookie (Streamlit sets its own XSRF cookie beside it)."""
        cookies = [c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or []]
        return next((c.removeprefix(f"{ROUTE_COOKIE}=") for c in cookies if c.startswith(f"{ROUTE_COOKIE}=")), None)

    def first_visit() -> tuple[str, str]:
        with urllib.request.urlopen(f"{cluster.url}/", timeout=10) as response:
            return route_set(response), response.headers["X-Replica"]

    visits = [first_visit() for _ in range(30)]
    assert {replica for _, replica in visits} == {r.addr for r in cluster.replicas}  # from 127.0.0.1, all of them
    assert len({route for route, _ in visits}) == 30 and all(re.fullmatch("[0-9a-f]{32}", r) for r, _ in visits)
    for route, replica in visits[:5]:
        assert {replica_of(cluster.url, route) for _ in range(5)} == {replica}
        request = urllib.request.Request(f"{cluster.url}/", headers={"Cookie": f"{ROUTE_COOKIE}={route}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert route_set(response) is None  # routed already: no new cookie
    request = urllib.request.Request(f"{cluster.url}/", headers={"Cookie": f"{ROUTE_COOKIE}=x';--"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert re.fullmatch("[0-9a-f]{32}", route_set(response) or "")  # a forged route is replaced


def test_nginx_passes_uploads_up_to_streamlits_limit_and_refuses_larger_ones(cluster):
    """An upload of 1 MB reaches a replica (which refuses it for want of an XSRF token: 403, not nginx's 500); one
    above Streamlit's 10 MB limit is refused by nginx itself (413) before it reaches a replica."""
    def put(size: int) -> tuple[int, str | None]:
        request = urllib.request.Request(f"{cluster.url}/_stcore/upload_file/session/file", data=b"\0" * size,
                                         method="PUT", headers={"Content-Type": "application/octet-stream"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers["X-Replica"]
        except urllib.error.HTTPError as error:
            return error.code, error.headers["X-Replica"]

    status, replica = put(1_000_000)
    assert status == 403 and replica in {r.addr for r in cluster.replicas}
    assert put(12_000_000) == (413, None)  # no replica answered
