"""What batches and runs report: counts only, never documents.

A batch returns a ``BatchSummary``: what it wrote, and its ``StepCounters`` (in the spirit of
pipeline stats: records read by container, container records skipped by reason, lines removed
by reason, extractor paths, seconds per stage). A run adds them up into a ``RunReport``, whose
``as_dict`` is the run's summary: what ``run`` saves with the dataset, the flow returns and
``decruft stats --json`` shows of the latest run. ``summary_rows`` and ``summary_tables`` are the one account of
a summary that every view renders (``summary_lines`` as text; the flow's artifact as markdown).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from decruft.models import Reject
from decruft.page import PageResult
from decruft.read.containers import ReadStats
from decruft.steps import Container, Stage


@dataclass
class StepCounters:
    """What a batch's steps did; keys are the codes of ``decruft.reasons`` and ``decruft.steps``."""

    records: Counter = field(default_factory=Counter)  # raw records read, by ``Container``
    skipped: Counter = field(default_factory=Counter)  # container records not pages, by ``SkipReason``
    removed: Counter = field(default_factory=Counter)  # removed lines by ``LineReason``, kept or rejected page
    paths: Counter = field(default_factory=Counter)  # extracted pages by ``ExtractPath``
    seconds: Counter = field(default_factory=Counter)  # by ``Stage``, summed over pages

    def add(self, other: "StepCounters") -> None:
        for name in ("records", "skipped", "removed", "paths", "seconds"):
            getattr(self, name).update(getattr(other, name))

    def add_file(self, stats: ReadStats) -> None:
        """One raw file read: a single page is one record, a container's are its own."""
        self.records[stats.container] += 1 if stats.container == Container.PAGE else stats.records
        self.skipped.update(stats.skipped)

    def add_page(self, page: PageResult | Reject) -> None:
        """One cleaned page (a Reject when its guard stopped it: timed out, crashed)."""
        if isinstance(page, Reject):
            return
        if page.path is not None:
            self.paths[page.path] += 1
        self.removed.update(page.removed)
        self.seconds.update(page.seconds)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        counts = {name: _plain(getattr(self, name)) for name in ("records", "skipped", "removed", "paths")}
        return counts | {"seconds": {str(stage): round(self.seconds[stage], 3)
                                     for stage in Stage if stage in self.seconds}}


def _plain(counts: Counter) -> dict[str, int]:
    """Most first, then by name, with the codes as plain strings."""
    return {str(name): n for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))}


@dataclass
class BatchSummary:
    """What one processed batch produced: counts only, never documents."""

    files: int = 0
    articles: int = 0
    rejects: Counter = field(default_factory=Counter)
    outlets: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)
    parts: list[str] = field(default_factory=list)
    counters: StepCounters = field(default_factory=StepCounters)

    def add(self, other: "BatchSummary") -> None:
        self.files += other.files
        self.articles += other.articles
        self.rejects += other.rejects
        self.outlets += other.outlets
        self.languages += other.languages
        self.parts += other.parts
        self.counters.add(other.counters)


@dataclass
class RunReport:
    """A run's outcome: what it saw, skipped and produced, what its steps did, how long it took."""

    seen: int = 0
    new: int = 0
    skipped: int = 0
    retired: int = 0
    seconds: float = 0.0
    totals: BatchSummary = field(default_factory=BatchSummary)
    started: dt.datetime | None = None  # the run's ``ingested_at``

    def as_dict(self) -> dict[str, Any]:
        """The run's summary (plain JSON values)."""
        t = self.totals
        return {"started_at": self.started.isoformat() if self.started else None, "seen": self.seen,
                "new": self.new, "skipped": self.skipped, "retired": self.retired, "files": t.files, "articles": t.articles, "rejects": _plain(t.rejects),
                "outlets": _plain(t.outlets), "languages": _plain(t.languages), "parts": len(t.parts),
                "seconds": round(self.seconds, 3), "counters": t.counters.as_dict()}

    def lines(self) -> list[str]:
        return summary_lines(self.as_dict())


@dataclass(frozen=True)
class Row:
    """One figure of a run summary: its label, its value as shown, and the shorter name it has
    when text shows it in brackets after the row above (None: a row of its own)."""

    label: str
    value: str
    inline: str | None = None


@dataclass(frozen=True)
class Table:
    """Counts of one kind in a run summary (most first; stages in pipeline order)."""

    title: str
    unit: str
    counts: dict[str, Any]


def summary_rows(summary: dict[str, Any]) -> list[Row]:
    """The figures of a run summary (``RunReport.as_dict``, with a flow's ``failed_files``)."""
    seconds = summary["seconds"]
    rate = summary.get("files", 0) / seconds if seconds else 0.0
    rows = [Row("files seen", str(summary["seen"])),
            Row("new or changed", str(summary["new"]), "new"),
            Row("skipped (already ingested)", str(summary["skipped"]), "already ingested"),
            Row("retired (moved or pruned)", str(summary["retired"]), "retired"),
            Row("articles written", str(summary["articles"])),
            Row("rejects", str(sum(summary["rejects"].values()))),
            Row("parts written", str(summary["parts"]))]
    if summary.get("failed_files"):
        rows.append(Row("failed files (retried next run)", str(len(summary["failed_files"]))))
    return rows + [Row("time", f"{seconds:.1f} s"), Row("documents per second", f"{rate:.1f}")]


def summary_tables(summary: dict[str, Any]) -> list[Table]:
    """The counts of a run summary by kind: what it wrote, then what its steps did (each already
    most first, as ``RunReport.as_dict`` lays them out)."""
    counters = summary.get("counters", {})
    return [Table("rejects by reason", "count", summary["rejects"]),
            Table("outlets", "count", summary["outlets"]),
            Table("languages", "count", summary["languages"]),
            Table("records read by container", "count", counters.get("records", {})),
            Table("records skipped by reason", "count", counters.get("skipped", {})),
            Table("removed lines by reason", "count", counters.get("removed", {})),
            Table("extractor paths", "count", counters.get("paths", {})),
            Table("seconds by stage", "seconds", counters.get("seconds", {}))]


#: Counts a text summary shows per kind (the markdown artifact shows more).
TEXT_TABLE_ITEMS = 12


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """A run summary as text: one line a figure (shorter ones in brackets after the figure they
    belong to), then one line a kind of counts."""
    figures: list[tuple[str, list[str]]] = []  # a row's text, and those shown in its brackets
    for row in summary_rows(summary):
        if row.inline is not None and figures:
            figures[-1][1].append(f"{row.inline} {row.value}")
        else:
            figures.append((f"{row.label}: {row.value}", []))
    lines = [text + (f" ({', '.join(inner)})" if inner else "") for text, inner in figures]
    for table in summary_tables(summary):
        items = list(table.counts.items())
        shown = ", ".join(f"{name}={value}" for name, value in items[:TEXT_TABLE_ITEMS]) or "none"
        more = f", ... ({len(items) - TEXT_TABLE_ITEMS} more)" if len(items) > TEXT_TABLE_ITEMS else ""
        lines.append(f"{table.title}: {shown}{more}")
    return lines
