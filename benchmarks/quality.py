#!/usr/bin/env python3
"""Quality and speed of the plain-text cleaner beside the anchors it must beat, per dev split.

Reads JSON lines {"id", "url", "text", "gold_text"} (optionally gzipped) and cleans every
page with three systems:

- ``decruft``: ``decruft.extract.text.clean_text``;
- ``c4 line filter``: the C4 corpus's line heuristics (keep a line ending in terminal
  punctuation with at least five words and no "javascript"; a page with fewer than three
  such lines gives nothing);
- ``boilerpy3 lines``: boilerpy3's ArticleExtractor on the page written as one ``<p>`` per line.

It prints precision, recall and F1 (the split's own ``score.py``), empty bodies, documents
per second (CPU time of cleaning alone, the fastest of ``--repeat`` passes, so load from
other processes counts little) and how many times faster decruft is than each anchor.
Anchors need the dev extra (``pip install -e ".[dev]"``); a missing one is left out.

    .venv/bin/python benchmarks/quality.py [CORPUS ...] [--scorer PATH] [--preds DIR] [--repeat N]
"""
from __future__ import annotations

import argparse
import html
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from decruft.evaluation import DEFAULT_EVAL_DIR, load_scorer, read_corpus
from decruft.extract.text import clean_text

DEFAULT_EVAL = DEFAULT_EVAL_DIR
DEFAULT_CORPORA = (DEFAULT_EVAL / "scrapinghub-dev.text.jsonl.gz", DEFAULT_EVAL / "dragnet-dev.text.jsonl.gz")
DEFAULT_SCORER = DEFAULT_EVAL / "score.py"
DECRUFT = "decruft"

Cleaner = Callable[[str], str]


def decruft_text(text: str) -> str:
    return "\n\n".join(clean_text(text).body)


_TERMINAL = (".", "!", "?", '"', "”", "…", "'", "’")


def c4_text(text: str) -> str:
    """C4's line filter (Raffel et al. 2020, section 2.2) on one page."""
    kept = [line.strip() for line in text.splitlines()]
    kept = [line for line in kept if line.endswith(_TERMINAL) and len(line.split()) >= 5
            and "javascript" not in line.lower()]
    return "\n".join(kept) if len(kept) >= 3 else ""


def boilerpy3_cleaner() -> Cleaner | None:
    try:
        from boilerpy3.extractors import ArticleExtractor
    except ImportError:
        return None
    extractor = ArticleExtractor(raise_on_failure=False)

    def boilerpy3_text(text: str) -> str:
        page = "".join(f"<p>{html.escape(line)}</p>\n" for line in text.splitlines() if line.strip())
        return extractor.get_content(f"<html><body>{page}</body></html>") or ""
    return boilerpy3_text


def systems() -> dict[str, Cleaner]:
    found: dict[str, Cleaner | None] = {DECRUFT: decruft_text, "c4 line filter": c4_text,
                                        "boilerpy3 lines": boilerpy3_cleaner()}
    return {name: cleaner for name, cleaner in found.items() if cleaner is not None}


def clean_all(records: list[dict], repeat: int = 1, cleaner: Cleaner = decruft_text
              ) -> tuple[dict[str, str], float]:
    """Predicted bodies by id, and the best CPU time of ``repeat`` passes (other load on the machine does not count)."""
    best = float("inf")
    preds: dict[str, str] = {}
    for _ in range(repeat):
        started = time.process_time()
        preds = {r["id"]: cleaner(r["text"]) for r in records}
        best = min(best, time.process_time() - started)
    return preds, best


def evaluate(records: list[dict], scorer: ModuleType, repeat: int = 1, cleaner: Cleaner = decruft_text) -> dict:
    """Score one cleaner on ``records``: P/R/F1, empty bodies, docs/s."""
    preds, seconds = clean_all(records, repeat, cleaner)
    gold = {r["id"]: {"dataset": "all", "gold_text": r.get("gold_text") or ""} for r in records}
    metrics = scorer.score_predictions(gold, preds)["all"]
    metrics["docs_per_second"] = len(records) / seconds if seconds else float("inf")
    metrics["preds"] = preds
    return metrics


def report(corpus: Path, results: dict[str, dict]) -> str:
    n = next(iter(results.values()))["n"]
    rows = [f"{corpus.name} ({n} documents)",
            f"  {'system':<16} {'P':>6} {'R':>6} {'F1':>6} {'empty':>5} {'docs/s':>8} {'decruft x':>9}"]
    ours = results[DECRUFT]["docs_per_second"]
    for name, m in results.items():
        ratio = ours / m["docs_per_second"] if m["docs_per_second"] else float("inf")
        rows.append(f"  {name:<16} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['empty']:5d} "
                    f"{m['docs_per_second']:8,.0f} {ratio:9.2f}")
    return "\n".join(rows)


def write_predictions(path: Path, preds: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for doc_id, text in preds.items():
            fh.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                 allow_abbrev=False)
    ap.add_argument("corpora", nargs="*", type=Path, default=list(DEFAULT_CORPORA))
    ap.add_argument("--scorer", type=Path, default=DEFAULT_SCORER, help="path of score.py")
    ap.add_argument("--preds", type=Path, help="also write each system's predictions {id, text} here")
    ap.add_argument("--repeat", type=int, default=5, help="timing passes; the fastest counts")
    args = ap.parse_args(argv)

    scorer = load_scorer(args.scorer)
    print("docs/s: CPU time of cleaning alone, one core, fastest of "
          f"{args.repeat} passes; 'decruft x': decruft's docs/s over the system's")
    for corpus in args.corpora:
        records = read_corpus(corpus)
        results = {name: evaluate(records, scorer, args.repeat, cleaner) for name, cleaner in systems().items()}
        if args.preds:
            for name, m in results.items():
                write_predictions(args.preds / f"{corpus.name.split('.')[0]}.{name.replace(' ', '_')}.jsonl",
                                  m["preds"])
        print(report(corpus, results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
