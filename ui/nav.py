"""The lesson registry: every page of the app, in learning-path order, grouped in sections.

``app.py`` builds ``st.navigation`` from it and the home page draws its lesson cards from it, so a page
exists in exactly one list. Only pages that exist are listed: no placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PageSpec:
    """One page: its script under ``pages/``, translation keys, icon and fixed URL path."""

    script: str
    title_key: str
    summary_key: str
    icon: str
    url_path: str
    default: bool = False

    @property
    def path(self) -> Path:
        return ROOT / self.script


HOME = PageSpec("pages/home.py", "nav.home", "home.summary", "🏠", "home", default=True)
CONVOLUTION = PageSpec("pages/convolution.py", "nav.convolution", "conv.summary", "🔍", "convolution")
POOLING = PageSpec("pages/pooling.py", "nav.pooling", "pool.summary", "🧊", "pooling")
ACTIVATIONS = PageSpec("pages/activations.py", "nav.activations", "act.summary", "⚡", "activations")
TENSORS = PageSpec("pages/tensors.py", "nav.tensors", "ten.summary", "🧮", "tensors")
CNN_TRAINER = PageSpec("pages/cnn_trainer.py", "nav.cnn_trainer", "cnn.summary", "🧠", "cnn_trainer")
DEPTH = PageSpec("pages/depth.py", "nav.depth", "depth.summary", "🐆", "depth")
FC_CONV = PageSpec("pages/fc_conv.py", "nav.fc_conv", "fc.summary", "🔗", "fc_conv")
BACKPROP = PageSpec("pages/backprop.py", "nav.backprop", "bp.summary", "🔁", "backprop")
GRADIENT_DESCENT = PageSpec("pages/gradient_descent.py", "nav.gradient_descent", "gd.summary", "⛰️", "gradient_descent")

SECTIONS: dict[str, tuple[PageSpec, ...]] = {
    "nav.section.start": (HOME,),
    "nav.section.cnn": (CONVOLUTION, POOLING, DEPTH, FC_CONV),
    "nav.section.neurons": (ACTIVATIONS,),
    "nav.section.maths": (TENSORS, GRADIENT_DESCENT, BACKPROP, CNN_TRAINER),
}
"""Section title key -> its pages, in the order of the learning path."""


def all_pages() -> list[PageSpec]:
    return [spec for specs in SECTIONS.values() for spec in specs]


def lessons() -> list[tuple[str, PageSpec]]:
    """Every page but the home page, with its section key, for the home page's cards."""
    return [(section, spec) for section, specs in SECTIONS.items() for spec in specs if spec is not HOME]
