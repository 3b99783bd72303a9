"""Plan: which files a run redoes, rejects as exact copies, or retires."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from decruft.extract.boilerplate import LearntTable
from decruft.ingest.batching import WorkItem
from decruft.ingest.scan import FileFingerprints
from decruft.ingest.settings import Settings
from decruft.store.dataset import ManifestEntry


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

