"""The frame every lesson page shares: title, introduction, the course around it (``ui.shell.course``), a part
picker in the URL, the chosen part.

A page script is two lines: ``require_entry_point()`` and ``lesson_page(<its Lesson from the registry>)``. The
lesson's module ``ui.lessons.<name>`` draws each part with ``part_<part>()`` (a lesson without parts: ``page()``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from ui.plots.kept import load_plotly_early
from ui.shell.course import builds_on, previous_and_next, primer_box
from ui.shell.errors import failure_shown
from ui.shell.i18n import t, translator
from ui.shell.registry import Lesson
from ui.shell.terms import explained, start_page, terms_seen
from ui.shell.url_state import declare_link, url_choice


def lesson_page(lesson: Lesson) -> None:
    """Draw ``lesson``: its title, introduction, the lessons it builds on and the primer's claim it teaches, the part
    named by ``?part=`` (the first part by default), then the links to the previous and next lessons."""
    module = lesson.module()
    if lesson.charts:
        load_plotly_early()
    declare_link(lesson.name, lesson.link())
    start_page()
    if not lesson.parts:
        module.page()
        previous_and_next(lesson)
        return
    st.title(t(lesson.heading_key))
    explained(t(lesson.intro_key))
    builds_on(lesson)
    primer_box(lesson)
    part = url_choice(st.segmented_control, t("common.part_label"), list(lesson.parts), key=f"{lesson.prefix}part",
                      name="part", default=lesson.parts[0], format_func=translator(f"{lesson.name}.part."))
    st.divider()
    part_alone(lesson, part)
    previous_and_next(lesson)


def part_alone(lesson: Lesson, part: str) -> None:
    """Draw the part's introduction (``part_intro``), then the part alone (``drawn_alone``): the introduction is the
    same at every rerun of the part, so outside its fragment it is neither run nor sent again when one of the part's
    own controls moves."""
    draw = getattr(lesson.module(), f"part_{part}")
    intro_key = getattr(draw, "intro_key", None)
    if intro_key is not None:
        explained(t(intro_key))
    drawn_alone(lesson, draw, f"{lesson.name}: {part}")


P = TypeVar("P", bound=Callable[[], None])


def part_intro(key: str) -> Callable[[P], P]:
    """Mark a lesson's ``part_<name>`` function with the catalogue key of its introduction, which ``part_alone``
    draws above the part, outside the part's fragment."""

    def mark(draw: P) -> P:
        draw.intro_key = key
        return draw

    return mark


def drawn_alone(lesson: Lesson, draw: Callable[[], None], what: str) -> None:
    """Draw ``draw()`` (a part of ``lesson``'s page, named ``what`` in the log) in a fragment: a change to one of its
    own controls reruns it alone, not the title, the introduction, the sidebar or the links around it (measured in
    the browser: most of a rerun's server time was the page around the part, ``bench/latency.py``). A change
    elsewhere (the part picker, the language) still reruns the whole page. A fragment's rerun is a script run of its
    own: the page's link is declared again, the terms explained above count as seen, and a failure shows the same
    message the page would."""
    seen = terms_seen()

    @st.fragment
    def alone() -> None:
        declare_link(lesson.name, lesson.link())
        start_page(seen)
        with failure_shown(what):
            draw()

    alone()
