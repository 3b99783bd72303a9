"""What batches and runs report: counts only, never documents."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


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

