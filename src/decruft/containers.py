"""Split one raw file into pages, recognising its format by content.

Formats: gzip (any of the others inside), WARC (response/resource records with
an HTML payload), JSON Lines (one page per line), a single HTML page, or plain
text. The extension is only a tie-breaker for JSON Lines.

Every page becomes a RawDocument (bytes still undecoded); anything unusable a
Reject. Records that are not pages (WARC request/metadata records, images,
redirects) are not errors: they are counted in the caller's ``ReadStats``.
Gzip is transport, so ``crawl.warc.gz`` records are ``warc+html`` while a
gzipped single page is ``gzip+html``.
"""
from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .decode import DecodeError, decode_text, looks_binary
from .metadata import load_json
from .models import Limits, RawDocument, Reject

GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 16
# The container patterns run on re: fixed sequences, or one repeat followed by what it cannot match.
_HTML_START = re.compile(
    r"<(?:!doctype\s+html|html|head|body|div|p|article|main|meta|title|section|table|span|script|link)\b",
    re.IGNORECASE,
)
_WARC_START = re.compile(rb"WARC/1\.[01]\r?\n")  # used with .match()
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
_PAGE_FIELDS = (("html", "html"), ("text", "text"))
#: Rejected records of one container reported one by one; the rest are counted in one row, so
#: that a file of a million broken lines costs seconds and megabytes, not minutes and gigabytes.
MAX_RECORD_REJECTS = 1000


@dataclass
class ReadStats:
    """What a container held besides pages; pass one to ``read_source`` to learn it.

    ``skipped`` counts records that are not pages, by why: ``not_response``
    (WARC request, warcinfo, metadata…), ``not_html`` (images, scripts…),
    ``http_status`` (redirects, errors).
    """

    records: int = 0  # container records read (JSONL lines, WARC records); 0 for a single page
    skipped: Counter[str] = field(default_factory=Counter)


class _DecompressionLimit(ValueError):
    """More decompressed bytes than the limit allows: a gzip bomb or an oversized archive."""


class _Truncated(ValueError):
    """A container cut short: the records before the cut are good."""


def read_source(
    rel_path: str, data: bytes, *, limits: Limits = Limits(), stats: ReadStats | None = None
) -> Iterator[RawDocument | Reject]:
    """Yield the pages in one raw file (one for a plain page, many for a container)."""
    stats = stats if stats is not None else ReadStats()
    whole_sha = _sha256(data)
    if not data or data.isspace():
        yield Reject(rel_path, whole_sha, "empty", "the file is empty")
        return
    if len(data) > limits.max_file_bytes:
        yield _too_large(rel_path, whole_sha, len(data), limits.max_file_bytes, "file")
        return
    prefix = ""
    if data.startswith(GZIP_MAGIC):
        try:
            data = gunzip(data, limits.max_decompressed_bytes)
        except _Truncated as exc:
            data, cut = exc.args[1], str(exc.args[0])
            yield from _read_content(rel_path, whole_sha, data, "gzip+", limits, stats, truncated=cut)
            return
        except ValueError as exc:
            reason = "decompression_limit" if isinstance(exc, _DecompressionLimit) else "parse_error"
            yield Reject(rel_path, whole_sha, reason, str(exc))
            return
        prefix = "gzip+"
    yield from _read_content(rel_path, whole_sha, data, prefix, limits, stats)


def _read_content(
    rel_path: str, whole_sha: str, data: bytes, prefix: str, limits: Limits, stats: ReadStats,
    truncated: str | None = None,
) -> Iterator[RawDocument | Reject]:
    """Pages in decompressed content; ``truncated`` says the gzip stream was cut short."""
    folder = rel_path.split("/")[0] if "/" in rel_path else None
    if _WARC_START.match(data):
        records = read_warc(rel_path, data, limits, stats)
    elif _looks_jsonl(rel_path, data):
        if truncated:  # the last line is cut: it is the truncation, not a broken record
            data = data[: data.rfind(b"\n") + 1]
        records = read_jsonl(rel_path, data, limits, stats)
    elif truncated:
        yield Reject(rel_path, whole_sha, "parse_error", f"truncated gzip: {truncated}")
        return
    else:
        yield _single_document(rel_path, whole_sha, data, prefix, limits, folder)
        return
    last: RawDocument | Reject | None = None
    beyond: Counter[str] = Counter()  # rejected records past MAX_RECORD_REJECTS, by reason
    rejected = 0
    for last in records:
        if isinstance(last, RawDocument):
            last.folder = folder
        else:
            rejected += 1
            if rejected > MAX_RECORD_REJECTS:
                beyond[last.reason] += 1
                continue
        yield last
    if beyond:
        counts = ", ".join(f"{reason}: {n}" for reason, n in beyond.most_common())
        yield Reject(rel_path, whole_sha, "too_many_rejects",
                     f"{sum(beyond.values())} more rejected records after the first {MAX_RECORD_REJECTS} ({counts})")
    cut_reported = isinstance(last, Reject) and last.reason == "parse_error" and last.source_sha256 is None
    if truncated and not cut_reported:
        yield Reject(rel_path, whole_sha, "parse_error", f"truncated gzip after the records above: {truncated}")
    elif last is None:  # every file gets a row, even one whose records are none of them pages
        skipped = ", ".join(f"{why}: {n}" for why, n in sorted(stats.skipped.items())) or "none"
        yield Reject(rel_path, whole_sha, "no_content",
                     f"none of its {stats.records} record(s) is a page (skipped: {skipped})")


def _single_document(
    rel_path: str, whole_sha: str, data: bytes, prefix: str, limits: Limits, folder: str | None
) -> RawDocument | Reject:
    if not data or data.isspace():
        return Reject(rel_path, whole_sha, "empty", "no content after decompression")
    if len(data) > limits.max_document_bytes:
        return _too_large(rel_path, whole_sha, len(data), limits.max_document_bytes, "document")
    if looks_binary(data):
        return Reject(rel_path, whole_sha, "binary", f"binary data, not a page (starts with {data[:8]!r})")
    kind = "html" if looks_html(data) else "text"
    return RawDocument(rel_path, data, whole_sha, prefix + kind, folder=folder)


def looks_html(data: bytes) -> bool:
    """HTML if a typical tag opens within the first KB of text.

    Tags are ASCII, so ASCII-compatible encodings are searched as they are; only
    UTF-16/32 (NULs between the letters) needs decoding first.
    """
    head = data[:4096]
    if 0 in head[:64]:
        try:
            text = decode_text(head)[0]
        except DecodeError:
            return False
    else:
        text = head.decode("latin-1")
    return _HTML_START.search(text.lstrip()[:1024]) is not None


def gunzip(data: bytes, max_bytes: int) -> bytes:
    """Decompress all gzip members, never holding more than ``max_bytes`` of output.

    Raises _DecompressionLimit past the cap, _Truncated (with the bytes so far)
    for a stream cut short, ValueError for a corrupt one.
    """
    out = bytearray()
    view = memoryview(data)
    position = 0
    while position < len(data):
        inflater = zlib.decompressobj(wbits=31)
        try:
            position = _inflate_member(inflater, view, position, out, max_bytes)
        except zlib.error as exc:
            if out:
                raise _Truncated(f"corrupt gzip data after {len(out)} bytes: {exc}", bytes(out)) from exc
            raise ValueError(f"corrupt gzip data: {exc}") from exc
        if not inflater.eof:
            raise _Truncated(f"stream ends before the gzip trailer ({len(out)} bytes read)", bytes(out))
        if not data.startswith(GZIP_MAGIC, position):
            break  # trailing padding after the last member is ignored, as gzip(1) does
    return bytes(out)


def _inflate_member(inflater: Any, data: memoryview, position: int, out: bytearray, max_bytes: int) -> int:
    """Inflate the gzip member at ``position`` into ``out``; return the position after it.

    Input goes in pieces that start small and double: what follows a member's end is copied
    once more (``unused_data``), so a file of many tiny members costs linear time, not quadratic.
    """
    piece_size = 256
    while True:
        piece = data[position : position + piece_size]
        position += len(piece)
        pending: Any = piece
        while True:
            out += inflater.decompress(pending, _CHUNK)
            if len(out) > max_bytes:
                raise _DecompressionLimit(f"decompressed size is over the {max_bytes}-byte limit")
            pending = inflater.unconsumed_tail
            if inflater.eof or not pending:
                break
        if inflater.eof:
            return position - len(inflater.unused_data)
        if not piece:
            return position
        piece_size = min(piece_size * 2, _CHUNK)


# --- JSON Lines ---------------------------------------------------------------------------

def _looks_jsonl(rel_path: str, data: bytes) -> bool:
    """JSON Lines: the first line is a JSON object (or looks like one in a .jsonl file)."""
    first = data.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0].strip()
    if not first.startswith(b"{"):
        return False
    if rel_path.lower().endswith(_JSONL_SUFFIXES):
        return True
    try:
        return isinstance(json.loads(first), dict)
    except (ValueError, RecursionError):
        return False


def read_jsonl(rel_path: str, data: bytes, limits: Limits, stats: ReadStats) -> Iterator[RawDocument | Reject]:
    """One page per line, the page in ``html`` or ``text``; every other field is metadata.

    Lines are read one at a time: a file's records are never all held at once.
    """
    start = number = 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        number += 1
        line = data[start:end]
        start = end + 1
        if line.strip():
            stats.records += 1
            yield _jsonl_record(f"{rel_path}#{number}", number, line, limits)


def _jsonl_record(source: str, number: int, line: bytes, limits: Limits) -> RawDocument | Reject:
    line_sha = _sha256(line)
    if len(line) > limits.max_document_bytes:
        return _too_large(source, line_sha, len(line), limits.max_document_bytes, f"line {number}")
    try:
        value = load_json(line)
    except ValueError as exc:
        return Reject(source, line_sha, "parse_error", f"line {number}: invalid JSON: {exc}")
    except RecursionError:
        return Reject(source, line_sha, "parse_error", f"line {number}: JSON nested too deeply")
    if not isinstance(value, dict):
        return Reject(source, line_sha, "parse_error", f"line {number}: not a JSON object")
    for key, kind in _PAGE_FIELDS:
        page = value.get(key)
        if isinstance(page, str) and page.strip():
            payload = page.encode("utf-8")
            metadata = {k: v for k, v in value.items() if k not in {"html", "text"}}
            return RawDocument(source, payload, _sha256(payload), f"jsonl+{kind}", metadata, "jsonl")
    return Reject(source, line_sha, "empty", f"line {number}: no non-empty 'html' or 'text' field")


# --- WARC ----------------------------------------------------------------------------------

@dataclass
class WarcRecord:
    """One WARC record: its headers (names lower-cased) and its content block."""

    headers: dict[str, str]
    block: bytes


def read_warc(rel_path: str, data: bytes, limits: Limits, stats: ReadStats) -> Iterator[RawDocument | Reject]:
    """HTML responses in a WARC file; the other records are counted in ``stats.skipped``."""
    for number, record in enumerate(iter_warc_records(data), start=1):
        source = f"{rel_path}#{number}"
        if isinstance(record, str):
            yield Reject(source, None, "parse_error", f"record {number}: {record}")
            return
        stats.records += 1
        page = _warc_page(source, record, limits, stats)
        if page is not None:
            yield page


def iter_warc_records(data: bytes) -> Iterator[WarcRecord | str]:
    """Records in order; a record that cannot be read ends the stream as an error message."""
    view = memoryview(data)
    position = 0
    while position < len(data):
        header_end = data.find(b"\r\n\r\n", position, position + (1 << 20))
        if header_end < 0:
            yield "no end of the WARC header (file cut short?)"
            return
        headers = _parse_headers(data[position:header_end].decode("utf-8", "replace").split("\r\n")[1:])
        length = _content_length(headers)
        if length is None:
            yield "missing or invalid Content-Length"
            return
        start = header_end + 4
        if start + length > len(data):
            yield f"cut short: {len(data) - start} of {length} content bytes"
            return
        yield WarcRecord(headers, bytes(view[start : start + length]))
        position = _skip_blank_lines(data, start + length)
        if position < len(data) and not _WARC_START.match(data, position):
            yield "no WARC version line where the next record should start"
            return


def _skip_blank_lines(data: bytes, position: int) -> int:
    while data.startswith(b"\r\n", position) or data.startswith(b"\n", position):
        position += 2 if data.startswith(b"\r\n", position) else 1
    return position


def _parse_headers(lines: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers


def _content_length(headers: dict[str, str]) -> int | None:
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def _warc_page(source: str, record: WarcRecord, limits: Limits, stats: ReadStats) -> RawDocument | Reject | None:
    warc_type = record.headers.get("warc-type", "")
    if warc_type == "response" and record.headers.get("content-type", "").startswith("application/http"):
        parsed = _parse_http_response(record.block)
        if parsed is None:
            return Reject(source, _sha256(record.block), "parse_error", "unreadable HTTP response in WARC record")
        status, http_headers, payload = parsed
    elif warc_type in {"response", "resource"}:
        status, http_headers, payload = 200, {"content-type": record.headers.get("content-type", "")}, record.block
    else:
        stats.skipped["not_response"] += 1
        return None
    content_type = http_headers.get("content-type", "")
    if not content_type.lower().startswith(_HTML_TYPES):
        stats.skipped["not_html"] += 1
        return None
    if not 200 <= status < 300:
        stats.skipped["http_status"] += 1
        return None
    return _warc_document(source, record.headers, http_headers, payload, status, limits)


def _warc_document(
    source: str, warc_headers: dict[str, str], http_headers: dict[str, str], payload: bytes, status: int,
    limits: Limits,
) -> RawDocument | Reject:
    try:
        payload = _undo_transfer_codings(http_headers, payload, limits.max_document_bytes)
    except ValueError as exc:
        reason = "decompression_limit" if isinstance(exc, _DecompressionLimit) else "parse_error"
        return Reject(source, _sha256(payload), reason, f"HTTP payload: {exc}")
    sha = _sha256(payload)
    if len(payload) > limits.max_document_bytes:
        return _too_large(source, sha, len(payload), limits.max_document_bytes, "record")
    if not payload.strip():
        return Reject(source, sha, "empty", "HTML response with an empty body")
    metadata: dict[str, Any] = {
        "url": warc_headers.get("warc-target-uri"),
        "scraped_at": warc_headers.get("warc-date"),
        "content_type": http_headers.get("content-type"),
        "http_status": status,
        "warc_record_id": warc_headers.get("warc-record-id"),
    }
    charset = _charset_of(http_headers.get("content-type", ""))
    if charset:
        metadata["charset"] = charset
    return RawDocument(source, payload, sha, "warc+html", {k: v for k, v in metadata.items() if v}, "warc")


def _parse_http_response(block: bytes) -> tuple[int, dict[str, str], bytes] | None:
    head_end = block.find(b"\r\n\r\n", 0, 1 << 20)
    separator = 4
    if head_end < 0:
        head_end, separator = block.find(b"\n\n", 0, 1 << 20), 2
    if head_end < 0:
        return None
    lines = block[:head_end].decode("latin-1").replace("\r\n", "\n").split("\n")
    status_line = lines[0].split()
    if len(status_line) < 2 or not status_line[0].startswith("HTTP/") or not status_line[1].isdigit():
        return None
    return int(status_line[1]), _parse_headers(lines[1:]), block[head_end + separator :]


def _charset_of(content_type: str) -> str | None:
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    return match.group(1) if match else None


def _undo_transfer_codings(headers: dict[str, str], payload: bytes, max_bytes: int) -> bytes:
    """The entity body as the browser saw it: de-chunked and un-gzipped, within the size cap."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        payload = _dechunk(payload)
    encoding = headers.get("content-encoding", "").lower().strip()
    if encoding in {"gzip", "x-gzip"} and payload.startswith(GZIP_MAGIC):
        payload = gunzip(payload, max_bytes)
    elif encoding == "deflate":
        payload = _inflate(payload, max_bytes)
    return payload


def _dechunk(payload: bytes) -> bytes:
    out = bytearray()
    position = 0
    while position < len(payload):
        line_end = payload.find(b"\r\n", position)
        if line_end < 0:
            raise ValueError("broken chunked transfer encoding")
        size_text = payload[position:line_end].split(b";")[0].strip()
        try:
            size = int(size_text, 16) if size_text.isalnum() else -1
        except ValueError:
            size = -1
        if size < 0:  # a sign or junk: int() takes "-5", which would step backwards for ever
            raise ValueError(f"bad chunk size {size_text[:20]!r}")
        if size == 0:
            break
        out += payload[line_end + 2 : line_end + 2 + size]
        position = line_end + 2 + size + 2
    return bytes(out)


def _inflate(payload: bytes, max_bytes: int) -> bytes:
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):  # servers send both zlib and raw deflate
        inflater = zlib.decompressobj(wbits=wbits)
        try:
            out = inflater.decompress(payload, max_bytes + 1)
        except zlib.error:
            continue
        if len(out) > max_bytes:
            raise _DecompressionLimit(f"deflated body is over the {max_bytes}-byte limit")
        return out
    raise ValueError("corrupt deflate body")


def _too_large(source: str, sha: str | None, size: int, limit: int, what: str) -> Reject:
    return Reject(source, sha, "too_large", f"{size} bytes is over the {limit}-byte {what} limit")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
