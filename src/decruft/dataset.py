"""The output dataset: atomic Parquet parts, a manifest of ingested files, a run lock.

Layout under the output root (a local path or a URI pyarrow understands, e.g. s3://bucket/x):

    articles/outlet=<id>/year_month=<YYYY-MM|unknown>/part-<batch>.parquet
    rejects/part-<batch>.parquet
    _manifest/part-<batch>.parquet     one row per raw file a batch finished
    _state/line_stats.json             learnt boilerplate lines, kept between runs

A batch writes its data parts first (each under a temporary name, then renamed) and its
manifest part last. Part names derive from the batch's content, so redoing a batch after a crash
overwrites its parts instead of adding duplicates; parts no manifest names are leftovers of an
interrupted run and are removed by the next one.
"""
from __future__ import annotations

import datetime as dt
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

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pyarrow.parquet as pq

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
#: Longest outlet partition value: an over-long id keeps its start and a digest of the rest.
MAX_PARTITION_CHARS = 120
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
                    files: Iterable[tuple[str, str]], ingested_at: dt.datetime) -> list[str]:
        """Write one batch's parts, then its manifest part; return the data parts written.

        ``files`` are the (source_path, sha256) of the raw files the batch finished.
        """
        tables = dict(self._article_tables(batch, records))
        with ThreadPoolExecutor(WRITER_THREADS) as pool:  # pyarrow writes without holding the GIL
            parts = list(pool.map(self._write_table, tables, tables.values()))
        if rejects:
            parts.append(self._write_table(f"rejects/part-{batch}.parquet",
                                           reject_table(rejects, ingested_at)))
        counts = _counts_by_file(records, rejects)
        rows = [{"source_path": path, "source_sha256": sha, "batch": batch,
                 "articles": counts[path][0], "rejects": counts[path][1], "parts": parts,
                 "ingested_at": ingested_at} for path, sha in files]
        self._write_table(f"_manifest/part-{batch}.parquet", pa.Table.from_pylist(rows, schema=MANIFEST))
        return parts

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
            entries[row["source_path"]] = ManifestEntry(
                row["source_sha256"], row["batch"], tuple(row["parts"] or ()), row["articles"],
                row["rejects"], row["ingested_at"])
        return entries

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
        changed or reprocessed file's older rows disappear. Crash-safe: new parts and a journal
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
        rows = [{"source_path": path, "source_sha256": e.source_sha256, "batch": key,
                 "articles": e.articles, "rejects": e.rejects, "parts": parts, "ingested_at": e.ingested_at}
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
            if path in seen or latest.get(file_of(path), stamps[index]) != stamps[index]:
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
        """Hold the output's run lock; a second run waits up to wait_s, then refuses."""
        path = self.path("_state", "run.lock")
        self.fs.create_dir(self.path("_state"), recursive=True)
        deadline = time.monotonic() + wait_s
        while not self._try_lock(path):
            if time.monotonic() >= deadline:
                raise DatasetLockedError(
                    f"another decruft run is writing to {self.uri} (lock {path}: {self._lock_owner(path)}); "
                    "wait for it to finish, or remove the lock file if that run is gone")
            time.sleep(0.5)
        try:
            yield
        finally:
            self.fs.delete_file(path)

    def _try_lock(self, path: str) -> bool:
        """Create the lock if absent: atomically on a local file system (O_EXCL); on object
        storage by a check, then a write (pyarrow has no create-if-absent write), which two
        runs starting at the same moment can both pass: keep one writer per output there."""
        if isinstance(self.fs, pafs.LocalFileSystem):
            if os.path.exists(path) and not _owner_alive(path):
                os.unlink(path)  # its run died without releasing it
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return False
            with os.fdopen(fd, "w") as handle:
                handle.write(f"{os.getpid()}\n")
            return True
        if self.fs.get_file_info(path).type != pafs.FileType.NotFound:
            return False
        with self.fs.open_output_stream(path) as handle:
            handle.write(f"{os.getpid()}\n".encode())
        return True

    def _lock_owner(self, path: str) -> str:
        try:
            with self.fs.open_input_stream(path) as handle:
                return f"held by process {handle.read().decode().strip()}"
        except OSError:
            return "holder unknown"


def _owner_alive(path: str) -> bool:
    try:
        pid = int(open(path).read().strip())
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def partition_of(record: dict) -> tuple[str, str]:
    """Hive partition values of a record: its outlet and publication year-month."""
    outlet = _SAFE.sub("_", (record.get("outlet_id") or "unknown").lower()) or "unknown"
    if len(outlet) > MAX_PARTITION_CHARS:  # a folder name has at most 255 bytes
        digest = hashlib.sha256(outlet.encode()).hexdigest()[:12]
        outlet = f"{outlet[:MAX_PARTITION_CHARS - 13]}-{digest}"
    published = record.get("published_date")
    return outlet, published.strftime("%Y-%m") if published else "unknown"


def batch_key(files: Iterable[tuple[str, str]]) -> str:
    """A batch's name from its files and their contents: the same work gets the same name."""
    digest = hashlib.sha256()
    for path, sha in sorted(files):
        digest.update(f"{path}\0{sha}\n".encode())
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
