"""Shareable links: bind a widget to a URL query parameter.

A page opens with the values from its URL, and changing a control rewrites the URL, so a teacher can
send the link of exactly what is on the projector. A value in the URL that cannot be used (wrong type,
out of range, unknown option) falls back to the default with a small notice, never a traceback.

Each lesson declares, once, what its link may say: ``LINK`` in its ``ui.lessons`` module maps every query
parameter name to a ``Number`` range, a ``Choice`` of options, a ``Flag``, a ``Many`` (several options) or a
``Text`` (free text with a length limit), as TensorFlow Playground's ``state.ts`` does. The widgets below check,
as they are drawn, that their parameter is declared on the page being drawn and that what they accept lies within
the declaration, so a parameter cannot be added without being declared, and one name cannot mean two things on a
page. The hostile-link tests fuzz exactly the declared parameters.

Usage in a lesson module::

    LINK = {"lr": Number(0.01, 1.0), "phase": Choice(PHASES)}
    lr = url_slider(t("home.lr"), key="home_lr", name="lr", min_value=0.01, max_value=1.0, default=0.1, step=0.01)
    phase = url_choice(st.segmented_control, t("home.phase_label"), list(PHASES), key="home_phase", name="phase",
                       default="training", format_func=translator("home.phase."))
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import streamlit as st

from ui.shell.i18n import current_language, t

T = TypeVar("T")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


# ---- what a link may say --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    """A number from ``low`` to ``high`` (whole numbers only with ``whole=True``)."""

    low: float
    high: float
    whole: bool = False

    def admits(self, other: LinkSpec) -> bool:
        """A narrower range, or a choice among numbers inside this one (a ladder of step sizes on a slider)."""
        if type(other) is Choice:
            return all(self._holds(option) for option in other.options)
        return (isinstance(other, Number) and self.low <= other.low and other.high <= self.high
                and (other.whole or not self.whole))

    def _holds(self, text: str) -> bool:
        try:
            value = float(text)
        except ValueError:
            return False
        return self.low <= value <= self.high and (value.is_integer() or not self.whole)


@dataclass(frozen=True, init=False)
class Choice:
    """One of ``options`` (compared as the text the link carries)."""

    options: tuple[str, ...]

    def __init__(self, options: Iterable) -> None:
        object.__setattr__(self, "options", tuple(str(o) for o in options))

    def admits(self, other: LinkSpec) -> bool:
        return type(other) is Choice and set(other.options) <= set(self.options)


@dataclass(frozen=True, init=False)
class Many(Choice):
    """Any of ``options``, comma-separated."""

    def admits(self, other: LinkSpec) -> bool:
        return isinstance(other, Many) and set(other.options) <= set(self.options)


@dataclass(frozen=True)
class Flag:
    """Yes or no (``1``/``0``)."""

    def admits(self, other: LinkSpec) -> bool:
        return isinstance(other, Flag)


@dataclass(frozen=True)
class Text:
    """Free text of at most ``limit`` characters, read by the page's own parser (a shape, a formula, a row)."""

    limit: int

    def admits(self, other: LinkSpec) -> bool:
        return isinstance(other, Text) and other.limit <= self.limit


LinkSpec = Number | Choice | Many | Flag | Text
APP_LINK: dict[str, LinkSpec] = {"lang": Text(20), "level": Choice(("beginner", "expert")), "present": Flag()}
"""Parameters every page takes, read by app.py: the language (checked against the catalogues there), the level and
projector mode (``ui.shell.modes``)."""

_PAGE_LINK: ContextVar[tuple[str, Mapping[str, LinkSpec]] | None] = ContextVar("page_link", default=None)


class UndeclaredLink(LookupError):
    """A widget reads a link parameter its page does not declare, or accepts more than the declaration allows."""


def declare_link(page: str, link: Mapping[str, LinkSpec]) -> None:
    """From here on in this script run, the widgets of ``page`` are checked against ``link``."""
    clash = link.keys() & APP_LINK.keys()
    if clash:
        raise UndeclaredLink(f"{page} declares {sorted(clash)}, which every page uses for something else")
    _PAGE_LINK.set((page, link))


def check_declared(name: str, accepts: LinkSpec | None) -> None:
    """Raise ``UndeclaredLink`` unless the page being drawn declares ``name`` and admits ``accepts`` under it."""
    if name in APP_LINK:  # the sidebar's switches, drawn by app.py on every page
        if accepts is not None and not APP_LINK[name].admits(accepts):
            raise UndeclaredLink(f"?{name}= is declared for every page as {APP_LINK[name]}, "
                                 f"but a widget accepts {accepts}")
        return
    declared = _PAGE_LINK.get()
    if declared is None:  # a widget outside any lesson page (a test's own little script)
        return
    page, link = declared
    if name not in link:
        raise UndeclaredLink(f"?{name}= is not declared in the LINK of {page}")
    if accepts is not None and not link[name].admits(accepts):
        raise UndeclaredLink(f"?{name}= of {page} is declared as {link[name]}, but a widget accepts {accepts}")


@dataclass(frozen=True)
class UrlParam(Generic[T]):
    """How one widget value travels through the URL.

    ``key`` is the widget's session-state key (page-prefixed), ``name`` the query parameter,
    ``decode`` turns URL text into a value (raising ``ValueError`` if it cannot), ``encode`` the reverse.
    With ``always=True`` the parameter stays in the URL even at its default value. ``accepts`` says what the
    widget takes from a link, checked against the page's declaration (``check_declared``).
    """

    key: str
    name: str
    default: T
    decode: Callable[[str], T]
    encode: Callable[[T], str] = str
    always: bool = False
    accepts: LinkSpec | None = None

    def parse(self, raw: str | None) -> tuple[T, bool]:
        """The value for URL text ``raw`` (None: absent), and whether ``raw`` had to be rejected."""
        if raw is None:
            return self.default, False
        if isinstance(self.accepts, Text) and len(raw) > self.accepts.limit:
            return self.default, True
        try:
            return self.decode(raw), False
        except (ValueError, TypeError, OverflowError):
            return self.default, True


def seed_from_url(param: UrlParam[Any]) -> None:
    """Before the widget is drawn for the first time in this session, take its value from the URL."""
    check_declared(param.name, param.accepts)
    if param.key in st.session_state:
        return
    raw = st.query_params.get(param.name)
    value, rejected = param.parse(raw)
    if rejected:
        del st.query_params[param.name]
        st.toast(t("url.bad_value", name=param.name, value=shown(raw), default=param.encode(value)),
                 icon="⚠️")
    st.session_state[param.key] = value


def write_to_url(param: UrlParam[T], value: T) -> None:
    """Put ``value`` into the URL (or drop it there when it is the default); touch it only on change."""
    text = None if value is None or (value == param.default and not param.always) else param.encode(value)
    if st.query_params.get(param.name) != text:
        if text is None:
            del st.query_params[param.name]
        else:
            st.query_params[param.name] = text


_DRAWN_IN = "_widget_language"  # session state: the language each keyed choice widget was last drawn in


def relabel_after_language_switch(*keys: str) -> None:
    """Call before drawing keyed choice widgets whose options are translated.

    Streamlit sends a keyed selectbox's value to the browser as its label, and only when the value changes; after a
    language switch the value is the same, so the box would go on showing the old language's label (while its list
    is in the new one). Assigning the value to itself marks it changed, and the label is sent again, translated.
    """
    drawn_in = st.session_state.setdefault(_DRAWN_IN, {})
    language = current_language()
    for key in keys:
        if drawn_in.get(key, language) != language and key in st.session_state:
            st.session_state[key] = st.session_state[key]
        drawn_in[key] = language


def url_widget(widget: Callable[..., T], param: UrlParam[T], *args: Any, **kwargs: Any) -> T:
    """Draw ``widget(*args, key=param.key, **kwargs)`` with its value read from and written to the URL.

    The URL is brought in line after every draw, so a value set by a button's callback (through
    ``st.session_state[key]``) reaches the link as well as one set by the widget itself.
    """
    seed_from_url(param)
    relabel_after_language_switch(param.key)
    value = widget(*args, key=param.key, **kwargs)
    write_to_url(param, value)
    return value


def shown(raw: str | None, limit: int = 40) -> str:
    """Link text as a notice quotes it: at most ``limit`` characters, invisible ones as ``U+200B``, in a code span, so
    that markdown in it (a picture, a link, a colour) shows as typed instead of being rendered (a notice is markdown).
    """
    raw = raw or ""
    text = raw if len(raw) <= limit else raw[: limit - 1] + "…"
    text = "".join(c if c.isprintable() else f"U+{ord(c):04X}" for c in text)
    if not text.strip():
        return text
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)  # longer than any run of ` inside
    return f"{fence} {text} {fence}"


# ---- decoders -------------------------------------------------------------------------------------


def number_decoder(kind: type, min_value: float, max_value: float) -> Callable[[str], float]:
    """Parse an int or float and require ``min_value <= value <= max_value``."""

    def decode(raw: str) -> float:
        text = raw.strip()
        if len(text) > 32:
            raise ValueError("too long")
        value = int(text) if kind is int else float(text)
        if not math.isfinite(value) or not min_value <= value <= max_value:
            raise ValueError(f"{value} is outside [{min_value}, {max_value}]")
        return value

    return decode


def choice_decoder(options: Sequence[T]) -> Callable[[str], T]:
    """Map the URL text of an option (its ``str``) back to the option."""
    by_text = {str(option): option for option in options}

    def decode(raw: str) -> T:
        if raw not in by_text:
            raise ValueError(f"unknown option {raw!r}")
        return by_text[raw]

    return decode


def text_decoder(limit: int) -> Callable[[str], str]:
    """Free text typed into a link (a shape, a formula): kept as typed, so the page can explain what is wrong with
    it, but refused above ``limit`` characters."""

    def decode(raw: str) -> str:
        if len(raw) > limit:
            raise ValueError("too long")
        return raw

    return decode


def bool_decoder(raw: str) -> bool:
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not a yes/no value: {raw!r}")


def encode_bool(value: bool) -> str:
    return "1" if value else "0"


def encode_number(value: float) -> str:
    """Shortest text that reads back as the same number (``0.1``, not ``0.1000000001``)."""
    return repr(value) if isinstance(value, float) and not value.is_integer() else str(value)


# ---- widgets --------------------------------------------------------------------------------------


def number_param(key: str, name: str, min_value: T, max_value: T, default: T) -> UrlParam[T]:
    """How a number in ``[min_value, max_value]`` travels in ``?name=``: a whole number when the default and the
    minimum are, else a float."""
    kind = int if isinstance(default, int) and isinstance(min_value, int) else float
    return UrlParam(key, name, default, number_decoder(kind, min_value, max_value), encode_number,
                    accepts=Number(min_value, max_value, kind is int))


def url_slider(label: str, *, key: str, min_value: T, max_value: T, default: T, step: T | None = None,
               name: str | None = None, **kwargs: Any) -> T:
    """``st.slider`` whose value lives in ``?name=`` (``name`` defaults to ``key``).

    A range of one value (one output cell, one layer) draws no slider and drops ``?name=``: there is nothing to
    choose, and ``st.slider`` refuses ``min_value == max_value``.
    """
    param = number_param(key, name or key, min_value, max_value, default)
    if min_value == max_value:
        check_declared(param.name, param.accepts)
        if param.name in st.query_params:
            del st.query_params[param.name]
        return min_value
    current = st.session_state.get(key)
    if current is not None and not min_value <= current <= max_value:
        # the range depends on other controls (an output cell of a smaller output): keep the value inside it
        st.session_state[key] = min(max(current, min_value), max_value)
    return url_widget(st.slider, param, label, min_value=min_value, max_value=max_value, step=step, **kwargs)


def url_number(*, key: str, name: str, min_value: T, max_value: T, default: T) -> T:
    """A number a link gives to something other than a Streamlit widget (where a figure's own slider is the
    control, the frame it starts at): read from ``?name=`` once a session, checked like ``url_slider``'s, a bad
    value refused with the same notice. The link keeps what it said; the figure's slider moves in the browser
    alone."""
    seed_from_url(number_param(key, name, min_value, max_value, default))
    return st.session_state[key]


def url_choice(widget: Callable[..., T], label: str, options: Sequence[T], *, key: str, default: T,
               name: str | None = None, always: bool = False, **kwargs: Any) -> T:
    """A one-of-many widget (``st.selectbox``, ``st.radio``, ``st.segmented_control``, ``st.pills``,
    ``st.select_slider``) whose value lives in ``?name=``."""
    if default not in options:
        raise ValueError(f"default {default!r} is not one of the options")
    param = UrlParam(key, name or key, default, choice_decoder(options), str, always, accepts=Choice(options))
    if widget in (st.segmented_control, st.pills):
        kwargs.setdefault("required", True)  # a lesson control always has a value
    return url_widget(widget, param, label, options, **kwargs)


def url_toggle(label: str, *, key: str, default: bool = False, name: str | None = None,
               widget: Callable[..., bool] = st.toggle, **kwargs: Any) -> bool:
    """``st.toggle`` (or ``st.checkbox``) whose value lives in ``?name=1|0``."""
    param = UrlParam(key, name or key, default, bool_decoder, encode_bool, accepts=Flag())
    return url_widget(widget, param, label, **kwargs)


def multi_decoder(options: Sequence[T]) -> Callable[[str], list[T]]:
    """Comma-separated option texts back to options (in the order of ``options``, no repeats)."""
    one = choice_decoder(options)

    def decode(raw: str) -> list[T]:
        if len(raw) > 400:
            raise ValueError("too long")
        picked = {one(part.strip()) for part in raw.split(",") if part.strip()}
        return [option for option in options if option in picked]

    return decode


def url_multi(label: str, options: Sequence[T], *, key: str, default: Sequence[T], name: str | None = None,
              widget: Callable[..., list[T]] = st.pills, **kwargs: Any) -> list[T]:
    """``st.pills`` (or ``st.multiselect``) with several choices, whose value lives in ``?name=a,b,c``."""
    param = UrlParam(key, name or key, list(default), multi_decoder(options),
                     lambda values: ",".join(str(v) for v in values), accepts=Many(options))
    if widget is st.pills:
        kwargs["selection_mode"] = "multi"
    return url_widget(widget, param, label, options, **kwargs)


# ---- compound controls: one link parameter per row ------------------------------------------------------------


def url_value(param: UrlParam[T]) -> T:
    """A value that travels as one link parameter and is shown by something other than a Streamlit widget (a row of
    ``ui.widgets.row_editor``): taken from the link once a session (checked, a bad one refused with the usual
    notice), kept in the session state under ``param.key`` (where an edit changes it), written back to the link."""
    seed_from_url(param)
    value = st.session_state[param.key]
    write_to_url(param, value)
    return value


def url_rows(name: str, count: int, most: int, row: Callable[[int], T]) -> list[T]:
    """Rows ``1 … count`` (``?<name>1=…``), drawn by ``row(i)``; rows ``count + 1 … most`` leave the link."""
    rows = [row(i) for i in range(1, count + 1)]
    for i in range(count + 1, most + 1):
        if f"{name}{i}" in st.query_params:
            del st.query_params[f"{name}{i}"]
    return rows
