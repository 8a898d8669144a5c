"""The classroom bench in its reduced form: ``bench/classroom.py --quick`` (a teacher, 2 students in Chromium and 4
light WebSocket clients answering a question, then drawing a digit each, through two replicas behind nginx on
PostgreSQL) must end with every answer and drawing saved and counted, none lost and no error. No timing is asserted:
the bench reports times, this test its verdict, and that its light clients still speak to the app's pages as a
browser does."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.cluster import NO_NGINX, find_nginx
from harness.postgres import NO_POSTGRES, find_pg_bin
from tests.conftest import ROOT, missing

pytestmark = pytest.mark.browser

LIMIT = 240  # seconds; --quick took about 25 s on 2 cores shared with another test run


@pytest.mark.timeout(LIMIT + 30)
@pytest.mark.usefixtures("chromium_path")  # a missing Chromium skips, or fails under REQUIRE_BROWSER
def test_quick_classroom_bench_saves_and_counts_every_answer():
    if find_nginx() is None:
        missing(NO_NGINX)
    if find_pg_bin() is None:
        missing(NO_POSTGRES)
    done = subprocess.run([sys.executable, "bench/classroom.py", "--quick"], cwd=ROOT, capture_output=True,
                          text=True, timeout=LIMIT)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| PostgreSQL, 2 replicas behind nginx |")]
    assert len(rows) == 2, done.stdout  # the answers' table, then the drawings'
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[1].startswith("2 + 4 (") and cells[2:5] == ["6 / 6", "0", "0"], row
        on_each = [int(n) for n in cells[1].split("(")[1].split(" on each")[0].split(" / ")]
        assert sum(on_each) == 6, row  # every student reached a replica through nginx
