"""BENCHMARKS.md is the output of bench/report.py: every benchmark script has its section, with its command, and
none of them failed when the file was written."""

from pathlib import Path

from bench.report import SECTIONS

ROOT = Path(__file__).resolve().parent.parent


def test_every_benchmark_script_is_in_the_report():
    """A script is a file of bench/ that runs as a program; the others (bench/bare.py) are helpers it imports."""
    scripts = {p.name for p in (ROOT / "bench").glob("*.py")
               if '__name__ == "__main__"' in p.read_text(encoding="utf-8")} - {"report.py"}
    assert scripts == {Path(command[0]).name for _, _, command, _ in SECTIONS}


def test_benchmarks_md_has_every_section_with_its_command_and_no_failure():
    text = (ROOT / "BENCHMARKS.md").read_text(encoding="utf-8")
    for _, title, command, _ in SECTIONS:
        assert f"## {title}" in text
        section = text.split(f"## {title}")[1].split("\n## ")[0]
        assert f"`python {' '.join(command)}`" in section and "Measured on " in section
    assert "This script failed" not in text
    assert text.count("| ") > 50  # tables, not just headings
