"""Page titles as headlines: whitespace tidied and the site name after a separator cut.

A ``<title>`` or a scraper's title field often carries the site name after the headline
(``Summit ends without a deal | Al Bawaba``). The tail is cut when it names the site (the
outlet's name, an alias, a domain, the page's own site name) or, after a pipe, when it is
as short as a site name; a dash is cut only when the tail names the site, as headlines use
dashes themselves.
"""
from __future__ import annotations

from collections.abc import Iterable

from decruft.outlets import host_of, name_key

#: Separators a site name follows, the pipe first: it is the one headlines do not use.
SEPARATORS = (" | ", " – ", " — ", " - ", " « ", " » ", " :: ", " · ", " // ")
MAX_SITE_WORDS = 4  # a pipe's tail this short is a site or section name
MIN_HEADLINE_WORDS = 2  # what is left must still read as a headline
MIN_KEY_CHARS = 3  # shorter folded names ("ap", "tv") match too much


def clean_title(title: str | None, site_names: Iterable[str | None] = ()) -> str | None:
    """The headline in ``title``; ``site_names`` are what the site may be called."""
    if not title:
        return None
    text = " ".join(title.split())
    keys = _site_keys(site_names)
    while True:
        shorter = _without_site_suffix(text, keys)
        if shorter is None:
            return text or None
        text = shorter


def _site_keys(site_names: Iterable[str | None]) -> frozenset[str]:
    keys = set()
    for name in site_names:
        if not name:
            continue
        keys.add(name_key(name))
        host = host_of(name) if "." in name and " " not in name.strip() else None
        if host is not None:  # "albawaba.com" is called "Al Bawaba": its name without the suffix
            keys.add(name_key(host.rsplit(".", 1)[0]))
    return frozenset(key for key in keys if len(key) >= MIN_KEY_CHARS)


def _without_site_suffix(text: str, keys: frozenset[str]) -> str | None:
    """``text`` without its last separator and what follows, when that names the site."""
    padded = text + " "  # a separator ending the title: "Headline |"
    position, separator = max((padded.rfind(sep), sep) for sep in SEPARATORS)
    if position < 0:
        return None
    head, tail = text[:position].rstrip(), padded[position + len(separator):].strip()
    if len(head.split()) < MIN_HEADLINE_WORDS:
        return None
    tail_key = name_key(tail)
    if not tail_key:
        return head  # a trailing separator and nothing, or only punctuation
    if any(tail_key == key or (len(tail_key) >= MIN_KEY_CHARS and tail_key in key) for key in keys):
        return head
    if separator == " | " and len(tail.split()) <= MAX_SITE_WORDS:
        return head
    return None
