"""HTML benchmark: decruft beside the extractors it must beat, side by side in one run, per split.

Reads corpora of ``{"id", "url", "html", "gold_text"}`` JSON lines (the evaluation splits'
format; both dev splits by default) and runs every page through these systems:

- ``trafilatura``: ``trafilatura.extract`` with its defaults but ``include_comments=False``
  (comments are not article text), on the page as a string;
- ``trafilatura prec``: the same with ``favor_precision=True``;
- ``readability``: readability-lxml's ``Document(html).summary()``, its text one block a line;
- ``resiliparse``: resiliparse's ``extract_plain_text(main_content=True)`` (a fast extractor
  that fails differently; for reference);
- ``decruft extraction``: ``decruft.extract.html.extract_html`` alone, on the same string;
- ``decruft end to end``: what an ingest batch does with a page's bytes (held in memory, as
  trafilatura's string is): detect the format, decode, extract, enrich (outlet, dates, authors,
  language) into a record, then write all records as one batch of Parquet parts with their
  manifest (``decruft.store.dataset``) into a temporary folder.

It prints precision, recall, F1 and empty bodies (the split's own ``score.py``) and documents
per second. The systems take turns in every round, in a rotating order, so load from other
processes falls on all of them; each speed and each speed ratio is the median over the rounds
(a ratio is taken within one round): the last column is decruft end to end's speed over the
system's. The end-to-end target is a ratio of at least 1 against trafilatura. The anchors need
the dev extra (``pip install -e ".[dev]"``); a missing one is left out.

    .venv/bin/python benchmarks/html_quality.py [--corpus PATH ...] [--scorer PATH] [--preds DIR] [--rounds N]
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

from decruft.read.containers import read_source
from decruft.store.dataset import Dataset, batch_key
from decruft.evaluation import DEFAULT_EVAL_DIR, load_scorer, read_corpus
from decruft.extract.html import extract_html, parse_html, visible_lines
from decruft.models import RawDocument
from decruft.page import Context, process_document

EVAL_DIR = DEFAULT_EVAL_DIR
DEFAULT_CORPORA = (EVAL_DIR / "scrapinghub-dev.html.jsonl.gz", EVAL_DIR / "dragnet-dev.html.jsonl.gz")
TRAFILATURA, EXTRACTION, END_TO_END = "trafilatura", "decruft extraction", "decruft end to end"
PRECISION, READABILITY, RESILIPARSE = "trafilatura prec", "readability", "resiliparse"
EXTRACTION_RATIO = "extraction / trafilatura"

System = Callable[[list[dict]], dict[str, str]]


def trafilatura_texts(pages: list[dict]) -> dict[str, str]:
    return {page["id"]: trafilatura.extract(page["html"], url=page.get("url"), include_comments=False) or ""
            for page in pages}


def precision_texts(pages: list[dict]) -> dict[str, str]:
    return {page["id"]: trafilatura.extract(page["html"], url=page.get("url"), include_comments=False,
                                            favor_precision=True) or ""
            for page in pages}


def readability_system() -> System | None:
    try:
        from readability import Document
    except ImportError:
        return None

    def readability_texts(pages: list[dict]) -> dict[str, str]:
        texts = {}
        for page in pages:
            try:
                summary = Document(page["html"]).summary(html_partial=True)
            except Exception:  # noqa: BLE001 - an anchor failing on a page scores it empty
                summary = ""
            tree = parse_html(summary) if summary else None
            texts[page["id"]] = "\n".join(visible_lines(tree)) if tree is not None else ""
        return texts
    return readability_texts


def resiliparse_system() -> System | None:
    try:
        from resiliparse.extract.html2text import extract_plain_text
    except ImportError:
        return None

    def resiliparse_texts(pages: list[dict]) -> dict[str, str]:
        return {page["id"]: extract_plain_text(page["html"], main_content=True, comments=False)
                for page in pages}
    return resiliparse_texts


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
        anchors = {TRAFILATURA: trafilatura_texts, PRECISION: precision_texts,
                   READABILITY: readability_system(), RESILIPARSE: resiliparse_system()}
        systems: dict[str, System] = {
            **{name: system for name, system in anchors.items() if system is not None},
            EXTRACTION: extraction_texts,
            END_TO_END: partial(end_to_end_texts, ctx=Context(), out_root=Path(out_root))}
        predictions, speeds = race(systems, pages, rounds)
    results = {}
    for name in systems:
        results[name] = {**score_run(scorer, pages, predictions[name]),
                         "docs_per_s": statistics.median(speeds[name])}
        if preds_dir is not None:
            write_predictions(preds_dir / f"{name.replace(' ', '_')}.jsonl", predictions[name])
    ratios = {name: statistics.median(a / b for a, b in zip(speeds[END_TO_END], speeds[name]))
              for name in systems}
    ratios[EXTRACTION_RATIO] = statistics.median(a / b for a, b in zip(speeds[EXTRACTION], speeds[TRAFILATURA]))
    return results, ratios


def write_predictions(path: Path, predictions: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for page_id, text in predictions.items():
            out.write(json.dumps({"id": page_id, "text": text}, ensure_ascii=False) + "\n")


#: What each row of the report measures.
LEGEND = {
    TRAFILATURA: "trafilatura.extract(html), defaults but include_comments=False, on the page as a str",
    PRECISION: "the same with favor_precision=True",
    READABILITY: "readability-lxml Document(html).summary(), one block a line",
    RESILIPARSE: "resiliparse extract_plain_text(html, main_content=True, comments=False)",
    EXTRACTION: "decruft.extract.html.extract_html alone, on the same str",
    END_TO_END: "the page's bytes -> format detection, decoding, extraction, enrichment "
                "(outlet, dates, authors, language) -> Parquet parts and manifest",
}


def report(corpus: Path, results: dict[str, dict], ratios: dict[str, float], pages: int, rounds: int) -> str:
    rows = [f"{corpus.name}: {pages} pages, {rounds} rounds in one process; docs/s and ratios are medians "
            "over the rounds; 'e2e x': decruft end to end's docs/s over the system's"]
    rows.append(f"{'system':<20} {'P':>6} {'R':>6} {'F1':>6} {'empty':>5} {'docs/s':>7} {'e2e x':>6}")
    for name, m in results.items():
        rows.append(f"{name:<20} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['empty']:5d} "
                    f"{m['docs_per_s']:7.1f} {ratios[name]:6.2f}")
    rows.append(f"extraction speed, decruft extract_html / trafilatura extract: {ratios[EXTRACTION_RATIO]:.2f}")
    rows.append(f"end-to-end speed, decruft bytes->Parquet / trafilatura extract alone: "
                f"{ratios[TRAFILATURA]:.2f} (target >= 1.00)")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                     allow_abbrev=False)
    parser.add_argument("--corpus", type=Path, action="append",
                        help="a corpus (repeatable; default: both dev splits)")
    parser.add_argument("--scorer", type=Path, default=EVAL_DIR / "score.py")
    parser.add_argument("--preds", type=Path, help="also write each system's predictions here (JSON lines)")
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds (default: 3)")
    args = parser.parse_args(argv)
    rounds, scorer = max(1, args.rounds), load_scorer(args.scorer)
    print("\n".join(f"  {name}: {what}" for name, what in LEGEND.items()))
    for path in args.corpus or DEFAULT_CORPORA:
        corpus = read_corpus(path)
        preds_dir = args.preds / path.name.split(".")[0] if args.preds else None
        results, ratios = evaluate(corpus, scorer, preds_dir, rounds)
        print(report(path, results, ratios, len(corpus), rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
