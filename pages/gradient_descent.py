"""Gradient descent: follow the slope downhill; step size, local minima, momentum and the other optimizers."""

from ui.entry import require_entry_point
from ui.gd_parts import part_basins, part_one_d, part_phase, part_quiz, part_two_d
from ui.lesson import lesson_page

require_entry_point()

PARTS = {
    "one_d": part_one_d,
    "two_d": part_two_d,
    "phase": part_phase,
    "basins": part_basins,
    "quiz": part_quiz,
}
lesson_page("gd.title", "gd.intro", "gd.part.", "gd_part", PARTS)
