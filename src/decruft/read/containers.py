"""Split one raw file into pages, recognising its format by content.

Formats: gzip (any of the others inside), WARC (response/resource records with
an HTML payload), JSON Lines (one page per line), a single HTML page, or plain
text. The extension is only a tie-breaker for JSON Lines.

Containers are streamed: gzip is inflated as it is read, WARC records come one by one
(``fastwarc``), JSON Lines line by line, so a file of any size costs the memory of its largest
record. Limits apply to each record (``max_document_bytes``) and to the bytes a container
inflates to (``max_decompressed_bytes``); only a single page is held whole (``max_file_bytes``).

A large container is read in record ranges (``RecordRange``), each on its own: a whole read
notes where records start (``RecordIndex``), and a range starts there (a seek, for a WARC.gz a
gzip member's start, then inflating and skipping to the record) and stops after its last record.
Records keep their numbers (``crawl.warc.gz#17``) however the file is split.

Every page becomes a RawDocument (bytes still undecoded); anything unusable a
Reject. Records that are not pages (WARC request/metadata records, images,
redirects) are not errors: they are counted in the caller's ``ReadStats``.
Gzip is transport, so ``crawl.warc.gz`` records are ``warc+html`` while a
gzipped single page is ``gzip+html``.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from fastwarc.warc import ArchiveIterator

from decruft.guard import native_panic
from decruft.read.decode import DecodeError, decode_text, looks_binary
from decruft.read.metadata import load_json
from decruft.reasons import RejectReason, SkipReason
from decruft.models import Limits, RawDocument, Reject
from decruft.steps import Container

GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 16
#: What is looked at to tell the format: enough for the first line of a JSON Lines file.
_HEAD = 1 << 20
#: Room for the HTTP head before a WARC record's payload (the HTTP parser looks this far).
_HTTP_HEAD_MAX = 1 << 20
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

#: Reads up to n bytes (fewer only at the end): ``file.read``, a pyarrow stream's ``read``.
Read = Callable[[int], bytes]


@dataclass
class ReadStats:
    """What a container held besides pages; pass one to ``read_source`` to learn it.

    ``skipped`` counts records that are not pages, by why (``reasons.SkipReason``): ``not_response``
    (WARC request, warcinfo, metadata…), ``not_html`` (images, scripts…),
    ``http_status`` (redirects, errors).
    """

    records: int = 0  # container records read (JSONL lines, WARC records); 0 for a single page
    skipped: Counter[str] = field(default_factory=Counter)
    container: Container = Container.PAGE  # what the file was read as


class Mark(NamedTuple):
    """Where record ``after + 1`` of a container starts: seek the raw file to ``seek`` (the
    record itself, or in a gzip file the start of the member holding it, ``inflated`` bytes into
    the inflated content), then skip ``skip`` inflated bytes. ``at`` is about where in the raw
    file the record lies (exactly, but for a record inside a member), for sizing ranges."""

    after: int
    seek: int
    inflated: int = 0
    skip: int = 0
    at: int = 0
    counted: int = 0  # records read before it (``ReadStats.records``: blank lines are not records)


@dataclass
class RecordIndex:
    """Where a container's records start, noted while it is read whole (pass one to
    ``read_stream``): one mark about every ``every`` raw bytes, so that a file of millions of
    records costs a few thousand marks. ``format`` is ``warc`` or ``jsonl`` ("" for a file that
    is not a container); ``records``: the records read."""

    every: int
    format: str = ""
    gzipped: bool = False
    marks: list[Mark] = field(default_factory=list)
    records: int = 0

    def note(self, after: int, counted: int, locate: Callable[[], tuple[int, int, int, int]]) -> None:
        """Note record ``after + 1``, if far enough past the last mark (``locate`` gives
        seek, inflated, skip and at)."""
        self.records = after + 1
        if after == 0:
            return  # the first range starts with the file
        seek, inflated, skip, at = locate()
        if at - (self.marks[-1].at if self.marks else 0) >= self.every:
            self.marks.append(Mark(after, seek, inflated, skip, at, counted))


@dataclass(frozen=True)
class RecordRange:
    """Records ``start.after + 1`` to ``last`` (to the end when None) of a container whose
    index gave ``start``: a part of a file that a batch reads alone."""

    format: str
    gzipped: bool
    start: Mark
    last: int | None
    end_at: int = 0  # about where in the raw file the range ends (0: at the file's end)

    @property
    def first(self) -> int:
        return self.start.after + 1


class _StreamError(ValueError):
    """The content stream cannot go on: the bytes before the failure are good."""


class _DecompressionLimit(_StreamError):
    """More decompressed bytes than the limit allows: a gzip bomb or an oversized archive."""


class _Truncated(_StreamError):
    """A gzip stream cut short or corrupt after some output: the records before the cut are good."""


class _CorruptGzip(_StreamError):
    """Gzip data that does not inflate at all."""


def read_source(
    rel_path: str, data: bytes, *, limits: Limits = Limits(), stats: ReadStats | None = None
) -> Iterator[RawDocument | Reject]:
    """Yield the pages in one raw file held in memory (one for a plain page, many for a container)."""
    yield from read_stream(rel_path, io.BytesIO(data).read, len(data), _sha256(data), limits=limits, stats=stats)


def read_stream(
    rel_path: str, read: Read, size: int, whole_sha: str | None, *, limits: Limits = Limits(),
    stats: ReadStats | None = None, index: RecordIndex | None = None, part: RecordRange | None = None,
) -> Iterator[RawDocument | Reject]:
    """Yield the pages of one raw file of ``size`` bytes read through ``read``, never holding a
    container whole; ``whole_sha`` (the file's hash, if known) names the file's own rejects.

    ``index`` notes where the records start; with ``part``, ``read`` starts at ``part.start.seek``
    and only that range's records are read."""
    stats = stats if stats is not None else ReadStats()
    if part is not None:
        yield from _read_range(rel_path, read, whole_sha, part, limits, stats)
        return
    source = _Stream(read)
    head = source.peek(_HEAD)
    if (not head or head.isspace()) and len(head) < _HEAD and source.error is None:
        yield Reject(rel_path, whole_sha, RejectReason.EMPTY, "the file is empty")
        return
    if head.startswith(GZIP_MAGIC):
        gunzip = _Gunzip(source, limits.max_decompressed_bytes)
        content = _Stream(gunzip.read)
        yield from _read_content(rel_path, whole_sha, content, "gzip+", limits, stats,
                                 _Marker(index, stats, gunzip))
    else:
        if size > limits.max_file_bytes and not _is_container(rel_path, head):
            yield _too_large(rel_path, whole_sha, size, limits.max_file_bytes, "file")
            return
        yield from _read_content(rel_path, whole_sha, source, "", limits, stats, _Marker(index, stats))


def _read_range(rel_path: str, read: Read, whole_sha: str | None, part: RecordRange, limits: Limits,
                stats: ReadStats) -> Iterator[RawDocument | Reject]:
    """The records of one range, ``read`` starting at the range's seek position."""
    content = source = _Stream(read)
    if part.gzipped:
        gunzip = _Gunzip(source, limits.max_decompressed_bytes)
        gunzip.inflated = part.start.inflated  # the container's limit counts from its start
        content = _Stream(gunzip.read)
    try:
        _discard(content, part.start.skip)
    except _StreamError as exc:
        yield _stream_failure(rel_path, whole_sha, exc, part.start.counted)
        return
    reader = read_warc if part.format == "warc" else read_jsonl
    records = reader(rel_path, content, limits, stats, first=part.first, last=part.last)
    yield from _records(rel_path, whole_sha, records, stats, whole=False, counted=part.start.counted)


def _discard(content: "_Stream", count: int) -> None:
    """Skip ``count`` bytes, a piece at a time."""
    while count > 0:
        piece = content.read_some(min(count, _CHUNK))
        if not piece:
            raise _Truncated(f"the stream ends {count} bytes before the range's first record")
        count -= len(piece)


class _Marker:
    """Notes record starts in an index (when one is asked for) as a container is read whole."""

    def __init__(self, index: RecordIndex | None, stats: ReadStats, gunzip: "_Gunzip | None" = None):
        self.index, self.stats, self.gunzip = index, stats, gunzip

    def start(self, format_: str) -> Callable[[int, int], None] | None:
        """The function a reader calls with each record's number and content offset (None
        when no index is kept)."""
        if self.index is None:
            return None
        self.index.format, self.index.gzipped = format_, self.gunzip is not None
        return self._note

    def _note(self, number: int, offset: int) -> None:
        assert self.index is not None
        self.index.note(number - 1, self.stats.records, lambda: self._locate(offset))

    def _locate(self, offset: int) -> tuple[int, int, int, int]:
        if self.gunzip is None:
            return offset, 0, 0, offset
        seek, inflated = self.gunzip.member_at(offset)
        return seek, inflated, offset - inflated, seek + self.gunzip.raw_share(seek, inflated, offset)


def _is_container(rel_path: str, head: bytes) -> bool:
    return bool(_WARC_START.match(head)) or _looks_jsonl(rel_path, head)


def _read_content(
    rel_path: str, whole_sha: str | None, content: "_Stream", prefix: str, limits: Limits, stats: ReadStats,
    marker: _Marker,
) -> Iterator[RawDocument | Reject]:
    """Pages in (decompressed) content; a gzip failure ends them with one reject for the rest."""
    head = content.peek(_HEAD)
    if _WARC_START.match(head):
        stats.container = Container.WARC
        records = read_warc(rel_path, content, limits, stats, note=marker.start("warc"))
    elif _looks_jsonl(rel_path, head):
        stats.container = Container.JSONL
        records = read_jsonl(rel_path, content, limits, stats, note=marker.start("jsonl"))
    else:
        folder = rel_path.split("/")[0] if "/" in rel_path else None
        yield _single_document(rel_path, whole_sha, content, prefix, limits, folder)
        return
    yield from _records(rel_path, whole_sha, records, stats, whole=True)


def _records(rel_path: str, whole_sha: str | None, records: Iterator[RawDocument | Reject], stats: ReadStats,
             whole: bool, counted: int = 0) -> Iterator[RawDocument | Reject]:
    """A container's records, at most MAX_RECORD_REJECTS of them rejects (then one row counts
    the rest); a file read ``whole`` that holds no record at all is a ``no_content`` reject.
    ``counted``: the records of the file before these (in earlier ranges)."""
    folder = rel_path.split("/")[0] if "/" in rel_path else None
    seen = False
    beyond: Counter[str] = Counter()  # rejected records past MAX_RECORD_REJECTS, by reason
    rejected = 0
    try:
        for item in records:
            seen = True
            if isinstance(item, RawDocument):
                item.folder = folder
            else:
                rejected += 1
                if rejected > MAX_RECORD_REJECTS:
                    beyond[item.reason] += 1
                    continue
            yield item
    except _StreamError as exc:
        yield _stream_failure(rel_path, whole_sha, exc, counted + stats.records)
        seen = True
    if beyond:
        counts = ", ".join(f"{reason}: {n}" for reason, n in beyond.most_common())
        yield Reject(rel_path, whole_sha, RejectReason.TOO_MANY_REJECTS,
                     f"{sum(beyond.values())} more rejected records after the first {MAX_RECORD_REJECTS} ({counts})")
    if whole and not seen:  # every file gets a row, even one whose records are none of them pages
        skipped = ", ".join(f"{why}: {n}" for why, n in sorted(stats.skipped.items())) or "none"
        yield Reject(rel_path, whole_sha, RejectReason.NO_CONTENT,
                     f"none of its {stats.records} record(s) is a page (skipped: {skipped})")


def _stream_failure(rel_path: str, whole_sha: str | None, exc: _StreamError, records: int) -> Reject:
    """The reject for the rest of a container whose stream failed after ``records`` records."""
    if isinstance(exc, _DecompressionLimit):
        return Reject(rel_path, whole_sha, RejectReason.DECOMPRESSION_LIMIT,
                      f"{exc}; the {records} record(s) before it are kept")
    return Reject(rel_path, whole_sha, RejectReason.PARSE_ERROR, f"truncated gzip after the records above: {exc}")


def _single_document(
    rel_path: str, whole_sha: str | None, content: "_Stream", prefix: str, limits: Limits, folder: str | None
) -> RawDocument | Reject:
    """One page, read whole: a plain file within ``max_file_bytes``, an inflated one within
    ``max_document_bytes`` (past it, inflating stops: ``decompression_limit``)."""
    cap = limits.max_document_bytes if prefix else limits.max_file_bytes
    try:
        data = content.read(cap + 1)
    except _StreamError:
        data = b""
    if isinstance(content.error, _DecompressionLimit):
        return Reject(rel_path, whole_sha, RejectReason.DECOMPRESSION_LIMIT, str(content.error))
    if isinstance(content.error, _Truncated):
        return Reject(rel_path, whole_sha, RejectReason.PARSE_ERROR, f"truncated gzip: {content.error}")
    if content.error is not None:
        return Reject(rel_path, whole_sha, RejectReason.PARSE_ERROR, str(content.error))
    if prefix and len(data) > cap:
        return Reject(rel_path, whole_sha, RejectReason.DECOMPRESSION_LIMIT,
                      f"the page inflates past the {cap}-byte document limit")
    if not data or data.isspace():
        return Reject(rel_path, whole_sha, RejectReason.EMPTY, "no content after decompression")
    if len(data) > limits.max_document_bytes:
        return _too_large(rel_path, whole_sha, len(data), limits.max_document_bytes, "document")
    if looks_binary(data):
        return Reject(rel_path, whole_sha, RejectReason.BINARY, f"binary data, not a page (starts with {data[:8]!r})")
    kind = "html" if looks_html(data) else "text"
    return RawDocument(rel_path, data, whole_sha or _sha256(data), prefix + kind, folder=folder)


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


# --- Streams -------------------------------------------------------------------------------

class _Stream:
    """Bytes from a ``read`` function, with look-ahead, lines and give-back.

    A ``_StreamError`` from ``read`` is held until the bytes before it are consumed, so that a
    cut stream yields everything up to the cut, then the error.
    """

    def __init__(self, read: Read):
        self._read = read
        self._buf = b""
        self._pos = 0
        self._eof = False
        self.error: _StreamError | None = None
        self.consumed = 0  # bytes handed out so far (the position, for ``tell``)

    def _more(self, want: int) -> bool:
        """Append the next piece of input to the buffer; False at the end (or a held error)."""
        if self._eof:
            return False
        try:
            piece = self._read(max(want, _CHUNK))
        except _StreamError as exc:
            self.error, piece = exc, b""
        if not piece:
            self._eof = True
            return False
        self._buf = self._buf[self._pos:] + piece if self._pos < len(self._buf) else piece
        self._pos = 0
        return True

    def _available(self) -> int:
        """Bytes buffered; when none, fetch more (raising the held error at the end)."""
        if self._pos >= len(self._buf) and not self._more(_CHUNK) and self.error is not None:
            raise self.error
        return len(self._buf) - self._pos

    def peek(self, n: int) -> bytes:
        """Up to n bytes ahead, not consumed (fewer at the end or before a failure)."""
        while len(self._buf) - self._pos < n and self._more(n - (len(self._buf) - self._pos)):
            pass
        return self._buf[self._pos:self._pos + n]

    def read_some(self, n: int) -> bytes:
        """At most n bytes, from what is buffered (refilled when empty); b"" at the end."""
        if not self._available():
            return b""
        piece = self._buf[self._pos:self._pos + n]
        self._pos += len(piece)
        self.consumed += len(piece)
        return piece

    def unread(self, count: int) -> None:
        """Give back the last ``count`` bytes of the last ``read_some``."""
        self._pos -= count
        self.consumed -= count

    def read(self, n: int = -1) -> bytes:
        """n bytes (all with -1), fewer only at the end, or before a failure (raised next time)."""
        parts, total = [], 0
        while n < 0 or total < n:
            try:
                piece = self.read_some(_CHUNK if n < 0 else n - total)
            except _StreamError:
                if not parts:
                    raise
                break
            if not piece:
                break
            parts.append(piece)
            total += len(piece)
        return b"".join(parts)

    def readline(self, limit: int) -> bytes:
        """The next line with its newline, or its first ``limit`` bytes when it is longer."""
        parts, total = [], 0
        while total < limit and self._available():
            stop = min(len(self._buf), self._pos + limit - total)
            end = self._buf.find(b"\n", self._pos, stop)
            stop = end + 1 if end >= 0 else stop
            parts.append(self._buf[self._pos:stop])
            total += stop - self._pos
            self.consumed += stop - self._pos
            self._pos = stop
            if end >= 0:
                break
        return b"".join(parts)

    def tell(self) -> int:
        return self.consumed


class _Gunzip:
    """Inflate every gzip member of a stream as it is read, never past ``max_bytes`` in all.

    Raises _DecompressionLimit past the cap, _Truncated for a stream cut short (or corrupt after
    some output), _CorruptGzip for one that does not inflate at all. Input goes in pieces that
    start small and double per member, and what follows a member's end is given back to the
    source: a file of many tiny members costs linear time, not quadratic.
    """

    def __init__(self, source: _Stream, max_bytes: int):
        self._source = source
        self._max = max_bytes
        self._inflater: Any = None
        self._piece = 256
        self._pending = b""
        self.inflated = 0
        #: Members started and not yet passed by ``member_at``: (raw offset, inflated offset).
        self._members: deque[tuple[int, int]] = deque()

    def member_at(self, offset: int) -> tuple[int, int]:
        """The raw and inflated offsets of the member holding inflated byte ``offset`` (offsets
        asked for must not decrease)."""
        while len(self._members) > 1 and self._members[1][1] <= offset:
            self._members.popleft()
        return self._members[0]

    def raw_share(self, seek: int, inflated: int, offset: int) -> int:
        """About how many raw bytes after ``seek`` inflate to the bytes from ``inflated`` to
        ``offset`` (of the member starting there): by the ratio of all read since."""
        return (offset - inflated) * (self._source.consumed - seek) // max(1, self.inflated - inflated)

    def read(self, n: int) -> bytes:
        while True:
            if self._inflater is None:
                if not self._source.peek(2).startswith(GZIP_MAGIC):
                    return b""  # the end, or trailing padding after the last member (gzip(1) ignores it)
                self._members.append((self._source.consumed, self.inflated))
                self._inflater, self._piece = zlib.decompressobj(wbits=31), 256
            out = self._inflate(n)
            if out:
                return out

    def _inflate(self, n: int) -> bytes:
        data = self._pending or self._source.read_some(self._piece)
        if not data:
            raise _Truncated(f"stream ends before the gzip trailer ({self.inflated} bytes read)")
        if not self._pending:
            self._piece = min(self._piece * 2, _CHUNK)
        try:
            out = self._inflater.decompress(data, n)
        except zlib.error as exc:
            if self.inflated:
                raise _Truncated(f"corrupt gzip data after {self.inflated} bytes: {exc}") from exc
            raise _CorruptGzip(f"corrupt gzip data: {exc}") from exc
        self._pending = self._inflater.unconsumed_tail
        if self._inflater.eof:
            self._source.unread(len(self._inflater.unused_data))
            self._inflater, self._pending = None, b""
        self.inflated += len(out)
        if self.inflated > self._max:
            raise _DecompressionLimit(f"decompressed size is over the {self._max}-byte limit")
        return out


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


def read_jsonl(rel_path: str, content: _Stream, limits: Limits, stats: ReadStats, first: int = 1,
               last: int | None = None, note: Callable[[int, int], None] | None = None,
               ) -> Iterator[RawDocument | Reject]:
    """One page per line, the page in ``html`` or ``text``; every other field is metadata.

    Lines are read one at a time: a file's records are never all held at once, and a line
    over the document limit is skipped as it is read, never held. Lines are numbered from
    ``first`` (the content starts at that line) up to ``last``; ``note`` is told each line's
    number and offset.
    """
    number = first - 1
    while number != last:
        offset = content.tell()
        line = content.readline(limits.max_document_bytes + 1)
        if not line:
            break
        number += 1
        if note is not None:
            note(number, offset)
        if not line.endswith(b"\n") and len(line) > limits.max_document_bytes:
            size = len(line) + _skip_line(content)
            stats.records += 1
            yield _too_large(f"{rel_path}#{number}", None, size, limits.max_document_bytes, f"line {number}")
            continue
        line = line[:-1] if line.endswith(b"\n") else line
        if line.strip():
            stats.records += 1
            yield _jsonl_record(f"{rel_path}#{number}", number, line, limits)


def _skip_line(content: _Stream) -> int:
    """Skip to the end of the current line; returns how many bytes were skipped."""
    skipped = 0
    while piece := content.readline(_CHUNK):
        skipped += len(piece)
        if piece.endswith(b"\n"):
            return skipped - 1
    return skipped


def _jsonl_record(source: str, number: int, line: bytes, limits: Limits) -> RawDocument | Reject:
    line_sha = _sha256(line)
    if len(line) > limits.max_document_bytes:
        return _too_large(source, line_sha, len(line), limits.max_document_bytes, f"line {number}")
    try:
        value = load_json(line)
    except ValueError as exc:
        return Reject(source, line_sha, RejectReason.PARSE_ERROR, f"line {number}: invalid JSON: {exc}")
    except RecursionError:
        return Reject(source, line_sha, RejectReason.PARSE_ERROR, f"line {number}: JSON nested too deeply")
    if not isinstance(value, dict):
        return Reject(source, line_sha, RejectReason.PARSE_ERROR, f"line {number}: not a JSON object")
    for key, kind in _PAGE_FIELDS:
        page = value.get(key)
        if isinstance(page, str) and page.strip():
            payload = page.encode("utf-8")
            metadata = {k: v for k, v in value.items() if k not in {"html", "text"}}
            return RawDocument(source, payload, _sha256(payload), f"jsonl+{kind}", metadata, "jsonl")
    return Reject(source, line_sha, RejectReason.EMPTY, f"line {number}: no non-empty 'html' or 'text' field")


# --- WARC ----------------------------------------------------------------------------------

@dataclass
class WarcRecord:
    """One WARC record: its headers (names lower-cased), the start of its content block (all of
    it unless the block is longer than a page may be) and the block's full length."""

    headers: dict[str, str]
    block: bytes
    length: int
    offset: int = 0  # where the record starts in the content stream


def read_warc(rel_path: str, content: _Stream, limits: Limits, stats: ReadStats, first: int = 1,
              last: int | None = None, note: Callable[[int, int], None] | None = None,
              ) -> Iterator[RawDocument | Reject]:
    """HTML responses in a WARC file; the other records are counted in ``stats.skipped``.
    Records are numbered from ``first`` (the content starts at that record) up to ``last``;
    ``note`` is told each record's number and offset."""
    cap = limits.max_document_bytes + _HTTP_HEAD_MAX
    for number, record in enumerate(iter_warc_records(content, cap), start=first):
        source = f"{rel_path}#{number}"
        if isinstance(record, str):
            yield Reject(source, None, RejectReason.PARSE_ERROR, f"record {number}: {record}")
            return
        if note is not None:
            note(number, record.offset)
        stats.records += 1
        page = _warc_page(source, record, limits, stats)
        if page is not None:
            yield page
        if number == last:
            return


def iter_warc_records(content: _Stream, cap: int) -> Iterator[WarcRecord | str]:
    """Records in order, each block read up to ``cap`` bytes (the rest is skipped unread); a
    record that cannot be read ends the stream as an error message."""
    try:
        for record in ArchiveIterator(content, parse_http=False, stream_detect=False):
            headers = {name.lower(): value for name, value in record.headers.items()}
            length = _content_length(headers)
            if length is None:
                yield "missing or invalid Content-Length"
                return
            block = record.reader.read(min(length, cap))
            got = len(block) + (_drain(record.reader) if length > cap else 0)
            if got < length:
                yield f"cut short: {got} of {length} content bytes"
                return
            yield WarcRecord(headers, block, length, record.stream_pos)
    except OSError as exc:  # fastwarc: a header it cannot parse
        yield f"{exc} (no WARC record where the next one should start)"
    except BaseException as exc:  # a panic in fastwarc (not an Exception) is a broken file too
        if not native_panic(exc):
            raise
        yield f"the WARC reader failed ({type(exc).__name__}: {str(exc)[:200]})"


def _drain(reader: Any) -> int:
    """Read a record's block to its end; returns how many bytes that was."""
    total = 0
    while piece := reader.read(_CHUNK):
        total += len(piece)
    return total


def _content_length(headers: dict[str, str]) -> int | None:
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def _parse_headers(lines: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers


def _warc_page(source: str, record: WarcRecord, limits: Limits, stats: ReadStats) -> RawDocument | Reject | None:
    warc_type = record.headers.get("warc-type", "")
    if warc_type == "response" and record.headers.get("content-type", "").startswith("application/http"):
        parsed = _parse_http_response(record.block)
        if parsed is None:
            return Reject(source, _sha256(record.block), RejectReason.PARSE_ERROR, "unreadable HTTP response in WARC record")
        status, http_headers, payload = parsed
    elif warc_type in {"response", "resource"}:
        status, http_headers, payload = 200, {"content-type": record.headers.get("content-type", "")}, record.block
    else:
        stats.skipped[SkipReason.NOT_RESPONSE] += 1
        return None
    content_type = http_headers.get("content-type", "")
    if not content_type.lower().startswith(_HTML_TYPES):
        stats.skipped[SkipReason.NOT_HTML] += 1
        return None
    if not 200 <= status < 300:
        stats.skipped[SkipReason.HTTP_STATUS] += 1
        return None
    if len(record.block) < record.length:  # only the start was read: the payload is over the limit
        size = len(payload) + record.length - len(record.block)
        return _too_large(source, None, size, limits.max_document_bytes, "record")
    return _warc_document(source, record.headers, http_headers, payload, status, limits)


def _warc_document(
    source: str, warc_headers: dict[str, str], http_headers: dict[str, str], payload: bytes, status: int,
    limits: Limits,
) -> RawDocument | Reject:
    try:
        payload = _undo_transfer_codings(http_headers, payload, limits.max_document_bytes)
    except ValueError as exc:
        reason = RejectReason.DECOMPRESSION_LIMIT if isinstance(exc, _DecompressionLimit) else RejectReason.PARSE_ERROR
        return Reject(source, _sha256(payload), reason, f"HTTP payload: {exc}")
    sha = _sha256(payload)
    if len(payload) > limits.max_document_bytes:
        return _too_large(source, sha, len(payload), limits.max_document_bytes, "record")
    if not payload.strip():
        return Reject(source, sha, RejectReason.EMPTY, "HTML response with an empty body")
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


def gunzip(data: bytes, max_bytes: int) -> bytes:
    """Decompress all gzip members of bytes in memory, never more than ``max_bytes`` of output
    (ValueError otherwise, or for a corrupt or cut stream)."""
    inflated = _Stream(_Gunzip(_Stream(io.BytesIO(data).read), max_bytes).read)
    out = inflated.read()
    if inflated.error is not None:
        raise inflated.error
    return out


def _too_large(source: str, sha: str | None, size: int, limit: int, what: str) -> Reject:
    return Reject(source, sha, RejectReason.TOO_LARGE, f"{size} bytes is over the {limit}-byte {what} limit")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
