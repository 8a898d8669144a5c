"""The live CNN trainer (pages/cnn_trainer.py): set-up, training in a session-owned worker, and the results."""

from __future__ import annotations

import copy
import io

import streamlit as st
import torch

from core.budgets import (
    TRAINING_RATE,
    TRAINING_WORK,
    OverBudget,
    check,
    training_seconds,
    training_work,
)
from core.checkpoints import CheckpointError, load_checkpoint
from core.data import DATASETS, DatasetUnavailable
from core.drawn_digits import FOR_TRAINING
from core.images import mosaic
from core.model_inside import first_layer_pictures
from core.models import CNNConfig, MLPConfig, ModelConfigError, build_model, check_config
from core.setup_limits import SETUP
from core.train import TrainConfig, device_info, resolve_device
from ui.jobs.training_job import (
    MAX_CONCURRENT_TRAININGS,
    Snapshot,
    TrainingJob,
    drawing_in_background,
    session_job,
    shared_dataset,
)
from ui.lessons.cnn_trainer_class import (
    CLASS_LINK,
    CLASS_RUN,
    class_data_choice,
    class_drew_since,
    for_the_class,
    share_with_class,
)
from ui.lessons.cnn_trainer_inside import INSIDE_LINK, part_inside
from ui.lessons.cnn_trainer_position import POSITION_LINK, part_position, part_scale
from ui.lessons.cnn_trainer_results import MAPS_SHOWN, network_response, results
from ui.lessons.cnn_trainer_setup import SETUP_LINK, model_controls, summary_table, train_controls
from ui.plots.charts import lines_figure
from ui.plots.grids import image_figure
from ui.plots.show import plot
from ui.shell.i18n import t, translator
from ui.shell.lesson_frame import drawn_alone
from ui.shell.registry import CNN_TRAINER
from ui.shell.url_state import Choice, Flag, url_choice, url_toggle
from ui.widgets.image_input import IMAGE_LINK

__all__ = ["LINK", "part_inside", "part_position", "part_scale", "part_train"]  # the parts, for the registry

LINK = {**SETUP_LINK, **POSITION_LINK, **INSIDE_LINK, **IMAGE_LINK, **CLASS_LINK, "data": Choice(DATASETS),
        "drawn": Flag(), "source": Choice(("draw", "picture"))}
"""What the trainer's link may say: the data, the network and its training, the picture to try, the shift test."""


def part_train() -> None:
    """Set-up, Start/Stop/Reset, the live views while it trains, then the results and "try it"."""
    st.markdown(t("cnn_trainer.intro_setup"))
    job = session_job()
    data_column, device_column = st.columns([1, 2], vertical_alignment="bottom")
    with data_column:
        name = url_choice(st.selectbox, t("cnn_trainer.dataset"), list(DATASETS), key="cnn_trainer_data", name="data",
                          default="digits", format_func=translator("cnn_trainer.datasets."))
    info = device_info(resolve_device("auto"))
    device_column.caption(t("cnn_trainer.device_gpu", name=info["name"], memory=f"{info['memory_gb']:.0f}")
                          if info["type"] != "cpu" else t("cnn_trainer.device_cpu"))
    drawn = drawn_digits_control(name)
    try:
        dataset = shared_dataset(name)  # the scans alone: what the page shows; the drawn digits join at Start
    except DatasetUnavailable:
        st.error(t("cnn_trainer.unavailable", name=t("cnn_trainer.datasets." + name)), icon="📡")
        return
    chosen = class_data_choice(name, drawn)  # a teacher's class's drawings, when the room has some
    if chosen is not None:
        dataset = chosen.dataset
    # the set-up reruns alone when one of its controls moves: the live view and the last run's results below (charts,
    # mistakes, the drawing pad) are neither recomputed nor sent again
    seen = job.generation
    drawn_alone(CNN_TRAINER, lambda: set_up((job, seen), name, drawn, dataset, chosen), "cnn_trainer: train, set-up")
    if job.active:
        live_polling(dataset)
    else:
        draw_live(dataset)
    results(dataset, None if chosen is None else chosen.preparation, after=share_with_class)


def set_up(seen: tuple[TrainingJob, int], name: str, drawn: int, dataset, chosen) -> None:
    """The network, its training, what it costs and Start/Stop/Reset. ``seen``: the session's job and its run
    (``generation``) when the page last ran whole. A button or a loaded checkpoint that changes the run, or a job
    that is not that one any more (the server forgets a job left alone for hours), reruns the whole page, whose live
    view and results follow the run; so does a class that has sent drawings since (``class_drew_since``)."""
    job = session_job()
    if chosen is not None and class_drew_since(chosen):
        st.rerun()  # the page takes in the class's new drawings (its count above, the data Start trains on)
    with st.expander(t("cnn_trainer.architecture"), expanded=True):
        config = model_controls(tuple(dataset.x_train.shape[1:]), len(dataset.classes))
    try:
        check_config(config)
    except ModelConfigError as error:
        st.error(t("cnn_trainer.too_small" if error.code == "too_small" else "cnn_trainer.bad_config",
                   layer=error.layer), icon="📐")
        return
    with st.expander(t("cnn_trainer.training"), expanded=True):
        train_config = train_controls(name)
    columns, params, mult_adds = summary_table(config)
    st.markdown(t("cnn_trainer.model_summary", params=f"{params:,}", mult_adds=f"{mult_adds:,}"))
    st.dataframe(columns, hide_index=True, height=min(35 * (len(columns[next(iter(columns))]) + 1) + 3, 290))
    keep_and_share(config, train_config, name, drawn)
    trained = continue_from(config, job)
    train_config = for_the_class(train_config, chosen)
    affordable = training_estimate(mult_adds, len(dataset.y_train) + (drawn if chosen is None else 0),
                                   train_config.epochs)
    start, stop, reset = st.columns(3)
    start.button(t("cnn_trainer.start"), type="primary", disabled=job.active or not affordable,
                 key="cnn_trainer_start", on_click=start_training,
                 args=(trained, name, drawn, config, train_config, chosen), icon=":material/play_arrow:",
                 width="stretch")
    stop.button(t("cnn_trainer.stop"), disabled=not job.active, key="cnn_trainer_stop", on_click=job.stop,
                icon=":material/stop:", width="stretch")
    reset.button(t("cnn_trainer.reset"), key="cnn_trainer_reset", on_click=reset_training, args=(job,),
                 icon=":material/restart_alt:", width="stretch")
    notice = st.session_state.pop("cnn_trainer_notice", None)
    if notice:
        st.warning(t(notice[0], n=notice[1]), icon="⏳")
    seen_job, seen_generation = seen
    if job is not seen_job or job.generation != seen_generation:
        st.rerun()


def reset_training(job) -> None:
    """The Reset button's callback: the run forgotten, and with it which data it was trained on."""
    job.reset()
    st.session_state.pop(CLASS_RUN, None)


def training_estimate(mult_adds: int, images: int, epochs: int) -> bool:
    """Tell the student what the run will cost before it starts (``core.budgets.training_work``) and about how long
    it takes here; False, with the reason, when it is over the server's budget for one run."""
    if mult_adds > SETUP.max_mult_adds:
        st.error(t("cnn_trainer.too_many_mult_adds", n=f"{mult_adds:,}", limit=f"{SETUP.max_mult_adds:,}"), icon="📐")
        return False
    work = training_work(mult_adds, images, epochs)
    try:
        check(TRAINING_WORK, work)
    except OverBudget:
        st.error(t("budget.training_work", work=f"{work:.2e}", limit=f"{TRAINING_WORK.limit:.0e}",
                   minutes=f"{TRAINING_WORK.limit / TRAINING_RATE / 60:.0f}"), icon="⏳")
        return False
    st.caption(t("cnn_trainer.estimate", work=f"{work:.2e}", images=f"{images:,}", epochs=epochs,
                 per_image=f"{mult_adds:,}", seconds=f"{max(1, round(training_seconds(work, images, epochs))):,}"))
    return True


def continue_from(config, job):
    """The trained (or loaded) network of this same architecture to go on training from, when the student asks;
    None for a fresh one. Start copies it (``start_training``); a rerun builds and copies nothing."""
    snap = job.snapshot()
    trained = st.session_state.get("cnn_trainer_run", (None, None))[0]
    if job.running or snap.model is None or trained != config:
        return None
    if st.toggle(t("cnn_trainer.continue"), key="cnn_trainer_continue", help=t("cnn_trainer.continue_help")):
        return snap.model
    return None


def drawn_digits_control(name: str) -> int:
    """For the digits: whether to add the digits the program draws (``core.drawn_digits``) to the training images;
    how many it adds (0 for the other data sets or when the student turns it off)."""
    if name != "digits":
        return 0
    on = url_toggle(t("cnn_trainer.drawn", n=f"{FOR_TRAINING:,}"), key="cnn_trainer_drawn", name="drawn",
                    default=True, help=t("cnn_trainer.drawn_help", n=f"{FOR_TRAINING:,}"))
    if on:
        drawing_in_background(FOR_TRAINING)
    return FOR_TRAINING if on else 0


def keep_and_share(config: CNNConfig | MLPConfig, train_config: TrainConfig, name: str, drawn: int) -> None:
    """Load a model downloaded earlier (only tensors are read: weights_only), or take this set-up as a script."""
    with st.expander(t("cnn_trainer.keep")):
        file = st.file_uploader(t("cnn_trainer.upload"), type=["pt"], key="cnn_trainer_checkpoint",
                                help=t("cnn_trainer.upload_help"))
        script_download(config, train_config, name, drawn)
    if file is not None and st.session_state.get("cnn_trainer_loaded") != file.file_id:
        try:
            model, loaded = load_checkpoint(io.BytesIO(file.getvalue()))
        except CheckpointError as error:  # shown outside the expander, which the student may close
            st.error(t("cnn_trainer.checkpoint_error." + error.code), icon="🧾")
        else:
            session_job().adopt(model)
            st.session_state["cnn_trainer_loaded"], st.session_state["cnn_trainer_run"] = file.file_id, (loaded, None)
            st.session_state[CLASS_RUN] = None  # a loaded network is not the class's


def script_download(config, train_config: TrainConfig, name: str, drawn: int) -> None:
    from core.export import script_filename, training_script

    st.download_button(t("cnn_trainer.script"), training_script(config, train_config, name, drawn),
                       file_name=script_filename(config, name),
                       mime="text/x-python", key="cnn_trainer_script", icon=":material/code:",
                       help=t("cnn_trainer.script_help"))


def start_training(trained, name: str, drawn: int, config, train_config: TrainConfig, chosen=None) -> None:
    """The Start button's callback (buttons act through callbacks, before the page runs again): trains a copy of
    ``trained`` or, when it is None, a fresh network of ``config`` seeded ``train_config.seed``, on the data set
    ``name`` with ``drawn`` drawn digits added (drawn in the background since the page first showed them, so rarely
    waited for), or on ``chosen``, a class's drawings (``ui.lessons.cnn_trainer_class``)."""
    model = build_model(config, seed=train_config.seed) if trained is None else copy.deepcopy(trained).cpu()
    dataset = shared_dataset(name, drawn) if chosen is None else chosen.dataset
    if train_config.batch_size > len(dataset.y_train):
        st.session_state["cnn_trainer_notice"] = ("cnn_trainer.batch_too_big", len(dataset.y_train))
    elif session_job().start(model, dataset, train_config) == "busy":
        st.session_state["cnn_trainer_notice"] = ("cnn_trainer.one_per_browser", 1)
    else:  # started, or waiting its turn for a slot
        st.session_state["cnn_trainer_run"] = (config, train_config)
        st.session_state[CLASS_RUN] = chosen


@st.fragment(run_every=1.0)
def live_polling(dataset) -> None:
    """While the worker trains, only this part of the page re-runs, once a second; at the end the whole page does."""
    draw_live(dataset)
    if not session_job().active:
        st.rerun()


def draw_live(dataset) -> None:
    """Progress and curves on the left; inside the network (kernels, feature maps) on the right."""
    snap = session_job().snapshot()
    if snap.status == "idle":
        st.info(t("cnn_trainer.idle"), icon="▶️")
        return
    status_box = {"queued": st.info, "running": st.info, "finished": st.success, "stopped": st.warning,
                  "time_limit": st.warning, "diverged": st.error, "failed": st.error, "loaded": st.success,
                  "out_of_memory": st.error}[snap.status]
    status_box(t("cnn_trainer.status." + snap.status, seconds=f"{snap.seconds:.1f}", message=snap.message,
                 place=snap.place, slots=MAX_CONCURRENT_TRAININGS))
    curves, inside = st.columns(2, gap="medium")
    with curves:
        draw_curves(snap)
    if snap.status in ("running", "finished", "stopped", "time_limit", "loaded"):  # failed or diverged: nothing
        with inside:
            inside_view(snap, dataset)


def draw_curves(snap: Snapshot) -> None:
    history = snap.history
    if not history:
        return
    last = history[-1]
    run = st.session_state.get("cnn_trainer_run", (None, None))[1] or TrainConfig()
    done = min(1.0, last["step"] / max(last["batches_per_epoch"] * run.epochs, 1))
    eta = snap.seconds * (1 - done) / done if done > 0 else 0.0
    st.progress(done, text=t("cnn_trainer.progress", epoch=last["epoch"], loss=f"{last['loss']:.4f}",
                             speed=f"{last['images_per_second']:.0f}", eta=f"{eta:.0f}"))
    plot(st, lines_figure([h["step"] for h in history], {t("cnn_trainer.loss"): [h["loss"] for h in history]},
                          t("cnn_trainer.loss_title"), t("common.step"), t("cnn_trainer.loss"),
                          height=250),
         key="cnn_trainer_loss_fig")
    epochs = [h for h in history if h["test_accuracy"] is not None]
    if epochs:
        plot(st, lines_figure([h["epoch"] for h in epochs], {
            t("cnn_trainer.train_acc"): [h["train_accuracy"] for h in epochs],
            t("cnn_trainer.test_acc"): [h["test_accuracy"] for h in epochs]}, t("cnn_trainer.acc_title"),
            t("cnn_trainer.epoch"),
            t("cnn_trainer.accuracy"), height=250, percent=True), key="cnn_trainer_acc_fig")


def view_model(snap: Snapshot):
    """A CPU model to look inside: the finished one, or a copy of the network with the last epoch's weights."""
    if snap.model is not None:
        return snap.model.cpu().eval()
    if snap.template is None or snap.weights is None:
        return None
    model = copy.deepcopy(snap.template)
    model.load_state_dict(snap.weights)
    return model.eval()


def inside_view(snap: Snapshot, dataset) -> None:
    """The first layer's weights and one test image's path through the network, as of the last finished epoch."""
    model = view_model(snap)
    if model is None:
        return
    st.markdown(t("cnn_trainer.inside_final") if snap.model is not None else t("cnn_trainer.inside_epoch",
                                                                               epoch=snap.weights_epoch))
    is_cnn = any(isinstance(m, torch.nn.Conv2d) for m in model.modules())
    pictures = first_layer_pictures(model, tuple(dataset.x_test.shape[1:]))[:MAPS_SHOWN]
    plot(st, image_figure(mosaic(pictures), t("cnn_trainer.kernels" if is_cnn else "cnn_trainer.templates",
                                              n=len(pictures)),
                          kind="signed", height=190 if is_cnn else 260, colorbar=False),
         key="cnn_trainer_kernels_fig")
    index = st.slider(t("common.network.probe"), 0, len(dataset.y_test) - 1, 0, key="cnn_trainer_probe")
    st.caption(t("common.network.probe_true", label=dataset.classes[int(dataset.y_test[index])]))
    network_response(model, dataset.x_test[index:index + 1], dataset.classes, "probe")
