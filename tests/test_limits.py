"""Input limits: validated, and applied by the library."""
from __future__ import annotations

import time

import pytest

from conftest import RAW, SEED_NAMES
from decruft.guard import GuardedProcessor
from decruft.models import Limits, RawDocument
from decruft.pipeline import clean, make_context


def longest_line(text: str) -> int:
    return max(len(line) for line in text.split("\n"))


@pytest.mark.parametrize("field", ["max_file_bytes", "max_line_chars", "document_timeout_s"])
@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf")])
def test_limits_must_be_positive_numbers(field, value):
    with pytest.raises(ValueError, match=field):
        Limits(**{field: value})


def test_options_are_megabytes_and_seconds():
    limits = Limits.from_options(max_file_mb=1.5, max_decompressed_mb=2, max_document_mb=0.5,
                                 max_line_chars=80, doc_timeout=2.5)
    assert limits.max_file_bytes == 1536 * 1024 and limits.max_document_bytes == 512 * 1024
    assert limits.document_timeout_s == 2.5
    assert Limits.from_options(**Limits().options()) == Limits()


def test_long_lines_of_a_text_page_are_cut_but_html_is_whole():
    page = (RAW / SEED_NAMES[0]).read_bytes()
    assert longest_line(page.decode()) > 400
    context = make_context(limits=Limits(max_line_chars=300))
    assert longest_line(clean(page, name="page.txt", context=context)["body"]) == 300
    html = clean((RAW / "polygraph_fact_check_al_tanf.html").read_bytes(), name="page.html", context=context)
    assert longest_line(html["body"]) > 300


def _slow_to_start() -> object:
    time.sleep(1.0)
    return _echo


def _echo(doc: RawDocument) -> dict:
    return {"source_path": doc.source_path}


def test_a_child_starting_slowly_does_not_use_up_the_first_pages_time():
    doc = RawDocument("a.txt", b"text", "0" * 64, "text")
    with GuardedProcessor(_slow_to_start, timeout_s=0.5) as guarded:
        assert guarded(doc) == {"source_path": "a.txt"}
