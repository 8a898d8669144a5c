"""Image datasets for the trainer: real digits offline, generated shapes, MNIST and Fashion-MNIST, and the
preparation that brings a student's picture to their format the way each data set's authors prepared theirs
(``prepare_image``).

Every dataset leaves this module as a ``Dataset``: images float32 ``(N, 1, H, W)`` in [0, 1], labels int64 ``(N,)``.
``"digits"`` and ``"shapes"`` work offline; ``"mnist"`` and ``"fashion_mnist"`` are downloaded once into a per-user
cache (``~/.cache/dl-playground/<name>/``, or ``$DLP_CACHE/<name>/``), each file checked against a known checksum
before it is used (``core.downloads``). IDX files are parsed by hand (``read_idx``), never unpickled.
"""

from __future__ import annotations

import functools
import math
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from core.downloads import IDX_FILES, DatasetUnavailable, fetch_idx_files

# ---- the dataset container ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train and test images float32 ``(N, 1, H, W)`` in [0, 1], labels int64 ``(N,)`` in ``range(len(classes))``."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    classes: list[str]
    description: str

    def __post_init__(self) -> None:
        k = len(self.classes)
        if k < 2:
            raise ValueError(f"need at least 2 classes, got {k}")
        for part in ("train", "test"):
            x, y = getattr(self, f"x_{part}"), getattr(self, f"y_{part}")
            if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
                raise ValueError(f"x_{part} and y_{part} must be torch tensors")
            if x.dtype != torch.float32 or x.ndim != 4 or x.shape[1] != 1:
                raise ValueError(f"x_{part} must be float32 (N, 1, H, W), got {x.dtype} {tuple(x.shape)}")
            if y.dtype != torch.int64 or y.ndim != 1 or y.shape[0] != x.shape[0]:
                raise ValueError(f"y_{part} must be int64 ({x.shape[0]},), got {y.dtype} {tuple(y.shape)}")
            if x.numel() and not (x.min() >= 0 and x.max() <= 1):  # also refuses NaN
                raise ValueError(f"x_{part} must lie in [0, 1]")
            if y.numel() and not (y.min() >= 0 and y.max() < k):
                raise ValueError(f"y_{part} must lie in 0..{k - 1}")
        if self.x_train.shape[2:] != self.x_test.shape[2:]:
            raise ValueError(f"train and test images differ in size: {tuple(self.x_train.shape[2:])} vs "
                             f"{tuple(self.x_test.shape[2:])}")


# ---- IDX files -------------------------------------------------------------------------------------------------

IDX_TYPES: dict[int, np.dtype] = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
                                  0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
"""IDX element type code -> big-endian NumPy dtype (the format's only types)."""

MAX_IDX_BYTES = 512 * 1024 * 1024  # far above the 47 MB of MNIST's largest file: a bound against gzip bombs


def _gunzip(data: bytes) -> bytes:
    """Decompress one gzip stream, at most ``MAX_IDX_BYTES``; ValueError when truncated or corrupt."""
    d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, MAX_IDX_BYTES + 1)
    except zlib.error as e:
        raise ValueError(f"corrupt gzip data: {e}") from None
    if len(out) > MAX_IDX_BYTES:
        raise ValueError(f"decompressed IDX file is larger than {MAX_IDX_BYTES} bytes")
    if not d.eof:
        raise ValueError("truncated gzip data")
    return out


def read_idx(source: str | os.PathLike | bytes | bytearray | memoryview) -> np.ndarray:
    """One IDX array (a path or the file's bytes, raw or gzip): magic ``00 00 type ndim``, ndim big-endian uint32
    sizes, then exactly ``prod(sizes)`` big-endian elements. Returns a native-endian array; ValueError if malformed."""
    data = bytes(source) if isinstance(source, bytes | bytearray | memoryview) else Path(source).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data)
    if len(data) < 4:
        raise ValueError(f"IDX file too short for its 4-byte magic number ({len(data)} bytes)")
    if data[:2] != b"\x00\x00":
        raise ValueError(f"bad IDX magic number {data[:4].hex()}: the first two bytes must be zero")
    code, ndim = data[2], data[3]
    if code not in IDX_TYPES:
        raise ValueError(f"unknown IDX element type 0x{code:02X} (known: 0x08, 0x09, 0x0B..0x0E)")
    if ndim == 0:
        raise ValueError("IDX file with 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"IDX header truncated: {ndim} dimensions need {header} bytes, got {len(data)}")
    dims = tuple(int(s) for s in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = IDX_TYPES[code]
    expected = math.prod(dims) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(f"IDX data of shape {dims} needs {expected} bytes, got {len(data) - header}")
    return np.frombuffer(data, dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


# ---- digits (offline, real) ------------------------------------------------------------------------------------


def digits_to_28(x8: torch.Tensor) -> torch.Tensor:
    """``(N, 1, 8, 8)`` in [0, 1] -> ``(N, 1, 28, 28)`` by bilinear interpolation (align_corners=False)."""
    return F.interpolate(x8, size=(28, 28), mode="bilinear", align_corners=False)


def _area_matrix(n: int, m: int) -> np.ndarray:
    """``(m, n)`` weights: row i averages the input cells [i n/m, (i+1) n/m), fractional cells by their overlap."""
    edges = np.arange(m + 1) * (n / m)
    lo, hi = edges[:-1, None], edges[1:, None]
    cells = np.arange(n)[None, :]
    overlap = np.clip(np.minimum(hi, cells + 1) - np.maximum(lo, cells), 0, None)
    return overlap / (n / m)


def downsample_to_8(img: np.ndarray) -> np.ndarray:
    """``(H, W)`` in [0, 1] -> ``(8, 8)``: each output pixel is the mean of the area it covers (exact for any H, W)."""
    return area_resize(img, 8, 8)


def area_resize(img: np.ndarray, h: int, w: int) -> np.ndarray:
    """``(H, W)`` -> ``(h, w)``, each output pixel the mean of the area it covers (exact for any sizes)."""
    img = np.asarray(img, dtype=np.float64)
    if img.ndim != 2 or min(img.shape) < 1:
        raise ValueError(f"expected a (H, W) image, got shape {img.shape}")
    return _area_matrix(img.shape[0], h) @ img @ _area_matrix(img.shape[1], w).T


DIGIT_CLASSES = [str(d) for d in range(10)]


@functools.cache
def _digits() -> Dataset:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    x8 = torch.from_numpy(bunch.images / 16.0).float().unsqueeze(1)  # the scans count ink from 0 to 16
    x = digits_to_28(x8).clamp_(0, 1)
    y = torch.from_numpy(bunch.target.astype(np.int64))
    i_train, i_test = train_test_split(np.arange(len(y)), test_size=0.2, stratify=bunch.target, random_state=0)
    return Dataset(x[i_train], y[i_train], x[i_test], y[i_test], DIGIT_CLASSES, DATASETS["digits"].description)


def load_digits_dataset(seed: int = 0, drawn: int = 0) -> Dataset:
    """scikit-learn's 1,797 8x8 digits, upsampled to 28x28; the 80/20 stratified split is fixed (``seed`` unused).

    ``drawn > 0`` appends that many digits drawn by the program (``core.drawn_digits.drawn_digits(drawn)``: pen
    paths in writing styles the scans lack, prepared as a drawing on the pad) to the training split, after the
    scans; the test split stays the scans' own.
    """
    d = _digits()  # cached; tensors are cloned so that a caller cannot change the cached copy
    x_train, y_train = d.x_train.clone(), d.y_train.clone()
    if drawn:
        from core.drawn_digits import drawn_digits  # it prepares its pictures with prepare_image, from this module

        x_drawn, y_drawn = drawn_digits(drawn)
        x_train, y_train = torch.cat([x_train, x_drawn]), torch.cat([y_train, y_drawn])
    description = d.description + (f" Training split: plus {drawn:,} digits drawn by this app." if drawn else "")
    return Dataset(x_train, y_train, d.x_test.clone(), d.y_test.clone(), list(d.classes), description)


# ---- shapes (offline, generated) -------------------------------------------------------------------------------

SHAPE_CLASSES = ["circle", "square", "triangle", "cross", "ring", "line"]
SIZE = 28
SUPER = 4  # supersampling factor: each pixel is the mean of 4x4 sub-samples (anti-aliasing)


def _shape_masks(k: int, u: np.ndarray, v: np.ndarray, r: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Inside-mask of class ``k`` in the shape's own (rotated) frame ``u, v``; ``r`` size, ``w`` stroke width."""
    name = SHAPE_CLASSES[k]
    if name == "circle":
        return u**2 + v**2 <= r**2
    if name == "square":
        return np.maximum(abs(u), abs(v)) <= 0.8 * r
    if name == "triangle":  # equilateral, circumradius 1.1 r: inside all three edges at distance R / 2
        big_r = 1.1 * r
        angles = -np.pi / 2 + 2 * np.pi * np.arange(3) / 3
        return np.all([u * np.cos(a) + v * np.sin(a) <= big_r / 2 for a in angles], axis=0)
    if name == "cross":
        return ((abs(u) <= w / 2) & (abs(v) <= r)) | ((abs(v) <= w / 2) & (abs(u) <= r))
    if name == "ring":
        return abs(np.sqrt(u**2 + v**2) - r) <= w / 2
    return (abs(v) <= w / 2) & (abs(u) <= 1.1 * r)  # line


def _draw_shapes(y: np.ndarray, rng: np.random.Generator, noise: float, centred: bool) -> np.ndarray:
    """float32 ``(N, 28, 28)`` images of the classes ``y``, random size, rotation, stroke and (unless centred) place."""
    n = len(y)
    r = rng.uniform(4.5, 8.0, n)
    w = rng.uniform(1.5, 3.5, n)
    theta = rng.uniform(0, 2 * np.pi, n)
    margin = 1.2 * r + w / 2 + 0.5  # every shape lies within this distance of its centre
    cx = np.full(n, SIZE / 2) if centred else rng.uniform(margin, SIZE - margin)
    cy = np.full(n, SIZE / 2) if centred else rng.uniform(margin, SIZE - margin)
    eps = rng.standard_normal((n, SIZE, SIZE))
    s = ((np.arange(SIZE * SUPER) + 0.5) / SUPER).astype(np.float32)  # sub-sample centres, in pixel units
    out = np.zeros((n, SIZE, SIZE), dtype=np.float32)
    params = np.stack([cx, cy, np.cos(theta), np.sin(theta), r, w]).astype(np.float32)[:, :, None, None]
    for k in range(len(SHAPE_CLASSES)):
        for idx in np.array_split(np.flatnonzero(y == k), max(1, int(np.sum(y == k)) // 256)):
            x0, y0, c, sn, rk, wk = params[:, idx]  # each (n, 1, 1): broadcast over the sub-sample grid
            dx, dy = s[None, None, :] - x0, s[None, :, None] - y0
            u, v = c * dx + sn * dy, -sn * dx + c * dy
            mask = _shape_masks(k, u, v, rk, wk)
            out[idx] = mask.reshape(len(idx), SIZE, SUPER, SIZE, SUPER).mean(axis=(2, 4), dtype=np.float32)
    return np.clip(out + noise * eps, 0, 1).astype(np.float32)


def load_shapes(seed: int = 0, n_train: int = 3000, n_test: int = 600, noise: float = 0.05,
                centred: bool = False) -> Dataset:
    """Generated 28x28 shapes (6 classes, balanced), deterministic per ``seed``; ``centred`` fixes the position."""
    if n_train < 0 or n_test < 0 or noise < 0:
        raise ValueError("n_train, n_test and noise must be non-negative")
    parts = []
    for stream, n in enumerate((n_train, n_test)):
        rng = np.random.default_rng([seed, stream])
        y = rng.permutation(np.arange(n) % len(SHAPE_CLASSES))
        x = _draw_shapes(y, rng, noise, centred)
        parts += [torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y.astype(np.int64))]
    return Dataset(*parts, list(SHAPE_CLASSES), DATASETS["shapes"].description)


def shift_images(x: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """``x`` ``(N, C, H, W)`` moved ``dx`` pixels right and ``dy`` down; what leaves is lost, what enters is 0."""
    out = torch.zeros_like(x)
    h, w = x.shape[-2:]
    if abs(dx) >= w or abs(dy) >= h:
        return out
    out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        x[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


# ---- MNIST and Fashion-MNIST (downloaded: ``core.downloads``) -----------------------------------------------

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]


def _idx_dataset(name: str, images: np.ndarray, labels: np.ndarray, classes: list[str]) -> tuple:
    if (images.ndim != 3 or images.dtype != np.uint8 or labels.shape != images.shape[:1]
            or (labels.size and labels.max() >= len(classes))):
        raise DatasetUnavailable(name, f"unexpected IDX content: images {images.shape}, labels {labels.shape}.")
    return torch.from_numpy(images).float().div_(255).unsqueeze(1), torch.from_numpy(labels.astype(np.int64))


def _subset(x: torch.Tensor, y: torch.Tensor, n: int | None, rng: np.random.Generator) -> tuple:
    if n is None or n >= len(y):
        return x, y
    idx = torch.from_numpy(np.sort(rng.choice(len(y), size=n, replace=False)))
    return x[idx], y[idx]


def _load_downloaded(name: str, classes: list[str], seed: int = 0, n_train: int | None = None,
                     n_test: int | None = None, **fetch_options) -> Dataset:
    paths = fetch_idx_files(name, **fetch_options)
    try:
        arrays = {f: read_idx(p) for f, p in paths.items()}
    except ValueError as e:
        raise DatasetUnavailable(name, f"a cached file cannot be read ({e}).") from None
    x_train, y_train = _idx_dataset(name, arrays[IDX_FILES[0]], arrays[IDX_FILES[1]], classes)
    x_test, y_test = _idx_dataset(name, arrays[IDX_FILES[2]], arrays[IDX_FILES[3]], classes)
    rng = np.random.default_rng(seed)
    return Dataset(*_subset(x_train, y_train, n_train, rng), *_subset(x_test, y_test, n_test, rng), list(classes),
                   DATASETS[name].description)


def load_mnist(seed: int = 0, **options) -> Dataset:
    """MNIST (downloaded once); options ``n_train``, ``n_test`` (random subsets by ``seed``), ``base_url``,
    ``timeout``, ``progress``, ``checksums``."""
    return _load_downloaded("mnist", DIGIT_CLASSES, seed, **options)


def load_fashion_mnist(seed: int = 0, **options) -> Dataset:
    """Fashion-MNIST (downloaded once); the same options as ``load_mnist``."""
    return _load_downloaded("fashion_mnist", FASHION_CLASSES, seed, **options)


# ---- the registry ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset by its stable name: whether it works offline, its loader ``(seed, **options) -> Dataset``."""

    name: str
    offline: bool
    loader: Callable[..., Dataset]
    description: str


DATASETS: dict[str, DatasetSpec] = {
    "digits": DatasetSpec("digits", True, load_digits_dataset,
                          "1,797 real 8x8 handwritten digits (UCI optical recognition of handwritten digits, via "
                          "scikit-learn load_digits, CC BY 4.0), upsampled to 28x28."),
    "shapes": DatasetSpec("shapes", True, load_shapes,
                          "28x28 pictures of six shapes generated by this app (random place, size, rotation, stroke "
                          "and noise); free to use."),
    "mnist": DatasetSpec("mnist", False, load_mnist,
                         "MNIST handwritten digits by Y. LeCun, C. Cortes and C. J. C. Burges (60,000 training and "
                         "10,000 test images, 28x28), CC BY-SA 3.0."),
    "fashion_mnist": DatasetSpec("fashion_mnist", False, load_fashion_mnist,
                                 "Fashion-MNIST by Zalando Research (60,000 training and 10,000 test 28x28 images of "
                                 "clothing in 10 classes), MIT licence."),
}


def load_dataset(name: str, seed: int = 0, **options) -> Dataset:
    """The dataset registered as ``name``; DatasetUnavailable where a download is needed and fails."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    return DATASETS[name].loader(seed, **options)
