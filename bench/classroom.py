"""A class answering a question: one teacher and 30 students, each student answers, and the time until the projector's
count shows the answer; on SQLite with one server, on PostgreSQL with one server, and on PostgreSQL with two replicas
behind nginx (``harness.cluster``: the shipped deploy/nginx.conf).

Who takes part, all on loopback, all through the app's real pages:

- the teacher: headless Chromium at projector size on /classroom (on the cluster, routed to the first replica); they
  start a room and ask a question with the page's own form; the projector page then counts the answers by itself
  (its fragment re-reads the database every ``PROJECTOR_EVERY_S`` s);
- ``--browsers`` students (10): each a Chromium context at phone size that opens the join link, joins, waits for the
  question in its sidebar and, at its moment, picks the answer and presses Send;
- ``--light`` students (20): lighter clients that speak Streamlit's own protocol over the page's WebSocket
  (``/_stcore/stream``: the BackMsg / ForwardMsg protobufs the app's frontend sends and receives), without drawing
  anything. They go through the same server code as a browser: the join page's form, the sidebar's answer form, the
  same callbacks, session state and store calls, and they re-run their sidebar's fragment on the schedule the server
  asks for (``auto_rerun``, every 3 s), as the frontend does. Through nginx they first load the page over HTTP and keep
  the route cookie it gives them, as a browser would.

Students answer at moments drawn at random (seeded) over ``--spread`` seconds, as a class does, not all in one
millisecond. For each answer: *click* (the moment the student pressed Send, or the light client sent its form), *saved*
(the answer's time in the database: the server's clock when it took the answer) and *shown* (the first animation frame
at which the projector's count includes it, recorded in the teacher's page by a MutationObserver; answers are
matched to counts in the order they were saved). One machine, one clock. Target (issue 21 item 9): p95 of click ->
shown ≤ 2 s, no error, no answer lost. The projector re-reads every ``PROJECTOR_EVERY_S`` s by design: that alone
puts saved -> shown between 0 and ``PROJECTOR_EVERY_S`` s (uniformly, for answers at random moments: p50 half of it,
p95 0.95 of it), the floor the table's saved -> shown is to be read against.

Then the class draws: the teacher asks for the digits, and every student draws a 0 on the pad at a moment drawn over
``--spread`` seconds and sends it: a browser student with the mouse on the canvas, a light client by sending the
canvas's own value (the PNG data URL of a drawn 0) and then pressing Send in the next run, as the frontend does. The
same timings, from Send to the projector's count of drawings.

Errors, all counted: console and page errors and failed requests of every browser page, HTTP >= 400 (except the
known base-path probes), exception boxes, an answer refused or not acknowledged, a light client's exception element or
protocol failure, a timeout, a Traceback in a server log. Answers lost: students whose answer the database does not
hold, and the projector's final count short of the class. Every wait is bounded. Exit code 1 on any error or lost
answer, 2 without Chromium.

Where the other rounds of a class go: ``ROUNDS`` lists what the class does once it is in the room, each an async
``round(cls: ClassInRoom) -> list[str]`` returning its table's rows (the answer round is the first); a round of
drawings (their throughput: drawings sent per second and the teacher's gallery catching up) is added there.

    python bench/classroom.py [--browsers 10] [--light 20] [--spread 20] [--setups sqlite,postgresql,cluster]
                              [--seed 21] [--timeout 120] [--quick]
    # --quick: 2 browsers and 4 light clients answering over 4 s, on the two replicas behind nginx only (a check that
    # the bench and its light clients still work with the app, for tests/test_bench_classroom.py; not a measurement)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select  # noqa: E402

from core.class_drawings import DIGIT_LABELS  # noqa: E402
from core.classroom import new_token, token_hash  # noqa: E402
from core.images import PAD_SIDE  # noqa: E402
from harness.browser import BASE_PATH_PROBE, IDLE  # noqa: E402
from harness.classroom import pad_strokes  # noqa: E402
from harness.server import CHROMIUM_ARGS, find_chromium, run_server  # noqa: E402
from store.db import answers, drawings, questions  # noqa: E402
from ui.lessons.classroom_drawings import PAD  # noqa: E402
from ui.shell.classroom import COOKIE, FOLLOW_EVERY_S, PROJECTOR_EVERY_S  # noqa: E402
from ui.shell.i18n import translate  # noqa: E402

LANG = "en"
TARGET_P95_S = 2.0
PROMPT, OPTIONS, RIGHT = "2 + 2 = ?", ("3", "4", "5"), 1  # the question: three options, the second one right
DRAWN = "0"
"""What every student draws: the label the pad suggests first."""
SEND_DRAWING = "classroom_send_drawing"


def pad_value() -> str:
    """The canvas's value for a drawn ``DRAWN`` (JSON, as the component sends it): white strokes on the black pad as
    a PNG data URL."""
    import base64
    import io
    import json

    import numpy as np
    from PIL import Image

    from core.drawn_digits import STYLES, ink
    from core.images import PAD_DATA_URL_PREFIX

    grey = ink(STYLES[int(DRAWN)][0], pen_width=PAD_SIDE / 14, size=PAD_SIDE)
    out = io.BytesIO()
    Image.fromarray(np.rint(grey * 255).astype(np.uint8)).convert("RGBA").save(out, "PNG")
    url = PAD_DATA_URL_PREFIX + base64.b64encode(out.getvalue()).decode("ascii")
    return json.dumps({"drawing": {"raw": {"objects": []}, "data": url}, "backgroundFit": None})


BROWSER_ARGS = [*CHROMIUM_ARGS, "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
                "--disable-backgrounding-occluded-windows"]  # every student is in front of their screen


def text_of(key: str, **fields) -> str:
    """A catalogue message as the page shows it (markdown's ** removed)."""
    return translate(key, LANG, **fields).replace("**", "")


def answered_pattern() -> str:
    """A regular expression (JavaScript and Python alike) for the projector's "3 of 30 students have answered."."""
    template = re.escape(translate("classroom.ask.answered", LANG).replace("**", ""))
    return "^" + template.replace(re.escape("{answered}"), r"(\d+)").replace(re.escape("{students}"), r"\d+") + "$"


COUNTER = """pattern => {
    const re = new RegExp(pattern);
    const read = () => {
        for (const el of document.querySelectorAll('[data-testid="stMarkdownContainer"]')) {
            const m = el.textContent.trim().match(re);
            if (m) return +m[1];
        }
        return null;
    };
    window.__answered = [];
    let last = read();
    window.__answered.push([Date.now() / 1000, last]);
    new MutationObserver(() => {
        const n = read();
        if (n !== null && n !== last) {
            last = n;
            requestAnimationFrame(() => window.__answered.push([Date.now() / 1000, n]));  // the frame that shows it
        }
    }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
"""Installed in the projector's page: every change of the answered count, with the time of the frame that shows it."""


def percentile(values: list[float], q: float) -> float:
    """The ``q``-quantile (0..1) of ``values``, linear between order statistics (as numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# ---- the light client: Streamlit's protocol over the WebSocket -----------------------------------------------------


class ProtocolError(RuntimeError):
    pass


class LightStudent:
    """A student without a browser: Streamlit's WebSocket protocol, as the app's frontend speaks it (see the module's
    docstring). ``texts()`` is what the last script run wrote; ``widget(kind, label)`` finds a widget it drew."""

    def __init__(self, base_url: str, name: str, timeout: float) -> None:
        self.base_url, self.name, self.timeout = base_url, name, timeout
        self.token = new_token()
        self.cookies = {COOKIE: self.token}
        self.replica: str | None = None
        self.elements: dict[tuple[int, ...], object] = {}  # delta path -> element (the page as it stands)
        self.run_elements: list[object] = []  # the elements of the current run
        self.errors: list[str] = []
        self._finished = asyncio.Event()
        self._lock = asyncio.Lock()
        self._fragments: dict[str, float] = {}  # fragment id -> seconds between its re-runs (auto_rerun)
        self._tasks: list[asyncio.Task] = []
        self._ws = None
        self.query = ""

    async def connect(self, query: str) -> None:
        """Load the page over HTTP (cookies: nginx's route, Streamlit's XSRF), open the WebSocket, run the page."""
        self.query = query

        def load() -> None:
            request = urllib.request.Request(f"{self.base_url}/classroom?{query}",
                                             headers={"Cookie": f"{COOKIE}={self.token}"})
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                self.replica = response.headers["X-Replica"]
                for header in response.headers.get_all("Set-Cookie") or []:
                    name, _, value = header.split(";")[0].partition("=")
                    self.cookies[name.strip()] = value.strip()

        await asyncio.to_thread(load)
        import websockets

        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self._ws = await websockets.connect(self.base_url.replace("http://", "ws://") + "/_stcore/stream",
                                            subprotocols=["streamlit"], additional_headers={"Cookie": cookie},
                                            max_size=64 * 1024 * 1024, open_timeout=self.timeout)
        self._tasks.append(asyncio.create_task(self._read()))
        await self.run()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()

    async def _read(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        try:
            async for data in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                kind = msg.WhichOneof("type")
                if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                    element = msg.delta.new_element
                    self.elements[tuple(msg.metadata.delta_path)] = element
                    self.run_elements.append(element)
                    if element.WhichOneof("type") == "exception":
                        self.errors.append(f"{self.name}: exception element: {element.exception.message[:200]}")
                elif kind == "auto_rerun":
                    self._fragments[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
                    if not any(t.get_name() == msg.auto_rerun.fragment_id for t in self._tasks):
                        self._tasks.append(asyncio.create_task(self._poll(msg.auto_rerun.fragment_id),
                                                               name=msg.auto_rerun.fragment_id))
                elif kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    self._finished.set()
                elif kind == "ref_hash":
                    self.errors.append(f"{self.name}: a cached message was referred to; this client caches none")
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a dropped connection, a bad message: the student is lost
            self.errors.append(f"{self.name}: WebSocket: {error!r}")
            self._finished.set()

    async def _poll(self, fragment_id: str) -> None:
        """Re-run a fragment on the schedule the server asked for, as the frontend's timer does."""
        while fragment_id in self._fragments:
            await asyncio.sleep(self._fragments[fragment_id])
            await self.run(fragment_id=fragment_id)

    async def run(self, states: dict[str, tuple[str, object]] | None = None, fragment_id: str = "") -> None:
        """One script run (or a fragment's): ``states`` maps a widget id to (WidgetState field, value)."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        async with self._lock:
            msg = BackMsg()
            client = msg.rerun_script
            client.query_string = self.query
            client.page_name = "classroom"
            client.context_info.locale = "en-US"
            client.context_info.url = f"{self.base_url}/classroom?{self.query}"
            if fragment_id:
                client.fragment_id = fragment_id
                client.is_auto_rerun = True
            for widget_id, (kind, value) in (states or {}).items():
                state = client.widget_states.widgets.add()
                state.id = widget_id
                setattr(state, kind, value)
            self._finished.clear()
            self.run_elements = []
            await self._ws.send(msg.SerializeToString())
            try:
                await asyncio.wait_for(self._finished.wait(), self.timeout)
            except TimeoutError:
                self.errors.append(f"{self.name}: a script run did not finish within {self.timeout:.0f} s")

    def texts(self) -> list[str]:
        out = []
        for element in self.run_elements:
            kind = element.WhichOneof("type")
            body = getattr(getattr(element, kind), "body", None)
            if isinstance(body, str):
                out.append(body.replace("**", ""))
        return out

    def widget(self, kind: str, label: str) -> str:
        """The id of the ``kind`` widget labelled ``label`` on the page as it stands."""
        for element in reversed(list(self.elements.values())):
            if element.WhichOneof("type") == kind and getattr(element, kind).label == label:
                return getattr(element, kind).id
        raise ProtocolError(f"{self.name}: no {kind} labelled {label!r} on the page")

    async def join(self, code: str) -> None:
        await self.run({self.widget("text_input", translate("classroom.join.code", LANG)): ("string_value", code),
                        self.widget("text_input", translate("classroom.join.nickname", LANG)):
                            ("string_value", self.name),
                        self.widget("button", translate("classroom.join.button", LANG)): ("trigger_value", True)})
        if text_of("classroom.joined", code=code) not in self.texts():
            raise ProtocolError(f"{self.name}: not in the room after joining: {self.texts()[:6]}")

    async def see_question(self) -> None:
        """A run of the page (as the sidebar's fragment does by itself): the question and its answer form."""
        await self.run()
        if PROMPT not in self.texts():
            raise ProtocolError(f"{self.name}: the question is not in the sidebar: {self.texts()[-6:]}")
        self.pick = self.widget("radio", translate("classroom.answer.pick", LANG))
        self.send = self.widget("button", translate("classroom.answer.send", LANG))

    async def answer(self) -> float:
        """Send the right option; the moment it was sent."""
        sent = time.time()
        await self.run({self.pick: ("string_value", OPTIONS[RIGHT]), self.send: ("trigger_value", True)})
        if text_of("classroom.answer.sent", mine=OPTIONS[RIGHT]) not in self.texts():
            raise ProtocolError(f"{self.name}: the answer was not acknowledged: {self.texts()[-6:]}")
        return sent


    def component(self, key: str) -> str:
        """The id of the custom component (``bidi_component``) keyed ``key`` on the page as it stands."""
        for element in reversed(list(self.elements.values())):
            if element.WhichOneof("type") == "bidi_component" and element.bidi_component.id.endswith(key):
                return element.bidi_component.id
        raise ProtocolError(f"{self.name}: no component keyed {key!r} on the page")

    async def draw(self) -> float:
        """Draw on the pad as the canvas does (its value: the PNG data URL of ``DRAWN``) and, in the next run, press
        Send, as a student's thumb does after lifting the pen; the moment Send was pressed."""
        await self.run()
        if text_of("classroom.draw.student_help") not in self.texts():
            raise ProtocolError(f"{self.name}: no pad on the page: {self.texts()[-6:]}")
        pad = self.component(f"{PAD}_canvas_0")
        await self.run({pad: ("json_value", pad_value())})
        send = self.widget("button", translate("classroom.draw.send_drawing", LANG))
        sent = time.time()
        await self.run({pad: ("json_value", pad_value()), send: ("trigger_value", True)})
        if text_of("classroom.draw.sent", label=DRAWN) not in self.texts():
            raise ProtocolError(f"{self.name}: the drawing was not acknowledged: {self.texts()[-6:]}")
        return sent


# ---- the browsers --------------------------------------------------------------------------------------------------


def watch(page, errors: list[str], who: str) -> None:
    def on_console(message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(f"{who}: console: {message.text[:200]}")

    def on_response(response) -> None:
        if response.status >= 400 and not BASE_PATH_PROBE.search(response.url.split("?")[0]):
            errors.append(f"{who}: HTTP {response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("requestfailed", lambda request: errors.append(f"{who}: request failed: {request.url}"))
    page.on("pageerror", lambda error: errors.append(f"{who}: page error: {error}"))


async def wait_idle(page, timeout_ms: float) -> None:
    await page.locator("h1").first.wait_for(timeout=timeout_ms)
    await page.locator(IDLE).wait_for(timeout=timeout_ms)


@dataclass
class BrowserStudent:
    name: str
    page: object
    token: str
    replica: str | None = None

    async def join(self, link: str, code: str, timeout_ms: float) -> None:
        response = await self.page.goto(f"{link}&lang={LANG}", timeout=timeout_ms)
        self.replica = response.headers.get("x-replica") if response else None
        await wait_idle(self.page, timeout_ms)
        await self.page.get_by_role("textbox", name=translate("classroom.join.nickname", LANG)).fill(self.name)
        await self.page.get_by_role("button", name=translate("classroom.join.button", LANG)).click(timeout=timeout_ms)
        await self.page.get_by_text(text_of("classroom.joined", code=code)).wait_for(timeout=timeout_ms)

    async def see_question(self, timeout_ms: float) -> None:
        sidebar = self.page.locator('[data-testid="stSidebar"]')
        if await sidebar.get_attribute("data-collapsed") == "true":  # a phone folds it away
            await self.page.locator('[data-testid="stExpandSidebarButton"]').click(timeout=timeout_ms)
        await sidebar.get_by_text(PROMPT).wait_for(timeout=timeout_ms)  # by itself: the sidebar re-reads every 3 s

    async def answer(self, timeout_ms: float) -> float:
        """Pick the right option and press Send; the moment Send was pressed."""
        sidebar = self.page.locator('[data-testid="stSidebar"]')
        await sidebar.get_by_text(OPTIONS[RIGHT], exact=True).click(timeout=timeout_ms)
        button = sidebar.get_by_role("button", name=translate("classroom.answer.send", LANG))
        await button.wait_for(timeout=timeout_ms)
        sent = time.time()
        await button.click(timeout=timeout_ms)
        await sidebar.get_by_text(text_of("classroom.answer.sent", mine=OPTIONS[RIGHT])).wait_for(timeout=timeout_ms)
        return sent


    async def draw(self, timeout_ms: float) -> float:
        """Fold the sidebar away (a phone's covers the page), draw the digit with the finger's path on the pad, and
        press Send once the drawing has reached the server; the moment Send was pressed."""
        from playwright.async_api import expect

        page = self.page
        await page.get_by_text(text_of("classroom.draw.student_help")).wait_for(timeout=timeout_ms)
        await wait_idle(page, timeout_ms)
        sidebar = page.locator('[data-testid="stSidebar"]')
        if await sidebar.get_attribute("data-collapsed") == "false":
            await sidebar.hover()
            await page.locator('[data-testid="stSidebarCollapseButton"] button').click(timeout=timeout_ms)
        canvas = page.locator(".canvas-root canvas").last
        await canvas.scroll_into_view_if_needed(timeout=timeout_ms)
        box = await canvas.bounding_box()
        scale = box["width"] / PAD_SIDE
        for stroke in pad_strokes(int(DRAWN)):
            await page.mouse.move(box["x"] + stroke[0][0] * scale, box["y"] + stroke[0][1] * scale)
            await page.mouse.down()
            for x, y in stroke[1:]:
                await page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=4)
            await page.mouse.up()
        button = page.locator(f".st-key-{SEND_DRAWING} button")
        await expect(button).to_be_enabled(timeout=timeout_ms)
        sent = time.time()
        await button.click(timeout=timeout_ms)
        await page.get_by_text(text_of("classroom.draw.sent", label=DRAWN)).wait_for(timeout=timeout_ms)
        return sent


# ---- a class ---------------------------------------------------------------------------------------------------------


@dataclass
class Setup:
    """Where the class meets: the URL students open, how to read the database, the servers' logs, the replicas."""

    label: str
    url: str
    database_url: str
    logs: Callable[[], str]
    teacher_route: str | None = None  # on the cluster: the teacher's route cookie (the first replica)
    replicas: tuple[str, ...] = ()


@dataclass
class ClassInRoom:
    """A class whose every student has joined the teacher's room: what each round of ``ROUNDS`` works with."""

    setup: Setup
    args: argparse.Namespace
    teacher: object
    code: str
    browsers: list[BrowserStudent]
    light: list[LightStudent]
    errors: list[str] = field(default_factory=list)
    lost: int = 0

    @property
    def students(self) -> list:
        return [*self.browsers, *self.light]


async def at_their_moments(cls: ClassInRoom, action: str, seed: int, delay: float, limit: float) -> dict[str, float]:
    """Every student does ``action`` ("answer" or "draw": the method of ``BrowserStudent`` and ``LightStudent``) at a
    moment drawn (``seed``) over ``--spread`` seconds from ``delay`` seconds on; the moment each pressed Send, by
    their token's hash. A failure is counted in ``cls.errors``; the whole takes at most ``limit`` seconds."""
    rng = random.Random(seed)
    start = time.time() + delay
    moments = {id(s): start + rng.uniform(0, cls.args.spread) for s in cls.students}
    clicks: dict[str, float] = {}

    async def act(student) -> None:
        await asyncio.sleep(max(0.0, moments[id(student)] - time.time()))
        try:
            do = getattr(student, action)
            clicks[token_hash(student.token)] = await (do(cls.args.timeout * 1000)
                                                       if isinstance(student, BrowserStudent) else do())
        except Exception as error:  # counted: not sent or not acknowledged
            cls.errors.append(f"{student.name}: {action}: {error!r}"[:300])

    await bounded(asyncio.gather(*(act(s) for s in cls.students)), limit, f"{action} round")
    return clicks


async def answer_round(cls: ClassInRoom) -> list[str]:
    """The teacher asks; every student answers at their moment; the projector counts. One table row."""
    args, teacher, timeout_ms = cls.args, cls.teacher, cls.args.timeout * 1000
    n = len(cls.students)
    main = teacher.locator('[data-testid="stMain"]')
    await main.get_by_text(translate("classroom.ask.title", LANG)).click()
    await main.get_by_role("textbox", name=translate("classroom.ask.prompt", LANG)).fill(PROMPT)
    await main.get_by_role("textbox", name=translate("classroom.ask.options", LANG)).fill("\n".join(OPTIONS))
    await main.get_by_role("textbox", name=translate("classroom.ask.answer", LANG)).fill(str(RIGHT + 1))
    await main.get_by_role("button", name=translate("classroom.ask.send", LANG), exact=True).click()
    await main.get_by_text(text_of("classroom.ask.answered", answered=0, students=n)).wait_for(timeout=timeout_ms)
    await teacher.evaluate(COUNTER, answered_pattern())

    await bounded(asyncio.gather(*(s.see_question(timeout_ms) for s in cls.browsers),
                                 *(s.see_question() for s in cls.light)), args.timeout, "seeing the question")
    clicks = await at_their_moments(cls, "answer", args.seed, 1.0, args.spread + args.timeout)
    shown_all = main.get_by_text(text_of("classroom.ask.answered", answered=n, students=n))
    try:
        await shown_all.wait_for(timeout=timeout_ms)
    except Exception:  # the count never reached the class: answers lost, counted below
        cls.errors.append(f"the projector never showed {n} answers")
    await asyncio.sleep(0.5)
    counts = await teacher.evaluate("() => window.__answered")
    for student in cls.light:  # the light clients' own errors count with the rest
        cls.errors.extend(student.errors)
        student.errors.clear()

    engine = create_engine(cls.setup.database_url)
    try:
        with engine.connect() as conn:
            asked = select(questions.c.id).where(questions.c.room == cls.code)
            rows = conn.execute(select(answers.c.student, answers.c.at, answers.c.value)
                                .where(answers.c.question.in_(asked))).all()
    finally:
        engine.dispose()
    saved = {row.student: row.at for row in rows}
    cls.errors += [f"an answer saved as {row.value}, not {RIGHT}" for row in rows if row.value != RIGHT]

    cells, lost = timed(cls, clicks, saved, counts, n)
    cls.lost = max(cls.lost, lost)
    return [f"| {cls.setup.label} | {len(cls.browsers)} + {len(cls.light)}{per_replica(cls)} | {cells} |"]


def drawn_pattern() -> str:
    """A regular expression for the projector's "The class draws: 0, 1, …. 12 drawings so far."."""
    template = re.escape(translate("classroom.draw.asked", LANG).replace("**", ""))
    return "^" + template.replace(re.escape("{labels}"), ".+?").replace(re.escape("{n}"), r"(\d+)") + "$"


async def drawing_round(cls: ClassInRoom) -> list[str]:
    """The teacher asks for the digits; every student draws one (the label the page suggests first, a 0) and sends
    it at their moment; the projector counts them. One table row."""
    args, teacher, timeout_ms = cls.args, cls.teacher, cls.args.timeout * 1000
    n = len(cls.students)
    main = teacher.locator('[data-testid="stMain"]')
    await main.get_by_role("button", name=translate("classroom.draw.send", LANG), exact=True).click()
    await main.get_by_text(re.compile(drawn_pattern())).wait_for(timeout=timeout_ms)
    await teacher.evaluate(COUNTER, drawn_pattern())
    # every student's page has turned to the pad within FOLLOW_EVERY_S (their sidebar re-reads the room)
    clicks = await at_their_moments(cls, "draw", args.seed + 1, 1.0 + FOLLOW_EVERY_S, args.spread + 2 * args.timeout)
    try:
        await main.get_by_text(text_of("classroom.draw.asked", labels=", ".join(DIGIT_LABELS), n=n)).wait_for(
            timeout=timeout_ms)
    except Exception:  # the count never reached the class: drawings lost, counted below
        cls.errors.append(f"the projector never showed {n} drawings")
    await asyncio.sleep(0.5)
    counts = await teacher.evaluate("() => window.__answered")
    for student in cls.light:
        cls.errors.extend(student.errors)
        student.errors.clear()
    engine = create_engine(cls.setup.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(drawings.c.student, drawings.c.at, drawings.c.label)
                                .where(drawings.c.room == cls.code)).all()
    finally:
        engine.dispose()
    saved = {row.student: row.at for row in rows}
    cls.errors += [f"a drawing saved as label {row.label}, not {DRAWN}" for row in rows if str(row.label) != DRAWN]
    cells, lost = timed(cls, clicks, saved, counts, n)
    cls.lost = max(cls.lost, lost)
    return [f"| {cls.setup.label} | {len(cls.browsers)} + {len(cls.light)}{per_replica(cls)} | {cells} |"]


def per_replica(cls: ClassInRoom) -> str:
    """How nginx spread the students over the replicas ("" for one server)."""
    if not cls.setup.replicas:
        return ""
    by = {r: 0 for r in cls.setup.replicas}
    for student in cls.students:
        by[student.replica] = by.get(student.replica, 0) + 1
    return " (" + " / ".join(str(by[r]) for r in cls.setup.replicas) + " on each)"


def timed(cls: ClassInRoom, clicks: dict[str, float], saved: dict[str, float], counts: list, n: int) -> tuple[str, int]:
    """A round's cells: saved / n, lost, errors, click -> saved, saved -> projector, click -> projector (p50 / p95),
    and whether that p95 meets the target; and how many were lost. ``clicks`` and ``saved`` map a student (their
    token's hash) to the moment they sent and the moment the database took it; ``counts`` is the projector's
    ``[time, count]`` record (``COUNTER``): the k-th saved is shown at the first frame whose count reaches k."""
    order = sorted(saved.items(), key=lambda item: item[1])
    shown: dict[str, float] = {}
    for rank, (student, at) in enumerate(order, start=1):
        when = next((t for t, count in counts if count is not None and count >= rank and t >= at - 0.05), None)
        if when is not None:
            shown[student] = when
    click_saved = [saved[s] - clicks[s] for s in clicks if s in saved]
    saved_shown = [shown[s] - saved[s] for s in shown]
    click_shown = [shown[s] - clicks[s] for s in shown if s in clicks]
    final = max((c for _, c in counts if c is not None), default=0)
    lost = max(n - len(saved), n - final)
    p95 = percentile(click_shown, 0.95)
    return (f"{len(saved)} / {n} | {lost} | {len(cls.errors)} "
            f"| {percentile(click_saved, 0.5):.2f} / {percentile(click_saved, 0.95):.2f} "
            f"| {percentile(saved_shown, 0.5):.2f} / {percentile(saved_shown, 0.95):.2f} "
            f"| {percentile(click_shown, 0.5):.2f} / {p95:.2f} | {'yes' if p95 <= TARGET_P95_S else 'no'}"), lost


ROUNDS: list[Callable[[ClassInRoom], Awaitable[list[str]]]] = [answer_round, drawing_round]
"""What the class does once every student is in the room, in order; each returns its table's rows (its table's header
in ``HEADERS``)."""

HEADERS = {
    "answer_round": ["| setup | students: browsers + light | answers saved | lost | errors "
                     "| click → saved p50 / p95 (s) | saved → projector p50 / p95 (s) "
                     "| click → projector p50 / p95 (s) | p95 ≤ 2 s |",
                     "|---|---|---|---|---|---|---|---|---|"],
    "drawing_round": ["| setup | students: browsers + light | drawings saved | lost | errors "
                      "| send → saved p50 / p95 (s) | saved → projector p50 / p95 (s) "
                      "| send → projector p50 / p95 (s) | p95 ≤ 2 s |",
                      "|---|---|---|---|---|---|---|---|---|"],
}


async def bounded(awaitable, seconds: float, what: str):
    try:
        return await asyncio.wait_for(awaitable, seconds)
    except TimeoutError as error:
        raise TimeoutError(f"{what} took more than {seconds:.0f} s") from error


async def play_class(setup: Setup, args: argparse.Namespace, browser) -> tuple[dict[str, list[str]], list[str], int]:
    """One class on ``setup``: the teacher opens a room, every student joins, then ``ROUNDS``. Rows per round,
    errors, answers lost."""
    timeout_ms = args.timeout * 1000
    errors: list[str] = []
    projector = await browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US")
    contexts = [projector]
    light: list[LightStudent] = []
    try:
        if setup.teacher_route:
            from harness.cluster import ROUTE_COOKIE

            await projector.add_cookies([{"name": ROUTE_COOKIE, "value": setup.teacher_route, "url": setup.url}])
        teacher = await projector.new_page()
        teacher.set_default_timeout(timeout_ms)
        watch(teacher, errors, "teacher")
        await teacher.goto(f"{setup.url}/classroom?lang={LANG}")
        await wait_idle(teacher, timeout_ms)
        await teacher.get_by_role("button", name=translate("classroom.start.button", LANG)).click()
        shown = teacher.locator("h1").filter(has_text=re.compile(r"^\w{3} \w{3}$"))
        await shown.wait_for()
        code = (await shown.inner_text()).replace(" ", "")
        link = (await teacher.locator('[data-testid="stCode"] code').first.inner_text()).strip()

        browsers = []
        for k in range(args.browsers):
            context = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                                has_touch=True, locale="en-US")
            contexts.append(context)
            token = new_token()
            await context.add_cookies([{"name": COOKIE, "value": token, "url": setup.url}])
            page = await context.new_page()
            page.set_default_timeout(timeout_ms)
            watch(page, errors, f"browser {k}")
            browsers.append(BrowserStudent(f"B{k}", page, token))
        light = [LightStudent(setup.url, f"L{k}", args.timeout) for k in range(args.light)]
        joining = asyncio.Semaphore(4)  # students arrive a few at a time, not in one instant

        async def arrive(student) -> None:
            async with joining:
                if isinstance(student, BrowserStudent):
                    await student.join(link, code, timeout_ms)
                else:
                    await student.connect(f"join={code}&lang={LANG}")
                    await student.join(code)

        await bounded(asyncio.gather(*(arrive(s) for s in [*browsers, *light])), 4 * args.timeout, "joining")
        n = len(browsers) + len(light)
        await teacher.wait_for_function(  # the projector's count, by itself
            "n => [...document.querySelectorAll('[data-testid=\"stMetricValue\"]')]"
            ".some(el => el.textContent.trim() === String(n))", arg=n, timeout=timeout_ms)
        cls = ClassInRoom(setup, args, teacher, code, browsers, light, errors)
        rows = {}
        for play in ROUNDS:
            rows[play.__name__] = await play(cls)
        for page in [teacher, *(s.page for s in browsers)]:
            if await page.locator('[data-testid="stException"]').count():
                errors.append("an exception box on a page")
        for student in light:
            errors.extend(student.errors)
        return rows, errors, cls.lost
    finally:
        for student in light:
            await student.close()
        for context in contexts:
            with contextlib.suppress(Exception):
                await context.close()


@contextlib.contextmanager
def setup_of(kind: str, postgres):
    """The servers of ``kind``: "sqlite" (one server, SQLite), "postgresql" (one server), "cluster" (two replicas and
    nginx, on PostgreSQL)."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="dlp-bench-data-") as data, \
                run_server(env={"DLP_DATA": data, "DLP_DATABASE_URL": ""}) as server:
            yield Setup("SQLite, 1 server", server.url, f"sqlite:///{Path(data) / 'classroom.sqlite3'}", server.log)
    elif kind == "postgresql":
        url = postgres.new_database()
        with tempfile.TemporaryDirectory(prefix="dlp-bench-data-") as data, \
                run_server(env={"DLP_DATA": data, "DLP_DATABASE_URL": url}) as server:
            yield Setup("PostgreSQL, 1 server", server.url, url, server.log)
    else:
        from harness.cluster import run_cluster

        with run_cluster(replicas=2, postgres=postgres) as cluster:
            yield Setup("PostgreSQL, 2 replicas behind nginx", cluster.url, cluster.database_url, cluster.log,
                        cluster.route_to(0), tuple(r.addr for r in cluster.replicas))


async def run(args: argparse.Namespace) -> int:
    from playwright.async_api import async_playwright

    from harness.postgres import run_postgres

    chromium = find_chromium()
    if chromium is None:
        print("bench/classroom.py: no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)",
              file=sys.stderr)
        return 2
    kinds = args.setups.split(",")
    rows: dict[str, list[str]] = {name: [] for name in HEADERS}
    problems: list[str] = []
    with contextlib.ExitStack() as stack:
        postgres = None
        if {"postgresql", "cluster"} & set(kinds):
            postgres = stack.enter_context(run_postgres(fast=False))  # PostgreSQL as installed: fsync on
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
            try:
                for kind in kinds:
                    started = time.perf_counter()
                    with setup_of(kind, postgres) as setup:
                        try:
                            got, errors, lost = await play_class(setup, args, browser)
                        except Exception as error:  # the whole class failed: reported, and the run fails
                            got, errors, lost = {}, [f"{error!r}"[:400]], args.browsers + args.light
                        if "Traceback" in setup.logs():
                            errors.append(f"{setup.label}: a Traceback in a server log")
                    for name, lines in got.items():
                        rows.setdefault(name, []).extend(lines)
                    problems += [f"{setup.label}: {e}" for e in errors]
                    if lost:
                        problems.append(f"{setup.label}: {lost} answer(s) lost")
                    print(f"{setup.label}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
            finally:
                await browser.close()

    n = args.browsers + args.light
    print(f"One teacher (Chromium, 1920 × 1080) and {n} students: {args.browsers} in Chromium (phone size) and "
          f"{args.light} light clients speaking Streamlit's WebSocket protocol; each student answers once, then draws "
          f"a 0 on the pad and sends it, each at a moment drawn over {args.spread:.0f} s (seed {args.seed}). Loopback "
          f"only; PostgreSQL {postgres_version()} with its default durability (fsync on); SQLite in WAL mode, as the "
          "app opens it. First table: answers; second: drawings.")
    print()
    for name, header in HEADERS.items():
        print("\n".join(header + rows.get(name, [])))
        print()
    every = PROJECTOR_EVERY_S
    print(f"Floor by design: the projector re-reads the room every {every:g} s, so saved → projector is uniform "
          f"between 0 and {every:g} s plus the fragment's run (p50 {every / 2:.2f} s, p95 {0.95 * every:.2f} s). "
          "Students per replica: as nginx routed them (their first request had no route); the teacher was routed to "
          "the first replica.")
    if problems:
        print(f"\n{len(problems)} error(s):")
        for problem in problems[:40]:
            print(f"- {problem}")
        return 1
    return 0


def postgres_version() -> str:
    from harness.postgres import find_pg_bin

    folder = find_pg_bin()
    return folder.parent.name if folder else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--browsers", type=int, default=10, help="students in Chromium")
    parser.add_argument("--light", type=int, default=20, help="students as light WebSocket clients")
    parser.add_argument("--spread", type=float, default=20.0, help="seconds over which the students answer")
    parser.add_argument("--setups", default="sqlite,postgresql,cluster")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds for any one wait")
    parser.add_argument("--quick", action="store_true", help="2 browsers, 4 light clients, 4 s, the cluster only")
    args = parser.parse_args()
    if args.quick:
        args.browsers, args.light, args.spread, args.setups = 2, 4, 4.0, "cluster"
    os.environ.pop("DLP_DATABASE_URL", None)  # the setups say which database each server uses
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
