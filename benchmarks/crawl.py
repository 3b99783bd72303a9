"""Peak memory and speed of ingesting one CC-NEWS-like crawl file: 2,000 and 20,000 records.

    python benchmarks/crawl.py [--records 2000 20000] [--seed 16] [--keep DIR]

Generates, with a fixed seed, a ``.warc.gz`` as news crawls publish them: a warcinfo record,
then per page a request, a response (an HTML news page with varied prose, navigation and an
inline script blob, as real pages carry) and a metadata record, each record its own gzip
member; every 50th page also has an image fetched, every 100th a redirect. The 20,000-record file is
over 100 MB compressed. Each file is ingested with ``decruft.ingest.run`` in a fresh process;
printed per size: the file's size, seconds, HTML records per second, the peak RSS of the run's
process (ru_maxrss) and of its process tree (the page workers included, sampled every 0.1 s:
the sum of RSS, and of PSS, which counts the pages the forked processes share once),
and the accounting: every HTML response is an article or a reject exactly once, and every
other record a counted skip. Targets: the largest file's tree peak below 1 GB and within 1.2x
of the smallest's.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from memory import tree_rss_sampler  # a sibling script: its folder is on sys.path

PROJECT = Path(__file__).resolve().parents[1]
HOSTS = ["www.harbourgazette.example", "news.valleytimes.example", "www.northernpost.example",
         "www.cityledger.example", "www.coastalherald.example", "www.plainsobserver.example"]
SECTIONS = ["politics", "business", "sport", "culture", "science", "world"]
NAVIGATION = ["Home", "News", "Politics", "Business", "Sport", "Culture", "Opinion", "Weather",
              "Subscribe", "Sign in"]


def vocabulary() -> list[str]:
    """Real words: those of the seed pages, so that language detection sees English prose."""
    words = set()
    for path in sorted((PROJECT / "raw").glob("*.txt")):
        words.update(w.strip(".,;:!?\"'()").lower() for w in path.read_text(encoding="utf-8").split())
    return sorted(w for w in words if w.isalpha() and 2 <= len(w) <= 14)


def page_html(rng: random.Random, words: list[str], number: int, published: dt.date) -> bytes:
    def sentence() -> str:
        return " ".join(rng.choices(words, k=rng.randint(9, 24))).capitalize() + "."

    title = " ".join(rng.choices(words, k=8)).title()
    paragraphs = "".join(f"<p>{' '.join(sentence() for _ in range(rng.randint(3, 6)))}</p>\n"
                         for _ in range(rng.randint(6, 12)))
    state = rng.randbytes(4500).hex()  # an inline state blob: most of a page's compressed bytes
    nav = "".join(f'<li><a href="/{n.lower()}">{n}</a></li>' for n in NAVIGATION)
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<meta property=\"article:published_time\" content=\"{published.isoformat()}T08:00:00Z\">"
            f"<script>window.__STATE__=\"{state}\";</script></head><body>"
            f"<header><ul class=\"nav\">{nav}</ul></header><main><article><h1>{title}</h1>"
            f"<p class=\"byline\">By {rng.choice(words).title()} {rng.choice(words).title()}</p>"
            f"{paragraphs}</article></main><footer><p>Story {number}. All rights reserved.</p>"
            f"</footer></body></html>").encode("utf-8")


def warc_record(warc_type: str, uri: str, date: str, block: bytes, content_type: str, record_id: str) -> bytes:
    head = (f"WARC/1.1\r\nWARC-Type: {warc_type}\r\nWARC-Target-URI: {uri}\r\nWARC-Date: {date}\r\n"
            f"WARC-Record-ID: <urn:uuid:{record_id}>\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(block)}\r\n\r\n")
    return gzip.compress(head.encode() + block + b"\r\n\r\n", compresslevel=6, mtime=0)


class CrawlWriter:
    """Writes records, one gzip member each, counting them by kind (for the accounting)."""

    def __init__(self, out, rng: random.Random):
        self.out, self.rng = out, rng
        self.counts: Counter[str] = Counter()
        self.number = 0
        self.html_numbers: list[int] = []

    def record(self, kind: str, warc_type: str, uri: str, date: str, block: bytes, content_type: str) -> None:
        self.number += 1
        self.counts[kind] += 1
        if kind == "html":
            self.html_numbers.append(self.number)
        self.out.write(warc_record(warc_type, uri, date, block, content_type, self.rng.randbytes(16).hex()))

    def fetch(self, kind: str, uri: str, date: str, status: str, content_type: str, body: bytes) -> None:
        """A request, its response and a metadata record."""
        host, _, path = uri.removeprefix("https://").partition("/")
        request = f"GET /{path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
        self.record("request", "request", uri, date, request, "application/http; msgtype=request")
        http = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        self.record(kind, "response", uri, date, http.encode() + body, "application/http; msgtype=response")
        self.record("metadata", "metadata", uri, date, f"fetchTimeMs: {self.rng.randint(20, 900)}\r\n".encode(),
                    "application/warc-fields")


def write_crawl(path: Path, pages: int, seed: int = 16) -> dict[str, int]:
    """A CC-NEWS-like ``.warc.gz`` of ``pages`` HTML pages (and, every 50th and 100th page, an
    image and a redirect besides), each fetch a request, a response and a metadata record, after
    one warcinfo; returns the record counts by kind and the sum of the HTML records' numbers."""
    rng, words = random.Random(seed), vocabulary()
    with open(path, "wb") as out:
        crawl = CrawlWriter(out, rng)
        crawl.record("warcinfo", "warcinfo", "", "2024-01-01T00:00:00Z", b"software: crawl.py\r\n",
                     "application/warc-fields")
        for page in range(pages):
            host = HOSTS[page % len(HOSTS)]
            uri = f"https://{host}/{rng.choice(SECTIONS)}/{page:07d}-{rng.choice(words)}"
            published = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(730))
            date = f"{published.isoformat()}T09:{page % 60:02d}:00Z"
            crawl.fetch("html", uri, date, "200 OK", "text/html; charset=utf-8",
                        page_html(rng, words, page, published))
            if page % 50 == 7:
                crawl.fetch("image", f"{uri}.jpg", date, "200 OK", "image/jpeg", rng.randbytes(3000))
            if page % 100 == 13:
                crawl.fetch("redirect", f"{uri}/amp", date, "301 Moved Permanently", "text/html", b"")
    return {**crawl.counts, "records": crawl.number, "html_numbers_sum": sum(crawl.html_numbers)}


def measure(raw: str, out: str) -> dict:
    """One library run (in a fresh process): seconds and peaks, and the rows it wrote per record."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from decruft.store.dataset import Dataset
    from decruft.ingest import Settings, run

    stop, tree_peak = tree_rss_sampler(pss=True)
    started = time.perf_counter()
    report = run(Settings(raw=raw, out=out))
    seconds = time.perf_counter() - started
    stop.set()
    driver_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    dataset = Dataset(out)
    sources = dataset.articles().column("source_path").to_pylist()
    rejects = dataset.rejects().to_pylist() if dataset.rejects() is not None else []
    sources += [r["source_path"] for r in rejects]
    numbers = [int(s.rsplit("#", 1)[1]) for s in sources if "#" in s]
    return {"seconds": seconds, "driver_mb": driver_mb,
            "tree_mb": tree_peak[0] / 2**20, "pss_mb": tree_peak[1] / 2**20,
            "articles": report.totals.articles, "rejects": dict(report.totals.rejects),
            "rows": len(sources), "distinct": len(set(sources)), "numbers_sum": sum(numbers),
            "file_rejects": [r["reason"] for r in rejects if "#" not in r["source_path"]]}


def skipped_records(path: Path) -> Counter:
    """The records the reader counts as skips (not pages), reading the file as ingest does."""
    from decruft.read.containers import ReadStats, read_stream

    stats = ReadStats()
    with open(path, "rb") as handle:
        for _ in read_stream(path.name, handle.read, path.stat().st_size, None, stats=stats):
            pass
    return stats.skipped


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[2000, 20000],
                        help="HTML pages per file (each with a request and a metadata record)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--keep", type=Path, help="generate and ingest under this folder, and keep it")
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    base = args.keep or Path(tempfile.mkdtemp(prefix="decruft-crawl-"))
    results = {}
    for pages in args.records:
        raw = base / f"raw-{pages}"
        raw.mkdir(parents=True, exist_ok=True)
        crawl = raw / f"CC-NEWS-{pages}.warc.gz"
        started = time.perf_counter()
        counts = write_crawl(crawl, pages, args.seed)
        made = time.perf_counter() - started
        print(f"{pages} pages: {counts['records']} records, {crawl.stat().st_size / 2**20:.1f} MB compressed "
              f"(generated in {made:.0f} s); load before: {load()}", flush=True)
        done = subprocess.run([sys.executable, __file__, "--measure", str(raw), str(base / f"out-{pages}")],
                              capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(f"{pages} failed:\n{done.stderr[-3000:]}")
        results[pages] = r = json.loads(done.stdout.strip().splitlines()[-1])
        skipped = skipped_records(crawl)
        expected_skips = {"not_response": counts["warcinfo"] + counts["request"] + counts["metadata"],
                          "not_html": counts["image"], "http_status": counts["redirect"]}
        once = (r["rows"] == r["distinct"] == counts["html"] and r["numbers_sum"] == counts["html_numbers_sum"]
                and not r["file_rejects"] and dict(skipped) == expected_skips)
        print(f"  {r['seconds']:7.1f} s  {counts['html'] / r['seconds']:6.1f} docs/s  driver peak "
              f"{r['driver_mb']:7.1f} MB  process tree peak {r['tree_mb']:7.1f} MB RSS, {r['pss_mb']:7.1f} MB PSS"
              f"  load after: {load()}\n"
              f"  articles {r['articles']}  rejects {r['rejects']}  skipped {dict(skipped)}  "
              f"every record accounted for once: {once}", flush=True)
    sizes = sorted(results)
    if len(sizes) >= 2:
        small, large = results[sizes[0]], results[sizes[-1]]
        print(f"{sizes[-1]} vs {sizes[0]} pages: tree peak x{large['tree_mb'] / small['tree_mb']:.2f} (RSS), "
              f"x{large['pss_mb'] / max(small['pss_mb'], 1e-9):.2f} (PSS), "
              f"driver peak x{large['driver_mb'] / small['driver_mb']:.2f} (targets: <= 1.2, below 1024 MB)")


if __name__ == "__main__":
    main()
