"""A throwaway PostgreSQL cluster for tests and benchmarks: Debian's ``initdb`` and ``postgres`` in a temporary folder,
listening on a free loopback port, gone (process and files) when the ``with`` block ends.

PostgreSQL refuses to run as root: as root, the cluster runs as the ``postgres`` user (made by Debian's package), else
as ``nobody``, in a folder that user owns. Nothing is started system-wide and no system configuration is read.

    with run_postgres() as pg:
        url = pg.new_database()   # postgresql+psycopg://dlp@127.0.0.1:<port>/<fresh database>
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from harness.server import free_port

SUPERUSER = "dlp"
"""The cluster's superuser (no password: only loopback connections, trusted, reach it)."""

NO_POSTGRES = ("NO POSTGRESQL FOUND: these tests need PostgreSQL's server programs (initdb, postgres). Install them "
               "(apt-get install -y postgresql) or set PG_BIN to the folder that holds them.")

FAST = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")
"""Settings of a test cluster that lose data only on a crash of the machine, which a throwaway cluster does not mind."""


def find_pg_bin() -> Path | None:
    """The folder of ``initdb`` and ``postgres``: ``$PG_BIN``, else the newest ``/usr/lib/postgresql/<n>/bin``
    (Debian), else the folder of an ``initdb`` on PATH."""
    candidates = [os.environ.get("PG_BIN")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                         if Path(p).parent.name.isdigit() else 0, reverse=True)
    on_path = shutil.which("initdb")
    candidates.append(str(Path(on_path).parent) if on_path else None)
    for folder in candidates:
        if folder and all(os.access(Path(folder) / name, os.X_OK) for name in ("initdb", "postgres")):
            return Path(folder)
    return None


def _run_as() -> dict:
    """``subprocess`` arguments that run a program as a user PostgreSQL accepts: ourselves unless we are root."""
    if os.geteuid() != 0:
        return {}
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            user = pwd.getpwnam(name)
            return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    raise RuntimeError("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as")


@dataclass
class Postgres:
    """A running cluster: its port, its folder, its log, and the URL of its ``postgres`` database."""

    port: int
    folder: Path
    log_path: Path
    _names: itertools.count = field(default_factory=lambda: itertools.count(1))

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` in this cluster (psycopg 3, over loopback TCP)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new, empty database in this cluster; its URL."""
        import psycopg

        name = f"dlp_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # a name made here above, never from outside
        return self.url(name)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def wait_for_postgres(port: int, process: subprocess.Popen, log_path: Path, timeout: float = 60.0) -> None:
    """Wait until the cluster on ``port`` takes connections; fail if ``process`` exits first."""
    import psycopg

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"postgres exited early with code {process.returncode}: "
                               f"{log_path.read_text(errors='replace')[-2000:]}")
        try:
            with psycopg.connect(f"host=127.0.0.1 port={port} user={SUPERUSER} dbname=postgres", connect_timeout=2):
                return
        except psycopg.OperationalError:
            time.sleep(0.2)
    raise TimeoutError(f"PostgreSQL on port {port} did not take connections within {timeout:.0f} s")


@contextlib.contextmanager
def run_postgres(fast: bool = True, max_connections: int = 100) -> Iterator[Postgres]:
    """A fresh PostgreSQL cluster on a free loopback port for the ``with`` block; ``fast`` turns off what only
    protects data from a crash of the machine (``FAST``): tests want it, a benchmark of the real thing does not."""
    pg_bin = find_pg_bin()
    if pg_bin is None:
        raise FileNotFoundError(NO_POSTGRES)
    as_user = _run_as()
    folder = Path(tempfile.mkdtemp(prefix="dlp-postgres-"))
    data, log_path = folder / "data", folder / "postgres.log"
    if as_user:
        os.chown(folder, as_user["user"], as_user["group"])
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"}
    process = None
    try:
        subprocess.run([str(pg_bin / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                        "--no-locale", "--no-sync"], check=True, capture_output=True, env=env, cwd=folder,
                       timeout=120, **as_user)
        port = free_port()
        settings = ["listen_addresses=127.0.0.1", f"unix_socket_directories={folder}",
                    f"max_connections={max_connections}", *(FAST if fast else ())]
        with open(log_path, "w") as log:
            if as_user:
                os.chown(log_path, as_user["user"], as_user["group"])
            process = subprocess.Popen(
                [str(pg_bin / "postgres"), "-D", str(data), "-p", str(port),
                 *itertools.chain.from_iterable(("-c", s) for s in settings)],
                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder, start_new_session=True, **as_user)
        wait_for_postgres(port, process, log_path)
        yield Postgres(port, folder, log_path)
    finally:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)  # "fast" shutdown: ends the sessions, then the server
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
