"""The learnt boilerplate table: lines that recur across many documents of one outlet.

A menu item, a footer or a newsletter box is printed on every page of a site; a line of an
article is not. The table is built from the fingerprints of the current raw files alone
(see ``fingerprint``): each document counts once, near-copies of one article (re-scrapes,
AMP or print copies, syndicated wire copy) count once together, and nothing is carried over
from earlier runs, so the same raw files give the same table whatever the run history, and a
rebuild from scratch equals the table an incremental run keeps.
"""
from __future__ import annotations

import hashlib
import json
import re
import struct
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import NamedTuple

import numpy as np

_DIGITS = re.compile(r"\d+")
KEY_MAX_CHARS = 300  # longer lines are article text, never counted
#: MinHash permutations of a body signature (32-bit values), and the estimated Jaccard
#: similarity of body shingles from which two documents are near-copies.
SIGNATURE_PERMUTATIONS = 64
NEAR_COPY_SIMILARITY = 0.7
PERMUTATION_SEED = 1
#: Bands of the near-copy index: 8 of 8 values, the layout that balances missed and needless
#: candidates at a similarity of 0.7 for 64 values (a pair at 0.9 shares a band with
#: probability 0.99, at 0.8 with 0.77, at 0.5 with 0.03).
SIGNATURE_BANDS = 8
#: Equal values two signatures share at the near-copy similarity.
_EQUAL_VALUES_NEEDED = NEAR_COPY_SIMILARITY * SIGNATURE_PERMUTATIONS
TABLE_VERSION = 2


@lru_cache(maxsize=1 << 16)
def line_key(line: str) -> int:
    """A line's counting key: case, spacing and numbers do not matter ("3 Comments" and
    "12 comments" share one). Date lines are never counted, so masking numbers cannot merge
    two dates (see ``fingerprint``). Remembered per process: a site prints its menus on
    every page."""
    text = _DIGITS.sub("0", " ".join(line.split()).lower())
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


class Fingerprint(NamedTuple):
    """What one document contributes to the learnt table (packed: a corpus holds millions)."""

    source_path: str  # the document ('#N' for a container record)
    group: str  # its outlet, else its raw folder (see ``pipeline.boilerplate_group``)
    keys: bytes  # sorted distinct keys of its countable lines, 8 bytes each (``pack_keys``)
    signature: bytes  # MinHash of its body shingles, 4 bytes a value; empty when too short

    def line_keys(self) -> tuple[int, ...]:
        return struct.unpack(f">{len(self.keys) // 8}Q", self.keys)

    def hash_values(self) -> tuple[int, ...]:
        return struct.unpack(f">{len(self.signature) // 4}I", self.signature)


def pack_keys(keys: Iterable[int]) -> bytes:
    ordered = sorted(set(keys))
    return struct.pack(f">{len(ordered)}Q", *ordered)


@dataclass(frozen=True)
class Thresholds:
    """When a recurring line counts as boilerplate (the ``[learnt]`` settings; ``defaults.toml``)."""

    min_docs: int = 3  # seen in at least this many documents (near-copies counting once)
    min_share: float = 0.3  # ... and in at least this share of the group's documents


@dataclass
class LearntTable:
    """Boilerplate keys per group, and the near-copy clusters of the current documents."""

    boilerplate: dict[str, frozenset[int]] = field(default_factory=dict)
    first_copy: dict[str, str] = field(default_factory=dict)  # source path -> its cluster's first

    def boilerplate_for(self, group: str) -> frozenset[int]:
        return self.boilerplate.get(group, frozenset())

    def duplicate_of(self, source_path: str) -> str | None:
        """The source path of the first document of this one's near-copy cluster (None for
        the first itself and for documents without near-copies)."""
        return self.first_copy.get(source_path)

    def decision_for(self, fp: Fingerprint) -> str:
        """A digest of everything the table decides for one document: which of its lines are
        boilerplate and which document it copies. Equal digests, equal cleaning."""
        table = self.boilerplate_for(fp.group)
        learnt = [key for key in fp.line_keys() if key in table]
        text = f"{fp.group}\0{self.first_copy.get(fp.source_path, '')}\0{','.join(map(str, learnt))}"
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]

    def to_json(self) -> str:
        return json.dumps({"version": TABLE_VERSION,
                           "boilerplate": {g: sorted(keys) for g, keys in sorted(self.boilerplate.items())},
                           "first_copy": dict(sorted(self.first_copy.items()))}, ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> LearntTable:
        raw = json.loads(data)
        if raw.get("version") != TABLE_VERSION:
            raise ValueError(f"unsupported learnt table version {raw.get('version')!r}")
        return cls({g: frozenset(keys) for g, keys in raw["boilerplate"].items()}, dict(raw["first_copy"]))


def build_table(fingerprints: Iterable[Fingerprint], thresholds: Thresholds = Thresholds()) -> LearntTable:
    """The table of a set of documents: a function of the set, whatever order it comes in."""
    prints = sorted(fingerprints, key=lambda fp: fp.source_path)
    first_copy = near_copy_clusters(prints)
    counted: dict[str, set[str]] = defaultdict(set)  # group -> clusters already counted
    docs: Counter = Counter()
    lines: dict[str, Counter] = defaultdict(Counter)
    for fp in prints:
        cluster = first_copy.get(fp.source_path, fp.source_path)
        if cluster in counted[fp.group]:
            continue
        counted[fp.group].add(cluster)
        docs[fp.group] += 1
        lines[fp.group].update(fp.line_keys())
    boilerplate = {}
    for group, counts in lines.items():
        needed = max(thresholds.min_docs, thresholds.min_share * docs[group])
        found = frozenset(key for key, n in counts.items() if n >= needed)
        if found:
            boilerplate[group] = found
    return LearntTable(boilerplate, first_copy)


def near_copy_clusters(prints: list[Fingerprint]) -> dict[str, str]:
    """Source path -> the first (smallest) source path of its near-copy cluster.

    Documents are taken in path order; each joins the earliest cluster whose first document's
    body it nearly copies (LSH candidates: a band of its signature equal to theirs, confirmed
    by the share of equal values), or starts a cluster of its own. Only a cluster's first
    document is indexed, so a thousand copies of one article cost a thousand look-ups, not a
    million comparisons. (The banded index is a dictionary per band: a library for it would
    cost most of a second to import in every run.)
    """
    index: list[dict[bytes, list[str]]] = [defaultdict(list) for _ in range(SIGNATURE_BANDS)]
    firsts: dict[str, np.ndarray] = {}
    first_copy: dict[str, str] = {}
    for fp in prints:
        if not fp.signature:
            continue
        width = len(fp.signature) // SIGNATURE_BANDS
        bands = [fp.signature[i * width:(i + 1) * width] for i in range(SIGNATURE_BANDS)]
        mine = np.frombuffer(fp.signature, dtype=">u4")
        candidates = {path for band, key in zip(index, bands) for path in band.get(key, ())}
        copied = _first_similar(mine, sorted(candidates), firsts) if candidates else None
        if copied:
            first_copy[fp.source_path] = copied
        else:
            firsts[fp.source_path] = mine
            for band, key in zip(index, bands):
                band[key].append(fp.source_path)
    return first_copy


def _first_similar(signature: np.ndarray, candidates: list[str], firsts: dict[str, np.ndarray]) -> str | None:
    """The first of the ``candidates`` (in path order) whose signature shares enough values,
    all compared in one array operation."""
    equal = np.count_nonzero(np.array([firsts[path] for path in candidates]) == signature, axis=1)
    similar = np.flatnonzero(equal >= _EQUAL_VALUES_NEEDED)
    return candidates[similar[0]] if len(similar) else None


@cache
def permutations() -> np.ndarray:
    """The affine permutations ``h -> a * h + b`` (mod 2**32, ``a`` odd: a bijection) of every
    signature, as rows ``a`` and ``b``: fixed, so that stored signatures stay comparable."""
    generator = np.random.default_rng(PERMUTATION_SEED)
    a = generator.integers(0, 1 << 31, SIGNATURE_PERMUTATIONS, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    return np.array([a, generator.integers(0, 1 << 32, SIGNATURE_PERMUTATIONS, dtype=np.uint32)])
