"""House rules checked on the source: core/ is pure math; torch stays out of pages that do not use it; tests and
benchmarks share only harness/."""

import ast
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import PAGES, ROOT

FORBIDDEN_IN_CORE = {"streamlit", "plotly", "ui"}


def imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


@pytest.mark.parametrize("path", sorted((ROOT / "core").rglob("*.py")), ids=lambda p: p.name)
def test_core_imports_nothing_visual(path):
    bad = [m for m in imported_modules(path) if m.split(".")[0] in FORBIDDEN_IN_CORE]
    assert not bad, f"{path.name} imports {bad}"


def test_tests_and_benchmarks_share_only_the_harness():
    """What tests/ and bench/ both need lives in harness/: bench/ imports nothing of tests/ and tests/ nothing of
    bench/ (a test runs a benchmark as a program), a test module imports no other test module (conftest and helper
    modules are not test modules), and harness/ imports neither."""
    bad = []
    for folder, forbidden in (("tests", {"bench"}), ("bench", {"tests"}), ("harness", {"tests", "bench"})):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            for module in imported_modules(path):
                parts = module.split(".")
                if parts[0] in forbidden or (parts[0] == "tests" and any(p.startswith("test_") for p in parts)):
                    bad.append(f"{name} imports {module}")
    assert sorted(set(bad)) == []


def test_every_page_in_navigation_exists_and_every_page_file_is_listed():
    listed = {spec.path for spec in PAGES}
    assert all(path.is_file() for path in listed)
    assert set((ROOT / "pages").glob("*.py")) == listed
    assert len({spec.url_path for spec in PAGES}) == len(PAGES)


@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.url_path)
def test_every_page_goes_through_the_entry_point(spec):
    """ui.shell.entry.require_entry_point reruns a page that Streamlit started without app.py onto the same page:
    that needs url_path == the file's name (Streamlit hashes the url path), and the call before any output."""
    assert spec.url_path == spec.path.stem
    tree = ast.parse(spec.path.read_text())
    calls = [node for node in tree.body if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)]
    assert calls and getattr(calls[0].value.func, "id", None) == "require_entry_point"


def test_home_page_path_does_not_import_torch_or_the_database():
    """Rendering the app's default page must not pay torch's import time, nor SQLAlchemy's (a tenth of a second of a
    fresh server's first page, ``bench/startup.py``) for a classroom it is not in (run in a fresh interpreter)."""
    script = textwrap.dedent("""
        import sys
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file("app.py", default_timeout=60)
        at.run()
        assert not at.exception, at.exception
        assert at.title[0].value
        print("torch" in sys.modules, "sqlalchemy" in sys.modules)
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False False", "the home page imported torch or SQLAlchemy"
