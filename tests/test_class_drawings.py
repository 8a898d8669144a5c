"""A data set the class draws: the labels a teacher types (``core.class_drawings.read_labels``), a drawing as it is
kept, the class's drawings as a data set; and ``store.drawings`` on real databases (SQLite and PostgreSQL): the call,
the drawings, the gallery without owners, removal, the shared network and its score; strangers, outsiders, floods and
malformed drawings refused; closing a room forgets its drawings."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.class_drawings import (
    DIGIT_LABELS,
    LABEL_MAX,
    LABELS_MAX,
    STORED_BYTES,
    STORED_SIDE,
    ClassDrawing,
    class_dataset,
    class_probabilities,
    counts_per_label,
    picture_from_stored,
    read_labels,
    ready_to_train,
    stored_picture,
)
from core.classroom import RoomLimits, new_token
from core.data import load_dataset
from core.drawing import prepare_image
from core.models import CNNConfig, build_model
from store import drawings as D
from store import rooms as R
from store.db import SCHEMA_VERSION, class_models, connect, drawing_calls, drawings, schema_version
from tests.helpers.classroom import digit_picture, room_of

T0 = 3_000_000.0


# ---- the labels a teacher types ------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "labels"), [
    ("cat, dog", ("cat", "dog")),
    ("cat\ndog\ncat\n\n", ("cat", "dog")),  # a repeat and empty lines dropped
    ("猫，狗、鸟", ("猫", "狗", "鸟")),  # Chinese commas
    ("<b>sun</b>; moon", ("b sun b", "moon")),  # markup is not kept
    ("x' OR '1'='1, y", ("x' OR '1' '1", "y")),  # kept as text: it only ever travels as a bound value
    ("only one", None),
    (",".join(str(i) for i in range(LABELS_MAX + 1)), None),
    (None, None),
])
def test_the_labels_a_teacher_types_are_read_and_cleaned(typed, labels):
    assert read_labels(typed) == labels


@given(st.text(max_size=400))
def test_read_labels_gives_two_to_ten_short_distinct_labels_or_none(text):
    labels = read_labels(text)
    if labels is None:
        return
    assert 2 <= len(labels) <= LABELS_MAX and len(set(labels)) == len(labels)
    for label in labels:
        assert 0 < len(label) <= LABEL_MAX and label == label.strip() and "," not in label and "\n" not in label


# ---- a drawing as it is kept ---------------------------------------------------------------------------------


def test_a_kept_drawing_is_the_pad_averaged_over_five_by_five_blocks_in_bytes():
    gray = digit_picture(8)
    kept = stored_picture(gray)
    assert len(kept) == STORED_BYTES == STORED_SIDE**2
    reference = gray.reshape(STORED_SIDE, 5, STORED_SIDE, 5).mean(axis=(1, 3))
    np.testing.assert_allclose(picture_from_stored(kept), reference, rtol=0, atol=0.5 / 255 + 1e-12)


@given(st.binary(max_size=2 * STORED_BYTES))
def test_only_a_kept_drawings_size_is_read_back(data):
    if len(data) == STORED_BYTES:
        assert picture_from_stored(data).shape == (STORED_SIDE, STORED_SIDE)
    else:
        with pytest.raises(ValueError):
            picture_from_stored(data)


# ---- the class's drawings as a data set ----------------------------------------------------------------------


def class_of(per_digit: int) -> list[ClassDrawing]:
    return [ClassDrawing(d, stored_picture(digit_picture(d, k))) for k in range(per_digit) for d in range(10)]


def test_the_class_drawings_become_a_data_set_with_a_test_share_per_label():
    drawn = [*class_of(5), ClassDrawing(3, bytes(STORED_BYTES))]  # a blank one is left out
    data = class_dataset(drawn, DIGIT_LABELS, "mnist", seed=1)
    assert data.classes == list(DIGIT_LABELS)
    assert np.bincount(data.y_test.numpy(), minlength=10).tolist() == [1] * 10  # max(1, floor(0.2 · 5))
    assert np.bincount(data.y_train.numpy(), minlength=10).tolist() == [4] * 10
    x = torch.cat([data.x_train, data.x_test])
    y = torch.cat([data.y_train, data.y_test])
    for drawing in drawn[:10]:  # each drawing is prepared as the data set's own pictures (prepare_image)
        expected = prepare_image(picture_from_stored(drawing.pixels), "mnist").x[0]
        assert any(torch.equal(expected, x[i]) and y[i] == drawing.label for i in range(len(y)))
    again = class_dataset(drawn, DIGIT_LABELS, "mnist", seed=1)
    assert torch.equal(again.y_test, data.y_test) and torch.equal(again.x_test, data.x_test)


def test_a_label_drawn_once_is_only_trained_on_and_the_class_is_not_ready():
    drawn = [ClassDrawing(0, stored_picture(digit_picture(0))), ClassDrawing(1, stored_picture(digit_picture(1))),
             ClassDrawing(1, stored_picture(digit_picture(1, 1)))]
    data = class_dataset(drawn, ("0", "1"))
    assert data.y_train.tolist().count(0) == 1 and data.y_test.tolist() == [1]
    assert counts_per_label(drawn, 2) == [1, 2] and not ready_to_train([1, 2]) and ready_to_train([2, 2])


def test_the_class_drawings_join_the_built_in_digits_after_them():
    base = load_dataset("digits")
    data = class_dataset(class_of(2), DIGIT_LABELS, "digits", base=base)
    assert torch.equal(data.x_train[:len(base.y_train)], base.x_train)
    assert len(data.y_train) == len(base.y_train) + 10 and len(data.y_test) == len(base.y_test) + 10
    with pytest.raises(ValueError):
        class_dataset(class_of(2), ("a", "b"), base=base)


def test_the_class_network_reads_a_kept_drawing_as_torch_does():
    model = build_model(CNNConfig(classes=3), seed=0)
    pixels = stored_picture(digit_picture(4))
    p = class_probabilities(model, pixels, "mnist")
    x = prepare_image(picture_from_stored(pixels), "mnist").x.double()
    reference = torch.softmax(model.double().eval()(x), dim=1)[0].detach().numpy()
    np.testing.assert_allclose(p, reference, rtol=0, atol=1e-6)  # float32 network against its float64 copy
    assert p.shape == (3,) and abs(p.sum() - 1) < 1e-12


# ---- the database ------------------------------------------------------------------------------------------


@pytest.fixture
def room(engine):
    return room_of(engine, 3, T0)


def seven() -> bytes:
    return stored_picture(digit_picture(7))


def test_the_class_draws_and_the_teacher_sees_counts_and_a_gallery_without_owners(engine, room):
    code, teacher, (ann, bob, cat) = room
    assert D.add_drawing(engine, code, ann, 7, seven(), T0) == "no_call"
    assert D.call_for_drawings(engine, code, teacher, DIGIT_LABELS, T0)
    assert D.current_call(engine, code) == D.Call(DIGIT_LABELS, T0)
    ids = [D.add_drawing(engine, code, s, label, seven(), T0 + i)
           for i, (s, label) in enumerate([(ann, 7), (bob, 7), (cat, 1), (ann, 0)])]
    assert all(isinstance(i, int) for i in ids)
    assert D.counts(engine, code, 10) == [1, 1, 0, 0, 0, 0, 0, 2, 0, 0]
    assert D.my_count(engine, code, ann) == 2 and D.my_count(engine, code, cat) == 1
    shown = D.gallery(engine, code, teacher, T0)
    assert [k.id for k in shown] == ids[::-1] and [k.label for k in shown] == [0, 1, 7, 7]
    assert all(k.pixels == seven() for k in shown) and set(vars(shown[0])) == {"id", "label", "pixels"}
    assert D.gallery(engine, code, new_token(), T0) is None  # only the teacher sees the drawings
    assert [d.label for d in D.training_drawings(engine, code, teacher, T0)] == [7, 7, 1, 0]
    assert D.training_drawings(engine, code, ann, T0) is None
    before = D.version(engine, code)
    assert not D.remove_drawing(engine, code, ann, ids[0], T0)  # a student cannot remove one
    assert D.remove_drawing(engine, code, teacher, ids[0], T0)
    assert not D.remove_drawing(engine, code, teacher, ids[0], T0)  # gone already
    assert D.counts(engine, code, 10)[7] == 1 and D.version(engine, code) != before


def test_only_the_rooms_students_send_drawings_and_only_drawings_of_the_call(engine, room):
    code, teacher, (ann, _, _) = room
    assert not D.call_for_drawings(engine, code, ann, DIGIT_LABELS, T0)  # a student cannot call
    assert not D.call_for_drawings(engine, code, teacher, ("one",), T0)  # too few labels
    assert not D.call_for_drawings(engine, code, teacher, ("a", "a"), T0)
    assert D.call_for_drawings(engine, code, teacher, ("cat", "dog"), T0)
    assert D.add_drawing(engine, code, new_token(), 0, seven(), T0) == "not_in_the_room"
    for label in (2, -1, True, "0", 0.0, None):
        assert D.add_drawing(engine, code, ann, label, seven(), T0) == "not_a_label"
    for pixels in (b"", seven() + b"\0", bytes(10**6), "x" * STORED_BYTES, bytearray(STORED_BYTES)):
        assert D.add_drawing(engine, code, ann, 0, pixels, T0) == "not_a_picture"
    assert D.add_drawing(engine, code, ann, 0, seven(), T0, purpose="test", predicted=0) == "no_model"
    assert D.add_drawing(engine, code, ann, 0, seven(), T0 + 13 * 3600) == "not_in_the_room"  # the room has ended
    assert D.counts(engine, code, 2) == [0, 0]


def test_a_room_and_a_student_send_a_bounded_number_of_drawings(engine):
    limits = RoomLimits(drawings=5, drawings_per_student=3)
    teacher, ann, bob = new_token(), new_token(), new_token()
    code = R.open_room(engine, teacher, T0)
    R.join(engine, code, ann, None, T0)
    R.join(engine, code, bob, None, T0)
    D.call_for_drawings(engine, code, teacher, DIGIT_LABELS, T0)
    sent = [D.add_drawing(engine, code, ann, 1, seven(), T0, limits=limits) for _ in range(4)]
    assert [isinstance(s, int) for s in sent] == [True, True, True, False] and sent[3] == "too_many"
    sent = [D.add_drawing(engine, code, bob, 1, seven(), T0, limits=limits) for _ in range(3)]
    assert [isinstance(s, int) for s in sent] == [True, True, False] and sent[2] == "room_full"
    assert sum(D.counts(engine, code, 10)) == 5


def test_other_labels_start_the_data_set_afresh_and_the_same_keep_it(engine, room):
    code, teacher, (ann, _, _) = room
    D.call_for_drawings(engine, code, teacher, DIGIT_LABELS, T0)
    D.add_drawing(engine, code, ann, 7, seven(), T0)
    D.call_for_drawings(engine, code, teacher, DIGIT_LABELS, T0 + 1)
    assert D.counts(engine, code, 10)[7] == 1
    D.call_for_drawings(engine, code, teacher, ("cat", "dog"), T0 + 2)
    assert D.counts(engine, code, 2) == [0, 0] and D.current_call(engine, code).labels == ("cat", "dog")


def test_the_teacher_shares_a_network_and_the_projector_scores_the_class_tests(engine, room):
    code, teacher, (ann, bob, _) = room
    D.call_for_drawings(engine, code, teacher, ("cat", "dog"), T0)
    assert not D.share_model(engine, code, teacher, b"weights", ("a", "b"), "mnist", T0)  # not the call's labels
    assert not D.share_model(engine, code, ann, b"weights", ("cat", "dog"), "mnist", T0)
    assert not D.share_model(engine, code, teacher, bytes(17 * 2**20), ("cat", "dog"), "mnist", T0)  # too big
    assert D.share_model(engine, code, teacher, b"weights", ("cat", "dog"), "mnist", T0 + 1)
    assert D.shared_model(engine, code) == D.SharedModel(b"weights", ("cat", "dog"), "mnist", T0 + 1)
    for student, label, read in [(ann, 0, 0), (ann, 1, 0), (bob, 1, 1)]:
        assert isinstance(D.add_drawing(engine, code, student, label, seven(), T0, "test", read), int)
    assert D.add_drawing(engine, code, ann, 0, seven(), T0, "test", 2) == "not_a_label"
    assert D.score(engine, code, 2) == D.Score(3, 2, [(1, 1), (2, 1)])
    assert D.counts(engine, code, 2) == [0, 0]  # tests are not the data set
    assert D.share_model(engine, code, teacher, b"better", ("cat", "dog"), "mnist", T0 + 2)
    assert D.score(engine, code, 2) == D.Score(0, 0, [(0, 0), (0, 0)])  # a new network: a new score


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_score_is_the_count_of_right_readings_per_label(engine, room, seed):
    """``score`` counts in the database (one row per label): the same numbers as counting the tests one by one."""
    code, teacher, students = room
    D.call_for_drawings(engine, code, teacher, ("a", "b", "c", "d"), T0)
    assert D.share_model(engine, code, teacher, b"weights", ("a", "b", "c", "d"), "mnist", T0)
    rng = np.random.default_rng(seed)
    tests = [(int(rng.integers(0, 3)), int(rng.integers(0, 4))) for _ in range(int(rng.integers(1, 25)))]  # d: none
    for n, (label, read) in enumerate(tests):
        assert isinstance(D.add_drawing(engine, code, students[n % 3], label, seven(), T0, "test", read), int)
    D.add_drawing(engine, code, students[0], 3, seven(), T0)  # a drawing for the data set is not a test
    expected = [(sum(t == i for t, _ in tests), sum(t == r == i for t, r in tests)) for i in range(4)]
    assert D.score(engine, code, 4) == D.Score(len(tests), sum(t == r for t, r in tests), expected)
    assert D.score(engine, code, 4).per_label[3] == (0, 0)


def test_closing_a_room_forgets_its_drawings_call_and_network(engine, room):
    code, teacher, (ann, _, _) = room
    D.call_for_drawings(engine, code, teacher, DIGIT_LABELS, T0)
    D.add_drawing(engine, code, ann, 7, seven(), T0)
    D.share_model(engine, code, teacher, b"weights", DIGIT_LABELS, "mnist", T0)
    R.close_room(engine, code, teacher)
    with engine.connect() as conn:
        for table in (drawings, drawing_calls, class_models):
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0


def test_a_version_2_database_is_brought_up_to_date(database_url):
    engine = connect(database_url)
    with engine.begin() as conn:  # as version 2 left it: no drawings
        for table in (drawings, drawing_calls, class_models):
            table.drop(conn)
        conn.execute(schema_version.update().values(version=2))
    engine.dispose()
    engine = connect(database_url)
    with engine.connect() as conn:
        assert conn.execute(select(schema_version.c.version)).scalars().all() == [SCHEMA_VERSION] == [3]
    code = R.open_room(engine, teacher := new_token(), T0)
    assert D.call_for_drawings(engine, code, teacher, DIGIT_LABELS, T0)
    engine.dispose()
