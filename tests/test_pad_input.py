"""The trainer's drawing pad: the PNG data URL that the browser sends back is decoded only through
``core.images.decode_pad_data_url`` (length cap before base64, PNG only, pixel cap and the pad's size before any pixel
is decompressed), and the page reads a drawing, or explains a refused one, through it."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from unittest import mock

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFile

from core import images
from core.checkpoints import save_checkpoint
from core.drawing import prepare_image
from core.images import (
    ERROR_CODES,
    PAD_DATA_URL_PREFIX,
    PAD_MAX_DATA_URL,
    PAD_MAX_SCALE,
    PAD_SIDE,
    ImageError,
    decode_pad_data_url,
    to_gray,
)
from core.models import CNNConfig, build_model
from tests.conftest import assert_clean, lesson_runner, page_texts
from tests.helpers.classroom import data_url, encode, feed_the_pad
from tests.helpers.figures import chart
from ui.shell.i18n import translate
from ui.shell.registry import CNN_TRAINER


def drawing(side: int = PAD_SIDE, mode: str = "RGBA", background=(0, 0, 0, 255)) -> Image.Image:
    """A pad as the canvas paints it: a white stroke 22 px wide (scaled with ``side``) on ``background``."""
    img = Image.new("RGBA", (side, side), background)
    s = side / PAD_SIDE
    ImageDraw.Draw(img).line([(70 * s, 60 * s), (140 * s, 200 * s), (210 * s, 90 * s)], fill=(255, 255, 255, 255),
                             width=round(22 * s))
    return img.convert(mode)


def as_the_package_read_it(url: str) -> np.ndarray:
    """What the pad returned before: the package's ``CanvasResult.image_data`` (these two lines of its code: the
    package itself can only be imported inside a Streamlit run), luma times alpha."""
    _, encoded = url.split(";base64,", 1)
    rgba = np.asarray(Image.open(io.BytesIO(base64.b64decode(encoded)))).astype(np.float64) / 255.0
    return to_gray(rgba[..., :3]) * (rgba[..., 3] if rgba.shape[2] == 4 else 1.0)


def refusal(text, **kwargs) -> str:
    with pytest.raises(ImageError) as info:
        decode_pad_data_url(text, **kwargs)
    assert info.value.code in ERROR_CODES and str(info.value)
    return info.value.code


def png_header(w: int, h: int) -> bytes:
    """A 1-bit grey PNG that claims ``w x h`` pixels but carries only a few bytes of pixel data."""
    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))
    ihdr = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


@pytest.fixture
def no_pixels_decoded():
    """Fails the test if Pillow decompresses any pixel (``ImageFile.load``) while it runs."""
    with mock.patch.object(ImageFile.ImageFile, "load", side_effect=AssertionError("pixels were decoded")) as load:
        yield load
    assert not load.called


# ---- decoding -------------------------------------------------------------------------------------------------


def test_a_drawing_decodes_as_the_package_decoded_it():
    url = data_url(encode(drawing()))
    gray = decode_pad_data_url(url)
    assert gray.shape == (PAD_SIDE, PAD_SIDE) and gray.dtype == np.float64
    rgba = np.asarray(drawing(), dtype=np.float64) / 255.0
    np.testing.assert_array_equal(gray, to_gray(rgba[..., :3]) * rgba[..., 3])
    np.testing.assert_array_equal(gray, as_the_package_read_it(url))
    assert gray.min() == 0.0 and gray.max() == pytest.approx(1.0)  # white ink on black


@pytest.mark.parametrize(("mode", "background"), [("RGB", (0, 0, 0, 255)), ("L", (0, 0, 0, 255)),
                                                  ("RGBA", (0, 0, 0, 0)), ("P", (0, 0, 0, 255))])
def test_other_8_bit_pngs_of_the_pad_read_as_luma_times_alpha(mode, background):
    img = drawing(mode=mode, background=background)
    rgba = np.asarray(img.convert("RGBA"), dtype=np.float64) / 255.0
    np.testing.assert_allclose(decode_pad_data_url(data_url(encode(img))), to_gray(rgba[..., :3]) * rgba[..., 3],
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", range(2, PAD_MAX_SCALE + 1))
def test_a_pad_sent_at_k_times_its_size_is_averaged_over_k_by_k_blocks(k):
    big = drawing(PAD_SIDE * k)
    rgba = np.asarray(big, dtype=np.float64) / 255.0
    full = to_gray(rgba[..., :3]) * rgba[..., 3]
    expected = full.reshape(PAD_SIDE, k, PAD_SIDE, k).mean(axis=(1, 3))
    np.testing.assert_allclose(decode_pad_data_url(data_url(encode(big))), expected, rtol=0, atol=1e-12)


def test_the_cap_covers_any_pad_png_even_uncompressed():
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (PAD_SIDE, PAD_SIDE, 4), dtype=np.uint8))
    url = data_url(encode(noise))
    assert len(url) < PAD_MAX_DATA_URL / 4
    assert decode_pad_data_url(url).shape == (PAD_SIDE, PAD_SIDE)
    assert len(data_url(encode(drawing(PAD_SIDE * PAD_MAX_SCALE)))) < PAD_MAX_DATA_URL / 50  # a real drawing


# ---- refusals -------------------------------------------------------------------------------------------------


def test_a_data_url_over_the_cap_is_refused_before_base64_or_pillow():
    text = PAD_DATA_URL_PREFIX + "A" * (PAD_MAX_DATA_URL - len(PAD_DATA_URL_PREFIX) + 4)
    with mock.patch.object(images.base64, "b64decode", side_effect=AssertionError("decoded")) as b64, \
            mock.patch.object(images.Image, "open", side_effect=AssertionError("opened")) as opened:
        assert refusal(text) == "too_big_file"
        assert refusal(text + "!") == "too_big_file"  # whatever follows
    assert not b64.called and not opened.called
    at_the_cap = PAD_DATA_URL_PREFIX + "A" * ((PAD_MAX_DATA_URL - len(PAD_DATA_URL_PREFIX)) // 4 * 4)
    assert refusal(at_the_cap) == "not_image"  # read (zero bytes, then no image): the cap is the only limit hit


@pytest.mark.parametrize(("text", "code"), [
    ("", "not_image"),
    ("hello", "not_image"),
    ("javascript:alert(1)", "not_image"),
    (None, "not_image"),
    (12345, "not_image"),
    (b"data:image/png;base64,", "not_image"),
    ({"data": "x"}, "not_image"),
    ("data:image/jpeg;base64,/9j/4AAQ", "unsupported_format"),
    ("data:image/svg+xml;base64,PHN2Zz4=", "unsupported_format"),
    ("data:image/png,rawbytes", "unsupported_format"),
    ("data:text/html;base64,PGI+", "unsupported_format"),
    (PAD_DATA_URL_PREFIX, "empty"),
    (PAD_DATA_URL_PREFIX + "!!!!", "corrupt"),
    (PAD_DATA_URL_PREFIX + "iVBORw0KGgo", "corrupt"),  # padding missing
    (PAD_DATA_URL_PREFIX + "iVBO Rw0K", "corrupt"),  # a space
    (PAD_DATA_URL_PREFIX + "iVBORw0KGgé=", "corrupt"),  # not ASCII
    (PAD_DATA_URL_PREFIX + base64.b64encode(b"hello world!").decode(), "not_image"),
])
def test_what_is_not_a_base64_png_data_url_is_refused(text, code):
    assert refusal(text) == code


@pytest.mark.parametrize("fmt", ["JPEG", "GIF", "BMP", "TIFF", "WEBP"])
def test_another_format_inside_a_png_data_url_is_refused(fmt):
    img = drawing(mode="RGB")
    assert refusal(data_url(encode(img, fmt))) == "unsupported_format"


def test_a_png_bomb_is_refused_before_any_pixel_is_decoded(no_pixels_decoded):
    bomb = png_header(20_000, 20_000)
    assert len(bomb) < 200
    assert refusal(data_url(bomb)) == "decompression_bomb"  # over Pillow's own limit and MAX_PIXELS
    assert refusal(data_url(png_header(6_000, 6_000))) == "decompression_bomb"  # under them, over the pad's
    assert refusal(data_url(png_header(PAD_SIDE, PAD_SIDE * PAD_MAX_SCALE + 1))) == "decompression_bomb"


def test_a_real_png_of_the_wrong_size_is_refused_before_decoding(no_pixels_decoded):
    big = encode(Image.new("1", (5000, 5000)))
    assert len(big) < 10_000
    assert refusal(data_url(big)) == "decompression_bomb"
    for w, h in [(PAD_SIDE * (PAD_MAX_SCALE + 1),) * 2, (PAD_SIDE + 1, PAD_SIDE), (PAD_SIDE, PAD_SIDE * 2),
                 (PAD_SIDE // 2, PAD_SIDE // 2), (1, 1), (PAD_SIDE * 2, PAD_SIDE * 2 + 1)]:
        code = refusal(data_url(encode(Image.new("L", (w, h)))))
        assert code == ("decompression_bomb" if max(w, h) > PAD_SIDE * PAD_MAX_SCALE else "corrupt"), (w, h)


def test_the_pad_size_can_be_given():
    img = drawing().resize((100, 60))
    rgba = np.asarray(img, dtype=np.float64) / 255.0
    np.testing.assert_allclose(decode_pad_data_url(data_url(encode(img)), width=100, height=60),
                               to_gray(rgba[..., :3]) * rgba[..., 3], rtol=0, atol=1e-12)
    assert refusal(data_url(encode(img))) == "corrupt"


def test_16_bit_and_damaged_pngs_are_refused():
    deep = Image.fromarray(np.full((PAD_SIDE, PAD_SIDE), 40_000, dtype=np.uint16))
    assert refusal(data_url(encode(deep))) == "unsupported_format"
    whole = encode(drawing())
    assert refusal(data_url(whole[: len(whole) // 2])) == "corrupt"
    flipped = bytearray(whole)
    flipped[len(whole) // 2] ^= 0xFF
    assert refusal(data_url(bytes(flipped))) == "corrupt"


# ---- the page -------------------------------------------------------------------------------------------------

lesson = lesson_runner(CNN_TRAINER)


def loaded_trainer():
    """The trainer with an (untrained) network loaded from a checkpoint, so "try it" is on the page at once."""
    config = CNNConfig(blocks=CNNConfig().blocks[:1], dense=(16,))
    buf = io.BytesIO()
    save_checkpoint(buf, build_model(config), config)
    at = lesson({"source": "draw"})
    at.file_uploader(key="cnn_trainer_checkpoint").upload("net.pt", buf.getvalue(), "application/octet-stream").run()
    assert_clean(at)
    return at


def test_the_page_reads_a_drawing_and_explains_a_refused_one(monkeypatch):
    at = loaded_trainer()
    pad_sends = feed_the_pad(monkeypatch)
    draw_something = translate("cnn_trainer.try.draw_something", "en")
    assert draw_something in page_texts(at)  # the pad is empty
    seen_title = translate("cnn_trainer.try.seen", "en", h=8, w=8)

    url = data_url(encode(drawing()))
    from streamlit_drawable_canvas import CanvasResult

    package = CanvasResult(None, url, True)  # where the page reads the URL, and the package's own decoding
    assert package._image_data_url == url
    np.testing.assert_array_equal(as_the_package_read_it(url), to_gray(package.image_data[..., :3] / 255.0)
                                  * package.image_data[..., 3] / 255.0)
    pad_sends["value"] = {"drawing": {"raw": {"objects": []}, "data": url}, "backgroundFit": None}
    at.run()
    assert_clean(at)
    assert draw_something not in page_texts(at) and not at.error
    expected = prepare_image(as_the_package_read_it(url), "digits")  # what the pad gave the network before
    np.testing.assert_allclose(chart(at, seen_title).data("z"), expected.small, rtol=1e-6, atol=1e-7)

    hostile = {
        "decompression_bomb": data_url(png_header(20_000, 20_000)),
        "unsupported_format": data_url(encode(drawing(mode="RGB"), "JPEG")),
        "corrupt": PAD_DATA_URL_PREFIX + "%%%%",
    }
    for code, text in [*hostile.items(), ("decompression_bomb", "A" * (PAD_MAX_DATA_URL + 1))]:
        pad_sends["value"] = {"drawing": {"raw": {"objects": []}, "data": text}, "backgroundFit": None}
        at.run()
        assert_clean(at)
        assert [e.value for e in at.error] == [translate("image.error." + code, "en")], code
        assert draw_something in page_texts(at)

    for value in ({"drawing": "x"}, {"drawing": {"data": 7}}, {"drawing": None, "backgroundFit": {}},
                  {"drawing": {"data": None}, "backgroundFit": 3}):
        pad_sends["value"] = value
        at.run()
        assert_clean(at)
        assert draw_something in page_texts(at), value
