"""The class's data set in AppTest, teacher and students as separate sessions on one database: the teacher asks
for drawings, a student draws on the pad (the canvas component answering as the browser would) and sends, the
projector counts and shows them and the teacher removes one, the trainer trains on the class's drawings and shares
the network, a student tests it with a new drawing and sees what it read, and the projector scores it."""

from __future__ import annotations

import io

import numpy as np
import pytest

from core.checkpoints import load_checkpoint
from core.class_drawings import DIGIT_LABELS, STORED_BYTES, class_probabilities, stored_picture
from core.images import decode_pad_data_url
from store import drawings
from tests.conftest import assert_clean, page_texts
from tests.helpers.classroom import feed_the_pad, join, open_page, pad_value, sidebar_text, start_a_class, text_of
from tests.helpers.trainer import train_until_done
from ui.lessons.classroom_drawings import DRAWING_REFUSED
from ui.shell.classroom import TEACHING, database, now
from ui.shell.i18n import LANGUAGES, translate
from ui.shell.registry import by_name

CNN_TRAINER = by_name("cnn_trainer")


def call_for(teacher, kind: str = "digits", labels: str = ""):
    teacher.segmented_control(key="classroom_call_kind").set_value(kind)
    teacher.text_input(key="classroom_call_labels").input(labels)
    next(b for b in teacher.button if b.label == translate("classroom.draw.send", "en")
         or b.label == translate("classroom.draw.send", "zh")).click().run()
    assert_clean(teacher)


def draw_and_send(student, pad, digit: int, style: int = 0) -> bytes:
    """The student draws ``digit`` and presses the send (or test) button; the kept bytes of that drawing."""
    pad["value"] = pad_value(digit, style)
    student.run()
    assert_clean(student)
    pad["value"] = None
    sent = stored_picture(decode_pad_data_url(pad_value(digit, style)["drawing"]["data"]))
    student.button(key="classroom_send_drawing").click().run()
    assert_clean(student)
    return sent


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_class_draws_trains_and_tests_its_own_network(monkeypatch, lang):
    teacher, held = start_a_class(lang)
    ann = join(lang, held.code)
    assert translate("classroom.draw.wait", lang) in text_of(ann)  # no call yet: no pad
    call_for(teacher)
    assert drawings.current_call(database(), held.code).labels == DIGIT_LABELS
    ann.run()
    pad = feed_the_pad(monkeypatch)
    assert ann.button(key="classroom_send_drawing").disabled  # nothing drawn yet
    assert ann.pills[0].value == 0 and translate("classroom.draw.draw_this", lang, label="0") in text_of(ann)

    sent = draw_and_send(ann, pad, 0)
    kept = drawings.gallery(database(), held.code, held.token, now())
    assert [(k.label, k.pixels) for k in kept] == [(0, sent)]
    assert translate("classroom.draw.sent", lang, label="0") in text_of(ann)
    assert ann.pills[0].value == 1  # the next label is suggested

    bob = join(lang, held.code)
    bob.run()
    for digit in range(10):  # the rest of two drawings of each digit, through the page
        for student, style in ((ann, 1), (bob, 0)):
            if (student, digit) == (ann, 0):
                continue
            student.pills[0].set_value(digit)
            draw_and_send(student, pad, digit, style)
    assert drawings.counts(database(), held.code, 10) == [2] * 10
    assert translate("classroom.draw.mine", lang, n=10) in text_of(bob)

    teacher.run()
    assert [m.value for m in teacher.metric][1:] == ["2"] * 10  # the first metric is the count of students
    assert [m.label for m in teacher.metric][1:] == list(DIGIT_LABELS)
    removes = [b for b in teacher.button if b.key.startswith("classroom_remove_")]
    assert len(removes) == 20
    removes[0].click().run()
    assert drawings.counts(database(), held.code, 10) == [2] * 9 + [1]  # the newest: bob's 9
    bob.pills[0].set_value(9)
    draw_and_send(bob, pad, 9, 1)

    trainer = open_page(lang, {"class": "only", "blocks": "1", "b1": "8-3-relu-max-bn", "epochs": "3"},
                        {TEACHING: held}, page=CNN_TRAINER)
    assert trainer.segmented_control(key="cnn_trainer_class").value == "only"
    assert translate("cnn_trainer.class.summary", lang, drawings="20", train="10", test="10") in \
        " ".join(c.value for c in trainer.caption)
    train_until_done(trainer)
    trainer.button(key="cnn_trainer_class_share").click().run()
    shared = drawings.shared_model(database(), held.code)
    assert shared.labels == DIGIT_LABELS and shared.preparation == "mnist"

    ann.run()
    assert translate("classroom.draw.test_title", lang) in [s.value for s in ann.subheader]
    ann.pills[0].set_value(7)
    tested = draw_and_send(ann, pad, 7)
    model, _ = load_checkpoint(io.BytesIO(shared.checkpoint))
    probabilities = class_probabilities(model, tested, "mnist")
    read = int(np.argmax(probabilities))
    assert translate("classroom.draw.read", lang, label="7", read=str(read),
                     share=f"{100 * probabilities.max():.0f}") in text_of(ann)
    score = drawings.score(database(), held.code, 10)
    assert (score.tested, score.right) == (1, int(read == 7))
    teacher.run()
    assert translate("classroom.draw.score", lang, right=int(read == 7), tested=1,
                     share=f"{100 * int(read == 7):.0f}") in text_of(teacher)


def test_the_teacher_names_the_classes_or_is_told_what_is_wrong():
    teacher, held = start_a_class("en")
    call_for(teacher, "named", "only one")
    assert [e.value for e in teacher.error] == [translate("classroom.draw.bad_labels", "en")]
    assert drawings.current_call(database(), held.code) is None
    call_for(teacher, "named", "cat, <b>dog</b>; 猫")
    assert drawings.current_call(database(), held.code).labels == ("cat", "b dog b", "猫")
    assert [m.label for m in teacher.metric][1:] == ["cat", "b dog b", "猫"]
    assert translate("classroom.draw.asked", "en", labels="cat, b dog b, 猫", n=0) in text_of(teacher)


def test_a_chinese_teacher_sees_the_classes_listed_with_the_chinese_comma():
    teacher, held = start_a_class("zh")
    call_for(teacher, "named", "猫，狗、鸟")
    assert drawings.current_call(database(), held.code).labels == ("猫", "狗", "鸟")
    assert translate("classroom.draw.asked", "zh", labels="猫、狗、鸟", n=0) in text_of(teacher)


def test_a_student_elsewhere_is_led_to_the_pad_and_the_pad_page_follows_the_teacher(monkeypatch):
    teacher, held = start_a_class("en")
    ann = join("en", held.code)
    pooling = open_page("en", state={"classroom_sitting": held.code, "classroom_browser":
                                     ann.session_state["classroom_browser"]}, page=by_name("pooling"))
    assert not [link for link in pooling.sidebar.get("page_link")]
    call_for(teacher)
    pooling.run()
    links = pooling.sidebar.get("page_link")
    assert [link.proto.label for link in links] == [translate("classroom.sidebar.draw", "en")]
    assert links[0].proto.page.endswith("classroom")
    assert translate("classroom.sidebar.sitting", "en", code=held.code) in sidebar_text(pooling)


def test_every_refusal_of_a_drawing_has_its_message():
    from typing import get_args

    assert set(DRAWING_REFUSED) == set(get_args(drawings.DrawingRefusal))
    for key in DRAWING_REFUSED.values():
        for lang in LANGUAGES:
            assert translate(key, lang) != key


def test_the_trainer_offers_the_class_drawings_only_to_a_teacher_who_asked_for_them():
    plain = open_page("en", page=CNN_TRAINER)
    assert "cnn_trainer_class" not in [s.key for s in plain.segmented_control]
    teacher, held = start_a_class("en")
    call_for(teacher)
    trainer = open_page("en", {"class": "only"}, {TEACHING: held}, page=CNN_TRAINER)
    assert translate("cnn_trainer.class.not_ready", "en", n=2, fewest=0) in page_texts(trainer)
    for hostile in ("<script>alert(1)</script>", "only' OR 1=1", "x" * 5000):
        trainer = open_page("en", {"class": hostile}, {TEACHING: held}, page=CNN_TRAINER)
        assert trainer.segmented_control(key="cnn_trainer_class").value == "none"
        assert [toast.value for toast in trainer.toast]  # the refused value is said


def test_an_oversized_or_damaged_drawing_is_refused_before_it_can_be_sent(monkeypatch):
    from core.images import PAD_DATA_URL_PREFIX, PAD_MAX_DATA_URL

    teacher, held = start_a_class("en")
    call_for(teacher)
    ann = join("en", held.code)
    pad = feed_the_pad(monkeypatch)
    for text, code in (("A" * (PAD_MAX_DATA_URL + 1), "decompression_bomb"), (PAD_DATA_URL_PREFIX + "%%", "corrupt")):
        pad["value"] = {"drawing": {"raw": {"objects": []}, "data": text}, "backgroundFit": None}
        ann.run()
        assert_clean(ann)
        assert [e.value for e in ann.error] == [translate("image.error." + code, "en")]
        assert ann.button(key="classroom_send_drawing").disabled
    assert drawings.counts(database(), held.code, 10) == [0] * 10


def test_the_drawing_just_sent_is_not_sent_twice(monkeypatch):
    """A pad the browser has not cleared yet still sends the last drawing: the send button does not take it again; a
    new drawing it takes."""
    teacher, held = start_a_class("en")
    call_for(teacher)
    ann = join("en", held.code)
    pad = feed_the_pad(monkeypatch)
    draw_and_send(ann, pad, 3)
    pad["value"] = pad_value(3)
    ann.run()
    assert ann.button(key="classroom_send_drawing").disabled
    pad["value"] = pad_value(4)
    ann.run()
    assert not ann.button(key="classroom_send_drawing").disabled
    assert sum(drawings.counts(database(), held.code, 10)) == 1


def test_new_labels_leave_a_students_page_whole_and_refuse_a_drawing_for_the_old_ones(monkeypatch):
    """A student sent a 7; the teacher then asks for two classes: the page shows the new labels and no result of the
    old call; a drawing sent for the old call (a send button drawn before the change) is refused, not stored under
    another label."""
    teacher, held = start_a_class("en")
    call_for(teacher)
    ann = join("en", held.code)
    pad = feed_the_pad(monkeypatch)
    ann.pills[0].set_value(7)
    draw_and_send(ann, pad, 7)
    old_call = drawings.current_call(database(), held.code).called_at
    call_for(teacher, "named", "cat, dog")
    ann.run()
    assert_clean(ann)
    assert ann.pills[0].options == ["cat", "dog"]
    assert translate("classroom.draw.sent", "en", label="7") not in text_of(ann)
    token = ann.session_state["classroom_browser"]
    late = drawings.add_drawing(database(), held.code, token, 1, bytes(STORED_BYTES), now(), called_at=old_call)
    assert late == "no_call" and drawings.counts(database(), held.code, 2) == [0, 0]


def test_a_network_loaded_from_a_file_is_not_offered_to_the_class():
    """The share button belongs to a run on the class's drawings: loading a checkpoint (a network of other classes)
    forgets that run, so the button goes."""
    from core.checkpoints import save_checkpoint
    from core.models import CNNConfig, build_model
    from ui.lessons.cnn_trainer_class import CLASS_RUN, ClassData

    teacher, held = start_a_class("en")
    call_for(teacher, "named", "cat, dog, sun")
    trainer = open_page("en", {}, {TEACHING: held}, page=CNN_TRAINER)
    trainer.session_state[CLASS_RUN] = ClassData(held.code, ("cat", "dog", "sun"), "mnist", None)
    config = CNNConfig(blocks=CNNConfig().blocks[:1], dense=(16,))
    buf = io.BytesIO()
    save_checkpoint(buf, build_model(config), config)
    trainer.file_uploader(key="cnn_trainer_checkpoint").upload("net.pt", buf.getvalue(), "application/octet-stream")
    trainer.run()
    assert_clean(trainer)
    assert trainer.session_state[CLASS_RUN] is None
    assert "cnn_trainer_class_share" not in [b.key for b in trainer.button]


def test_the_trainer_sees_when_the_class_has_drawn_since_its_data_set_was_made(monkeypatch):
    """The trainer's set-up reruns alone; when the class has sent drawings since the page made the class's data set
    (``class_drew_since``), it reruns the whole page to take them in."""
    from ui.lessons.cnn_trainer_class import ClassData, class_drew_since

    teacher, held = start_a_class("en")
    ann = join("en", held.code)
    call_for(teacher)
    ann.run()
    pad = feed_the_pad(monkeypatch)
    draw_and_send(ann, pad, 3)
    chosen = ClassData(held.code, DIGIT_LABELS, "mnist", None, drawings.version(database(), held.code))
    assert not class_drew_since(chosen)
    draw_and_send(ann, pad, 4)
    assert class_drew_since(chosen)
