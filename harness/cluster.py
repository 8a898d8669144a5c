"""The app beyond one machine, on one machine: a throwaway PostgreSQL (``harness.postgres``), several real
``streamlit run app.py`` replicas sharing it (``harness.server.run_server``), and a real nginx in front of them that
runs the shipped ``deploy/nginx.conf`` (``render_nginx_conf`` changes only addresses and file paths).

    with run_cluster(replicas=2) as cluster:
        cluster.url                 # nginx: what browsers open
        cluster.route_to(1)         # a route cookie value that nginx sends to replica 1
        cluster.replicas[1].addr    # "127.0.0.1:<port>", as nginx's X-Replica header names it

No pytest here: tests/test_browser_cluster.py and bench/classroom.py use it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from harness.paths import ARTIFACTS, ROOT
from harness.postgres import Postgres, run_postgres
from harness.server import Server, free_port, run_server

NGINX_CONF = ROOT / "deploy" / "nginx.conf"
ROUTE_COOKIE = "dlp_route"
"""nginx's sticky-session cookie (deploy/nginx.conf): 32 hex digits, hashed to a replica."""
NO_NGINX = ("NO NGINX FOUND: the cluster tests need nginx. Install it (apt-get install -y nginx; no service needs to "
            "run) or set NGINX_PATH to its binary.")
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def find_nginx() -> str | None:
    """``$NGINX_PATH``, else ``/usr/sbin/nginx``, else ``nginx`` on PATH."""
    candidates = [os.environ.get("NGINX_PATH"), "/usr/sbin/nginx", shutil.which("nginx")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def _replace_once(pattern: str, replacement: str, text: str) -> str:
    """``text`` with the one match of ``pattern`` (multiline; its group 1, the indentation, kept) replaced; a template
    that no longer has exactly one such line is an error, not a silently different configuration."""
    new, n = re.subn(pattern, lambda match: match[1] + replacement, text, flags=re.M)
    if n != 1:
        raise ValueError(f"deploy/nginx.conf: expected one line matching {pattern!r}, found {n}")
    return new


def render_nginx_conf(replicas: Sequence[str], listen: str, folder: Path, template: str | None = None) -> str:
    """deploy/nginx.conf (or ``template``) for ``replicas`` (``host:port`` each) on ``listen`` (``host:port``), with
    its log and temporary files in ``folder``. Each replica keeps the shipped ``server`` line's parameters
    (``max_fails=...``); everything else is the shipped file, byte for byte."""
    text = NGINX_CONF.read_text() if template is None else template
    block = re.search(r"^([ \t]*)# replicas:begin.*\n((?:.*\n)*?)[ \t]*# replicas:end.*$", text, flags=re.M)
    if block is None:
        raise ValueError("deploy/nginx.conf: no '# replicas:begin' ... '# replicas:end' block")
    shipped = re.search(r"^\s*server\s+\S+\s*(.*?);", block[2], flags=re.M)
    if shipped is None:
        raise ValueError("deploy/nginx.conf: no 'server' line between the replicas markers")
    indent, params = block[1], shipped[1]
    lines = [f"{indent}# replicas:begin (harness/cluster.py)"]
    lines += [f"{indent}server {addr}{' ' + params if params else ''};" for addr in replicas]
    lines.append(f"{indent}# replicas:end")
    text = text[:block.start()] + "\n".join(lines) + text[block.end():]
    text = _replace_once(r"^([ \t]*)listen\s+80;", f"listen {listen};", text)
    text = _replace_once(r"^([ \t]*)access_log\s+\S+", f"access_log {folder / 'access.log'}", text)
    temp = "".join(f"    {name}_temp_path {folder / name};\n" for name in TEMP_PATHS)
    return _replace_once(r"^()http\s*\{\n", "http {\n" + temp, text)


@dataclass(frozen=True)
class Replica:
    server: Server
    addr: str
    """``127.0.0.1:<port>``: how nginx's ``X-Replica`` header and access log name this replica."""


@dataclass(frozen=True)
class Cluster:
    """A running cluster: nginx's URL, the replicas behind it, the database they share, the folder of nginx's files
    and the data folder the replicas were given (where a SQLite database would appear if one were used)."""

    url: str
    replicas: tuple[Replica, ...]
    database_url: str
    postgres: Postgres
    folder: Path
    data_folder: Path
    routes: dict[str, str]
    """Replica address -> a route cookie value that nginx sends to it."""

    def route_to(self, index: int) -> str:
        """A ``dlp_route`` cookie value that nginx sends to replica ``index``."""
        return self.routes[self.replicas[index].addr]

    def log(self) -> str:
        """Every replica's log, one after the other (``harness.browser.assert_healthy`` reads it for Tracebacks)."""
        return "\n".join(replica.server.log() for replica in self.replicas)

    def access_log(self) -> str:
        path = self.folder / "access.log"
        return path.read_text(errors="replace") if path.exists() else ""


def replica_of(url: str, route: str | None = None, path: str = "/_stcore/health") -> str:
    """The replica (``X-Replica``) that nginx at ``url`` sends a request for ``path`` to, with ``route`` as the route
    cookie (none: a new browser)."""
    request = urllib.request.Request(url + path, headers={"Cookie": f"{ROUTE_COOKIE}={route}"} if route else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["X-Replica"]


def find_routes(url: str, replicas: Sequence[str], tries: int = 200) -> dict[str, str]:
    """A route cookie value for each replica, found by asking nginx where each of a series of routes goes."""
    routes: dict[str, str] = {}
    for n in range(tries):
        route = hashlib.md5(f"dlp-route-{n}".encode()).hexdigest()  # 32 hex digits, as nginx's own routes
        routes.setdefault(replica_of(url, route), route)
        if set(replicas) <= routes.keys():
            return routes
    raise RuntimeError(f"nginx sent {tries} routes to {sorted(routes)} only, not to all of {sorted(replicas)}")


@contextlib.contextmanager
def run_nginx(replicas: Sequence[str], folder: Path) -> Iterator[str]:
    """nginx (in the foreground, as our child) running deploy/nginx.conf for ``replicas`` on a free loopback port,
    its files in ``folder``; yields its URL once it passes a health check through to a replica."""
    nginx = find_nginx()
    if nginx is None:
        raise FileNotFoundError(NO_NGINX)
    port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(render_nginx_conf(replicas, f"127.0.0.1:{port}", folder))
    error_log = folder / "error.log"
    checked = subprocess.run([nginx, "-t", "-p", str(folder), "-c", str(conf), "-e", str(error_log),
                              "-g", f"pid {folder / 'nginx.pid'};"], capture_output=True, text=True, timeout=30)
    if checked.returncode != 0:
        raise RuntimeError(f"nginx -t refused the configuration: {checked.stderr}")
    process = subprocess.Popen([nginx, "-p", str(folder), "-c", str(conf), "-e", str(error_log),
                                "-g", f"daemon off; pid {folder / 'nginx.pid'};"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited with code {process.returncode}: "
                                   f"{error_log.read_text(errors='replace')[-2000:]}")
            try:
                replica_of(url)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()  # SIGTERM: nginx's fast shutdown
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _enter_together(stack: contextlib.ExitStack, managers: list) -> list:
    """Enter ``managers`` at the same time (servers start in parallel); each one entered is exited with ``stack``."""
    with ThreadPoolExecutor(len(managers)) as pool:
        futures = [pool.submit(manager.__enter__) for manager in managers]
    results, failure = [], None
    for manager, future in zip(managers, futures, strict=True):
        try:
            results.append(future.result())
            stack.push(manager)
        except Exception as error:  # raised below, once every started one is in the stack
            failure = failure or error
    if failure is not None:
        raise failure
    return results


@contextlib.contextmanager
def run_cluster(replicas: int = 2, postgres: Postgres | None = None, durable: bool = False) -> Iterator[Cluster]:
    """PostgreSQL (``postgres``, else a throwaway cluster: ``durable`` keeps its crash-safety settings), ``replicas``
    app servers on it (started together, with one cookie secret as deploy/compose.yaml gives them), and nginx in
    front."""
    with contextlib.ExitStack() as stack:
        pg = postgres or stack.enter_context(run_postgres(fast=not durable))
        database_url = pg.new_database()
        folder = Path(tempfile.mkdtemp(prefix="dlp-cluster-"))
        stack.callback(shutil.rmtree, folder, True)
        folder.chmod(0o755)  # nginx started by root runs its workers as nobody: they keep request bodies in here
        data_folder = folder / "data"
        data_folder.mkdir()
        env = {"DLP_DATABASE_URL": database_url, "DLP_DATA": str(data_folder),
               "STREAMLIT_SERVER_COOKIE_SECRET": hashlib.sha256(os.urandom(32)).hexdigest()}
        servers = _enter_together(stack, [run_server(env=env) for _ in range(replicas)])
        members = tuple(Replica(server, server.url.removeprefix("http://")) for server in servers)
        url = stack.enter_context(run_nginx([m.addr for m in members], folder))
        routes = find_routes(url, [m.addr for m in members])
        try:
            yield Cluster(url, members, database_url, pg, folder, data_folder, routes)
        finally:
            (ARTIFACTS / "logs").mkdir(parents=True, exist_ok=True)
            for name in ("access.log", "error.log", "nginx.conf"):
                if (folder / name).exists():
                    shutil.copy(folder / name, ARTIFACTS / "logs" / f"nginx-{name}")
