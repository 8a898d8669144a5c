"""A class in Chromium against the real server: the teacher on a projector-sized screen opens a room, a student on a
phone-sized one joins by the link on the projector, the teacher's count goes up by itself, the teacher sends the class
to a lesson and the student's sidebar leads there, the teacher ends the class and the student's sidebar says so; and a
whole class (``harness.classroom.whole_class``): three students answer, draw 30 digits, the teacher trains on
them and a student's new drawing is read. Screenshots: artifacts/screenshots/classroom/."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.classroom import CODE_ALPHABET
from harness.browser import assert_healthy, full_page_screenshot, wait_until_idle, watch_errors
from harness.classroom import ask_and_reveal, open_sidebar, whole_class
from store.db import connect, drawings, rooms
from ui.shell.i18n import LANGUAGES, translate

pytestmark = pytest.mark.browser

CODE_SHOWN = re.compile(f"^[{CODE_ALPHABET}]{{3}} [{CODE_ALPHABET}]{{3}}$")


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_a_teacher_and_a_student_take_a_class_together(browser, server, lang):
    projector = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                locale="zh-CN" if lang == "zh" else "en-US")
    try:
        teacher, student = projector.new_page(), phone.new_page()
        teacher_errors, student_errors = watch_errors(teacher), watch_errors(student)
        teacher.goto(f"{server.url}/classroom?lang={lang}")
        wait_until_idle(teacher)
        teacher.get_by_role("button", name=translate("classroom.start.button", lang)).click()
        shown = teacher.locator("h1").filter(has_text=CODE_SHOWN)
        expect(shown).to_have_count(1)
        code = shown.inner_text().replace(" ", "")
        link = teacher.locator('[data-testid="stCode"] code').first.inner_text().strip()
        assert link == f"{server.url}/classroom?join={code}"
        students = teacher.locator('[data-testid="stMetricValue"]')
        expect(students).to_have_text("0")
        full_page_screenshot(teacher, f"classroom/teacher-{lang}.png")

        student.goto(f"{link}&lang={lang}")
        wait_until_idle(student)
        expect(student.get_by_role("textbox", name=translate("classroom.join.code", lang))).to_have_value(code)
        student.get_by_role("textbox", name=translate("classroom.join.nickname", lang)).fill("Ann")
        student.get_by_role("button", name=translate("classroom.join.button", lang)).click()
        expect(student.get_by_text(translate("classroom.joined", lang, code=code))).to_be_visible()
        assert any(c["name"] == "dlp_browser" for c in phone.cookies())  # the browser keeps its token
        full_page_screenshot(student, f"classroom/student-{lang}.png")
        expect(students).to_have_text("1", timeout=15_000)  # by itself, no click on the teacher's side

        teacher.locator('[data-testid="stSidebarNav"]').get_by_text(translate("nav.pooling", lang)).click()
        wait_until_idle(teacher)
        teacher.get_by_role("button", name=translate("classroom.sidebar.send_here", lang)).click()
        expect(teacher.get_by_text(translate("classroom.sidebar.sent", lang))).to_be_visible()
        lead = student.get_by_text(translate("classroom.sidebar.follow", lang, page=translate("nav.pooling", lang)))
        open_sidebar(student)  # a phone folds it away
        expect(lead).to_be_visible(timeout=15_000)
        lead.click()
        expect(student.locator("h1").first).to_have_text(translate("pooling.title", lang))

        teacher.locator('[data-testid="stSidebarNav"]').get_by_text(translate("nav.classroom", lang)).click()
        wait_until_idle(teacher)
        ask_and_reveal(teacher, student, lang)
        end = translate("classroom.room.end", lang)
        teacher.locator('[data-testid="stMain"]').get_by_role("button", name=end).click()
        expect(teacher.get_by_role("button", name=translate("classroom.start.button", lang))).to_be_visible()
        open_sidebar(student)
        expect(student.get_by_text(translate("classroom.room.ended", lang))).to_be_visible(timeout=15_000)
        assert_healthy(teacher, teacher_errors, server)
        assert_healthy(student, student_errors, server)
    finally:
        projector.close()
        phone.close()


def test_a_whole_class_follows_answers_draws_trains_and_tests(browser, server):
    """Three students on phones join by the link, follow the teacher, answer a question (the projector's count and
    spread match the answers), draw 30 digits; the teacher trains a network on them and shares it; a student's new
    drawing is read by it and the projector scores it."""
    room, spread, read = whole_class(browser, server.url, [server.url] * 3, per_student=10)
    try:
        assert spread == {"3": 0, "4": 2, "5": 1}
        assert read in [str(d) for d in range(10)]
        with connect().connect() as conn:  # the server's database (the tests' $DLP_DATA): who sent what
            rows = conn.execute(select(drawings.c.student, drawings.c.purpose, drawings.c.label, drawings.c.predicted)
                                .join(rooms, rooms.c.code == drawings.c.room).where(rooms.c.code == room.code)).all()
        per_student = Counter((student, purpose) for student, purpose, _, _ in rows)
        assert sorted(per_student.values()) == [1, 10, 10, 10] and len({s for s, _ in per_student}) == 3
        assert [(label, str(predicted)) for _, purpose, label, predicted in rows if purpose == "test"] == [(7, read)]
        for page, errors in zip([room.teacher, *room.students], room.errors.values(), strict=True):
            assert_healthy(page, errors, server)
    finally:
        room.close()
