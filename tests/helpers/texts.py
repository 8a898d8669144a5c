"""Reading the values back out of a sentence the page wrote from a catalogue string.

``read_fields("convolution.channels.explain", "en", texts)`` finds the text written from that catalogue entry and
returns its ``{field}`` values as the page filled them in (``{"check": "1.8e-15", "params": "76"}``), so that a test
compares the numbers themselves with an independent computation.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable

from ui.shell.i18n import translate


def _pattern(key: str, lang: str) -> re.Pattern:
    template = translate(key, lang)
    parts, seen = [], set()
    for literal, field, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if field is not None:  # a field written twice must read the same both times
            parts.append(f"(?P={field})" if field in seen else f"(?P<{field}>.+?)")
            seen.add(field)
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def read_fields(key: str, lang: str, texts: str | Iterable[str]) -> dict[str, str]:
    """The fields of the one text among ``texts`` (one string: its lines and paragraphs) written from ``key``."""
    pattern = _pattern(key, lang)
    candidates = [texts] if isinstance(texts, str) else list(texts)
    pieces = [p for text in candidates for p in {text, *text.split("\n\n"), *text.split("\n")}]
    found = {tuple(sorted(m.groupdict().items())) for p in pieces if (m := pattern.match(p.strip()))}
    assert len(found) == 1, f"{len(found)} texts written from {key!r} ({lang}) among {candidates!r}"
    return dict(found.pop())
