"""Convolution: from the integral to the kernel sliding over an image, and why CNNs are built on it."""

from ui.shell.entry import require_entry_point
from ui.shell.lesson_frame import lesson_page
from ui.shell.registry import CONVOLUTION

require_entry_point()
lesson_page(CONVOLUTION)
