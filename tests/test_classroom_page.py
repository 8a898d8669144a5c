"""The classroom page in AppTest, teacher and students as separate sessions on one database (the tests' own, in
``$DLP_DATA``): a room opened, joined by its link, counted, followed and ended, in both languages; wrong codes and
wrong teacher links refused with their message."""

import io
import re
from typing import get_args

import numpy as np
import pytest
import segno
from PIL import Image

from core.classroom import read_code
from store import rooms
from tests.conftest import app_test
from ui.lessons.classroom import REFUSED, qr_png
from ui.shell.classroom import SITTING, TEACHING, Teaching, cookie_script, database, now, page_and_query
from ui.shell.i18n import LANGUAGES, translate
from ui.shell.registry import by_name

CLASSROOM = by_name("classroom")
POOLING = by_name("pooling")


def open_page(lang: str, query: dict | None = None, state: dict | None = None, page=CLASSROOM):
    from tests.conftest import assert_clean

    at = app_test({"lang": lang, **(query or {})}, page=page.script)
    if state:
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
    assert_clean(at)
    return at


def start_a_class(lang: str):
    teacher = open_page(lang)
    teacher.button(key="classroom_start").click().run()
    held = teacher.session_state[TEACHING]
    shown = [m.value for m in teacher.title if re.fullmatch(r"\w{3} \w{3}", m.value)]
    assert shown == [f"{held.code[:3]} {held.code[3:]}"]
    return teacher, held


def join(lang: str, code: str, nickname: str = ""):
    student = open_page(lang, {"join": code})
    assert student.text_input(key="classroom_code").value == read_code(code)  # as the link gave it, read
    student.text_input(key="classroom_nickname").input(nickname)
    student.button[-1].click().run()  # the form's submit button
    return student


def sidebar_text(at) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


def text_of(at) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "caption", "success", "error", "warning", "info")
                    for e in getattr(at, kind))


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_a_class_is_opened_joined_counted_and_ended(lang):
    teacher, held = start_a_class(lang)
    assert teacher.metric[0].value == "0"
    ann = join(lang, held.code, "Ann")
    assert ann.session_state[SITTING] == held.code
    assert translate("classroom.joined", lang, code=held.code) in text_of(ann)
    assert not ann.text_input and "classroom_start" not in [b.key for b in ann.button]  # the forms are gone

    assert translate("classroom.sidebar.sitting", lang, code=held.code) in sidebar_text(ann)
    join(lang, held.code.lower())
    teacher.run()
    assert teacher.metric[0].value == "2" == str(rooms.room(database(), held.code, now()).students)

    teacher.button(key="classroom_end").click().run()
    assert TEACHING not in teacher.session_state
    assert rooms.room(database(), held.code, now()) is None
    ann.run()
    assert SITTING not in ann.session_state
    assert translate("classroom.sidebar.sitting", lang, code=held.code) not in sidebar_text(ann)


def test_the_projector_shows_the_join_link_and_its_qr_code():
    teacher, held = start_a_class("en")
    links = [c.value for c in teacher.code if c.value.endswith(f"/classroom?join={held.code}")]
    assert len(links) == 1
    images = teacher.get("image")
    assert len(images) == 1 and images[0].proto.imgs[0].caption == translate("classroom.room.scan", "en")


@pytest.mark.parametrize("link", ["http://localhost:8501/classroom?join=ACE479",
                                  "https://class.example.org/app/classroom?join=TWXY34"])
def test_the_qr_png_draws_the_modules_of_the_links_qr_code(link):
    """The picture's modules, read at their centres, are the symbol segno encodes for the link (error correction M),
    inside a 4-module quiet zone, 10 pixels a module."""
    reference = np.array(segno.make(link, error="m").matrix, dtype=bool)
    side = reference.shape[0]
    pixels = np.array(Image.open(io.BytesIO(qr_png(link))).convert("L"))
    assert pixels.shape == ((side + 8) * 10,) * 2
    assert (pixels[:40] > 128).all() and (pixels[-40:] > 128).all()  # the quiet zone is white
    centres = pixels[45::10, 45::10][:side, :side]
    assert np.array_equal(centres < 128, reference)


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize(("typed", "reason"), [("hello", "not_a_code"), ("ACE479", "no_such_room")])
def test_a_wrong_code_is_refused_with_its_reason(lang, typed, reason):
    student = open_page(lang)
    student.text_input(key="classroom_code").input(typed)
    student.button[-1].click().run()
    assert [e.value for e in student.error] == [translate(f"classroom.refused.{reason}", lang)]
    assert SITTING not in student.session_state


def test_the_teacher_link_resumes_the_class_on_another_device_and_leaves_the_address_bar():
    _, held = start_a_class("en")
    elsewhere = open_page("en", {"join": held.code, "teacher": held.token})
    assert elsewhere.session_state[TEACHING] == held
    assert "teacher" not in elsewhere.query_params and "join" not in elsewhere.query_params
    stranger = open_page("en", {"join": held.code, "teacher": "x" * 43})
    assert TEACHING not in stranger.session_state
    assert [w.value for w in stranger.warning] == [translate("classroom.not_your_room", "en")]


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_teacher_sends_the_class_to_a_lesson_view_and_the_students_sidebar_leads_there(lang):
    _, held = start_a_class(lang)
    student = join(lang, held.code)
    on_pooling = open_page(lang, {"part": "image", "window": "3"}, {TEACHING: held}, page=POOLING)
    on_pooling.button(key="classroom_send_here").click().run()
    room = rooms.room(database(), held.code, now())
    name, query = page_and_query(room.follow_link)
    assert name == "pooling" and query["part"] == "image" and query["window"] == "3" and query["lang"] == lang
    student.run()
    leads = [link for link in student.sidebar.get("page_link")]
    assert [link.proto.label for link in leads] == [
        translate("classroom.sidebar.follow", lang, page=translate("nav.pooling", lang))]
    assert "pooling" in leads[0].proto.page


def test_a_student_leaves_the_class():
    _, held = start_a_class("en")
    student = join("en", held.code)
    student.sidebar.button(key="classroom_leave").click().run()
    assert SITTING not in student.session_state
    assert rooms.room(database(), held.code, now()).students == 0


def test_every_reason_to_refuse_has_its_message():
    assert set(REFUSED) == set(get_args(rooms.Refusal))


def test_a_code_read_off_the_page_is_a_code():
    _, held = start_a_class("zh")
    assert read_code(held.code) == held.code
    assert isinstance(held, Teaching)


@pytest.mark.parametrize("token", ["';alert(1);'", "a" * 42, "a" * 44, "<script>" + "a" * 35, "a" * 42 + "'"])
def test_the_cookie_script_takes_only_a_token(token):
    with pytest.raises(ValueError):
        cookie_script(token)


def test_the_cookie_script_keeps_a_fresh_token_for_a_year():
    from core.classroom import new_token

    token = new_token()
    assert cookie_script(token) == (f"<script>document.cookie = 'dlp_browser={token}; path=/; max-age=31536000; "
                                    "SameSite=Lax';</script>")
