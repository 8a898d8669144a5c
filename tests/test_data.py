"""core.data: IDX parsing against a writer written here, the offline datasets, and downloads from a local server."""

import contextlib
import gzip
import hashlib
import http.server
import itertools
import os
import socket
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from core.data import (
    DATASETS,
    IDX_FILES,
    SHAPE_CLASSES,
    Dataset,
    DatasetUnavailable,
    digits_to_28,
    downsample_to_8,
    load_dataset,
    load_shapes,
    read_idx,
    shift_images,
)
from core.downloads import cache_dir
from tests.helpers.idx_files import CODES, fake_files, sha256s, write_idx

MNIST_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-t10k"  # beside the checkout
if not MNIST_DIR.is_dir():  # a checkout elsewhere (a worktree) may say where it is
    MNIST_DIR = Path(os.environ.get("DLP_MNIST_T10K") or MNIST_DIR)
# IDX type code -> dtype, written out here (not read from core.data.IDX_TYPES).


# ---- read_idx --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(CODES))
@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_read_idx_each_type_raw_and_gzip(code, compress, tmp_path):
    values = np.arange(24) * 10 if code == 0x08 else np.arange(24) - 5  # signed types get negatives too
    x = values.reshape(2, 3, 4).astype(CODES[code])
    data = write_idx(x, code)
    data = gzip.compress(data) if compress else data
    path = tmp_path / "a.idx"
    path.write_bytes(data)
    for source in (data, path, str(path)):
        y = read_idx(source)
        assert y.shape == (2, 3, 4) and y.dtype == np.dtype(CODES[code]).newbyteorder("=")
        np.testing.assert_array_equal(y, x)


@settings(max_examples=60, deadline=None)
@given(code=st.sampled_from(sorted(CODES)), data=st.data())
def test_read_idx_round_trip(code, data):
    dtype = np.dtype(CODES[code])
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))
    elements = st.floats(allow_nan=False, width=dtype.itemsize * 8) if dtype.kind == "f" else None
    x = data.draw(hnp.arrays(dtype, shape, elements=elements))
    raw = write_idx(x, code)
    np.testing.assert_array_equal(read_idx(raw), x)
    np.testing.assert_array_equal(read_idx(gzip.compress(raw)), x)


GOOD = write_idx(np.arange(12, dtype=np.uint8).reshape(3, 4), 0x08)


@pytest.mark.parametrize("data, match", [
    (b"", "too short"),
    (b"\x01" + GOOD[1:], "magic"),
    (GOOD[:2] + b"\x0a" + GOOD[3:], "element type"),
    (GOOD[:2] + b"\x08\x00", "0 dimensions"),
    (GOOD[:3] + b"\x03" + GOOD[4:], "needs"),  # ndim 3: sizes 3, 4, then 0x00010203 -> wrong length
    (GOOD[:3] + b"\x01" + GOOD[4:], "needs"),  # ndim 1: 3 elements expected, many more present
    (GOOD[:3] + b"\x09" + GOOD[4:12], "header truncated"),
    (GOOD[:-1], "needs"),
    (GOOD + b"\x00", "needs"),
    (gzip.compress(GOOD)[:-5], "truncated gzip"),
    (gzip.compress(GOOD)[:10] + b"\xff" * 20, "gzip"),
], ids=["empty", "bad_magic", "bad_type", "no_dims", "wrong_ndim_big", "wrong_ndim_small", "short_header",
        "truncated", "extra_byte", "truncated_gzip", "corrupt_gzip"])
def test_read_idx_rejects_malformed(data, match):
    with pytest.raises(ValueError, match=match):
        read_idx(data)


def test_read_idx_wider_types_come_back_native():
    x = np.array([[1.5, -2.25], [1e300, 0.0]])
    y = read_idx(write_idx(x, 0x0E))
    assert y.dtype == np.float64 and y.dtype.isnative
    np.testing.assert_array_equal(y, x)


# ---- Dataset -----------------------------------------------------------------------------------------------------


def tiny(**changes):
    parts = dict(x_train=torch.zeros(4, 1, 5, 5), y_train=torch.tensor([0, 1, 0, 1]), x_test=torch.ones(2, 1, 5, 5),
                 y_test=torch.tensor([1, 0]), classes=["a", "b"], description="test")
    return Dataset(**(parts | changes))


@pytest.mark.parametrize("changes", [
    {"x_train": torch.zeros(4, 1, 5, 5, dtype=torch.float64)},
    {"x_train": torch.zeros(4, 5, 5)},
    {"x_train": torch.zeros(4, 3, 5, 5)},
    {"y_train": torch.tensor([0, 1, 0])},
    {"y_train": torch.tensor([0, 1, 0, 2])},
    {"y_test": torch.tensor([1.0, 0.0])},
    {"x_test": torch.full((2, 1, 5, 5), 1.5)},
    {"x_test": torch.full((2, 1, 5, 5), float("nan"))},
    {"x_test": torch.zeros(2, 1, 6, 5)},
    {"classes": ["a"]},
], ids=["float64", "3d", "3_channels", "short_y", "label_2", "float_y", "above_1", "nan", "size_differs",
        "one_class"])
def test_dataset_validates(changes):
    tiny()
    with pytest.raises(ValueError):
        tiny(**changes)


# ---- digits ------------------------------------------------------------------------------------------------------


def test_digits_dataset():
    from sklearn.datasets import load_digits

    d = load_dataset("digits")
    assert d.x_train.shape == (1437, 1, 28, 28) and d.x_test.shape == (360, 1, 28, 28)
    assert d.x_train.dtype == torch.float32 and d.y_train.dtype == torch.int64
    assert d.x_train.min() >= 0 and d.x_train.max() <= 1 and d.x_train.max() > 0.9
    assert d.classes == [str(i) for i in range(10)]
    counts = np.bincount(load_digits().target)
    # stratified: each class's share of the test set is within one image of 20 %
    np.testing.assert_allclose(np.bincount(d.y_test.numpy()), 0.2 * counts, atol=1)
    assert load_dataset("digits", seed=5).y_test.equal(d.y_test)  # the split is fixed


def test_digits_pixels_are_the_interpolated_scans():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    d = load_dataset("digits")
    x8 = torch.from_numpy(bunch.images / 16.0).unsqueeze(1)  # float64 reference
    ref = F.interpolate(x8, size=(28, 28), mode="bilinear", align_corners=False)
    # each training image equals (to float32 rounding) the interpolation of one scan with the same label
    dist = torch.cdist(d.x_train[:20].double().flatten(1), ref.flatten(1), compute_mode="donot_use_mm_for_euclid_dist")
    best = dist.argmin(1)
    torch.testing.assert_close(dist.min(1).values, torch.zeros(20, dtype=torch.float64), atol=1e-5, rtol=0)
    assert torch.equal(torch.from_numpy(bunch.target[best.numpy()]), d.y_train[:20])


def test_digits_to_28_equals_interpolate():
    x8 = torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    torch.testing.assert_close(digits_to_28(x8), F.interpolate(x8, size=(28, 28), mode="bilinear",
                                                              align_corners=False), rtol=0, atol=0)
    assert digits_to_28(x8).shape == (3, 1, 28, 28)


@pytest.mark.parametrize("h, w", [(8, 8), (16, 24), (64, 64), (280, 280), (13, 29)])
def test_downsample_to_8_is_the_area_mean(h, w):
    img = np.random.default_rng(h * w).random((h, w))
    out = downsample_to_8(img)
    assert out.shape == (8, 8)
    np.testing.assert_allclose(out.mean(), img.mean(), rtol=1e-12)  # area weights preserve the mean
    # reference: upsample by repetition to a multiple of 8 (8h x 8w), then average 8h/8 x 8w/8 blocks
    big = np.repeat(np.repeat(img, 8, axis=0), 8, axis=1)
    ref = big.reshape(8, h, 8, w).mean(axis=(1, 3))
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)


def test_downsample_to_8_rejects_non_images():
    with pytest.raises(ValueError):
        downsample_to_8(np.zeros((4, 4, 3)))


# ---- shapes ------------------------------------------------------------------------------------------------------


def test_shapes_deterministic_per_seed_and_balanced():
    a, b = load_shapes(seed=3, n_train=120, n_test=60), load_shapes(seed=3, n_train=120, n_test=60)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.x_train, load_shapes(seed=4, n_train=120, n_test=60).x_train)
    assert a.classes == SHAPE_CLASSES and len(SHAPE_CLASSES) == 6
    assert np.bincount(a.y_train.numpy(), minlength=6).tolist() == [20] * 6
    assert np.bincount(a.y_test.numpy(), minlength=6).tolist() == [10] * 6
    assert a.x_train.shape == (120, 1, 28, 28) and a.x_train.dtype == torch.float32
    assert a.x_train.min() >= 0 and a.x_train.max() <= 1


def test_shapes_default_sizes():
    d = load_dataset("shapes")
    assert len(d.y_train) == 3000 and len(d.y_test) == 600


def centre_of_mass(x):
    w = x[:, 0].double()
    i = torch.arange(28, dtype=torch.float64)
    m = w.sum((1, 2))
    return (w.sum(2) @ i) / m, (w.sum(1) @ i) / m


def test_shapes_centred_option():
    d = load_shapes(seed=1, n_train=120, n_test=6, noise=0.0, centred=True)
    rows, cols = centre_of_mass(d.x_train)
    # every class is point-symmetric or (triangle) has its centroid at the centre: pixel index 13.5
    torch.testing.assert_close(rows, torch.full_like(rows, 13.5), atol=0.35, rtol=0)
    torch.testing.assert_close(cols, torch.full_like(cols, 13.5), atol=0.35, rtol=0)
    free = load_shapes(seed=1, n_train=120, n_test=6, noise=0.0)
    rows, cols = centre_of_mass(free.x_train)
    assert rows.std() > 1 and cols.std() > 1
    # nothing is cut off at the border: the outermost ring of pixels stays empty without noise
    border = free.x_train.clone()
    border[..., 1:-1, 1:-1] = 0
    assert border.max() == 0


def test_shapes_noise_and_clean_images():
    clean = load_shapes(seed=2, n_train=60, n_test=6, noise=0.0)
    noisy = load_shapes(seed=2, n_train=60, n_test=6, noise=0.2)
    ink = clean.x_train.flatten(1).sum(1)
    assert ink.min() > 8  # every picture has ink
    assert (clean.x_train == 0).float().mean() > 0.5  # and a blank background
    assert (noisy.x_train - clean.x_train).abs().mean() > 0.05


@pytest.mark.parametrize("dx, dy", [(0, 0), (3, 0), (0, -2), (-4, 5), (27, 0), (0, -28), (30, 30)])
def test_shift_images_equals_roll_with_zero_fill(dx, dy):
    x = torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    ref = torch.zeros_like(x)
    for i in range(28):
        for j in range(28):
            if 0 <= i - dy < 28 and 0 <= j - dx < 28:
                ref[..., i, j] = x[..., i - dy, j - dx]
    torch.testing.assert_close(shift_images(x, dx, dy), ref, rtol=0, atol=0)
    if abs(dx) < 28 and abs(dy) < 28:  # roll, then zero what wrapped around
        rolled = torch.roll(x, (dy, dx), dims=(-2, -1))
        keep = torch.roll(torch.ones_like(x), (dy, dx), dims=(-2, -1)) * (ref != 0)
        torch.testing.assert_close(rolled * keep, ref, rtol=0, atol=0)


# ---- the real MNIST test set (what bench/train.py reads) ----------------------------------------------------------


def test_read_idx_reads_the_real_mnist_test_set():
    if not MNIST_DIR.is_dir():
        pytest.skip(f"{MNIST_DIR} (the MNIST test set) is not on this machine")
    images = read_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(MNIST_DIR / "t10k-labels-idx1-ubyte.gz")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8 and images.min() == 0 and images.max() == 255
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]  # MNIST's counts
    # the raw bytes: the README's MD5 of the decompressed images, whose pixels follow a 16-byte header
    raw = gzip.decompress((MNIST_DIR / "t10k-images-idx3-ubyte.gz").read_bytes())
    assert hashlib.md5(raw).hexdigest() == "2646ac647ad5339dbf082846283269ea"
    np.testing.assert_array_equal(images.reshape(-1), np.frombuffer(raw, np.uint8, offset=16))


# ---- downloads from a local server -------------------------------------------------------------------------------


@contextlib.contextmanager
def serve(files, truncate=(), lengthless=False):
    """An HTTP server on 127.0.0.1 serving ``files``; names in ``truncate`` announce their length, send half; with
    ``lengthless`` no length is announced."""
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            name = self.path.rsplit("/", 1)[-1]
            requests.append(name)
            if name not in files:
                self.send_error(404)
                return
            body = files[name]
            self.send_response(200)
            if not lengthless:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if name in truncate else body)
            self.close_connection = True

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/data/", requests
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache, no failure remembered, and the fake files' own sizes as the known ones (the real files' are
    in ``SIZES``; the size tests below set their own)."""
    import core.downloads

    monkeypatch.setenv("DLP_CACHE", str(tmp_path))
    monkeypatch.setattr(core.downloads, "_FAILURES", {})
    monkeypatch.setattr(core.downloads, "SIZES", {})
    return tmp_path


def cached(cache):
    return sorted(p.name for p in cache.rglob("*") if p.is_file())


def test_download_success_progress_and_reuse(cache):
    files = fake_files()
    calls = []
    with serve(files) as (url, requests):
        d = load_dataset("mnist", base_url=url, checksums=sha256s(files), timeout=5,
                         progress=lambda done, total: calls.append((done, total)))
        assert sorted(requests) == sorted(IDX_FILES)
        assert len(d.y_train) == 30 and len(d.y_test) == 10 and d.x_train.shape == (30, 1, 28, 28)
        assert d.y_train.tolist() == [i % 10 for i in range(30)]
        np.testing.assert_array_equal((d.x_test[:, 0] * 255).round().numpy().astype(np.uint8),
                                      read_idx(files["t10k-images-idx3-ubyte.gz"]))
        assert cache_dir("mnist") == cache / "mnist"
        assert cached(cache) == sorted(IDX_FILES)
        assert calls[-1] == (sum(map(len, files.values())),) * 2
        assert all(b[0] >= a[0] for a, b in itertools.pairwise(calls))
        # a second load reads the cache: no request
        again = load_dataset("mnist", base_url=url, checksums=sha256s(files), n_train=12, n_test=5, seed=1)
        assert len(requests) == 4 and len(again.y_train) == 12 and len(again.y_test) == 5


def test_fashion_mnist_classes(cache):
    files = fake_files()
    with serve(files) as (url, _):
        d = load_dataset("fashion_mnist", base_url=url, checksums=sha256s(files))
    assert len(d.classes) == 10 and d.classes[9] == "Ankle boot"
    assert cached(cache) == sorted(IDX_FILES) and (cache / "fashion_mnist").is_dir()


def test_checksum_mismatch_leaves_nothing(cache):
    files = fake_files()
    sums = sha256s(files) | {"t10k-images-idx3-ubyte.gz": "sha256:" + "0" * 64}
    with serve(files) as (url, _), pytest.raises(DatasetUnavailable, match="checksum") as info:
        load_dataset("mnist", base_url=url, checksums=sums)
    assert info.value.name == "mnist" and '"digits"' in str(info.value) and '"shapes"' in str(info.value)
    assert "t10k-images-idx3-ubyte.gz" not in cached(cache)
    assert not [p for p in cached(cache) if p.endswith(".part")]


def test_default_checksums_refuse_other_files(cache):
    """Without patched checksums the published MD5s are used: the fake files do not match them."""
    with serve(fake_files()) as (url, _), pytest.raises(DatasetUnavailable, match="checksum"):
        load_dataset("mnist", base_url=url)
    assert cached(cache) == []


def test_corrupt_cached_file_is_downloaded_again(cache):
    files = fake_files()
    folder = cache / "mnist"
    folder.mkdir()
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    with serve(files) as (url, requests):
        d = load_dataset("mnist", base_url=url, checksums=sha256s(files))
    assert "train-labels-idx1-ubyte.gz" in requests and len(d.y_train) == 30


def test_truncated_download(cache):
    files = fake_files()
    with serve(files, truncate={"train-images-idx3-ubyte.gz"}) as (url, _), \
            pytest.raises(DatasetUnavailable, match="mnist"):
        load_dataset("mnist", base_url=url, checksums=sha256s(files), timeout=5)
    assert "train-images-idx3-ubyte.gz" not in cached(cache)
    assert not [p for p in cached(cache) if p.endswith(".part")]


def test_http_error(cache):
    with serve({}) as (url, _), pytest.raises(DatasetUnavailable, match="404"):
        load_dataset("mnist", base_url=url, checksums=sha256s(fake_files()))


def test_server_down(cache):
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DatasetUnavailable, match="could not download") as info:
        load_dataset("mnist", base_url=f"http://127.0.0.1:{port}/", timeout=5)
    assert '"digits" and "shapes"' in str(info.value)
    assert not [p for p in cached(cache) if p.endswith(".part")]


# ---- the registry ----------------------------------------------------------------------------------------------


def test_registry():
    assert set(DATASETS) == {"digits", "shapes", "mnist", "fashion_mnist"}
    assert [n for n, s in DATASETS.items() if s.offline] == ["digits", "shapes"]
    assert all(spec.name == name and spec.description for name, spec in DATASETS.items())
    with pytest.raises(ValueError, match="unknown dataset"):
        load_dataset("cifar")


def test_dataset_unavailable_pickles():
    import pickle

    e = pickle.loads(pickle.dumps(DatasetUnavailable("mnist", "offline.")))
    assert e.name == "mnist" and "offline." in str(e)


# ---- a student's picture, prepared as each data set's images were -----------------------------------------------
# Each step against an independent computation: scipy.ndimage for centres of mass and distances, explicit loops and
# the scans' own statistics for the rest.


def ring(size: int, top: int, left: int, height: int, width: int, stroke: float) -> np.ndarray:
    """A picture ``size``×``size``: an ellipse outline (a hand-drawn "0"), white on black, in the given box."""
    i, j = np.mgrid[0:size, 0:size] + 0.5
    cy, cx, ry, rx = top + height / 2, left + width / 2, height / 2 - stroke / 2, width / 2 - stroke / 2
    r = np.sqrt(((i - cy) / ry) ** 2 + ((j - cx) / rx) ** 2)
    return (np.abs(r - 1) * min(ry, rx) <= stroke / 2).astype(float)


def slanted_bar(size: int, slant: float) -> np.ndarray:
    """A vertical bar (a "1") 3 pixels wide whose column moves by ``slant`` per row, rows 20..(size - 20)."""
    out = np.zeros((size, size))
    for i in range(20, size - 20):
        j = round(size / 2 + slant * (i - size / 2))
        out[i, j - 1:j + 2] = 1.0
    return out


@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 12), st.integers(1, 12)), elements=st.floats(0, 1)))
@settings(max_examples=60, deadline=None)
def test_ink_box_is_the_span_of_the_bright_pixels(img):
    from core.drawing import ink_box

    rows, cols = np.nonzero(img > 0.2)
    box = ink_box(img)
    if not len(rows):
        assert box is None
    else:
        assert box == (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1)


@given(st.integers(1, 60), st.integers(1, 60), st.integers(4, 40))
@settings(max_examples=60, deadline=None)
def test_fit_in_box_keeps_the_aspect_ratio(h, w, side):
    from core.drawing import fit_in_box

    out = fit_in_box(np.ones((h, w)), side)
    assert max(out.shape) == side
    exact = min(h, w) * side / max(h, w)  # the shorter side, scaled by the same factor as the longer one
    assert abs(min(out.shape) - exact) <= 0.5 or min(out.shape) == 1
    np.testing.assert_allclose(out, 1.0)  # area resizing keeps a flat picture flat


@given(st.integers(-8, 12), st.integers(-8, 12))
@settings(max_examples=60, deadline=None)
def test_paste_cuts_off_what_falls_outside(top, left):
    from core.drawing import paste

    patch = np.arange(1, 31, dtype=float).reshape(5, 6)
    out = paste(patch, 10, top, left)
    expected = np.zeros((10, 10))
    for i in range(5):
        for j in range(6):
            if 0 <= top + i < 10 and 0 <= left + j < 10:
                expected[top + i, left + j] = patch[i, j]
    np.testing.assert_array_equal(out, expected)


@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 15), st.integers(1, 15)), elements=st.floats(0, 1)))
@settings(max_examples=60, deadline=None)
def test_centre_of_mass_is_scipys(img):
    from scipy import ndimage

    from core.drawing import centre_of_mass

    if img.sum() < 1e-6:
        return
    np.testing.assert_allclose(centre_of_mass(img), ndimage.center_of_mass(img), rtol=1e-9, atol=1e-9)


@given(hnp.arrays(bool, st.tuples(st.integers(1, 12), st.integers(1, 12))))
@settings(max_examples=60, deadline=None)
def test_signed_distance_is_scipys_euclidean_distance_transform(mask):
    from scipy import ndimage

    from core.drawing import signed_distance

    got = signed_distance(mask)
    if mask.all() or not mask.any():  # no pixel of the other kind: infinitely far
        assert np.isinf(got).all() and ((got > 0) == mask).all()
        return
    expected = ndimage.distance_transform_edt(mask) - ndimage.distance_transform_edt(~mask)
    np.testing.assert_allclose(got, expected, atol=1e-12)


@pytest.mark.parametrize("n_ink", [40, 120, 313, 600])
def test_normalise_stroke_dilates_or_erodes_to_exactly_n_pixels(n_ink):
    from scipy import ndimage

    from core.drawing import normalise_stroke

    grey = np.clip(ring(32, 2, 6, 28, 20, 3.0) + 0.1 * np.random.default_rng(0).random((32, 32)), 0, 1)
    bitmap = normalise_stroke(grey, n_ink)
    assert set(np.unique(bitmap)) <= {0.0, 1.0} and bitmap.sum() == n_ink
    ink = grey >= grey.max() / 2
    depth = ndimage.distance_transform_edt(ink) - ndimage.distance_transform_edt(~ink)
    on, off = bitmap.astype(bool), ~bitmap.astype(bool)
    assert depth[on].min() >= depth[off].max()  # a level set of the signed distance: a dilation or an erosion
    if n_ink >= ink.sum():
        assert on[ink].all()  # dilated: the ink is kept
    else:
        assert not on[~ink].any()  # eroded: nothing outside the ink


@pytest.mark.parametrize("slant", [-0.6, -0.2, 0.0, 0.35])
def test_deslant_makes_the_ink_upright(slant):
    from scipy import ndimage

    from core.drawing import deslant

    img = slanted_bar(120, slant)
    upright, k = deslant(img)
    assert k == pytest.approx(slant, abs=0.02)
    assert upright.shape[0] == img.shape[0] and upright.sum() == pytest.approx(img.sum(), rel=1e-9)  # mass kept
    ci, cj = ndimage.center_of_mass(upright)
    i, j = np.mgrid[0:upright.shape[0], 0:upright.shape[1]]
    assert abs(((i - ci) * (j - cj) * upright).sum()) < 1e-6 * upright.sum()  # mu11 = 0: upright
    assert np.ptp(np.nonzero(upright.any(0))[0]) <= 4  # the bar is vertical now: 3 columns, 4 with interpolation


def test_deslant_limits_the_shear_and_leaves_a_single_row():
    from core.drawing import deslant

    row = np.zeros((1, 9))
    row[0, 2:5] = 1
    out, k = deslant(row)
    assert k == 0.0 and np.array_equal(out, row)
    assert deslant(slanted_bar(120, 1.5), limit=0.5)[1] == 0.5


def test_prepare_image_digits_as_the_uci_scans():
    from sklearn.datasets import load_digits

    from core.drawing import DIGITS_INK, prepare_image

    drawing = ring(280, 40, 90, 180, 120, 22.0)  # a "0" drawn on the pad, 22-pixel pen
    p = prepare_image(drawing, "digits")
    rows, cols = np.nonzero(drawing > 0.2)
    assert not p.blank and p.box == (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1)
    assert p.cropped.shape == (np.ptp(rows) + 1, np.ptp(cols) + 1) and p.slant == pytest.approx(0, abs=1e-6)
    assert p.fitted.shape == (32, 32) and p.fitted.sum() == DIGITS_INK  # stroke weight as the scans'
    assert p.fitted[0].any() and p.fitted[-1].any()  # the height fills the frame, as every scan's
    ink_cols = np.nonzero(p.fitted.any(0))[0]
    assert ink_cols.min() >= 4 and ink_cols.max() <= 27 and (ink_cols.min() + ink_cols.max()) / 2 == 15.5
    np.testing.assert_allclose(p.small, p.fitted.reshape(8, 4, 8, 4).mean(axis=(1, 3)), atol=1e-12)  # 4×4 counts
    expected = digits_to_28(torch.tensor(p.small, dtype=torch.float32)[None, None]).clamp(0, 1)
    assert torch.equal(p.x, expected) and p.x.shape == (1, 1, 28, 28) and p.x.dtype == torch.float32
    # like the scans: ink 0..16 in multiples of 1/16, all 8 rows, columns 1..6 (as 77% of the scans)
    scans = load_digits().images
    assert np.allclose(p.small * 16, np.round(p.small * 16)) and p.small.any(1).all()
    assert np.nonzero(p.small.any(0))[0].tolist() == [1, 2, 3, 4, 5, 6]
    assert abs(p.small.sum() * 16 - np.median(scans.sum(axis=(1, 2)))) <= 1
    # the same digit drawn small in a corner, or in dark ink on paper, is seen the same way
    small_corner = ring(280, 5, 10, 90, 60, 11.0)
    np.testing.assert_allclose(prepare_image(small_corner, "digits").small, p.small, atol=2 / 16)
    assert torch.equal(prepare_image(1.0 - drawing, "digits").x, p.x)


def test_prepare_image_digits_makes_a_slanted_one_upright():
    from core.drawing import prepare_image

    upright, slanted = prepare_image(slanted_bar(280, 0.0), "digits"), prepare_image(slanted_bar(280, 0.4), "digits")
    assert slanted.slant == pytest.approx(0.4, abs=0.02)
    np.testing.assert_allclose(slanted.small, upright.small, atol=3 / 16)


def test_prepare_image_mnist_fits_20_and_centres_the_mass():
    from scipy import ndimage

    from core.drawing import MNIST_BOX, MNIST_CENTRE, prepare_image

    for drawing in (ring(280, 30, 150, 200, 100, 20.0), slanted_bar(280, 0.3), ring(200, 0, 0, 60, 190, 12.0)):
        p = prepare_image(drawing, "mnist")
        assert p.fitted.shape == (28, 28) and p.small is p.fitted and p.slant == 0.0
        assert torch.equal(p.x, torch.tensor(p.fitted, dtype=torch.float32)[None, None])
        rows, cols = np.nonzero(p.fitted > 0)
        assert max(np.ptp(rows), np.ptp(cols)) + 1 == MNIST_BOX  # the longer side is 20 (area-resized)
        box_h, box_w = p.cropped.shape
        assert (np.ptp(rows) + 1) / (np.ptp(cols) + 1) == pytest.approx(box_h / box_w, rel=0.12)  # aspect kept
        cy, cx = ndimage.center_of_mass(p.fitted)
        assert abs(cy - MNIST_CENTRE) <= 0.5 + 1e-9 and abs(cx - MNIST_CENTRE) <= 0.5 + 1e-9  # whole pixels


def test_prepare_image_fashion_mnist_fits_28_and_centres_the_box():
    from core.drawing import prepare_image

    p = prepare_image(ring(280, 60, 20, 100, 200, 10.0), "fashion_mnist")
    rows, cols = np.nonzero(p.fitted > 0)
    height = round(p.cropped.shape[0] * 28 / p.cropped.shape[1])  # the longer side (the width) is 28
    assert (cols.min(), cols.max()) == (0, 27) and np.ptp(rows) + 1 == height
    assert abs(rows.min() + rows.max() - 27) <= 1  # centred


def test_prepare_image_mnist_gives_back_a_real_mnist_digit():
    """MNIST's own digits, drawn ×10 on the pad and prepared, are their own images again (MNIST's procedure)."""
    from core.drawing import prepare_image

    if not MNIST_DIR.is_dir():
        pytest.skip(f"{MNIST_DIR} (the MNIST test set) is not on this machine")
    digits = read_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")[:50] / 255.0
    pads = F.interpolate(torch.tensor(digits[:, None]), size=(280, 280), mode="bilinear", align_corners=False)
    errors = [np.abs(prepare_image(pad[0].clamp(0, 1).numpy(), "mnist").small - d).mean() for pad, d in
              zip(pads, digits, strict=True)]
    assert np.median(errors) < 0.03


def test_prepare_image_shapes_resizes_the_whole_picture():
    from core.drawing import prepare_image

    rng = np.random.default_rng(0)
    ink = (rng.random((64, 48)) > 0.8).astype(float)  # bright strokes on black
    p = prepare_image(ink, "shapes")
    assert p.box is None and p.x.shape == (1, 1, 28, 28) and p.x.dtype == torch.float32
    assert p.small.mean() == pytest.approx(ink.mean(), rel=1e-12)  # area resizing keeps the mean
    assert torch.equal(prepare_image(1.0 - ink, "shapes").x, p.x)  # dark on light: inverted first


@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("picture", [np.zeros((280, 280)), np.ones((50, 70)), np.full((9, 9), 0.4),
                                     np.full((5, 5), 0.5) + 0.01 * np.eye(5)])
def test_a_blank_picture_is_flagged_not_an_error(name, picture):
    from core.drawing import prepare_image

    p = prepare_image(picture, name)
    side = 8 if name == "digits" else 28
    assert p.blank and p.box is None and p.cropped.size == 0
    assert p.small.shape == p.fitted.shape == (side, side) and not p.small.any() and not p.x.any()


def test_prepare_image_rejects_unknown_datasets_and_non_pictures():
    from core.drawing import prepare_image

    with pytest.raises(ValueError, match="unknown dataset"):
        prepare_image(np.ones((4, 4)), "cifar")
    with pytest.raises(ValueError, match="expected a"):
        prepare_image(np.ones((4, 4, 3)), "digits")


# ---- downloads: https only, known sizes, one attempt for a class -------------------------------------------------


def test_only_https_addresses_are_downloaded(cache, monkeypatch):
    import core.downloads

    monkeypatch.setattr(core.downloads.urllib.request, "urlopen", lambda *a, **k: pytest.fail("a request was made"))
    with pytest.raises(DatasetUnavailable, match="not an https address"):
        load_dataset("mnist", base_url="http://example.com/mnist/", checksums=sha256s(fake_files()))
    assert all(url.startswith("https://") for url in core.downloads.MIRRORS.values())


def test_every_known_file_has_a_sha256_and_a_size():
    import core.downloads

    for name, sums in core.downloads.CHECKSUMS.items():
        assert sorted(sums) == sorted(IDX_FILES) == sorted(core.downloads.SIZES[name])
        for checksum in sums.values():
            algorithm, _, digest = checksum.partition(":")
            assert algorithm == "sha256" and len(digest) == 64 and int(digest, 16) >= 0


def test_the_download_goes_through_pooch_with_the_known_hash(cache, monkeypatch):
    import pooch

    files, calls = fake_files(), []
    real = pooch.retrieve

    def retrieve(url, known_hash=None, **kwargs):
        calls.append((url.rsplit("/", 1)[1], known_hash))
        return real(url, known_hash=known_hash, **kwargs)

    monkeypatch.setattr(pooch, "retrieve", retrieve)
    with serve(files) as (url, _):
        load_dataset("mnist", base_url=url, checksums=sha256s(files))
    assert calls == [(f, sha256s(files)[f]) for f in IDX_FILES]


def sizes_of(files) -> dict[str, int]:
    return {name: len(body) for name, body in files.items()}


def test_a_file_announced_or_sent_larger_than_its_known_size_is_not_kept(cache):
    files = fake_files()
    smaller = sizes_of(files) | {"train-images-idx3-ubyte.gz": len(files["train-images-idx3-ubyte.gz"]) - 10}
    with serve(files) as (url, _), pytest.raises(DatasetUnavailable, match="announced as"):
        load_dataset("mnist", base_url=url, checksums=sha256s(files), sizes=smaller)
    import core.downloads

    core.downloads._FAILURES.clear()
    with serve(files, lengthless=True) as (url, _), pytest.raises(DatasetUnavailable, match="more than its known"):
        load_dataset("mnist", base_url=url, checksums=sha256s(files), sizes=smaller)
    assert "train-images-idx3-ubyte.gz" not in cached(cache)
    assert not [p for p in cached(cache) if p.endswith(".part")]
    core.downloads._FAILURES.clear()
    with serve(files, lengthless=True) as (url, _):  # the exact known sizes: kept
        d = load_dataset("mnist", base_url=url, checksums=sha256s(files), sizes=sizes_of(files))
    assert len(d.y_train) == 30


def test_a_failure_is_remembered_so_that_a_class_of_refreshes_makes_one_attempt(cache, monkeypatch):
    import core.downloads

    files = fake_files()
    with serve({}) as (url, requests), pytest.raises(DatasetUnavailable, match="404"):
        load_dataset("mnist", base_url=url, checksums=sha256s(files))
    assert len(requests) == 1
    with serve(files) as (url, requests):
        for _ in range(5):  # everyone else, within RETRY_AFTER: answered at once, nothing requested
            with pytest.raises(DatasetUnavailable, match=r"404.*tried"):
                load_dataset("mnist", base_url=url, checksums=sha256s(files))
        assert requests == []
        monkeypatch.setattr(core.downloads, "RETRY_AFTER", 0.0)  # later: one new attempt, which succeeds
        assert len(load_dataset("mnist", base_url=url, checksums=sha256s(files)).y_train) == 30
        assert sorted(requests) == sorted(IDX_FILES)
    assert "mnist" not in core.downloads._FAILURES


def test_two_students_asking_at_once_make_one_download(cache):
    files = fake_files()
    results = []
    with serve(files) as (url, requests):
        threads = [threading.Thread(target=lambda: results.append(
            load_dataset("mnist", base_url=url, checksums=sha256s(files)))) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert len(results) == 4 and sorted(requests) == sorted(IDX_FILES)  # each file requested once
