"""A class in Chromium against the real server: the teacher on a projector-sized screen opens a room, a student on a
phone-sized one joins by the link on the projector, the teacher's count goes up by itself, the teacher sends the class
to a lesson and the student's sidebar leads there, the teacher ends the class and the student's sidebar says so.
Screenshots: artifacts/screenshots/classroom/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from core.classroom import CODE_ALPHABET
from harness.browser import assert_healthy, full_page_screenshot, wait_until_idle, watch_errors
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


def ask_and_reveal(teacher, student, lang: str) -> None:
    """The teacher asks a question of their own; the student answers it from the phone's sidebar; the projector
    counts the answer by itself; the teacher reveals; the student sees they were right."""
    main = teacher.locator('[data-testid="stMain"]')
    main.get_by_text(translate("classroom.ask.title", lang)).click()
    main.get_by_role("textbox", name=translate("classroom.ask.prompt", lang)).fill("2 + 2 = ?")
    main.get_by_role("textbox", name=translate("classroom.ask.options", lang)).fill("3\n4\n5")
    main.get_by_role("textbox", name=translate("classroom.ask.answer", lang)).fill("2")
    main.get_by_role("button", name=translate("classroom.ask.send", lang)).click()
    expect(main.get_by_text(translate("classroom.ask.answered", lang, answered=0, students=1).replace("**", "")))\
        .to_be_visible()
    open_sidebar(student)
    sidebar = student.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text("2 + 2 = ?")).to_be_visible(timeout=15_000)  # by itself, within a few seconds
    sidebar.get_by_text("4", exact=True).click()
    sidebar.get_by_role("button", name=translate("classroom.answer.send", lang)).click()
    expect(sidebar.get_by_text(translate("classroom.answer.sent", lang, mine="4"))).to_be_visible()
    full_page_screenshot(student, f"classroom/student-answered-{lang}.png")
    expect(main.get_by_text(translate("classroom.ask.answered", lang, answered=1, students=1).replace("**", "")))\
        .to_be_visible(timeout=15_000)
    full_page_screenshot(teacher, f"classroom/projector-question-{lang}.png")
    main.get_by_role("button", name=translate("classroom.ask.reveal", lang)).click()
    expect(sidebar.get_by_text(translate("classroom.answer.right", lang, answer="4"))).to_be_visible(timeout=15_000)


def open_sidebar(page) -> None:
    """Unfold the sidebar if it is folded (as on a phone, and after a link in it was followed)."""
    if page.locator('[data-testid="stSidebar"]').get_attribute("data-collapsed") == "true":
        page.locator('[data-testid="stExpandSidebarButton"]').click()
    expect(page.locator('[data-testid="stSidebar"]')).to_have_attribute("data-collapsed", "false")
