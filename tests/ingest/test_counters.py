"""A run's step counters on real data: records read and skipped by container, rejects, removed
lines by reason, extractor paths, seconds per stage; saved with the dataset and read back."""
from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pyarrow.dataset as pads
import pytest
from fastwarc.warc import ArchiveIterator

from tests.support import CRAWL, CRUFT_ONLY, build_counted_raw
from decruft.cli import main
from decruft.ingest import Settings, latest_run_report, run
from decruft.page import make_context, removed_lines
from decruft.read.containers import ReadStats
from decruft.read.sources import RawFile, read_documents
from decruft.reasons import LineReason, RejectReason, SkipReason
from decruft.steps import Container, ExtractPath, Stage
from decruft.store.dataset import Dataset

KNOWN_REASONS = Counter({LineReason.TITLE: 1, LineReason.BYLINE: 1, LineReason.DATE: 1, LineReason.SHARE: 1,
                         LineReason.NEWSLETTER: 1, LineReason.COOKIE: 1, LineReason.LEGAL: 1})


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    base = tmp_path_factory.mktemp("counters")
    raw, out = build_counted_raw(base / "raw"), base / "out"
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
