"""Picking an image: the built-in ones, or an upload checked by ``core.images.load_image``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from core.images import BUILTIN_IMAGES, MAX_SIDE, ImageError, load_image
from ui.shell.i18n import t, translator
from ui.shell.url_state import Choice, url_choice

UPLOAD = "upload"
UPLOAD_TYPES = ["png", "jpg", "jpeg", "webp", "bmp"]
IMAGE_LINK = {"image": Choice([*BUILTIN_IMAGES, UPLOAD])}
"""What ``image_picker`` reads from a link (a lesson that uses it puts this into its ``LINK``)."""


@dataclass(frozen=True)
class PickedImage:
    rgb: np.ndarray  # (H, W, 3) float64 in [0, 1]
    name: str  # a BUILTIN_IMAGES key, or "upload"


def show_image_error(error: ImageError, code: str | None = None) -> None:
    """Why a picture cannot be shown, in the student's language (``code`` overrides ``error.code``)."""
    st.error(t("image.error." + (code or error.code), max_side=MAX_SIDE), icon="🖼️")


@st.cache_data(max_entries=16, show_spinner=False)
def _load_upload(data: bytes):
    return load_image(data)


def image_picker(key: str, default: str = "photo") -> PickedImage | None:
    """A built-in image or an upload; problems with an upload are explained, and None is returned."""
    name = url_choice(st.selectbox, t("image.source"), [*BUILTIN_IMAGES, UPLOAD], key=f"{key}_image", name="image",
                      default=default, format_func=translator("image.name."))
    if name != UPLOAD:
        return PickedImage(BUILTIN_IMAGES[name].load(), name)
    file = st.file_uploader(t("image.upload"), type=UPLOAD_TYPES, key=f"{key}_upload", help=t("image.upload_help"))
    if file is None:
        st.info(t("image.upload_hint"), icon=":material/upload:")
        return None
    try:
        loaded = _load_upload(file.getvalue())
    except ImageError as error:
        show_image_error(error)
        return None
    if loaded.downscaled:
        width, height = loaded.original_size
        st.caption(t("image.downscaled", width=width, height=height, side=MAX_SIDE))
    if loaded.converted:
        st.caption(t("image.converted", mode=loaded.source_mode))
    return PickedImage(loaded.pixels, UPLOAD)
