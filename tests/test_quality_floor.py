"""The cleaner must not fall below its measured quality on the dev split (speed: benchmarks/quality.py)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

EVAL = Path(__file__).parents[1].parent / "shared/eval"
CORPUS = EVAL / "scrapinghub-dev.text.jsonl.gz"

# measured: see benchmarks/quality.py; floors sit a little below
F1_FLOOR = 0.92
PRECISION_FLOOR = 0.915
MAX_EMPTY = 2

pytestmark = pytest.mark.skipif(not CORPUS.exists(), reason=f"evaluation corpus not found at {CORPUS}")


@pytest.fixture(scope="module")
def metrics():
    bench_path = Path(__file__).parents[1] / "benchmarks" / "quality.py"
    spec = importlib.util.spec_from_file_location("quality_benchmark", bench_path)
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    return bench.evaluate(bench.read_corpus(CORPUS), bench.load_scorer(EVAL / "score.py"), repeat=1)


def test_f1_floor(metrics):
    assert metrics["f1"] >= F1_FLOOR


def test_precision_floor(metrics):
    assert metrics["precision"] >= PRECISION_FLOOR


def test_few_empty_bodies(metrics):
    assert metrics["empty"] <= MAX_EMPTY
