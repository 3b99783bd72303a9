#!/usr/bin/env python3
"""Quality and speed of the plain-text cleaner on an evaluation corpus.

Reads JSON lines {"id", "url", "text", "gold_text"} (optionally gzipped), cleans
every page with ``clean_text`` and prints precision, recall and F1 with the metric
of the shared ``score.py``, the number of empty bodies, and documents per second of
cleaning alone (reading and scoring are not timed).

    .venv/bin/python benchmarks/quality.py [CORPUS] [--scorer PATH] [--preds OUT.jsonl]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from types import ModuleType

from decruft.evaluation import DEFAULT_EVAL_DIR, load_scorer, read_corpus
from decruft.extract.text import clean_text

DEFAULT_EVAL = DEFAULT_EVAL_DIR
DEFAULT_CORPUS = DEFAULT_EVAL / "scrapinghub-dev.text.jsonl.gz"
DEFAULT_SCORER = DEFAULT_EVAL / "score.py"


def clean_all(records: list[dict], repeat: int = 1) -> tuple[dict[str, str], float]:
    """Predicted bodies by id, and the best CPU time of ``repeat`` passes (other load on the machine does not count)."""
    best = float("inf")
    preds: dict[str, str] = {}
    for _ in range(repeat):
        started = time.process_time()
        preds = {r["id"]: "\n\n".join(clean_text(r["text"]).body) for r in records}
        best = min(best, time.process_time() - started)
    return preds, best


def evaluate(records: list[dict], scorer: ModuleType, repeat: int = 1) -> dict:
    """Score the cleaner on ``records``: P/R/F1, empty bodies, docs/s."""
    preds, seconds = clean_all(records, repeat)
    gold = {r["id"]: {"dataset": "all", "gold_text": r.get("gold_text") or ""} for r in records}
    metrics = scorer.score_predictions(gold, preds)["all"]
    metrics["docs_per_second"] = len(records) / seconds if seconds else float("inf")
    metrics["preds"] = preds
    return metrics


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--scorer", type=Path, default=DEFAULT_SCORER, help="path of score.py")
    ap.add_argument("--preds", type=Path, help="also write predictions {id, text} as JSON lines here")
    ap.add_argument("--repeat", type=int, default=5, help="timing passes; the fastest counts")
    args = ap.parse_args(argv)

    records = read_corpus(args.corpus)
    m = evaluate(records, load_scorer(args.scorer), args.repeat)
    if args.preds:
        with open(args.preds, "w", encoding="utf-8") as fh:
            for doc_id, text in m["preds"].items():
                fh.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")
    print(f"corpus     {args.corpus} ({m['n']} documents)")
    print(f"precision  {m['precision']:.3f}")
    print(f"recall     {m['recall']:.3f}")
    print(f"F1         {m['f1']:.3f}")
    print(f"empty      {m['empty']}")
    print(f"speed      {m['docs_per_second']:,.0f} docs/s (cleaning only, one core)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
