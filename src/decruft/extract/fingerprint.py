"""What one document contributes to the learnt table: its countable lines and a body signature.

Countable lines are the short lines a site prints on many pages: never prose (a sentence of
the article), never a date (two articles of one month must not share their date line), never a
line too long to be a menu or a footer. The body signature is a MinHash of word shingles of
the document's prose, so near-copies of one article can be found and counted once.
"""
from __future__ import annotations

import html
import re

from decruft.extract.boilerplate import (KEY_MAX_CHARS, Fingerprint, line_key, minhash_of, pack_keys,
                                         pack_signature)
from decruft.extract.rules import RuleSet
from decruft.extract.text import Tuning, split_lines

SHINGLE_WORDS = 5
MIN_SHINGLES = 8  # fewer: too little prose to call two documents copies
MAX_DATE_LINE_CHARS = 120  # longer lines with a date in them are prose or captions
PROSE_CHUNK_MIN_WORDS = 8  # an HTML text run this long is body text, not a menu item
_WORD = re.compile(r"\w+")
# Markup: one tag, never crossing another '<' (so a stray '<' costs one step, not a rescan),
# and the elements whose text is never page text. Neither pattern can backtrack.
_TAG = re.compile(r"<[^<>]*>")
_HIDDEN = re.compile(r"<(/?)(script|style|noscript|template)\b", re.IGNORECASE)


def fingerprint(source_path: str, group: str, text: str, rules: RuleSet, is_html: bool = False,
                tuning: Tuning = Tuning()) -> Fingerprint:
    """The fingerprint of one decoded document (text page or HTML markup)."""
    if is_html:  # HTML gets the pattern rules only (see extract.html): its lines are never learnt
        return Fingerprint(source_path, group, b"", signature(html_prose(text)))
    keys: set[int] = set()
    prose: list[str] = []
    for line in split_lines(text, tuning):
        if line.prose:
            prose.append(line.text)
        elif len(line.text) <= KEY_MAX_CHARS and not _is_date_line(line.text, rules):
            keys.add(line_key(line.text))
    return Fingerprint(source_path, group, pack_keys(keys), signature(prose))


def _is_date_line(text: str, rules: RuleSet) -> bool:
    return (rules.date is not None and len(text) <= MAX_DATE_LINE_CHARS
            and rules.date.search(text.lower()))


def signature(paragraphs: list[str]) -> bytes:
    """MinHash of the word shingles of a body; empty when it has too few to compare."""
    words = _WORD.findall(" ".join(paragraphs).lower())
    shingles = {" ".join(words[i:i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}
    if len(shingles) < MIN_SHINGLES:
        return b""
    minhash = minhash_of()
    minhash.update_batch([s.encode("utf-8", "surrogatepass") for s in shingles])
    return pack_signature(int(v) for v in minhash.hashvalues)


def html_prose(markup: str) -> list[str]:
    """The long text runs of a page's markup: a cheap stand-in for its body, in linear time."""
    visible, hidden_until, position = [], None, 0
    for match in _HIDDEN.finditer(markup):
        closing, name = match.group(1) == "/", match.group(2).lower()
        if hidden_until is None and not closing:
            visible.append(markup[position:match.start()])
            hidden_until = name
        elif closing and name == hidden_until:
            hidden_until, position = None, match.end()
    if hidden_until is None:
        visible.append(markup[position:])
    runs = (" ".join(html.unescape(run).split()) for part in visible for run in _TAG.split(part))
    return [run for run in runs if run.count(" ") + 1 >= PROSE_CHUNK_MIN_WORDS]
