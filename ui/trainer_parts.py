"""The live CNN trainer (pages/cnn_trainer.py): set-up, training in a session-owned worker, and the results."""

from __future__ import annotations

import io

import numpy as np
import streamlit as st
import torch

from core.data import DATASETS, DatasetUnavailable, load_dataset, prepare_image
from core.images import to_gray
from core.models import (
    POOLINGS,
    CNNConfig,
    ConvBlock,
    ModelConfigError,
    build_model,
    check_config,
    feature_maps,
    summarize,
)
from core.train import (
    OPTIMIZERS,
    CheckpointError,
    TrainConfig,
    device_info,
    evaluate,
    load_checkpoint,
    mistakes,
    resolve_device,
    save_checkpoint,
)
from ui.conv_figures import image_figure
from ui.figures import bars_figure, lines_figure
from ui.i18n import t, translator
from ui.image_input import image_picker
from ui.training import MAX_CONCURRENT_TRAININGS, session_job
from ui.url_state import url_choice, url_slider, url_toggle

CHART = {"displayModeBar": False}
ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "leaky_relu")
CHANNELS = (4, 8, 16, 32)
LRS = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 1.0, 10.0)


@st.cache_resource(max_entries=4, show_spinner=False)
def shared_dataset(name: str):
    """One copy per server of each data set (read-only tensors; training never changes them)."""
    return load_dataset(name)


def model_controls() -> CNNConfig:
    """The architecture: conv blocks whose channels double block by block, then one dense layer."""
    n = url_slider(t("cnn.blocks"), key="cnn_blocks", name="blocks", min_value=1, max_value=6, default=2)
    c = url_choice(st.select_slider, t("cnn.channels"), CHANNELS, key="cnn_channels", name="channels", default=16)
    kernel = url_choice(st.segmented_control, t("cnn.kernel"), (3, 5), key="cnn_kernel", name="kernel", default=3)
    activation = url_choice(st.selectbox, t("cnn.activation"), ACTIVATIONS, key="cnn_act", name="act",
                            default="relu", format_func=translator("act.name."))
    pooling = url_choice(st.selectbox, t("cnn.pooling"), POOLINGS, key="cnn_pool", name="pool", default="max",
                         format_func=translator("cnn.poolings."))
    batch_norm = url_toggle(t("cnn.batch_norm"), key="cnn_bn", name="bn", default=True)
    dense = url_choice(st.select_slider, t("cnn.dense"), (0, 32, 64, 128), key="cnn_dense", name="dense", default=64)
    blocks = tuple(ConvBlock(min(c * 2**k, 128), kernel, activation, pooling, batch_norm) for k in range(n))
    return CNNConfig(blocks=blocks, dense=(dense,) if dense else (), activation=activation)


def train_controls() -> TrainConfig:
    optimizer = url_choice(st.selectbox, t("cnn.optimizer"), OPTIMIZERS, key="cnn_opt", name="opt", default="adam",
                           format_func=translator("gd.method."))
    lr = url_choice(st.select_slider, t("gd.lr"), LRS, key="cnn_lr", name="lr", default=0.003)
    epochs = url_slider(t("cnn.epochs"), key="cnn_epochs", name="epochs", min_value=1, max_value=30, default=8)
    batch = url_choice(st.select_slider, t("cnn.batch"), (16, 32, 64, 128, 256), key="cnn_batch", name="batch",
                       default=64)
    return TrainConfig(optimizer=optimizer, lr=lr, epochs=epochs, batch_size=batch)


def summary_table(model, input_shape) -> dict[str, list]:
    rows = summarize(model, input_shape)
    columns = {t("cnn.table." + c): [] for c in ("name", "type", "shape", "params", "mult_adds")}
    for row in rows:
        for column, value in zip(columns, (row["name"], row["type"], "×".join(map(str, row["output_shape"])),
                                           f"{row['params']:,}", f"{row['mult_adds']:,}"), strict=True):
            columns[column].append(value)
    return columns


def part_trainer() -> None:
    st.markdown(t("cnn.intro_setup"))
    job = session_job()
    setup, view = st.columns([1, 3], gap="medium")
    with setup:
        name = url_choice(st.selectbox, t("cnn.dataset"), list(DATASETS), key="cnn_data", name="data",
                          default="digits", format_func=translator("cnn.datasets."))
        with st.expander(t("cnn.architecture"), expanded=True):
            config = model_controls()
        with st.expander(t("cnn.training"), expanded=True):
            train_config = train_controls()
        checkpoint_upload()
        info = device_info(resolve_device("auto"))
        st.caption(t("cnn.device_gpu", name=info["name"], memory=f"{info['memory_gb']:.0f}") if info["type"] != "cpu"
                   else t("cnn.device_cpu"))
    try:
        dataset = shared_dataset(name)
    except DatasetUnavailable:
        view.error(t("cnn.unavailable", name=t("cnn.datasets." + name)), icon="📡")
        return
    config = CNNConfig(blocks=config.blocks, dense=config.dense, activation=config.activation,
                       input_shape=tuple(dataset.x_train.shape[1:]), classes=len(dataset.classes))
    try:
        check_config(config)
    except ModelConfigError as error:
        view.error(t("cnn.too_small" if error.code == "too_small" else "cnn.bad_config", layer=error.layer), icon="📐")
        return
    model = build_model(config, seed=train_config.seed)
    with view:
        with st.expander(t("cnn.model_summary", params=f"{sum(p.numel() for p in model.parameters()):,}")):
            st.table(summary_table(model, config.input_shape), border="horizontal")
        start, stop, reset = st.columns(3)
        start.button(t("cnn.start"), type="primary", disabled=job.running, key="cnn_start", on_click=start_training,
                     args=(model, dataset, train_config))
        stop.button(t("cnn.stop"), disabled=not job.running, key="cnn_stop", on_click=job.stop)
        reset.button(t("cnn.reset"), key="cnn_reset", on_click=job.reset)
        notice = st.session_state.pop("cnn_notice", None)
        if notice:
            st.warning(t(notice[0], n=notice[1]), icon="⏳")
        if job.running:
            live_polling()
        else:
            draw_live()
    results(dataset, config)


def checkpoint_upload() -> None:
    """Load a model downloaded earlier: only tensors are read (weights_only); anything else is refused."""
    file = st.file_uploader(t("cnn.upload"), type=["pt"], key="cnn_checkpoint", help=t("cnn.upload_help"))
    if file is None or st.session_state.get("cnn_loaded") == file.file_id:
        return
    try:
        model, _ = load_checkpoint(io.BytesIO(file.getvalue()))
    except CheckpointError as error:
        st.error(t("cnn.checkpoint_error." + error.code), icon="🧾")
        return
    session_job().adopt(model)
    st.session_state["cnn_loaded"] = file.file_id


def start_training(model, dataset, config: TrainConfig) -> None:
    """The Start button's callback (buttons act through callbacks, before the page runs again)."""
    if config.batch_size > len(dataset.y_train):
        st.session_state["cnn_notice"] = ("cnn.batch_too_big", len(dataset.y_train))
    elif not session_job().start(model, dataset, config):
        st.session_state["cnn_notice"] = ("cnn.server_full", MAX_CONCURRENT_TRAININGS)


@st.fragment(run_every=1.0)
def live_polling() -> None:
    """While the worker trains, only this part of the page re-runs, once a second; at the end the whole page does."""
    draw_live()
    if not session_job().running:
        st.rerun()


def draw_live() -> None:
    """The progress bar, the loss and accuracy curves, and the run's status."""
    snap = session_job().snapshot()
    if snap.status == "idle":
        st.info(t("cnn.idle"), icon="▶️")
        return
    history = snap.history
    if history:
        last = history[-1]
        total = last["batches_per_epoch"] * max(1, int(st.session_state.get("cnn_epochs", 8)))
        done = min(1.0, last["step"] / max(total, 1))
        eta = snap.seconds * (1 - done) / done if done > 0 else 0.0
        st.progress(done, text=t("cnn.progress", epoch=last["epoch"], loss=f"{last['loss']:.4f}",
                                 speed=f"{last['images_per_second']:.0f}", eta=f"{eta:.0f}"))
        steps = [h["step"] for h in history]
        st.plotly_chart(lines_figure(steps, {t("cnn.loss"): [h["loss"] for h in history]}, t("cnn.loss_title"),
                                     t("gd.step"), t("cnn.loss"), height=260), config=CHART, key="cnn_loss_fig")
        epochs = [h for h in history if h["test_accuracy"] is not None]
        if epochs:
            st.plotly_chart(lines_figure([h["epoch"] for h in epochs], {
                t("cnn.train_acc"): [h["train_accuracy"] for h in epochs],
                t("cnn.test_acc"): [h["test_accuracy"] for h in epochs]}, t("cnn.acc_title"), t("cnn.epoch"),
                t("cnn.accuracy"), height=260), config=CHART, key="cnn_acc_fig")
    status_box = {"running": st.info, "finished": st.success, "stopped": st.warning, "diverged": st.error,
                  "failed": st.error, "loaded": st.success}[snap.status]
    status_box(t("cnn.status." + snap.status, seconds=f"{snap.seconds:.1f}", message=snap.message))


def tile(maps: np.ndarray, columns: int = 8) -> np.ndarray:
    """``(C, H, W)`` maps side by side in rows of ``columns``, one blank (NaN) pixel between them."""
    c, h, w = maps.shape
    rows = (c + columns - 1) // columns
    mosaic = np.full((rows * (h + 1) - 1, min(c, columns) * (w + 1) - 1), np.nan)
    for n, m in enumerate(maps):
        r, k = divmod(n, columns)
        mosaic[r * (h + 1):r * (h + 1) + h, k * (w + 1):k * (w + 1) + w] = m
    return mosaic


def try_it(model, dataset, name: str) -> None:
    """Inference on a picture of the student's: what the model sees, its probabilities, its feature maps."""
    st.subheader(t("cnn.try.title"))
    st.markdown(t("cnn.try.intro"))
    controls, view = st.columns([1, 3], gap="medium")
    with controls:
        picked = image_picker("cnn", default="digit")
    if picked is None:
        return
    x, small = prepare_image(to_gray(picked.rgb), name)
    with torch.no_grad():
        probabilities = torch.softmax(model.eval()(x), dim=1)[0].numpy()
    with view:
        seen, bars = st.columns([1, 2])
        seen.plotly_chart(image_figure(small, t("cnn.try.seen", h=small.shape[0], w=small.shape[1]), kind="gray",
                                       height=260, colorbar=False), config=CHART, key="cnn_seen_fig")
        best = int(np.argmax(probabilities))
        bars.plotly_chart(bars_figure(dataset.classes, probabilities, t("cnn.try.probabilities",
                                                                         label=dataset.classes[best],
                                                                         p=f"{100 * probabilities[best]:.1f}")),
                          config=CHART, key="cnn_probs_fig")
        maps = [(layer, out[0].numpy()) for layer, out in feature_maps(model, x) if layer.endswith("_act")
                and out.dim() == 4]
        for layer, out in maps:
            st.plotly_chart(image_figure(tile(out[:16]), t("cnn.try.maps", layer=layer, c=out.shape[0],
                                                          h=out.shape[1], w=out.shape[2]), kind="auto", height=220,
                                         colorbar=False), config=CHART, key=f"cnn_maps_{layer}")


def results(dataset, config: CNNConfig) -> None:
    snap = session_job().snapshot()
    if snap.model is None or snap.status not in ("finished", "stopped", "loaded"):
        return
    model = snap.model.cpu().eval()
    try:  # a loaded model must fit this data set: same image size, same number of classes
        with torch.no_grad():
            fits = model(dataset.x_test[:2]).shape[1] == len(dataset.classes)
    except RuntimeError:
        fits = False
    if not fits:
        st.error(t("cnn.checkpoint_error.data"), icon="🧾")
        return
    scores = evaluate(model, dataset)
    st.subheader(t("cnn.results", accuracy=f"{100 * scores['accuracy']:.2f}"))
    left, right = st.columns(2)
    confusion = np.asarray(scores["confusion"], dtype=float)
    left.plotly_chart(image_figure(confusion / max(confusion.max(), 1), t("cnn.confusion"), kind="gray", height=360,
                                   colorbar=False), config=CHART, key="cnn_confusion_fig")
    first = next(m for m in model.modules() if m.__class__.__name__ == "Conv2d")
    mosaic = tile(first.weight.detach()[:, 0].numpy())
    right.plotly_chart(image_figure(mosaic, t("cnn.kernels"), kind="signed", height=360, colorbar=False),
                       config=CHART, key="cnn_kernels_fig")
    st.markdown(", ".join(f"{name}: {100 * acc:.0f}%" for name, acc in zip(dataset.classes, scores["per_class"],
                                                                              strict=True)))
    wrong = mistakes(scores, dataset)
    if wrong:
        st.markdown(t("cnn.mistakes", n=sum(r != c for r, c in zip(dataset.y_test.tolist(), scores["predicted"],
                                                                    strict=True))))
        columns = st.columns(6)
        for n, (i, true, predicted) in enumerate(wrong):
            columns[n % 6].plotly_chart(image_figure(dataset.x_test[i, 0].numpy(), t(
                "cnn.mistake", true=dataset.classes[true], predicted=dataset.classes[predicted]), kind="gray",
                height=150, colorbar=False), config=CHART, key=f"cnn_mistake_{n}")
    buffer = io.BytesIO()
    save_checkpoint(buffer, model, config)
    st.download_button(t("cnn.download"), buffer.getvalue(), file_name="cnn_checkpoint.pt",
                       mime="application/octet-stream", key="cnn_download", icon=":material/download:")
    try_it(model, dataset, st.session_state.get("cnn_data", "digits"))
