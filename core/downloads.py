"""Downloading a data set's files once into a per-user cache, safely, through ``pooch``: over https only, each file
stopped at its known size and checked against its known SHA-256 before it is renamed into place, one download at a
time per data set, and a failure remembered for ``RETRY_AFTER`` seconds so that a class refreshing an offline link
makes one attempt.

The files land in ``~/.cache/dl-playground/<name>/`` (or ``$DLP_CACHE/<name>/``); ``core.data`` reads them.
"""

from __future__ import annotations

import http.client
import os
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

# The SHA-256 sums of the compressed files as their publishers distribute them (MNIST: the files torchvision's and
# TensorFlow's mirrors serve; Fashion-MNIST: Zalando's release, which the tf-keras-datasets bucket copies byte for
# byte). "algorithm:hex", as pooch reads it.
CHECKSUMS: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "sha256:440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "sha256:3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "sha256:8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "sha256:f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "fashion_mnist": {
        "train-images-idx3-ubyte.gz": "sha256:3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz": "sha256:a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz": "sha256:346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz": "sha256:67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
}

Progress = Callable[[int, int], None]
_CHUNK = 64 * 1024


def cache_dir(name: str) -> Path:
    """Where ``name``'s files are kept: ``$DLP_CACHE/<name>`` or ``~/.cache/dl-playground/<name>``."""
    root = os.environ.get("DLP_CACHE")
    return (Path(root) if root else Path.home() / ".cache" / "dl-playground") / name


def _check_url(name: str, url: str) -> None:
    """Only https (a loopback address may use plain http: the tests' own server)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")):
        raise DatasetUnavailable(name, f"{url} is not an https address; only https downloads are made.")


class _CappedDownloader:
    """A pooch downloader (``downloader(url, output_file, pooch)``) that reads over https only, refuses a server that
    announces a length other than ``size``, stops reading past ``size`` bytes, and reports ``progress(done, total)``.
    pooch does the rest: the temporary file beside the destination, the checksum, and the rename into place."""

    def __init__(self, name: str, timeout: float, progress: Progress | None, size: int | None) -> None:
        self.name, self.timeout, self.progress, self.size = name, timeout, progress, size
        self.called = False

    def __call__(self, url: str, output_file: str, _pooch: object = None) -> None:
        self.called = True
        name, size = self.name, self.size
        _check_url(name, url)
        try:
            with open(output_file, "wb") as f, urllib.request.urlopen(url, timeout=self.timeout) as response:
                total = int(response.headers.get("Content-Length") or 0)
                if size is not None and total and total != size:
                    raise DatasetUnavailable(name, f"{url} is announced as {total} bytes, not its known {size}.")
                done = 0
                if self.progress:
                    self.progress(done, total)
                while chunk := response.read(_CHUNK):
                    f.write(chunk)
                    done += len(chunk)
                    if size is not None and done > size:
                        raise DatasetUnavailable(name, f"{url} sent more than its known {size} bytes.")
                    if self.progress:
                        self.progress(done, total)
            if total and done != total:
                raise DatasetUnavailable(name, f"download of {url} stopped after {done} of {total} bytes.")
        except urllib.error.HTTPError as e:
            raise DatasetUnavailable(name, f"the server answered {e.code} {e.reason} for {url}.") from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as e:  # offline, refused, timeout, reset
            reason = getattr(e, "reason", e)
            raise DatasetUnavailable(name, f"could not download {url} ({reason}).") from None


def _checksum_matches(path: Path, checksum: str) -> bool:
    """Whether ``path`` has the checksum ``"algorithm:hex"`` (pooch computes it)."""
    import pooch

    algorithm, _, expected = checksum.partition(":")
    return pooch.file_hash(str(path), alg=algorithm) == expected.lower()


def _download(name: str, url: str, dest: Path, checksum: str, timeout: float, progress: Progress | None,
              size: int | None = None) -> bool:
    """``url`` -> ``dest`` through ``pooch.retrieve``: a file already there with the right checksum is kept, any
    other is removed and downloaded again (``_CappedDownloader``), renamed into place only when its checksum matches.
    Whether a download was made."""
    import pooch  # imported here: only a page that downloads pays for it

    downloader = _CappedDownloader(name, timeout, progress, size)
    try:
        if dest.is_file() and not _checksum_matches(dest, checksum):
            dest.unlink()  # a damaged copy goes now: a download cut off later must not leave it looking cached
        pooch.retrieve(url, known_hash=checksum, fname=dest.name, path=dest.parent, downloader=downloader)
    except ValueError as e:  # pooch: the hash does not match, or the checksum is not "algorithm:hex"
        if not downloader.called:
            raise
        raise DatasetUnavailable(name, f"{url} does not match its known checksum (corrupt or changed file).") from e
    except OSError as e:  # the cache folder cannot be written
        raise DatasetUnavailable(name, f"could not store {dest.name} in {dest.parent} ({e}).") from None
    return downloader.called


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
    finished = 0  # bytes of files already downloaded in this call, so that progress never goes backwards
    for f in IDX_FILES:

        def report(done: int, total: int, finished: int = finished) -> None:
            if progress:
                progress(finished + done, finished + total if total else 0)

        if _download(name, base_url.rstrip("/") + "/" + f, paths[f], checksums[f], timeout, report, sizes.get(f)):
            finished += paths[f].stat().st_size
    return paths
