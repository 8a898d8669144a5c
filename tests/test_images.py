"""core.images: every upload is decoded safely and exactly; built-ins, shifts and crops against plain NumPy."""

import io
import struct
import tracemalloc
import warnings
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from core import images
from core.images import (
    BUILTIN_IMAGES,
    ERROR_CODES,
    MAX_PIXELS,
    MAX_SIDE,
    MAX_UPLOAD_BYTES,
    ImageError,
    LoadedImage,
    crop_patch,
    load_image,
    shift_image,
    to_gray,
)

PILLOW_LIMIT = Image.MAX_IMAGE_PIXELS
RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (5, 7, 3), dtype=np.uint8)


def encode(img: Image.Image, fmt: str = "PNG", **params) -> bytes:
    """``img`` saved in memory as ``fmt``."""
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def png_header(w: int, h: int) -> bytes:
    """A 1-bit grey PNG that claims ``w x h`` pixels but carries only a few bytes of pixel data."""
    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))
    ihdr = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def error_code(data: bytes, **kwargs) -> str:
    """The ``code`` of the ImageError that ``load_image(data)`` raises."""
    with pytest.raises(ImageError) as info:
        load_image(data, **kwargs)
    assert isinstance(info.value, ValueError) and str(info.value)
    assert info.value.code in ERROR_CODES
    return info.value.code


def over_white(rgb: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Straight-alpha "over" onto white, in float64."""
    return rgb * a + (1.0 - a)


# ---- every Pillow mode ------------------------------------------------------------------------------


def test_rgb_png_is_exact_and_not_converted():
    out = load_image(encode(Image.fromarray(RGB)))
    assert isinstance(out, LoadedImage)
    assert out.pixels.dtype == np.float64 and out.pixels.shape == (5, 7, 3)
    np.testing.assert_array_equal(out.pixels, RGB / 255.0)
    assert (out.original_size, out.downscaled, out.source_mode, out.converted) == ((7, 5), False, "RGB", False)
    assert not out.pixels.flags.writeable


def test_grey_and_one_bit_are_replicated_to_three_channels():
    g = RGB[..., 0]
    out = load_image(encode(Image.fromarray(g)))
    assert (out.source_mode, out.converted) == ("L", False)
    np.testing.assert_array_equal(out.pixels, np.repeat(g[..., None] / 255.0, 3, axis=2))
    bits = g > 127
    out = load_image(encode(Image.fromarray(bits)))
    assert (out.source_mode, out.converted) == ("1", True)
    np.testing.assert_array_equal(out.pixels, np.repeat(bits[..., None], 3, axis=2).astype(float))


def test_palette_with_transparent_index_is_composited_on_white():
    palette = np.array([[0, 0, 0], [255, 0, 0], [0, 128, 255]], dtype=np.uint8)
    index = np.array([[0, 1, 2], [2, 1, 0]], dtype=np.uint8)
    img = Image.fromarray(index, mode="L").convert("P")
    img.putpalette(palette.ravel().tolist())
    out = load_image(encode(img, transparency=0))
    assert (out.source_mode, out.converted) == ("P", True)
    expected = palette[index] / 255.0
    expected[index == 0] = 1.0  # index 0 is transparent: the white background shows
    np.testing.assert_array_equal(out.pixels, expected)
    np.testing.assert_array_equal(load_image(encode(img)).pixels, palette[index] / 255.0)  # opaque palette


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_alpha_is_composited_on_white_alpha_weighted(mode):
    a = RNG.integers(0, 256, (5, 7), dtype=np.uint8)
    colour = RGB if mode == "RGBA" else np.repeat(RGB[..., :1], 3, axis=2)
    bands = np.dstack([RGB, a]) if mode == "RGBA" else np.dstack([RGB[..., 0], a])
    out = load_image(encode(Image.fromarray(bands, mode=mode)))
    assert (out.source_mode, out.converted) == (mode, True)
    np.testing.assert_allclose(out.pixels, over_white(colour / 255.0, a[..., None] / 255.0), atol=1e-12)
    assert out.pixels.min() >= 0.0 and out.pixels.max() <= 1.0


def test_grey_with_transparent_level_is_white_there():
    g = np.array([[5, 200], [5, 7]], dtype=np.uint8)
    out = load_image(encode(Image.fromarray(g), transparency=5))
    expected = np.where(g == 5, 1.0, g / 255.0)
    np.testing.assert_array_equal(out.pixels, np.repeat(expected[..., None], 3, axis=2))


def test_cmyk_jpeg_is_converted_like_pillow():
    cmyk = Image.new("CMYK", (16, 8), (255, 0, 0, 0))  # pure cyan ink
    data = encode(cmyk, "JPEG", quality=95)
    out = load_image(data)
    assert (out.source_mode, out.converted) == ("CMYK", True)
    np.testing.assert_array_equal(out.pixels, np.asarray(Image.open(io.BytesIO(data)).convert("RGB")) / 255.0)
    np.testing.assert_allclose(out.pixels, np.broadcast_to([0.0, 1.0, 1.0], (8, 16, 3)), atol=3 / 255)


def test_sixteen_bit_png_is_scaled_by_its_full_range():
    raw = np.array([[0, 16384, 32768], [49152, 65535, 1]], dtype=np.uint16)
    out = load_image(encode(Image.fromarray(raw)))
    assert out.source_mode.startswith("I;16") and out.converted
    expected = np.array([[0.0, 0.25, 0.5], [0.75, 1.0, 0.0]])
    np.testing.assert_allclose(out.pixels, np.repeat(expected[..., None], 3, axis=2), atol=1e-4)
    np.testing.assert_allclose(out.pixels[..., 0], raw / 65535.0, atol=1e-6)


def test_sixteen_bit_downscale_keeps_the_range():
    raw = np.full((600, 1000), 32768, dtype=np.uint16)
    out = load_image(encode(Image.fromarray(raw)), max_side=100)
    assert out.pixels.shape == (60, 100, 3) and out.downscaled
    np.testing.assert_allclose(out.pixels, 0.5, atol=1e-4)


def float_then_resize(data: bytes, max_side: int = MAX_SIDE) -> np.ndarray:
    """How a 16-bit grey PNG was read before it was shrunk first: the whole picture as float32 in [0, 1] (a
    transparent grey level white), then ``Image.resize`` with Lanczos and ``reducing_gap=3.0``; grey ``(H, W)``."""
    img = Image.open(io.BytesIO(data))
    raw = np.asarray(img)
    g = np.clip(raw.astype(np.float32) / 65535.0, 0.0, 1.0)
    if isinstance(img.info.get("transparency"), int):
        g = np.where(raw == img.info["transparency"], np.float32(1.0), g)
    w, h = img.size
    s = max_side / max(w, h)
    size = (w, h) if s >= 1 else (max(1, round(w * s)), max(1, round(h * s)))
    if size != img.size:
        g = np.asarray(Image.fromarray(g, mode="F").resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0))
    return np.clip(g, 0.0, 1.0).astype(np.float64)


def sixteen_bit(w: int, h: int, noise: bool = True) -> np.ndarray:
    """A 16-bit picture with a gradient, a bright block, dark lines and (unless told) noise in every fifth column:
    something for Lanczos to ring on."""
    a = np.repeat((np.arange(w) * 65535 // max(w - 1, 1)).astype(np.uint16)[None], h, axis=0)
    a[h // 4:h // 2, w // 4:w // 2] = 60_000
    a[::97] = 1_000
    if noise:
        a[:, ::5] = np.random.default_rng(0).integers(0, 65536, (h, -(-w // 5)), dtype=np.uint16)
    return a


@pytest.mark.parametrize(("w", "h", "max_side"), [(2500, 1100, MAX_SIDE), (3001, 7, MAX_SIDE), (700, 2999, 300),
                                                  (1537, 1100, MAX_SIDE), (2049, 2049, 97), (1030, 1030, 1),
                                                  (600, 500, MAX_SIDE)])
@pytest.mark.parametrize("transparent", [False, True])
def test_sixteen_bit_shrunk_in_tiles_is_what_the_whole_picture_gives(w, h, max_side, transparent):
    """Converted and reduced tile by tile (tiles of 1024 px, reduce factors 1 to 30, odd edges), the numbers are the
    ones that converting the whole picture to floats and resizing it gives."""
    raw = sixteen_bit(w, h)
    data = encode(Image.fromarray(raw), transparency=int(raw[0, 1])) if transparent else encode(Image.fromarray(raw))
    out = load_image(data, max_side=max_side)
    expected = float_then_resize(data, max_side)
    assert out.pixels.shape == (*expected.shape, 3)
    np.testing.assert_allclose(out.pixels, np.repeat(expected[..., None], 3, axis=2), rtol=0, atol=1e-6)


def test_a_large_sixteen_bit_png_is_shrunk_before_it_becomes_floats():
    """4000 x 3000 16-bit, 40 KB of PNG: converting all of it to floats first (as before) peaked at 180 MB traced,
    38 times the 4.7 MB result; shrunk tile by tile it is 29 MB. Numbers within 1/255 of the old way's."""
    raw = sixteen_bit(4000, 3000, noise=False)
    data = encode(Image.fromarray(raw))
    assert len(data) < 100_000
    load_image(encode(Image.fromarray(raw[:300, :400])))  # Pillow's plugins and caches, outside the measure
    tracemalloc.start()
    try:
        out = load_image(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.pixels.shape == (384, 512, 3) and out.downscaled and out.source_mode.startswith("I;16")
    np.testing.assert_allclose(out.pixels[..., 0], float_then_resize(data), rtol=0, atol=1 / 255)
    assert peak < 5 * out.pixels.nbytes + 32 * 2**20, f"{peak / 2**20:.0f} MiB"


def test_eight_bit_downscale_is_pillows_resize_exactly():
    """8-bit pictures are converted and shrunk by Pillow before they become floats: the same numbers as ever."""
    grey = (sixteen_bit(1500, 1000) >> 8).astype(np.uint8)
    rgb = Image.fromarray(np.dstack([grey, grey[::-1], grey[:, ::-1]]))
    rgba = rgb.copy()
    rgba.putalpha(Image.fromarray(RNG.integers(0, 256, (1000, 1500), dtype=np.uint8)))
    for img in (rgb, rgb.convert("L"), rgba):
        out = load_image(encode(img))
        shrunk = img.convert("RGBA" if img.mode == "RGBA" else "RGB").resize((512, 341), Image.Resampling.LANCZOS,
                                                                              reducing_gap=3.0)
        x = np.asarray(shrunk, dtype=np.float64) / 255.0
        expected = over_white(x[..., :3], x[..., 3:]) if img.mode == "RGBA" else x
        np.testing.assert_array_equal(out.pixels, expected)


def test_modes_no_accepted_format_writes_in_this_pillow():
    """Old Pillow read 16-bit PNG as "I"; "F" is clipped to [0, 1]; "PA" and "CMYK" go through convert."""
    size = (3, 2)
    i32 = Image.fromarray(np.array([[0, 32768, 65535], [70000, -5, 1]], dtype=np.int32), mode="I")
    np.testing.assert_allclose(images._to_rgb(i32, size)[..., 0], [[0, 32768 / 65535, 1], [1, 0, 1 / 65535]], atol=1e-6)
    f = Image.fromarray(np.array([[-1, 0.25, 2], [0.5, np.nan, 1]], dtype=np.float32), mode="F")
    np.testing.assert_allclose(images._to_rgb(f, size)[..., 1], [[0, 0.25, 1], [0.5, 0, 1]])
    pa = Image.new("PA", size)
    np.testing.assert_array_equal(images._to_rgb(pa, size), np.ones((2, 3, 3)))  # fully transparent: white
    cmyk = Image.new("CMYK", size, (0, 0, 0, 255))
    np.testing.assert_array_equal(images._to_rgb(cmyk, size), np.zeros((2, 3, 3)))  # full black ink


# ---- formats and errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "tol"), [("PNG", 0), ("BMP", 0), ("JPEG", 4 / 255), ("WEBP", 4 / 255)])
def test_accepted_formats(fmt, tol):
    colour = (40, 120, 200)
    out = load_image(encode(Image.new("RGB", (24, 16), colour), fmt))
    assert out.pixels.shape == (16, 24, 3)
    np.testing.assert_allclose(out.pixels, np.broadcast_to(np.array(colour) / 255, (16, 24, 3)), atol=tol)


def test_multi_picture_jpeg_from_phones_is_accepted():
    frames = [Image.new("RGB", (24, 16), (40, 120, 200)), Image.new("RGB", (24, 16), "red")]
    data = encode(frames[0], "MPO", save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    np.testing.assert_allclose(load_image(data).pixels, np.broadcast_to(np.array([40, 120, 200]) / 255, (16, 24, 3)),
                               atol=4 / 255)


@pytest.mark.parametrize("fmt", ["GIF", "TIFF", "ICO", "PPM", "TGA"])
def test_real_images_in_other_formats_are_unsupported(fmt):
    assert error_code(encode(Image.new("RGB", (16, 16), "red"), fmt)) == "unsupported_format"


def test_empty_random_and_oversized_files():
    assert error_code(b"") == "empty"
    assert error_code(RNG.integers(0, 256, 4096, dtype=np.uint8).tobytes()) == "not_image"
    assert error_code(b"hello, this is text, not a picture") == "not_image"
    assert error_code(encode(Image.new("RGB", (4, 4))) + b"\0" * MAX_UPLOAD_BYTES) == "too_big_file"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "WEBP"])
@pytest.mark.parametrize("keep", [0.5, 0.1])
def test_truncated_files_raise_instead_of_loading_grey(fmt, keep):
    data = encode(Image.fromarray(RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8)), fmt)
    assert error_code(data[: int(len(data) * keep)]) == "corrupt"


def test_decompression_bombs_are_refused_before_decoding_and_pillow_is_left_alone():
    filters = list(warnings.filters)
    assert error_code(png_header(20_000, 20_000)) == "decompression_bomb"  # over twice Pillow's own limit
    assert error_code(png_header(8_000, 6_000)) == "decompression_bomb"  # under Pillow's limit, over ours
    assert MAX_PIXELS < 8_000 * 6_000
    assert error_code(png_header(64, 64)) == "corrupt"  # small enough to decode, but the data is missing
    assert Image.MAX_IMAGE_PIXELS == PILLOW_LIMIT
    assert warnings.filters == filters


def test_pillow_bomb_warning_is_an_error(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)
    assert error_code(png_header(40, 40)) == "decompression_bomb"  # 1600 px: Pillow only warns
    assert error_code(png_header(50, 50)) == "decompression_bomb"  # 2500 px: Pillow raises
    assert error_code(png_header(30, 30)) == "corrupt"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fmt=st.sampled_from(["PNG", "JPEG", "BMP", "WEBP"]), cut=st.integers(0, 2000),
       flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=6))
def test_damaged_files_either_load_or_raise_image_error(fmt, cut, flips):
    data = bytearray(encode(Image.fromarray(RGB).resize((40, 30)), fmt))
    for pos, value in flips:
        data[pos % len(data)] = value
    data = bytes(data[: len(data) - cut % len(data)])
    try:
        out = load_image(data)
    except ImageError as e:
        assert e.code in ERROR_CODES
    else:
        assert out.pixels.ndim == 3 and out.pixels.shape[2] == 3
        assert np.isfinite(out.pixels).all() and out.pixels.min() >= 0.0 and out.pixels.max() <= 1.0


def test_max_side_must_be_positive():
    with pytest.raises(ValueError, match="max_side"):
        load_image(encode(Image.new("RGB", (4, 4))), max_side=0)


# ---- size, orientation, animation -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_large_image_is_downscaled_to_max_side(fmt):
    i, j = np.indices((1000, 2000))
    smooth = np.dstack([i / 1000 * 255, j / 2000 * 255, np.full_like(i, 128.0)]).astype(np.uint8)
    img = Image.fromarray(smooth)
    out = load_image(encode(img, fmt, **({"quality": 95} if fmt == "JPEG" else {})))
    assert out.pixels.shape == (256, 512, 3)
    assert (out.original_size, out.downscaled) == ((2000, 1000), True)
    reference = np.asarray(img.resize((512, 256), Image.Resampling.LANCZOS)) / 255.0
    assert np.abs(out.pixels - reference).mean() < 0.01
    assert out.pixels.min() >= 0.0 and out.pixels.max() <= 1.0


def test_small_image_is_untouched():
    small = RNG.integers(0, 256, (200, 300, 3), dtype=np.uint8)
    out = load_image(encode(Image.fromarray(small)))
    assert not out.downscaled and out.original_size == (300, 200)
    np.testing.assert_array_equal(out.pixels, small / 255.0)
    exact = RNG.integers(0, 256, (MAX_SIDE, 10, 3), dtype=np.uint8)
    assert not load_image(encode(Image.fromarray(exact))).downscaled


@settings(max_examples=25, deadline=None)
@given(w=st.integers(1, 600), h=st.integers(1, 600), max_side=st.integers(1, 300))
def test_downscaled_shape_keeps_aspect_and_long_side(w, h, max_side):
    out = load_image(encode(Image.new("RGB", (w, h), (10, 20, 30)), "BMP"), max_side=max_side)
    oh, ow = out.pixels.shape[:2]
    assert out.downscaled == (max(w, h) > max_side)
    if not out.downscaled:
        assert (ow, oh) == (w, h)
    else:
        assert max(ow, oh) == max_side and min(ow, oh) >= 1
        s = max_side / max(w, h)
        assert (abs(ow - w * s) <= 0.5 + 1e-9 and abs(oh - h * s) <= 0.5 + 1e-9) or min(ow, oh) == 1
    np.testing.assert_allclose(out.pixels, np.broadcast_to(np.array([10, 20, 30]) / 255, (oh, ow, 3)), atol=1e-9)


UPRIGHT = {  # what a viewer shows for each EXIF orientation, as plain NumPy (EXIF 2.3, tag 0x0112)
    1: lambda x: x,
    2: lambda x: x[:, ::-1],
    3: lambda x: x[::-1, ::-1],
    4: lambda x: x[::-1],
    5: lambda x: x.transpose(1, 0, 2),
    6: lambda x: np.rot90(x, -1),
    7: lambda x: x[::-1, ::-1].transpose(1, 0, 2),
    8: lambda x: np.rot90(x, 1),
}


@pytest.mark.parametrize("orientation", sorted(UPRIGHT))
def test_exif_orientation_is_applied(orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = load_image(encode(Image.fromarray(RGB), exif=exif))
    np.testing.assert_array_equal(out.pixels, UPRIGHT[orientation](RGB) / 255.0)
    assert out.original_size == (7, 5)


def test_exif_rotation_and_downscale_together():
    exif = Image.Exif()
    exif[0x0112] = 6
    out = load_image(encode(Image.new("RGB", (2000, 1000), "white"), "JPEG", exif=exif))
    assert out.pixels.shape == (512, 256, 3) and out.original_size == (2000, 1000) and out.downscaled


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animated_images_give_their_first_frame(fmt):
    frames = [Image.new("RGB", (8, 8), c) for c in ("red", "blue", "lime")]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], lossless=True)
    np.testing.assert_array_equal(load_image(data).pixels, np.broadcast_to([1.0, 0.0, 0.0], (8, 8, 3)))


# ---- grey ---------------------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), h=st.integers(1, 20), w=st.integers(1, 20))
def test_to_gray_matches_pillow_l(seed, h, w):
    x = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    gray = to_gray(x / 255.0)
    assert gray.shape == (h, w) and gray.dtype == np.float64
    np.testing.assert_allclose(gray, np.asarray(Image.fromarray(x).convert("L")) / 255.0, atol=1 / 255)


def test_to_gray_weights_and_shape_check():
    eye = np.eye(3).reshape(1, 3, 3)
    np.testing.assert_allclose(to_gray(eye), [[0.299, 0.587, 0.114]])
    assert to_gray(np.ones((2, 2, 3))) == pytest.approx(np.ones((2, 2)))
    with pytest.raises(ValueError):
        to_gray(np.ones((4, 4)))


# ---- built-in images --------------------------------------------------------------------------------


def test_builtin_registry_names():
    assert {"photo", "flower", "digit", "checkerboard", "shapes", "text"} <= set(BUILTIN_IMAGES)


@pytest.mark.parametrize("name", sorted(BUILTIN_IMAGES))
def test_builtin_images_load(name):
    entry = BUILTIN_IMAGES[name]
    x = entry.load()
    assert x.ndim == 3 and x.shape[2] == 3 and x.dtype == np.float64
    assert max(x.shape[:2]) <= MAX_SIDE and min(x.shape[:2]) >= 8
    assert x.min() >= 0.0 and x.max() <= 1.0 and x.max() - x.min() > 0.5  # real contrast, not a flat image
    assert not x.flags.writeable
    with pytest.raises(ValueError):
        x[0, 0, 0] = 0.5
    np.testing.assert_array_equal(x, entry.load())
    assert entry.description and "\n" not in entry.description and entry.source


def test_builtin_shapes_and_contents():
    assert BUILTIN_IMAGES["photo"].load().shape == (342, 512, 3)
    assert BUILTIN_IMAGES["flower"].load().shape == (342, 512, 3)
    digit = BUILTIN_IMAGES["digit"].load()
    assert digit.shape == (128, 128, 3) and digit[0, 0].tolist() == [0.0, 0.0, 0.0]  # white ink on black
    np.testing.assert_array_equal(digit[::16, ::16], digit[15::16, 15::16])  # 16x16 blocks: nearest upscaling
    board = BUILTIN_IMAGES["checkerboard"].load()[..., 0]
    assert board.shape == (128, 128) and set(np.unique(board)) == {0.0, 1.0}
    np.testing.assert_array_equal(board[:16, :16], 1.0)
    np.testing.assert_array_equal(board[:16, 16:32], 0.0)
    assert BUILTIN_IMAGES["shapes"].load().shape == (192, 192, 3)
    text = BUILTIN_IMAGES["text"].load()
    assert text.shape == (96, 256, 3) and text[0, 0].tolist() == [1.0, 1.0, 1.0]
    assert 0.05 < (text[..., 0] < 0.5).mean() < 0.5  # black ink covers a good part of the canvas


# ---- shift and crop ---------------------------------------------------------------------------------


def rolled_with_zero_fill(x: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``np.roll`` by (dy, dx), with the rows and columns that wrapped around set to 0."""
    h, w = x.shape[:2]
    out = np.roll(x, (dy, dx), axis=(0, 1))
    rows, cols = np.arange(h), np.arange(w)
    out[(rows < dy) | (rows >= h + dy)] = 0
    out[:, (cols < dx) | (cols >= w + dx)] = 0
    return out


@settings(max_examples=200, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), c=st.sampled_from([None, 1, 3]),
       dy=st.integers(-12, 12), dx=st.integers(-12, 12), seed=st.integers(0, 2**16))
def test_shift_image_is_roll_with_zero_fill(h, w, c, dy, dx, seed):
    shape = (h, w) if c is None else (h, w, c)
    x = np.random.default_rng(seed).uniform(0.1, 1.0, shape)
    out = shift_image(x, dy, dx)
    assert out.shape == x.shape and out.dtype == x.dtype
    np.testing.assert_array_equal(out, rolled_with_zero_fill(x, dy, dx))


def test_shift_image_examples():
    x = np.arange(1, 10, dtype=float).reshape(3, 3)
    np.testing.assert_array_equal(shift_image(x, 1, 0), [[0, 0, 0], [1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(shift_image(x, 0, -1), [[2, 3, 0], [5, 6, 0], [8, 9, 0]])
    np.testing.assert_array_equal(shift_image(x, 0, 0), x)
    assert not shift_image(x, 3, 0).any() and not shift_image(x, 0, -5).any()
    frozen = BUILTIN_IMAGES["checkerboard"].load()
    assert shift_image(frozen, 2, 2).flags.writeable  # a fresh array, even from a read-only one
    with pytest.raises(ValueError):
        shift_image(np.ones(4), 1, 1)
    with pytest.raises(TypeError):
        shift_image(x, 1.5, 0)


@settings(max_examples=200, deadline=None)
@given(top=st.integers(-25, 30), left=st.integers(-25, 40), size=st.integers(1, 20))
def test_crop_patch_is_the_patch_clipped_to_the_image(top, left, size):
    x = np.arange(16 * 24, dtype=float).reshape(16, 24)
    rows = [r for r in range(top, top + size) if 0 <= r < 16]
    cols = [c for c in range(left, left + size) if 0 <= c < 24]
    if not rows or not cols:
        with pytest.raises(ValueError):
            crop_patch(x, top, left, size)
        return
    patch = crop_patch(x, top, left, size)
    np.testing.assert_array_equal(patch, x[np.ix_(rows, cols)])
    patch[...] = -1  # a copy: the image is untouched
    assert x.min() == 0


def test_crop_patch_examples():
    x = np.arange(25.0).reshape(5, 5)
    np.testing.assert_array_equal(crop_patch(x, 1, 1, 2), [[6, 7], [11, 12]])
    assert crop_patch(x, 3, 3, 3).shape == (2, 2)
    assert crop_patch(x, -1, -1, 3).shape == (2, 2)
    assert crop_patch(np.zeros((5, 5, 3)), 0, 0, 3).shape == (3, 3, 3)
    for bad in [(5, 0, 3), (0, -3, 3), (0, 0, 0)]:
        with pytest.raises(ValueError):
            crop_patch(x, *bad)


# ---- a mosaic of feature maps -------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(c=st.integers(1, 20), h=st.integers(1, 6), w=st.integers(1, 6), columns=st.integers(1, 9))
def test_mosaic_places_each_map_in_its_cell_with_blank_lines_between(c, h, w, columns):
    maps = np.arange(c * h * w, dtype=np.float32).reshape(c, h, w) + 1
    grid = images.mosaic(maps, columns)
    used = min(c, columns)
    rows = -(-c // used)
    assert grid.dtype == np.float64 and grid.shape == (rows * (h + 1) - 1, used * (w + 1) - 1)
    filled = np.zeros(grid.shape, bool)
    for n in range(c):  # the reference: one map at a time
        r, k = divmod(n, used)
        cell = np.s_[r * (h + 1):r * (h + 1) + h, k * (w + 1):k * (w + 1) + w]
        np.testing.assert_array_equal(grid[cell], maps[n])
        filled[cell] = True
    assert np.isnan(grid[~filled]).all()  # separators and the empty cells of the last row


def test_mosaic_refuses_what_is_not_a_stack_of_maps():
    for bad, columns in ((np.ones((3, 3)), 8), (np.ones((0, 2, 2)), 8), (np.ones((2, 2, 2)), 0)):
        with pytest.raises(ValueError, match="mosaic takes"):
            images.mosaic(bad, columns)
