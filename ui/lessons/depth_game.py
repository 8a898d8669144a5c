"""The depth lesson's first part: 管中窥豹 acted out on a cat photo (the primer's story, 0x03 2)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.images import BUILTIN_IMAGES
from core.tube_game import CAT_PARTS, TUBES, part_box, through_tubes, tube_positions, tube_side, tubes_in
from ui.plots.grids import photo_figure
from ui.plots.show import plot
from ui.shell.i18n import t, translator
from ui.shell.lesson_frame import part_intro
from ui.shell.url_state import Choice, Number, url_choice, url_slider

ANIMALS = ("unsure", "leopard", "cat", "tiger", "dog")
GAME_LINK = {"tubes": Number(1, TUBES, whole=True), "guess": Choice(ANIMALS), "see": Number(1, 3, whole=True)}
"""What the tube game reads from a link: how many tubes are open, the student's guess, the classmate's stage."""
UNSEEN = 0.12  # the grey of what no tube shows
STAGES = {1: "depth.game.stage1", 2: "depth.game.stage2", 3: "depth.game.stage3"}
"""The classmate's stages: the tubes, the parts, the whole (catalogue keys of their titles)."""


def _box(bounds: tuple[int, int, int, int], colour: str, width: float, label: str = "") -> dict:
    top, left, bottom, right = bounds
    return dict(type="rect", x0=left - 0.5, x1=right - 0.5, y0=top - 0.5, y1=bottom - 0.5, label=dict(
        text=label, textposition="top left", font=dict(color=colour, size=14)), line=dict(color=colour, width=width))


@part_intro("depth.game.intro")
def part_game() -> None:
    photo = BUILTIN_IMAGES["cat"].load()
    shape = photo.shape[:2]
    positions, side = tube_positions(shape), tube_side(shape)
    controls, view = st.columns([1, 2], gap="medium")
    with controls:
        seen = url_slider(t("depth.game.tubes"), key="depth_tubes", name="tubes", min_value=1, max_value=TUBES,
                          default=3)
        guess = url_choice(st.radio, t("depth.game.guess"), ANIMALS, key="depth_guess", name="guess",
                           default="unsure", format_func=translator("depth.game.animals."))
    views = np.nan_to_num(through_tubes(photo, positions, seen), nan=UNSEEN)
    figure = photo_figure(views, t("depth.game.views", n=seen, total=TUBES), height=380)
    figure.layout.shapes = [_box((top, left, top + side, left + side), "#f59e0b", 1.5, str(n))
                            for n, (top, left) in enumerate(positions[:seen], 1)]
    plot(view, figure, key="depth_game_views")
    if guess != "unsure":
        view.markdown(t("depth.game.guessed", animal=t("depth.game.animals." + guess), n=seen, total=TUBES))

    st.subheader(t("depth.game.classmate"))
    stage = url_slider(t("depth.game.stage"), key="depth_see", name="see", min_value=1, max_value=3, default=1,
                       help=t("depth.game.stage_help"))
    figure = photo_figure(photo, t(STAGES[stage]), height=420)
    if stage == 1:
        shapes = [_box((top, left, top + side, left + side), "#f59e0b", 1.5, str(n))
                  for n, (top, left) in enumerate(positions, 1)]
        reading = t("depth.game.reading1", total=TUBES, side=side)
    elif stage == 2:
        shapes = [_box(part_box(part, shape), "#22d3ee", 3, t("depth.game.parts." + part.name)) for part in CAT_PARTS]
        combined = [f"{t('depth.game.parts.' + part.name)} ← {', '.join(map(str, found))}" for part in CAT_PARTS
                    if (found := tubes_in(part, positions, shape))]
        reading = t("depth.game.reading2", combined="; ".join(combined) or "—")
    else:
        shapes = [_box((0, 0, *shape), "#a21caf", 4, t("depth.game.animals.cat"))]
        reading = t("depth.game.reading3")
        if guess != "unsure":
            reading += " " + t("depth.game.right" if guess == "cat" else "depth.game.wrong",
                               animal=t("depth.game.animals." + guess), n=seen)
    figure.layout.shapes = shapes
    plot(st, figure, key="depth_game_classmate")
    st.markdown(reading)
