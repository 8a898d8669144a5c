"""The plotly charts of an AppTest run, parsed: their texts and their data, never their serialised JSON.

``st.plotly_chart`` sends the figure as JSON text (``proto.spec``). How that text spells a character depends on the
JSON writer plotly finds (``orjson`` writes "×", the standard library ``\\u00d7``), so a test that looks for a
substring of it passes or fails with an optional package. Here each spec is read with ``json.loads``; a test
compares what it finds (a title, an axis title, a trace's numbers) with what it expects.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from tests.conftest import plotly_array

_AXIS = re.compile(r"^[xy]axis\d*$")


def _text(value: Any) -> str | None:
    """A title as plotly writes it: ``{"text": ...}`` or (older figures) the bare string."""
    if isinstance(value, dict):
        value = value.get("text")
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Chart:
    """One ``st.plotly_chart`` of the page: its figure (``spec``, parsed) and the key it was drawn with."""

    spec: dict
    key: str | None

    @property
    def layout(self) -> dict:
        return self.spec.get("layout", {})

    @property
    def traces(self) -> list[dict]:
        return self.spec.get("data", [])

    @property
    def title(self) -> str | None:
        return _text(self.layout.get("title"))

    @property
    def axis_titles(self) -> dict[str, str]:
        """``{"xaxis": "epoch", "yaxis2": "loss", ...}``: every axis that has a title."""
        titles = {name: _text(axis.get("title")) for name, axis in self.layout.items()
                  if _AXIS.match(name) and isinstance(axis, dict)}
        return {name: text for name, text in titles.items() if text is not None}

    @property
    def annotations(self) -> list[str]:
        """The annotations' texts (subplot titles are annotations too), in order."""
        return [a["text"] for a in self.layout.get("annotations", []) if isinstance(a.get("text"), str)]

    @property
    def trace_names(self) -> list[str]:
        return [t["name"] for t in self.traces if isinstance(t.get("name"), str)]

    @cached_property
    def texts(self) -> list[str]:
        """Every text a student reads on the figure: title, axis titles, annotations, trace names."""
        return [t for t in (self.title, *self.axis_titles.values(), *self.annotations, *self.trace_names) if t]

    def picture(self, trace: int = 0) -> np.ndarray:
        """The picture an image trace sends as a data URI (``source``), decoded: (H, W, 3) uint8."""
        import base64
        import io

        from PIL import Image

        header, _, payload = self.traces[trace]["source"].partition(",")
        assert header.startswith("data:image/") and header.endswith(";base64"), header
        return np.asarray(Image.open(io.BytesIO(base64.b64decode(payload))).convert("RGB"))

    def data(self, field: str = "z", trace: int = 0) -> np.ndarray:
        """``field`` of trace ``trace`` as numbers (a typed array or a plain list, as plotly sent it)."""
        return np.asarray(plotly_array(self.traces[trace][field]), dtype=float)


def _key(element_id: str) -> str | None:
    """The user key in an element id ``$$ID-<hash>-<key>`` (``None`` when the chart was drawn without one)."""
    parts = element_id.split("-", 2)
    return parts[2] if len(parts) == 3 and parts[2] != "None" else None


def charts(at) -> list[Chart]:
    """Every plotly chart the page drew, in order: those the lessons keep on the page (``ui.plots.kept``) and
    those drawn by ``st.plotly_chart``."""
    return [Chart(json.loads(e.proto.spec), _key(e.proto.id)) if e.type == "plotly_chart"
            else Chart(json.loads(e.proto.bytes)["figure"], _key(e.proto.id))
            for e in elements(at, "plotly_chart", "bidi_component")
            if e.type == "plotly_chart" or e.proto.component_name.endswith("kept_chart")]


def elements(at, *kinds: str) -> list:
    """Every element of the page's main area of one of ``kinds`` (``"plotly_chart"``, ``"bidi_component"``, ...),
    in order, however deep in columns and containers."""
    found = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            if getattr(child, "type", None) in kinds:
                found.append(child)
            walk(child)

    walk(at.main)
    return found


def chart(at, title: str | None = None, *, key: str | None = None) -> Chart:
    """The one chart titled exactly ``title`` (and/or drawn with ``key``); fails, naming the titles there are, when
    there is none or more than one."""
    found = [c for c in charts(at) if (title is None or c.title == title) and (key is None or c.key == key)]
    assert len(found) == 1, f"{len(found)} charts match title={title!r} key={key!r}; the page has " \
                            f"{[(c.title, c.key) for c in charts(at)]}"
    return found[0]


def panel(at, title: str) -> dict:
    """The one trace named ``title`` on the page: a panel of a figure of several (``panels_figure``) or a one-trace
    figure titled ``title``; fails when there is none or more than one."""
    found = [trace for c in charts(at) for trace in c.traces if trace.get("name") == title]
    found += [c.traces[0] for c in charts(at) if c.title == title and len(c.traces) == 1]
    assert len(found) == 1, f"{len(found)} panels are named {title!r}"
    return found[0]


def titles(at) -> list[str | None]:
    """Each chart's title, in order."""
    return [c.title for c in charts(at)]
