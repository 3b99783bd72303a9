"""The page guard's stream of pages: order kept, overruns and crashes rejected, the rest redone."""
from __future__ import annotations

import os
import time

from hypothesis import given, settings, strategies as st

from decruft.guard import GuardedProcessor
from decruft.models import RawDocument, Reject


def _make_worker() -> object:
    return _work


def _work(doc: RawDocument) -> dict:
    """Echoes a page; ``sleep`` pages overrun, ``crash`` pages kill their process, ``raise`` raise."""
    action = doc.data.decode()
    if action == "sleep":
        time.sleep(60)
    elif action == "crash":
        os._exit(3)
    elif action == "raise":
        raise ValueError("bad page")
    return {"source_path": doc.source_path, "pid": os.getpid()}


def _doc(name: str, action: str = "echo") -> RawDocument:
    return RawDocument(name, action.encode(), "0" * 64, "text")


def _outcome(entry: object) -> str:
    if isinstance(entry, Reject):
        return f"{entry.source_path}:{entry.reason}"
    if isinstance(entry, dict):
        return entry["source_path"]
    return f"marker:{entry}"


def test_pages_come_back_in_order_with_other_entries_passed_through():
    entries = [_doc("a"), "file-1", _doc("b"), _doc("c"), "file-2", _doc("d")]
    with GuardedProcessor(_make_worker, timeout_s=5, window=2) as guarded:
        assert list(map(_outcome, guarded.map(entries))) == ["a", "marker:file-1", "b", "c", "marker:file-2", "d"]


def test_an_overrun_and_a_crash_are_rejected_and_the_pages_queued_behind_them_are_redone():
    entries = [_doc("a"), _doc("slow", "sleep"), _doc("b"), _doc("c"), _doc("dies", "crash"), _doc("d"),
               _doc("bad", "raise"), _doc("e")]
    started = time.perf_counter()
    with GuardedProcessor(_make_worker, timeout_s=1, window=8) as guarded:
        results = list(guarded.map(entries))
    assert time.perf_counter() - started < 30
    assert list(map(_outcome, results)) == ["a", "slow:timeout", "b", "c", "dies:error", "d", "bad:error", "e"]
    assert "longer than 1 s" in results[1].detail and "died" in results[4].detail


def test_the_page_a_worker_is_on_is_the_one_rejected_though_results_before_it_had_not_come_back():
    """Results come back a few at a time: when the worker stops on a page, those it had done but
    not sent are redone, and only the page it was on is rejected."""
    entries = [_doc("a"), _doc("b"), _doc("c"), _doc("slow", "sleep"), _doc("d"), _doc("e"), _doc("dies", "crash"),
               _doc("f")]
    with GuardedProcessor(_make_worker, timeout_s=1, window=16) as guarded:
        results = list(guarded.map(entries))
    assert list(map(_outcome, results)) == ["a", "b", "c", "slow:timeout", "d", "e", "dies:error", "f"]
    assert results[4]["pid"] != results[7]["pid"]


#: A page of 100 KB, among small ones: an echo.
BIG = "echo" + " " * 100_000


@settings(max_examples=10, deadline=None)
@given(st.lists(st.sampled_from(["echo", "echo", "echo", "crash", "raise", "marker", BIG]), max_size=12),
       st.integers(1, 5))
def test_every_entry_gives_exactly_one_outcome_in_order(actions, window):
    """Small and large pages, mixed with crashes, errors and markers, keep their order."""
    entries = ["m" if action == "marker" else _doc(f"p{i}", action) for i, action in enumerate(actions)]
    expected = ["marker:m" if action == "marker" else f"p{i}" if action in ("echo", BIG) else f"p{i}:error"
                for i, action in enumerate(actions)]
    with GuardedProcessor(_make_worker, timeout_s=10, window=window) as guarded:
        assert list(map(_outcome, guarded.map(entries))) == expected


def test_a_worker_that_ended_for_want_of_pages_is_replaced_without_losing_one():
    with GuardedProcessor(_make_worker, timeout_s=5, idle_exit_s=0.3) as guarded:
        first = next(guarded.map([_doc("a")]))
        time.sleep(1.0)  # the worker ends
        later = list(guarded.map([_doc("b"), _doc("c")]))
    assert [r["source_path"] for r in later] == ["b", "c"] and later[0]["pid"] != first["pid"]


def test_a_stopped_worker_sends_nothing_more_so_no_later_worker_gets_its_pages():
    """A worker is stopped with pages still queued for it: its sending thread has ended before
    its connection closes, so a send under way cannot reach the next worker's connection (which
    may reuse the same file descriptor)."""
    with GuardedProcessor(_make_worker, timeout_s=5) as guarded:
        assert next(guarded.map([_doc("a")]))["source_path"] == "a"
        child = guarded._started()
        for i in range(50):
            child.send(_doc(f"q{i}", "sleep"))
        guarded._stop_child()
        assert not child.sending
        assert [r["source_path"] for r in guarded.map([_doc("b"), _doc("c")])] == ["b", "c"]


def test_pages_queued_at_a_worker_are_bounded_by_their_bytes():
    """With a byte bound of two pages, the third page is read only after the first's result."""
    read: list[str] = []

    def entries():
        for name in "abcd":
            read.append(name)
            yield _doc(name)

    with GuardedProcessor(_make_worker, timeout_s=5, window=16, window_bytes=8) as guarded:
        stream = guarded.map(entries())
        assert next(stream)["source_path"] == "a" and read == ["a", "b"]  # 4 bytes a page
        assert [r["source_path"] for r in stream] == ["b", "c", "d"]


def test_small_pages_behind_a_large_one_keep_their_order():
    """Small pages queued behind large ones come back in order."""
    actions = ["echo", BIG, "echo", "echo", BIG, BIG, "echo"] * 3
    with GuardedProcessor(_make_worker, timeout_s=10) as guarded:
        results = list(guarded.map(_doc(f"p{i}", action) for i, action in enumerate(actions)))
    assert [r["source_path"] for r in results] == [f"p{i}" for i in range(len(actions))]
