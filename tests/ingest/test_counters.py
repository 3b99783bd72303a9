"""A run's step counters on real data: records read and skipped by container, rejects, removed
lines by reason, extractor paths, seconds per stage; saved with the dataset and read back."""
from __future__ import annotations

import gzip
import json
import shutil
from collections import Counter
from pathlib import Path

import pyarrow.dataset as pads
import pytest
from fastwarc.warc import ArchiveIterator

from tests.support import RAW, response, warc_record
from decruft.cli import main
from decruft.ingest import Settings, latest_run_report, run
from decruft.page import make_context, removed_lines
from decruft.read.containers import ReadStats
from decruft.read.sources import RawFile, read_documents
from decruft.reasons import LineReason, RejectReason, SkipReason
from decruft.steps import Container, ExtractPath, Stage
from decruft.store.dataset import Dataset

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
KNOWN_REASONS = Counter({LineReason.TITLE: 1, LineReason.BYLINE: 1, LineReason.DATE: 1, LineReason.SHARE: 1,
                         LineReason.NEWSLETTER: 1, LineReason.COOKIE: 1, LineReason.LEGAL: 1})
CRUFT_ONLY = "Skip to main content\nSign up for our newsletter\nShare this article on Facebook\n"


def build_raw(raw: Path) -> Path:
    """The seeds in raw/ (text, HTML, JSON Lines, a gzipped WARC), the crawl above, the two text pages."""
    shutil.copytree(RAW, raw)
    (raw / "crawl.warc.gz").write_bytes(gzip.compress(b"".join(record for record, _ in CRAWL)))
    (raw / "harbour").mkdir()
    (raw / "harbour" / "ferry.txt").write_text(KNOWN_PAGE, encoding="utf-8")
    (raw / "harbour" / "cruft.txt").write_text(CRUFT_ONLY, encoding="utf-8")
    return raw


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    base = tmp_path_factory.mktemp("counters")
    raw, out = build_raw(base / "raw"), base / "out"
    return raw, out, run(Settings(raw=str(raw), out=str(out)))


def articles(out: Path) -> list[dict]:
    table = pads.dataset(out / "articles", format="parquet", partitioning="hive").to_table()
    return table.select(["source_path", "extractor", "removed"]).to_pylist()


def warc_records(path: Path) -> int:
    with gzip.open(path) as handle:
        return sum(1 for _ in ArchiveIterator(handle, parse_http=False))


def test_records_are_counted_by_container_and_skipped_ones_by_reason(ingested):
    raw, _, report = ingested
    counters = report.as_dict()["counters"]
    files = [p for p in raw.rglob("*") if p.is_file() and not p.name.endswith(".meta.json")]
    containers = [p for p in files if p.name.endswith((".warc.gz", ".jsonl"))]
    jsonl = sum(1 for p in containers if p.suffix == ".jsonl" for line in p.read_text().splitlines() if line.strip())
    assert counters["records"] == {Container.PAGE: len(files) - len(containers), Container.JSONL: jsonl,
                                   Container.WARC: sum(warc_records(p) for p in containers if p.suffix == ".gz")}
    sample = ReadStats()  # the seed crawl's own skipped records, read as a run reads them
    list(read_documents(RawFile(str(raw), "crawl_sample.warc.gz", (raw / "crawl_sample.warc.gz").stat().st_size),
                        stats=sample))
    crafted = Counter(why for _, why in CRAWL if why)
    assert counters["skipped"] == dict(sample.skipped + crafted)
    assert set(counters["skipped"]) <= set(SkipReason) and crafted[SkipReason.HTTP_STATUS] == 2


def test_rejects_removed_lines_and_extractor_paths_match_the_rows(ingested):
    raw, out, report = ingested
    summary = report.as_dict()
    counters = summary["counters"]
    rows = articles(out)
    assert summary["articles"] == len(rows) and summary["rejects"] == {RejectReason.NO_CONTENT: 1}
    ctx = make_context()
    cruft = next(read_documents(RawFile(str(raw), "harbour/cruft.txt", len(CRUFT_ONLY))))
    rejected_lines = Counter(line["reason"] for line in removed_lines(cruft, ctx))
    assert rejected_lines  # a page that gave no article still had its lines judged, and they count
    kept_lines = Counter(line["reason"] for row in rows for line in row["removed"])
    assert counters["removed"] == dict(kept_lines + rejected_lines)
    assert set(counters["removed"]) <= set(LineReason)
    ferry = next(row for row in rows if row["source_path"] == "harbour/ferry.txt")
    assert Counter(line["reason"] for line in ferry["removed"]) >= KNOWN_REASONS
    assert set(counters["paths"]) <= set(ExtractPath)
    assert sum(counters["paths"].values()) == len(rows) + 1  # every cleaned page, the cruft-only one too
    html = Counter(row["extractor"] for row in rows if row["extractor"] != "text")
    assert {path: n for path, n in counters["paths"].items() if path.startswith("trafilatura")} == dict(html)


def test_every_stage_is_timed(ingested):
    _, _, report = ingested
    seconds = report.as_dict()["counters"]["seconds"]
    assert list(seconds) == list(Stage)  # in pipeline order
    assert all(value >= 0 for value in seconds.values()) and seconds[Stage.EXTRACT] > 0
    assert sum(seconds.values()) <= report.seconds  # work within the run's time (one batch at a time)


def test_the_saved_report_reads_back_equal_and_stats_shows_it(ingested, capsys):
    _, out, report = ingested
    saved = latest_run_report(Dataset(str(out)))
    assert saved == json.loads(json.dumps(report.as_dict())) == report.as_dict()
    assert [p.name for p in (out / "_state" / "runs").iterdir()] == [
        f"{report.started:%Y%m%dT%H%M%S%fZ}.json"]
    assert main(["stats", "--json", "--out", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["latest_run"] == saved
    assert main(["stats", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"latest run: {saved['started_at']}" in text and "  records skipped by reason: " in text
