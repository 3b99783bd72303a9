"""The output dataset: atomic Parquet parts, a manifest of ingested files, a run lock.

Layout under the output root (a local path or a URI pyarrow understands, e.g. s3://bucket/x):

    articles/outlet=<id>/year_month=<YYYY-MM|unknown>/part-<batch>.parquet
    rejects/part-<batch>.parquet
    _manifest/part-<batch>.parquet     one row per raw file a batch finished (or a run retired)
    _state/fingerprints.parquet        what each current document contributes to the learnt table
    _state/learnt.json                 the learnt table (boilerplate lines, near-copy clusters)
    _state/run.json                    the settings of the latest run (read by clean/explain --out)
    _state/run.lock                    the run lock

A batch writes its data parts first (each under a temporary name, then renamed) and its
manifest part last. Part names derive from the batch's content, so redoing a batch after a crash
overwrites its parts instead of adding duplicates; parts no manifest names are leftovers of an
interrupted run and are removed by the next one.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from .extract.boilerplate import Fingerprint
from .models import Reject
from .schema import ARTICLE_PARTITIONS, ARTICLES, REJECTS

MANIFEST = pa.schema([
    pa.field("source_path", pa.string(), nullable=False),
    pa.field("source_sha256", pa.string(), nullable=False),
    pa.field("batch", pa.string(), nullable=False),
    pa.field("articles", pa.int32(), nullable=False),
    pa.field("rejects", pa.int32(), nullable=False),
    pa.field("parts", pa.list_(pa.string())),
    pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("context", pa.string()),  # digest of what the learnt table decided for the file
    pa.field("retired", pa.bool_()),  # true: the file was moved or pruned; its rows go
])

#: One row per raw file: the fingerprints of its documents (see ``extract.fingerprint``).
FINGERPRINTS = pa.schema([
    pa.field("file", pa.string(), nullable=False),
    pa.field("sha256", pa.string(), nullable=False),
    pa.field("documents", pa.list_(pa.struct([
        pa.field("source_path", pa.string()), pa.field("group", pa.string()),
        pa.field("keys", pa.list_(pa.uint64())), pa.field("signature", pa.list_(pa.uint32()))]))),
])

#: Parts of one batch written at once: a batch spread over many outlets and months has a part
#: for each, and object stores take uploads in parallel.
WRITER_THREADS = 4

#: The long-text columns, compressed with zstd. The short ones stay plain (most are dictionary
#: encoded): a part of an incremental run holds few rows, and a codec per column would cost
#: more time than it saves space.
ZSTD_COLUMNS = {name: "zstd" for name in ("body", "removed.list.element.text", "title", "description",
                                          "url", "detail")}

_SAFE = re.compile(r"[^a-z0-9._-]+")
_RECORD_SUFFIX = re.compile(r"#\d+$")


class DatasetLockedError(RuntimeError):
    """Another run holds the output's lock."""


@dataclass(frozen=True)
class ManifestEntry:
    source_sha256: str
    batch: str
    parts: tuple[str, ...]
    articles: int
    rejects: int
    ingested_at: dt.datetime
    context: str = ""


class FileWork(NamedTuple):
    """A raw file a batch finishes: its path, content hash and learnt-table decision digest."""

    path: str
    sha256: str
    context: str = ""


@dataclass(frozen=True)
class CompactionReport:
    files_before: int
    files_after: int
    rows_before: int
    rows_after: int


class Dataset:
    """An output root on a pyarrow filesystem."""

    def __init__(self, out: str | os.PathLike[str]):
        self.uri = str(out)
        if "://" in self.uri:
            self.fs, self.root = pafs.FileSystem.from_uri(self.uri)
        else:
            self.fs, self.root = pafs.LocalFileSystem(), os.path.abspath(self.uri)
        self.root = self.root.rstrip("/")

    def path(self, *parts: str) -> str:
        return "/".join([self.root, *parts])

    # -- writing -------------------------------------------------------------------------------

    def write_batch(self, batch: str, records: list[dict], rejects: list[Reject],
                    files: Iterable[FileWork], ingested_at: dt.datetime) -> list[str]:
        """Write one batch's parts, then its manifest part; return the data parts written."""
        tables = dict(self._article_tables(batch, records))
        with ThreadPoolExecutor(WRITER_THREADS) as pool:  # pyarrow writes without holding the GIL
            parts = list(pool.map(self._write_table, tables, tables.values()))
        if rejects:
            parts.append(self._write_table(f"rejects/part-{batch}.parquet",
                                           reject_table(rejects, ingested_at)))
        counts = _counts_by_file(records, rejects)
        rows = [{"source_path": path, "source_sha256": sha, "batch": batch,
                 "articles": counts[path][0], "rejects": counts[path][1], "parts": parts,
                 "ingested_at": ingested_at, "context": context} for path, sha, context in (FileWork(*f) for f in files)]
        self._write_table(f"_manifest/part-{batch}.parquet", pa.Table.from_pylist(rows, schema=MANIFEST))
        return parts

    def retire(self, paths: Iterable[str], ingested_at: dt.datetime) -> None:
        """Record that these raw files are gone for good (moved, or pruned): the next
        compaction drops their rows."""
        rows = [{"source_path": path, "source_sha256": "", "batch": "retired", "articles": 0, "rejects": 0,
                 "parts": [], "ingested_at": ingested_at, "retired": True} for path in sorted(paths)]
        if rows:
            key = batch_key((row["source_path"], "retired") for row in rows)
            self._write_table(f"_manifest/part-r{key}.parquet", pa.Table.from_pylist(rows, schema=MANIFEST))

    def _article_tables(self, batch: str, records: list[dict]) -> Iterator[tuple[str, pa.Table]]:
        groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for record in records:
            groups[partition_of(record)].append(record)
        for (outlet, month), rows in sorted(groups.items()):
            rel = f"articles/outlet={outlet}/year_month={month}/part-{batch}.parquet"
            yield rel, pa.Table.from_pylist(rows, schema=ARTICLES)

    def _write_table(self, rel: str, table: pa.Table) -> str:
        """Write under a temporary name, then rename: readers never see half a file."""
        final = self.path(rel)
        tmp = f"{final}.{os.getpid()}.tmp"
        self.fs.create_dir(final.rsplit("/", 1)[0], recursive=True)
        pq.write_table(table, tmp, filesystem=self.fs, compression=ZSTD_COLUMNS, row_group_size=50_000)
        self.fs.move(tmp, final)
        return rel

    # -- reading -------------------------------------------------------------------------------

    def manifest(self) -> dict[str, ManifestEntry]:
        """Raw files already ingested: source_path -> entry (the newest batch wins)."""
        table = self._read("_manifest", MANIFEST)
        entries: dict[str, ManifestEntry] = {}
        if table is None:
            return entries
        for row in table.sort_by("ingested_at").to_pylist():
            if row["retired"]:
                entries.pop(row["source_path"], None)
                continue
            entries[row["source_path"]] = ManifestEntry(
                row["source_sha256"], row["batch"], tuple(row["parts"] or ()), row["articles"],
                row["rejects"], row["ingested_at"], row["context"] or "")
        return entries

    def has_superseded_rows(self) -> bool:
        """Whether some rows are no longer current (their file was redone, moved or pruned):
        a compaction removes them."""
        table = self._read("_manifest", MANIFEST)
        if table is None:
            return False
        paths = table.column("source_path")
        return (len(pa.compute.unique(paths)) < len(paths)
                or pa.compute.any(pa.compute.fill_null(table.column("retired"), False)).as_py())

    # -- state ---------------------------------------------------------------------------------

    def read_state(self, name: str) -> bytes | None:
        """A file under ``_state`` (None when absent)."""
        try:
            with self.fs.open_input_stream(self.path("_state", name)) as handle:
                return handle.read()
        except (FileNotFoundError, OSError):
            return None

    def write_state(self, name: str, data: bytes) -> None:
        """Replace a file under ``_state`` atomically."""
        self._write_bytes(self.path("_state", name), data)

    def fingerprints(self) -> dict[str, tuple[str, list[Fingerprint]]]:
        """Saved fingerprints: raw file -> (its sha256, its documents' fingerprints)."""
        path = self.path("_state", "fingerprints.parquet")
        if self.fs.get_file_info(path).type != pafs.FileType.File:
            return {}
        table = pq.read_table(path, filesystem=self.fs, schema=FINGERPRINTS)
        return {row["file"]: (row["sha256"], [Fingerprint(d["source_path"], d["group"], tuple(d["keys"]),
                                                          tuple(d["signature"])) for d in row["documents"]])
                for row in table.to_pylist()}

    def save_fingerprints(self, entries: dict[str, tuple[str, list[Fingerprint]]]) -> None:
        rows = [{"file": file, "sha256": sha, "documents": [fp._asdict() for fp in prints]}
                for file, (sha, prints) in sorted(entries.items())]
        self._write_table("_state/fingerprints.parquet", pa.Table.from_pylist(rows, schema=FINGERPRINTS))

    def articles(self) -> pa.Table | None:
        schema = ARTICLES
        for name in ARTICLE_PARTITIONS:
            schema = schema.append(pa.field(name, pa.string()))
        return self._read("articles", schema, partitioning="hive")

    def rejects(self) -> pa.Table | None:
        return self._read("rejects", REJECTS)

    def _read(self, rel: str, schema: pa.Schema, partitioning: str | None = None) -> pa.Table | None:
        files = self._files(rel, ".parquet")
        if not files:
            return None
        return pads.dataset(files, filesystem=self.fs, format="parquet", schema=schema,
                            partitioning=partitioning).to_table()

    def _files(self, rel: str, suffix: str) -> list[str]:
        info = self.fs.get_file_info(pafs.FileSelector(self.path(rel), allow_not_found=True, recursive=True))
        return sorted(f.path for f in info if f.type == pafs.FileType.File and f.path.endswith(suffix))

    # -- housekeeping --------------------------------------------------------------------------

    def remove_leftovers(self) -> list[str]:
        """Finish or undo an interrupted compaction, then delete temporary files and parts no
        manifest names (the work of an interrupted batch, redone by this run)."""
        removed = self._settle_compactions()
        known = {self.path(p) for entry in self.manifest().values() for p in entry.parts}
        known |= set(self._files("_manifest", ".parquet"))
        for rel in ("articles", "rejects", "_manifest"):
            for path in self._files(rel, ""):
                if path.endswith(".tmp") or (path.endswith(".parquet") and path not in known):
                    self.fs.delete_file(path)
                    removed.append(path)
        return removed

    # -- compaction ----------------------------------------------------------------------------

    def compact(self) -> CompactionReport:
        """Rewrite the dataset as one part per partition, keeping only current rows.

        A row is current when it comes from the latest ingest of its raw file (manifest), so a
        changed or reprocessed file's older rows disappear, and so do the rows of retired files. Crash-safe: new parts and a journal
        naming the obsolete files are written first, the consolidated manifest part commits the
        compaction, then the obsolete files are deleted (``remove_leftovers`` finishes or undoes
        an interrupted one).
        """
        manifest = self.manifest()
        old_files = self._files("articles", ".parquet") + self._files("rejects", ".parquet")
        old_manifests = self._files("_manifest", ".parquet")
        before = [t for t in (self.articles(), self.rejects()) if t is not None]
        articles, rejects = self._current(self.articles(), manifest), self._current(self.rejects(), manifest)
        key = "c" + batch_key((e.batch, path) for path, e in manifest.items())
        parts = [self._write_table(rel, table) for rel, table in
                 self._article_tables(key, articles.drop_columns(list(ARTICLE_PARTITIONS)).to_pylist()
                                      if articles is not None else [])]
        if rejects is not None and rejects.num_rows:
            parts.append(self._write_table(f"rejects/part-{key}.parquet", rejects.select(REJECTS.names)))
        obsolete = [p for p in old_files + old_manifests if p not in {self.path(q) for q in parts}]
        journal = self.path("_state", f"compaction-{key}.json")
        self._write_bytes(journal, json.dumps({"manifest": f"_manifest/part-{key}.parquet",
                                               "obsolete": obsolete}).encode())
        rows = [{"source_path": path, "source_sha256": e.source_sha256, "batch": key, "articles": e.articles,
                 "rejects": e.rejects, "parts": parts, "ingested_at": e.ingested_at, "context": e.context}
                for path, e in sorted(manifest.items())]
        self._write_table(f"_manifest/part-{key}.parquet", pa.Table.from_pylist(rows, schema=MANIFEST))
        self._settle_compactions()
        return CompactionReport(
            files_before=len(old_files), files_after=len(parts),
            rows_before=sum(t.num_rows for t in before),
            rows_after=sum(t.num_rows for t in (articles, rejects) if t is not None))

    def _current(self, table: pa.Table | None, manifest: dict[str, ManifestEntry]) -> pa.Table | None:
        """Rows written by the latest ingest of their raw file; one row per source path."""
        if table is None:
            return None
        latest = {path: entry.ingested_at for path, entry in manifest.items()}
        paths = table.column("source_path").to_pylist()
        stamps = table.column("ingested_at").to_pylist()
        keep, seen = [], set()
        for index in sorted(range(len(paths)), key=lambda i: stamps[i], reverse=True):
            path = paths[index]
            if path in seen or latest.get(file_of(path)) != stamps[index]:
                continue
            seen.add(path)
            keep.append(index)
        return table.take(pa.array(sorted(keep), type=pa.int64()))

    def _settle_compactions(self) -> list[str]:
        """Complete a compaction whose manifest part was written; forget one whose wasn't."""
        removed = []
        for journal in self._files("_state", ".json"):
            if not journal.rsplit("/", 1)[1].startswith("compaction-"):
                continue
            with self.fs.open_input_stream(journal) as handle:
                plan = json.loads(handle.read())
            if self.fs.get_file_info(self.path(plan["manifest"])).type == pafs.FileType.File:
                for path in plan["obsolete"]:
                    if self.fs.get_file_info(path).type == pafs.FileType.File:
                        self.fs.delete_file(path)
                        removed.append(path)
            self.fs.delete_file(journal)
        return removed

    def _write_bytes(self, path: str, data: bytes) -> None:
        tmp = f"{path}.{os.getpid()}.tmp"
        self.fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
        with self.fs.open_output_stream(tmp) as handle:
            handle.write(data)
        self.fs.move(tmp, path)

    @contextmanager
    def lock(self, wait_s: float = 0.0) -> Iterator[None]:
        """Hold the output's run lock; a second run waits up to wait_s, then refuses.

        On a local file system the lock is the kernel's (``flock``): it is released when its
        process ends, however it ends, so no lock is ever left stale. Object storage offers no
        create-if-absent write through pyarrow, so there the lock is a check, then a write:
        two runs starting at the same moment can both pass it. Keep one writer per output
        there (docs/operations.md).
        """
        self.fs.create_dir(self.path("_state"), recursive=True)
        path = self.path("_state", "run.lock")
        deadline = time.monotonic() + wait_s
        take, release = ((self._flock, self._funlock) if isinstance(self.fs, pafs.LocalFileSystem)
                         else (self._object_lock, self._object_unlock))
        held = take(path)
        while held is None:
            if time.monotonic() >= deadline:
                raise DatasetLockedError(
                    f"another decruft run is writing to {self.uri} ({self._lock_owner(path)}); "
                    "wait for that run to finish")
            time.sleep(0.2)
            held = take(path)
        try:
            yield
        finally:
            release(path, held)

    @staticmethod
    def _flock(path: str) -> int | None:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return fd

    @staticmethod
    def _funlock(path: str, fd: int) -> None:
        os.ftruncate(fd, 0)  # the file stays: deleting it would let a waiting run lock a dead inode
        os.close(fd)  # closing releases the lock

    def _object_lock(self, path: str) -> bool | None:
        if self.fs.get_file_info(path).type != pafs.FileType.NotFound:
            return None
        with self.fs.open_output_stream(path) as handle:
            handle.write(f"{os.getpid()}\n".encode())
        return True

    def _object_unlock(self, path: str, _held: bool) -> None:
        self.fs.delete_file(path)

    def _lock_owner(self, path: str) -> str:
        try:
            with self.fs.open_input_stream(path) as handle:
                pid = handle.read().decode().strip()
        except OSError:
            pid = ""
        return f"process {pid} holds {path}" if pid else f"lock {path}"


def partition_of(record: dict) -> tuple[str, str]:
    """Hive partition values of a record: its outlet and publication year-month."""
    outlet = _SAFE.sub("_", (record.get("outlet_id") or "unknown").lower()) or "unknown"
    published = record.get("published_date")
    return outlet, published.strftime("%Y-%m") if published else "unknown"


def batch_key(files: Iterable[tuple[str, ...]]) -> str:
    """A batch's name from its files, their contents and decisions: the same work gets the same name."""
    digest = hashlib.sha256()
    for entry in sorted(files):
        digest.update(("\0".join(entry) + "\n").encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:20]


def reject_table(rejects: list[Reject], ingested_at: dt.datetime) -> pa.Table:
    rows = [{"source_path": r.source_path, "source_sha256": r.source_sha256, "reason": r.reason,
             "detail": r.detail, "ingested_at": ingested_at} for r in rejects]
    return pa.Table.from_pylist(rows, schema=REJECTS)


def _counts_by_file(records: list[dict], rejects: list[Reject]) -> dict[str, list[int]]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for record in records:
        counts[file_of(record["source_path"])][0] += 1
    for reject in rejects:
        counts[file_of(reject.source_path)][1] += 1
    return counts


def file_of(source_path: str) -> str:
    """The raw file a source path belongs to ('crawl.warc.gz#17' -> 'crawl.warc.gz')."""
    return _RECORD_SUFFIX.sub("", source_path)
