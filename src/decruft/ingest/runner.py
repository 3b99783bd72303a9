"""A whole ingest run, and its dry run, composed from the steps."""
from __future__ import annotations

import datetime as dt
import gc
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from decruft.guard import refuse_inside_worker_start
from decruft.ingest.batching import BatchCall, Mapper, batches_of_items, sequential_map
from decruft.ingest.checks import preflight
from decruft.ingest.plan import plan_work
from decruft.ingest.process import CLEAN, write_rejects
from decruft.ingest.report import RunReport
from decruft.ingest.scan import (current_fingerprints, current_indexes, discover_files, exact_copy_owners,
                                 learn, scan)
from decruft.ingest.settings import Settings
from decruft.ingest.workers import close_idle_workers, start_worker_server
from decruft.ingest.state import (RUN_FILE, _run_state, _saved_fingerprints, save_learnt_table, save_run_report,
                                  settle)
from decruft.models import Reject
from decruft.page import doc_id_for
from decruft.read.sources import RawFile
from decruft.reasons import RejectReason


def run(settings: Settings, map_batches: Mapper = sequential_map,
        log: Callable[[str], None] = lambda _: None, parallelism: int = 1) -> "RunReport":
    """One ingest run. ``map_batches`` runs batch steps: sequentially here, as tasks in a flow
    whose runner has ``parallelism`` workers (batch counts are multiples of it). The report is
    saved with the dataset (``state.save_run_report``) before the run lock is released. The
    page workers its batches kept in this process end with it."""
    refuse_inside_worker_start()
    try:
        with _collector_spares_what_exists():
            return _run(settings, map_batches, log, parallelism)
    finally:
        close_idle_workers()


@contextmanager
def _collector_spares_what_exists() -> Iterator[None]:
    """While a run works, Python's garbage collector leaves alone the objects that existed
    before it (Prefect's and the caller's, hundreds of thousands): each full collection would
    walk them all, several times a run, holding up every thread. They are handed back to it
    after the run (unless the caller had frozen objects itself, which is then left as it was)."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _run(settings: Settings, map_batches: Mapper, log: Callable[[str], None], parallelism: int) -> RunReport:
    if map_batches is sequential_map:
        start_worker_server()
    started = time.perf_counter()
    ingested_at = dt.datetime.now(dt.UTC)
    preflight(settings)
    dataset = settings.dataset()
    report = RunReport(started=ingested_at)
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
        saved_indexes = dataset.record_indexes()
        if (indexes := current_indexes(items, saved_indexes)) != saved_indexes:
            dataset.save_record_indexes(indexes)
        owners = exact_copy_owners(items)
        table = learn(current, owners, settings.learnt)
        digest = save_learnt_table(dataset, table)
        dataset.write_state(RUN_FILE, _run_state(settings, config))
        manifest = dataset.manifest()
        plan = plan_work(items, _present(files, early_rejects), manifest, current, owners, table,
                         settings, config)
        report.seen, report.new, report.skipped = (len(files) + len(early_rejects),
                                                   len({i.file.rel_path for i in plan.todo}), plan.skipped)
        report.retired = len(plan.retired)
        log(f"{report.new} new or changed file(s), {report.skipped} unchanged, {report.retired} retired")
        dataset.retire(plan.retired, ingested_at)
        rejects = [r for r in early_rejects if settings.reprocess or r.source_path not in manifest]
        rejects += [Reject(i.file.rel_path, i.sha256, RejectReason.DUPLICATE, _duplicate_detail(plan.owners[i.sha256]))
                    for i in plan.duplicates]
        if rejects:
            report.totals.add(write_rejects(settings, rejects, ingested_at,
                                            {i.file.rel_path: i.context for i in plan.duplicates}))
        calls = [BatchCall((settings, batch, ingested_at, digest), tuple(i.file.rel_path for i in batch))
                 for batch in batches_of_items(plan.todo, settings, parallelism)]
        for summary in map_batches(CLEAN, calls):
            report.totals.add(summary)
        close_idle_workers()  # the cleaning's, done with: their memory is not held through compaction
        settle(dataset, log)
        report.seconds = time.perf_counter() - started
        save_run_report(dataset, report)
    return report


@dataclass
class Preview:
    """What a run would do now (``dry_run``): paths to clean (new or changed), exact copies to
    reject, paths whose rows would be retired, discovery rejects, how many are unchanged;
    ``ranges``: of the paths to clean, the large containers cleaned in record ranges, and how
    many ranges are left to clean of each."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (path, the path it copies)
    retired: list[str] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    skipped: int = 0
    ranges: dict[str, int] = field(default_factory=dict)


def dry_run(settings: Settings) -> Preview:
    """Plan a run with its own steps (discover, scan, learn, plan_work) and write nothing: no
    lock, no fingerprints, no learnt table, no rows. Interrupted work left under the output
    (which a run settles first) is not looked at."""
    preflight(settings, write=False)
    dataset = settings.dataset()
    files, early_rejects = discover_files(settings)
    config = settings.config_digest()
    saved = _saved_fingerprints(settings, dataset, config)
    items, scanned = scan(settings, files, saved, sequential_map, 1)
    current = current_fingerprints(files, items, saved, scanned)
    current_indexes(items, dataset.record_indexes())
    owners = exact_copy_owners(items)
    manifest = dataset.manifest()
    plan = plan_work(items, _present(files, early_rejects), manifest, current, owners,
                     learn(current, owners, settings.learnt), settings, config)
    todo = list(dict.fromkeys(item.file.rel_path for item in plan.todo))  # a file split in ranges once
    return Preview(new=[p for p in todo if p not in manifest], changed=[p for p in todo if p in manifest],
                   duplicates=[(i.file.rel_path, owners[i.sha256]) for i in plan.duplicates],
                   retired=plan.retired, skipped=plan.skipped,
                   ranges=dict(Counter(i.file.rel_path for i in plan.todo if i.part is not None)),
                   rejects=[r for r in early_rejects if settings.reprocess or r.source_path not in manifest])


def _present(files: list[RawFile], early_rejects: list[Reject]) -> set[str]:
    return {f.rel_path for f in files} | {r.source_path for r in early_rejects}


def _duplicate_detail(owner: str) -> str:
    return f"same content as {owner} (doc_id {doc_id_for(owner)})"

