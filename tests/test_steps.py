"""The names of a run's step counters: every extractor path a page can take is one of
``steps.ExtractPath``, and stages are timed as work, not as the caller's time between items."""
from __future__ import annotations

import time
from collections import Counter

from tests.support import CRUFT_ONLY, KNOWN_PAGE
from decruft.extract.boilerplate import LearntTable, line_key
from decruft.models import RawDocument, Reject
from decruft.page import Context, boilerplate_group, make_context, process_page
from decruft.steps import ExtractPath, Stage, Stopwatch

HEADLINE_ONLY = (b"<html><head><title>Photos of the harbour at dawn after the storm</title></head><body>"
                 b"<article><h1>Photos of the harbour at dawn after the storm</h1><p>By Jane Smith</p>"
                 b"</article></body></html>")


def page(data: bytes, source_format: str, ctx: Context | None = None):
    return process_page(RawDocument("page", data, "0" * 64, source_format), ctx or make_context())


def table_of(lines: list[str]) -> LearntTable:
    """A learnt table holding the lines as boilerplate of the pages outside any folder."""
    return LearntTable(boilerplate={boilerplate_group(None, None): frozenset(map(line_key, lines))})


def test_each_path_is_named_and_counted_with_the_pages_removed_lines():
    cookies = KNOWN_PAGE.splitlines()[8]
    text = page(KNOWN_PAGE.encode(), "text")
    assert text.path == ExtractPath.TEXT and isinstance(text.result, dict)
    assert text.removed == Counter(r["reason"] for r in text.result["removed"])
    learnt = page(KNOWN_PAGE.encode(), "text", make_context(learnt=table_of([cookies])))
    assert learnt.path == ExtractPath.TEXT_LEARNT and learnt.removed["boilerplate"] == 1
    # a page the table leaves without an article is cleaned again without it
    unlearnt = page(CRUFT_ONLY.encode(), "text", make_context(learnt=table_of(CRUFT_ONLY.splitlines()[1:2])))
    assert unlearnt.path == ExtractPath.TEXT_UNLEARNT
    assert unlearnt.removed == page(CRUFT_ONLY.encode(), "text").removed
    headline = page(HEADLINE_ONLY, "html")
    assert headline.path == ExtractPath.HEADLINE_ONLY and isinstance(headline.result, dict)
    assert page(b'<?xml version="1.0"?>\n<!-- nothing -->', "html").path == ExtractPath.NONE
    empty = page(b"   \n", "text")
    assert isinstance(empty.result, Reject) and empty.path is None and not empty.removed
    assert set(text.seconds) == {Stage.DECODE, Stage.EXTRACT, Stage.ENRICH} and set(empty.seconds) == {Stage.DECODE}


def test_a_timed_iteration_counts_making_the_items_not_using_them():
    def slowly_made(n: int):
        for i in range(n):
            time.sleep(0.02)
            yield i

    watch = Stopwatch()
    for _ in watch.timed(slowly_made(3), Stage.READ):
        time.sleep(0.05)  # the caller's work: not reading
    assert 0.06 <= watch.seconds[Stage.READ] < 0.15
