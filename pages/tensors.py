"""Tensors, axes and broadcasting: shapes, reductions along an axis, and how NumPy and PyTorch stretch operands."""

from ui.shell.entry import require_entry_point
from ui.shell.lesson_frame import lesson_page
from ui.shell.registry import TENSORS

require_entry_point()
lesson_page(TENSORS)
