"""extract_html keeps its measured quality on both evaluation dev splits (HTML variant).

Measured with benchmarks/html_quality.py and the splits' score.py: scrapinghub-dev F1 .975
(.9747), no empty body (trafilatura default .955, 0 empty); dragnet-dev F1 .921 (.9207), 1 empty
body (trafilatura default .901, 1 empty; the page is an error page without text).
The floors sit a little below, so noise passes and a real regression fails.
"""
from __future__ import annotations


import pytest

from decruft.evaluation import load_scorer, read_corpus
from decruft.extract.html import extract_html
from tests.support import SHARED_EVAL as EVAL_DIR

# split: (F1 floor, most empty bodies: never more than trafilatura's default)
FLOORS = {
    "scrapinghub-dev": (0.974, 0),
    "dragnet-dev": (0.920, 1),
}


@pytest.mark.parametrize("split", FLOORS)
def test_dev_split_f1_and_empty_bodies(split: str) -> None:
    corpus = EVAL_DIR / f"{split}.html.jsonl.gz"
    if not corpus.is_file():
        pytest.skip(f"evaluation split not found at {corpus}")
    f1_floor, max_empty = FLOORS[split]
    pages = read_corpus(corpus)
    predictions = {page["id"]: "\n".join(extract_html(page["html"], url=page["url"]).body) for page in pages}
    gold = {page["id"]: {"dataset": "dev", "gold_text": page["gold_text"]} for page in pages}
    metrics = load_scorer(EVAL_DIR / "score.py").score_predictions(gold, predictions)["dev"]
    assert metrics["empty"] <= max_empty
    assert metrics["f1"] >= f1_floor, f"F1 {metrics['f1']:.4f} (P {metrics['precision']:.4f}, R {metrics['recall']:.4f})"
