"""What one document contributes to the learnt table: its countable lines and a body signature.

Countable lines are the short lines a site prints on many pages: never prose (a sentence of
the article), never a date (two articles of one month must not share their date line), never a
line too long to be a menu or a footer. The body signature is a MinHash of word shingles of
the document's prose, so near-copies of one article can be found and counted once.
"""
from __future__ import annotations

import html
import re

import numpy as np

from decruft.extract.boilerplate import KEY_MAX_CHARS, Fingerprint, line_key, pack_keys, permutations
from decruft.extract.rules import RuleSet
from decruft.extract.text import Tuning, split_lines

#: Changes whenever a fingerprint of the same page would: saved ones are then made again.
FINGERPRINT_VERSION = 3
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


#: Code points hashed at a time: a body as long as a page may be costs memory by the piece
#: (a few arrays of 8 bytes a point), not by its length.
WORD_CODE_PIECE = 1 << 20


def word_codes(text: str) -> np.ndarray:
    """``piece_codes`` of a text, taken in pieces cut at spaces (no word holds one, and a code
    does not depend on where its word stands)."""
    pieces = []
    while len(text) > WORD_CODE_PIECE and (cut := text.rfind(" ", 0, WORD_CODE_PIECE)) > 0:
        pieces.append(piece_codes(text[:cut]))
        text = text[cut:]
    pieces.append(piece_codes(text))
    return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)


def piece_codes(text: str) -> np.ndarray:
    """A 64-bit hash of each word (``\\w+``) of a text, in order: the polynomial
    ``sum(c[i] * WORD_BASE**i)`` (mod 2**64) of the word's code points ``c``, spread by
    MurmurHash3's 64-bit finalizer.

    Every step is an array operation: with ``P`` the prefix sums of ``c[j] * WORD_BASE**j`` over
    the whole text, the word at ``[s, e)`` is ``(P[e] - P[s]) * WORD_BASE**-s`` (the base is odd,
    so it has an inverse modulo 2**64). A body costs a few passes in C, not a call per word."""
    if text.isascii():  # one byte per code point: the same points, a quarter of the memory
        points = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    else:
        points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    inside = np.zeros(len(points) + 2, dtype=bool)  # a non-word character either side
    inside[1:-1] = _is_word_character(points)
    edges = np.flatnonzero(inside[1:] != inside[:-1])  # a word's start, its end, the next start...
    starts, ends = edges[::2], edges[1::2]
    sums = np.zeros(len(points) + 1, dtype=np.uint64)
    np.cumsum(points * _base_powers(len(points)), out=sums[1:])  # wraps modulo 2**64, as intended
    unshifted = (sums[ends] - sums[starts]) * _INVERSE_POWERS.take(starts & (_POWER_BLOCK - 1))
    return _fmix64(unshifted * _inverse_block_powers(len(points)).take(starts // _POWER_BLOCK))


#: Whether each code point of the basic plane is a word character (alphanumeric or ``_``).
_BASIC_PLANE_WORD_CHARACTERS = np.array([chr(c).isalnum() or c == 0x5F for c in range(0x10000)], dtype=bool)


def _is_word_character(points: np.ndarray) -> np.ndarray:
    """Whether each code point is a word character as ``\\w`` has it (alphanumeric or ``_``)."""
    found = _BASIC_PLANE_WORD_CHARACTERS.take(points, mode="clip")  # beyond the plane: U+FFFF's, False
    if len(points) and points.max() > 0xFFFF:  # rare (emoji, historic scripts): one by one
        beyond = np.flatnonzero(points > 0xFFFF)
        found[beyond] = [chr(c).isalnum() for c in points[beyond].tolist()]
    return found


#: Odd multipliers of a shingle's five word codes (fixed: stored signatures must stay comparable).
_SHINGLE_FACTORS = tuple(np.uint64(f) for f in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                                                  0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD)[:SHINGLE_WORDS])


#: The odd base of the word hash's polynomial (fixed: stored signatures must stay comparable).
WORD_BASE = 0xA0761D6478BD642F
#: Powers of the base (and of its inverse) are tabled for exponents below this, larger ones
#: made from those and powers of ``base**_POWER_BLOCK``: the tables stay small for any text.
_POWER_BLOCK = 1 << 16


def _powers(base: int, count: int) -> np.ndarray:
    """``base**i`` (mod 2**64) for ``i`` below count."""
    return np.cumprod(np.concatenate(([np.uint64(1)], np.full(count - 1, np.uint64(base)))))


_INVERSE_BASE = pow(WORD_BASE, -1, 1 << 64)
_POWERS, _INVERSE_POWERS = _powers(WORD_BASE, _POWER_BLOCK), _powers(_INVERSE_BASE, _POWER_BLOCK)


def _base_powers(count: int) -> np.ndarray:
    """``WORD_BASE**j`` (mod 2**64) for ``j`` below count."""
    if count <= _POWER_BLOCK:
        return _POWERS[:count]
    blocks = _powers(pow(WORD_BASE, _POWER_BLOCK, 1 << 64), -(-count // _POWER_BLOCK))
    return (blocks[:, None] * _POWERS[None, :]).ravel()[:count]


def _inverse_block_powers(count: int) -> np.ndarray:
    """``WORD_BASE**-(k * _POWER_BLOCK)`` (mod 2**64) for every block ``k`` of a text of count points."""
    return _powers(pow(_INVERSE_BASE, _POWER_BLOCK, 1 << 64), count // _POWER_BLOCK + 1)


def _fmix64(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer: every bit of a word's polynomial reaches every bit of its code
    (the polynomial's low bits depend only on the low bits of its code points)."""
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xFF51AFD7ED558CCD)
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xC4CEB9FE1A85EC53)
    return values ^ (values >> np.uint64(33))


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
