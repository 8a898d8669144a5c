"""Pictures for the image lessons (convolution, pooling, activations, depth, the trainer): safe decoding of uploads,
built-in pictures, shifting, cropping and tiling feature maps.

Every picture loaded here leaves this module as a read-only float64 array ``(H, W, 3)`` of RGB values in [0, 1]:
uploads of any Pillow mode are converted (transparent parts composited on white), turned upright by
their EXIF orientation and downscaled so that the long side is at most ``MAX_SIDE`` pixels.

The trainer's drawing pad comes back from the browser as a PNG data URL, which a student can replace with any text;
``decode_pad_data_url`` reads it through the same checks, with tighter limits of its own.
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
import operator
import struct
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError
from sklearn.datasets import load_digits, load_sample_image

MAX_SIDE = 512
"""Long side, in pixels, that every image is downscaled to at most."""

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
"""Largest upload accepted: 10 MB, as ``maxUploadSize = 10`` in ``.streamlit/config.toml``."""

MAX_PIXELS = 40_000_000
"""Largest ``width * height`` decoded; bigger images are refused before any pixel is decompressed."""

FORMATS: frozenset[str] = frozenset({"PNG", "JPEG", "MPO", "WEBP", "BMP"})
"""Pillow format names accepted (MPO is the multi-picture JPEG that many phone cameras write)."""

ERROR_CODES: tuple[str, ...] = ("empty", "too_big_file", "not_image", "unsupported_format", "decompression_bomb",
                                "corrupt")
"""Every ``ImageError.code``, stable strings that the UI translates."""

PAD_SIDE = 280
"""Width and height, in CSS pixels, of the trainer's drawing pad."""

PAD_MAX_SCALE = 4
"""A pad PNG may be the pad's size times 1, 2, 3 or 4 (a canvas drawn at a device-pixel ratio); larger is refused."""

PAD_MAX_DATA_URL = 2 * 1024 * 1024
"""Longest pad data URL read, in characters, checked before any base64 decoding. A 280 x 280 RGBA PNG holds 313,600
bytes of pixels: even stored uncompressed it is under 320 KB, about 430 KB in base64. Strokes on a flat background
compress to a few KB at any scale, so 2 MB leaves room for every real drawing and nothing for a large payload."""

PAD_DATA_URL_PREFIX = "data:image/png;base64,"
"""How every pad data URL starts (the canvas sends ``toDataURL("image/png")``)."""

_PAD_MODES = frozenset({"1", "L", "LA", "P", "PA", "RGB", "RGBA"})
"""8-bit PNG modes a pad drawing may come in (the browser sends RGBA)."""

_SIXTEEN_BIT = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N"})
_REDUCING_GAP = 3.0  # Image.resize's reducing_gap, as every downscale here uses it
_TILE = 1024  # side, in pixels, of the tiles a 16-bit image is converted in
# Everything a damaged file can make a Pillow decoder raise (MemoryError deliberately not among them).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, struct.error,
                  zlib.error)


class ImageError(ValueError):
    """An upload that cannot be shown; ``code`` (one of ``ERROR_CODES``) says why, the message says it in English."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """A decoded upload: ``pixels`` RGB in [0, 1], plus what was done to get there."""

    pixels: np.ndarray
    original_size: tuple[int, int]
    downscaled: bool
    source_mode: str
    converted: bool


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """``(w, h)`` scaled by ``max_side / max(w, h)`` when that is below 1, else unchanged."""
    w, h = size
    s = max_side / max(w, h)
    return (w, h) if s >= 1 else (max(1, round(w * s)), max(1, round(h * s)))


def _read_only(x: np.ndarray) -> np.ndarray:
    """``x`` with its write flag cleared, so cached arrays cannot be changed by a caller."""
    x.flags.writeable = False
    return x


def _open(data: bytes) -> Image.Image:
    """Identify ``data``, check its format and pixel count; no pixel is decoded yet."""
    try:
        img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageError("decompression_bomb", f"The image has too many pixels to decode safely ({e}).") from e
    except UnidentifiedImageError as e:
        raise ImageError("not_image", "The file is not an image that can be read.") from e
    except _DECODE_ERRORS as e:  # identified by a plugin that then failed to read the header
        raise ImageError("corrupt", f"The image file is damaged ({e}).") from e
    if img.format not in FORMATS:
        raise ImageError("unsupported_format", f"{img.format} images are not supported; use PNG, JPEG, WEBP or BMP.")
    w, h = img.size
    if w * h > MAX_PIXELS:
        raise ImageError("decompression_bomb", f"The image has {w * h} pixels, more than the limit of {MAX_PIXELS}.")
    if w < 1 or h < 1:
        raise ImageError("corrupt", f"The image claims a size of {w}x{h} pixels.")
    return img


def _grey_tiles(img: Image.Image, size: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
    """A 16-bit or float grey image as float32 in [0, 1] (a transparent grey level made white), and the factors
    ``(fx, fy)`` it was reduced by: reduced as ``Image.resize(size, reducing_gap=3.0)`` reduces it before its
    Lanczos pass, but converted tile by tile: each tile is turned into floats and reduced before the next, so no
    float copy of the whole source is ever made.

    Pillow's ``reduce`` averages separate ``fx x fy`` blocks, so reducing tiles whose sides are multiples of
    ``(fx, fy)`` and putting them side by side gives the very numbers that reducing the whole image gives."""
    w, h = img.size
    fx = int(w / size[0] / _REDUCING_GAP) or 1
    fy = int(h / size[1] / _REDUCING_GAP) or 1
    scale = 1.0 if img.mode == "F" else 65535.0  # 16-bit samples span 0..65535 ("I" is how old Pillow read them)
    t = img.info.get("transparency")
    tile_w, tile_h = fx * -(-_TILE // fx), fy * -(-_TILE // fy)
    out = np.empty((-(-h // fy), -(-w // fx)), dtype=np.float32)
    for top in range(0, h, tile_h):
        for left in range(0, w, tile_w):
            raw = np.asarray(img.crop((left, top, min(left + tile_w, w), min(top + tile_h, h))))
            g = np.clip(np.nan_to_num(raw.astype(np.float32) / scale), 0.0, 1.0)
            if isinstance(t, int):  # a grey level marked transparent (PNG tRNS): alpha 0 there, 1 elsewhere
                g = np.where(raw == t, np.float32(1.0), g)
            if (fx, fy) != (1, 1):
                g = np.asarray(Image.fromarray(g, mode="F").reduce((fx, fy)))
            out[top // fy:top // fy + g.shape[0], left // fx:left // fx + g.shape[1]] = g
    return out, (fx, fy)


def _to_rgb(img: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """Any Pillow mode as float64 RGB in [0, 1], composited on white, resized to ``size`` with Lanczos."""
    if img.mode in _SIXTEEN_BIT or img.mode == "F":
        # Shrunk before anything is float at the source's size: the extra memory is a few times the result's.
        g, (fx, fy) = _grey_tiles(img, size)
        if size != img.size:  # the Lanczos pass of Image.resize, on the box that its reduce step leaves
            w, h = img.size
            g = np.asarray(Image.fromarray(g, mode="F").resize(size, Image.Resampling.LANCZOS,
                                                               box=(0, 0, w / fx, h / fy)))
        return np.repeat(np.clip(g, 0.0, 1.0).astype(np.float64)[..., None], 3, axis=2)
    has_alpha = any(band in ("A", "a") for band in img.getbands()) or "transparency" in img.info
    img = img.convert("RGBA" if has_alpha else "RGB")  # CMYK, YCbCr, palettes, 1-bit and grey all become RGB
    if size != img.size:  # Pillow resizes RGBA premultiplied, so transparent pixels do not bleed their colour
        img = img.resize(size, Image.Resampling.LANCZOS, reducing_gap=_REDUCING_GAP)
    x = np.asarray(img, dtype=np.float64) / 255.0
    if not has_alpha:
        return x
    rgb, a = x[..., :3], x[..., 3:]
    return rgb * a + 1.0 * (1.0 - a)  # "over" a white background


def load_image(data: bytes, max_side: int = MAX_SIDE) -> LoadedImage:
    """Decode an uploaded PNG/JPEG/WEBP/BMP into RGB in [0, 1], upright, long side at most ``max_side``."""
    if max_side < 1:
        raise ValueError(f"max_side must be >= 1, got {max_side}")
    if not data:
        raise ImageError("empty", "The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageError("too_big_file", f"The file has {len(data)} bytes, more than the limit of {MAX_UPLOAD_BYTES}.")
    with warnings.catch_warnings():
        # Pillow only warns between its own limit and twice that: make it an error here, without touching
        # Image.MAX_IMAGE_PIXELS for the rest of the process. ImageFile.LOAD_TRUNCATED_IMAGES stays False.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with _open(data) as img:
            original_size, mode = img.size, img.mode
            try:
                orientation = img.getexif().get(0x0112, 1)
                target = _fit(original_size, max_side)
                if img.format in ("JPEG", "MPO") and target != original_size:
                    img.draft(None, target)  # decode the JPEG at 1/2, 1/4 or 1/8 scale when that still covers target
                upright = ImageOps.exif_transpose(img)
                if orientation in (5, 6, 7, 8):  # these orientations turn the picture a quarter turn
                    target = target[::-1]
                pixels = _to_rgb(upright, target)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
                raise ImageError("decompression_bomb", f"The image has too many pixels to decode ({e}).") from e
            except _DECODE_ERRORS as e:
                raise ImageError("corrupt", f"The image file is damaged or truncated ({e}).") from e
    return LoadedImage(
        pixels=_read_only(np.ascontiguousarray(pixels, dtype=np.float64)),
        original_size=original_size,
        downscaled=max(original_size) > max_side,
        source_mode=mode,
        converted=mode not in ("RGB", "L"),
    )


def decode_pad_data_url(text: str, width: int = PAD_SIDE, height: int = PAD_SIDE) -> np.ndarray:
    """The drawing pad's PNG data URL as grey ``(height, width)`` float64 in [0, 1]: luma times alpha, so white ink
    on a black or transparent pad is 1 on 0. A PNG of ``k`` times the pad's size (``k`` up to ``PAD_MAX_SCALE``) is
    averaged over ``k x k`` blocks. The browser controls the text, so everything is checked before it costs
    anything: its length before base64 decoding, then PNG only, then the pixel count and the size before any pixel
    is decompressed. Raises ``ImageError`` (its ``code`` one of ``ERROR_CODES``)."""
    if not isinstance(text, str):
        raise ImageError("not_image", f"The drawing is a {type(text).__name__}, not a data URL.")
    if len(text) > PAD_MAX_DATA_URL:
        raise ImageError("too_big_file", f"The drawing has {len(text)} characters, more than the limit of "
                                         f"{PAD_MAX_DATA_URL}.")
    if not text.startswith(PAD_DATA_URL_PREFIX):
        raise ImageError("unsupported_format" if text.startswith("data:") else "not_image",
                         f"The drawing is not a {PAD_DATA_URL_PREFIX} data URL.")
    try:
        data = base64.b64decode(text[len(PAD_DATA_URL_PREFIX):], validate=True)
    except (binascii.Error, ValueError) as e:  # ValueError: characters outside ASCII
        raise ImageError("corrupt", f"The drawing is not valid base64 ({e}).") from e
    if not data:
        raise ImageError("empty", "The drawing is empty.")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with _open(data) as img:
            if img.format != "PNG":
                raise ImageError("unsupported_format", f"The drawing holds a {img.format} image, not a PNG.")
            w, h = img.size
            k = w // width
            if w > PAD_MAX_SCALE * width or h > PAD_MAX_SCALE * height:
                raise ImageError("decompression_bomb", f"The drawing is {w}x{h} pixels, more than {PAD_MAX_SCALE} "
                                                       f"times the pad's {width}x{height}.")
            if k < 1 or (w, h) != (k * width, k * height):
                raise ImageError("corrupt", f"The drawing is {w}x{h} pixels, not the pad's {width}x{height} "
                                            f"(or a multiple of it).")
            if img.mode not in _PAD_MODES:
                raise ImageError("unsupported_format", f"The drawing is a {img.mode} PNG, not an 8-bit one.")
            try:
                rgba = np.asarray(img.convert("RGBA"), dtype=np.float64) / 255.0
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
                raise ImageError("decompression_bomb", f"The drawing has too many pixels to decode ({e}).") from e
            except _DECODE_ERRORS as e:
                raise ImageError("corrupt", f"The drawing is damaged or truncated ({e}).") from e
    gray = to_gray(rgba[..., :3]) * rgba[..., 3]
    return gray.reshape(height, k, width, k).mean(axis=(1, 3)) if k > 1 else gray


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """Luma ``0.299 R + 0.587 G + 0.114 B`` (ITU-R 601, as Pillow's mode "L"), float64 ``(H, W)``."""
    rgb = np.asarray(rgb, dtype=np.float64)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) array, got shape {rgb.shape}")
    return rgb @ np.array([0.299, 0.587, 0.114])


# ---- built-in images ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltinImage:
    """A picture that ships with the app: ``load()`` returns read-only float64 RGB ``(H, W, 3)`` in [0, 1]."""

    load: Callable[[], np.ndarray]
    description: str
    source: str


def _from_uint8(x: np.ndarray) -> np.ndarray:
    """uint8 RGB ``(H, W, 3)`` or grey ``(H, W)`` as read-only float64 RGB in [0, 1]."""
    x = np.asarray(x, dtype=np.float64) / 255.0
    return _read_only(np.repeat(x[..., None], 3, axis=2) if x.ndim == 2 else x)


@functools.cache
def _sample_photo(name: str) -> np.ndarray:
    """One of scikit-learn's two sample photos (640x427), downscaled to ``MAX_SIDE`` with Lanczos."""
    img = Image.fromarray(load_sample_image(name))
    return _from_uint8(np.asarray(img.resize(_fit(img.size, MAX_SIDE), Image.Resampling.LANCZOS)))


@functools.cache
def _digit() -> np.ndarray:
    """The handwritten "3" at index 13 of scikit-learn's 8x8 digits, white ink on black, 16x nearest -> 128x128."""
    x = load_digits().images[13] / 16.0  # the scans count ink from 0 to 16
    x = np.repeat(np.repeat(x, 16, axis=0), 16, axis=1)  # nearest neighbour: the 8x8 grid stays visible
    return _read_only(np.repeat(x[..., None], 3, axis=2))


@functools.cache
def _checkerboard() -> np.ndarray:
    """128x128 black and white squares of 16 px, white in the top-left corner."""
    i, j = np.indices((128, 128))
    x = ((i // 16 + j // 16) % 2 == 0).astype(np.float64)
    return _read_only(np.repeat(x[..., None], 3, axis=2))


@functools.cache
def _shapes() -> np.ndarray:
    """192x192 white canvas: red disc, blue square, green triangle, black horizontal/vertical/diagonal lines."""
    img = Image.new("RGB", (192, 192), "white")
    draw = ImageDraw.Draw(img)
    draw.ellipse((16, 16, 88, 88), fill=(220, 30, 30))
    draw.rectangle((104, 16, 176, 88), fill=(30, 60, 200))
    draw.polygon([(52, 104), (16, 176), (88, 176)], fill=(30, 160, 60))
    draw.line((104, 112, 176, 112), fill="black", width=3)
    draw.line((112, 128, 112, 176), fill="black", width=3)
    draw.line((128, 176, 176, 128), fill="black", width=3)
    return _from_uint8(np.asarray(img))


def _default_font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's built-in font at ``size`` px (Pillow >= 10.1 with FreeType), else its small bitmap font."""
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, ImportError, OSError):  # older Pillow, or no FreeType: only the bitmap font exists
        return ImageFont.load_default()


@functools.cache
def _text(word: str = "CNN", height: int = 96, width: int = 256, margin: int = 12) -> np.ndarray:
    """``word`` in black on white, Pillow's default font scaled to fill a ``height x width`` canvas."""
    font = _default_font(64)
    left, top, right, bottom = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), word, font=font)
    glyphs = Image.new("L", (right - left, bottom - top), 255)
    ImageDraw.Draw(glyphs).text((-left, -top), word, fill=0, font=font)
    s = min((width - 2 * margin) / glyphs.width, (height - 2 * margin) / glyphs.height)
    glyphs = glyphs.resize((round(glyphs.width * s), round(glyphs.height * s)), Image.Resampling.NEAREST)
    canvas = Image.new("L", (width, height), 255)
    canvas.paste(glyphs, ((width - glyphs.width) // 2, (height - glyphs.height) // 2))
    return _from_uint8(np.asarray(canvas))


_SKLEARN_PHOTO = "scikit-learn sample image {}, photo by {} on Flickr, licence CC BY 2.0"


@functools.cache
def _cat() -> np.ndarray:
    """Chelsea the cat, scikit-image's sample photo (451x300), as it ships it."""
    from skimage.data import chelsea

    return _from_uint8(chelsea())


BUILTIN_IMAGES: dict[str, BuiltinImage] = {
    "photo": BuiltinImage(functools.partial(_sample_photo, "china.jpg"),
                          "A photo of a Chinese pagoda above a lake, among trees (512x342).",
                          _SKLEARN_PHOTO.format("china.jpg", "danielbuechele")),
    "flower": BuiltinImage(functools.partial(_sample_photo, "flower.jpg"),
                           "A close-up photo of an orange dahlia on dark leaves (512x342).",
                           _SKLEARN_PHOTO.format("flower.jpg", "vultilion")),
    "cat": BuiltinImage(_cat, "A photo of a tabby cat's face, close up (451x300).",
                        "scikit-image sample image chelsea, photo by Stefan van der Walt, CC0"),
    "digit": BuiltinImage(_digit, "A handwritten 3 from an 8x8 scan, white on black, enlarged to 128x128.",
                          "scikit-learn load_digits (UCI optical recognition of handwritten digits), CC BY 4.0"),
    "checkerboard": BuiltinImage(_checkerboard, "A 128x128 checkerboard of 16-pixel black and white squares.",
                                 "generated by this app (public domain)"),
    "shapes": BuiltinImage(_shapes, "A disc, a square, a triangle and three lines on white (192x192).",
                           "drawn by this app with PIL.ImageDraw (public domain)"),
    "text": BuiltinImage(_text, "The word CNN in black on white (256x96).",
                         "rendered by this app with Pillow's default font (Aileron, public domain / CC0)"),
}
"""Stable name -> built-in picture; the names feed the selectbox and the URL."""


# ---- moving and cutting ------------------------------------------------------------------------------


def _spans(d: int, n: int) -> tuple[slice, slice] | None:
    """Destination and source slices that move ``n`` samples by ``d``; None when nothing stays in view."""
    if abs(d) >= n:
        return None
    return (slice(d, n), slice(0, n - d)) if d >= 0 else (slice(0, n + d), slice(-d, n))


def shift_image(x: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``out[i, j] = x[i - dy, j - dx]`` where that is inside ``x``, else 0 (down/right for positive shifts)."""
    x = np.asarray(x)
    if x.ndim not in (2, 3):
        raise ValueError(f"expected an (H, W) or (H, W, C) array, got shape {x.shape}")
    out = np.zeros_like(x)
    rows, cols = _spans(operator.index(dy), x.shape[0]), _spans(operator.index(dx), x.shape[1])
    if rows is not None and cols is not None:
        out[rows[0], cols[0]] = x[rows[1], cols[1]]
    return out


def crop_patch(x: np.ndarray, top: int, left: int, size: int) -> np.ndarray:
    """``x[top:top+size, left:left+size]`` clipped to the image (a copy); ValueError if nothing is left."""
    x = np.asarray(x)
    if x.ndim not in (2, 3):
        raise ValueError(f"expected an (H, W) or (H, W, C) array, got shape {x.shape}")
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    r0, r1 = max(top, 0), min(top + size, x.shape[0])
    c0, c1 = max(left, 0), min(left + size, x.shape[1])
    if r0 >= r1 or c0 >= c1:
        raise ValueError(f"the {size}x{size} patch at ({top}, {left}) lies outside the {x.shape[0]}x{x.shape[1]} image")
    return x[r0:r1, c0:c1].copy()


def mosaic(maps: np.ndarray, columns: int = 8) -> np.ndarray:
    """``(C, H, W)`` maps side by side, in rows of ``columns`` (fewer when ``C < columns``), with one blank (NaN)
    pixel between them: map ``n`` fills rows ``r(H + 1) .. r(H + 1) + H - 1`` and columns ``k(W + 1) ..`` for
    ``(r, k) = divmod(n, columns)``. Float64, shape ``(rows(H + 1) - 1, columns(W + 1) - 1)``."""
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim != 3 or 0 in maps.shape or columns < 1:
        raise ValueError(f"mosaic takes (C, H, W) maps with no empty axis and columns >= 1; got shape {maps.shape}, "
                         f"columns={columns}")
    c, h, w = maps.shape
    columns = min(c, columns)
    rows = -(-c // columns)
    cells = np.full((rows * columns, h + 1, w + 1), np.nan)
    cells[:c, :h, :w] = maps
    grid = cells.reshape(rows, columns, h + 1, w + 1).transpose(0, 2, 1, 3).reshape(rows * (h + 1), columns * (w + 1))
    return grid[:-1, :-1]
