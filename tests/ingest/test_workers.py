"""Page workers kept between the batches of a run: reused for the same key only, never with pages owed."""
from __future__ import annotations

import subprocess
import sys

import pytest

from decruft.ingest.workers import close_idle_workers, guarded_stream
from decruft.models import Limits
from tests.test_guard import _doc, _make_worker


def test_a_kept_worker_serves_the_next_stream_of_its_key_only():
    limits = Limits()
    with guarded_stream(_make_worker, limits, key="one") as stream:
        first = list(stream([_doc("a")]))[0]["pid"]
    with guarded_stream(_make_worker, limits, key="one") as stream:
        again = list(stream([_doc("b")]))[0]["pid"]
    with guarded_stream(_make_worker, limits, key="two") as stream:
        other = list(stream([_doc("c")]))[0]["pid"]
    close_idle_workers()
    assert first == again != other
    with guarded_stream(_make_worker, limits, key="one") as stream:
        fresh = list(stream([_doc("d")]))[0]["pid"]
    close_idle_workers()
    assert fresh != first


def test_a_stream_left_with_pages_owed_is_not_kept():
    limits = Limits()
    with pytest.raises(RuntimeError):
        with guarded_stream(_make_worker, limits, key="broken") as stream:
            next(stream([_doc("a"), _doc("b")]))
            raise RuntimeError("the batch failed")
    with guarded_stream(_make_worker, limits, key="broken") as stream:
        assert [r["source_path"] for r in stream([_doc("c")])] == ["c"]
    close_idle_workers()


def test_the_warm_up_builds_the_patterns_a_page_compiles_on_first_use():
    """Page workers are forked from a process that has warmed up: in a fresh interpreter, the
    warm-up leaves built the patterns a text page's footer and header compile when first used
    (which otherwise cost a fresh worker's first page about a tenth of a second of its time limit)."""
    probe = ("from decruft.extract import text; from decruft.extract.rules import default_rules; "
             "from decruft.page import warm_up; "
             "built = lambda: [text._AGENCY_CREDIT._match is not None, default_rules().credit._match is not None]; "
             "before = built(); warm_up(); print(before, built())")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["[False,", "False]", "[True,", "True]"]
