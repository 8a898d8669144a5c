"""The trainer's set-up controls: the network (block by block, or a dense-only MLP), the training settings, and the
table of layers. Every control is in the URL: a conv block travels as one parameter ``b1=16-3-relu-max-bn``."""

from __future__ import annotations

import dataclasses

import streamlit as st

from core.block_text import format_block, parse_block
from core.model_inside import config_summary
from core.models import POOLINGS, CNNConfig, ConvBlock, MLPConfig
from core.setup_limits import SETUP
from core.train import OPTIMIZERS, TrainConfig
from ui.shell.i18n import filler, t, translator
from ui.shell.modes import more_controls
from ui.shell.url_state import (
    Choice,
    Flag,
    Number,
    Text,
    UrlParam,
    url_choice,
    url_rows,
    url_slider,
    url_toggle,
    url_value,
)
from ui.widgets.row_editor import Field, row_editor

KINDS = ("cnn", "mlp")
# What the set-up offers is what a checkpoint may describe too (core.setup_limits.SETUP): one list for both.
ACTIVATIONS = SETUP.activations
CHANNELS = SETUP.channels
KERNELS = SETUP.kernels
MAX_BLOCKS = SETUP.max_blocks
DENSE = SETUP.dense
WIDTHS = SETUP.widths
DROPOUTS = SETUP.dropouts
LRS = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 1.0, 10.0)
BATCHES = (16, 32, 64, 128, 256)
SETUP_LINK = {"model": Choice(KINDS), "blocks": Number(1, MAX_BLOCKS, whole=True),
              **{f"b{i}": Text(40) for i in range(1, MAX_BLOCKS + 1)}, "gpool": Choice(POOLINGS),
              "dense": Choice(DENSE), "drop": Choice(DROPOUTS),
              "layers": Number(1, SETUP.max_hidden_layers, whole=True), "width": Choice(WIDTHS),
              "act": Choice(ACTIVATIONS), "opt": Choice(OPTIMIZERS), "epochs": Number(1, 30, whole=True),
              "lr": Choice(LRS), "batch": Choice(BATCHES), "aug": Flag()}
"""What the set-up reads from a link (``b1`` … ``b6``: one conv block each, as ``16-3-relu-max-bn``)."""


def default_block(i: int) -> ConvBlock:
    """Block ``i`` (1-based) as it first appears: channels doubling from 16, pooled while the image is large."""
    return ConvBlock(min(16 * 2 ** (i - 1), 128), 3, "relu", "max" if i <= 3 else "none", True)


def _block_decoder(text: str) -> ConvBlock:
    block = parse_block(text)
    if not SETUP.admits_block(block):
        raise ValueError(f"{text!r} is not one of this page's choices")
    return block


def block_param(i: int) -> UrlParam[str]:
    """Block ``i``'s link parameter, ``b<i>=16-3-relu-max-bn``, kept in the session as that text (checked)."""
    return UrlParam(key=f"cnn_trainer_b{i}", name=f"b{i}", default=format_block(default_block(i)),
                    decode=lambda text: format_block(_block_decoder(text)), encode=str, accepts=SETUP_LINK[f"b{i}"])


def block_fields() -> list[Field]:
    """The columns of the blocks' table, in the page's language: channels, kernel, activation, pooling, batch norm."""
    activation, pooling = translator("common.activation."), translator("cnn_trainer.poolings.")
    return [Field("channels", t("cnn_trainer.column.channels"), CHANNELS,
                  tuple(map(filler("cnn_trainer.channels_n", "n"), CHANNELS))),
            Field("kernel", t("cnn_trainer.column.kernel"), KERNELS, tuple(f"{k}×{k}" for k in KERNELS)),
            Field("activation", t("cnn_trainer.column.activation"), ACTIVATIONS, tuple(map(activation, ACTIVATIONS))),
            Field("pooling", t("cnn_trainer.column.pooling"), POOLINGS, tuple(map(pooling, POOLINGS))),
            Field("batch_norm", t("cnn_trainer.column.batch_norm"))]


def edit_block(row: int, field: str, value: object) -> None:
    """The table's edit (checked by ``ui.widgets.row_editor.edit_of``): block ``row + 1`` with ``field`` changed."""
    key = block_param(row + 1).key
    st.session_state[key] = format_block(dataclasses.replace(parse_block(st.session_state[key]), **{field: value}))


def cnn_controls() -> tuple[tuple[ConvBlock, ...], str, tuple[int, ...], float]:
    """The conv blocks (a table: one row per block), then the head: global pooling?, a dense layer, dropout."""
    n = url_slider(t("cnn_trainer.blocks"), key="cnn_trainer_blocks", name="blocks", min_value=1, max_value=MAX_BLOCKS,
                   default=2)
    blocks = tuple(parse_block(text) for text in url_rows("b", n, MAX_BLOCKS,  # blocks removed leave the link
                                                          lambda i: url_value(block_param(i))))
    row_editor("cnn_trainer_block_table", block_fields(), [dataclasses.asdict(block) for block in blocks],
               [t("cnn_trainer.block_n", i=i) for i in range(1, n + 1)], edit_block)
    with more_controls(nested=True):  # the head: a button's popover is narrow, so one control a line
        global_pool = url_choice(st.selectbox, t("cnn_trainer.global_pool"), POOLINGS, key="cnn_trainer_gpool",
                                 name="gpool", default="none", format_func=translator("cnn_trainer.global_pools."))
        dense = url_choice(st.select_slider, t("cnn_trainer.dense"), DENSE, key="cnn_trainer_dense", name="dense",
                           default=64)
        dropout = url_choice(st.select_slider, t("cnn_trainer.dropout"), DROPOUTS, key="cnn_trainer_drop",
                             name="drop", default=0.1)
    return blocks, global_pool, (dense,) if dense else (), dropout


def mlp_controls() -> tuple[tuple[int, ...], float, str]:
    """A dense-only network: how many hidden layers, how wide, which activation."""
    left, right = st.columns(2)
    with left:
        layers = url_slider(t("cnn_trainer.hidden_layers"), key="cnn_trainer_layers", name="layers", min_value=1,
                            max_value=SETUP.max_hidden_layers,
                            default=1)
        width = url_choice(st.select_slider, t("cnn_trainer.width"), WIDTHS, key="cnn_trainer_width", name="width",
                           default=128)
    with right, more_controls(nested=True):
        activation = url_choice(st.selectbox, t("cnn_trainer.activation"), ACTIVATIONS, key="cnn_trainer_act",
                                name="act", default="relu", format_func=translator("common.activation."))
        dropout = url_choice(st.select_slider, t("cnn_trainer.dropout"), DROPOUTS, key="cnn_trainer_drop",
                             name="drop", default=0.0)
    return (width,) * layers, dropout, activation


def model_controls(input_shape: tuple[int, int, int], classes: int) -> CNNConfig | MLPConfig:
    """The network the student builds, for images of ``input_shape`` and ``classes`` classes."""
    kind = url_choice(st.segmented_control, t("cnn_trainer.kind"), KINDS, key="cnn_trainer_kind", name="model",
                      default="cnn",
                      format_func=translator("cnn_trainer.kinds."))
    if kind == "mlp":
        hidden, dropout, activation = mlp_controls()
        return MLPConfig(hidden=hidden, activation=activation, dropout=dropout, input_shape=input_shape,
                         classes=classes)
    blocks, global_pool, dense, dropout = cnn_controls()
    return CNNConfig(blocks=blocks, global_pool=global_pool, dense=dense, activation=blocks[-1].activation,
                     dropout=dropout, input_shape=input_shape, classes=classes)


AUGMENTED = ("digits",)
"""Data sets trained with augmentation unless the student turns it off: the offline digits, 1,437 scans of one
group of writers, from which a drawing on the pad is read far better with it (``python bench/handwriting.py``)."""


def train_controls(dataset: str) -> TrainConfig:
    """Optimizer, learning rate, epochs and batch size, two per row; then augmentation, on for ``AUGMENTED``."""
    left, right = st.columns(2)
    with left:
        epochs = url_slider(t("cnn_trainer.epochs"), key="cnn_trainer_epochs", name="epochs", min_value=1,
                            max_value=30, default=8)
    with right:
        lr = url_choice(st.select_slider, t("common.lr"), LRS, key="cnn_trainer_lr", name="lr", default=0.003)
    with more_controls(nested=True):
        augment = url_toggle(t("cnn_trainer.augment"), key="cnn_trainer_augment", name="aug",
                             default=dataset in AUGMENTED, help=t("cnn_trainer.augment_help"))
        optimizer = url_choice(st.selectbox, t("cnn_trainer.optimizer"), OPTIMIZERS, key="cnn_trainer_opt", name="opt",
                               default="adam", format_func=translator("common.optimizer."))
        batch = url_choice(st.select_slider, t("cnn_trainer.batch"), BATCHES, key="cnn_trainer_batch", name="batch",
                           default=64)
    return TrainConfig(optimizer=optimizer, lr=lr, epochs=epochs, batch_size=batch, augment=augment)


def summary_table(config) -> tuple[dict[str, list], int, int]:
    """The layer table of ``config``'s network (translated column names) and the totals: weights, multiply-adds per
    image."""
    rows = config_summary(config)
    columns = {t("cnn_trainer.table." + c): [] for c in ("name", "type", "shape", "params", "mult_adds")}
    for row in rows:
        for column, value in zip(columns, (row["name"], row["type"], "×".join(map(str, row["output_shape"])),
                                           f"{row['params']:,}", f"{row['mult_adds']:,}"), strict=True):
            columns[column].append(value)
    return columns, sum(r["params"] for r in rows), sum(r["mult_adds"] for r in rows)
