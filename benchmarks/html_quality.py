"""HTML benchmark: decruft against trafilatura's default extraction, side by side in one run.

Reads a corpus of ``{"id", "url", "html", "gold_text"}`` JSON lines (the evaluation split's
format) and runs every page through three systems:

- ``trafilatura``: ``trafilatura.extract`` with its defaults but ``include_comments=False``
  (comments are not article text), on the page as a string;
- ``decruft extraction``: ``decruft.extract.html.extract_html`` alone, on the same string;
- ``decruft end to end``: what an ingest batch does with a page's bytes (held in memory, as
  trafilatura's string is): detect the format, decode, extract, enrich (outlet, dates, authors,
  language) into a record, then write all records as one batch of Parquet parts with their
  manifest (``decruft.dataset``) into a temporary folder.

It prints precision, recall, F1 and empty bodies (the split's own ``score.py``) and documents
per second. The systems take turns in every round, in a rotating order, so load from other
processes falls on all of them; each speed and each speed ratio is the median over the rounds
(a ratio is taken within one round). The end-to-end target is a ratio of at least 1.

    .venv/bin/python benchmarks/html_quality.py [--corpus PATH] [--scorer PATH] [--preds DIR] [--rounds N]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType

import trafilatura

from decruft.containers import read_source
from decruft.dataset import Dataset, batch_key
from decruft.evaluation import DEFAULT_EVAL_DIR, load_scorer, read_corpus
from decruft.extract.html import extract_html
from decruft.models import RawDocument
from decruft.pipeline import Context, process_document

EVAL_DIR = DEFAULT_EVAL_DIR
TRAFILATURA, EXTRACTION, END_TO_END = "trafilatura", "decruft extraction", "decruft end to end"

System = Callable[[list[dict]], dict[str, str]]


def trafilatura_texts(pages: list[dict]) -> dict[str, str]:
    return {page["id"]: trafilatura.extract(page["html"], url=page.get("url"), include_comments=False) or ""
            for page in pages}


def extraction_texts(pages: list[dict]) -> dict[str, str]:
    return {page["id"]: "\n".join(extract_html(page["html"], url=page.get("url")).body) for page in pages}


def end_to_end_texts(pages: list[dict], ctx: Context, out_root: Path) -> dict[str, str]:
    """An ingest batch's steps, in this process, from bytes in memory; the bodies written, by id."""
    records, rejects = [], []
    for page in pages:
        for item in read_source(page["source_path"], page["bytes"], limits=ctx.limits):
            if isinstance(item, RawDocument):
                item.metadata, item.metadata_origin = {"url": page["url"]}, "sidecar"
                item = process_document(item, ctx)
            (records if isinstance(item, dict) else rejects).append(item)
    files = [(page["source_path"], page["sha256"]) for page in pages]
    out = tempfile.mkdtemp(dir=out_root)
    Dataset(out).write_batch(batch_key(files), records, rejects, files, ctx.ingested_at)
    body_of = {record["source_path"]: record["body"] for record in records}
    return {page["id"]: body_of.get(page["source_path"], "") for page in pages}


def as_raw_pages(pages: list[dict]) -> list[dict]:
    """The pages as a raw folder would hold them: UTF-8 bytes under a file name, with their hash."""
    raw = []
    for number, page in enumerate(pages):
        data = page["html"].encode("utf-8")
        raw.append({**page, "source_path": f"{number:04d}.html", "bytes": data,
                    "sha256": hashlib.sha256(data).hexdigest()})
    return raw


def timed(system: System, pages: list[dict]) -> tuple[dict[str, str], float]:
    """Predictions by page id, and pages per second."""
    start = time.perf_counter()
    predictions = system(pages)
    return predictions, len(pages) / (time.perf_counter() - start)


def score_run(scorer: ModuleType, pages: list[dict], predictions: dict[str, str]) -> dict:
    gold = {page["id"]: {"dataset": "all", "gold_text": page["gold_text"]} for page in pages}
    return scorer.score_predictions(gold, predictions)["all"]


def race(systems: dict[str, System], pages: list[dict], rounds: int
         ) -> tuple[dict[str, dict[str, str]], dict[str, list[float]]]:
    """Each system's predictions and its docs/s in every round; the order rotates by round."""
    for system in systems.values():
        system(pages[:1])  # warm caches (tld list, rules, language profiles) outside the clock
    names = list(systems)
    predictions: dict[str, dict[str, str]] = {}
    speeds: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            predictions[name], speed = timed(systems[name], pages)
            speeds[name].append(speed)
    return predictions, speeds


def evaluate(corpus: list[dict], scorer: ModuleType, preds_dir: Path | None = None, rounds: int = 9
             ) -> tuple[dict[str, dict], dict[str, float]]:
    """Each system's metrics with its median ``docs_per_s``, and the median speed ratios."""
    pages = as_raw_pages(corpus)
    with tempfile.TemporaryDirectory(prefix="decruft-bench-") as out_root:
        systems: dict[str, System] = {
            TRAFILATURA: trafilatura_texts, EXTRACTION: extraction_texts,
            END_TO_END: partial(end_to_end_texts, ctx=Context(), out_root=Path(out_root))}
        predictions, speeds = race(systems, pages, rounds)
    results = {}
    for name in systems:
        results[name] = {**score_run(scorer, pages, predictions[name]),
                         "docs_per_s": statistics.median(speeds[name])}
        if preds_dir is not None:
            write_predictions(preds_dir / f"{name.replace(' ', '_')}.jsonl", predictions[name])
    ratios = {name: statistics.median(a / b for a, b in zip(speeds[name], speeds[TRAFILATURA]))
              for name in (EXTRACTION, END_TO_END)}
    return results, ratios


def write_predictions(path: Path, predictions: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for page_id, text in predictions.items():
            out.write(json.dumps({"id": page_id, "text": text}, ensure_ascii=False) + "\n")


#: What each row of the report measures.
LEGEND = {
    TRAFILATURA: "trafilatura.extract(html), defaults but include_comments=False, on the page as a str",
    EXTRACTION: "decruft.extract.html.extract_html alone, on the same str",
    END_TO_END: "the page's bytes -> format detection, decoding, extraction, enrichment "
                "(outlet, dates, authors, language) -> Parquet parts and manifest",
}


def report(results: dict[str, dict], ratios: dict[str, float], pages: int, rounds: int) -> str:
    rows = [f"{pages} pages, {rounds} rounds in one process; docs/s and ratios are medians over the rounds"]
    rows += [f"  {name}: {what}" for name, what in LEGEND.items()]
    rows.append(f"{'system':<20} {'P':>6} {'R':>6} {'F1':>6} {'empty':>5} {'docs/s':>7}")
    for name, m in results.items():
        rows.append(f"{name:<20} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['empty']:5d} "
                    f"{m['docs_per_s']:7.1f}")
    rows.append(f"extraction speed, decruft extract_html / trafilatura extract: {ratios[EXTRACTION]:.2f}")
    rows.append(f"end-to-end speed, decruft bytes->Parquet / trafilatura extract alone: "
                f"{ratios[END_TO_END]:.2f} (target >= 1.00)")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=EVAL_DIR / "scrapinghub-dev.html.jsonl.gz")
    parser.add_argument("--scorer", type=Path, default=EVAL_DIR / "score.py")
    parser.add_argument("--preds", type=Path, help="also write each system's predictions here (JSON lines)")
    parser.add_argument("--rounds", type=int, default=9, help="timing rounds (default: 9)")
    args = parser.parse_args(argv)
    rounds, corpus = max(1, args.rounds), read_corpus(args.corpus)
    results, ratios = evaluate(corpus, load_scorer(args.scorer), args.preds, rounds)
    print(report(results, ratios, len(corpus), rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
