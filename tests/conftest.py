"""Shared test fixtures: the project root on sys.path, AppTest helpers, and the browser rig."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ARTIFACTS = ROOT / "artifacts"

from tests.apptest import app_test  # noqa: E402  (re-exported for the tests)
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


# ---- browser rig ------------------------------------------------------------------------------------

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def find_chromium() -> str | None:
    """``$CHROMIUM_PATH``, else ``/usr/bin/chromium``, else ``chromium`` (or ``chromium-browser``) on PATH."""
    candidates = [os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium"),
                  shutil.which("chromium-browser")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(base_url: str, process: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{base_url}/_stcore/health did not answer within {timeout:.0f} s")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        message = ("NO CHROMIUM FOUND: browser tests need a Chromium binary. Install one "
                   "(apt-get install -y chromium) or set CHROMIUM_PATH to its path.")
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(chromium_path: str) -> dict:
    """pytest-playwright launches Chromium from this binary (its own browser download is not used)."""
    return {"executable_path": chromium_path, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args() -> dict:
    return {"viewport": {"width": 1280, "height": 800}, "locale": "en-US"}


@dataclass(frozen=True)
class Server:
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def run_server() -> Iterator[Server]:
    """A real ``streamlit run app.py`` on a free loopback port; its log is kept under artifacts/logs."""
    port = free_port()
    (ARTIFACTS / "logs").mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / "logs" / f"streamlit-{port}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true",
             f"--server.port={port}", "--server.address=127.0.0.1"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base_url, process)
        yield Server(base_url, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    with run_server() as running:
        yield running


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
    """The browser page's console errors, page errors and failed requests (``tests.test_browser.watch_errors``)."""
    from tests.test_browser import watch_errors

    return watch_errors(page)
