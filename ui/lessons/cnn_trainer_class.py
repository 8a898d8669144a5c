"""The trainer on a class's drawings (``store.drawings``), for the teacher of a room that asked for them: train on
the class's drawings alone, or added to the data set chosen above when its classes are the drawings' labels (the
digits); then share the trained network with the class, whose students test it on new drawings
(``ui.lessons.classroom_drawings``)."""

from __future__ import annotations

import dataclasses
import io

import streamlit as st

from core.class_drawings import MIN_PER_LABEL, class_dataset, ready_to_train
from core.data import Dataset
from store import drawings
from ui.shell.classroom import Teaching, database, now, teaching
from ui.shell.i18n import t, translator
from ui.shell.url_state import Choice, url_choice

CLASS_USES = ("none", "only", "with_data")
CLASS_LINK = {"class": Choice(CLASS_USES)}
"""What the trainer's link may say about the class's drawings: not used, alone, or added to the data set."""
CLASS_RUN = "cnn_trainer_class_run"
"""Session key: the ``ClassData`` the last run trained on (None: the built-in data alone)."""


@dataclasses.dataclass(frozen=True, eq=False)
class ClassData:
    """The class's drawings as the trainer uses them: the room, the labels, how the drawings are prepared, the data."""

    code: str
    labels: tuple[str, ...]
    preparation: str
    dataset: Dataset
    version: tuple[int, int] = (0, 0)  # the drawings' ``store.drawings.version`` the data set was made from


def class_drew_since(chosen: ClassData) -> bool:
    """Whether the class has sent (or the teacher removed) drawings since ``chosen``'s data set was made."""
    return drawings.version(database(), chosen.code) != chosen.version


def class_data_choice(name: str, drawn: int) -> ClassData | None:
    """For the teacher of a room that asked for drawings: whether to train on them (``CLASS_USES``); the data to
    train on, or None for the built-in data alone (also while a label has too few drawings, which is said)."""
    held = teaching()
    call = None if held is None else drawings.current_call(database(), held.code)
    if call is None:
        return None
    use = url_choice(st.segmented_control, t("cnn_trainer.class.use"), CLASS_USES, key="cnn_trainer_class",
                     name="class", default="none", format_func=translator("cnn_trainer.class.uses."),
                     help=t("cnn_trainer.class.help"))
    if use == "none":
        return None
    from ui.jobs.training_job import shared_dataset

    base = shared_dataset(name, drawn) if use == "with_data" else None
    if base is not None and tuple(base.classes) != call.labels:
        st.warning(t("cnn_trainer.class.other_classes"), icon="🏷️")
        base = None
    counts = drawings.counts(database(), held.code, len(call.labels))
    if not ready_to_train(counts):
        st.warning(t("cnn_trainer.class.not_ready", n=MIN_PER_LABEL, fewest=min(counts)), icon="✏️")
        return None
    preparation = name if base is not None else "mnist"
    version = drawings.version(database(), held.code)
    dataset = class_data(held.code, held.token, version, call.labels, preparation, name if base is not None else None,
                         drawn)
    st.caption(t("cnn_trainer.class.summary", train=f"{len(dataset.y_train):,}", test=f"{len(dataset.y_test):,}",
                 drawings=f"{sum(counts):,}"))
    return ClassData(held.code, call.labels, preparation, dataset, version)


@st.cache_resource(max_entries=2, show_spinner=False)  # one with a large base data set is a copy of it
def class_data(code: str, _token: str, version: tuple[int, int], labels: tuple[str, ...], preparation: str,
               base_name: str | None, drawn: int) -> Dataset:
    """Room ``code``'s data set as of ``version`` (``store.drawings.version``), made once per server
    (``core.class_drawings.class_dataset``): the drawings alone, or after ``base_name``'s images (the teacher's
    token is not part of the cache's key)."""
    from ui.jobs.training_job import shared_dataset

    base = None if base_name is None else shared_dataset(base_name, drawn)
    found = drawings.training_drawings(database(), code, _token, now()) or []
    return class_dataset(found, labels, preparation, base=base)


def for_the_class(train_config, chosen: ClassData | None):
    """The training set-up for the class's drawings: a batch no larger than their training split."""
    if chosen is None:
        return train_config
    return dataclasses.replace(train_config, batch_size=max(1, min(train_config.batch_size,
                                                                   len(chosen.dataset.y_train))))


def share_with_class(model, config) -> None:
    """After a run on the class's drawings: the teacher shares the network with the room."""
    chosen = st.session_state.get(CLASS_RUN)
    held = teaching()
    if held is None or not isinstance(chosen, ClassData) or chosen.code != held.code:
        return
    st.button(t("cnn_trainer.class.share"), type="primary", icon=":material/share:", key="cnn_trainer_class_share",
              on_click=share, args=(held, chosen, model, config), help=t("cnn_trainer.class.share_help"))


def share(held: Teaching, chosen: ClassData, model, config) -> None:
    """The share button's callback: the network's checkpoint into the room."""
    from core.checkpoints import save_checkpoint

    if getattr(config, "classes", None) != len(chosen.labels):  # not the network trained on these labels
        st.toast(t("cnn_trainer.class.not_shared"))
        return
    out = io.BytesIO()
    save_checkpoint(out, model, config)
    shared = drawings.share_model(database(), held.code, held.token, out.getvalue(), chosen.labels,
                                  chosen.preparation, now())
    st.toast(t("cnn_trainer.class.shared" if shared else "cnn_trainer.class.not_shared"))
