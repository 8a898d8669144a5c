"""core.tube_game: the tubes' views tile the photo without overlapping, show exactly their pixels, and each part
collects the tubes whose centres fall inside it."""

from __future__ import annotations

import numpy as np
import pytest

from core.images import BUILTIN_IMAGES
from core.tube_game import CAT_PARTS, TUBES, Part, part_box, through_tubes, tube_positions, tube_side, tubes_in


def test_the_cat_is_scikit_images_chelsea():
    from skimage.data import chelsea

    np.testing.assert_array_equal(BUILTIN_IMAGES["cat"].load(), chelsea() / 255.0)


@pytest.mark.parametrize("shape", [(300, 451), (64, 64), (100, 41)])
def test_tubes_are_distinct_grid_cells_inside_the_photo(shape):
    positions = tube_positions(shape, n=TUBES if min(shape) >= 64 else 12, seed=3)
    side = tube_side(shape)
    assert side == max(4, min(shape) // 10)
    assert len(set(positions)) == len(positions)
    for top, left in positions:
        assert top % side == 0 and left % side == 0
        assert top + side <= shape[0] and left + side <= shape[1]
    assert tube_positions(shape, len(positions), seed=3) == positions  # seeded
    with pytest.raises(ValueError):
        tube_positions((8, 8), n=10)


def test_through_tubes_shows_exactly_the_first_views():
    picture = np.random.default_rng(0).random((120, 90, 3))
    positions = tube_positions(picture.shape[:2], 7, seed=1)
    side = tube_side(picture.shape[:2])
    seen = through_tubes(picture, positions, 4)
    mask = np.zeros(picture.shape[:2], dtype=bool)
    for top, left in positions[:4]:
        mask[top:top + side, left:left + side] = True
    np.testing.assert_array_equal(seen[mask], picture[mask])
    assert np.isnan(seen[~mask]).all()
    assert np.isnan(through_tubes(picture, positions, 0)).all()


def test_a_part_collects_the_tubes_whose_centres_are_inside_it():
    shape = (100, 100)  # tubes of side 10
    positions = [(0, 0), (10, 10), (40, 40), (90, 90)]
    part = Part("eye", (0.0, 0.0, 0.2, 0.2))  # rows and columns 0..19: centres (5, 5) and (15, 15)
    assert part_box(part, shape) == (0, 0, 20, 20)
    assert tubes_in(part, positions, shape) == [1, 2]
    assert tubes_in(Part("nose", (0.46, 0.46, 0.6, 0.6)), positions, shape) == []  # centre (45, 45) is outside
    assert tubes_in(Part("nose", (0.4, 0.4, 0.6, 0.6)), positions, shape) == [3]
    for part in CAT_PARTS:
        top, left, bottom, right = part.box
        assert 0 <= top < bottom <= 1 and 0 <= left < right <= 1
