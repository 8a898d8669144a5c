"""The classroom page in AppTest, teacher and students as separate sessions on one database (the tests' own, in
``$DLP_DATA``): a room opened, joined by its link, counted, followed and ended, in both languages; wrong codes and
wrong teacher links refused with their message."""

import io
from typing import get_args

import numpy as np
import pytest
import segno
from PIL import Image

from core.classroom import ClassQuestion, read_code
from store import questions, rooms
from tests.helpers.classroom import join, open_page, sidebar_text, start_a_class, text_of
from ui.lessons.classroom import REFUSED, own_question, qr_png
from ui.shell.classroom import SITTING, TEACHING, Teaching, cookie_script, database, now, page_and_query
from ui.shell.i18n import LANGUAGES, translate
from ui.shell.registry import by_name

CLASSROOM = by_name("classroom")
POOLING = by_name("pooling")


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


def ask_own(teacher, prompt: str, options: str, answer: str):
    teacher.text_input(key="classroom_ask_prompt").input(prompt)
    teacher.text_area(key="classroom_ask_options").input(options)
    teacher.text_input(key="classroom_ask_answer").input(answer)
    next(b for b in teacher.button if b.label == translate("classroom.ask.send", "en")).click().run()


def send_answer(student, value):
    """Fill the sidebar's answer form and send it (one run, as a form sends its values with its button)."""
    boxes = [*student.sidebar.radio, *student.sidebar.text_input]
    pick = [w for w in boxes if str(w.key).startswith("classroom_pick_")]
    assert len(pick) == 1
    pick[0].set_value(value)
    next(b for b in student.sidebar.button if b.label == translate("classroom.answer.send", "en")).click()
    student.run()


def test_the_teacher_asks_the_students_answer_the_projector_counts_and_reveals():
    teacher, held = start_a_class("en")
    ann, bob = join("en", held.code), join("en", held.code)
    ask_own(teacher, "Which pooling keeps the largest value?", "average\nminimum\nmaximum", "3")
    asked = questions.latest(database(), held.code)
    assert asked.question == ClassQuestion("choice", 2, "Which pooling keeps the largest value?",
                                           ("average", "minimum", "maximum"))
    assert "Which pooling keeps the largest value?" in [s.value for s in teacher.subheader]
    ann.run()
    assert "Which pooling keeps the largest value?" in [x.value for x in ann.sidebar.text]
    send_answer(ann, 2)
    bob.run()
    send_answer(bob, 0)
    assert questions.tally(database(), asked.id) == questions.Tally(2, [("average", 1), ("minimum", 0),
                                                                        ("maximum", 1)], None)
    teacher.run()
    assert translate("classroom.ask.answered", "en", answered=2, students=2) in text_of(teacher)
    assert [p.proto.text for p in teacher.get("progress")] == ["**average** · 1", "**minimum** · 0", "**maximum** · 1"]
    teacher.button(key="classroom_reveal").click().run()
    assert translate("classroom.ask.revealed", "en", answer="maximum", right=1, answered=2) in text_of(teacher)
    ann.run()
    bob.run()
    assert [s.value for s in ann.sidebar.success] == [translate("classroom.answer.right", "en", answer="maximum")]
    assert [e.value for e in bob.sidebar.error] == [translate("classroom.answer.wrong", "en", mine="average",
                                                              answer="maximum")]


def test_the_teacher_asks_a_lessons_question_and_sends_the_class_to_it():
    from core.questions.pooling import pool_size_question

    _, held = start_a_class("en")
    student = join("en", held.code)
    quiz = open_page("en", {"part": "quiz", "q": "size", "qseed": "7"}, {TEACHING: held}, page=POOLING)
    quiz.button(key="pooling_guess_size_7_ask_class").click().run()
    asked = questions.latest(database(), held.code)
    right = pool_size_question(7).answer
    assert asked.question == ClassQuestion("number", right, source="pooling_guess_size_7")
    name, query = page_and_query(rooms.room(database(), held.code, now()).follow_link)
    assert (name, query["part"], query["qseed"]) == ("pooling", "quiz", "7")
    student.run()
    send_answer(student, str(right))
    assert questions.my_answer(database(), asked.id, student.session_state["classroom_browser"]) == right
    questions.reveal(database(), held.code, held.token, asked.id, now())
    student.run()
    assert [s.value for s in student.sidebar.success] == [translate("classroom.answer.right", "en",
                                                                    answer=f"{right:g}")]


def test_a_student_outside_the_lesson_page_sees_no_ask_button():
    quiz = open_page("en", {"part": "quiz", "q": "size", "qseed": "7"}, page=POOLING)
    assert "pooling_guess_size_7_ask_class" not in [b.key for b in quiz.button]


@pytest.mark.parametrize(("prompt", "options", "answer", "built"), [
    ("  How many   outputs? ", "", " 12 ", ClassQuestion("number", 12.0, "How many outputs?", rel_tol=1e-6)),
    ("Pick", "a\n\n b \n", "2", ClassQuestion("choice", 1, "Pick", ("a", "b"))),
    ("", "", "1", "classroom.ask.no_prompt"),
    ("Pick", "only one", "1", "classroom.ask.bad_options"),
    ("Pick", "\n".join("abcdefghi"), "1", "classroom.ask.bad_options"),
    ("Pick", "a\nb", "3", "classroom.ask.bad_choice"),
    ("Pick", "a\nb", "1.5", "classroom.ask.bad_choice"),
    ("How many?", "", "many", "classroom.ask.bad_number"),
    (None, None, None, "classroom.ask.no_prompt"),
    ("2 + 2\x00 = ?\u200b", "3\x00\n4", "2", ClassQuestion("choice", 1, "2 + 2 = ?", ("3", "4"))),  # no controls
    ("\x00\x07", "", "1", "classroom.ask.no_prompt"),
])
def test_the_teachers_form_makes_a_question_or_says_what_is_wrong(prompt, options, answer, built):
    assert own_question(prompt, options, answer) == built
