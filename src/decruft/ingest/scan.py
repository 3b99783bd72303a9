"""Discover and scan: which raw files there are, their hashes, what each new or changed
document contributes to the learnt table (its fingerprint), and where the records of a large
container start (its record index, so that its ranges can be cleaned in separate batches)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import partial

from decruft.extract.boilerplate import Fingerprint, LearntTable, Thresholds, build_table
from decruft.extract.fingerprint import fingerprint
from decruft.guard import guarded_documents
from decruft.ingest.batching import BatchCall, BatchStep, Mapper, Progress, WorkItem, batches
from decruft.ingest.settings import Settings
from decruft.ingest.workers import close_idle_workers, guarded_stream
from decruft.models import RawDocument, Reject
from decruft.page import Context, page_text, text_page_outlet
from decruft.read.decode import DecodeError
from decruft.read.containers import RecordIndex
from decruft.read.metadata import normalise_metadata
from decruft.reasons import RejectReason
from decruft.read.sources import HashingReader, RawFile, discover, file_sha256, open_raw, read_documents


#: Fingerprints of raw files: rel_path -> (sha256 of the file, its documents' fingerprints).
FileFingerprints = dict[str, tuple[str, list[Fingerprint]]]

#: Record indexes of large containers: rel_path -> (sha256 of the file, its index).
RecordIndexes = dict[str, tuple[str, RecordIndex]]

#: Marks a record index keeps per batch's bytes: ranges then come within a quarter of a batch.
MARKS_PER_BATCH = 4


def discover_files(settings: Settings) -> tuple[list[RawFile], list[Reject]]:
    """The raw files the settings' include and exclude patterns select, and discovery rejects."""
    files, rejects = [], []
    for item in discover(settings.raw, exclude=settings.out):
        path = item.rel_path if isinstance(item, RawFile) else item.source_path
        if selected(path, settings.include, settings.exclude):
            (files if isinstance(item, RawFile) else rejects).append(item)
    return files, rejects


def selected(rel_path: str, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> bool:
    """Whether a raw path passes the patterns: any include (all when none), no exclude.

    A pattern is a glob over the path relative to the raw root (``*`` crosses folders, so
    ``news/*`` is everything under ``news``); a pattern without ``/`` also matches the name
    alone, so ``*.warc.gz`` matches at any depth.
    """
    name = rel_path.rsplit("/", 1)[-1]

    def matches(pattern: str) -> bool:
        return fnmatchcase(rel_path, pattern) or ("/" not in pattern and fnmatchcase(name, pattern))

    include = list(include)
    return (not include or any(map(matches, include))) and not any(map(matches, exclude))


def scan_batch(settings: Settings, files: list[RawFile], known: dict[str, str] | None = None,
               progress: Progress | None = None) -> tuple[list[WorkItem], FileFingerprints]:
    """Hash each file, and fingerprint those whose hash is not ``known`` (rel_path -> sha256);
    ``progress`` is told the files done after each one.

    Files are streamed: a new file is hashed as it is read (one read), a known one is hashed
    first and read again only when its bytes changed. Its pages are fingerprinted in a page
    worker process, under the per-page time limit (a page that fails or overruns teaches
    nothing; cleaning rejects it). A container read over a batch's bytes gets its record index
    (``WorkItem.records``)."""
    items: list[WorkItem] = []
    prints: FileFingerprints = {}
    found: list[Fingerprint] = []  # of the file being read
    with guarded_stream(partial(page_observer, settings), settings.limits, key=(SCAN.phase, settings)) as observe_all:
        for entry in observe_all(_scanned_pages(settings, files, known or {})):
            if isinstance(entry, _FileScanned):
                items.append(entry.item)
                if entry.read:
                    prints[entry.item.file.rel_path] = (entry.item.sha256, found)
                found = []
                if progress:
                    progress(len(items))
            elif isinstance(entry, list):
                found += entry
    return items, prints


@dataclass
class _FileScanned:
    """Follows the pages of a scanned file: its work item, and whether its pages were read."""

    item: WorkItem
    read: bool


def _scanned_pages(settings: Settings, files: list[RawFile],
                   known: dict[str, str]) -> Iterator[RawDocument | Reject | _FileScanned]:
    """The pages of each new or changed file, each file's followed by its ``_FileScanned``."""
    for raw in files:
        index = RecordIndex(max(1, settings.batch_bytes // MARKS_PER_BATCH)) if raw.size > settings.batch_bytes else None
        read = True
        if raw.rel_path in known:
            sha = file_sha256(raw) or ""
            if sha and sha != known[raw.rel_path]:
                yield from _file_pages(raw, settings, sha, index=index)
            else:
                index, read = None, False
        else:
            handle = open_raw(raw)
            sha, read = "", not isinstance(handle, Reject)
            if read:
                with handle:
                    reader = HashingReader(handle)
                    yield from _file_pages(raw, settings, None, reader.read, index)
                    sha = reader.sha256()
        item = WorkItem(raw, sha, records=index if index is not None and index.format else None)
        yield _FileScanned(item, read and bool(sha))


def _file_pages(raw: RawFile, settings: Settings, sha: str | None, read: Callable[[int], bytes] | None = None,
                index: RecordIndex | None = None) -> Iterator[RawDocument | Reject]:
    """The pages of a file (and its read rejects); ``index`` notes where its records start, and
    is emptied when the file must be read whole: one with no record at all, or past the rejects
    one container reports one by one (its rows name the file, not a record)."""
    items = 0
    for doc in guarded_documents(raw.rel_path, read_documents(raw, settings.limits, sha, read, index=index)):
        items += 1
        if isinstance(doc, Reject) and index is not None and doc.reason == RejectReason.TOO_MANY_REJECTS:
            index.marks.clear()
        yield doc
    if index is not None and not items:
        index.marks.clear()


def page_observer(settings: Settings) -> Callable[[RawDocument], list[Fingerprint]]:
    """The scan's per-page function (built where it runs: in a page worker or this process)."""
    return partial(_fingerprint, ctx=settings.context())


def _fingerprint(doc: RawDocument, ctx: Context) -> list[Fingerprint]:
    """The document's fingerprint (none when it cannot be decoded: it will be a reject)."""
    try:
        text = page_text(doc, ctx.limits)
    except DecodeError:
        return []
    if doc.source_format.endswith("html"):
        return [fingerprint(doc.source_path, "", text, ctx.rules, is_html=True)]
    _, group = text_page_outlet(text, doc, normalise_metadata(doc.metadata), ctx)
    return [fingerprint(doc.source_path, group, text, ctx.rules, tuning=ctx.tuning)]


def current_fingerprints(files: list[RawFile], items: list[WorkItem], saved: FileFingerprints,
                         scanned: FileFingerprints) -> FileFingerprints:
    """The fingerprints of the files present now: freshly scanned, or saved for the same bytes.
    A file whose scan failed keeps what was saved for it; a file that is gone is dropped."""
    current = {path: saved[path] for path in (f.rel_path for f in files) if path in saved}
    for item in items:
        path = item.file.rel_path
        if path in scanned:
            current[path] = scanned[path]
        elif path in current and current[path][0] != item.sha256:
            del current[path]
    return current


def current_indexes(items: list[WorkItem], saved: RecordIndexes) -> RecordIndexes:
    """The record indexes of the large containers present now: freshly noted, or saved for the
    same bytes (given to their items)."""
    current: RecordIndexes = {}
    for item in items:
        path = item.file.rel_path
        if item.records is None and path in saved and saved[path][0] == item.sha256 and item.sha256:
            item.records = saved[path][1]
        if item.records is not None and item.records.marks:
            current[path] = (item.sha256, item.records)
    return current


def exact_copy_owners(items: Iterable[WorkItem]) -> dict[str, str]:
    """sha256 -> the first path (in path order) of the files with those exact bytes."""
    owners: dict[str, str] = {}
    for item in sorted(items, key=lambda i: i.file.rel_path):
        if item.sha256:
            owners.setdefault(item.sha256, item.file.rel_path)
    return owners


def learn(current: FileFingerprints, owners: dict[str, str], thresholds: Thresholds = Thresholds()) -> LearntTable:
    """The learnt table of the current files; an exact duplicate file does not count again."""
    return build_table((fp for path, (sha, prints) in current.items() if owners.get(sha, path) == path
                        for fp in prints), thresholds)


def scan(settings: Settings, files: list[RawFile], saved: FileFingerprints, map_batches: Mapper,
         parallelism: int) -> tuple[list[WorkItem], FileFingerprints]:
    """Scan every file in batches: hashes for all, fingerprints for the new and changed."""
    known = {path: sha for path, (sha, _) in saved.items()}
    scan_batches = batches(files, settings.scan_batch_factor * settings.batch_files,
                           settings.scan_batch_factor * settings.batch_bytes, parallelism)
    calls = [BatchCall((settings, b, {f.rel_path: known[f.rel_path] for f in b if f.rel_path in known}),
                       tuple(f.rel_path for f in b))
             for b in scan_batches]
    items: list[WorkItem] = []
    scanned: FileFingerprints = {}
    for batch_items, prints in map_batches(SCAN, calls):
        items += batch_items
        scanned.update(prints)
    close_idle_workers()  # the scan's, now done with
    return items, scanned


#: The scan step, as a run hands it to its mapper.
SCAN = BatchStep("scan", scan_batch)
