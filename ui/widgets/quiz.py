""""Predict, then check": the question picker and the answer box shared by the lessons' exercises."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import streamlit as st

from ui.shell.classroom import TEACHING, ask_lesson_question
from ui.shell.i18n import t, translator
from ui.shell.url_state import Choice, Number, url_choice, url_slider


def quiz_link(kinds: Sequence[str]) -> dict:
    """What ``quiz_controls`` reads from a link: the kind of question and its number."""
    return {"q": Choice(kinds), "qseed": Number(1, 999, whole=True)}


def quiz_controls(prefix: str, kinds: Sequence[str], kind_labels: str) -> tuple[str, int]:
    """The kind of question and its number (the seed that draws it), both in the URL."""
    kind = url_choice(st.segmented_control, t("common.quiz.kind_label"), list(kinds), key=f"{prefix}_qkind",
                      name="q",
                      default=kinds[0], format_func=translator(kind_labels))
    seed = url_slider(t("common.quiz.number"), key=f"{prefix}_qseed", name="qseed", min_value=1, max_value=999,
                      default=1)
    return kind, seed


def check_answer(key: str, answer: float, explain_wrong: Callable[[float], str], rel_tol: float = 1e-9,
                 integer: bool = True) -> None:
    """A number box; a right answer (within ``rel_tol``) is confirmed, a wrong one explained by ``explain_wrong``.

    ``integer=False`` lets the box take decimals; it depends on the kind of question, never on the answer, so the
    box gives nothing away.
    """
    if st.session_state.get(TEACHING) is not None:  # a teacher may ask the whole class this very question
        st.button(t("classroom.ask.this"), key=f"{key}_ask_class", icon=":material/groups:",
                  on_click=ask_lesson_question, args=(key, answer, rel_tol))
    guess = st.number_input(t("common.quiz.answer"), value=None, step=1.0 if integer else 0.01, key=key,
                            format=None if integer else "%.6g", placeholder=t("common.quiz.placeholder"))
    if guess is None:
        return
    if math.isclose(guess, answer, rel_tol=rel_tol, abs_tol=1e-12):
        st.success(t("common.quiz.right", answer=f"{answer:g}"), icon="✅")
    else:
        st.error(explain_wrong(guess), icon="❌")
