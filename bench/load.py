"""A classroom on one server: N browser sessions walk every lesson at once while some of them train a network.

One real ``streamlit run app.py`` on a loopback port (``harness.server.run_server``), one headless Chromium, one
browser context (= one Streamlit session) per student, all driven at once with Playwright's async API:

1. warm-up (not measured; ``--no-warmup`` and ``--quick`` skip it): one session walks every page and trains once,
   so that imports, caches and the server's lazily started pools exist before anything is measured;
2. reference: one session alone walks every page; its median time to ready is the yardstick, measured in this same
   run on this same machine, and the server's thread count after it is the baseline;
3. load: N sessions walk every page ``--rounds`` times at once; ``--trainers`` of them first train a network on the
   trainer page (Start, wait for "Finished"), and at the end start a long run and leave while it runs (their
   browser closes): the server must stop that run itself once no page has looked at it for ``ABANDONED_AFTER`` s;
4. every browser closes; within ``--settle`` s the server must be back at its baseline: threads (counted as a later
   visitor finds them, see ``ANYIO_IDLE``) at most ``THREAD_TOLERANCE`` above it, and idle (under
   ``IDLE_CPU_LIMIT`` of a core). Python 3.11 does not give its threads OS names (every /proc/<pid>/task/*/comm of
   the server reads "python"), so a "dlp-training" thread cannot be seen by name: one left behind would be a thread
   too many and a busy core, which the CPU check catches even inside the tolerance.

A walk: every page in nav order, each opened by its sidebar link (a click: the session goes on), the home page last.
A page visit's time to ready: from the click until the page's run has set its title, the run is over and every
plotly chart is drawn (``harness.browser``'s ``IDLE`` and ``DRAWN``). A new browser's first load (``goto``) is
timed apart. Errors, all counted: console errors, page errors, HTTP >= 400 (except the known base-path probes),
failed requests, exception elements, the friendly page-error box, timeouts, failed trainings, a Traceback in the
server log. Exit code 1 if errors > 0 or the server did not come back to its baseline, 2 without Chromium. Loopback
only, every wait bounded (``--timeout`` per visit, the phase by the sum of them). The browsers run on the same CPUs
as the server, so on a small machine the ratio overstates the server's own slowdown.

    python bench/load.py [--sessions 10] [--trainers 2] [--rounds 1] [--timeout 120] [--settle 60]
                         [--no-warmup] [--quick]   # --quick: 3 sessions, 1 trainer, 1 round, no warm-up
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import math
import os
import platform
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.browser import BASE_PATH_PROBE, DRAWN, IDLE  # noqa: E402
from harness.server import CHROMIUM_ARGS, find_chromium, run_server  # noqa: E402
from ui.jobs.training_job import MAX_CONCURRENT_TRAININGS  # noqa: E402
from ui.shell.i18n import translate  # noqa: E402
from ui.shell.registry import all_pages  # noqa: E402

PAGES = all_pages()
TRAIN_QUERY = "lang=en&epochs=1&b1=8-3-relu-max-bn"  # a short run: one epoch of a small CNN on the digits
LEAVE_QUERY = "lang=en&epochs=30"  # a long run (the default CNN, 30 epochs): started, then abandoned
# Chromium must not slow down pages it considers in the background: every context is a student in front of a screen.
BROWSER_ARGS = [*CHROMIUM_ARGS, "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
                "--disable-backgrounding-occluded-windows"]
# The server's idle thread count. Streamlit serves through Starlette / uvicorn, and anyio runs blocking calls (static
# files, …) in worker threads that it keeps while idle: an idle worker is ended only by the next call that comes more
# than 10 s (anyio's WorkerThread.MAX_IDLE_TIME) after the worker's last job. A server left alone after a crowd thus
# keeps one idle thread per concurrent call it served (31 after 4 sessions, back to 8 on the next request). So the
# count is taken the way a later visitor would find the server: 11 s after the last browser closed, then one GET /.
ANYIO_IDLE = 11.0
# Still allowed above the baseline after that: the thread pools that only grow on demand and keep their workers
# (Streamlit's file watchers' ThreadPoolExecutor, concurrent.futures pools of the libraries): seen 0 to 2 here. A
# training thread left behind is caught by the CPU check (it keeps a core busy), which this tolerance cannot hide.
THREAD_TOLERANCE = 2
IDLE_CPU_LIMIT = 0.2  # the server, with no visitor, may use at most 20% of one core (a training thread uses ~100%)


def prefix(key: str) -> str:
    """The fixed start of an English message with ``{fields}``: "Finished in {seconds} s." -> "Finished in"."""
    return translate(key, "en").split("{")[0].strip()


FINISHED, RUNNING = prefix("cnn_trainer.status.finished"), prefix("cnn_trainer.status.running")
BAD_ENDS = {prefix(f"cnn_trainer.status.{s}"): s for s in ("stopped", "time_limit", "diverged", "failed",
                                                           "out_of_memory")}
QUEUED = prefix("cnn_trainer.status.queued").split(":")[0]  # "Waiting for a free training slot"
ABANDONED_AFTER = 30
"""The server's ``DLP_ABANDONED_AFTER`` here: a run whose browser has closed is stopped after this many seconds
without a look (a classroom server waits 180 s, so that a dropped connection can come back to its run); long enough
that a page still watching its run is seen under this load, where its once-a-second look can wait behind ten
sessions on two cores (5 s was too short: it stopped a run that was being watched)."""
PAGE_ERROR = translate("app.page_error", "en")


# ---- the server process: RSS, threads, CPU -------------------------------------------------------------------


def server_pid(url: str) -> int:
    """The pid of the ``streamlit run`` that ``run_server`` started for ``url`` (found by its port)."""
    port = url.rsplit(":", 1)[1]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"--server.port={port}".encode() in argv and b"streamlit" in b" ".join(argv):
            return int(entry)
    raise RuntimeError(f"no streamlit process listening on port {port}")


class Probe:
    """Resident memory, thread count and CPU seconds of one process: psutil if installed, else /proc."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        try:
            import psutil

            self._process = psutil.Process(pid)
        except ImportError:
            self._process = None
        self.psutil = self._process is not None

    def rss_mb(self) -> float:
        if self._process is not None:
            return self._process.memory_info().rss / 2**20
        return self._status("VmRSS") / 1024  # kB

    def threads(self) -> int:
        if self._process is not None:
            return self._process.num_threads()
        return int(self._status("Threads"))

    def cpu_seconds(self) -> float:
        if self._process is not None:
            times = self._process.cpu_times()
            return times.user + times.system
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime

    def _status(self, name: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
        raise KeyError(name)

    def cpu_share(self, seconds: float = 2.0) -> float:
        """The share of one core the process used over the next ``seconds``."""
        start, cpu = time.perf_counter(), self.cpu_seconds()
        time.sleep(seconds)
        return (self.cpu_seconds() - cpu) / (time.perf_counter() - start)


def process_cpu() -> dict[int, tuple[int, float]]:
    """Every process's parent and CPU seconds (user + system), from /proc."""
    table = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            table[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return table


def browser_cpu(server: int) -> dict[int, float]:
    """CPU seconds of each process below this one (Playwright's driver, Chromium and its renderers), the server
    excluded."""
    table = process_cpu()
    found, todo = {}, [os.getpid()]
    while todo:
        parent = todo.pop()
        for pid, (ppid, _) in table.items():
            if ppid == parent and pid != server:
                found[pid] = table[pid][1]
                todo.append(pid)
    return found


class Sampler:
    """Samples RSS and threads every 0.2 s in a thread of its own, keeping the peaks."""

    def __init__(self, probe: Probe) -> None:
        self.probe, self.peak_rss, self.peak_threads = probe, 0.0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="load-sampler")

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(0.2)

    def sample(self) -> None:
        try:
            self.peak_rss = max(self.peak_rss, self.probe.rss_mb())
            self.peak_threads = max(self.peak_threads, self.probe.threads())
        except (OSError, KeyError):  # the server is gone: the run reports it elsewhere
            pass

    def __enter__(self) -> Sampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def settle(probe: Probe, url: str, target: int | None, limit: float) -> tuple[bool, float, int, float]:
    """Wait until the server is back at rest: ``ANYIO_IDLE`` s, then a GET / (anyio prunes its idle workers), then
    threads at most ``target`` (any count, with no target) and under ``IDLE_CPU_LIMIT`` of a core over 2 s; retried
    every 2 s up to ``limit`` s. Returns (ok, seconds waited, threads, CPU share of one core)."""
    import urllib.request

    start = time.perf_counter()
    time.sleep(ANYIO_IDLE)
    while True:
        with urllib.request.urlopen(f"{url}/", timeout=10) as response:
            response.read()
        time.sleep(0.5)
        threads, cpu = probe.threads(), probe.cpu_share(2.0)
        waited = time.perf_counter() - start
        if (target is None or threads <= target) and cpu < IDLE_CPU_LIMIT:
            return True, waited, threads, cpu
        if waited > limit:
            return False, waited, threads, cpu
        time.sleep(2.0)


# ---- one student: a browser context --------------------------------------------------------------------------


@dataclass
class Student:
    name: str
    context: object
    page: object
    errors: list[str] = field(default_factory=list)
    visits: list[tuple[str, float]] = field(default_factory=list)  # (url_path, seconds to ready)
    first_loads: list[float] = field(default_factory=list)  # seconds from goto (a new page load) to ready
    trainings: list[float] = field(default_factory=list)  # seconds from Start to "Finished"
    queued: int = 0  # Start found every slot taken: the run waited its turn
    left_running: int = 0
    closing: bool = False


async def new_student(browser, name: str, timeout: float) -> Student:
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = await context.new_page()
    page.set_default_timeout(timeout * 1e3)
    student = Student(name, context, page)

    def error(text: str) -> None:
        if not student.closing:
            student.errors.append(f"{name}: {text}")

    def on_console(message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            error(message.text)

    def on_response(response) -> None:
        if response.status >= 400 and not BASE_PATH_PROBE.search(response.url.split("?")[0]):
            error(f"HTTP {response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    def on_request_failed(request) -> None:
        # A download button's file (/media/…) that the browser itself cancels (net::ERR_ABORTED) because the student
        # moved on to the next page is not a failure of the server; anything else is, with its reason.
        reason = request.failure or ""
        if "/media/" in request.url and "ERR_ABORTED" in reason:
            return
        error(f"request failed: {request.url} ({reason})")

    page.on("requestfailed", on_request_failed)
    page.on("pageerror", lambda exc: error(f"page error: {exc}"))
    return student


def title_of(spec) -> str:
    return f"{translate(spec.title_key, 'en')} · {translate('app.title', 'en')}"


TITLED_OR_FAILED = """t => document.title === t || !!document.querySelector('[data-testid="stException"]')"""


async def until_ready(student: Student, title: str) -> None:
    """The page's own run has set its title, the run is over and every chart is drawn; then no error is shown."""
    page = student.page
    # an app that fails (an exception shown instead of the page) is counted at once, not after a timeout
    await page.wait_for_function(TITLED_OR_FAILED, arg=title)
    await page.locator(IDLE).wait_for()
    await page.wait_for_function(DRAWN)
    exceptions = await page.locator('[data-testid="stException"]').count()
    if exceptions:
        student.errors.append(f"{student.name}: {exceptions} exception element(s) on {page.url}")
    if await page.get_by_text(PAGE_ERROR).count():
        student.errors.append(f"{student.name}: the page-error box on {page.url}")


async def visit(student: Student, url: str, spec) -> None:
    """Open ``spec``'s page by its sidebar link: a click in the running app, the session goes on. A page that is not
    the app (blank, or after an error) loads ``spec``'s URL instead, timed as a first load."""
    page = student.page
    href = url + "/" + ("" if spec.default else spec.url_path)
    clicked = page.url.startswith(url)
    start = time.perf_counter()
    try:
        if clicked:
            await page.locator(f'[data-testid="stSidebarNavLink"][href="{href}"]').click()
        else:
            await page.goto(href + "?lang=en")
        await until_ready(student, title_of(spec))
    except Exception as error:  # a timeout, a closed page: counted, and the walk goes on from a fresh load
        student.errors.append(f"{student.name}: {spec.url_path}: {type(error).__name__}: {str(error)[:200]}")
        await page.goto("about:blank")
        return
    seconds = time.perf_counter() - start
    if clicked:
        student.visits.append((spec.url_path, seconds))
    else:
        student.first_loads.append(seconds)


# A walk: every page in nav order by its sidebar link; the default (home) page, where a new visitor lands, comes last.
WALK = [spec for spec in PAGES if not spec.default] + [spec for spec in PAGES if spec.default]


async def walk(student: Student, url: str, rounds: int) -> None:
    if not student.page.url.startswith(url):  # a new browser: it lands on the home page
        await visit(student, url, WALK[-1])
    for _ in range(rounds):
        for spec in WALK:
            await visit(student, url, spec)


async def main_text(page) -> str:
    return await page.locator('[data-testid="stMain"]').inner_text()


async def train(student: Student, url: str, query: str, leave: bool = False) -> None:
    """On the trainer page with ``query``: press Start, then wait for "Finished" (or, with ``leave``, only until the
    run is under way)."""
    trainer = next(spec for spec in PAGES if spec.url_path == "cnn_trainer")
    page = student.page
    try:
        start = time.perf_counter()
        await page.goto(f"{url}/cnn_trainer?{query}")
        await until_ready(student, title_of(trainer))
        student.first_loads.append(time.perf_counter() - start)
        start = time.perf_counter()
        await page.get_by_role("button", name=translate("cnn_trainer.start", "en")).click()
        ends = [RUNNING] if leave else [FINISHED, *BAD_ENDS]
        has = """(ends) => { const main = document.querySelector('[data-testid="stMain"]');
                const text = main ? main.innerText : ''; return ends.some(e => text.includes(e)); }"""
        await page.wait_for_function(has, arg=[*ends, QUEUED], polling=250)
        if QUEUED in await main_text(page):
            student.queued += 1
            await page.wait_for_function(has, arg=ends, polling=250)  # its turn comes by itself
        text = await main_text(page)
        if leave:
            student.left_running += 1
            return
        seconds = time.perf_counter() - start
        bad = [status for end, status in BAD_ENDS.items() if end in text]
        if bad:
            student.errors.append(f"{student.name}: the training ended {bad[0]}")
            return
        student.trainings.append(seconds)
        await until_ready(student, title_of(trainer))  # the results drawn after the run
    except Exception as error:
        student.errors.append(f"{student.name}: training: {type(error).__name__}: {str(error)[:200]}")


async def close(students: list[Student]) -> None:
    for student in students:
        student.closing = True
    await asyncio.gather(*(student.context.close() for student in students), return_exceptions=True)


# ---- the phases ------------------------------------------------------------------------------------------------


@dataclass
class Phase:
    label: str
    sessions: int
    trainers: int
    students: list[Student]
    rss: tuple[float, float, float]  # before, peak, after (MB)
    threads: tuple[int, int, int]
    settled: bool = True
    settle_seconds: float = 0.0
    idle_cpu: float = 0.0
    timed_out: bool = False
    wall: float = 0.0  # seconds from the first browser opening to the last page done
    cpu: tuple[float, float, float] = (0.0, 0.0, 0.0)  # CPU seconds meanwhile: the server, the browsers, this driver

    @property
    def times(self) -> list[float]:
        return [seconds for s in self.students for _, seconds in s.visits]

    @property
    def errors(self) -> list[str]:
        return [e for s in self.students for e in s.errors] + (["the phase ran out of time"] if self.timed_out else [])


async def run_phase(browser, url: str, probe: Probe, label: str, sessions: int, trainers: int, rounds: int,
                    timeout: float, leave: bool, settle_target: int | None, settle_limit: float) -> Phase:
    rss_before, threads_before = probe.rss_mb(), probe.threads()
    students = [await new_student(browser, f"{label}-{n}", timeout) for n in range(sessions)]

    async def student_run(n: int, student: Student) -> None:
        if n < trainers:
            await train(student, url, TRAIN_QUERY)
        await walk(student, url, rounds)
        if n < trainers and leave:
            await train(student, url, LEAVE_QUERY, leave=True)

    budget = timeout * (len(PAGES) * rounds + 4)  # every visit and both trainings at their limit, and then some
    timed_out = False
    start, server_cpu, browsers, driver = time.perf_counter(), probe.cpu_seconds(), browser_cpu(probe.pid), \
        time.process_time()
    with Sampler(probe) as sampler:
        try:
            await asyncio.wait_for(asyncio.gather(*(student_run(n, s) for n, s in enumerate(students))), budget)
        except TimeoutError:
            timed_out = True
        wall = time.perf_counter() - start
        cpu = (probe.cpu_seconds() - server_cpu,
               sum(seconds - browsers.get(pid, 0.0) for pid, seconds in browser_cpu(probe.pid).items()),
               time.process_time() - driver)
        await close(students)
    ok, waited, threads_after, idle_cpu = await asyncio.to_thread(settle, probe, url, settle_target, settle_limit)
    return Phase(label, sessions, trainers, students, (rss_before, sampler.peak_rss, probe.rss_mb()),
                 (threads_before, sampler.peak_threads, threads_after), ok, waited, idle_cpu, timed_out, wall, cpu)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def usable_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def machine_line() -> str:
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    return (f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} · {platform.node()} · {usable_cpus()} CPUs "
            f"(os.cpu_count {os.cpu_count()}) · load average {load} · Python {platform.python_version()}")


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(reference: Phase, load: Phase, extra_errors: list[str], rounds: int) -> None:
    header = ("| run | sessions | trainers | page visits | p50 s | p95 s | max s | p50 / reference | errors "
              "| RSS before / peak / after MB | threads before / peak / after |")
    print(header)
    print("|" + "|".join("---" for _ in header.split("|")[1:-1]) + "|")
    ref_p50 = median(reference.times)
    for phase in (reference, load):
        times = phase.times
        errors = len(phase.errors) + (len(extra_errors) if phase is load else 0)
        print(f"| {phase.label} | {phase.sessions} | {phase.trainers} | {len(times)} | {median(times):.2f} "
              f"| {percentile(times, 95):.2f} | {max(times, default=float('nan')):.2f} | {median(times) / ref_p50:.2f} "
              f"| {errors} | {phase.rss[0]:.0f} / {phase.rss[1]:.0f} / {phase.rss[2]:.0f} "
              f"| {phase.threads[0]} / {phase.threads[1]} / {phase.threads[2]} |")
    print()
    firsts = {phase.label: [t for s in phase.students for t in s.first_loads] for phase in (reference, load)}
    print("First loads (a new browser opens a link, until the page is ready; not in the page visits): "
          + "; ".join(f"{label} p50 {median(t):.2f} s, max {max(t, default=float('nan')):.2f} s ({len(t)})"
                      for label, t in firsts.items()))
    cpus = usable_cpus()
    for phase in (reference, load):
        server, browsers, driver = phase.cpu
        print(f"CPU while the {phase.label} ran ({phase.wall:.0f} s, {cpus} CPUs: {cpus * phase.wall:.0f} CPU s "
              f"available): server {server:.0f} s, browsers (Chromium, Playwright's driver) {browsers:.0f} s, "
              f"this script {driver:.0f} s.")
    trained = [seconds for s in load.students for seconds in s.trainings]
    queued = sum(s.queued for s in load.students)
    left = sum(s.left_running for s in load.students)
    print(f"Trainings under load: {len(trained)} finished "
          f"({', '.join(f'{t:.1f} s' for t in trained) or 'none'}, Start to \"Finished\"), {queued} waited their "
          f"turn (at most {MAX_CONCURRENT_TRAININGS} train at once), {left} left running when the browser closed "
          f"(stopped by the server {ABANDONED_AFTER} s after the last look).")
    print(f"After closing every browser: threads {load.threads[2]} (baseline {load.threads[0]} + tolerance "
          f"{THREAD_TOLERANCE}), server CPU {100 * load.idle_cpu:.0f}% of a core (limit {100 * IDLE_CPU_LIMIT:.0f}%): "
          f"{'back' if load.settled else 'NOT back'} after {load.settle_seconds:.1f} s "
          f"(including the {ANYIO_IDLE:.0f} s wait).")
    print()
    print(f"Per page (seconds to ready after the sidebar click; {rounds} round(s) under load):")
    print("| page | alone | under load p50 | under load max |")
    print("|---|---|---|---|")
    for spec in WALK:
        alone = [t for s in reference.students for p, t in s.visits if p == spec.url_path]
        loaded = [t for s in load.students for p, t in s.visits if p == spec.url_path]
        print(f"| {spec.url_path} | {median(alone):.2f} | {median(loaded):.2f} "
              f"| {max(loaded, default=float('nan')):.2f} |")
    errors = reference.errors + load.errors + extra_errors
    if errors:
        print(f"\n{len(errors)} error(s):")
        for error in errors[:40]:
            print(f"- {error}")


async def run(args) -> int:
    from playwright.async_api import async_playwright

    chromium = find_chromium()
    if chromium is None:
        print("bench/load.py: no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)", file=sys.stderr)
        return 2
    print(f"# bench/load.py: {args.sessions} sessions, {args.trainers} training, {args.rounds} round(s)"
          f"{' (quick)' if args.quick else ''}")
    print(f"machine: {machine_line()}")
    with run_server({"DLP_ABANDONED_AFTER": str(ABANDONED_AFTER)}) as server:
        probe = Probe(server_pid(server.url))
        cold = probe.threads(), probe.rss_mb()
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
            try:
                warm = None
                if args.warmup:
                    warm = await run_phase(browser, server.url, probe, "warm-up", 1, 1, 1, args.timeout, False,
                                           None, args.settle)
                reference = await run_phase(browser, server.url, probe, "reference", 1, 0, 1, args.timeout, False,
                                            None, args.settle)
                broken = (warm.errors if warm else []) + reference.errors
                if broken:  # one student alone already fails: no point in a crowd
                    print(f"FAILED before the load: one session alone met {len(broken)} error(s):")
                    for error in broken[:20]:
                        print(f"- {error}")
                    return 1
                baseline = reference.threads[2]
                load = await run_phase(browser, server.url, probe, "load", args.sessions, args.trainers,
                                       args.rounds, args.timeout, True, baseline + THREAD_TOLERANCE, args.settle)
                load.threads = (baseline, *load.threads[1:])
            finally:
                await browser.close()
        log = server.log()
    extra_errors = (warm.errors if warm else []) + (["a Traceback in the server log"] if "Traceback" in log else [])
    print(f"server: cold {cold[0]} threads, {cold[1]:.0f} MB"
          + (f"; after the warm-up (one session walks and trains, not measured) {warm.threads[2]} threads, "
             f"{warm.rss[2]:.0f} MB" if warm else "; no warm-up: the reference's times include first renders")
          + f"; measured with {'psutil' if probe.psutil else '/proc'}; log {server.log_path.relative_to(ROOT)}")
    print("reference = one session alone walking the same pages, in this run, before the load; "
          "errors of the warm-up and a Traceback in the server log count in the load row")
    print()
    report(reference, load, extra_errors, args.rounds)
    print(f"\nmachine at the end: {machine_line()}")
    failed = bool(reference.errors or load.errors or extra_errors) or not load.settled
    print("FAILED: " + ", ".join(part for part, bad in (("errors", reference.errors or load.errors or extra_errors),
                                                          ("the server did not come back to its baseline",
                                                           not load.settled)) if bad) if failed else "OK")
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10, help="browser sessions at once (default 10)")
    parser.add_argument("--trainers", type=int, default=2, help="how many of them train a network (default 2)")
    parser.add_argument("--rounds", type=int, default=1, help="walks through every page per session (default 1)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds allowed for one page visit (120)")
    parser.add_argument("--settle", type=float, default=60.0,
                        help="seconds allowed for the server to come back to its baseline after the load (60)")
    parser.add_argument("--warmup", action=argparse.BooleanOptionalAction, default=None,
                        help="first one unmeasured session walks and trains (default: on, off with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="a reduced form for CI: 3 sessions, 1 trainer, 1 round, no warm-up")
    args = parser.parse_args()
    if args.quick:
        args.sessions, args.trainers, args.rounds = 3, 1, 1
    if args.warmup is None:
        args.warmup = not args.quick
    if not 0 <= args.trainers <= args.sessions or args.sessions < 1 or args.rounds < 1:
        parser.error("need 1 <= sessions, 0 <= trainers <= sessions, 1 <= rounds")
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
