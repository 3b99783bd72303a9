"""The output dataset: atomic Parquet parts, a manifest of ingested files, a run lock.

Layout under the output root (a local path or a URI pyarrow understands, e.g. s3://bucket/x):

    articles/outlet=<id>/year_month=<YYYY-MM|unknown>/part-<batch>.parquet
    rejects/part-<batch>.parquet
    _manifest/part-<batch>.parquet     one row per raw file (or record range of one) a batch
                                       finished, or a run retired
    _state/fingerprints.parquet        what each current document contributes to the learnt table
    _state/records.json                where the records of large containers start (their ranges)
    _state/learnt.json                 the learnt table (boilerplate lines, near-copy clusters)
    _state/run.json                    the settings of the latest run (read by clean/explain --out)
    _state/runs/<started>.json         each run's summary and step counters
    _state/run.lock                    the run lock

A batch writes its data parts first (each under a temporary name, then renamed) and its
manifest part last. Part names derive from the batch's content, so redoing a batch after a crash
overwrites its parts instead of adding duplicates; parts no manifest names are leftovers of an
interrupted run and are removed by the next one.

A large container is processed in record ranges, each recorded in a manifest row of its own
(``first_record``, ``last_record``, ``split``): a run killed midway redoes only the ranges no
manifest row records. The rows of one record are current when they come from the latest ingest
of the range holding it.
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
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from decruft import filesystem
from decruft.extract.boilerplate import Fingerprint
from decruft.models import Reject
from decruft.read.containers import Mark, RecordIndex
from decruft.store.schema import ARTICLES, REJECTS

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
    # a record range of a large container (null: the whole file): its first record, its last
    # (null: to the end), and the digest naming how the file was split
    pa.field("first_record", pa.int64()),
    pa.field("last_record", pa.int64()),
    pa.field("split", pa.string()),
])

#: One row per raw file: the fingerprints of its documents (see ``extract.fingerprint``).
FINGERPRINTS = pa.schema([
    pa.field("file", pa.string(), nullable=False),
    pa.field("sha256", pa.string(), nullable=False),
    pa.field("documents", pa.list_(pa.struct([
        pa.field("source_path", pa.string()), pa.field("group", pa.string()),
        pa.field("keys", pa.binary()), pa.field("signature", pa.binary())]))),
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
RECORDS_FILE = "records.json"


class DatasetLockedError(RuntimeError):
    """Another run holds the output's lock."""


@dataclass(frozen=True)
class RangeEntry:
    """A record range of a container, as the manifest records it (``last`` None: to the end)."""

    first: int
    last: int | None
    batch: str
    parts: tuple[str, ...]
    articles: int
    rejects: int
    ingested_at: dt.datetime


@dataclass(frozen=True)
class ManifestEntry:
    """What the manifest records for a raw file: processed whole, or (``ranges``, sorted) in
    record ranges of the same bytes, decisions and ``split``; then the other fields sum them up."""

    source_sha256: str
    batch: str
    parts: tuple[str, ...]
    articles: int
    rejects: int
    ingested_at: dt.datetime
    context: str = ""
    split: str = ""
    ranges: tuple[RangeEntry, ...] = ()

    @property
    def complete(self) -> bool:
        """Whether the whole file is recorded: processed whole, or ranges from record 1 to the end."""
        if not self.ranges:
            return True
        ends = [r.first for r in self.ranges[1:]] + [None]
        return self.ranges[0].first == 1 and all(
            (r.last + 1 if r.last is not None else None) == end for r, end in zip(self.ranges, ends))

    def with_range(self, sha: str, context: str, split: str, entry: RangeEntry) -> ManifestEntry:
        """This entry with one more range recorded (a new one when the file's bytes, decisions
        or split differ: the older ranges are superseded)."""
        same = self.ranges and (self.source_sha256, self.context, self.split) == (sha, context, split)
        ranges = sorted([r for r in self.ranges if r.first != entry.first] if same else [],
                        key=lambda r: r.first)
        ranges.insert(bisect_right([r.first for r in ranges], entry.first), entry)
        return ManifestEntry(sha, entry.batch, tuple(sorted({p for r in ranges for p in r.parts})),
                             sum(r.articles for r in ranges), sum(r.rejects for r in ranges),
                             max(r.ingested_at for r in ranges), context, split, tuple(ranges))

    def stamp_of(self, source_path: str) -> dt.datetime | None:
        """When the current rows of a record (or, for the file's own rows, the file's last
        range) were written: None when no current range holds it."""
        if not self.ranges:
            return self.ingested_at
        number = source_path.rsplit("#", 1)[1] if _RECORD_SUFFIX.search(source_path) else None
        if number is None:
            last = self.ranges[-1]
            return last.ingested_at if last.last is None else None
        at = bisect_right([r.first for r in self.ranges], int(number)) - 1
        held = at >= 0 and (self.ranges[at].last is None or int(number) <= self.ranges[at].last)
        return self.ranges[at].ingested_at if held else None


class FileWork(NamedTuple):
    """A raw file (or a record range of one: ``first``, ``last`` and the ``split`` it belongs to)
    a batch finishes: its path, content hash and learnt-table decision digest."""

    path: str
    sha256: str
    context: str = ""
    first: int | None = None
    last: int | None = None
    split: str | None = None


@dataclass(frozen=True)
class CompactionReport:
    files_before: int
    files_after: int
    rows_before: int
    rows_after: int


MB = 1024 * 1024
#: The article partition columns one may choose, and how a record gives each one's value.
PARTITION_COLUMNS = ("outlet", "year_month")
LAYOUT_FILE = "layout.json"
#: Rewritten rows are sorted so that the statistics of the columns people filter on prune.
SORT_COLUMNS = ("outlet_id", "published_date", "source_path")
#: Compaction streams: it reads this many rows at a time and writes row groups of about this
#: many bytes (as stored), so its memory stays near one row group; a row group also ends once
#: its rows hold ROW_GROUP_MEMORY in memory, however well they compress (a repetitive body
#: can take a hundred times its stored size).
READ_BATCH_ROWS = 2_000
ROW_GROUP_BYTES = 32 * MB
ROW_GROUP_MEMORY = 128 * MB


@dataclass(frozen=True)
class Layout:
    """How the articles are laid out in files: partition columns, part and row-group sizes.

    The defaults suit DuckDB, polars and Spark: parts of up to 256 MB or 250,000 rows, row
    groups of 50,000 rows, rows sorted by outlet and publication date so that the statistics
    of those columns let engines skip row groups.
    """

    partition_by: tuple[str, ...] = PARTITION_COLUMNS
    part_rows: int = 250_000
    part_bytes: int = 256 * MB
    row_group_rows: int = 50_000

    def __post_init__(self) -> None:
        unknown = [c for c in self.partition_by if c not in PARTITION_COLUMNS]
        if unknown or len(set(self.partition_by)) != len(self.partition_by):
            raise ValueError(f"partition columns must be distinct ones of {', '.join(PARTITION_COLUMNS)}, "
                             f"not {','.join(self.partition_by) or 'none'}")
        for name in ("part_rows", "part_bytes", "row_group_rows"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")

    @classmethod
    def parse_partitioning(cls, text: str) -> tuple[str, ...]:
        """``outlet,year_month``, ``year_month``, ``none`` -> partition columns."""
        columns = tuple(c.strip() for c in text.split(",") if c.strip())
        columns = () if columns == ("none",) else columns
        cls(partition_by=columns)  # validates
        return columns

    def directory(self, record: dict) -> str:
        """The folder under ``articles/`` a record belongs in (empty when unpartitioned)."""
        values = dict(zip(PARTITION_COLUMNS, partition_of(record)))
        return "/".join(f"{c}={values[c]}" for c in self.partition_by)

    def holds(self, rel_dir: str) -> bool:
        """Whether a folder under ``articles/`` is one this layout writes."""
        names = [part.split("=", 1)[0] for part in rel_dir.split("/") if part]
        return tuple(names) == self.partition_by


@dataclass(frozen=True)
class _PartInfo:
    """A part file as compaction sees it: its size, and which of its rows are current."""

    path: str
    rows: int
    size: int
    current: int
    sources: frozenset[str]  # raw files with current rows in it


class Dataset:
    """An output root on a pyarrow filesystem."""

    def __init__(self, out: str | os.PathLike[str], layout: Layout | None = None):
        self.uri = str(out)
        if filesystem.is_remote(self.uri):
            self.fs, self.root = filesystem.filesystem(self.uri)
        else:  # a path or a file:// URI: the same local folder as for raw files
            self.fs, self.root = pafs.LocalFileSystem(), os.path.abspath(filesystem.local_root(self.uri))
        self.root = self.root.rstrip("/")
        self._layout = layout
        self._parsed_manifest: tuple[tuple, dict[str, ManifestEntry], int] | None = None

    @property
    def layout(self) -> Layout:
        """The layout given, else the one the dataset was written with, else the default."""
        if self._layout is None:
            self._layout = self._saved_layout() or Layout()
        return self._layout

    def path(self, *parts: str) -> str:
        return "/".join([self.root, *parts])

    # -- writing -------------------------------------------------------------------------------

    def write_batch(self, batch: str, records: list[dict], rejects: list[Reject],
                    files: Iterable[FileWork], ingested_at: dt.datetime) -> list[str]:
        """Write one batch's parts, then its manifest part; return the data parts written."""
        parts = self.write_parts(batch, records, rejects, ingested_at)
        by_file = counts_by_file(records, rejects)
        self.write_manifest(batch, files, {work: by_file.get(work[0], [0, 0]) for work in files}, parts,
                            ingested_at)
        return parts

    def write_parts(self, name: str, records: list[dict], rejects: list[Reject],
                    ingested_at: dt.datetime) -> list[str]:
        """Write data parts named ``part-<name>``: all of a batch, or one chunk of a large one
        (``<batch>-<n>``), which ``write_manifest`` then names. Returns the parts written."""
        tables = dict(self._article_tables(name, records))
        with ThreadPoolExecutor(WRITER_THREADS) as pool:  # pyarrow writes without holding the GIL
            parts = list(pool.map(self._write_table, tables, tables.values()))
        if rejects:
            parts.append(self._write_table(f"rejects/part-{name}.parquet",
                                           reject_table(rejects, ingested_at)))
        return parts

    def write_manifest(self, batch: str, files: Iterable[FileWork], counts: dict[FileWork, list[int]],
                       parts: list[str], ingested_at: dt.datetime) -> None:
        """The batch's manifest part, written last: its files (and ranges) are done, their rows in
        ``parts`` (``counts``: work -> [articles, rejects])."""
        rows = []
        for work in (FileWork(*f) for f in files):
            articles, rejects = counts.get(work, [0, 0])
            rows.append({"source_path": work.path, "source_sha256": work.sha256, "batch": batch,
                         "articles": articles, "rejects": rejects, "parts": parts, "ingested_at": ingested_at,
                         "context": work.context, "first_record": work.first, "last_record": work.last,
                         "split": work.split})
        self._write_table(f"_manifest/part-{batch}.parquet", pa.Table.from_pylist(rows, schema=MANIFEST))

    def retire(self, paths: Iterable[str], ingested_at: dt.datetime) -> None:
        """Record that these raw files are gone for good (moved, or pruned): the next
        compaction drops their rows."""
        rows = [{"source_path": path, "source_sha256": "", "batch": "retired", "articles": 0, "rejects": 0,
                 "parts": [], "ingested_at": ingested_at, "retired": True} for path in sorted(paths)]
        if rows:
            key = batch_key((row["source_path"], "retired") for row in rows)
            self._write_table(f"_manifest/part-r{key}.parquet", pa.Table.from_pylist(rows, schema=MANIFEST))

    def _article_tables(self, batch: str, records: list[dict]) -> Iterator[tuple[str, pa.Table]]:
        groups: dict[str, list[dict]] = defaultdict(list)
        for record in records:
            groups[self.layout.directory(record)].append(record)
        for folder, rows in sorted(groups.items()):
            yield "/".join(filter(None, ("articles", folder, f"part-{batch}.parquet"))), \
                pa.Table.from_pylist(rows, schema=ARTICLES)

    def _write_table(self, rel: str, table: pa.Table) -> str:
        """Write under a temporary name, then rename: readers never see half a file."""
        final = self.path(rel)
        tmp = self.staging_path(final)
        pq.write_table(table, tmp, filesystem=self.fs, compression=ZSTD_COLUMNS,
                       row_group_size=self.layout.row_group_rows)
        self.fs.move(tmp, final)
        return rel

    def write_common_metadata(self) -> None:
        """``_common_metadata`` beside the parts: the schema for engines that read it (Spark)."""
        for rel, schema in (("articles", ARTICLES), ("rejects", REJECTS)):
            path = self.path(rel, "_common_metadata")
            if self.fs.get_file_info(path).type != pafs.FileType.File:
                self.fs.create_dir(self.path(rel), recursive=True)
                with self.fs.open_output_stream(path) as handle:
                    pq.write_metadata(schema, handle)

    def save_layout(self) -> None:
        self.write_state(LAYOUT_FILE, json.dumps(asdict(self.layout)).encode())

    def _saved_layout(self) -> Layout | None:
        data = self.read_state(LAYOUT_FILE)
        if data is None:
            return None
        saved = json.loads(data)
        return Layout(**{**saved, "partition_by": tuple(saved["partition_by"])})

    # -- reading -------------------------------------------------------------------------------

    def manifest(self) -> dict[str, ManifestEntry]:
        """Raw files already ingested: source_path -> entry (the newest batch wins)."""
        return dict(self._manifest()[0])

    def has_superseded_rows(self) -> bool:
        """Whether some rows are no longer current (their file was redone, moved or pruned):
        a compaction removes them."""
        entries, rows = self._manifest()
        return rows > sum(max(1, len(entry.ranges)) for entry in entries.values())

    def _manifest(self) -> tuple[dict[str, ManifestEntry], int]:
        """The manifest's entries and its number of rows, parsed again only when its files
        changed (their names, sizes or times): settling a run asks for it several times."""
        files = self._file_infos("_manifest", ".parquet")
        key = tuple((f.path, f.size, f.mtime_ns) for f in files)
        if self._parsed_manifest is None or self._parsed_manifest[0] != key:
            table = self._read("_manifest", MANIFEST, files=[f.path for f in files])
            self._parsed_manifest = (key, _manifest_entries(table), 0 if table is None else len(table))
        return self._parsed_manifest[1], self._parsed_manifest[2]

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

    def state_names(self, folder: str) -> list[str]:
        """The names of the files in a folder under ``_state``, sorted (none when it is absent)."""
        prefix = self.path("_state", folder) + "/"
        return [path[len(prefix):] for path in self._files(f"_state/{folder}", "")]

    def fingerprints(self) -> dict[str, tuple[str, list[Fingerprint]]]:
        """Saved fingerprints: raw file -> (its sha256, its documents' fingerprints)."""
        path = self.path("_state", "fingerprints.parquet")
        if self.fs.get_file_info(path).type != pafs.FileType.File:
            return {}
        table = pq.read_table(path, filesystem=self.fs, schema=FINGERPRINTS)
        return {row["file"]: (row["sha256"], [Fingerprint(**d) for d in row["documents"]])
                for row in table.to_pylist()}

    def save_fingerprints(self, entries: dict[str, tuple[str, list[Fingerprint]]]) -> None:
        rows = [{"file": file, "sha256": sha, "documents": [fp._asdict() for fp in prints]}
                for file, (sha, prints) in sorted(entries.items())]
        self._write_table("_state/fingerprints.parquet", pa.Table.from_pylist(rows, schema=FINGERPRINTS))

    def record_indexes(self) -> dict[str, tuple[str, RecordIndex]]:
        """Saved record indexes of large containers: raw file -> (its sha256, its index)."""
        data = self.read_state(RECORDS_FILE)
        if data is None:
            return {}
        return {path: (saved["sha256"], RecordIndex(saved["every"], saved["format"], saved["gzipped"],
                                                    [Mark(*mark) for mark in saved["marks"]], saved["records"]))
                for path, saved in json.loads(data).items()}

    def save_record_indexes(self, indexes: dict[str, tuple[str, RecordIndex]]) -> None:
        self.write_state(RECORDS_FILE, json.dumps(
            {path: {"sha256": sha, "every": index.every, "format": index.format, "gzipped": index.gzipped,
                    "records": index.records, "marks": [list(mark) for mark in index.marks]}
             for path, (sha, index) in sorted(indexes.items())}).encode())

    def articles(self) -> pa.Table | None:
        schema = ARTICLES
        for name in self.layout.partition_by:
            schema = schema.append(pa.field(name, pa.string()))
        return self._read("articles", schema, partitioning="hive")

    def rejects(self) -> pa.Table | None:
        return self._read("rejects", REJECTS)

    def _read(self, rel: str, schema: pa.Schema, partitioning: str | None = None,
              files: list[str] | None = None) -> pa.Table | None:
        files = self._files(rel, ".parquet") if files is None else files
        if not files:
            return None
        return pads.dataset(files, filesystem=self.fs, format="parquet", schema=schema,
                            partitioning=partitioning).to_table()

    def _files(self, rel: str, suffix: str) -> list[str]:
        return [f.path for f in self._file_infos(rel, suffix)]

    def _file_infos(self, rel: str, suffix: str) -> list[pafs.FileInfo]:
        """The files under rel whose names end with suffix, sorted by path."""
        info = self.fs.get_file_info(pafs.FileSelector(self.path(rel), allow_not_found=True, recursive=True))
        return sorted((f for f in info if f.type == pafs.FileType.File and f.path.endswith(suffix)),
                      key=lambda f: f.path)

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

    def needs_compaction(self) -> bool:
        """Whether some rows are superseded (their file was redone, moved or pruned), some parts
        lie outside the layout, or a partition has several parts below the target size."""
        return self.has_superseded_rows() or bool(self._unsettled(self._part_infos("articles", None)))

    def compact(self) -> CompactionReport:
        """Merge small parts towards the target size and drop rows that are no longer current.

        A row is current when it comes from the latest ingest of its raw file (manifest), so a
        changed or reprocessed file's older rows disappear, and so do the rows of retired files.
        Parts of the target size holding only current rows stay as they are; the rows of the
        others are rewritten by partition in parts of the layout's size, each row group sorted
        by outlet and date. Crash-safe: new parts and a journal naming the obsolete files are written first,
        the consolidated manifest part commits the compaction, then the obsolete files are
        deleted (``remove_leftovers`` finishes or undoes an interrupted one).
        """
        manifest = self.manifest()
        latest = _stamps(manifest)
        articles, rejects = self._part_infos("articles", latest), self._part_infos("rejects", latest)
        redo = set(self._unsettled(articles)) | {p.path for p in articles if p.current < p.rows}
        if len(rejects) > 1 or any(p.current < p.rows for p in rejects):
            redo |= {p.path for p in rejects}
        key = "c" + batch_key((e.batch, path) for path, e in manifest.items())
        holders: dict[str, set[str]] = defaultdict(set)  # raw file -> parts holding its rows
        for part in articles + rejects:
            if part.path not in redo:
                for source in part.sources:
                    holders[source].add(self.relative(part.path))
        self._rewrite([p for p in articles if p.path in redo], latest, key, holders, ARTICLES)
        self._rewrite([p for p in rejects if p.path in redo], latest, key, holders, REJECTS)
        obsolete = sorted(redo) + [p for p in self._files("_manifest", ".parquet")
                                   if p != self.path(f"_manifest/part-{key}.parquet")]
        journal = self.path("_state", f"compaction-{key}.json")
        self._write_bytes(journal, json.dumps({"manifest": f"_manifest/part-{key}.parquet",
                                               "obsolete": obsolete}).encode())
        rows = [{"source_path": path, "source_sha256": e.source_sha256, "batch": key, "articles": r.articles,
                 "rejects": r.rejects, "parts": sorted(holders.get(path, ())), "ingested_at": r.ingested_at,
                 "context": e.context, "first_record": getattr(r, "first", None),
                 "last_record": getattr(r, "last", None), "split": e.split or None}
                for path, e in sorted(manifest.items()) for r in (e.ranges or (e,))]
        self._write_table(f"_manifest/part-{key}.parquet", pa.Table.from_pylist(rows, schema=MANIFEST))
        self._settle_compactions()
        after = self._part_infos("articles", None) + self._part_infos("rejects", None)
        return CompactionReport(files_before=len(articles) + len(rejects), files_after=len(after),
                                rows_before=sum(p.rows for p in articles + rejects),
                                rows_after=sum(p.rows for p in after))

    def relative(self, path: str) -> str:
        """A path under the root, relative to it (as the manifest names parts)."""
        return path[len(self.root) + 1:]

    def _part_infos(self, rel: str, latest: Stamps | None) -> list[_PartInfo]:
        """Each part under rel, with (when ``latest`` is given) its current rows and sources."""
        infos = []
        selector = pafs.FileSelector(self.path(rel), allow_not_found=True, recursive=True)
        for info in self.fs.get_file_info(selector):
            if info.type != pafs.FileType.File or not info.path.endswith(".parquet"):
                continue
            if latest is None:
                rows = pq.ParquetFile(info.path, filesystem=self.fs).metadata.num_rows
                infos.append(_PartInfo(info.path, rows, info.size, rows, frozenset()))
                continue
            table = pq.read_table(info.path, filesystem=self.fs, columns=["source_path", "ingested_at"])
            current = _current_rows(table, latest)
            sources = frozenset(file_of(p) for p in table.column("source_path").take(current).to_pylist())
            infos.append(_PartInfo(info.path, table.num_rows, info.size, len(current), sources))
        return infos

    def _unsettled(self, parts: list[_PartInfo]) -> list[str]:
        """Article parts to rewrite: outside the layout, or small in a partition holding more
        than one small part."""
        small: dict[str, list[str]] = defaultdict(list)
        misplaced = []
        for part in parts:
            folder = part.path[len(self.path("articles")) + 1:].rpartition("/")[0]
            if not self.layout.holds(folder):
                misplaced.append(part.path)
            elif part.rows < self.layout.part_rows // 2 and part.size < self.layout.part_bytes // 2:
                small[folder].append(part.path)
        return misplaced + [path for paths in small.values() if len(paths) > 1 for path in paths]

    def _rewrite(self, parts: list[_PartInfo], latest: Stamps, key: str,
                 holders: dict[str, set[str]], schema: pa.Schema) -> None:
        """Write the current rows of these parts anew, by partition, in parts of the target size.

        Streamed: rows are read a batch at a time and written a row group at a time, each row
        group sorted, so memory holds about one row group whatever the partition's size (and
        no more than about ``ROW_GROUP_MEMORY`` of rows, however well they compress). Rows
        of parts outside the layout go to one new part per target folder; being small, those
        are merged by the next compaction.
        """
        if not parts:
            return
        bytes_per_row = max(1, sum(p.size for p in parts) // max(1, sum(p.rows for p in parts)))
        per_part = max(1, min(self.layout.part_rows, self.layout.part_bytes // bytes_per_row))
        per_group = max(1, min(self.layout.row_group_rows, ROW_GROUP_BYTES // bytes_per_row, per_part))
        placed: dict[str, list[_PartInfo]] = defaultdict(list)
        for index, part in enumerate(parts):
            folder = self.relative(part.path).rpartition("/")[0]
            if schema is REJECTS or self.layout.holds(folder.removeprefix("articles").lstrip("/")):
                placed[folder].append(part)
            else:
                self._relay(part, latest, f"{key}-m{index}", holders)
        for folder, members in sorted(placed.items()):
            with _PartWriter(self, folder, key, schema, per_part, holders) as writer:
                buffer: list[pa.RecordBatch] = []
                for batch in (b for part in members for b in self._current_batches(part, latest, schema)):
                    buffer.append(batch)
                    if (sum(b.num_rows for b in buffer) >= per_group
                            or sum(b.nbytes for b in buffer) >= ROW_GROUP_MEMORY):
                        writer.write(_sorted(buffer))
                        buffer = []
                if buffer:
                    writer.write(_sorted(buffer))

    def _relay(self, part: _PartInfo, latest: Stamps, key: str,
               holders: dict[str, set[str]]) -> None:
        """Move the current rows of a part outside the layout into the folders it says."""
        for number, batch in enumerate(self._current_batches(part, latest, ARTICLES)):
            folders = [self.layout.directory(r) for r in batch.select(["outlet_id", "published_date"]).to_pylist()]
            for target in sorted(set(folders)):
                rows = pa.Table.from_batches([batch]).filter(pa.array([f == target for f in folders]))
                folder = "/".join(filter(None, ("articles", target)))
                with _PartWriter(self, folder, f"{key}-{number}", ARTICLES, rows.num_rows, holders) as writer:
                    writer.write(rows)

    def _current_batches(self, part: _PartInfo, latest: Stamps,
                         schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        """The part's current rows, a record batch at a time."""
        seen: set[str] = set()
        reader = pq.ParquetFile(part.path, filesystem=self.fs)
        for batch in reader.iter_batches(batch_size=READ_BATCH_ROWS):
            table = pa.Table.from_batches([batch]).cast(schema)
            keep = _current_rows(table, latest, seen)
            if len(keep) == table.num_rows:  # every row current: the indices are 0..n-1
                yield from table.to_batches()
            elif len(keep):
                yield from table.take(keep).to_batches()


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

    def staging_path(self, final: str) -> str:
        """Where a file is written before it is moved to ``final`` (its folder made): a name
        ``remove_leftovers`` deletes, so a crash mid-write leaves nothing readers would see."""
        self.fs.create_dir(final.rsplit("/", 1)[0], recursive=True)
        return f"{final}.{os.getpid()}.tmp"

    def _write_bytes(self, path: str, data: bytes) -> None:
        tmp = self.staging_path(path)
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


def _manifest_entries(table: pa.Table | None) -> dict[str, ManifestEntry]:
    """The entries of a manifest table, its rows taken in the order they were written."""
    entries: dict[str, ManifestEntry] = {}
    if table is None:
        return entries
    for row in table.sort_by("ingested_at").to_pylist():
        path, parts = row["source_path"], tuple(row["parts"] or ())
        if row["retired"]:
            entries.pop(path, None)
        elif row["first_record"] is None:
            entries[path] = ManifestEntry(row["source_sha256"], row["batch"], parts, row["articles"],
                                          row["rejects"], row["ingested_at"], row["context"] or "")
        else:
            part = RangeEntry(row["first_record"], row["last_record"], row["batch"], parts,
                              row["articles"], row["rejects"], row["ingested_at"])
            entries[path] = (entries.get(path) or _NO_ENTRY).with_range(
                row["source_sha256"], row["context"] or "", row["split"] or "", part)
    return entries


def _current_rows(table: pa.Table, latest: Stamps, seen: set[str] | None = None) -> pa.Array:
    """Indices of the rows written by the latest ingest of their raw file, one per source path
    (``seen``: the paths already taken from earlier batches of the same part)."""
    paths = table.column("source_path").to_pylist()
    stamps = table.column("ingested_at").to_pylist()
    keep, seen = [], set() if seen is None else seen
    for index, (path, stamp) in enumerate(zip(paths, stamps)):
        if path not in seen and latest(path) == stamp:
            seen.add(path)
            keep.append(index)
    return pa.array(keep, type=pa.int64())


#: When the current rows of a source path were written (None: it has none).
Stamps = Callable[[str], "dt.datetime | None"]

_NO_ENTRY = ManifestEntry("", "", (), 0, 0, dt.datetime.min.replace(tzinfo=dt.UTC))


def _stamps(manifest: dict[str, ManifestEntry]) -> Stamps:
    def stamp(source_path: str) -> dt.datetime | None:
        entry = manifest.get(file_of(source_path))
        return entry.stamp_of(source_path) if entry is not None else None
    return stamp


def _sorted(batches: list[pa.RecordBatch]) -> pa.Table:
    table = pa.Table.from_batches(batches)
    return table.sort_by([(name, "ascending") for name in SORT_COLUMNS if name in table.column_names])


class _PartWriter:
    """Writes parts of at most ``per_part`` rows under a folder, a row group per ``write``,
    each under a temporary name until it is complete; notes which raw files each part holds."""

    def __init__(self, dataset: Dataset, folder: str, key: str, schema: pa.Schema, per_part: int,
                 holders: dict[str, set[str]]):
        self.dataset, self.folder, self.key, self.schema, self.per_part = dataset, folder, key, schema, per_part
        self.holders = holders
        self.index, self.rows, self.writer, self.rel, self.tmp, self.stream = 0, 0, None, "", "", None

    def __enter__(self) -> _PartWriter:
        return self

    def write(self, table: pa.Table) -> None:
        while table.num_rows:
            if self.writer is None:
                self._open()
            take = table.slice(0, self.per_part - self.rows)
            self.writer.write_table(take, row_group_size=take.num_rows)
            for source in set(take.column("source_path").to_pylist()):
                self.holders[file_of(source)].add(self.rel)
            self.rows += take.num_rows
            table = table.slice(take.num_rows)
            if self.rows >= self.per_part:
                self._close()

    def _open(self) -> None:
        self.rel = f"{self.folder}/part-{self.key}-{self.index}.parquet"
        self.tmp = self.dataset.staging_path(self.dataset.path(self.rel))
        self.stream = self.dataset.fs.open_output_stream(self.tmp)
        self.writer = pq.ParquetWriter(self.stream, self.schema, compression=ZSTD_COLUMNS)
        self.index, self.rows = self.index + 1, 0

    def _close(self) -> None:
        self.writer.close()
        self.stream.close()
        self.dataset.fs.move(self.tmp, self.dataset.path(self.rel))
        self.writer = None

    def __exit__(self, *exc) -> None:
        if self.writer is not None and exc[0] is None:
            self._close()


def partition_of(record: dict) -> tuple[str, str]:
    """Hive partition values of a record: its outlet and publication year-month."""
    outlet = _SAFE.sub("_", (record.get("outlet_id") or "unknown").lower()) or "unknown"
    if len(outlet) > MAX_PARTITION_CHARS:  # a folder name has at most 255 bytes
        digest = hashlib.sha256(outlet.encode()).hexdigest()[:12]
        outlet = f"{outlet[:MAX_PARTITION_CHARS - 13]}-{digest}"
    published = record.get("published_date")
    return outlet, published.strftime("%Y-%m") if published else "unknown"


def batch_key(files: Iterable[tuple]) -> str:
    """A batch's name from its files (and ranges), their contents and decisions: the same work
    gets the same name."""
    digest = hashlib.sha256()
    for entry in sorted(tuple(str(value) for value in entry if value is not None) for entry in files):
        digest.update(("\0".join(entry) + "\n").encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:20]


def reject_table(rejects: list[Reject], ingested_at: dt.datetime) -> pa.Table:
    rows = [{"source_path": r.source_path, "source_sha256": r.source_sha256, "reason": r.reason,
             "detail": r.detail, "ingested_at": ingested_at} for r in rejects]
    return pa.Table.from_pylist(rows, schema=REJECTS)


def counts_by_file(records: list[dict], rejects: list[Reject]) -> dict[str, list[int]]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for record in records:
        counts[file_of(record["source_path"])][0] += 1
    for reject in rejects:
        counts[file_of(reject.source_path)][1] += 1
    return counts


def file_of(source_path: str) -> str:
    """The raw file a source path belongs to ('crawl.warc.gz#17' -> 'crawl.warc.gz')."""
    return _RECORD_SUFFIX.sub("", source_path)
