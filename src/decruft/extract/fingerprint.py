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

    A shingle's hash combines its words' in numpy, so a body costs a few array operations
    rather than a string and a hash call per shingle. The minimum over the shingles does not
    depend on repeats, so they are only counted (a sort), not removed."""
    codes = word_codes(" ".join(paragraphs).lower())
    count = len(codes) - SHINGLE_WORDS + 1
    if count < MIN_SHINGLES:
        return b""
    mixed = np.zeros(count, dtype=np.uint64)
    for offset, factor in enumerate(_SHINGLE_FACTORS):  # wraps modulo 2**64, as intended
        mixed += codes[offset:offset + count] * factor
    shingles = np.sort(_fmix32((mixed >> np.uint64(32)).astype(np.uint32)))
    if 1 + np.count_nonzero(shingles[1:] != shingles[:-1]) < MIN_SHINGLES:
        return b""
    a, b = permutations()  # a row per permutation, so each minimum runs along contiguous memory
    return (a[:, None] * shingles + b[:, None]).min(axis=1).astype(">u4").tobytes()


def word_codes(text: str) -> np.ndarray:
    """The CRC-32 of the UTF-8 bytes of each word (``\\w+``) of a text, in order.

    Every character that is not a word character becomes a space and the bytes are split
    there: C loops over the text instead of a match object per word."""
    if text.isascii():
        spaced = text.encode("ascii").translate(_ASCII_SPACED)
    else:
        points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        kept = np.where(_is_word_character(points), points, np.uint32(32)).astype("<u4")
        spaced = kept.tobytes().decode("utf-32-le").encode("utf-8")  # no surrogate is a word character
    words = spaced.split()  # the bytes of a word character are never ASCII white space
    return np.fromiter(map(zlib.crc32, words), dtype=np.uint64, count=len(words))


#: Whether each code point of the basic plane is a word character (alphanumeric or ``_``).
_BASIC_PLANE_WORD_CHARACTERS = np.array([chr(c).isalnum() or c == 0x5F for c in range(0x10000)], dtype=bool)
#: ASCII bytes with every byte that is not a word character made a space.
_ASCII_SPACED = bytes(c if _BASIC_PLANE_WORD_CHARACTERS[c] else 0x20 for c in range(128)) + b" " * 128


def _is_word_character(points: np.ndarray) -> np.ndarray:
    """Whether each code point is a word character as ``\\w`` has it (alphanumeric or ``_``)."""
    found = _BASIC_PLANE_WORD_CHARACTERS[np.minimum(points, np.uint32(0xFFFF))]
    beyond = np.flatnonzero(points > 0xFFFF)  # rare (emoji, historic scripts): one by one
    found[beyond] = [chr(c).isalnum() for c in points[beyond].tolist()]
    return found


#: Odd multipliers of a shingle's five word codes (fixed: stored signatures must stay comparable).
_SHINGLE_FACTORS = tuple(np.uint64(f) for f in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                                                  0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD)[:SHINGLE_WORDS])


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
