"""A part's own controls rerun the part alone (``ui.shell.lesson_frame.drawn_alone``): read from what the browser
receives over the websocket, in Chromium against a real ``streamlit run``.

A full rerun sends every element of the page again, the lesson's introduction among them; a rerun of the part alone
sends only the part's elements. So the introduction's text (as the page sends it, ``ui.shell.terms.annotate``)
appears in the messages received after a part picker click, and not in those received after a part's slider moves.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from harness.browser import assert_healthy, page_url, wait_for_query, wait_until_idle
from ui.shell.i18n import translate
from ui.shell.registry import POOLING
from ui.shell.terms import annotate

pytestmark = pytest.mark.browser


def record_frames(page: Page) -> list[bytes]:
    """Every websocket frame the page receives from now on, as bytes."""
    frames: list[bytes] = []

    def on_socket(socket) -> None:
        socket.on("framereceived", lambda payload: frames.append(
            payload if isinstance(payload, bytes) else payload.encode()))

    page.on("websocket", on_socket)
    return frames


def sent_since(frames: list[bytes], start: int) -> bytes:
    return b"".join(frames[start:])


def test_a_parts_slider_reruns_the_part_alone_and_the_part_picker_the_whole_page(page: Page, console_errors,
                                                                                  server):
    frames = record_frames(page)
    page.goto(page_url(server, POOLING, part="steps", lang="en"))
    wait_until_idle(page)
    intro = annotate(translate("pooling.intro", "en"), "en", set()).strip().encode()  # st.markdown drops the end
    assert intro in sent_since(frames, 0)  # the first run sends the whole page

    before = len(frames)
    slider = page.get_by_role("slider", name=translate("pooling.size", "en"))
    slider.focus()
    slider.press("ArrowRight")
    wait_for_query(page, "size=3")
    wait_until_idle(page)
    after_slider = sent_since(frames, before)
    assert translate("pooling.size", "en").encode() in after_slider  # the part was sent again (its slider) …
    assert intro not in after_slider  # … and the page around it was not

    before = len(frames)
    page.get_by_text(translate("pooling.part.image", "en"), exact=True).click()
    wait_for_query(page, "part=image")
    wait_until_idle(page)
    assert intro in sent_since(frames, before)  # another part: the whole page runs again
    assert_healthy(page, console_errors, server)
