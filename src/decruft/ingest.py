"""The steps of an ingest run, as plain functions the Prefect flow (or any caller) composes.

    discover  -> list the raw files (cheap: names and sizes)
    scan      -> per batch: hash every file, learn boilerplate line statistics
    select    -> skip files already in the manifest, turn exact duplicates into rejects
    process   -> per batch: clean every page, write the batch's parts and manifest part

Batches carry file names, never documents, and return counts, so an orchestrator's cost per
task stays small next to the work.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from .dataset import Dataset, ManifestEntry, batch_key
from .decode import DecodeError
from .extract.boilerplate import LineStats
from .guard import (GuardedProcessor, can_use_child_processes, guarded_documents, observe_safely,
                    refuse_inside_worker_start, safely)
from .metadata import normalise_metadata
from .models import Limits, RawDocument, Reject
from .pipeline import (Context, boilerplate_group, doc_id_for, make_context, page_text, process_document,
                       warm_up)
from .sources import RawFile, discover, read_documents, read_raw

LINE_STATS_FILE = "line_stats.json"
#: Scanning a file (hash it, count its lines) costs about a fifth of cleaning a text page (far
#: less than an HTML one), so a scan batch holds this many times the files of a cleaning batch.
SCAN_BATCH_FACTOR = 5


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, small enough to ship to any worker."""

    raw: str = "raw"
    out: str = "processed"
    outlets_dirs: tuple[str, ...] = ()
    rules_config: str | None = None
    limits: Limits = field(default_factory=Limits)
    reprocess: bool = False
    batch_files: int = 500  # Prefect's cost is per task: about 0.13 s of CPU on Dask
    batch_bytes: int = 64 * 1024 * 1024

    def context(self, line_stats: LineStats | None = None) -> Context:
        return make_context(outlets_dirs=tuple(Path(d) for d in self.outlets_dirs),
                            rules_config=Path(self.rules_config) if self.rules_config else None,
                            line_stats=line_stats, limits=self.limits)


@dataclass
class WorkItem:
    """A raw file with its content hash (empty when it could not be read)."""

    file: RawFile
    sha256: str


@dataclass
class BatchSummary:
    """What one processed batch produced: counts only, never documents."""

    files: int = 0
    articles: int = 0
    rejects: Counter = field(default_factory=Counter)
    outlets: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)
    parts: list[str] = field(default_factory=list)

    def add(self, other: "BatchSummary") -> None:
        self.files += other.files
        self.articles += other.articles
        self.rejects += other.rejects
        self.outlets += other.outlets
        self.languages += other.languages
        self.parts += other.parts


def discover_files(settings: Settings) -> tuple[list[RawFile], list[Reject]]:
    files, rejects = [], []
    for item in discover(settings.raw, exclude=settings.out):
        (files if isinstance(item, RawFile) else rejects).append(item)
    return files, rejects


def batches(files: list[RawFile], max_files: int, max_bytes: int,
            parallelism: int = 1) -> Iterator[list[RawFile]]:
    """Consecutive groups of at most max_files files and (unless one file is bigger) max_bytes.

    Files are spread evenly over the groups, and their number suits the workers
    (``parallelism``, see ``even_sizes``) so that none idles in the last wave.
    """
    sizes = iter(even_sizes(len(files), max_files, parallelism))
    limit = next(sizes, max_files)
    batch: list[RawFile] = []
    size = 0
    for raw in files:
        if batch and (len(batch) >= limit or size + raw.size > max_bytes):
            yield batch
            batch, size, limit = [], 0, next(sizes, limit)
        batch.append(raw)
        size += raw.size
    if batch:
        yield batch


def even_sizes(count: int, max_files: int, parallelism: int = 1) -> list[int]:
    """Sizes of at most max_files that add up to count and differ by at most one.

    With several workers there are more groups than workers in a multiple of their number, or,
    when fewer groups would do, one per worker as far as groups of half of max_files go.
    """
    if count <= 0:
        return []
    groups = -(-count // max_files)
    if groups > parallelism > 1:
        groups = -(-groups // parallelism) * parallelism
    elif parallelism > 1:
        groups = max(groups, min(parallelism, -(-count // max(1, max_files // 2))))
    groups = min(groups, count)
    return [count // groups + (i < count % groups) for i in range(groups)]


def scan_batch(settings: Settings, files: list[RawFile]) -> tuple[list[WorkItem], LineStats]:
    """Hash each file and learn which lines recur across documents of the same outlet."""
    ctx = settings.context()
    stats = LineStats()
    items = []
    for raw in files:
        data = read_raw(raw, settings.limits)
        if isinstance(data, Reject):
            items.append(WorkItem(raw, ""))
            continue
        items.append(WorkItem(raw, hashlib.sha256(data).hexdigest()))
        for doc in guarded_documents(raw.rel_path, read_documents(raw, settings.limits, data)):
            if isinstance(doc, RawDocument) and not doc.source_format.endswith("html"):
                observe_safely(partial(_observe, ctx=ctx, stats=stats), doc)
    return items, stats


def _observe(doc: RawDocument, ctx: Context, stats: LineStats) -> None:
    try:
        text = page_text(doc, ctx.limits)
    except DecodeError:
        return
    meta = normalise_metadata(doc.metadata)
    resolution = ctx.registry.resolve(metadata=meta.outlet, folder=doc.folder, url=meta.url, text=text)
    stats.add_document(boilerplate_group(resolution.outlet_id, doc.folder), text)


@dataclass
class Selection:
    """What a run must do: files to process, duplicates to reject, how many to skip."""

    todo: list[WorkItem] = field(default_factory=list)
    duplicates: list[Reject] = field(default_factory=list)
    skipped: int = 0
    changed: int = 0  # files processed before whose bytes changed: their old rows are superseded


def select_work(items: Iterable[WorkItem], manifest: dict[str, ManifestEntry], reprocess: bool) -> Selection:
    """Files still to process, duplicate rejects, and how many were skipped as already ingested.

    A file whose exact bytes were already seen under another path is a duplicate of that path's
    article: it gets a ``duplicate`` reject naming the kept doc_id instead of a second row.
    """
    owner_of_hash = {} if reprocess else {
        entry.source_sha256: path for path, entry in manifest.items() if entry.source_sha256}
    selection = Selection()
    for item in sorted(items, key=lambda i: i.file.rel_path):
        path, sha = item.file.rel_path, item.sha256
        entry = manifest.get(path)
        if entry is not None and entry.source_sha256 == sha and not reprocess:
            selection.skipped += 1
            continue
        selection.changed += entry is not None
        owner = owner_of_hash.get(sha) if sha else None
        if owner is not None and owner != path:
            selection.duplicates.append(Reject(path, sha, "duplicate",
                                               f"same content as {owner} (doc_id {doc_id_for(owner)})"))
            continue
        if sha:
            owner_of_hash[sha] = path
        selection.todo.append(item)
    return selection


def process_batch(settings: Settings, items: list[WorkItem], ingested_at: dt.datetime,
                  line_stats_digest: str | None = None) -> BatchSummary:
    """Clean every page of a batch and write its parts; returns counts.

    The boilerplate table is the one saved under the output with ``line_stats_digest`` (read
    once per process, see ``saved_line_stats``), or the latest saved one when it is None.
    """
    stats = (saved_line_stats(settings.out, line_stats_digest) if line_stats_digest
             else load_line_stats(settings.out))
    make = partial(document_processor, settings, stats, ingested_at)
    records, rejects = [], []
    with page_processor(make, settings.limits) as process:
        for item in items:
            for doc in guarded_documents(item.file.rel_path, read_documents(item.file, settings.limits)):
                result = doc if isinstance(doc, Reject) else process(doc)
                (records if isinstance(result, dict) else rejects).append(result)
    summary = summarise(records, rejects)
    summary.files = len(items)
    files = [(item.file.rel_path, item.sha256) for item in items]
    summary.parts = Dataset(settings.out).write_batch(batch_key(files), records, rejects, files, ingested_at)
    return summary


def document_processor(settings: Settings, line_stats: LineStats,
                       ingested_at: dt.datetime) -> Callable[[RawDocument], dict | Reject]:
    """The per-page function of a batch (built where it runs: in this process or a child)."""
    ctx = settings.context(line_stats)
    ctx.ingested_at = ingested_at
    warm_up()  # now, not within the first page's time limit (a no-op where already built)
    return partial(process_document, ctx=ctx)


@contextmanager
def page_processor(make: Callable[[], Callable[[RawDocument], dict | Reject]],
                   limits: Limits) -> Iterator[Callable[[RawDocument], dict | Reject]]:
    """A time-limited child process when possible, else inline; errors become rejects either way."""
    if can_use_child_processes():
        with GuardedProcessor(make, limits.document_timeout_s) as guarded:
            yield guarded
    else:
        process = make()
        yield partial(safely, process)


def write_rejects(settings: Settings, rejects: list[Reject], ingested_at: dt.datetime) -> BatchSummary:
    """Record rejects found before processing (discovery, duplicates) like a batch of their own."""
    files = [(r.source_path, r.source_sha256 or "") for r in rejects]
    summary = summarise([], rejects)
    summary.files = len(rejects)
    summary.parts = Dataset(settings.out).write_batch(batch_key(files), [], rejects, files, ingested_at)
    return summary


def summarise(records: list[dict], rejects: list[Reject]) -> BatchSummary:
    return BatchSummary(articles=len(records), rejects=Counter(r.reason for r in rejects),
                        outlets=Counter(r["outlet_id"] for r in records),
                        languages=Counter(r["language"] for r in records))


#: The table a batch task last read, by (output, digest): each worker process reads it once per
#: run instead of receiving it with every task (it can grow to megabytes per outlet).
_SAVED: dict[tuple[str, str], LineStats] = {}
_SAVED_LOCK = threading.Lock()


def load_line_stats(out: str) -> LineStats:
    """The boilerplate table learnt by earlier runs (empty on a first run)."""
    data = _read_line_stats(out)
    return LineStats.from_json(data.decode("utf-8")) if data is not None else LineStats()


def _read_line_stats(out: str) -> bytes | None:
    dataset = Dataset(out)
    try:
        with dataset.fs.open_input_stream(dataset.path("_state", LINE_STATS_FILE)) as handle:
            return handle.read()
    except (FileNotFoundError, OSError):
        return None


def save_line_stats(out: str, stats: LineStats) -> str:
    """Save the table for this run's batches and later runs; returns the digest naming it."""
    data = stats.to_json().encode("utf-8")
    dataset = Dataset(out)
    dataset.fs.create_dir(dataset.path("_state"), recursive=True)
    tmp = dataset.path("_state", LINE_STATS_FILE + ".tmp")
    with dataset.fs.open_output_stream(tmp) as handle:
        handle.write(data)
    dataset.fs.move(tmp, dataset.path("_state", LINE_STATS_FILE))
    digest = hashlib.sha256(data).hexdigest()
    with _SAVED_LOCK:
        _SAVED.clear()
        _SAVED[(out, digest)] = stats
    return digest


def saved_line_stats(out: str, digest: str) -> LineStats:
    """The table ``save_line_stats`` saved under out with that digest, read once per process."""
    with _SAVED_LOCK:
        stats = _SAVED.get((out, digest))
        if stats is None:
            data = _read_line_stats(out)
            if data is None or hashlib.sha256(data).hexdigest() != digest:
                raise RuntimeError(f"the boilerplate table under {out} changed during the run")
            stats = LineStats.from_json(data.decode("utf-8"))
            _SAVED.clear()
            _SAVED[(out, digest)] = stats
        return stats


Mapper = Callable[[Callable[..., Any], list[tuple]], list[Any]]


def sequential_map(fn: Callable[..., Any], calls: list[tuple]) -> list[Any]:
    """Run each call in turn, in this process: the mapper for library use."""
    return [fn(*args) for args in calls]


def run(settings: Settings, map_batches: Mapper = sequential_map,
        log: Callable[[str], None] = lambda _: None, parallelism: int = 1) -> "RunReport":
    """One ingest run. ``map_batches`` runs batch steps: sequentially here, as tasks in a flow
    whose runner has ``parallelism`` workers (batch counts are multiples of it)."""
    refuse_inside_worker_start()
    started = time.perf_counter()
    ingested_at = dt.datetime.now(dt.UTC)
    dataset = Dataset(settings.out)
    report = RunReport()
    with dataset.lock():
        leftovers = dataset.remove_leftovers()
        if leftovers:
            log(f"removed {len(leftovers)} leftover part(s) of an interrupted run")
        files, early_rejects = discover_files(settings)
        log(f"found {len(files)} raw file(s) under {settings.raw}")
        stats = load_line_stats(settings.out)
        items: list[WorkItem] = []
        scan_batches = batches(files, SCAN_BATCH_FACTOR * settings.batch_files,
                               SCAN_BATCH_FACTOR * settings.batch_bytes, parallelism)
        for batch_items, batch_stats in map_batches(scan_batch, [(settings, b) for b in scan_batches]):
            items += batch_items
            stats.merge(batch_stats)
        digest = save_line_stats(settings.out, stats)
        manifest = dataset.manifest()
        selection = select_work(items, manifest, settings.reprocess)
        report.seen, report.new, report.skipped = (len(files) + len(early_rejects), len(selection.todo),
                                                   selection.skipped)
        log(f"{report.new} new or changed file(s), {report.skipped} already ingested")
        calls = [(settings, batch, ingested_at, digest)
                 for batch in batches_of_items(selection.todo, settings, parallelism)]
        rejects = [r for r in early_rejects if settings.reprocess or r.source_path not in manifest]
        rejects += selection.duplicates
        if rejects:
            report.totals.add(write_rejects(settings, rejects, ingested_at))
        for summary in map_batches(process_batch, calls):
            report.totals.add(summary)
        if selection.changed:
            compaction = dataset.compact()
            log(f"{selection.changed} changed file(s) superseded their earlier rows; compacted "
                f"{compaction.rows_before} rows in {compaction.files_before} parts into "
                f"{compaction.rows_after} rows in {compaction.files_after}")
    report.seconds = time.perf_counter() - started
    return report


def batches_of_items(items: list[WorkItem], settings: Settings, parallelism: int = 1) -> Iterator[list[WorkItem]]:
    by_file = {item.file.rel_path: item for item in items}
    for batch in batches([i.file for i in items], settings.batch_files, settings.batch_bytes, parallelism):
        yield [by_file[raw.rel_path] for raw in batch]


@dataclass
class RunReport:
    """A run's outcome: what it saw, skipped and produced, and how long it took."""

    seen: int = 0
    new: int = 0
    skipped: int = 0
    seconds: float = 0.0
    totals: BatchSummary = field(default_factory=BatchSummary)

    def lines(self) -> list[str]:
        t = self.totals
        rate = t.files / self.seconds if self.seconds else 0.0
        out = [f"files seen: {self.seen}  new: {self.new}  already ingested: {self.skipped}",
               f"articles written: {t.articles}",
               "rejects: " + (", ".join(f"{k}={v}" for k, v in sorted(t.rejects.items())) or "none"),
               "outlets: " + (", ".join(f"{k}={v}" for k, v in t.outlets.most_common()) or "none"),
               "languages: " + (", ".join(f"{k}={v}" for k, v in t.languages.most_common()) or "none"),
               f"time: {self.seconds:.1f} s ({rate:.0f} files/s)"]
        return out

    def as_dict(self) -> dict[str, Any]:
        t = self.totals
        return {"seen": self.seen, "new": self.new, "skipped": self.skipped,
                "articles": t.articles, "rejects": dict(t.rejects), "outlets": dict(t.outlets),
                "languages": dict(t.languages), "parts": len(t.parts),
                "seconds": round(self.seconds, 3)}
