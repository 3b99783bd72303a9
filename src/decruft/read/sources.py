"""Discover raw files under a root and read them as RawDocuments (or Rejects).

Raw files are never modified, and streamed rather than read whole. A file's sidecar metadata
(``page.txt.meta.json`` or ``page.meta.json``) travels with it; sidecars themselves are not pages.
"""
from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from decruft import filesystem
from decruft.read.containers import ReadStats, RecordIndex, RecordRange, read_stream
from decruft.read.metadata import SIDECAR_SUFFIX, parse_sidecar, sidecar_names
from decruft.reasons import RejectReason
from decruft.models import Limits, RawDocument, Reject



@dataclass(frozen=True)
class RawFile:
    """A file found under the raw root: where it is and how big, not yet read."""

    root: str
    rel_path: str  # POSIX, relative to root
    size: int

    @property
    def path(self) -> Path:
        return Path(self.root, *self.rel_path.split("/"))


def is_sidecar(name: str) -> bool:
    return name.endswith(SIDECAR_SUFFIX)


def discover(root: str | Path, exclude: str | None = None) -> Iterator[RawFile | Reject]:
    """Yield every candidate raw file under root in a stable order.

    Hidden files and sidecars are not pages. Symlinks are followed only when they stay inside
    the root; one leading outside becomes a ``symlink_outside_root`` reject. A URI root
    (``s3://bucket/raw``) is listed through ``storage``; ``file://`` URIs are local folders.
    ``exclude`` is a local folder not to enter: the output, when it lies inside the root.
    A file whose name is not valid UTF-8 cannot be named in the output: a ``bad_file_name`` reject.
    """
    if filesystem.is_remote(str(root)):
        for rel, size in filesystem.list_files(str(root)):
            if not is_sidecar(rel.rsplit("/", 1)[-1]):
                yield RawFile(str(root), rel, size)
        return
    root_path = Path(filesystem.local_root(str(root)))
    if not root_path.is_dir():
        raise FileNotFoundError(f"raw folder not found: {root_path}")
    real_root = root_path.resolve()
    excluded = Path(filesystem.local_root(exclude)).resolve() if exclude and not filesystem.is_remote(exclude) else None
    for dirpath, dirnames, filenames in os.walk(root_path, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and (excluded is None or Path(dirpath, d).resolve() != excluded))
        for name in sorted(filenames):
            if name.startswith(".") or is_sidecar(name):
                continue
            yield _describe(root_path, real_root, Path(dirpath, name))


def _describe(root: Path, real_root: Path, path: Path) -> RawFile | Reject:
    rel = path.relative_to(root).as_posix()
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:  # os.walk gave the undecodable bytes as surrogates
        printable = os.fsencode(rel).decode("utf-8", "backslashreplace")
        return Reject(printable, None, RejectReason.BAD_FILE_NAME, "the file name is not valid UTF-8")
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(real_root):
            return Reject(rel, None, RejectReason.SYMLINK_OUTSIDE_ROOT, f"symlink points outside the raw root: {target}")
    try:
        info = path.stat()
    except OSError as exc:
        return Reject(rel, None, RejectReason.UNREADABLE, f"cannot stat: {exc.strerror or exc}")
    if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
        return Reject(rel, None, RejectReason.UNREADABLE, "not a regular file")
    return RawFile(str(root), rel, info.st_size)


#: Bytes read at a time when hashing or streaming a raw file.
READ_CHUNK = 1 << 20


class HashingReader:
    """A raw file's ``read``, hashing every byte that passes; ``sha256`` reads the rest first."""

    def __init__(self, handle: BinaryIO):
        self._handle = handle
        self._digest = hashlib.sha256()

    def read(self, size: int) -> bytes:
        data = self._handle.read(size)
        self._digest.update(data)
        return data

    def sha256(self) -> str:
        while self.read(READ_CHUNK):
            pass
        return self._digest.hexdigest()


def open_raw(raw: RawFile, at: int = 0) -> BinaryIO | Reject:
    """A raw file opened for streaming from byte ``at``, or an ``unreadable`` Reject (store
    errors propagate: the task retries)."""
    if filesystem.is_remote(raw.root):
        return filesystem.open_file(raw.root, raw.rel_path, at)
    try:
        handle = open(raw.path, "rb")
    except OSError as exc:
        return Reject(raw.rel_path, None, RejectReason.UNREADABLE, f"cannot read: {exc.strerror or exc}")
    handle.seek(at)
    return handle


def file_sha256(raw: RawFile) -> str | None:
    """The sha256 of a raw file, read in pieces; None when it cannot be read."""
    handle = open_raw(raw)
    if isinstance(handle, Reject):
        return None
    with handle:
        return HashingReader(handle).sha256()


def read_documents(raw: RawFile, limits: Limits = Limits(), sha256: str | None = None,
                   read: Callable[[int], bytes] | None = None, *, stats: ReadStats | None = None,
                   index: RecordIndex | None = None, part: RecordRange | None = None
                   ) -> Iterator[RawDocument | Reject]:
    """The pages of one raw file (one, or many for a container), with sidecar metadata, streamed
    from the file (or through ``read``, an open file's reader); ``sha256`` is the file's hash
    if known (its own rejects carry it). ``stats`` learns its records and skipped records;
    ``index`` notes where a container's records start; ``part`` reads only that range of them
    (the file is opened at the range's start)."""
    if read is None:
        handle = open_raw(raw, part.start.seek if part else 0)
        if isinstance(handle, Reject):
            yield handle
            return
        with handle:
            yield from read_documents(raw, limits, sha256, handle.read, stats=stats, index=index, part=part)
        return
    sidecar = read_sidecar(raw.root, raw.rel_path)
    folder = top_folder(raw.rel_path)
    for item in read_stream(raw.rel_path, read, raw.size, sha256, limits=limits, stats=stats, index=index,
                            part=part):
        if isinstance(item, RawDocument):
            item.folder = folder
            if sidecar and not item.metadata:
                item.metadata, item.metadata_origin = sidecar, "sidecar"
        yield item


def top_folder(rel_path: str) -> str | None:
    """The first folder of a path under the raw root (a possible outlet name), if any."""
    return rel_path.split("/", 1)[0] if "/" in rel_path else None


def read_sidecar(root: str, rel_path: str) -> dict | None:
    """The metadata written next to a page (``page.txt.meta.json`` or ``page.meta.json``), or
    None. A broken sidecar is ignored, not fatal; so is an unreadable local one, while other
    errors of object storage propagate, so that a batch task retries a flaky store."""
    folder, _, name = rel_path.rpartition("/")
    for candidate in sidecar_names(name):
        path = f"{folder}/{candidate}" if folder else candidate
        try:
            data = (filesystem.read_file(root, path) if filesystem.is_remote(root)
                    else (Path(filesystem.local_root(root)) / path).read_bytes())
        except FileNotFoundError:
            continue
        except OSError:  # a folder, unreadable, or a name too long for the file system
            if filesystem.is_remote(root):
                raise
            continue
        return parse_sidecar(data)
    return None
