"""Depth and receptive fields: many small views put together, layer after layer (管中窥豹)."""

from ui.depth_parts import part_features, part_quiz, part_stack, part_tube
from ui.entry import require_entry_point
from ui.lesson import lesson_page

require_entry_point()

PARTS = {
    "tube": part_tube,
    "stack": part_stack,
    "features": part_features,
    "quiz": part_quiz,
}
lesson_page("depth.title", "depth.intro", "depth.part.", "depth_part", PARTS)
