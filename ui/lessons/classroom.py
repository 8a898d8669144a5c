"""The classroom page. A teacher opens a room: its code, join link and QR code, large for the projector; how many
students are in it, live; a teacher link to go on from another device (folded, never on the projector); "end the
class", which deletes the room and all it held. A student joins by the code or the join link (``?join=CODE``), under
a nickname or none; the sidebar then says which room they sit in on every page (``ui.shell.classroom``)."""

from __future__ import annotations

import io

import segno
import streamlit as st

from core.classroom import CODE_LENGTH, NICKNAME_MAX, new_token, read_code
from store import rooms
from ui.shell.classroom import SITTING, TEACHING, TOKEN_FORM, Teaching, browser_token, database, now, sitting, teaching
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

REFUSAL = "classroom_refusal"
"""Session key: why the last join was refused (``store.rooms.Refusal``), shown once."""

LIVE_EVERY_S = 2.0
"""How often the teacher's count of students is read again."""


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
    st.markdown(t("classroom.intro"))
    resume_from_link()
    held = teaching()
    if held is not None:
        teacher_view(held)
        return
    code = sitting()
    if code is not None:
        st.success(t("classroom.joined", code=code), icon="🙋")
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
    with st.expander(t("classroom.room.teacher_link"), icon=":material/key:"):
        st.caption(t("classroom.room.teacher_link_help"))
        st.code(f"{link}&teacher={held.token}", language=None)
    st.button(t("classroom.room.end"), icon=":material/stop_circle:", key="classroom_end", on_click=end_class,
              args=(held,))


def end_class(held: Teaching) -> None:
    """The end button's callback: the room and all it held deleted."""
    rooms.close_room(database(), held.code, held.token)
    st.session_state.pop(TEACHING, None)


@st.fragment(run_every=LIVE_EVERY_S)
def live_count(code: str) -> None:
    """How many students are in the room, read again every ``LIVE_EVERY_S`` seconds."""
    room = rooms.room(database(), code, now())
    if room is None:
        st.warning(t("classroom.room.ended"), icon="⌛")
        return
    st.metric(t("classroom.room.students"), room.students)
