"""BENCHMARKS.md is the output of bench/report.py: every benchmark script has its section, with its command, and
none of them failed when the file was written.

The sections are read from ``python bench/report.py --list`` (the tests do not import bench/)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sections() -> list[dict]:
    """bench/report.py's sections: ``key``, ``title``, ``command`` (the script and its arguments) and ``what``."""
    done = subprocess.run([sys.executable, "bench/report.py", "--list"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert listed and all(set(section) == {"key", "title", "command", "what"} for section in listed)
    return listed


def test_every_benchmark_script_is_in_the_report(sections):
    """A script is a file of bench/ that runs as a program; the others (bench/bare.py) are helpers it imports."""
    scripts = {p.name for p in (ROOT / "bench").glob("*.py")
               if '__name__ == "__main__"' in p.read_text(encoding="utf-8")} - {"report.py"}
    assert scripts == {Path(section["command"][0]).name for section in sections}


def test_benchmarks_md_has_every_section_with_its_command_and_no_failure(sections):
    text = (ROOT / "BENCHMARKS.md").read_text(encoding="utf-8")
    for section in sections:
        title, command = section["title"], section["command"]
        assert f"## {title}" in text
        body = text.split(f"## {title}")[1].split("\n## ")[0]
        assert f"`python {' '.join(command)}`" in body and "Measured on " in body
    assert "This script failed" not in text
    assert text.count("| ") > 50  # tables, not just headings


CLASSROOM_SETUPS = ("SQLite, 1 server", "PostgreSQL, 1 server", "PostgreSQL, 2 replicas behind nginx")


def test_the_classroom_tables_have_every_setup_with_everything_saved_and_no_error(sections):
    """bench/classroom.py's two tables (answers, then drawings): a row per setup, the whole class's answers or
    drawings saved, none lost, no error, and the target column saying what its p95 says."""
    title = next(section["title"] for section in sections if section["key"] == "classroom")
    body = (ROOT / "BENCHMARKS.md").read_text(encoding="utf-8").split(f"## {title}")[1].split("\n## ")[0]
    tables: list[dict[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("| setup |"):
            tables.append({})
        elif line.startswith("| ") and tables:
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            tables[-1][cells[0]] = cells
    assert len(tables) == 2
    for rows in tables:
        assert set(CLASSROOM_SETUPS) <= rows.keys()
        for setup in CLASSROOM_SETUPS:
            _, students, saved, lost, errors, _, _, click_shown, target = rows[setup]
            browsers, light = (int(n) for n in students.split(" (")[0].split(" + "))
            assert saved == f"{browsers + light} / {browsers + light}" and browsers + light >= 30
            assert (lost, errors) == ("0", "0")
            p95 = float(click_shown.split(" / ")[1])
            assert target == ("yes" if p95 <= 2.0 else "no")
