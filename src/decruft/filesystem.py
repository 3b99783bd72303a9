"""Where raw files live: a local folder, or any URI pyarrow's filesystems understand.

``read/sources.py`` keeps the local behaviour (``os.walk``, symlink checks); for a remote root such as
``s3://bucket/raw`` it lists and reads through this module instead. ``file://`` URIs are local
folders and go the local way.

S3 credentials and settings come from the usual AWS environment variables
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_DEFAULT_REGION``,
``AWS_PROFILE``). An S3-compatible server (MinIO, Ceph, a test server) is named either by
``AWS_ENDPOINT_URL=http://host:port`` or in the URI itself:
``s3://bucket/raw?endpoint_override=host:port&scheme=http``. The same holds for ``--out``.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

import pyarrow.fs as pafs

_FILESYSTEMS: dict[str, tuple[pafs.FileSystem, str]] = {}
_LOCK = threading.Lock()


def is_remote(location: str) -> bool:
    """True for a URI other than ``file://`` (those are read through a pyarrow filesystem)."""
    scheme, sep, _ = str(location).partition("://")
    return bool(sep) and scheme.lower() != "file" and "/" not in scheme


def local_root(location: str) -> str:
    """A local folder's path, from a plain path or a ``file://`` URI."""
    location = str(location)
    if location.lower().startswith("file://"):
        return unquote(urlsplit(location).path)
    return location


def filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem and root path for a URI (one filesystem per URI and process)."""
    with _LOCK:
        found = _FILESYSTEMS.get(uri)
        if found is None:
            fs, root = pafs.FileSystem.from_uri(uri)
            found = _FILESYSTEMS[uri] = (fs, root.rstrip("/"))
    return found


def list_files(uri: str) -> Iterator[tuple[str, int]]:
    """(relative POSIX path, size) of every file under the URI, sorted; hidden names skipped.

    Raises FileNotFoundError when nothing is there (object stores have no empty folders, so an
    empty prefix and a missing one look alike).
    """
    fs, root = filesystem(uri)
    infos = fs.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True))
    files = []
    for info in infos:
        if info.type != pafs.FileType.File:
            continue
        rel = info.path[len(root):].lstrip("/")
        if rel and not any(part.startswith(".") for part in rel.split("/")):
            files.append((rel, info.size or 0))
    if not files and fs.get_file_info(root).type == pafs.FileType.NotFound:
        raise FileNotFoundError(f"raw location not found or empty: {uri}")
    yield from sorted(files)


def open_file(uri: str, rel_path: str, at: int = 0) -> pafs.NativeFile:
    """A file as a stream read piece by piece (``read(n)``) from byte ``at``, never whole.
    Errors propagate, so a batch task retries a flaky store."""
    fs, root = filesystem(uri)
    if not at:
        return fs.open_input_stream(f"{root}/{rel_path}")
    handle = fs.open_input_file(f"{root}/{rel_path}")  # random access: ranged reads from the store
    handle.seek(at)
    return handle


def read_file(uri: str, rel_path: str) -> bytes:
    """A small file's bytes (a sidecar). Errors propagate, so a batch task retries a flaky store."""
    with open_file(uri, rel_path) as handle:
        return handle.read()

