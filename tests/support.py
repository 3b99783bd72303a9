"""What tests share: the project's paths, the seeds and their expectations, raw-file builders."""
from __future__ import annotations

import json
from pathlib import Path

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
