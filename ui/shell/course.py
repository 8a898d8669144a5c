"""The course around each lesson: the primer's claim it teaches, the lessons it builds on, where to go next.

Everything here comes from the registry (``ui.shell.registry``): the order of the course, each lesson's primer
section and the lessons it builds on, so that the sidebar, the home page's path and these links cannot disagree.
"""

from __future__ import annotations

import streamlit as st

from ui.shell.i18n import t
from ui.shell.registry import Lesson, by_name, neighbours


def primer_box(lesson: Lesson) -> None:
    """The primer's claim that ``lesson`` teaches, in the app's words, with the primer's section, set apart."""
    if not lesson.primer:
        return
    with st.container(border=True):
        st.markdown(t("course.claim_line", source=t("course.primer", section=lesson.primer),
                      claim=t(lesson.claim_key)))


def correction(section: str, says: str, in_fact: str) -> None:
    """Where the primer is imprecise: what it says (``says``, in the app's words) beside what is true (``in_fact``,
    with a number computed on the spot by the caller)."""
    with st.container(border=True):
        st.markdown(f"🔎 **{t('course.check', section=section)}**")
        left, right = st.columns(2, gap="medium")
        left.markdown(f"**{t('course.says')}**  \n{says}")
        right.markdown(f"**{t('course.in_fact')}**  \n{in_fact}")


def builds_on(lesson: Lesson) -> None:
    """The lessons ``lesson`` builds on: a caption, then a link to each, side by side (stacked on a phone)."""
    if not lesson.builds_on:
        return
    st.caption(t("course.builds_on"))
    for cell, name in zip(st.columns(max(len(lesson.builds_on), 3)), lesson.builds_on, strict=False):
        spec = by_name(name)
        cell.page_link(spec.script, label=t(spec.title_key), icon=spec.icon)


def previous_and_next(lesson: Lesson) -> None:
    """"← previous · next →": the lessons before and after ``lesson`` in the course."""
    before, after = neighbours(lesson)
    st.divider()
    left, right = st.columns(2)
    if before is not None:
        left.page_link(before.script, label=f"← {t('course.previous')}: {t(before.title_key)}", icon=before.icon)
    if after is not None:
        right.page_link(after.script, label=f"{t('course.next')}: {t(after.title_key)} →", icon=after.icon)
