"""Normalise page metadata written by scrapers (sidecar files, JSONL fields, WARC headers).

Scrapers name and shape the same facts differently: ``url``/``link``/``canonical_url``,
``published``/``date``/``datePublished``, an author as a string, a list or ``{"name": ...}``.
This module maps them all onto one small set of fields and remembers which key each came from.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

# Accepted spellings of each field, best first (compared after lowercasing and dropping - and _).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "url": ("url", "canonicalurl", "link", "href", "pageurl", "targeturi", "warctargeturi", "uri"),
    "outlet": ("outlet", "outletid", "outletname", "source", "sitename", "site", "publisher",
               "domain", "newspaper"),
    "published": ("published", "publishedat", "publisheddate", "datepublished", "pubdate",
                  "publicationdate", "date", "datetime", "time", "created"),
    "scraped_at": ("scrapedat", "scraped", "crawledat", "crawled", "fetchedat", "fetched",
                   "retrievedat", "retrieved", "downloadedat", "warcdate", "accessed"),
    "title": ("title", "headline", "name"),
    "authors": ("authors", "author", "byline", "creator", "writers"),
    "language": ("language", "lang", "inlanguage", "locale"),
}


SIDECAR_SUFFIX = ".meta.json"


def sidecar_names(name: str) -> tuple[str, ...]:
    """File names a page's sidecar may have, best first: page.txt.meta.json, page.meta.json."""
    names = (name + SIDECAR_SUFFIX, name.split(".")[0] + SIDECAR_SUFFIX)
    return tuple(n for n in dict.fromkeys(names) if n != name)


# An escaped or a raw (UTF-8 encoded) UTF-16 surrogate: one alternation of fixed length.
_SURROGATE = re.compile(rb"\\[uU][dD][89abAB]|\\[uU][dD][c-fC-F]|\xed[\xa0-\xbf]")


def load_json(data: bytes) -> Any:
    """JSON from bytes, lone surrogates replaced by "?" (no text column can store them).

    Raises ValueError, or RecursionError for JSON nested too deeply to parse.
    """
    value = json.loads(data)
    if _SURROGATE.search(data):  # json.loads turns "\ud800" into a lone surrogate
        value = json.loads(json.dumps(value, ensure_ascii=False).encode("utf-8", "replace"))
    return value


def parse_sidecar(data: bytes) -> dict[str, Any] | None:
    """A sidecar's JSON object, or None: a broken sidecar is ignored, never fatal."""
    try:
        value = load_json(data)
    except (ValueError, RecursionError):  # invalid, or nested too deeply to parse
        return None
    return value if isinstance(value, dict) else None


@dataclass
class PageMetadata:
    """Metadata fields in one shape; ``sources`` maps each set field to the key it came from."""

    url: str | None = None
    outlet: str | None = None
    published: str | None = None  # parsed later with the outlet's time zone
    scraped_at: dt.datetime | None = None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    sources: dict[str, str] = field(default_factory=dict)


def _key(name: str) -> str:
    return re.sub(r"[-_\s.]", "", name.lower())


def _as_text(value: Any) -> str | None:
    """A scalar, or the name/value of a nested object, as clean text."""
    if isinstance(value, dict):
        for key in ("name", "value", "@value", "url", "id"):
            if key in value:
                return _as_text(value[key])
        return None
    if isinstance(value, list):
        return _as_text(value[0]) if value else None
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


# No repeat: splitting cannot backtrack, however long the value (the parts are stripped).
_NAME_SEPARATOR = re.compile(r",|;|\band\b|&")


def _as_names(value: Any) -> list[str]:
    """Authors from a string ("A, B and C"), a list of strings or a list of objects."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        text = _as_text(item)
        if text:
            names += [n.strip() for n in _NAME_SEPARATOR.split(text) if n.strip()]
    return list(dict.fromkeys(names))


def parse_timestamp(value: Any) -> dt.datetime | None:
    """An ISO 8601 string or a Unix epoch (s or ms) as an aware UTC datetime.

    A naive timestamp is taken as UTC: crawlers record machine time, not an outlet's local time.
    """
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return dt.datetime.fromtimestamp(seconds, dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    else:
        text = _as_text(value)
        if not text:
            return None
        if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
            return parse_timestamp(float(text))
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    try:
        return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)
    except (OverflowError, ValueError):  # e.g. year 1 with a positive offset
        return None


def normalise_metadata(raw: dict[str, Any] | None) -> PageMetadata:
    """Map a scraper's metadata dict onto PageMetadata; unknown keys are ignored."""
    meta = PageMetadata()
    if not raw:
        return meta
    by_key = {_key(str(k)): (str(k), v) for k, v in raw.items()}
    for name, aliases in FIELD_ALIASES.items():
        for alias in aliases:
            if alias in by_key and _set_field(meta, name, by_key[alias][1]):
                meta.sources[name] = by_key[alias][0]
                break
    return meta


def _set_field(meta: PageMetadata, name: str, value: Any) -> bool:
    if name == "authors":
        meta.authors = _as_names(value)
        return bool(meta.authors)
    if name == "scraped_at":
        meta.scraped_at = parse_timestamp(value)
        return meta.scraped_at is not None
    if name == "published" and isinstance(value, (int, float)) and not isinstance(value, bool):
        stamp = parse_timestamp(value)
        text = stamp.isoformat() if stamp else None
    else:
        text = _as_text(value)
    if name == "language" and text:
        text = text.replace("_", "-").split("-")[0].lower()
    setattr(meta, name, text)
    return text is not None
