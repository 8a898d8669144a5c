"""Fully-connected = 1×1 convolution: a dense layer over channels, at every position, is a 1×1 convolution; the
classifier after global pooling is one; a dense layer on a flattened map is a convolution with a full-size kernel."""

from ui.entry import require_entry_point
from ui.fc_parts import part_flatten, part_head, part_position, part_quiz
from ui.lesson import lesson_page

require_entry_point()

PARTS = {
    "position": part_position,
    "head": part_head,
    "flatten": part_flatten,
    "quiz": part_quiz,
}
lesson_page("fc.title", "fc.intro", "fc.part.", "fc_part", PARTS)
