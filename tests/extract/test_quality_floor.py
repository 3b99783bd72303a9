"""The cleaner must not fall below its measured quality on either dev split (speed: benchmarks/quality.py).

Measured with ``benchmarks/quality.py``: scrapinghub-dev F1 .9411 (P .9462), no empty body;
dragnet-dev F1 .8822 (P .9108), 2 empty bodies. The cleaner is deterministic, so the floors sit
just below those figures: any change that loses quality on either split fails.
"""
from __future__ import annotations

import importlib.util
import sys

import pytest
from tests.support import SHARED_EVAL as EVAL
from tests.support import PROJECT


# split: (F1 floor, precision floor, most empty bodies)
FLOORS = {
    "scrapinghub-dev": (0.941, 0.946, 0),
    "dragnet-dev": (0.882, 0.910, 2),
}


@pytest.fixture(scope="module")
def bench():
    bench_path = PROJECT / "benchmarks" / "quality.py"
    spec = importlib.util.spec_from_file_location("quality_benchmark", bench_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("split", FLOORS)
def test_quality_floor(bench, split):
    corpus = EVAL / f"{split}.text.jsonl.gz"
    if not corpus.exists():
        pytest.skip(f"evaluation corpus not found at {corpus}")
    f1_floor, precision_floor, max_empty = FLOORS[split]
    metrics = bench.evaluate(bench.read_corpus(corpus), bench.load_scorer(EVAL / "score.py"), repeat=1)
    summary = f"F1 {metrics['f1']:.4f}, P {metrics['precision']:.4f}, R {metrics['recall']:.4f}, empty {metrics['empty']}"
    assert metrics["f1"] >= f1_floor, summary
    assert metrics["precision"] >= precision_floor, summary
    assert metrics["empty"] <= max_empty, summary
