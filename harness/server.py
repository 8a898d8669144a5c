"""A real ``streamlit run app.py`` on a free loopback port, and the headless Chromium that drives it.

No pytest here: ``tests/conftest.py`` wraps these in fixtures, ``bench/load.py`` and ``bench/startup.py`` use them
as they are.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.paths import ARTIFACTS, ROOT

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
"""Chromium's command-line flags: no sandbox (containers), no GPU, no background traffic."""

NO_CHROMIUM = ("NO CHROMIUM FOUND: browser tests need a Chromium binary. Install one "
               "(apt-get install -y chromium) or set CHROMIUM_PATH to its path.")


def find_chromium() -> str | None:
    """``$CHROMIUM_PATH``, else ``/usr/bin/chromium``, else ``chromium`` (or ``chromium-browser``) on PATH."""
    candidates = [os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium"),
                  shutil.which("chromium-browser")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(base_url: str, process: subprocess.Popen, timeout: float = 90.0) -> None:
    """Wait until the Streamlit server at ``base_url`` answers ``/_stcore/health``; fail if ``process`` exits."""
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


@dataclass(frozen=True)
class Server:
    """A running server: its base URL (``http://127.0.0.1:<port>``) and its log file."""

    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def run_server(env: Mapping[str, str] | None = None, script: str | Path = "app.py") -> Iterator[Server]:
    """A real ``streamlit run <script>`` (``app.py`` unless given) on a free loopback port, with ``env`` added to its
    environment; its log is kept under artifacts/logs."""
    port = free_port()
    (ARTIFACTS / "logs").mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / "logs" / f"streamlit-{port}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless=true",
             f"--server.port={port}", "--server.address=127.0.0.1"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
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
