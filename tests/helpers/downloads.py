"""What an ``st.download_button`` of an AppTest run hands the student: the bytes behind its URL.

AppTest keeps a download's bytes in a media store that lives only while the script runs; ``record_downloads``
(a context manager around the runs) copies every file stored there, and ``download`` finds the button's own file by
the id in its URL.
"""

from __future__ import annotations

import contextlib
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage


@dataclass(frozen=True)
class Download:
    data: bytes
    mimetype: str
    filename: str | None


@contextlib.contextmanager
def record_downloads() -> Iterator[dict[str, Download]]:
    """While inside: every file the app stores for a download or a medium, by its file id."""
    stored: dict[str, Download] = {}
    real = MemoryMediaFileStorage.load_and_get_id

    def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):
        file_id = real(self, path_or_data, mimetype, kind, filename)
        data = path_or_data if isinstance(path_or_data, bytes) else self.get_file(file_id).content
        stored[file_id] = Download(data, mimetype, filename)
        return file_id

    MemoryMediaFileStorage.load_and_get_id = load_and_get_id
    try:
        yield stored
    finally:
        MemoryMediaFileStorage.load_and_get_id = real


def download(at, stored: dict[str, Download], key: str) -> Download:
    """The file behind the download button drawn with ``key``."""
    [button] = [b for b in at.get("download_button") if b.proto.id.endswith("-" + key)]
    file_id = posixpath.splitext(posixpath.basename(button.proto.url))[0]
    return stored[file_id]
