"""The classroom page. A teacher opens a room: its code, join link and QR code, large for the projector; how many
students are in it, live; a teacher link to go on from another device (folded, never on the projector); "end the
class", which deletes the room and all it held; the teacher's questions and the data set the class draws
(``ui.lessons.classroom_drawings``). A student joins by the code or the join link (``?join=CODE``), under a nickname
or none; the sidebar then says which room they sit in on every page (``ui.shell.classroom``); the page itself holds
their drawing pad."""

from __future__ import annotations

import io
import unicodedata

import segno
import streamlit as st

from core.classroom import ANSWER_TEXT_MAX, CODE_LENGTH, NICKNAME_MAX, ClassQuestion, new_token, read_answer, read_code
from store import questions, rooms
from ui.lessons.classroom_drawings import student_drawing, teacher_drawings
from ui.shell.classroom import (
    PROJECTOR_EVERY_S,
    SITTING,
    TEACHING,
    TOKEN_FORM,
    Teaching,
    browser_token,
    database,
    now,
    question_text,
    show_problem,
    sitting,
    teaching,
    value_text,
)
from ui.shell.i18n import t
from ui.shell.url_state import Text, UrlParam, seed_from_url

LINK = {"join": Text(4 * CODE_LENGTH), "teacher": Text(64)}
"""What the page's link may say: a room to join (its code); a teacher's own link also carries their token."""


def code_decoder(raw: str) -> str:
    """A room code in a link (``core.classroom.read_code``); anything else is refused with the usual notice."""
    code = read_code(raw)
    if code is None:
        raise ValueError("not a room code")
    return code


def token_decoder(raw: str) -> str:
    """A teacher's token in a link: its form only (``TOKEN_FORM``); whether it runs a room is asked afterwards."""
    if not TOKEN_FORM.fullmatch(raw):
        raise ValueError("not a token")
    return raw


JOIN = UrlParam("classroom_code", "join", "", code_decoder, accepts=LINK["join"])
"""``?join=``: the code the join form starts with."""
TEACHER = UrlParam("classroom_teacher_token", "teacher", "", token_decoder, accepts=LINK["teacher"])
"""``?teacher=``: a teacher's token, taken once and then removed from the address bar."""

REFUSED = {"not_a_code": "classroom.refused.not_a_code", "no_such_room": "classroom.refused.no_such_room",
           "room_full": "classroom.refused.room_full", "too_many_tries": "classroom.refused.too_many_tries"}
"""The message for each reason a join is refused (``store.rooms.Refusal``)."""

ASK_PROBLEM = "classroom_ask_problem"
"""Session key: the catalogue key of what was wrong with the teacher's last question, shown once."""
PROMPT_MAX, OPTION_MAX, OPTIONS_MAX = 200, 60, 600
"""Longest question text, option, and options text a teacher may type."""

REFUSAL = "classroom_refusal"
"""Session key: why the last join was refused (``store.rooms.Refusal``), shown once."""



def join_link(code: str) -> str:
    """The link a student opens to join room ``code``, on this server (as the teacher's browser reached it)."""
    base = str(st.context.url or "").split("?")[0].rstrip("/")
    if base.endswith("/classroom"):
        base = base[: -len("/classroom")]
    return f"{base}/classroom?join={code}"


def qr_png(text: str) -> bytes:
    """``text`` as a QR code (PNG, black on white, error correction M, with its quiet zone)."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=10, border=4)
    return out.getvalue()


def page() -> None:
    st.title(t("classroom.title"))
    resume_from_link()
    code = sitting() if TEACHING not in st.session_state else None
    if code is not None:  # a student's phone: the room and the pad, without the page's introduction for teachers
        st.success(t("classroom.joined", code=code), icon="🙋")
        student_drawing(code)
        return
    st.markdown(t("classroom.intro"))
    held = teaching()
    if held is not None:
        teacher_view(held)
        return
    start, join = st.columns(2, gap="large")
    with start:
        st.subheader(t("classroom.start.title"), anchor=False)
        st.markdown(t("classroom.start.body"))
        st.button(t("classroom.start.button"), type="primary", icon=":material/co_present:", key="classroom_start",
                  on_click=start_class)
    with join:
        join_form()


def start_class() -> None:
    """The start button's callback: a room opened with a fresh teacher token, which this session holds."""
    token = new_token()
    st.session_state[TEACHING] = Teaching(rooms.open_room(database(), token, now()), token)


def resume_from_link() -> None:
    """A teacher's link (``?join=CODE&teacher=TOKEN``) gives this session the room's controls, if the token runs
    it; the token then leaves the address bar and the session's state."""
    seed_from_url(JOIN)
    seed_from_url(TEACHER)
    token = st.session_state.pop(TEACHER.key, "")
    if "teacher" not in st.query_params:
        return
    del st.query_params["teacher"]
    code = st.session_state.get(JOIN.key, "")
    if code and token and rooms.is_teacher(database(), code, token, now()):
        st.session_state[TEACHING] = Teaching(code, token)
        del st.query_params["join"]
    else:
        st.warning(t("classroom.not_your_room"), icon="🔒")


def join_form() -> None:
    st.subheader(t("classroom.join.title"), anchor=False)
    with st.form("classroom_join", border=False):
        st.text_input(t("classroom.join.code"), key=JOIN.key, max_chars=4 * CODE_LENGTH,
                      placeholder="ACE 479")
        st.text_input(t("classroom.join.nickname"), key="classroom_nickname", max_chars=NICKNAME_MAX * 2,
                      help=t("classroom.join.nickname_help"))
        st.form_submit_button(t("classroom.join.button"), type="primary", icon=":material/login:",
                              on_click=join_class)
    refusal = st.session_state.pop(REFUSAL, None)
    if refusal is not None:
        st.error(t(REFUSED[refusal]), icon="🚫")


def join_class() -> None:
    """The join form's callback: this browser joins the room typed, or the refusal's reason is kept to be shown."""
    answer = rooms.join(database(), st.session_state.get(JOIN.key), browser_token(),
                        st.session_state.get("classroom_nickname"), now())
    if isinstance(answer, rooms.Refused):
        st.session_state[REFUSAL] = answer.reason
    else:
        st.session_state[SITTING] = answer.room.code


def teacher_view(held: Teaching) -> None:
    """The room on the projector: its code, link and QR code, the live count, and the teacher's controls."""
    link = join_link(held.code)
    code_side, qr_side = st.columns([3, 2], gap="large", vertical_alignment="center")
    with code_side:
        st.markdown(t("classroom.room.join_at"))
        st.title(f"{held.code[:3]} {held.code[3:]}", anchor=False)
        st.code(link, language=None)
        live_count(held.code)
    qr_side.image(qr_png(link), caption=t("classroom.room.scan"), width=320)
    st.divider()
    live_question(held)
    with st.expander(t("classroom.ask.title"), icon=":material/quiz:"):
        ask_form(held)
    st.divider()
    teacher_drawings(held)
    st.divider()
    with st.expander(t("classroom.room.teacher_link"), icon=":material/key:"):
        st.caption(t("classroom.room.teacher_link_help"))
        st.code(f"{link}&teacher={held.token}", language=None)
    st.button(t("classroom.room.end"), icon=":material/stop_circle:", key="classroom_end", on_click=end_class,
              args=(held,))


def end_class(held: Teaching) -> None:
    """The end button's callback: the room and all it held deleted."""
    rooms.close_room(database(), held.code, held.token)
    st.session_state.pop(TEACHING, None)


@st.fragment(run_every=PROJECTOR_EVERY_S)
def live_count(code: str) -> None:
    """How many students are in the room, read again every ``PROJECTOR_EVERY_S`` seconds."""
    room = rooms.room(database(), code, now())
    if room is None:
        st.warning(t("classroom.room.ended"), icon="⌛")
        return
    st.metric(t("classroom.room.students"), room.students)


@st.fragment(run_every=PROJECTOR_EVERY_S)
def live_question(held: Teaching) -> None:
    """The room's latest question on the projector, read again every ``PROJECTOR_EVERY_S`` seconds: its text (or the
    lesson it comes from), how many have answered, the spread of the answers (no names); after "reveal", the right
    answer and how many had it."""
    asked = questions.latest(database(), held.code)
    if asked is None:
        st.caption(t("classroom.ask.none_yet"))
        return
    room = rooms.room(database(), held.code, now())
    tally = questions.tally(database(), asked.id)
    st.subheader(question_text(asked.question), anchor=False)
    st.markdown(t("classroom.ask.answered", answered=tally.answered, students=room.students if room else 0))
    most = max((n for _, n in tally.spread), default=0)
    for label, n in tally.spread:
        st.progress(n / most if most else 0.0, text=f"**{label}** · {n}")
    if asked.revealed_at is None:
        st.button(t("classroom.ask.reveal"), key="classroom_reveal", icon=":material/visibility:",
                  on_click=reveal_answer, args=(held, asked.id))
        return
    st.success(t("classroom.ask.revealed", answer=value_text(asked.question, asked.question.answer), right=tally.right,
                 answered=tally.answered), icon="✅")


def reveal_answer(held: Teaching, question_id: int) -> None:
    """The reveal button's callback."""
    questions.reveal(database(), held.code, held.token, question_id, now())


def ask_form(held: Teaching) -> None:
    """The teacher's own question: its text, a number or two to eight options (one a line), and the right answer.
    A lesson's own "predict, then check" question is asked from the lesson (``ui.widgets.quiz``)."""
    st.caption(t("classroom.ask.help"))
    with st.form("classroom_ask", border=False):
        st.text_input(t("classroom.ask.prompt"), key="classroom_ask_prompt", max_chars=PROMPT_MAX)
        st.text_area(t("classroom.ask.options"), key="classroom_ask_options", max_chars=OPTIONS_MAX,
                     help=t("classroom.ask.options_help"), height=120)
        st.text_input(t("classroom.ask.answer"), key="classroom_ask_answer", max_chars=ANSWER_TEXT_MAX,
                      help=t("classroom.ask.answer_help"))
        st.form_submit_button(t("classroom.ask.send"), type="primary", icon=":material/send:", on_click=ask_own,
                              args=(held,))
    show_problem(ASK_PROBLEM)


def ask_own(held: Teaching) -> None:
    """The ask form's callback: the question built from the form (``own_question``) and asked, or what is wrong
    with it kept to be shown."""
    built = own_question(st.session_state.get("classroom_ask_prompt"), st.session_state.get("classroom_ask_options"),
                         st.session_state.get("classroom_ask_answer"))
    if isinstance(built, str):
        st.session_state[ASK_PROBLEM] = built
    elif questions.ask(database(), held.code, held.token, built, now()) is None:
        st.session_state[ASK_PROBLEM] = "classroom.ask.too_many"


def visible(text: object) -> str:
    """``text`` with each control or format character (NUL among them, which PostgreSQL refuses in text) made a
    space."""
    return "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in str(text or ""))


def own_question(prompt: object, options: object, answer: object) -> ClassQuestion | str:
    """A teacher's question from the form's texts, or the catalogue key of what is wrong: no text; options given but
    not 2 to 8 of them; a right answer that is not an option's number (1, 2, ...) or not a number."""
    prompt = " ".join(visible(prompt).split())[:PROMPT_MAX]
    if not prompt:
        return "classroom.ask.no_prompt"
    lines = [" ".join(visible(line).split())[:OPTION_MAX] for line in str(options or "").splitlines()]
    lines = [line for line in lines if line]
    if lines and not 2 <= len(lines) <= 8:
        return "classroom.ask.bad_options"
    if lines:
        number = read_answer(ClassQuestion("number", 0.0), answer)
        if number is None or not number.is_integer() or not 1 <= number <= len(lines):
            return "classroom.ask.bad_choice"
        return ClassQuestion("choice", number - 1, prompt, tuple(lines))
    number = read_answer(ClassQuestion("number", 0.0), answer)
    if number is None:
        return "classroom.ask.bad_number"
    return ClassQuestion("number", number, prompt, rel_tol=1e-6)
