"""Tensors, axes and broadcasting: shapes, reductions along an axis, and how NumPy and PyTorch stretch operands."""

from ui.entry import require_entry_point
from ui.lesson import lesson_page
from ui.tensor_parts import part_basics, part_broadcast, part_memory, part_quiz

require_entry_point()

PARTS = {
    "basics": part_basics,
    "broadcast": part_broadcast,
    "memory": part_memory,
    "quiz": part_quiz,
}
lesson_page("ten.title", "ten.intro", "ten.part.", "ten_part", PARTS)
