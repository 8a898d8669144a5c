"""A class in Chromium against a real server (one ``streamlit run``, or replicas behind nginx): the steps a teacher on
a projector and students on phones take, shared by the browser tests and the classroom benchmark.

``whole_class`` runs a whole lesson: the teacher opens a room, students join by its link, follow the teacher to a
lesson, answer a question (the projector's counts checked against the answers given), draw labelled digits, the
teacher trains a network on them and shares it, and a student's new drawing is read by it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from playwright.sync_api import Browser, BrowserContext, Page, expect

from core.classroom import CODE_ALPHABET
from core.drawn_digits import STYLES
from harness.browser import draw_strokes, full_page_screenshot, wait_until_idle, watch_errors
from ui.shell.i18n import translate

CODE_SHOWN = re.compile(f"^[{CODE_ALPHABET}]{{3}} [{CODE_ALPHABET}]{{3}}$")
"""A room code as the projector shows it: "ACE 479"."""
PROJECTOR = {"viewport": {"width": 1920, "height": 1080}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DRAW_TRIES = 3
"""How many times a student draws before giving up when the drawing does not reach the server (in headless Chromium
the first strokes on a pad just put on the page were now and then lost: 3 drawings of some 300 in these tests)."""
LIVE_S = 15_000
"""How long (ms) a test waits for something another browser did to show by itself (the projector re-reads every 1 s,
a student's sidebar every 3 s)."""


def open_sidebar(page: Page) -> None:
    """Unfold the sidebar if it is folded (as on a phone, and after a link in it was followed)."""
    if page.locator('[data-testid="stSidebar"]').get_attribute("data-collapsed") == "true":
        page.locator('[data-testid="stExpandSidebarButton"]').click()
    expect(page.locator('[data-testid="stSidebar"]')).to_have_attribute("data-collapsed", "false")


def close_sidebar(page: Page) -> None:
    """Fold the sidebar away if it is open over the page (as on a phone, after a link in it was followed)."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    if sidebar.get_attribute("data-collapsed") == "false" and page.viewport_size["width"] < 700:
        sidebar.hover()  # the fold button shows while the pointer is over the sidebar
        page.locator('[data-testid="stSidebarCollapseButton"] button').click()
        expect(sidebar).to_have_attribute("data-collapsed", "true")


def ask_and_reveal(teacher: Page, student: Page, lang: str) -> None:
    """The teacher asks a question of their own; the student answers it from the phone's sidebar; the projector
    counts the answer by itself; the teacher reveals; the student sees they were right."""
    ask(teacher, lang)
    answer(student, lang, "4")
    full_page_screenshot(student, f"classroom/student-answered-{lang}.png")
    main = teacher.locator('[data-testid="stMain"]')
    expect(main.get_by_text(answered_text(lang, 1, 1))).to_be_visible(timeout=LIVE_S)
    full_page_screenshot(teacher, f"classroom/projector-question-{lang}.png")
    main.get_by_role("button", name=translate("classroom.ask.reveal", lang), exact=True).click()
    sidebar = student.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text(translate("classroom.answer.right", lang, answer="4"))).to_be_visible(timeout=LIVE_S)


OPTIONS = ("3", "4", "5")


def ask(teacher: Page, lang: str) -> None:
    """The teacher asks "2 + 2 = ?" with the options 3, 4, 5 (the second right) from the classroom page."""
    main = teacher.locator('[data-testid="stMain"]')
    main.get_by_text(translate("classroom.ask.title", lang)).click()
    main.get_by_role("textbox", name=translate("classroom.ask.prompt", lang)).fill("2 + 2 = ?")
    main.get_by_role("textbox", name=translate("classroom.ask.options", lang)).fill("\n".join(OPTIONS))
    main.get_by_role("textbox", name=translate("classroom.ask.answer", lang)).fill("2")
    main.get_by_role("button", name=translate("classroom.ask.send", lang), exact=True).click()
    expect(main.get_by_text("2 + 2 = ?", exact=True)).to_be_visible()


def answered_text(lang: str, answered: int, students: int) -> str:
    return translate("classroom.ask.answered", lang, answered=answered, students=students).replace("**", "")


def answer(student: Page, lang: str, option: str) -> None:
    """A student answers the question in their sidebar, which shows it by itself within a few seconds."""
    open_sidebar(student)
    sidebar = student.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text("2 + 2 = ?")).to_be_visible(timeout=LIVE_S)
    sidebar.get_by_text(option, exact=True).click()
    sidebar.get_by_role("button", name=translate("classroom.answer.send", lang), exact=True).click()
    expect(sidebar.get_by_text(translate("classroom.answer.sent", lang, mine=option))).to_be_visible()


def pad_strokes(digit: int, style: int = 0, side: float = 280, margin: float = 45,
                points: int = 14) -> list[list[tuple[float, float]]]:
    """One way of writing ``digit`` (``core.drawn_digits.STYLES``) as mouse strokes on the pad (pad pixels, y down):
    its box's longer side ``side - 2 margin``, centred, each stroke cut to at most ``points`` points."""
    strokes = STYLES[digit][style % len(STYLES[digit])]
    everything = np.concatenate(strokes)
    low, span = everything.min(0), everything.max(0) - everything.min(0)
    scale = (side - 2 * margin) / max(span.max(), 1e-9)
    offset = (side - span * scale) / 2
    out = []
    for stroke in strokes:
        keep = np.unique(np.linspace(0, len(stroke) - 1, min(len(stroke), points)).round().astype(int))
        out.append([(float(x), float(y)) for x, y in (stroke[keep] - low) * scale + offset])
    return out


def draw_and_send(student: Page, lang: str, digit: int, style: int, button_key: str) -> None:
    """A student draws ``digit`` on the pad and presses the send (or test) button once the drawing has reached the
    server (the button is disabled until then)."""
    button = student.locator(f".st-key-{button_key} button")
    wait_until_idle(student)  # the last run done: the pad on screen is the one the page keeps
    undo = student.get_by_role("button", name="Undo", exact=True)  # the canvas's own toolbar: enabled once drawn on
    if undo.count() and undo.first.is_enabled():  # the pad still shows the last drawing
        student.get_by_role("button", name=translate("common.pad.clear", lang), exact=True).click()
        wait_until_idle(student)
    expect(button).to_be_disabled()  # an empty pad (or the drawing just sent, which is not sent twice)
    for attempt in range(DRAW_TRIES):
        draw_strokes(student, pad_strokes(digit, style), LIVE_S)
        try:
            expect(button).to_be_enabled(timeout=LIVE_S if attempt == DRAW_TRIES - 1 else 5_000)
            break
        except AssertionError:  # the strokes never reached the server: clear the pad and draw again, as a student does
            if attempt == DRAW_TRIES - 1:
                raise
            student.get_by_role("button", name=translate("common.pad.clear", lang), exact=True).click()
            wait_until_idle(student)
    button.click()


@dataclass
class Class:
    """A class in progress: the teacher's page, the students' pages, the room's code and join link."""

    teacher: Page
    students: list[Page]
    code: str = ""
    link: str = ""
    contexts: list[BrowserContext] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def open_class(browser: Browser, teacher_url: str, student_urls: list[str], lang: str = "en") -> Class:
    """The teacher opens a room at ``teacher_url`` (a server's root); one student a url in ``student_urls`` joins it
    by its link, taken to that server (the same one, or another replica)."""
    projector = browser.new_context(**PROJECTOR, locale="en-US")
    phones = [browser.new_context(**PHONE, locale="zh-CN" if lang == "zh" else "en-US") for _ in student_urls]
    teacher = projector.new_page()
    room = Class(teacher, [phone.new_page() for phone in phones], contexts=[projector, *phones])
    room.errors["teacher"] = watch_errors(teacher)
    teacher.goto(f"{teacher_url}/classroom?lang={lang}")
    wait_until_idle(teacher)
    teacher.get_by_role("button", name=translate("classroom.start.button", lang), exact=True).click()
    shown = teacher.locator("h1").filter(has_text=CODE_SHOWN)
    expect(shown).to_have_count(1)
    room.code = shown.inner_text().replace(" ", "")
    room.link = teacher.locator('[data-testid="stCode"] code').first.inner_text().strip()
    for i, (student, url) in enumerate(zip(room.students, student_urls, strict=True)):
        room.errors[f"student {i}"] = watch_errors(student)
        student.goto(f"{url}/classroom?join={room.code}&lang={lang}")
        wait_until_idle(student)
        student.get_by_role("textbox", name=translate("classroom.join.nickname", lang)).fill(f"S{i}")
        student.get_by_role("button", name=translate("classroom.join.button", lang), exact=True).click()
        expect(student.get_by_text(translate("classroom.joined", lang, code=room.code))).to_be_visible()
    expect(teacher.locator('[data-testid="stMetricValue"]').first).to_have_text(str(len(student_urls)),
                                                                                  timeout=LIVE_S)
    return room


def nav(page: Page, lang: str, name: str) -> None:
    """Go to lesson ``name`` by the sidebar's menu (the session, and so the room, is kept)."""
    open_sidebar(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_text(translate(f"nav.{name}", lang), exact=True).click()
    wait_until_idle(page)


def follow_the_teacher(room: Class, lang: str = "en") -> None:
    """The teacher goes to the pooling lesson and sends the class there; each student's sidebar leads there."""
    nav(room.teacher, lang, "pooling")
    room.teacher.get_by_role("button", name=translate("classroom.sidebar.send_here", lang), exact=True).click()
    for student in room.students:
        open_sidebar(student)
        lead = student.get_by_text(translate("classroom.sidebar.follow", lang, page=translate("nav.pooling", lang)))
        expect(lead).to_be_visible(timeout=LIVE_S)
        lead.click()
        expect(student.locator("h1").first).to_have_text(translate("pooling.title", lang))
    nav(room.teacher, lang, "classroom")


def class_question(room: Class, lang: str = "en") -> dict[str, int]:
    """The teacher asks; the students answer 4, 4, 5, 3, 4, 5, …; the projector's count and spread are checked
    against the answers given, then the answer revealed and each student's result checked."""
    ask(room.teacher, lang)
    given = [OPTIONS[(1, 1, 2, 0)[i % 4]] for i in range(len(room.students))]
    for student, option in zip(room.students, given, strict=True):
        answer(student, lang, option)
    main = room.teacher.locator('[data-testid="stMain"]')
    expect(main.get_by_text(answered_text(lang, len(given), len(given)))).to_be_visible(timeout=LIVE_S)
    spread = {option: given.count(option) for option in OPTIONS}
    bars = main.locator('[data-testid="stProgress"]')
    expect(bars).to_have_text([f"{option} · {n}" for option, n in spread.items()], timeout=LIVE_S)
    full_page_screenshot(room.teacher, f"classroom/projector-class-question-{lang}.png")
    main.get_by_role("button", name=translate("classroom.ask.reveal", lang), exact=True).click()
    for student, option in zip(room.students, given, strict=True):
        sidebar = student.locator('[data-testid="stSidebar"]')
        result = translate("classroom.answer.right", lang, answer="4") if option == "4" else \
            translate("classroom.answer.wrong", lang, mine=option, answer="4")
        expect(sidebar.get_by_text(result)).to_be_visible(timeout=LIVE_S)
    return spread


def class_draws(room: Class, per_student: int, lang: str = "en") -> None:
    """The teacher asks for the digits; each student, led from the sidebar to the pad, draws ``per_student`` digits
    (the labels the page suggests in turn: 0, 1, 2, …); the projector counts each label's drawings."""
    main = room.teacher.locator('[data-testid="stMain"]')
    main.get_by_role("button", name=translate("classroom.draw.send", lang), exact=True).click()
    expect(main.locator('[data-testid="stMetricValue"]')).to_have_count(11, timeout=LIVE_S)  # the room, 10 labels
    for s, student in enumerate(room.students):
        open_sidebar(student)
        student.get_by_text(translate("classroom.sidebar.draw", lang)).click()
        expect(student.get_by_text(translate("classroom.draw.student_help", lang))).to_be_visible(timeout=LIVE_S)
        close_sidebar(student)
        for i in range(per_student):
            digit = i % 10
            expect(student.get_by_text(translate("classroom.draw.draw_this", lang, label=digit).replace("**", ""),
                                       exact=True)).to_be_visible(timeout=LIVE_S)
            draw_and_send(student, lang, digit, s, "classroom_send_drawing")
            expect(student.get_by_text(translate("classroom.draw.mine", lang, n=i + 1))).to_be_visible(timeout=LIVE_S)
            expect(student.get_by_text(translate("classroom.draw.sent", lang, label=digit))).to_be_visible()
        expect(student.get_by_text(translate("classroom.draw.mine", lang, n=per_student))).to_be_visible()
    for student in room.students:  # each student's own count, after everyone drew
        expect(student.get_by_text(translate("classroom.draw.mine", lang, n=per_student))).to_be_visible()
    full_page_screenshot(room.students[0], f"classroom/student-pad-{lang}.png")
    counts = [sum(1 for s in range(len(room.students)) for i in range(per_student) if i % 10 == d) for d in range(10)]
    values = room.teacher.locator('[data-testid="stMetricValue"]')
    expect(values).to_have_text([str(len(room.students)), *map(str, counts)], timeout=LIVE_S)
    full_page_screenshot(room.teacher, f"classroom/projector-drawings-{lang}.png")


def class_trains_and_tests(room: Class, lang: str = "en") -> str:
    """The teacher opens the trainer from the projector's link, trains on the class's drawings alone and shares the
    network; a student's page turns to testing it by itself; the student draws a 7 and is told what the network
    read; the projector scores it. Returns what the network read."""
    teacher, student = room.teacher, room.students[0]
    teacher.get_by_role("link", name=translate("classroom.draw.train", lang)).click()
    wait_until_idle(teacher)
    teacher.locator(".st-key-cnn_trainer_class").get_by_text(translate("cnn_trainer.class.uses.only", lang),
                                                            exact=True).click()
    wait_until_idle(teacher)
    teacher.get_by_role("button", name=translate("cnn_trainer.start", lang), exact=True).click()
    share = teacher.get_by_role("button", name=translate("cnn_trainer.class.share", lang), exact=True)
    expect(share).to_be_visible(timeout=180_000)
    share.click()
    expect(teacher.get_by_text(translate("cnn_trainer.class.shared", lang))).to_be_visible()
    expect(student.get_by_text(translate("classroom.draw.test_title", lang))).to_be_visible(timeout=LIVE_S)
    student.locator('[data-testid="stMain"] [data-testid="stButtonGroup"]').get_by_text("7", exact=True).click()
    wait_until_idle(student)
    draw_and_send(student, lang, 7, 0, "classroom_send_drawing")
    told = re.escape(translate("classroom.draw.read", lang, label="7", read="\x01", share="\x02").replace("**", ""))
    told = re.compile(told.replace("\x01", "(.+?)").replace("\x02", r"\d+"))
    verdict = student.get_by_text(told)
    expect(verdict).to_be_visible(timeout=LIVE_S)
    read = told.search(verdict.inner_text())[1]
    full_page_screenshot(student, f"classroom/student-test-{lang}.png")
    nav(teacher, lang, "classroom")
    right = int(read == "7")
    expect(teacher.get_by_text(translate("classroom.draw.score", lang, right=right, tested=1,
                                         share=100 * right).replace("**", ""))).to_be_visible(timeout=LIVE_S)
    return read


def whole_class(browser: Browser, teacher_url: str, student_urls: list[str], per_student: int = 10,
                lang: str = "en") -> tuple[Class, dict[str, int], str]:
    """A whole lesson (see the module's docstring); returns the class (its pages still open: the caller checks
    them and closes it), the spread of the answers, and what the class's network read of the student's 7."""
    room = open_class(browser, teacher_url, student_urls, lang)
    try:
        follow_the_teacher(room, lang)
        spread = class_question(room, lang)
        class_draws(room, per_student, lang)
        read = class_trains_and_tests(room, lang)
    except BaseException:
        room.close()
        raise
    return room, spread, read
