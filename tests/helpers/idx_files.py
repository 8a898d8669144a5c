"""Small MNIST-shaped files made in the tests: IDX bytes, gzipped, with their checksums."""

from __future__ import annotations

import gzip
import hashlib
import struct

import numpy as np

CODES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
"""IDX type codes and the big-endian dtype each stores."""


def write_idx(x: np.ndarray, code: int) -> bytes:
    """The IDX bytes of ``x``: 0, 0, type, ndim, big-endian uint32 sizes, big-endian data."""
    return (bytes([0, 0, code, x.ndim]) + struct.pack(f">{x.ndim}I", *x.shape)
            + np.ascontiguousarray(x, dtype=CODES[code]).tobytes())


def fake_files(n_train: int = 30, n_test: int = 10) -> dict[str, bytes]:
    """The four gzipped MNIST files with random images and labels 0, 1, …, 9, 0, …"""
    rng = np.random.default_rng(0)
    files = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        files[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(
            write_idx(rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), 0x08))
        files[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(write_idx(np.arange(n, dtype=np.uint8) % 10, 0x08))
    return files


def sha256s(files: dict[str, bytes]) -> dict[str, str]:
    """Each file's checksum, written as ``core.downloads.CHECKSUMS`` writes it."""
    return {name: "sha256:" + hashlib.sha256(data).hexdigest() for name, data in files.items()}
