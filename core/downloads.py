"""Downloading a data set's files once into a per-user cache, safely: over https only, each file stopped at its known
size and checked against its known checksum before it is renamed into place, one download at a time per data set, and a
failure remembered for ``RETRY_AFTER`` seconds so that a class refreshing an offline link makes one attempt.

The files land in ``~/.cache/dl-playground/<name>/`` (or ``$DLP_CACHE/<name>/``); ``core.data`` reads them.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

OFFLINE_HINT = 'The offline datasets "digits" and "shapes" need no download.'


class DatasetUnavailable(RuntimeError):
    """A dataset that cannot be loaded now (offline, server error, bad checksum); ``name`` says which."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f'Dataset "{name}" is unavailable: {reason} {OFFLINE_HINT}')
        self.name, self.reason = name, reason

    def __reduce__(self):  # picklable (Streamlit's cache pickles exceptions it stores)
        return type(self), (self.name, self.reason)


IDX_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
             "t10k-labels-idx1-ubyte.gz")

MIRRORS = {"mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
           "fashion_mnist": "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"}
"""Over https only (``_check_url``): the Fashion-MNIST files from the bucket Keras downloads them from, the same
bytes as Zalando's own plain-http site."""

SIZES: dict[str, dict[str, int]] = {
    "mnist": {"train-images-idx3-ubyte.gz": 9_912_422, "train-labels-idx1-ubyte.gz": 28_881,
              "t10k-images-idx3-ubyte.gz": 1_648_877, "t10k-labels-idx1-ubyte.gz": 4_542},
    "fashion_mnist": {"train-images-idx3-ubyte.gz": 26_421_880, "train-labels-idx1-ubyte.gz": 29_515,
                      "t10k-images-idx3-ubyte.gz": 4_422_102, "t10k-labels-idx1-ubyte.gz": 5_148},
}
"""Each file's known size in bytes: a download stops there, and a server that announces another size is not read."""
RETRY_AFTER = 60.0
"""Seconds a failed download is remembered: a class refreshing an offline ``?data=mnist`` makes one attempt, and
every other request in that time is answered at once with the same reason."""
_FAILURES: dict[str, tuple[float, str]] = {}
_FETCHING: dict[str, threading.Lock] = {}
_FETCHING_LOCK = threading.Lock()

# The MD5 sums that torchvision publishes for the compressed files (torchvision.datasets.MNIST / FashionMNIST
# .resources). "algorithm:hex" so that a SHA-256 can replace them without a code change elsewhere.
CHECKSUMS: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "md5:d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "md5:9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "md5:ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion_mnist": {
        "train-images-idx3-ubyte.gz": "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "md5:25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "md5:bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "md5:bb300cfdad3c16e7a12a480ee83cd310",
    },
}

Progress = Callable[[int, int], None]
_CHUNK = 64 * 1024


def cache_dir(name: str) -> Path:
    """Where ``name``'s files are kept: ``$DLP_CACHE/<name>`` or ``~/.cache/dl-playground/<name>``."""
    root = os.environ.get("DLP_CACHE")
    return (Path(root) if root else Path.home() / ".cache" / "dl-playground") / name


def _hasher(checksum: str):
    algorithm, _, expected = checksum.partition(":")
    if algorithm not in ("md5", "sha256") or not expected:
        raise ValueError(f'checksum must be "md5:<hex>" or "sha256:<hex>", got {checksum!r}')
    return hashlib.new(algorithm), expected.lower()


def _file_ok(path: Path, checksum: str) -> bool:
    h, expected = _hasher(checksum)
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest() == expected


def _check_url(name: str, url: str) -> None:
    """Only https (a loopback address may use plain http: the tests' own server)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")):
        raise DatasetUnavailable(name, f"{url} is not an https address; only https downloads are made.")


def _download(name: str, url: str, dest: Path, checksum: str, timeout: float, progress: Progress | None,
              size: int | None = None) -> None:
    """``url`` -> ``dest``, written to a temporary file that is renamed into place only when the checksum matches;
    with ``size``, a server announcing another length is not read, and reading stops past ``size`` bytes."""
    _check_url(name, url)
    h, expected = _hasher(checksum)
    tmp = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        with os.fdopen(fd, "wb") as f, urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0)
            if size is not None and total and total != size:
                raise DatasetUnavailable(name, f"{url} is announced as {total} bytes, not its known {size}.")
            done = 0
            if progress:
                progress(done, total)
            while chunk := response.read(_CHUNK):
                f.write(chunk)
                h.update(chunk)
                done += len(chunk)
                if size is not None and done > size:
                    raise DatasetUnavailable(name, f"{url} sent more than its known {size} bytes.")
                if progress:
                    progress(done, total)
        if total and done != total:
            raise DatasetUnavailable(name, f"download of {url} stopped after {done} of {total} bytes.")
        if h.hexdigest() != expected:
            raise DatasetUnavailable(name, f"{url} does not match its known checksum (corrupt or changed file).")
        os.replace(tmp, dest)
    except urllib.error.HTTPError as e:
        raise DatasetUnavailable(name, f"the server answered {e.code} {e.reason} for {url}.") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as e:  # offline, refused, timeout, reset
        reason = getattr(e, "reason", e)
        raise DatasetUnavailable(name, f"could not download {url} ({reason}).") from None
    finally:
        if tmp and os.path.exists(tmp):
            os.remove(tmp)


def fetch_idx_files(name: str, base_url: str | None = None, timeout: float = 30.0, progress: Progress | None = None,
                    checksums: dict[str, str] | None = None, sizes: dict[str, int] | None = None) -> dict[str, Path]:
    """The four IDX files of ``name`` in its cache dir, downloading those missing or damaged; file name -> path.
    ``progress(done_bytes, total_bytes)`` counts the bytes of this call's downloads so far; the total grows as each
    file's size becomes known (0 where the server does not say).

    One download at a time per data set (a second caller waits, then finds the files or the failure), and a failure
    is remembered for ``RETRY_AFTER`` seconds: in that time every call fails at once with the same reason."""
    with _FETCHING_LOCK:
        lock = _FETCHING.setdefault(name, threading.Lock())
    with lock:
        failed = _FAILURES.get(name)
        if failed is not None and time.monotonic() - failed[0] < RETRY_AFTER:
            raise DatasetUnavailable(name, f"{failed[1]} (tried {time.monotonic() - failed[0]:.0f} s ago; the "
                                           f"next attempt is in {RETRY_AFTER - (time.monotonic() - failed[0]):.0f} s)")
        try:
            paths = _fetch(name, base_url, timeout, progress, checksums, sizes)
        except DatasetUnavailable as error:
            _FAILURES[name] = (time.monotonic(), error.reason)
            raise
        _FAILURES.pop(name, None)
        return paths


def _fetch(name: str, base_url: str | None, timeout: float, progress: Progress | None,
           checksums: dict[str, str] | None, sizes: dict[str, int] | None) -> dict[str, Path]:
    base_url = base_url or MIRRORS[name]
    checksums = checksums or CHECKSUMS[name]
    sizes = sizes if sizes is not None else SIZES.get(name, {})
    folder = cache_dir(name)
    paths = {f: folder / f for f in IDX_FILES}
    missing = [f for f, p in paths.items() if not (p.is_file() and _file_ok(p, checksums[f]))]
    finished = 0  # bytes of files already downloaded in this call, so that progress never goes backwards
    for f in missing:
        paths[f].unlink(missing_ok=True)

        def report(done: int, total: int, finished: int = finished) -> None:
            if progress:
                progress(finished + done, finished + total if total else 0)

        _download(name, base_url.rstrip("/") + "/" + f, paths[f], checksums[f], timeout, report, sizes.get(f))
        finished += paths[f].stat().st_size
    return paths
