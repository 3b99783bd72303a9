"""extract_html keeps its measured quality on the evaluation dev split (HTML variant).

Measured with benchmarks/html_quality.py: F1 0.973, no empty body (trafilatura default 0.955).
The floor sits a little below, so noise passes and a real regression fails.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from decruft.evaluation import load_scorer, read_corpus
from decruft.extract.html import extract_html

EVAL_DIR = Path(__file__).parents[1].parent / "shared/eval"
CORPUS = EVAL_DIR / "scrapinghub-dev.html.jsonl.gz"
F1_FLOOR = 0.968
MAX_EMPTY = 1

pytestmark = pytest.mark.skipif(not CORPUS.is_file(), reason=f"evaluation split not found at {EVAL_DIR}")


def test_dev_split_f1_and_empty_bodies() -> None:
    pages = read_corpus(CORPUS)
    predictions = {page["id"]: "\n".join(extract_html(page["html"], url=page["url"]).body) for page in pages}
    gold = {page["id"]: {"dataset": "dev", "gold_text": page["gold_text"]} for page in pages}
    metrics = load_scorer(EVAL_DIR / "score.py").score_predictions(gold, predictions)["dev"]
    assert metrics["empty"] <= MAX_EMPTY
    assert metrics["f1"] >= F1_FLOOR, f"F1 {metrics['f1']:.4f} (P {metrics['precision']:.4f}, R {metrics['recall']:.4f})"
