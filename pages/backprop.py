"""Gradients and backpropagation: one neuron's computation graph, forward then backward, one optimizer step, and
the same gradients from PyTorch and from "trying both directions"."""

from ui.bp_parts import part_graph, part_quiz, part_step, part_two_layer
from ui.entry import require_entry_point
from ui.lesson import lesson_page

require_entry_point()

PARTS = {
    "graph": part_graph,
    "step": part_step,
    "two_layer": part_two_layer,
    "quiz": part_quiz,
}
lesson_page("bp.title", "bp.intro", "bp.part.", "bp_part", PARTS)
