"""The classroom in AppTest: a page opened as a browser session, a class started and joined, the texts read back; a
digit drawn as the pad's canvas sends it (``feed_the_pad``)."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
from PIL import Image

from core.classroom import read_code
from core.drawn_digits import STYLES, ink
from core.images import PAD_DATA_URL_PREFIX
from tests.conftest import app_test
from ui.shell.classroom import TEACHING
from ui.shell.registry import by_name

CLASSROOM = by_name("classroom")


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


def encode(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def data_url(data: bytes, prefix: str = PAD_DATA_URL_PREFIX) -> str:
    return prefix + base64.b64encode(data).decode("ascii")


def feed_the_pad(monkeypatch) -> dict:
    """``sent["value"]`` (when not None) becomes the canvas component's value: the real ``st_canvas`` runs, and its
    component (``streamlit_drawable_canvas.out``) answers as if the browser had sent that. The package must have been
    imported by a page run already (it registers its component on import, which needs Streamlit's runtime)."""
    import streamlit_drawable_canvas

    sent = {"value": None}
    real = streamlit_drawable_canvas.out

    def component(**kwargs):
        result = real(**kwargs)
        return result if sent["value"] is None else sent["value"]

    monkeypatch.setattr(streamlit_drawable_canvas, "out", component)
    return sent


def digit_picture(digit: int, style: int = 0, side: int = 280) -> np.ndarray:
    """A digit drawn by ``core.drawn_digits`` on a pad-sized picture (white ink on black)."""
    styles = STYLES[digit]
    return ink(styles[style % len(styles)], pen_width=side / 14, size=side)


def pad_value(digit: int, style: int = 0) -> dict:
    """What the canvas sends for a ``digit`` drawn on it (white ink on black, the pad's size)."""
    picture = Image.fromarray(np.rint(digit_picture(digit, style) * 255).astype(np.uint8)).convert("RGBA")
    return {"drawing": {"raw": {"objects": []}, "data": data_url(encode(picture))}, "backgroundFit": None}


def room_of(engine, students: int, now: float) -> tuple[str, str, list[str]]:
    """A room opened in ``engine`` with ``students`` students in it: (its code, the teacher's token, theirs)."""
    from core.classroom import new_token
    from store import rooms

    teacher = new_token()
    code = rooms.open_room(engine, teacher, now)
    tokens = [new_token() for _ in range(students)]
    for token in tokens:
        rooms.join(engine, code, token, None, now)
    return code, teacher, tokens
