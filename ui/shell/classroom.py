"""A class, from the browser's side: the database (``store.db``), this browser's token, the room this session
teaches or sits in, and the sidebar's line about it on every page (the room; for a student, the teacher's view to go
to and "leave"; for the teacher, "send the class here").

A session's room lives in its session state; nothing about a class is read from the database until the session is in
one, so a page view outside a class costs no query.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

import streamlit as st

from core.classroom import ANSWER_TEXT_MAX, ClassQuestion, is_right, new_token
from ui.shell.i18n import t

if TYPE_CHECKING:
    from store import questions
    from store.drawings import Call

COOKIE = "dlp_browser"
"""The cookie that keeps this browser's token (``core.classroom.new_token``) from one visit to the next."""
TOKEN_FORM = re.compile(r"[A-Za-z0-9_-]{43}")
TEACHING = "classroom_teaching"
"""Session key: the ``Teaching`` of a session that runs a room."""
SITTING = "classroom_sitting"
"""Session key: the code of the room a student's session sits in."""
BROWSER = "classroom_browser"
VIEW = "classroom_view"
"""Session key: the url path of the page on screen (set by ``class_sidebar``, read by ``ask_lesson_question``)."""
ANNOUNCED = "classroom_announced"
ANSWER_PROBLEM = "classroom_answer_problem"
ANSWER_REFUSED = {"not_in_the_room": "classroom.answer.not_in_the_room",
                  "no_such_question": "classroom.answer.no_such_question",
                  "already_revealed": "classroom.answer.already_revealed",
                  "not_an_answer": "classroom.answer.not_an_answer"}
"""The message for each reason an answer is refused (``store.questions.AnswerRefusal``)."""
DRAWING_SEEN = "classroom_drawing_seen"
"""Session key: the call for drawings and the shared network a student's classroom page last showed
(``drawing_state``); the sidebar runs the page again when either changes."""
WHOLE_RUN = "classroom_whole_run"
"""Session key: True while ``student_line`` runs as part of the whole page's run, False in its own reruns."""
PROJECTOR_EVERY_S = 1.0
"""How often the projector reads the room again: its students, the answers, the drawings (``bench/classroom.py``:
with 2 s, a student's answer reached the projector in 1.9 s at p95, most of it this wait; with 1 s, in 1.0 s)."""
FOLLOW_EVERY_S = 3.0
"""How often a student's sidebar asks whether the teacher has sent the class somewhere."""


@dataclass(frozen=True)
class Teaching:
    code: str
    token: str


@st.cache_resource(show_spinner=False)
def database():
    """The classroom database's engine, one per server process (``store.db.connect``)."""
    from store.db import connect  # here, not at the top: a page outside a class imports no database code
    return connect()


def now() -> float:
    return time.time()


def browser_token() -> str:
    """This browser's token: from its cookie, or a new one that a small script writes into the cookie (a year)."""
    if BROWSER not in st.session_state:
        token = st.context.cookies.get(COOKIE)
        if not (isinstance(token, str) and TOKEN_FORM.fullmatch(token)):
            token = new_token()
            st.html(cookie_script(token), unsafe_allow_javascript=True)
        st.session_state[BROWSER] = token
    return st.session_state[BROWSER]


def cookie_script(token: str) -> str:
    """The script that keeps ``token`` (``TOKEN_FORM``: letters, digits, ``-`` and ``_`` only) in the cookie."""
    if not TOKEN_FORM.fullmatch(token):
        raise ValueError("not a token")
    return f"<script>document.cookie = '{COOKIE}={token}; path=/; max-age=31536000; SameSite=Lax';</script>"


def teaching() -> Teaching | None:
    """The room this session runs, while it is open."""
    from store import rooms
    held = st.session_state.get(TEACHING)
    if isinstance(held, Teaching) and rooms.is_teacher(database(), held.code, held.token, now()):
        return held
    st.session_state.pop(TEACHING, None)
    return None


def sitting() -> str | None:
    """The code of the open room this session's browser sits in as a student."""
    from store import rooms
    code = st.session_state.get(SITTING)
    if isinstance(code, str) and rooms.is_member(database(), code, browser_token(), now()):
        return code
    st.session_state.pop(SITTING, None)
    return None


def view_link(url_path: str) -> str:
    """The link of the view on screen: the page's path and its query (the settings the page writes into it)."""
    query = {k: v for k, v in st.query_params.to_dict().items() if k not in ("join", "teacher")}
    return f"/{url_path}" + (f"?{urlencode(query)}" if query else "")


def page_and_query(link: str) -> tuple[str, dict[str, str]]:
    """``/<page>?<query>`` as (the page's url path, its query)."""
    parts = urlsplit(link)
    return parts.path.strip("/"), dict(parse_qsl(parts.query))


def class_sidebar(url_path: str) -> None:
    """The sidebar's line about the class this session is in, if any (see the module's docstring)."""
    if TEACHING not in st.session_state and SITTING not in st.session_state:
        return
    st.session_state[VIEW] = url_path
    held = teaching()
    if held is not None:
        st.caption(t("classroom.sidebar.teaching", code=held.code))
        if url_path == "classroom":  # the room's own page: nothing to send the class to
            return
        st.button(t("classroom.sidebar.send_here"), icon=":material/campaign:", key="classroom_send_here",
                  on_click=send_class_here, args=(held, url_path))
        return
    code = sitting()
    if code is not None:
        st.session_state[WHOLE_RUN] = True
        try:
            student_line(code, url_path)
        finally:
            st.session_state[WHOLE_RUN] = False


@st.fragment(run_every=FOLLOW_EVERY_S)
def student_line(code: str, url_path: str) -> None:
    """A student's line, read again every ``FOLLOW_EVERY_S`` seconds: the room, the teacher's view to go to (when the
    teacher has sent the class one and it is not the view on screen), and "leave"."""
    from store import questions, rooms
    room = rooms.room(database(), code, now())
    if room is None:
        st.caption(t("classroom.room.ended"))
        return
    st.caption(t("classroom.sidebar.sitting", code=code))
    if room.follow_link and room.follow_link != view_link(url_path):
        from ui.shell.registry import all_pages

        name, query = page_and_query(room.follow_link)
        lesson = next((spec for spec in all_pages() if spec.name == name or (spec.default and not name)), None)
        if lesson is not None:
            st.page_link(lesson.script, label=t("classroom.sidebar.follow", page=t(lesson.title_key)),
                         icon=":material/directions_run:", query_params=query)
    drawing_line(code, url_path)
    asked = questions.latest(database(), code)
    if asked is not None:
        answer_box(asked)
    st.button(t("classroom.sidebar.leave"), key="classroom_leave", on_click=leave_class, args=(code,))


def drawing_state(code: str, call: Call | None = None) -> tuple[float | None, float | None]:
    """When room ``code``'s call for drawings was made and its network shared (None for neither); ``call``: the
    room's call when the caller has just read it (it is read here otherwise)."""
    from store import drawings
    if call is None:
        call = drawings.current_call(database(), code)
    return (None if call is None else call.called_at), drawings.shared_at(database(), code)


def drawing_line(code: str, url_path: str) -> None:
    """While the teacher asks for drawings: on the classroom page, the page run again when the call or the shared
    network changed since it showed them; elsewhere, the way to the pad."""
    state = drawing_state(code)
    if state[0] is None:
        return
    if url_path == "classroom":  # the page below shows the state at a whole run, so only the fragment's runs check
        if not st.session_state.get(WHOLE_RUN) and st.session_state.get(DRAWING_SEEN, state) != state:
            st.rerun(scope="app")
        return
    from ui.shell.registry import CLASSROOM

    st.page_link(CLASSROOM.script, label=t("classroom.sidebar.draw" if state[1] is None else "classroom.sidebar.test"),
                 icon=":material/draw:")


def answer_box(asked: questions.Asked) -> None:
    """The room's latest question in a student's sidebar: its text (or where the lesson's question is), a box for the
    answer (a number, or one of the options) until the teacher reveals; then the student's own result. A question
    not seen before is announced with a toast, for a phone whose sidebar is folded."""
    from store import questions
    question, mine = asked.question, questions.my_answer(database(), asked.id, browser_token())
    if st.session_state.get(ANNOUNCED) != asked.id:
        st.session_state[ANNOUNCED] = asked.id
        st.toast(t("classroom.answer.new"), icon="❓")
    st.markdown(f"**{t('classroom.answer.title')}**")
    st.text(question_text(question))

    def shown(value: float) -> str:
        return value_text(question, value)

    if asked.revealed_at is not None:
        right = shown(question.answer)
        if mine is None:
            st.info(t("classroom.answer.was", answer=right))
        elif is_right(question, mine):
            st.success(t("classroom.answer.right", answer=right), icon="✅")
        else:
            st.error(t("classroom.answer.wrong", mine=shown(mine), answer=right), icon="❌")
        return
    with st.form(f"classroom_answer_{asked.id}", border=False):
        if question.kind == "choice":
            st.radio(t("classroom.answer.pick"), range(len(question.options)), index=None,
                     format_func=question.options.__getitem__, key=f"classroom_pick_{asked.id}")
        else:
            st.text_input(t("classroom.answer.number"), key=f"classroom_pick_{asked.id}", max_chars=ANSWER_TEXT_MAX)
        st.form_submit_button(t("classroom.answer.send"), on_click=send_answer, args=(asked.id,))
    if mine is not None:
        st.caption(t("classroom.answer.sent", mine=shown(mine)))
    problem = st.session_state.pop(ANSWER_PROBLEM, None)
    if problem is not None:
        st.error(t(ANSWER_REFUSED[problem]))


def show_problem(key: str) -> None:
    """The catalogue key a form's callback kept under session key ``key`` (what was wrong), said once."""
    problem = st.session_state.pop(key, None)
    if problem is not None:
        st.error(t(problem), icon="✏️")


def question_text(question: ClassQuestion) -> str:
    """A question as the class reads it: the teacher's own text, or where the lesson's question is."""
    return question.prompt if not question.source else t("classroom.ask.from_lesson")


def value_text(question: ClassQuestion, value: float) -> str:
    """An answer to ``question`` as the class reads it: the option chosen, or the number."""
    return question.options[int(value)] if question.kind == "choice" else f"{value:g}"


def send_answer(question_id: int) -> None:
    """The answer form's callback: the answer sent, or why it was refused kept to be shown."""
    from store import questions
    result = questions.answer(database(), question_id, browser_token(),
                              st.session_state.get(f"classroom_pick_{question_id}"), now())
    if isinstance(result, str):
        st.session_state[ANSWER_PROBLEM] = result


def ask_lesson_question(source: str, answer: float, rel_tol: float) -> None:
    """A lesson's "predict, then check" callback for the teacher: the question on screen (``source``: its answer
    box's key) asked in the room, and the class sent to this view, where each student reads it in their language."""
    from store import questions, rooms
    held = teaching()
    if held is None:
        return
    asked = questions.ask(database(), held.code, held.token, ClassQuestion("number", answer, rel_tol=rel_tol,
                                                                            source=source), now())
    rooms.send_class_to(database(), held.code, held.token, view_link(st.session_state.get(VIEW, "")), now())
    st.toast(t("classroom.ask.sent" if asked is not None else "classroom.ask.too_many"))


def send_class_here(held: Teaching, url_path: str) -> None:
    """The teacher's "send the class here" callback: the view's link as the last run left the address bar."""
    from store import rooms
    sent = rooms.send_class_to(database(), held.code, held.token, view_link(url_path), now())
    st.toast(t("classroom.sidebar.sent" if sent else "classroom.sidebar.not_sent"))


def leave_class(code: str) -> None:
    """A student's "leave" callback."""
    from store import rooms
    rooms.leave(database(), code, browser_token())
    st.session_state.pop(SITTING, None)
