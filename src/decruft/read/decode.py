"""Bytes to text for untrusted scraped pages.

Order of trust: a byte-order mark, then a declared charset (HTTP header or an
HTML ``<meta>`` in the first 2 KB), then strict UTF-8, then statistical
detection. One exception: bytes that are valid UTF-8 and not plain ASCII are
UTF-8 whatever the page declares, as mislabelled pages are common. Binary data is refused rather than turned into mojibake.
"""
from __future__ import annotations

import codecs
import re

import charset_normalizer

SNIFF_BYTES = 2048
_BINARY_MAGIC = (
    b"\x89PNG",
    b"GIF87a",
    b"GIF89a",
    b"\xff\xd8\xff",  # JPEG
    b"%PDF",
    b"PK\x03\x04",  # zip, docx, epub
    b"\x7fELF",
    b"\x00\x00\x01\x00",  # ico
    b"wOFF",
    b"wOF2",
    b"\x1f\x8b",  # gzip: must be opened by the container reader, not decoded
    b"\xfd7zXZ\x00",
    b"7z\xbc\xaf\x27\x1c",
    b"\xca\xfe\xba\xbe",
)
_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# These two run on re (bytes, in the first 2 KB): every repeat is bounded or is followed by a
# character it cannot match, so no two repeats compete for the same text.
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,300}?charset\s*=\s*(?:["']\s*)?([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})""")
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\v\x1b")
#: The other control characters (below a space), as bytes and as characters, counted in C.
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in _TEXT_CONTROLS)
_CONTROL_CHARS = tuple(map(chr, _CONTROL_BYTES))
#: Python codecs that are not a page's character encoding: its binary and text transforms,
#: and encodings of something else (host names, escapes).
_NOT_TEXT_ENCODINGS = frozenset({"base64", "bz2", "hex", "quopri", "rot-13", "uu", "zlib",
                                 "punycode", "idna", "unicode-escape", "raw-unicode-escape"})
#: Line breaks other than \n, replaced in this order (\r\n before a lone \r).
_LINE_BREAKS = ("\r\n", "\r", "\u2028", "\u2029", "\x85")


class DecodeError(ValueError):
    """The bytes are binary or cannot be read as text in any plausible encoding."""


def looks_binary(data: bytes) -> bool:
    """True for data that is not text: a known file signature, or many NULs/control bytes.

    UTF-16/32 text is full of NULs, so those layouts are recognised first.
    """
    head = data[:SNIFF_BYTES]
    if not head or _bomless_wide_encoding(head) or _bom_encoding(head):
        return False
    if head.startswith(_BINARY_MAGIC):
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return head.count(0) > len(head) * 0.01 or controls > len(head) * 0.05


def decode_text(data: bytes, *, declared: str | None = None) -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding)``, newlines normalised to ``\\n``.

    ``declared`` is a charset from outside the bytes (HTTP Content-Type); one
    found in the document itself is used when nothing is declared.
    Raises DecodeError for binary or undecodable data.
    """
    if looks_binary(data):
        raise DecodeError(f"binary data, not text (starts with {data[:8]!r})")
    text, encoding = _decode(data, declared)
    if text and _control_share(text) > 0.05:
        raise DecodeError(f"decoded as {encoding} but mostly control characters")
    return _normalise_newlines(text), encoding


def _normalise_newlines(text: str) -> str:
    """Every line break as \n. Plain replaces: a regex would cost a millisecond per 150 KB page."""
    for line_break in _LINE_BREAKS:
        if line_break in text:
            text = text.replace(line_break, "\n")
    return text


def _decode(data: bytes, declared: str | None) -> tuple[str, str]:
    bom = _bom_encoding(data)
    if bom:
        encoding, size = bom
        return data[size:].decode(encoding, errors="replace"), encoding
    utf8 = _as_utf8(data)
    if utf8 is not None and not data.isascii():
        # mislabelled UTF-8 is common on the web; non-ASCII valid UTF-8 by chance is not
        return utf8, "utf-8"
    for candidate in (declared, sniff_declared_charset(data)):
        encoding = _known_codec(candidate)
        if encoding:
            decoded = _try_decode(data, encoding)
            if decoded is not None:
                return decoded, encoding
    layout = _bomless_wide_encoding(data[:SNIFF_BYTES])
    if layout:
        return data.decode(layout, errors="replace"), layout
    return (utf8, "utf-8") if utf8 is not None else _detect(data)


def _as_utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _try_decode(data: bytes, encoding: str) -> str | None:
    """Decode with a declared codec, tolerating a few bad bytes but not a wrong declaration."""
    try:
        return data.decode(encoding)
    except UnicodeError:  # UnicodeDecodeError, or punycode's and idna's own UnicodeError
        try:
            text = data.decode(encoding, errors="replace")
        except UnicodeError:
            return None
        return text if text.count("\ufffd") <= max(2, len(text) // 1000) else None


def _detect(data: bytes) -> tuple[str, str]:
    encoding = _best_single_byte_guess(data)
    if encoding is None:
        # cp1252 decodes any byte string apart from 5 holes, latin-1 covers those
        encoding = "cp1252" if _try_decode(data, "cp1252") is not None else "latin-1"
    return data.decode(encoding, errors="replace"), encoding


def _best_single_byte_guess(data: bytes) -> str | None:
    """charset-normalizer's guess, with windows-1252 winning ties.

    BOM-less UTF-16/32 was already ruled out by its NUL layout, so those guesses
    are noise. Western text often scores equally as cp1250/cp1257 and cp1252;
    the web's default (WHATWG) is windows-1252, so it wins a tie.
    """
    matches = [
        match
        for match in charset_normalizer.from_bytes(data)
        if not match.encoding.startswith(("utf_16", "utf_32"))
    ]
    if not matches:
        return None
    best = matches[0]
    for match in matches:
        if match.encoding == "cp1252" and match.chaos <= best.chaos and match.coherence >= best.coherence:
            return "cp1252"
    return codecs.lookup(best.encoding).name


def sniff_declared_charset(data: bytes) -> str | None:
    """The charset an HTML/XML document declares about itself in its first 2 KB."""
    head = data[:SNIFF_BYTES]
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    return match.group(1).decode("ascii") if match else None


def _known_codec(name: str | None) -> str | None:
    """A Python codec name for a declared charset, ignoring unknown names and 16/32-bit lies.

    A page that says "utf-16" in an ASCII-readable meta tag is not UTF-16. A charset that is
    not a string (a number or a list in scraper metadata) is no declaration. One naming a
    codec that is not a text encoding (base64, zlib, rot13, ...) raises DecodeError: the page
    says its bytes are not text.
    """
    if not name or not isinstance(name, str):
        return None
    try:
        codec = codecs.lookup(name.strip().strip("'\"").lower()).name
    except LookupError:
        return None
    if codec in _NOT_TEXT_ENCODINGS:
        raise DecodeError(f"the page declares charset {name[:40]!r}, which is not a text encoding")
    if codec in {"latin-1", "iso8859-1", "ascii"}:
        return "cp1252"  # the WHATWG encoding standard maps these labels to windows-1252
    return None if codec.startswith(("utf-16", "utf-32")) else codec


def _bom_encoding(data: bytes) -> tuple[str, int] | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return None


def _bomless_wide_encoding(head: bytes) -> str | None:
    """UTF-16/32 without a BOM: NULs beside ASCII characters, or NULs in clean UTF-16 text (CJK)."""
    if len(head) < 8 or 0 not in head:
        return None
    for width, name in ((4, "utf-32"), (2, "utf-16")):
        usable = head[: len(head) - len(head) % width]
        units = [usable[i : i + width] for i in range(0, len(usable), width)]
        for order in ("le", "be"):
            if _share_ascii_units(units, order) >= 0.8:
                return f"{name}-{order}"
    return next((codec for codec in ("utf-16-le", "utf-16-be") if _reads_as_text(head, codec)), None)


def _reads_as_text(head: bytes, codec: str) -> bool:
    """Strictly decodable and nearly all printable: random or binary bytes fail one or the other."""
    try:
        text = codecs.getincrementaldecoder(codec)().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    printable = sum(1 for char in text if char.isprintable() or char in "\t\n\r")
    return bool(text) and printable >= 0.95 * len(text)


def _share_ascii_units(units: list[bytes], order: str) -> float:
    """Share of code units that are an ASCII character padded with NULs in ``order``."""
    def is_ascii_unit(unit: bytes) -> bool:
        char, pad = (unit[0], unit[1:]) if order == "le" else (unit[-1], unit[:-1])
        return 0 < char < 0x80 and not any(pad)

    return sum(map(is_ascii_unit, units)) / len(units)


def _control_share(text: str) -> float:
    sample = text[:SNIFF_BYTES]
    return sum(map(sample.count, _CONTROL_CHARS)) / len(sample)
