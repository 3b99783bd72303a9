"""Time enrichment per document: outlet resolution, date choice, credits and language.

Runs over the seed pages (raw/*.txt) and the dev eval plain-text pages. The inputs an
extractor would hand over (header date lines, bylines, credit lines, body) are cut out
of each page beforehand with simple rules, so only the enrichment calls are timed.

    .venv/bin/python benchmarks/enrichment.py [--eval PATH] [--repeat N] [--show-dates]

Prints median and p95 milliseconds per document (target: median <= 3 ms), and how
many pages got a publication date from their header text or their URL.
"""
from __future__ import annotations

import argparse
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from decruft.enrich.credits import parse_byline, parse_credit_line
from decruft.enrich.dates import choose_publication_date
from decruft.evaluation import DEFAULT_EVAL_DIR, read_corpus
from decruft.enrich.language import detect_language
from decruft.outlets import load_registry

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_EVAL = DEFAULT_EVAL_DIR / "scrapinghub-dev.text.jsonl.gz"
HEADER_LINES = 80  # the header zone: title, byline and date sit near the top
BYLINE_RE = re.compile(r"^\s*(?:by|von|par|por|di|door|written by)\s+\S", re.IGNORECASE)
CREDIT_RE = re.compile(r"\((?:[^()]*)\)\s*$")


@dataclass
class Page:
    """One page and the pieces an extractor would pass to enrichment."""

    name: str
    url: str | None
    text: str
    body: str
    date_lines: list[str]
    bylines: list[str]
    credit_lines: list[str]


def _page(name: str, url: str | None, text: str, body: str) -> Page:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    header = lines[:HEADER_LINES]
    return Page(
        name=name,
        url=url,
        text=text,
        body=body,
        date_lines=[line for line in header if len(line) <= 120 and any(c.isdigit() for c in line)],
        bylines=[line for line in header if BYLINE_RE.match(line) and len(line) <= 120],
        credit_lines=[line for line in lines[-5:] if CREDIT_RE.search(line) and len(line) <= 80],
    )


def load_pages(eval_path: Path) -> list[Page]:
    pages = [_page(path.name, None, text, text)
             for path in sorted((ROOT / "raw").glob("*.txt"))
             for text in [path.read_text(encoding="utf-8")]]
    if eval_path.exists():
        pages += [_page(row["id"][:12], row["url"], row["text"], row["gold_text"]) for row in read_corpus(eval_path)]
    return pages


def enrich(page: Page, registry) -> tuple:
    """All enrichment calls the pipeline makes for one page."""
    resolution = registry.resolve(metadata=None, folder=None, url=page.url, text=page.text)
    published = choose_publication_date(text=page.date_lines, url=page.url, profile=resolution.profile)
    authors = [name for line in page.bylines for name in parse_byline(line, registry)]
    credits = [parse_credit_line(line, registry) for line in page.credit_lines]
    language = detect_language(page.body)
    return resolution, published, authors, credits, language


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--show-dates", action="store_true", help="print each page's chosen date")
    args = parser.parse_args()

    registry = load_registry()
    pages = load_pages(args.eval)
    enrich(pages[0], registry)  # load langdetect profiles and compile regexes once

    timings: list[float] = []
    results = {}
    for _ in range(args.repeat):
        for page in pages:
            start = time.perf_counter()
            results[page.name] = enrich(page, registry)
            timings.append(time.perf_counter() - start)

    timings.sort()
    median = statistics.median(timings) * 1000
    p95 = timings[int(0.95 * (len(timings) - 1))] * 1000
    print(f"{len(pages)} pages x {args.repeat}: median {median:.3f} ms, p95 {p95:.3f} ms per document")

    sources = Counter(r[1].source if r[1] else "none" for r in results.values())
    print("publication date source:", dict(sources))
    if args.show_dates:
        for page in pages:
            resolution, published, authors, _, language = results[page.name]
            when = f"{published.date} {published.precision} {published.source} {published.raw!r}" if published else "-"
            print(f"{page.name:14} {resolution.outlet_id or '-':22} {language[0]:3} {when} {authors}")


if __name__ == "__main__":
    main()
