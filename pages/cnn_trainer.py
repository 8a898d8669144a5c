"""The live CNN trainer: build a network, train it on real data in this session, look at what it learned; then a
CNN and a dense network side by side on shifted images."""

from ui.entry import require_entry_point
from ui.lesson import lesson_page
from ui.trainer_parts import part_trainer
from ui.trainer_position import part_position

require_entry_point()

PARTS = {
    "train": part_trainer,
    "position": part_position,
}
lesson_page("cnn.title", "cnn.intro", "cnn.part.", "cnn_part", PARTS)
