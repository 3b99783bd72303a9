"""What tests share: the project's paths, the seeds and their expectations, raw-file builders."""
from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

from decruft.reasons import SkipReason

PROJECT = Path(__file__).resolve().parents[1]
RAW = PROJECT / "raw"
SHARED_EVAL = PROJECT.parent / "shared" / "eval"
BAD_INPUT = Path(__file__).resolve().with_name("bad_input")
EXPECTED = json.loads((Path(__file__).with_name("expected.json")).read_text(encoding="utf-8"))
SEED_NAMES = sorted(name for name in EXPECTED if not name.startswith("_"))


def warc_record(warc_type: str, uri: str, block: bytes, content_type: str) -> bytes:
    head = (
        f"WARC/1.1\r\nWARC-Type: {warc_type}\r\nWARC-Target-URI: {uri}\r\n"
        f"WARC-Date: 2024-05-06T07:08:09Z\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(block)}\r\n\r\n"
    )
    return head.encode() + block + b"\r\n\r\n"


def http_response(body: bytes, content_type: str, extra: str = "", status: str = "200 OK") -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{extra}\r\n".encode() + body


def response(uri: str, body: bytes, content_type: str = "text/html", **kwargs: str) -> bytes:
    block = http_response(body, content_type, **kwargs)
    return warc_record("response", uri, block, "application/http; msgtype=response")


ARTICLE = (b"<html><head><title>Harbour ferry returns</title></head><body><article>"
           b"<h1>Harbour ferry returns</h1>"
           + b"".join(b"<p>The harbour ferry resumed its regular crossings on Monday after three months of "
                      b"repairs to its hull and engines, the operator said in a statement. %d</p>" % i
                      for i in range(6))
           + b"</article></body></html>")

#: A crawl as crawlers write it: pages among records that are not pages, by why they are not.
CRAWL = [
    (warc_record("warcinfo", "", b"software: test\r\n", "application/warc-fields"), SkipReason.NOT_RESPONSE),
    (warc_record("request", "https://example.org/a", b"GET /a HTTP/1.1\r\n\r\n",
                 "application/http; msgtype=request"), SkipReason.NOT_RESPONSE),
    (response("https://example.org/a", ARTICLE), None),
    (warc_record("metadata", "https://example.org/a", b"via: x\r\n", "application/warc-fields"),
     SkipReason.NOT_RESPONSE),
    (response("https://example.org/logo.png", b"\x89PNG\r\n\x1a\n", "image/png"), SkipReason.NOT_HTML),
    (response("https://example.org/old", b"<html>moved</html>", status="301 Moved Permanently",
              extra="Location: https://example.org/a\r\n"), SkipReason.HTTP_STATUS),
    (response("https://example.org/gone", b"<html>not here</html>", status="404 Not Found"),
     SkipReason.HTTP_STATUS),
    (response("https://example.org/b", ARTICLE.replace(b"Monday", b"Tuesday")), None),
]

#: A text page whose removed lines are known, and one with nothing but cruft (no article).
KNOWN_PAGE = """Harbour ferry service returns after winter repairs
By Jane Smith
6 May 2024
The harbour ferry resumed its regular crossings on Monday after three months of repairs to its hull and engines, the operator said.
Passenger numbers are expected to reach their usual spring level within a few weeks, according to the port authority.
The operator said the repairs cost less than planned and that timetables would stay as they were before the winter.
Share this article on Facebook
Sign up for our newsletter
We use cookies to improve your experience. Accept all cookies
© 2024 Harbour Times. All rights reserved.
"""
CRUFT_ONLY = "Skip to main content\nSign up for our newsletter\nShare this article on Facebook\n"


def build_counted_raw(raw: Path) -> Path:
    """The seeds in raw/ (text, HTML, JSON Lines, a gzipped WARC), the crawl above, the two text pages."""
    shutil.copytree(RAW, raw)
    (raw / "crawl.warc.gz").write_bytes(gzip.compress(b"".join(record for record, _ in CRAWL)))
    (raw / "harbour").mkdir()
    (raw / "harbour" / "ferry.txt").write_text(KNOWN_PAGE, encoding="utf-8")
    (raw / "harbour" / "cruft.txt").write_text(CRUFT_ONLY, encoding="utf-8")
    return raw
