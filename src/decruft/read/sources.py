"""Discover raw files under a root and read them as RawDocuments (or Rejects).

Raw files are never modified, and streamed rather than read whole. A file's sidecar metadata
(``page.txt.meta.json`` or ``page.meta.json``) travels with it; sidecars themselves are not pages.
"""
from __future__ import annotations

import hashlib
import io
import os
import stat
from collections import defaultdict
from collections.abc import Callable, Container, Iterator
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
    sidecar: str = ""  # its sidecar's path relative to root, as discovery found it ("": none)

    @property
    def path(self) -> str:
        """Its local path (a string: it is built for every read)."""
        return os.path.join(self.root, *self.rel_path.split("/"))


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
        # (folder, name, size) of every object
        listed = [(*rel.rpartition("/")[::2], size) for rel, size in filesystem.list_files(str(root))]
        present: dict[str, set[str]] = defaultdict(set)  # folder -> the names in it
        for folder, name, _ in listed:
            present[folder].add(name)
        for folder, name, size in listed:
            if not is_sidecar(name):
                sidecar = sidecar_for(name, present[folder])
                yield RawFile(str(root), _joined(folder, name), size, _joined(folder, sidecar) if sidecar else "")
        return
    root_path = Path(filesystem.local_root(str(root)))
    if not root_path.is_dir():
        raise FileNotFoundError(f"raw folder not found: {root_path}")
    real_root = root_path.resolve()
    excluded = Path(filesystem.local_root(exclude)).resolve() if exclude and not filesystem.is_remote(exclude) else None
    for dirpath, dirnames, filenames in os.walk(root_path, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and (excluded is None or Path(dirpath, d).resolve() != excluded))
        present = set(filenames)
        folder = Path(dirpath).relative_to(root_path).as_posix()
        folder = "" if folder == "." else folder
        for name in sorted(filenames):
            if name.startswith(".") or is_sidecar(name):
                continue
            yield _describe(str(root_path), real_root, os.path.join(dirpath, name), _joined(folder, name),
                            sidecar_for(name, present))


def sidecar_for(name: str, present: Container[str]) -> str | None:
    """The name of a page's sidecar among the names in its folder (``present``), best first."""
    return next((candidate for candidate in sidecar_names(name) if candidate in present), None)


def _joined(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def _describe(root: str, real_root: Path, path: str, rel: str, sidecar: str | None = None) -> RawFile | Reject:
    """The raw file at local ``path`` (``rel`` under ``root``), or why it is no page. Paths stay
    strings: a Path object per file would cost more than the rest of this together."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:  # os.walk gave the undecodable bytes as surrogates
        printable = os.fsencode(rel).decode("utf-8", "backslashreplace")
        return Reject(printable, None, RejectReason.BAD_FILE_NAME, "the file name is not valid UTF-8")
    if os.path.islink(path):
        target = Path(path).resolve()
        if not target.is_relative_to(real_root):
            return Reject(rel, None, RejectReason.SYMLINK_OUTSIDE_ROOT, f"symlink points outside the raw root: {target}")
    try:
        info = os.stat(path)
    except OSError as exc:
        return Reject(rel, None, RejectReason.UNREADABLE, f"cannot stat: {exc.strerror or exc}")
    if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
        return Reject(rel, None, RejectReason.UNREADABLE, "not a regular file")
    return RawFile(root, rel, info.st_size, _joined(rel.rpartition("/")[0], sidecar) if sidecar else "")


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


#: A local file up to this size (as listed) is read in one call and served from memory.
SMALL_FILE = 1 << 20


def open_raw(raw: RawFile, at: int = 0) -> BinaryIO | Reject:
    """A raw file opened for streaming from byte ``at``, or an ``unreadable`` Reject (store
    errors propagate: the task retries).

    A small local file is read at once, in four system calls where a buffered file takes nine:
    while several batch threads share Python's lock, each call hands the lock over."""
    if filesystem.is_remote(raw.root):
        return filesystem.open_file(raw.root, raw.rel_path, at)
    try:
        if raw.size <= SMALL_FILE and not at:
            return io.BytesIO(_read_whole(raw.path, raw.size))
        handle = open(raw.path, "rb")
    except OSError as exc:
        return Reject(raw.rel_path, None, RejectReason.UNREADABLE, f"cannot read: {exc.strerror or exc}")
    handle.seek(at)
    return handle


def _read_whole(path: str, size: int) -> bytes:
    """A local file's bytes, asked for in one read of its listed size and one more (to its end:
    it may have grown since it was listed)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        pieces = [os.read(fd, size + 1)]
        while piece := os.read(fd, READ_CHUNK):
            pieces.append(piece)
    finally:
        os.close(fd)
    return b"".join(pieces)


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
    sidecar = read_sidecar(raw.root, raw.sidecar) if raw.sidecar else None
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


def read_sidecar(root: str, path: str) -> dict | None:
    """The metadata of a page's sidecar (``page.txt.meta.json`` or ``page.meta.json``, found by
    ``sidecar_for``) at ``path`` under ``root``, or None. A broken or vanished sidecar is ignored,
    not fatal; so is an unreadable local one, while other errors of object storage propagate, so
    that a batch task retries a flaky store."""
    try:
        data = (filesystem.read_file(root, path) if filesystem.is_remote(root)
                else (Path(filesystem.local_root(root)) / path).read_bytes())
    except FileNotFoundError:
        return None
    except OSError:  # a folder, unreadable, or a name too long for the file system
        if filesystem.is_remote(root):
            raise
        return None
    return parse_sidecar(data)
