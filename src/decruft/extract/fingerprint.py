"""What one document contributes to the learnt table: its countable lines and a body signature.

Countable lines are the short lines a site prints on many pages: never prose (a sentence of
the article), never a date (two articles of one month must not share their date line), never a
line too long to be a menu or a footer. The body signature is a MinHash of word shingles of
the document's prose, so near-copies of one article can be found and counted once.
"""
from __future__ import annotations

import html
import re
import zlib
from functools import lru_cache

import numpy as np

from decruft.extract.boilerplate import KEY_MAX_CHARS, Fingerprint, line_key, pack_keys, permutations
from decruft.extract.rules import RuleSet
from decruft.extract.text import Tuning, split_lines

#: Changes whenever a fingerprint of the same page would: saved ones are then made again.
FINGERPRINT_VERSION = 2
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
    """MinHash of the word shingles of a body; empty when it has too few to compare.

    A shingle's hash combines its words' (each worked out once per process) in numpy, so a
    body costs a few array operations rather than a string and a hash call per shingle."""
    words = _WORD.findall(" ".join(paragraphs).lower())
    count = len(words) - SHINGLE_WORDS + 1
    if count < MIN_SHINGLES:
        return b""
    codes = np.fromiter(map(_word_code, words), dtype=np.uint64, count=len(words))
    mixed = np.zeros(count, dtype=np.uint64)
    for offset, factor in enumerate(_SHINGLE_FACTORS):  # wraps modulo 2**64, as intended
        mixed += codes[offset:offset + count] * factor
    shingles = np.unique(_fmix32((mixed >> np.uint64(32)).astype(np.uint32)))
    if len(shingles) < MIN_SHINGLES:
        return b""
    a, b = permutations()
    return (shingles[:, None] * a + b).min(axis=0).astype(">u4").tobytes()


#: Odd multipliers of a shingle's five word codes (fixed: stored signatures must stay comparable).
_SHINGLE_FACTORS = tuple(np.uint64(f) for f in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                                                  0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD)[:SHINGLE_WORDS])


@lru_cache(maxsize=1 << 17)
def _word_code(word: str) -> int:
    return zlib.crc32(word.encode("utf-8", "surrogatepass"))


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer: spreads the shingle hashes before the affine permutations."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


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
