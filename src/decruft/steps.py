"""The names a run's per-step counters use besides reason codes: containers, extractor paths,
stages. One list each, with meanings (docs/schema.md prints them; a test keeps both in step).

A run counts, batch by batch, the records it read by container, the container records it
skipped (``reasons.SkipReason``), its rejects (``reasons.RejectReason``), the lines it removed
(``reasons.LineReason``), the extractor path each page took and the seconds each stage took;
``ingest.report`` merges and shows them.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from time import perf_counter
from typing import TypeVar

from decruft.reasons import Code

T = TypeVar("T")


class Container(Code):
    """What a raw file was read as (``records`` counts its records under this name)."""

    PAGE = "page", "a single page (plain text or HTML, gzipped or not): one record"
    JSONL = "jsonl", "a JSON Lines file: one record per non-blank line"
    WARC = "warc", "a WARC file: one record per WARC record, pages or not"


class ExtractPath(Code):
    """Which path of the extractors produced a page's body (the ``extractor`` column names the
    extractor; these are finer where the learnt table or a headline-only page changed the path)."""

    TEXT = "text", "the plain-text cleaner (nothing learnt for the page's outlet or folder)"
    TEXT_LEARNT = "text+learnt", "the plain-text cleaner with the learnt table's boilerplate lines"
    TEXT_UNLEARNT = "text+unlearnt", ("the plain-text cleaner without the learnt table, which would have "
                                      "left no article")
    TRAFILATURA = "trafilatura", "trafilatura's fast precision pass"
    TRAFILATURA_COMPARE = "trafilatura+compare", ("trafilatura with its readability and jusText comparison "
                                                  "(the fast pass found too little)")
    TRAFILATURA_RECALL = "trafilatura+recall", "trafilatura in recall mode (the comparison found too little)"
    TRAFILATURA_BALANCED = "trafilatura+balanced", ("trafilatura's fast balanced pass (the precision pass's body "
                                                    "held too few words of the page's description)")
    READABILITY = "readability", ("the readability algorithm (trafilatura's copy): the fast pass found too little, "
                                  "and its text lay further inside resiliparse's main content")
    HEADLINE_ONLY = "headline_only", ("an HTML page whose extractor found only a headline and its byline "
                                      "or date, kept as the body (a photo or video post)")
    TEXT_FALLBACK = "text-fallback", "an HTML page no extractor found an article in: its visible text cleaned as text"
    NONE = "none", "HTML that cannot be parsed"


class Stage(Code):
    """A timed stage of cleaning (``seconds`` sums each over the run's pages and batches)."""

    READ = "read", "reading raw files and splitting them into pages (containers, gzip, sidecars)"
    DECODE = "decode", "decoding a page's bytes to text and normalising its metadata"
    EXTRACT = "extract", "extracting the body and removing cruft lines, resolving the outlet"
    ENRICH = "enrich", "dates, people, language, title: laying the record out"
    WRITE = "write", "writing the batch's Parquet parts and manifest part"


class Stopwatch:
    """Seconds per stage, summed: ``lap(stage)`` adds the time since the previous lap (or the
    last ``restart``) to that stage. One clock reading a stage: cheap enough for every page."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.restart()

    def restart(self) -> None:
        self._last = perf_counter()

    def lap(self, stage: Stage) -> Counter[str]:
        now = perf_counter()
        self.seconds[stage] += now - self._last
        self._last = now
        return self.seconds

    def timed(self, items: Iterable[T], stage: Stage) -> Iterator[T]:
        """The items, the time spent making each (not the caller's time between them) added to ``stage``."""
        iterator = iter(items)
        while True:
            self.restart()
            try:
                item = next(iterator)
            except StopIteration:
                self.lap(stage)
                return
            self.lap(stage)
            yield item
