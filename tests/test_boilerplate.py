"""Corpus statistics find lines repeated across an outlet's pages, never minority prose."""
from __future__ import annotations

from decruft.extract.boilerplate import LineStats, Thresholds, line_key
from decruft.extract.text import clean_text

MENU = ["Home", "World", "Business", "Subscribe to the morning briefing", "3 comments"]


WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar".split()


def page(n: int, extra: str = "") -> str:
    topic = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(3)) + f" {WORDS[n // len(WORDS) % len(WORDS)]}"
    body = [f"The story about {topic} reports events with enough words to be a real paragraph of prose."] * 2
    return "\n".join(MENU[:4] + body + [extra, f"{n} comments"])


def test_line_key_ignores_case_spacing_and_numbers():
    assert line_key("  3  Comments ") == line_key("12 comments")


def test_recurring_lines_become_boilerplate_per_group():
    stats = LineStats()
    for n in range(10):
        stats.add_document("dw", page(n))
    stats.add_document("other", page(99))
    found = stats.boilerplate_for("dw")
    assert {line_key(m) for m in MENU} <= found
    assert not any("the story about" in k for k in found)
    assert stats.boilerplate_for("other") == frozenset()
    assert stats.boilerplate_for("unknown") == frozenset()


def test_minority_prose_is_never_boilerplate():
    stats = LineStats()
    sentence = "The minister said the plan would be published in full next week, officials confirmed."
    for n in range(10):
        stats.add_document("dw", page(n, sentence if n < 4 else ""))
    assert line_key(sentence) not in stats.boilerplate_for("dw")
    for n in range(10, 40):
        stats.add_document("dw", page(n, sentence))
    assert line_key(sentence) in stats.boilerplate_for("dw")  # nearly every page: a fixed footer


def test_needs_a_minimum_number_of_documents():
    stats = LineStats(Thresholds(min_docs=3))
    stats.add_document("g", "Home\nA line")
    stats.add_document("g", "Home\nAnother line")
    assert stats.boilerplate_for("g") == frozenset()


def test_persists_and_merges(tmp_path):
    first, second = LineStats(), LineStats()
    for n in range(5):
        first.add_document("dw", page(n))
    for n in range(5, 8):
        second.add_document("dw", page(n))
    path = tmp_path / "lines.json"
    first.save(path)
    loaded = LineStats.load(path)
    assert loaded.boilerplate_for("dw") == first.boilerplate_for("dw")
    loaded.merge(second)
    assert loaded.documents("dw") == 8
    assert LineStats.from_json(loaded.to_json()).boilerplate_for("dw") == loaded.boilerplate_for("dw")
    assert LineStats.load(tmp_path / "missing.json").documents("dw") == 0


def test_pruning_keeps_frequent_lines():
    stats = LineStats(Thresholds(max_keys=50))
    for n in range(40):
        stats.add_document("g", f"Home\nunique line {n} " + "x" * (n + 1))
    assert line_key("Home") in stats.boilerplate_for("g")


def test_cleaner_uses_the_learnt_table():
    stats = LineStats()
    for n in range(6):
        stats.add_document("dw", page(n))
    extraction = clean_text(page(7), boilerplate=stats.boilerplate_for("dw"))
    assert "Subscribe to the morning briefing" not in extraction.body
    assert any(r.reason == "boilerplate" for r in extraction.removed)
