"""The steps of an ingest run, as plain functions the Prefect flow (or any caller) composes.

    discover  -> list the raw files (cheap: names and sizes)
    scan      -> per batch: hash every file, fingerprint the new and changed ones
    learn     -> build the learnt table from the fingerprints of the current files alone
    plan      -> skip files whose bytes and learnt-table decisions are unchanged; reject exact
                 duplicates; retire moved (and, with prune, deleted) files
    process   -> per batch: clean every page, write the batch's parts and manifest part

Batches carry file names, never documents, and return counts, so an orchestrator's cost per
task stays small next to the work. Every row is a function of the current raw files (and the
settings): the learnt table counts each current document once, near-copies once together,
and a file is redone whenever what the table decides for it changes.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs

from . import __version__, storage
from .dataset import (PARTITION_COLUMNS, CompactionReport, Dataset, FileWork, Layout, ManifestEntry, batch_key,
                      counts_by_file)
from .decode import DecodeError
from .extract.boilerplate import Fingerprint, LearntTable, build_table
from .extract.fingerprint import fingerprint
from .guard import (GuardedProcessor, can_use_child_processes, guarded_documents, observe_safely,
                    refuse_inside_worker_start, safely)
from .metadata import normalise_metadata
from .reasons import RejectReason
from .models import Limits, RawDocument, Reject
from .pipeline import (Context, boilerplate_group, doc_id_for, make_context, page_text, process_document,
                       warm_up)
from .sources import HashingReader, RawFile, discover, file_sha256, open_raw, read_documents

LEARNT_TABLE_FILE = "learnt.json"
RUN_FILE = "run.json"
#: Scanning a file (hash it, fingerprint its lines) costs about a fifth of cleaning a text page
#: (far less than an HTML one), so a scan batch holds this many times the files of a cleaning batch.
SCAN_BATCH_FACTOR = 5

#: Fingerprints of raw files: rel_path -> (sha256 of the file, its documents' fingerprints).
FileFingerprints = dict[str, tuple[str, list[Fingerprint]]]

#: A batch step's progress callback: told how many of the batch's files are done so far.
Progress = Callable[[int], None]


class ConfigError(ValueError):
    """A setting that cannot work: a missing raw folder, outlet folder or rules file."""


class StorageError(OSError):
    """The raw or output location cannot be reached or written (a read-only folder, a missing
    bucket, an unreachable endpoint)."""


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, small enough to ship to any worker."""

    raw: str = "raw"
    out: str = "processed"
    outlets_dirs: tuple[str, ...] = ()
    rules_config: str | None = None
    limits: Limits = field(default_factory=Limits)
    reprocess: bool = False
    prune: bool = False  # retire the rows of raw files that are gone
    batch_files: int = 500  # Prefect's cost is per task: about 0.13 s of CPU on Dask
    batch_bytes: int = 64 * 1024 * 1024
    partition_by: tuple[str, ...] = PARTITION_COLUMNS  # see Layout: () for one folder
    include: tuple[str, ...] = ()  # glob patterns: only matching raw files are considered
    exclude: tuple[str, ...] = ()  # glob patterns: matching raw files are left out

    def dataset(self) -> Dataset:
        """The output, laid out as these settings say."""
        return Dataset(self.out, Layout(partition_by=tuple(self.partition_by)))

    def context(self, learnt: LearntTable | None = None) -> Context:
        return make_context(outlets_dirs=tuple(Path(d) for d in self.outlets_dirs),
                            rules_config=Path(self.rules_config) if self.rules_config else None,
                            learnt=learnt, limits=self.limits)

    def config_digest(self) -> str:
        """A digest of everything besides the raw files that shapes a row: the version, the
        built-in and the user's rules and outlet profiles. A change redoes every file."""
        digest = hashlib.sha256(__version__.encode())
        package = resources.files("decruft")
        builtin = [package / "extract" / "rules", package / "outlets" / "profiles"]
        user = [Path(d) for d in self.outlets_dirs] + ([Path(self.rules_config)] if self.rules_config else [])
        for base in builtin + user:
            for path in sorted(_toml_files(Path(str(base)))):
                digest.update(f"{path.name}\0".encode() + path.read_bytes())
        return digest.hexdigest()[:24]


def _toml_files(base: Path) -> Iterator[Path]:
    if base.is_file():
        yield base
    elif base.is_dir():
        yield from base.rglob("*.toml")


@dataclass
class WorkItem:
    """A raw file with its content hash (empty when it could not be read) and the digest of
    what the learnt table decides for it."""

    file: RawFile
    sha256: str
    context: str = ""

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


def check_config(outlets_dirs: Iterable[str] = (), rules_config: str | None = None) -> None:
    """Raise ConfigError for an outlet folder or rules file that is not there."""
    for directory in outlets_dirs:
        if not Path(directory).is_dir():
            raise ConfigError(f"outlet profiles folder not found: {directory}")
    if rules_config and not Path(rules_config).is_file():
        raise ConfigError(f"rules file not found: {rules_config}")


def preflight(settings: Settings, write: bool = True) -> None:
    """Check what can fail before a run touches anything: the raw location is a folder (or a
    reachable prefix), the output can be written there (``write``), the config paths exist.

    Raises ConfigError or StorageError with a one-line message; nothing is created.
    """
    check_config(settings.outlets_dirs, settings.rules_config)
    if storage.is_remote(settings.raw):
        if _remote_info(settings.raw, "raw location").type == pafs.FileType.NotFound:
            raise ConfigError(f"raw location not found or empty: {settings.raw}")
    else:
        raw = Path(storage.local_root(settings.raw))
        if not raw.exists():
            raise ConfigError(f"raw folder not found: {raw}")
        if not raw.is_dir():
            raise ConfigError(f"raw folder is not a folder: {raw}")
    if storage.is_remote(settings.out):
        _remote_info(settings.out, "output")
    else:
        _check_local_output(Path(storage.local_root(settings.out)), write)


def require_dataset(out: str) -> Dataset:
    """The dataset under out, for commands that read or rewrite one: ConfigError when there is
    none there (nothing is created), StorageError when its location cannot be reached."""
    if storage.is_remote(out):
        _remote_info(out, "dataset")
    elif not Path(storage.local_root(out)).is_dir():
        raise ConfigError(f"no decruft dataset under {out} (no such folder)")
    dataset = Dataset(out)
    if dataset.read_state(RUN_FILE) is None and not dataset.manifest():
        raise ConfigError(f"no decruft dataset under {out} (run decruft ingest first)")
    return dataset


def _remote_info(uri: str, what: str) -> pafs.FileInfo:
    """The URI's file info, after checking that its bucket exists and answers."""
    try:
        fs, root = storage.filesystem(uri)
    except ValueError as exc:
        raise ConfigError(f"{what} {uri}: {_first_line(exc)}") from exc
    bucket = root.split("/", 1)[0]
    try:
        if fs.get_file_info(bucket).type == pafs.FileType.NotFound:
            raise StorageError(f"{what} {uri}: bucket {bucket!r} not found")
        return fs.get_file_info(root)
    except StorageError:
        raise
    except OSError as exc:
        raise StorageError(f"{what} {uri}: {_first_line(exc)}") from exc


def _check_local_output(out: Path, write: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"output is not a folder: {out}")
    existing = next(p for p in (out, *out.parents) if p.exists())
    if not existing.is_dir():
        raise ConfigError(f"output is not under a folder: {existing} is a file")
    if write:
        try:  # a real write: permission bits do not tell read-only mounts, nor hold for root
            handle, probe = tempfile.mkstemp(prefix=".decruft-probe-", dir=existing)
            os.close(handle)
            os.unlink(probe)
        except OSError as exc:
            raise StorageError(f"output folder is not writable: {existing} ({exc.strerror or exc})") from exc


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


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


def scan_batch(settings: Settings, files: list[RawFile], known: dict[str, str] | None = None,
               progress: Progress | None = None) -> tuple[list[WorkItem], FileFingerprints]:
    """Hash each file, and fingerprint those whose hash is not ``known`` (rel_path -> sha256);
    ``progress`` is told the files done after each one.

    Files are streamed: a new file is hashed as it is fingerprinted (one read), a known one is
    hashed first and read again only when its bytes changed."""
    known = known or {}
    ctx: Context | None = None
    items: list[WorkItem] = []
    prints: FileFingerprints = {}
    for done, raw in enumerate(files, 1):
        if raw.rel_path in known:
            sha = file_sha256(raw) or ""
            if sha and sha != known[raw.rel_path]:
                ctx = ctx or settings.context()
                prints[raw.rel_path] = (sha, _file_fingerprints(raw, settings, ctx, sha))
        else:
            ctx = ctx or settings.context()
            sha, found = _hash_and_fingerprint(raw, settings, ctx)
            if sha:
                prints[raw.rel_path] = (sha, found)
        items.append(WorkItem(raw, sha))
        if progress:
            progress(done)
    return items, prints


def _hash_and_fingerprint(raw: RawFile, settings: Settings, ctx: Context) -> tuple[str, list[Fingerprint]]:
    """A new file's sha256 ("" when it cannot be read) and fingerprints, in one read."""
    handle = open_raw(raw)
    if isinstance(handle, Reject):
        return "", []
    with handle:
        reader = HashingReader(handle)
        found = _file_fingerprints(raw, settings, ctx, None, reader.read)
        return reader.sha256(), found


def _file_fingerprints(raw: RawFile, settings: Settings, ctx: Context, sha: str | None,
                       read: Callable[[int], bytes] | None = None) -> list[Fingerprint]:
    docs = guarded_documents(raw.rel_path, read_documents(raw, settings.limits, sha, read))
    return [fp for doc in docs if isinstance(doc, RawDocument)
            for fp in observe_safely(partial(_fingerprint, ctx=ctx), doc, [])]


def _fingerprint(doc: RawDocument, ctx: Context) -> list[Fingerprint]:
    """The document's fingerprint (none when it cannot be decoded: it will be a reject)."""
    try:
        text = page_text(doc, ctx.limits)
    except DecodeError:
        return []
    if doc.source_format.endswith("html"):
        return [fingerprint(doc.source_path, "", text, ctx.rules, is_html=True)]
    meta = normalise_metadata(doc.metadata)
    resolution = ctx.registry.resolve(metadata=meta.outlet, folder=doc.folder, url=meta.url, text=text)
    return [fingerprint(doc.source_path, boilerplate_group(resolution.outlet_id, doc.folder), text, ctx.rules)]


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


def exact_copy_owners(items: Iterable[WorkItem]) -> dict[str, str]:
    """sha256 -> the first path (in path order) of the files with those exact bytes."""
    owners: dict[str, str] = {}
    for item in sorted(items, key=lambda i: i.file.rel_path):
        if item.sha256:
            owners.setdefault(item.sha256, item.file.rel_path)
    return owners


def learn(current: FileFingerprints, owners: dict[str, str]) -> LearntTable:
    """The learnt table of the current files; an exact duplicate file does not count again."""
    return build_table(fp for path, (sha, prints) in current.items() if owners.get(sha, path) == path
                       for fp in prints)


@dataclass
class Plan:
    """What a run must do: files to process, duplicates to reject, files to retire."""

    todo: list[WorkItem] = field(default_factory=list)
    duplicates: list[WorkItem] = field(default_factory=list)
    owners: dict[str, str] = field(default_factory=dict)
    retired: list[str] = field(default_factory=list)
    skipped: int = 0
    changed: int = 0  # files processed before: their old rows are superseded


def plan_work(items: Iterable[WorkItem], present: set[str], manifest: dict[str, ManifestEntry],
              current: FileFingerprints, owners: dict[str, str], table: LearntTable,
              settings: Settings, config: str) -> Plan:
    """Which files to redo: those whose bytes, exact-duplicate owner or learnt-table decisions
    differ from what their current rows were made with.

    A file whose exact bytes are also under an earlier path is a ``duplicate`` of that path's
    article. A file that is gone is retired (its rows removed) when its bytes are under another
    path now (it was moved), or with ``prune``; otherwise its rows stay.
    """
    plan = Plan(owners=owners)
    for item in sorted(items, key=lambda i: i.file.rel_path):
        path, sha = item.file.rel_path, item.sha256
        owner = owners.get(sha, path)
        decisions = [table.decision_for(fp) for fp in current.get(path, ("", []))[1]]
        item.context = hashlib.sha256("\0".join([config, sha, owner, *decisions]).encode()).hexdigest()[:24]
        entry = manifest.get(path)
        if entry is not None and not settings.reprocess and (entry.source_sha256, entry.context) == (sha, item.context):
            plan.skipped += 1
            continue
        plan.changed += entry is not None
        (plan.todo if owner == path else plan.duplicates).append(item)
    moved = set(owners)
    plan.retired = sorted(path for path, entry in manifest.items() if path not in present
                          and (settings.prune or entry.source_sha256 in moved))
    return plan


def process_batch(settings: Settings, items: list[WorkItem], ingested_at: dt.datetime,
                  table_digest: str | None = None, progress: Progress | None = None) -> BatchSummary:
    """Clean every page of a batch and write its parts; returns counts.

    The learnt table is the one saved under the output with ``table_digest`` (read once per
    process, see ``saved_learnt_table``), or the latest saved one when it is None.
    ``progress`` is told the files cleaned after each one.
    """
    table = saved_learnt_table(settings.out, table_digest) if table_digest else load_learnt_table(settings.out)
    make = partial(document_processor, settings, table, ingested_at)
    files = [FileWork(item.file.rel_path, item.sha256, item.context) for item in items]
    key = batch_key(files)
    chunk = _Chunk()
    summary = BatchSummary(files=len(items))
    counts: dict[str, list[int]] = {}
    with page_processor(make, settings.limits) as process:
        for done, item in enumerate(items, 1):
            docs = read_documents(item.file, settings.limits, item.sha256 or None)
            for doc in guarded_documents(item.file.rel_path, docs):
                chunk.add(doc if isinstance(doc, Reject) else process(doc))
                if chunk.full():
                    chunk.flush(settings.dataset(), key, ingested_at, summary, counts)
            if progress:
                progress(done)
    chunk.flush(settings.dataset(), key, ingested_at, summary, counts)
    settings.dataset().write_manifest(key, files, counts, summary.parts, ingested_at)
    return summary


#: Rows a batch holds before it writes them: a container of any size costs the memory of this many.
CHUNK_ROWS = 2000


@dataclass
class _Chunk:
    """The rows of a batch not yet written; written as parts of their own when full, so that
    one large container never holds all its records at once."""

    records: list[dict] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    written: int = 0

    def add(self, result: dict | Reject) -> None:
        (self.records if isinstance(result, dict) else self.rejects).append(result)

    def full(self) -> bool:
        return len(self.records) + len(self.rejects) >= CHUNK_ROWS

    def flush(self, dataset: Dataset, key: str, ingested_at: dt.datetime, summary: BatchSummary,
              counts: dict[str, list[int]]) -> None:
        """Write the rows (the first chunk as ``part-<batch>``, later ones ``part-<batch>-<n>``)."""
        if not (self.records or self.rejects) and self.written:
            return
        name = f"{key}-{self.written}" if self.written else key
        parts = dataset.write_parts(name, self.records, self.rejects, ingested_at)
        chunk_summary = summarise(self.records, self.rejects)
        chunk_summary.parts = parts
        summary.add(chunk_summary)
        for path, (articles, rejects) in counts_by_file(self.records, self.rejects).items():
            total = counts.setdefault(path, [0, 0])
            total[0] += articles
            total[1] += rejects
        self.records, self.rejects, self.written = [], [], self.written + 1


def document_processor(settings: Settings, table: LearntTable,
                       ingested_at: dt.datetime) -> Callable[[RawDocument], dict | Reject]:
    """The per-page function of a batch (built where it runs: in this process or a child)."""
    ctx = settings.context(table)
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


#: The table a batch task last read, by (output, digest): each worker process reads it once per
#: run instead of receiving it with every task (it can grow to megabytes per outlet).
_SAVED: dict[tuple[str, str], LearntTable] = {}
_SAVED_LOCK = threading.Lock()


def load_learnt_table(out: str) -> LearntTable:
    """The learnt table of the latest run under out (empty before the first)."""
    data = Dataset(out).read_state(LEARNT_TABLE_FILE)
    return LearntTable.from_json(data.decode("utf-8")) if data is not None else LearntTable()


def save_learnt_table(out: str, table: LearntTable) -> str:
    """Save the table for this run's batches (and clean/explain); returns the digest naming it."""
    data = table.to_json().encode("utf-8")
    Dataset(out).write_state(LEARNT_TABLE_FILE, data)
    digest = hashlib.sha256(data).hexdigest()
    with _SAVED_LOCK:
        _SAVED.clear()
        _SAVED[(out, digest)] = table
    return digest


def saved_learnt_table(out: str, digest: str) -> LearntTable:
    """The table ``save_learnt_table`` saved under out with that digest, read once per process."""
    with _SAVED_LOCK:
        table = _SAVED.get((out, digest))
        if table is None:
            data = Dataset(out).read_state(LEARNT_TABLE_FILE)
            if data is None or hashlib.sha256(data).hexdigest() != digest:
                raise RuntimeError(f"the learnt table under {out} changed during the run")
            table = LearntTable.from_json(data.decode("utf-8"))
            _SAVED.clear()
            _SAVED[(out, digest)] = table
        return table


def dataset_context(out: str, outlets_dirs: tuple[str, ...] = (), rules_config: str | None = None
                    ) -> tuple[Context, str | None]:
    """The context the latest run under out cleaned with (its learnt table, outlet profiles and
    rules, unless others are given), and its raw root: so one page cleaned now is cleaned as
    ingest cleaned it."""
    data = require_dataset(out).read_state(RUN_FILE)
    if data is None:
        raise ConfigError(f"no run recorded under {out} (run decruft ingest first)")
    run = json.loads(data)
    settings = Settings(raw=run["raw"], out=out, outlets_dirs=tuple(outlets_dirs or run["outlets_dirs"]),
                        rules_config=rules_config or run["rules_config"], limits=Limits(**run["limits"]))
    return settings.context(load_learnt_table(out)), run["raw"]


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
    preflight(settings)
    dataset = settings.dataset()
    report = RunReport()
    with dataset.lock():
        dataset.save_layout()
        dataset.write_common_metadata()
        settle(dataset, log)
        files, early_rejects = discover_files(settings)
        log(f"found {len(files)} raw file(s) under {settings.raw}")
        config = settings.config_digest()
        saved = _saved_fingerprints(settings, dataset, config)
        items, scanned = scan(settings, files, saved, map_batches, parallelism)
        current = current_fingerprints(files, items, saved, scanned)
        if current != saved:
            dataset.save_fingerprints(current)
        owners = exact_copy_owners(items)
        table = learn(current, owners)
        digest = save_learnt_table(settings.out, table)
        dataset.write_state(RUN_FILE, _run_state(settings, config))
        manifest = dataset.manifest()
        plan = plan_work(items, _present(files, early_rejects), manifest, current, owners, table,
                         settings, config)
        report.seen, report.new, report.skipped = (len(files) + len(early_rejects), len(plan.todo),
                                                   plan.skipped)
        report.retired = len(plan.retired)
        log(f"{report.new} new or changed file(s), {report.skipped} unchanged, {report.retired} retired")
        dataset.retire(plan.retired, ingested_at)
        rejects = [r for r in early_rejects if settings.reprocess or r.source_path not in manifest]
        rejects += [Reject(i.file.rel_path, i.sha256, RejectReason.DUPLICATE, _duplicate_detail(plan.owners[i.sha256]))
                    for i in plan.duplicates]
        if rejects:
            report.totals.add(write_rejects(settings, rejects, ingested_at,
                                            {i.file.rel_path: i.context for i in plan.duplicates}))
        calls = [(settings, batch, ingested_at, digest)
                 for batch in batches_of_items(plan.todo, settings, parallelism)]
        for summary in map_batches(process_batch, calls):
            report.totals.add(summary)
        settle(dataset, log)
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class Preview:
    """What a run would do now (``dry_run``): paths to clean (new or changed), exact copies to
    reject, paths whose rows would be retired, discovery rejects, how many are unchanged."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (path, the path it copies)
    retired: list[str] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    skipped: int = 0


def dry_run(settings: Settings) -> Preview:
    """Plan a run with its own steps (discover, scan, learn, plan_work) and write nothing: no
    lock, no fingerprints, no learnt table, no rows. Interrupted work left under the output
    (which a run settles first) is not looked at."""
    preflight(settings, write=False)
    dataset = Dataset(settings.out)
    files, early_rejects = discover_files(settings)
    config = settings.config_digest()
    saved = _saved_fingerprints(settings, dataset, config)
    items, scanned = scan(settings, files, saved, sequential_map, 1)
    current = current_fingerprints(files, items, saved, scanned)
    owners = exact_copy_owners(items)
    manifest = dataset.manifest()
    plan = plan_work(items, _present(files, early_rejects), manifest, current, owners,
                     learn(current, owners), settings, config)
    todo = [item.file.rel_path for item in plan.todo]
    return Preview(new=[p for p in todo if p not in manifest], changed=[p for p in todo if p in manifest],
                   duplicates=[(i.file.rel_path, owners[i.sha256]) for i in plan.duplicates],
                   retired=plan.retired, skipped=plan.skipped,
                   rejects=[r for r in early_rejects if settings.reprocess or r.source_path not in manifest])


def _saved_fingerprints(settings: Settings, dataset: Dataset, config: str) -> FileFingerprints:
    """The fingerprints to reuse: none on a reprocess or when the config changed."""
    return {} if settings.reprocess or _saved_config(dataset) != config else dataset.fingerprints()


def _present(files: list[RawFile], early_rejects: list[Reject]) -> set[str]:
    return {f.rel_path for f in files} | {r.source_path for r in early_rejects}


def scan(settings: Settings, files: list[RawFile], saved: FileFingerprints, map_batches: Mapper,
         parallelism: int) -> tuple[list[WorkItem], FileFingerprints]:
    """Scan every file in batches: hashes for all, fingerprints for the new and changed."""
    known = {path: sha for path, (sha, _) in saved.items()}
    scan_batches = batches(files, SCAN_BATCH_FACTOR * settings.batch_files,
                           SCAN_BATCH_FACTOR * settings.batch_bytes, parallelism)
    calls = [(settings, b, {f.rel_path: known[f.rel_path] for f in b if f.rel_path in known})
             for b in scan_batches]
    items: list[WorkItem] = []
    scanned: FileFingerprints = {}
    for batch_items, prints in map_batches(scan_batch, calls):
        items += batch_items
        scanned.update(prints)
    return items, scanned


def settle(dataset: Dataset, log: Callable[[str], None]) -> None:
    """Finish what an interrupted run left (half-written parts, a half-done compaction), remove
    superseded rows and merge small parts, so that no document is visible twice and touched
    partitions hold few files once a run has settled."""
    leftovers = dataset.remove_leftovers()
    if leftovers:
        log(f"removed {len(leftovers)} leftover file(s) of an interrupted run")
    for _ in range(2):  # a new layout moves rows into small parts first, then merges them
        if not dataset.needs_compaction():
            break
        compaction = dataset.compact()
        log(f"compacted {compaction.rows_before} rows in {compaction.files_before} parts into "
            f"{compaction.rows_after} current rows in {compaction.files_after}")


def compact(out: str, log: Callable[[str], None] = lambda _: None, wait_s: float = 0.0) -> CompactionReport:
    """``decruft compact`` and the compact flow: under the run lock (waiting up to wait_s for a
    running ingest), remove what an interrupted run left, then merge and drop superseded rows."""
    dataset = require_dataset(out)
    with dataset.lock(wait_s=wait_s):
        leftovers = dataset.remove_leftovers()
        if leftovers:
            log(f"removed {len(leftovers)} leftover file(s) of an interrupted run")
        return dataset.compact()


def _duplicate_detail(owner: str) -> str:
    return f"same content as {owner} (doc_id {doc_id_for(owner)})"


def _saved_config(dataset: Dataset) -> str | None:
    data = dataset.read_state(RUN_FILE)
    return json.loads(data).get("config") if data else None


def _run_state(settings: Settings, config: str) -> bytes:
    """What clean/explain --out need to clean a page as this run does."""
    return json.dumps({"raw": settings.raw, "outlets_dirs": list(settings.outlets_dirs),
                       "partition_by": list(settings.partition_by),
                       "rules_config": settings.rules_config, "limits": asdict(settings.limits),
                       "config": config}).encode()


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
    retired: int = 0
    seconds: float = 0.0
    totals: BatchSummary = field(default_factory=BatchSummary)

    def lines(self) -> list[str]:
        t = self.totals
        rate = t.files / self.seconds if self.seconds else 0.0
        out = [f"files seen: {self.seen}  new: {self.new}  already ingested: {self.skipped}  "
               f"retired: {self.retired}",
               f"articles written: {t.articles}",
               "rejects: " + (", ".join(f"{k}={v}" for k, v in sorted(t.rejects.items())) or "none"),
               "outlets: " + (", ".join(f"{k}={v}" for k, v in t.outlets.most_common()) or "none"),
               "languages: " + (", ".join(f"{k}={v}" for k, v in t.languages.most_common()) or "none"),
               f"time: {self.seconds:.1f} s ({rate:.0f} files/s)"]
        return out

    def as_dict(self) -> dict[str, Any]:
        t = self.totals
        return {"seen": self.seen, "new": self.new, "skipped": self.skipped, "retired": self.retired,
                "articles": t.articles, "rejects": dict(t.rejects), "outlets": dict(t.outlets),
                "languages": dict(t.languages), "parts": len(t.parts),
                "seconds": round(self.seconds, 3)}
