"""Pooling: the second way to shrink data, which cuts computation and tolerates small shifts."""

from ui.entry import require_entry_point
from ui.lesson import lesson_page
from ui.pool_parts import part_global, part_image, part_quiz, part_shift, part_steps

require_entry_point()

PARTS = {
    "steps": part_steps,
    "image": part_image,
    "shift": part_shift,
    "global": part_global,
    "quiz": part_quiz,
}
lesson_page("pool.title", "pool.intro", "pool.part.", "pool_part", PARTS)
