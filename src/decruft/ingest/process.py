"""Process: clean every page of a batch and write its parts and manifest part."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter

from decruft.extract.boilerplate import LearntTable
from decruft.guard import guarded_documents
from decruft.ingest.batching import BatchStep, Progress, WorkItem
from decruft.ingest.report import BatchSummary
from decruft.ingest.settings import Settings
from decruft.ingest.state import load_learnt_table, saved_learnt_table
from decruft.ingest.workers import guarded_stream
from decruft.models import RawDocument, Reject
from decruft.page import PageResult, process_page, warm_up
from decruft.read.containers import ReadStats
from decruft.read.sources import read_documents
from decruft.steps import Stage, Stopwatch
from decruft.store.dataset import Dataset, FileWork, batch_key


def process_batch(settings: Settings, items: list[WorkItem], ingested_at: dt.datetime,
                  table_digest: str | None = None, progress: Progress | None = None) -> BatchSummary:
    """Clean every page of a batch and write its parts; returns counts (and its step counters).
    A large container's record ranges count as one file, with its last range.

    The learnt table is the one saved under the output with ``table_digest`` (read once per
    process, see ``saved_learnt_table``), or the latest saved one when it is None.
    ``progress`` is told the files cleaned after each one.
    """
    dataset = settings.dataset()
    table = saved_learnt_table(dataset, table_digest) if table_digest else load_learnt_table(dataset)
    make = partial(page_cleaner, settings, table, ingested_at)
    files = [item.work for item in items]
    key = batch_key(files)
    chunk = _Chunk(settings.chunk_rows)
    summary = BatchSummary(files=sum(1 for item in items if item.part is None or item.part.last is None))
    counts: dict[FileWork, list[int]] = {}
    watch = Stopwatch()
    tally = [0, 0]  # articles and rejects of the file being read
    with guarded_stream(make, settings.limits, key=(CLEAN.phase, settings, table_digest, ingested_at)) as clean_all:
        for entry in clean_all(_pages(items, settings, watch)):
            if isinstance(entry, _FileRead):
                counts[entry.item.work] = tally
                tally = [0, 0]
                summary.counters.add_file(entry.stats)
                if progress:
                    progress(entry.done)
                continue
            result = entry if isinstance(entry, Reject) else _cleaned(entry, summary)
            tally[isinstance(result, Reject)] += 1
            chunk.add(result)
            if chunk.full():
                chunk.flush(dataset, key, ingested_at, summary, watch)
    chunk.flush(dataset, key, ingested_at, summary, watch)
    watch.restart()
    dataset.write_manifest(key, files, counts, summary.parts, ingested_at)
    summary.counters.seconds.update(watch.lap(Stage.WRITE))
    return summary


@dataclass
class _FileRead:
    """Follows the pages of a batch's file: what reading it counted, and how many files are read."""

    item: WorkItem
    stats: ReadStats
    done: int


def _pages(items: list[WorkItem], settings: Settings, watch: Stopwatch) -> Iterator[RawDocument | Reject | _FileRead]:
    """The pages and read rejects of each file in turn, each file's followed by its ``_FileRead``."""
    for done, item in enumerate(items, 1):
        stats = ReadStats()
        docs = read_documents(item.file, settings.limits, item.sha256 or None, part=item.part, stats=stats)
        yield from watch.timed(guarded_documents(item.file.rel_path, docs), Stage.READ)
        yield _FileRead(item, stats, done)


def _cleaned(page: PageResult | Reject, summary: BatchSummary) -> dict | Reject:
    """A page's row; its counters go to the batch's (a Reject: its guard stopped it)."""
    summary.counters.add_page(page)
    return page.result if isinstance(page, PageResult) else page


#: A batch also writes its rows once their text (bodies and removed lines) reaches this many
#: characters, so that a run of large pages cannot fill memory before ``chunk_rows`` is reached.
CHUNK_CHARS = 64 * 1024 * 1024


@dataclass
class _Chunk:
    """The rows of a batch not yet written; written as parts of their own when full, so that
    one large container never holds all its records at once."""

    rows: int  # written once this many are held (``Settings.chunk_rows``)
    records: list[dict] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    written: int = 0
    chars: int = 0  # of the records' text held

    def add(self, result: dict | Reject) -> None:
        if isinstance(result, dict):
            self.records.append(result)
            self.chars += len(result["body"]) + sum(map(len, map(itemgetter("text"), result["removed"])))
        else:
            self.rejects.append(result)

    def full(self) -> bool:
        return len(self.records) + len(self.rejects) >= self.rows or self.chars >= CHUNK_CHARS

    def flush(self, dataset: Dataset, key: str, ingested_at: dt.datetime, summary: BatchSummary,
              watch: Stopwatch) -> None:
        """Write the rows (the first chunk as ``part-<batch>``, later ones ``part-<batch>-<n>``),
        timed on ``watch``."""
        if not (self.records or self.rejects) and self.written:
            return
        name = f"{key}-{self.written}" if self.written else key
        watch.restart()
        parts = dataset.write_parts(name, self.records, self.rejects, ingested_at)
        watch.lap(Stage.WRITE)
        chunk_summary = summarise(self.records, self.rejects)
        chunk_summary.parts = parts
        summary.add(chunk_summary)
        self.records, self.rejects, self.written, self.chars = [], [], self.written + 1, 0


def page_cleaner(settings: Settings, table: LearntTable,
                 ingested_at: dt.datetime) -> Callable[[RawDocument], PageResult]:
    """The per-page function of a batch (built where it runs: in this process or a child)."""
    ctx = settings.context(table)
    ctx.ingested_at = ingested_at
    warm_up()  # now, not within the first page's time limit (a no-op where already built)
    return partial(process_page, ctx=ctx)


def write_rejects(settings: Settings, rejects: list[Reject], ingested_at: dt.datetime,
                  contexts: dict[str, str] | None = None) -> BatchSummary:
    """Record rejects found before processing (discovery, duplicates) like a batch of their own."""
    contexts = contexts or {}
    files = [FileWork(r.source_path, r.source_sha256 or "", contexts.get(r.source_path, "")) for r in rejects]
    summary = summarise([], rejects)
    summary.files = len(rejects)
    summary.parts = settings.dataset().write_batch(batch_key(files), [], rejects, files, ingested_at)
    return summary


def summarise(records: list[dict], rejects: list[Reject]) -> BatchSummary:
    return BatchSummary(articles=len(records), rejects=Counter(r.reason for r in rejects),
                        outlets=Counter(r["outlet_id"] for r in records),
                        languages=Counter(r["language"] for r in records))


#: The cleaning step, as a run hands it to its mapper.
CLEAN = BatchStep("clean", process_batch)
