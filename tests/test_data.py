"""core.data: IDX parsing against a writer written here, the offline datasets, and downloads from a local server."""

import contextlib
import gzip
import hashlib
import http.server
import itertools
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
    cache_dir,
    digits_to_28,
    downsample_to_8,
    load_dataset,
    load_shapes,
    read_idx,
    shift_images,
)
from tests.helpers.idx_files import CODES, fake_files, sha256s, write_idx

MNIST_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-t10k"  # beside the checkout
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
def serve(files, truncate=()):
    """An HTTP server on 127.0.0.1 serving ``files``; names in ``truncate`` announce their length, send half."""
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
    monkeypatch.setenv("DLP_CACHE", str(tmp_path))
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


def test_prepare_image_sees_a_drawing_like_the_training_data():
    from core.data import area_resize, digits_to_28, downsample_to_8, prepare_image

    rng = np.random.default_rng(0)
    ink = (rng.random((64, 48)) > 0.8).astype(float)  # bright strokes on black
    x, small = prepare_image(ink, "digits")
    np.testing.assert_allclose(small, downsample_to_8(ink), atol=1e-12)
    expected = digits_to_28(torch.tensor(small, dtype=torch.float32)[None, None]).clamp(0, 1)
    assert torch.equal(x, expected) and x.shape == (1, 1, 28, 28)
    paper = 1.0 - ink  # dark ink on white paper: inverted first
    assert torch.equal(prepare_image(paper, "digits")[0], x)
    x_shapes, small_shapes = prepare_image(ink, "shapes")
    assert x_shapes.shape == (1, 1, 28, 28) and x_shapes.dtype == torch.float32
    # area resizing keeps the mean (each output pixel averages the area it covers)
    assert small_shapes.mean() == pytest.approx(ink.mean(), rel=1e-12)
    np.testing.assert_allclose(area_resize(ink, 8, 8), downsample_to_8(ink), atol=1e-12)
