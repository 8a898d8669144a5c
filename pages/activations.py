"""Activation functions: the nonlinearity without which any number of layers is one straight line."""

from ui.act_parts import part_collapse, part_feature, part_fit, part_gallery, part_neuron, part_quiz, part_vanishing
from ui.entry import require_entry_point
from ui.lesson import lesson_page

require_entry_point()

PARTS = {
    "gallery": part_gallery,
    "neuron": part_neuron,
    "collapse": part_collapse,
    "fit": part_fit,
    "vanishing": part_vanishing,
    "feature": part_feature,
    "quiz": part_quiz,
}
lesson_page("act.title", "act.intro", "act.part.", "act_part", PARTS)
