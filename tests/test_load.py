"""The classroom load bench in its reduced form: ``bench/load.py --quick`` (3 browser sessions walking every lesson at
once, one of them training, then leaving while a second run trains) must end with no error and the server back at
its baseline. No timing is asserted: the bench reports times, this test only its verdict."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from harness.server import NO_CHROMIUM, find_chromium
from tests.conftest import PAGES, ROOT

pytestmark = pytest.mark.browser

LIMIT = 300  # seconds; --quick took ~200 s on 2 cores shared with another test run (load average 8-10)


@pytest.fixture(scope="module")
def quick_run() -> subprocess.CompletedProcess:
    if find_chromium() is None:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(NO_CHROMIUM)
        pytest.skip(NO_CHROMIUM)
    return subprocess.run([sys.executable, "bench/load.py", "--quick"], cwd=ROOT, capture_output=True, text=True,
                          timeout=LIMIT)


def load_row(output: str) -> dict[str, str]:
    """The bench's table row of the load phase, by column name."""
    lines = output.splitlines()
    header = next(line for line in lines if line.startswith("| run |"))
    row = next(line for line in lines if line.startswith("| load |"))
    names = [cell.strip() for cell in header.strip("|").split("|")]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    return dict(zip(names, cells, strict=True))


@pytest.mark.timeout(LIMIT + 30)
def test_quick_load_ends_clean_and_the_server_comes_back(quick_run):
    output = quick_run.stdout + quick_run.stderr
    assert quick_run.returncode == 0, output[-6000:]
    row = load_row(quick_run.stdout)
    assert row["sessions"] == "3" and row["trainers"] == "1", row
    assert row["errors"] == "0", output[-6000:]
    assert int(row["page visits"]) == 3 * len(PAGES), row  # every session reached every page
    assert "1 finished" in quick_run.stdout and "1 left running" in quick_run.stdout, output[-3000:]
    assert quick_run.stdout.rstrip().endswith("OK"), output[-3000:]
