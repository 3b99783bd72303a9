"""Plan: which files (or record ranges of large containers) a run redoes, rejects as exact
copies, or retires."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from decruft.extract.boilerplate import LearntTable
from decruft.ingest.batching import WorkItem
from decruft.ingest.scan import FileFingerprints
from decruft.ingest.settings import Settings
from decruft.read.containers import Mark, RecordRange
from decruft.store.dataset import ManifestEntry


@dataclass
class Plan:
    """What a run must do: files (or ranges of them) to process, duplicates to reject, files to
retire."""

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

    A container larger than a batch's bytes is split into record ranges (``split``); of a file
    whose ranges are partly recorded for the same bytes and decisions, only the others are redone.
    """
    plan = Plan(owners=owners)
    for item in sorted(items, key=lambda i: i.file.rel_path):
        path, sha = item.file.rel_path, item.sha256
        owner = owners.get(sha, path)
        decisions = [table.decision_for(fp) for fp in current.get(path, ("", []))[1]]
        item.context = hashlib.sha256("\0".join([config, sha, owner, *decisions]).encode()).hexdigest()[:24]
        entry = manifest.get(path)
        same = entry is not None and not settings.reprocess and (entry.source_sha256, entry.context) == (sha, item.context)
        if same and entry.complete:
            plan.skipped += 1
            continue
        if owner != path:
            plan.changed += entry is not None
            plan.duplicates.append(item)
            continue
        parts = split(item, settings.batch_bytes)
        if same and parts and parts[0].split == entry.split:  # resume: the ranges not recorded
            done = {r.first for r in entry.ranges}
            plan.todo += [part for part in parts if part.part.first not in done]
        else:
            plan.changed += entry is not None
            plan.todo += parts or [item]
    moved = set(owners)
    plan.retired = sorted(path for path, entry in manifest.items() if path not in present
                          and (settings.prune or entry.source_sha256 in moved))
    return plan



def split(item: WorkItem, batch_bytes: int) -> list[WorkItem]:
    """A container over ``batch_bytes`` as record ranges of about that size, each an item of its
    own (none for a file read whole): cut at the marks its scan noted nearest to equal shares."""
    index = item.records
    if index is None or item.file.size <= batch_bytes or not index.marks:
        return []
    shares = -(-item.file.size // batch_bytes)
    cuts: list[Mark] = []
    for share in range(1, shares):
        target = item.file.size * share // shares
        mark = min(index.marks, key=lambda m: abs(m.at - target))
        if mark.after > (cuts[-1].after if cuts else 0):
            cuts.append(mark)
    if not cuts:
        return []
    starts = [Mark(0, 0), *cuts]
    digest = hashlib.sha256(",".join(str(m.after) for m in starts).encode()).hexdigest()[:16]
    return [replace(item, records=None, split=digest,
                    part=RecordRange(index.format, index.gzipped, start,
                                     cuts[n].after if n < len(cuts) else None,
                                     cuts[n].at if n < len(cuts) else 0))
            for n, start in enumerate(starts)]
