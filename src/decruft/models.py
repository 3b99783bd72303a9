"""The values that travel down the pipeline, one dataclass per stage.

raw file -> RawDocument -> Extraction -> enrichment -> record (dict, one Parquet row)
Anything that cannot go on becomes a Reject.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from decruft.regex import Pattern


class RemovedLine(NamedTuple):
    """One input line the cleaner took out of the body, and why (a reason code).

    A named tuple: pages have hundreds of removed lines, and tuples are the cheapest to build."""

    line: int  # 1-based line number in the decoded input
    text: str
    reason: str


@dataclass
class RawDocument:
    """One page as read from storage, before any interpretation."""

    source_path: str  # relative to the raw root, POSIX; containers add '#record'
    data: bytes
    sha256: str
    source_format: str  # 'text' | 'html' | ... (container prefixes such as 'jsonl+html')
    metadata: dict[str, Any] = field(default_factory=dict)  # sidecar / JSONL / WARC fields, as found
    metadata_origin: str | None = None  # 'sidecar' | 'jsonl' | 'warc' | None
    folder: str | None = None  # first folder under the raw root (a possible outlet name)


@dataclass
class Reject:
    """A raw input that produced no article, with a reason code and a human-readable detail."""

    source_path: str
    source_sha256: str | None
    reason: str
    detail: str


@dataclass
class Extraction:
    """What an extractor found in one page: the body and the raw metadata it saw.

    Metadata values are raw strings here; enrichment normalises them.
    """

    body: list[str]  # paragraphs, in order
    removed: list[RemovedLine] = field(default_factory=list)
    title: str | None = None
    description: str | None = None
    section: str | None = None
    date_strings: list[str] = field(default_factory=list)  # header-zone date lines, best first
    bylines: list[str] = field(default_factory=list)  # "By A and B" lines taken out of the body
    credit_lines: list[str] = field(default_factory=list)  # "mkg/rc (Reuters, AFP)" lines
    urls: list[str] = field(default_factory=list)  # URLs seen in the text (short links)
    extractor: str = "text"
    # How the extraction was reached, where finer than ``extractor`` (``steps.ExtractPath``); not
    # what it holds, so two extractions of the same content are equal whatever their path.
    path: str | None = field(default=None, compare=False)
    hints: PageHints = field(default_factory=lambda: PageHints())  # from HTML markup (defined below)


@dataclass(frozen=True)
class PageHints:
    """What an HTML page's markup says about it (meta tags, JSON-LD, <title>, <html lang>):
    weaker than scraper metadata, stronger than guesses from the text."""

    url: str | None = None  # canonical link
    sitename: str | None = None
    lang: str | None = None
    author: str | None = None
    date: str | None = None  # ISO date of publication
    description: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class CruftPattern:
    """A compiled pattern that marks a whole line as cruft of one concept."""

    reason: str
    pattern: Pattern


@dataclass(frozen=True)
class OutletProfile:
    """One news outlet, loaded from its TOML file."""

    id: str
    name: str
    domains: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    country: str | None = None
    languages: tuple[str, ...] = ()
    timezone: str = "UTC"
    fingerprints: tuple[Pattern, ...] = ()  # text that identifies the outlet
    cruft: tuple[CruftPattern, ...] = ()  # outlet-specific cruft lines
    credit_patterns: tuple[Pattern, ...] = ()  # lines that are credit lines
    byline_patterns: tuple[Pattern, ...] = ()
    date_formats: tuple[str, ...] = ()
    day_first: bool = True
    source_file: str | None = None


@dataclass(frozen=True)
class PublicationDate:
    """A publication time and how sure we are of it."""

    date: dt.date  # the outlet's local calendar date
    at: dt.datetime | None  # UTC instant, only when a time of day is known
    precision: str  # 'day' | 'minute' | 'second'
    source: str  # 'metadata' | 'html' | 'text' | 'url'
    raw: str  # the string it came from


MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Safety limits for reading untrusted input; every one is configurable and positive."""

    max_file_bytes: int = 50 * MB  # a single-page raw file larger than this is rejected (too_large)
    # what a container may inflate to in all (decompression_limit for the rest): a CC-NEWS WARC
    # of 1 GB inflates to about 5 GB
    max_decompressed_bytes: int = 8192 * MB
    max_document_bytes: int = 20 * MB  # one page (file, JSONL line or WARC record; too_large)
    max_line_chars: int = 100_000  # longer lines of a plain-text page are cut before cleaning
    document_timeout_s: float = 30.0  # a runaway document is stopped and rejected (timeout)

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not (isinstance(value, int | float) and 0 < value < math.inf):
                raise ValueError(f"limit {name} must be a positive number, not {value!r}")

    @classmethod
    def from_options(cls, *, max_file_mb: float, max_decompressed_mb: float, max_document_mb: float,
                     max_line_chars: int, doc_timeout: float) -> Limits:
        """Limits in the units people type (megabytes, seconds): the CLI's and the flow's options."""
        return cls(max_file_bytes=round(max_file_mb * MB),
                   max_decompressed_bytes=round(max_decompressed_mb * MB),
                   max_document_bytes=round(max_document_mb * MB),
                   max_line_chars=max_line_chars, document_timeout_s=doc_timeout)

    def options(self) -> dict[str, float]:
        """These limits as ``from_options`` takes them."""
        return {"max_file_mb": self.max_file_bytes / MB,
                "max_decompressed_mb": self.max_decompressed_bytes / MB,
                "max_document_mb": self.max_document_bytes / MB,
                "max_line_chars": self.max_line_chars, "doc_timeout": self.document_timeout_s}
