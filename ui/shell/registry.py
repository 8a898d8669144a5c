"""The lesson registry: every page of the app, in learning-path order, grouped in sections.

A lesson has one name, used everywhere: its page ``pages/<name>.py``, its module ``ui/lessons/<name>.py`` (drawing
``part_<part>`` for each of its parts), its catalogue section ``[<name>]``, its widget keys ``<name>_…`` and its URL
path ``/<name>``. ``app.py`` builds ``st.navigation`` from this list, the home page draws its cards from it, the
every-page tests and the benchmarks read each lesson's parts and main control here. Only pages that exist are
listed: no placeholders. Importing this module imports no lesson (and so no torch).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass(frozen=True)
class MainControl:
    """The control that best shows what a lesson computes, for the benchmarks and the browser journeys.

    Open the lesson with ``query`` in its link, then set the widget of kind ``kind`` (an AppTest element type:
    ``slider``, ``selectbox``, …) and key ``key`` to each of ``values`` in turn; kind ``state``: a control that is
    not a Streamlit widget (a row of ``ui.widgets.row_editor``), set by storing each value under ``key`` in the
    session, as its edit does.
    """

    query: Mapping[str, str]
    kind: str
    key: str
    values: tuple[Any, ...]
    why: str = ""


@dataclass(frozen=True)
class Lesson:
    """One page of the app, described once: its name, icon, parts and main control."""

    name: str
    icon: str
    parts: tuple[str, ...] = ()
    main_control: MainControl | None = None
    default: bool = False
    extra_controls: Mapping[str, MainControl] = field(default_factory=dict)
    """Further parts worth their own benchmark row: row label -> control."""
    script: str = ""
    """Its page script, ``pages/<name>.py`` unless given (a test's stand-in page)."""
    primer: str = ""
    """The section of the primer (深度学习(一 概念), ``../shared/primer.md``) it teaches, as the primer numbers it:
    ``0x03 1)``."""
    builds_on: tuple[str, ...] = ()
    """The names of the lessons it builds on (earlier in the course)."""
    charts: bool = True
    """Whether it draws plotly charts: then plotly.js starts loading as the page opens."""

    def __post_init__(self) -> None:
        if not self.script:
            object.__setattr__(self, "script", f"pages/{self.name}.py")

    @property
    def path(self) -> Path:
        return ROOT / self.script

    @property
    def url_path(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        """Every widget and session-state key of the lesson starts with this."""
        return f"{self.name}_"

    @property
    def title_key(self) -> str:
        """Its name in the menu and on its cards (``[nav]``, beside the section titles)."""
        return f"nav.{self.name}"

    @property
    def heading_key(self) -> str:
        """Its page title (the h1)."""
        return f"{self.name}.title"

    @property
    def intro_key(self) -> str:
        return f"{self.name}.intro"

    @property
    def summary_key(self) -> str:
        return f"{self.name}.summary"

    @property
    def claim_key(self) -> str:
        """The primer's claim it teaches, in the app's words (``[<name>.primer]``, ``claim``)."""
        return f"{self.name}.primer.claim"

    def module(self) -> ModuleType:
        """``ui.lessons.<name>``: its parts (``part_<part>``, or ``page`` for a lesson without parts) and ``LINK``."""
        return importlib.import_module(f"ui.lessons.{self.name}")

    def link(self) -> dict:
        """Every parameter its link may say: the module's ``LINK``, and ``part`` (one of its parts) if it has parts."""
        from ui.shell.url_state import Choice

        return {**self.module().LINK, **({"part": Choice(self.parts)} if self.parts else {})}


HOME = Lesson("home", "🏠", default=True, primer="0x01, 0x02", main_control=MainControl(
    {}, "slider", "home_steps", (10, 40, 70, 100, 25, 55, 85, 5, 60, 95),
    "the number of training steps: the loop, its numbers and the loss history redrawn"))
CONVOLUTION = Lesson("convolution", "🔍", ("integral", "image", "steps", "channels", "why", "quiz"), MainControl(
    {"part": "image", "image": "photo"}, "selectbox", "convolution_kernel",
    ("box_blur", "sobel_y", "laplacian", "gaussian_blur_5", "sharpen", "sobel_x", "emboss"),
    "the kernel of the image part, on the 512-pixel photo"), primer="0x03 1)", builds_on=("home",))
POOLING = Lesson("pooling", "🧊", ("steps", "image", "shift", "global", "quiz"), MainControl(
    {"part": "image", "image": "photo"}, "slider", "pooling_isize", (3, 2, 4, 3, 2, 4, 3),
    "the window size of the image part (conv -> ReLU -> pool) on the 512-pixel photo"), primer="0x03 1)",
    builds_on=("convolution",))
DEPTH = Lesson("depth", "🐆", ("game", "tube", "stack", "features", "quiz"), MainControl(
    {"part": "tube"}, "slider", "depth_level", (3, 7, 1, 5, 2, 6),
    "the layer looked at: the picture, the unit's field and the first-layer fields inside it redrawn"), extra_controls={
    "depth: stack": MainControl({"part": "stack"}, "slider", "depth_side", (96, 32, 128, 48, 64),
                                "the input size: output sizes, fields by formula and measured by backprop")},
    primer="0x03 2)", builds_on=("convolution", "pooling"))
FC_CONV = Lesson("fc_conv", "🔗", ("position", "head", "flatten", "fusion", "quiz"), MainControl(
    {"part": "position"}, "slider", "fc_conv_c", (4, 2, 6, 1, 5, 3),
    "the number of channels: every channel map, the dense and the 1×1-conv outputs redrawn and compared"),
    primer="0x04 8)", builds_on=("convolution", "tensors"))
ACTIVATIONS = Lesson("activations", "⚡", ("gallery", "neuron", "collapse", "fit", "vanishing", "feature", "why_relu",
                                          "quiz"),
                     MainControl({"acts": "identity,sigmoid,tanh,relu,leaky_relu,elu,gelu,softplus,silu"}, "slider",
                                 "activations_range", (2.0, 10.0, 4.5, 20.0, 7.0, 1.0, 12.5),
                                 "the gallery's input range, every activation and its slope checked against torch"),
                     extra_controls={"activations: neuron": MainControl(
                         {"part": "neuron"}, "slider", "activations_w", (2.0, -1.5, 0.5, 4.0, -3.0),
                         "the weight of one neuron: its curve and its two-input plane (121×121) redrawn")},
                     primer="0x03 3)", builds_on=("home", "convolution"))
TENSORS = Lesson("tensors", "🧮", ("basics", "broadcast", "memory", "quiz"), MainControl(
    {"part": "broadcast"}, "selectbox", "tensors_example",
    ("image_scale", "batch_bias", "dense_bias", "three_way", "row_column", "mismatch"),
    "the example of the broadcasting part: steps table, operand pictures and the result redrawn"), extra_controls={
    "tensors: basics": MainControl({"part": "basics", "kind": "tensor4"}, "slider", "tensors_n2", (2, 5, 1, 4, 3),
                                   "the size of an axis of the tensor picture, and its reduction")},
    primer="0x04 1)-4)", builds_on=("activations",))
GRADIENT_DESCENT = Lesson("gradient_descent", "⛰️", ("one_d", "two_d", "minibatch", "phase", "basins", "quiz"),
                          main_control=MainControl(
    {"part": "two_d"}, "select_slider", "gradient_descent_lr_sgd", (0.001, 0.002, 0.0003, 0.0001, 0.005),
    "the step size of the two-dimensional part: three optimizers re-run, contours and animation frames redrawn"),
    extra_controls={"gradient_descent: 1-D": MainControl(
        {"part": "one_d"}, "slider", "gradient_descent_x0", (-3.0, 1.0, 2.5, -1.0, 4.0),
        "the start of the ball on the curve: two runs and their animation frames")},
    primer="0x04 6)-7)", builds_on=("backprop",))
BACKPROP = Lesson("backprop", "🔁", ("graph", "step", "two_layer", "quiz"), MainControl(
    {"part": "graph"}, "slider", "backprop_step", (5, 12, 17, 1, 9, 14),
    "the step through the graph: the graph rebuilt, its values and gradients redrawn, the step's formula"),
    extra_controls={"backprop: step": MainControl(
        {"part": "step"}, "slider", "backprop_w1", (1.0, -0.5, 2.5, 0.0, -2.0),
        "a weight of the optimizer-step part: the step, its table and the losses recomputed")},
    primer="0x04 4)-5)", builds_on=("home", "tensors"))
CNN_TRAINER = Lesson("cnn_trainer", "🧠", ("train", "position", "scale", "inside"), MainControl(
    {}, "slider", "cnn_trainer_blocks", (1, 3, 2, 4, 1, 3),
    "the number of convolution blocks: the model is rebuilt and summarised (no training)"), extra_controls={
    "cnn_trainer: block 2": MainControl(
        {"blocks": "3"}, "state", "cnn_trainer_b2",
        ("64-3-relu-max-bn", "8-3-relu-max-bn", "128-3-relu-max-bn", "16-3-relu-max-bn", "32-3-relu-max-bn"),
        "one block's channels in the block table: the network rebuilt, summarised and its script regenerated"),
    "cnn_trainer: position": MainControl(
        {"part": "position"}, "slider", "cnn_trainer_shift_max", (4, 10, 6, 12, 2),
        "the shift experiment's settings: the shifted example pictures redrawn (nothing trains until the button)")},
    primer="0x03 2)", builds_on=("depth", "activations", "gradient_descent", "fc_conv"))

SECTIONS: dict[str, tuple[Lesson, ...]] = {
    "nav.section.start": (HOME,),
    "nav.section.cnn": (CONVOLUTION, POOLING, DEPTH, ACTIVATIONS),
    "nav.section.maths": (TENSORS, BACKPROP, GRADIENT_DESCENT, FC_CONV),
    "nav.section.capstone": (CNN_TRAINER,),
}
"""Section title key -> its pages: the one course, in the primer's order (0x01-0x02 the workflow; 0x03 convolution,
pooling, depth, activations; 0x04 tensors, weights and gradients, step size and momentum, fully-connected = 1×1),
then the live CNN that uses them all. The sidebar, the home page's path and every lesson's previous/next links
follow it."""

GLOSSARY = Lesson("glossary", "📖", charts=False, main_control=MainControl(
    {}, "text_input", "glossary_search", ("stride", "步幅", "grad", "kernel", "", "动量"),
    "the search box: the table of terms filtered and redrawn"))

CLASSROOM = Lesson("classroom", "🏫", charts=False)
"""The class together: a room the teacher opens and the students join (``ui.lessons.classroom``)."""

REFERENCE: dict[str, tuple[Lesson, ...]] = {"nav.section.reference": (GLOSSARY, CLASSROOM)}
"""Pages beside the course, in the menu after it: not lessons of the path, no previous/next."""


def course() -> list[Lesson]:
    """The lessons of the course, in order."""
    return [spec for specs in SECTIONS.values() for spec in specs]


def menu() -> dict[str, tuple[Lesson, ...]]:
    """The sidebar's sections: the course's, then the reference pages."""
    return {**SECTIONS, **REFERENCE}


def all_pages() -> list[Lesson]:
    """Every page of the app: the course, then the reference pages."""
    return [spec for specs in menu().values() for spec in specs]


def lessons() -> list[tuple[str, Lesson]]:
    """Every lesson of the course but the home page, with its section key, for the home page's cards."""
    return [(section, spec) for section, specs in SECTIONS.items() for spec in specs if spec is not HOME]


def by_name(name: str) -> Lesson:
    return next(spec for spec in all_pages() if spec.name == name)


def neighbours(lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    """The lessons before and after ``lesson`` in the course (None at either end, and for a page beside it)."""
    names = [spec.name for spec in course()]
    if lesson.name not in names:
        return None, None
    i = names.index(lesson.name)
    path = course()
    return (path[i - 1] if i > 0 else None), (path[i + 1] if i + 1 < len(path) else None)
