"""Corpus statistics: lines that recur across many pages of one outlet are boilerplate.

A menu item, a footer or a newsletter box is printed on every page of a site; a
sentence of an article is not. ``LineStats`` counts, per group (an outlet, or the raw
folder when the outlet is unknown), in how many documents each line occurs, and
``boilerplate_for`` returns the keys that recur often enough. The table persists as
JSON so an incremental run still knows what it learnt before.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_SENTENCE_END = (".", "!", "?", "…", "。", "！", "？", '"', "”", "’", "»")
KEY_MAX_CHARS = 300  # longer lines are article text, never counted


def line_key(line: str) -> str:
    """Normalise a line for counting: case, spacing and numbers do not matter.

    "3 Comments" and "12 comments" share a key, so do dates in a footer.
    """
    return _DIGITS.sub("0", _SPACE.sub(" ", line).strip().lower())[:KEY_MAX_CHARS]


def _is_sentence_like(key: str) -> bool:
    """A long line ending like a sentence: prose unless nearly every page prints it."""
    return key.count(" ") >= 9 and key.endswith(_SENTENCE_END)


@dataclass
class Thresholds:
    """When a recurring line counts as boilerplate."""

    min_docs: int = 3  # seen in at least this many documents
    min_share: float = 0.3  # ... and in at least this share of the group's documents
    sentence_min_share: float = 0.8  # sentence-like lines must be nearly everywhere
    sentence_min_docs: int = 5
    max_keys: int = 200_000  # per group; rarest keys are pruned beyond this


@dataclass
class _Group:
    docs: int = 0
    lines: Counter = field(default_factory=Counter)


class LineStats:
    """Per-group document frequencies of line keys."""

    def __init__(self, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or Thresholds()
        self._groups: dict[str, _Group] = {}
        self._cache: dict[str, frozenset[str]] = {}  # boilerplate_for runs once per document

    def add_document(self, group: str, text: str) -> None:
        """Count each distinct line of one document once."""
        entry = self._groups.setdefault(group, _Group())
        self._cache.pop(group, None)
        entry.docs += 1
        keys = {line_key(line) for line in text.splitlines() if line.strip()}
        keys.discard("")
        entry.lines.update(keys)
        if len(entry.lines) > self.thresholds.max_keys:
            self._prune(entry)

    def _prune(self, entry: _Group) -> None:
        """Drop the keys seen once (then twice, ...) until the table fits again."""
        floor = 1
        while len(entry.lines) > self.thresholds.max_keys // 2:
            entry.lines = Counter({k: n for k, n in entry.lines.items() if n > floor})
            floor += 1

    def documents(self, group: str) -> int:
        """How many documents of the group were counted."""
        entry = self._groups.get(group)
        return entry.docs if entry else 0

    def boilerplate_for(self, group: str) -> frozenset[str]:
        """Keys (see ``line_key``) that recur in enough of the group's documents."""
        if group in self._cache:
            return self._cache[group]
        entry = self._groups.get(group)
        if entry is None:
            return frozenset()
        t = self.thresholds
        plain = max(t.min_docs, t.min_share * entry.docs)
        sentence = max(t.sentence_min_docs, t.sentence_min_share * entry.docs)
        found = frozenset(key for key, n in entry.lines.items()
                          if n >= (sentence if _is_sentence_like(key) else plain))
        self._cache[group] = found
        return found

    def merge(self, other: LineStats) -> None:
        """Add another table's counts (e.g. from a parallel worker) to this one."""
        for group, theirs in other._groups.items():
            self._cache.pop(group, None)
            mine = self._groups.setdefault(group, _Group())
            mine.docs += theirs.docs
            mine.lines.update(theirs.lines)
            if len(mine.lines) > self.thresholds.max_keys:
                self._prune(mine)

    def to_json(self) -> str:
        return json.dumps({"version": 1, "groups": {
            g: {"docs": e.docs, "lines": dict(e.lines)} for g, e in sorted(self._groups.items())}},
            ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str, thresholds: Thresholds | None = None) -> LineStats:
        raw = json.loads(data)
        if raw.get("version") != 1:
            raise ValueError(f"unsupported line statistics version {raw.get('version')!r}")
        stats = cls(thresholds)
        for group, entry in raw["groups"].items():
            stats._groups[group] = _Group(int(entry["docs"]), Counter(entry["lines"]))
        return stats

    def save(self, path: Path) -> None:
        """Write atomically, so a crash never leaves half a table."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, thresholds: Thresholds | None = None) -> LineStats:
        """Read a saved table; a missing file gives an empty one."""
        path = Path(path)
        if not path.exists():
            return cls(thresholds)
        return cls.from_json(path.read_text(encoding="utf-8"), thresholds)
