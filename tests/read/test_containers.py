"""read_source: format by content, container records, limits and broken input."""
import gzip
import hashlib
import json
import os
import random

import pytest
from hypothesis import given, settings, strategies as st

from decruft.read.containers import ReadStats, read_source
from decruft.models import Limits, RawDocument, Reject
from tests.support import RAW
from tests.support import response, warc_record

PAGE = b"<!DOCTYPE html><html><head><title>T</title></head><body><p>Body text.</p></body></html>"


def read_all(name: str, data: bytes, **kwargs) -> list[RawDocument | Reject]:
    return list(read_source(name, data, **kwargs))


def test_single_html_page_by_content() -> None:
    (doc,) = read_all("news/page.dat", PAGE)
    assert doc.source_format == "html" and doc.folder == "news"
    assert doc.sha256 == hashlib.sha256(PAGE).hexdigest() and doc.data == PAGE


def test_html_without_doctype_and_utf16() -> None:
    assert read_all("a.txt", b"\n  <div class=x>hello</div>")[0].source_format == "html"
    assert read_all("a", "<html><p>x</p></html>".encode("utf-16"))[0].source_format == "html"


def test_plain_text() -> None:
    (doc,) = read_all("a.html", b"Just words, no markup <3 at all.\nSecond line.")
    assert doc.source_format == "text"


@pytest.mark.parametrize("data", [b"", b" \n\t "])
def test_empty(data: bytes) -> None:
    assert [r.reason for r in read_all("e.txt", data)] == ["empty"]


def test_binary() -> None:
    assert [r.reason for r in read_all("x.html", b"\x89PNG\r\n\x1a\n" + bytes(500))] == ["binary"]


def test_too_large_document() -> None:
    (reject,) = read_all("a.html", PAGE, limits=Limits(max_document_bytes=20))
    assert reject.reason == "too_large"


def test_gzip_single_page() -> None:
    data = gzip.compress(PAGE)
    (doc,) = read_all("page.bin", data)
    assert doc.source_format == "gzip+html" and doc.data == PAGE
    assert doc.sha256 == hashlib.sha256(data).hexdigest()


def test_gzip_bomb_is_stopped() -> None:
    bomb = gzip.compress(bytes(20_000_000))
    (reject,) = read_all("bomb.gz", bomb, limits=Limits(max_decompressed_bytes=1_000_000))
    assert reject.reason == "decompression_limit"


def test_truncated_gzip_page() -> None:
    data = gzip.compress(b"<html>" + os.urandom(4000).hex().encode())
    (reject,) = read_all("cut.html.gz", data[: len(data) // 2])
    assert reject.reason == "parse_error" and "truncated" in reject.detail


def test_corrupt_gzip() -> None:
    (reject,) = read_all("bad.gz", b"\x1f\x8b\x08\x00" + b"\xff" * 100)
    assert reject.reason == "parse_error"


def test_jsonl_pages_metadata_and_broken_line() -> None:
    lines = [
        json.dumps({"url": "https://a.example/1", "html": "<p>One</p>", "outlet": "a", "extra": 1}),
        "{not json",
        "",
        json.dumps({"text": "Two", "title": "T", "authors": ["X"]}),
        json.dumps({"url": "https://a.example/3"}),
    ]
    items = read_all("feeds/pages.jsonl", "\n".join(lines).encode(), stats=(stats := ReadStats()))
    first, broken, second, no_page = items
    assert first.source_path == "feeds/pages.jsonl#1" and first.source_format == "jsonl+html"
    assert first.metadata == {"url": "https://a.example/1", "outlet": "a", "extra": 1}
    assert first.metadata_origin == "jsonl" and first.data == b"<p>One</p>" and first.folder == "feeds"
    assert broken.reason == "parse_error" and broken.detail.startswith("line 2:")
    assert second.source_path.endswith("#4") and second.source_format == "jsonl+text"
    assert second.metadata == {"title": "T", "authors": ["X"]}
    assert no_page.reason == "empty" and "line 5" in no_page.detail
    assert stats.records == 4


def test_jsonl_by_content_and_gzipped() -> None:
    data = gzip.compress(b'{"html": "<p>x</p>"}\n{"html": "<p>y</p>"}\n')
    assert [d.source_format for d in read_all("dump.data", data)] == ["jsonl+html"] * 2


def test_truncated_jsonl_gzip_keeps_lines_before_cut() -> None:
    lines = b"".join(json.dumps({"text": os.urandom(300).hex()}).encode() + b"\n" for _ in range(20))
    data = gzip.compress(lines)
    items = read_all("p.jsonl.gz", data[: len(data) // 2])
    assert all(isinstance(i, RawDocument) for i in items[:-1]) and len(items) > 2
    assert items[-1].reason == "parse_error" and items[-1].source_path == "p.jsonl.gz"


def test_warc_html_responses_and_skipped_records() -> None:
    data = b"".join([
        warc_record("warcinfo", "", b"software: test\r\n", "application/warc-fields"),
        warc_record("request", "https://a.example/", b"GET / HTTP/1.1\r\n\r\n", "application/http; msgtype=request"),
        response("https://a.example/", "<html>café</html>".encode("latin-1"), "text/html; charset=ISO-8859-1"),
        response("https://a.example/logo.png", b"\x89PNG", "image/png"),
        response("https://a.example/old", b"<html>moved</html>", status="301 Moved Permanently"),
    ])
    stats = ReadStats()
    (doc,) = read_all("crawl.warc", data, stats=stats)
    assert doc.source_path == "crawl.warc#3" and doc.source_format == "warc+html"
    assert doc.metadata["url"] == "https://a.example/" and doc.metadata["scraped_at"] == "2024-05-06T07:08:09Z"
    assert doc.metadata["charset"] == "ISO-8859-1" and doc.metadata_origin == "warc"
    assert doc.data == "<html>café</html>".encode("latin-1")
    assert stats.records == 5 and stats.skipped == {"not_response": 2, "not_html": 1, "http_status": 1}


def test_warc_chunked_and_gzip_encoded_payload() -> None:
    chunked = b"6\r\n<html>\r\n8\r\nhi</html\r\n1\r\n>\r\n0\r\n\r\n"
    zipped = gzip.compress(b"<html>zipped</html>")
    data = response("https://a/1", chunked, extra="Transfer-Encoding: chunked\r\n") + response(
        "https://a/2", zipped, extra="Content-Encoding: gzip\r\n"
    )
    assert [d.data for d in read_all("c.warc", data)] == [b"<html>hi</html>", b"<html>zipped</html>"]


def test_warc_cut_mid_record_keeps_earlier_records() -> None:
    data = response("https://a/1", PAGE) + response("https://a/2", PAGE)
    items = read_all("cut.warc", data[:-40])
    assert isinstance(items[0], RawDocument)
    assert [(i.source_path, i.reason) for i in items[1:]] == [("cut.warc#2", "parse_error")]


def test_truncated_warc_gzip_yields_one_cut_reject() -> None:
    records = [response(f"https://a/{i}", os.urandom(3000).hex().encode()) for i in range(4)]
    data = b"".join(gzip.compress(r) for r in records)
    items = read_all("cut.warc.gz", data[: len(data) * 5 // 8])
    assert [type(i).__name__ for i in items] == ["RawDocument", "RawDocument", "Reject"]
    assert items[-1].reason == "parse_error"


def test_raw_samples_are_valid() -> None:
    stats = ReadStats()
    docs = [d for path in sorted(RAW.iterdir()) for d in read_source(path.name, path.read_bytes(), stats=stats)]
    assert all(isinstance(d, RawDocument) for d in docs)
    formats = {d.source_path: d.source_format for d in docs}
    assert formats["polygraph_fact_check_al_tanf.html"] == "html"
    assert formats["sciencealert_pages.jsonl#2"] == "jsonl+html"
    warc = [d for d in docs if d.source_format == "warc+html"]
    assert len(warc) == 2 and all(d.metadata["url"].startswith("http") for d in warc)
    assert stats.skipped["not_html"] == 1


def crawl(pages: int) -> tuple[bytes, set[int]]:
    """A .warc.gz as crawls publish it, each record its own gzip member: per page a request, an
    HTML response and a metadata record; the response records' numbers."""
    members, html = [], set()
    for page in range(pages):
        uri = f"https://news.example/{page}"
        words = " ".join(f"word{n}" for n in random.Random(page).choices(range(5000), k=300))
        body = f"<html><body><h1>Story {page}</h1><p>{words}.</p></body></html>".encode()
        members += [warc_record("request", uri, b"GET / HTTP/1.1\r\n\r\n", "application/http; msgtype=request"),
                    response(uri, body),
                    warc_record("metadata", uri, b"fetchTimeMs: 12\r\n", "application/warc-fields")]
        html.add(len(members) - 1)
    return b"".join(gzip.compress(m, mtime=0) for m in members), html


def test_a_container_is_streamed_whatever_its_size() -> None:
    data, html = crawl(300)
    stats = ReadStats()
    items = read_all("big.warc.gz", data, limits=Limits(max_file_bytes=len(data) // 10), stats=stats)
    assert all(isinstance(i, RawDocument) for i in items)
    assert [int(i.source_path.rsplit("#", 1)[1]) for i in items] == sorted(html)
    assert stats.records == 900 and stats.skipped == {"not_response": 600}


def test_past_the_inflated_limit_the_rest_of_a_container_is_one_reject() -> None:
    data, _ = crawl(100)
    limit = len(gzip.decompress(data)) // 2
    items = read_all("big.warc.gz", data, limits=Limits(max_decompressed_bytes=limit))
    *pages, last = items
    assert 40 <= len(pages) < 60 and all(isinstance(p, RawDocument) for p in pages)
    assert (last.source_path, last.reason) == ("big.warc.gz", "decompression_limit")
    assert "record(s) before it are kept" in last.detail


def test_records_over_the_document_limit_are_skipped_as_read() -> None:
    big = "x" * 5000
    lines = jsonl_bytes({"text": "short one"}, {"text": big}, {"text": "short two"})
    items = read_all("p.jsonl", lines, limits=Limits(max_document_bytes=1000))
    assert [getattr(i, "reason", "page") for i in items] == ["page", "too_large", "page"]
    assert items[1].source_path == "p.jsonl#2" and "line 2" in items[1].detail
    warc = response("https://a/1", PAGE) + response("https://a/2", big.encode()) + response("https://a/3", PAGE)
    items = read_all("c.warc", warc, limits=Limits(max_document_bytes=1000))
    assert [getattr(i, "reason", "page") for i in items] == ["page", "too_large", "page"]


def jsonl_bytes(*values: dict) -> bytes:
    return b"".join(json.dumps(v).encode() + b"\n" for v in values)


def test_ingest_reads_a_container_over_the_file_limit_completely(tmp_path) -> None:
    """Also written in chunks (of 50 rows here): a rerun finds the file done and adds no row."""
    from decruft import ingest
    from decruft.store.dataset import Dataset, Layout

    data, html = crawl(200)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "crawl.warc.gz").write_bytes(data)
    settings = ingest.Settings(raw=str(raw), out=str(tmp_path / "out"),
                               limits=Limits(max_file_bytes=len(data) // 10), layout=Layout(partition_by=()),
                               chunk_rows=50)
    first = assert_ingested_once(ingest.run, settings, html)
    assert len(first.totals.parts) == 4  # then merged by the end-of-run compaction
    assert len(Dataset(settings.out).manifest()) == 1
    again = ingest.run(settings)
    assert (again.skipped, again.totals.articles, again.totals.rejects) == (1, 0, {})
    assert_ingested_once(lambda _: again, settings, html, counted=False)


def test_a_batch_writes_its_rows_once_their_text_is_large_whatever_their_number(tmp_path, monkeypatch) -> None:
    """A run of large pages is written before ``chunk_rows`` is reached: the rows held are
    bounded by their text too."""
    from decruft import ingest
    from decruft.ingest import process
    from decruft.store.dataset import Layout

    data, html = crawl(200)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "crawl.warc.gz").write_bytes(data)
    settings = ingest.Settings(raw=str(raw), out=str(tmp_path / "out"), layout=Layout(partition_by=()))
    monkeypatch.setattr(process, "CHUNK_CHARS", 100_000)
    first = assert_ingested_once(ingest.run, settings, html)
    assert len(first.totals.parts) >= 4


def assert_ingested_once(run, settings, html: set[int], counted: bool = True):
    """Every HTML record of crawl() an article or a reject exactly once, nothing else a row."""
    from decruft.store.dataset import Dataset

    report = run(settings)
    dataset = Dataset(settings.out)
    paths = [path for table in (dataset.articles(), dataset.rejects()) if table is not None
             for path in table.column("source_path").to_pylist()]
    assert sorted(int(p.rsplit("#", 1)[1]) for p in paths) == sorted(html)
    assert not counted or report.totals.articles + sum(report.totals.rejects.values()) == len(html)
    return report


class _NoPosition:
    """A stream that cannot say where it is: fastwarc panics (a Rust ``unwrap``) on it."""

    def read(self, n: int) -> bytes:
        return b""

    def tell(self) -> int:
        raise OSError("position unknown")


def fastwarc_panic() -> BaseException:
    """A real PanicException from fastwarc (a BaseException, not an Exception)."""
    from fastwarc.warc import ArchiveIterator

    try:
        ArchiveIterator(_NoPosition(), parse_http=False, stream_detect=False)
    except BaseException as exc:  # noqa: BLE001 - the panic is what is wanted
        return exc
    raise AssertionError("fastwarc no longer panics on a stream without a position")


def test_a_fastwarc_panic_is_a_parse_error_reject_not_an_escape(monkeypatch) -> None:
    from decruft.read import containers

    panic = fastwarc_panic()
    assert type(panic).__name__ == "PanicException" and not isinstance(panic, Exception)
    monkeypatch.setattr(containers._Stream, "tell", _NoPosition.tell)
    (reject,) = read_all("c.warc", response("https://a/1", PAGE) + response("https://a/2", PAGE))
    assert (reject.source_path, reject.reason) == ("c.warc#1", "parse_error")
    assert "PanicException" in reject.detail


def test_the_guard_contains_a_native_panic_but_not_an_interrupt() -> None:
    from decruft.guard import guarded_documents, safely

    panic = fastwarc_panic()

    def raising(exc: BaseException):
        yield read_all("a.html", PAGE)[0]
        raise exc

    first, failed = guarded_documents("a.warc", raising(panic))
    assert isinstance(first, RawDocument)
    assert (failed.source_path, failed.reason) == ("a.warc", "error") and "PanicException" in failed.detail
    assert safely(lambda doc: (_ for _ in ()).throw(panic), first).reason == "error"
    with pytest.raises(KeyboardInterrupt):
        list(guarded_documents("a.warc", raising(KeyboardInterrupt())))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_000), st.binary(max_size=12)), max_size=6), st.booleans())
def test_any_damage_to_a_warc_gives_pages_and_rejects_only(damage, zipped) -> None:
    """Bytes overwritten anywhere in a WARC (plain or gzipped per record): reading it yields
    RawDocuments and Rejects, never an exception, and the records before the damage stand."""
    records = [response(f"https://a/{i}", PAGE + b"x" * (i * 40)) for i in range(4)]
    data = bytearray(b"".join(gzip.compress(r, mtime=0) for r in records) if zipped else b"".join(records))
    first = len(data)
    for at, junk in damage:
        at %= len(data)
        data[at:at + len(junk)] = junk
        first = min(first, at)
    items = read_all("d.warc.gz" if zipped else "d.warc", bytes(data))
    assert all(isinstance(i, RawDocument | Reject) for i in items)
    if not zipped:  # records wholly before the first damaged byte are read as they were
        intact = sum(1 for n in range(4) if len(b"".join(records[:n + 1])) <= first)
        assert all(isinstance(i, RawDocument) for i in items[:intact])
