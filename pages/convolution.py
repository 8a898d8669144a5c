"""Convolution: from the integral to the kernel sliding over an image, and why CNNs are built on it."""

from ui.conv_parts import part_channels, part_image, part_integral, part_quiz, part_steps, part_why
from ui.entry import require_entry_point
from ui.lesson import lesson_page

require_entry_point()

PARTS = {
    "integral": part_integral,
    "image": part_image,
    "steps": part_steps,
    "channels": part_channels,
    "why": part_why,
    "quiz": part_quiz,
}
lesson_page("conv.title", "conv.intro", "conv.part.", "conv_part", PARTS)
