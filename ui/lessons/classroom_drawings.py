"""A data set the class draws, on the classroom page (``ui.lessons.classroom``).

The teacher asks for drawings of some labels (the digits 0–9, or classes they name); the projector shows, live, how
many drawings each label has and the newest ones, each with a button that removes it (never whose it is); a link
opens the trainer on the class's drawings; once the teacher shares the network trained there, the projector shows how
many of the class's test drawings it reads right. A student draws on the pad with the label the page suggests (or
one they pick) and sends; once a network is shared, each new drawing tests it and the student sees what it read.
"""

from __future__ import annotations

import io

import numpy as np
import streamlit as st

from core.class_drawings import (
    DIGIT_LABELS,
    LABELS_MAX,
    MIN_PER_LABEL,
    STORED_SIDE,
    class_probabilities,
    picture_from_stored,
    read_labels,
    ready_to_train,
    stored_picture,
)
from store import drawings
from ui.shell.classroom import (
    DRAWING_SEEN,
    PROJECTOR_EVERY_S,
    Teaching,
    browser_token,
    database,
    drawing_state,
    now,
    show_problem,
)
from ui.shell.i18n import t, translator
from ui.shell.registry import CNN_TRAINER
from ui.widgets.drawing_pad import clear_pad, drawing_pad

GALLERY_SHOWN, GALLERY_COLUMNS = 24, 8
"""The projector shows the newest drawings, this many, in rows of this many."""
PAD = "classroom_pad"
"""The student's pad (``ui.widgets.drawing_pad``)."""
CALL_PROBLEM = "classroom_call_problem"
SENT = "classroom_drawing_sent"
"""Session key: what became of the student's last drawing, with the (call, network) state it was sent for:
(state, "sent", label), (state, "tested", label, read, share) or (state, "refused", reason)."""
DRAWING_REFUSED = {"not_in_the_room": "classroom.draw.refused.not_in_the_room",
                   "no_call": "classroom.draw.refused.no_call", "not_a_label": "classroom.draw.refused.not_a_label",
                   "not_a_picture": "classroom.draw.refused.not_a_picture",
                   "room_full": "classroom.draw.refused.room_full", "too_many": "classroom.draw.refused.too_many",
                   "no_model": "classroom.draw.refused.no_model"}
"""The message for each reason a drawing is refused (``store.drawings.DrawingRefusal``)."""
LAST_SENT = "classroom_last_sent"
"""Session key: the kept bytes of the student's last drawing sent, which the send button does not take again."""
KINDS = ("digits", "named")


# ---- the teacher -----------------------------------------------------------------------------------------------


def teacher_drawings(held: Teaching) -> None:
    """The call's form (folded once a call is made), the live counts and gallery, the way to the trainer."""
    st.subheader(t("classroom.draw.title"), anchor=False)
    call = drawings.current_call(database(), held.code)
    with st.expander(t("classroom.draw.call"), icon=":material/draw:", expanded=call is None):
        call_form(held)
    if call is not None:
        live_drawings(held)


def call_form(held: Teaching) -> None:
    st.caption(t("classroom.draw.call_help"))
    with st.form("classroom_call", border=False):
        st.segmented_control(t("classroom.draw.kind"), KINDS, default="digits", required=True,
                             key="classroom_call_kind", format_func=translator("classroom.draw.kinds."))
        st.text_input(t("classroom.draw.labels"), key="classroom_call_labels", max_chars=30 * LABELS_MAX,
                      placeholder=t("classroom.draw.labels_example"), help=t("classroom.draw.labels_help"))
        st.form_submit_button(t("classroom.draw.send"), type="primary", icon=":material/send:", on_click=call_class,
                              args=(held,))
    show_problem(CALL_PROBLEM)


def call_class(held: Teaching) -> None:
    """The call form's callback: the digits, or the labels the teacher typed (``read_labels``)."""
    if st.session_state.get("classroom_call_kind") == "named":
        labels = read_labels(st.session_state.get("classroom_call_labels"))
        if labels is None:
            st.session_state[CALL_PROBLEM] = "classroom.draw.bad_labels"
            return
    else:
        labels = DIGIT_LABELS
    if not drawings.call_for_drawings(database(), held.code, held.token, labels, now()):
        st.session_state[CALL_PROBLEM] = "classroom.room.ended"


@st.fragment(run_every=PROJECTOR_EVERY_S)
def live_drawings(held: Teaching) -> None:
    """The projector's view of the class's data set, read again every ``PROJECTOR_EVERY_S`` seconds."""
    engine = database()
    call = drawings.current_call(engine, held.code)
    shown = drawings.gallery(engine, held.code, held.token, now(), GALLERY_SHOWN)
    if call is None or shown is None:
        return
    counts = drawings.counts(engine, held.code, len(call.labels))
    st.markdown(t("classroom.draw.asked", labels=t("common.list_separator").join(call.labels), n=sum(counts)))
    for column, label, n in zip(st.columns(len(counts)), call.labels, counts, strict=True):
        column.metric(label, n)
    gallery(held, call.labels, shown)
    if ready_to_train(counts):
        mixed = call.labels == DIGIT_LABELS
        st.page_link(CNN_TRAINER.script, label=t("classroom.draw.train"), icon=":material/model_training:",
                     query_params={"data": "digits", "class": "with_data" if mixed else "only"})
    else:
        st.caption(t("classroom.draw.not_ready", n=MIN_PER_LABEL))
    class_score(held.code, call.labels)


def gallery(held: Teaching, labels: tuple[str, ...], shown: list[drawings.Kept]) -> None:
    """The newest drawings, each with its label and a button that removes it."""
    for start in range(0, len(shown), GALLERY_COLUMNS):
        for column, kept in zip(st.columns(GALLERY_COLUMNS), shown[start:start + GALLERY_COLUMNS], strict=False):
            column.image(thumbnail(kept.pixels), caption=labels[kept.label] if kept.label < len(labels) else "?",
                         width=72)
            column.button("✕", key=f"classroom_remove_{kept.id}", help=t("classroom.draw.remove"),
                          on_click=remove, args=(held, kept.id))


def thumbnail(pixels: bytes) -> np.ndarray:
    """A kept drawing as an image to show: grey bytes, ink white on black."""
    return np.rint(picture_from_stored(pixels) * 255).astype(np.uint8).reshape(STORED_SIDE, STORED_SIDE)


def remove(held: Teaching, drawing_id: int) -> None:
    drawings.remove_drawing(database(), held.code, held.token, drawing_id, now())


def class_score(code: str, labels: tuple[str, ...]) -> None:
    """How the shared network does on the class's test drawings, in all and per label."""
    if drawings.shared_at(database(), code) is None:
        return
    score = drawings.score(database(), code, len(labels))
    if not score.tested:
        st.info(t("classroom.draw.shared"), icon="🧪")
        return
    st.success(t("classroom.draw.score", right=score.right, tested=score.tested,
                 share=f"{100 * score.right / score.tested:.0f}"), icon="🎯")
    st.caption(" · ".join(f"{label}: {right}/{tested}" for label, (tested, right) in zip(labels, score.per_label,
                                                                                          strict=True) if tested))


# ---- a student -------------------------------------------------------------------------------------------------


def student_drawing(code: str) -> None:
    """A student's pad: for the data set, or, once the teacher shares a network, to test it."""
    call = drawings.current_call(database(), code)
    st.session_state[DRAWING_SEEN] = state = drawing_state(code, call)
    if call is None:
        st.info(t("classroom.draw.wait"), icon="✏️")
        return
    testing = state[1] is not None
    st.subheader(t("classroom.draw.test_title" if testing else "classroom.draw.title"), anchor=False)
    st.markdown(t("classroom.draw.test_help" if testing else "classroom.draw.student_help"))
    n_labels = len(call.labels)
    mine = drawings.my_count(database(), code, browser_token())
    label = st.pills(t("classroom.draw.label"), range(n_labels), format_func=call.labels.__getitem__,
                     key=f"classroom_label_{call.called_at}", default=suggested_label(mine, n_labels),
                     required=True)
    st.markdown(t("classroom.draw.draw_this", label=call.labels[label]))
    gray = drawing_pad(PAD)
    pixels = None if gray is None else stored_picture(gray)
    if pixels is not None and pixels == st.session_state.get(LAST_SENT):
        pixels = None  # the drawing just sent, still on a pad the browser has not cleared yet: not sent twice
    st.button(t("classroom.draw.test" if testing else "classroom.draw.send_drawing"), type="primary",
              key="classroom_send_drawing", disabled=pixels is None, icon=":material/send:",
              on_click=send_drawing, args=(code, label, pixels, state, n_labels))
    sent_notice(call.labels, state)
    st.caption(t("classroom.draw.mine", n=mine))


def suggested_label(sent_so_far: int, n_labels: int) -> int:
    """The label a student is asked for next, having sent ``sent_so_far`` drawings: in turn through the labels."""
    return sent_so_far % n_labels


def send_drawing(code: str, label: int, pixels: bytes | None, state: tuple[float, float | None],
                 n_labels: int) -> None:
    """The send button's callback: the drawing sent for the call and network on screen (``state``: when they were
    made; a drawing for a call since replaced is refused) as a test of the shared network, read by it, once there
    is one; the pad cleared and the next label suggested; what became of it kept to be shown with that state."""
    if pixels is None:
        return
    engine = database()
    called_at, shared_at = state
    read, share = None, None
    if shared_at is not None:
        network = shared_network(code, shared_at)
        if network is None:
            st.session_state[SENT] = (state, "refused", "no_model")
            return
        probabilities = class_probabilities(network[0], pixels, network[1])
        read, share = int(np.argmax(probabilities)), float(probabilities.max())
    result = drawings.add_drawing(engine, code, browser_token(), label, pixels, now(),
                                  purpose="train" if shared_at is None else "test", predicted=read,
                                  called_at=called_at)
    if isinstance(result, str):
        st.session_state[SENT] = (state, "refused", result)
        return
    st.session_state[SENT] = (state, "tested", label, read, share) if read is not None else (state, "sent", label)
    st.session_state[LAST_SENT] = pixels
    clear_pad(PAD)
    if read is None:
        st.session_state[f"classroom_label_{called_at}"] = suggested_label(
            drawings.my_count(engine, code, browser_token()), n_labels)


@st.cache_resource(max_entries=4, show_spinner=False)
def shared_network(code: str, shared_at: float):
    """The network the teacher of room ``code`` shared at ``shared_at`` and how drawings are prepared for it, loaded
    once per server for each sharing (``weights_only``); None when it is no longer the room's."""
    from core.checkpoints import load_checkpoint

    shared = drawings.shared_model(database(), code)
    if shared is None or shared.shared_at != shared_at:
        return None
    model, _ = load_checkpoint(io.BytesIO(shared.checkpoint))
    return model.eval(), shared.preparation


def sent_notice(labels: tuple[str, ...], state: tuple[float, float | None]) -> None:
    """What became of the student's last drawing, while the call and the network it was sent for are on screen."""
    sent = st.session_state.get(SENT)
    if sent is None or sent[0] != state:
        return
    if sent[1] == "refused":
        st.error(t(DRAWING_REFUSED[sent[2]]), icon="🚫")
    elif sent[1] == "sent":
        st.success(t("classroom.draw.sent", label=labels[sent[2]]), icon="✅")
    else:
        _, _, label, read, share = sent
        box = st.success if read == label else st.warning
        box(t("classroom.draw.read", label=labels[label], read=labels[read], share=f"{100 * share:.0f}"),
            icon="🤖")
