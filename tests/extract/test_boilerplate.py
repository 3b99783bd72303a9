"""The learnt table: lines recurring across an outlet's documents, each document counted once,
near-copies once together; never prose, dates, headlines or bylines; never a whole article."""
from __future__ import annotations

import random
import re

import numpy as np
from hypothesis import given, settings, strategies as st

from decruft.extract.boilerplate import LearntTable, Thresholds, build_table, line_key
from decruft.extract import fingerprint as fingerprint_module
from decruft.extract.fingerprint import WORD_BASE, fingerprint, html_prose, signature, word_codes
from decruft.extract.rules import default_rules
from decruft.page import MIN_BODY_WORDS, clean_with_table

MENU = ["Home", "World", "Business", "Subscribe to the morning briefing", "3 comments"]
WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar "
         "papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu").split()


def story(n: int) -> list[str]:
    """Two paragraphs of prose that no other n shares."""
    rng = random.Random(n)
    return [" ".join(rng.choice(WORDS) for _ in range(30)).capitalize() + "." for _ in range(2)]


def page(n: int, *extra: str) -> str:
    return "\n".join(MENU[:4] + [f"Headline number {WORDS[n % len(WORDS)]} of the day", *extra, *story(n),
                                 f"{n} comments"])


def prints(pages: dict[str, str], group: str = "dw"):
    rules = default_rules()
    return [fingerprint(path, group, text, rules) for path, text in pages.items()]


def reference_codes(text: str) -> list[int]:
    """What a word's code is defined as, one word (as ``\\w+`` finds them) and one character at a
    time: MurmurHash3's 64-bit finalizer of ``sum(ord(word[i]) * WORD_BASE**i) mod 2**64``."""
    mask = (1 << 64) - 1
    codes = []
    for word in re.findall(r"\w+", text):
        value = sum(ord(character) * pow(WORD_BASE, i, 1 << 64) for i, character in enumerate(word)) & mask
        value ^= value >> 33
        value = value * 0xFF51AFD7ED558CCD & mask
        value ^= value >> 33
        value = value * 0xC4CEB9FE1A85EC53 & mask
        codes.append(value ^ value >> 33)
    return codes


def test_word_codes_follow_the_definition_for_every_character():
    characters = [chr(c) for c in range(0x110000)]
    for start in range(0, len(characters), 20000):
        text = " x".join(characters[start:start + 20000])  # each character alone and in a word
        assert word_codes(text).tolist() == reference_codes(text), hex(start)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_word_codes_follow_the_definition_for_any_text(text):
    assert word_codes(text).tolist() == reference_codes(text)
    assert word_codes(text).dtype == np.uint64


def test_word_codes_are_the_same_in_ascii_text_other_text_and_long_text():
    """ASCII text takes its own path, and texts past the power tables' block their own powers."""
    text = " ".join(WORDS * 3000) + " " + "x" * 70_000 + " end"  # a word across a block boundary too
    codes = word_codes(text).tolist()
    assert codes == reference_codes(text)
    assert word_codes(text + " \u00e9t\u00e9").tolist() == codes + reference_codes("\u00e9t\u00e9")


def test_a_long_text_hashed_in_pieces_gives_the_codes_it_gives_whole(monkeypatch):
    text = " ".join(WORDS * 50) + " " + "x" * 300 + " \u00e9t\u00e9 end"
    monkeypatch.setattr(fingerprint_module, "WORD_CODE_PIECE", 97)
    assert word_codes(text).tolist() == fingerprint_module.piece_codes(text).tolist() == reference_codes(text)


def test_signatures_stay_comparable_with_stored_ones():
    """A signature is stored with the fingerprints: the same body must keep giving the same bytes."""
    body = ["The council approved the new budget on Tuesday after a long debate about schools, roads and the library.",
            "Residents said the changes would help \u2014 \u201cat last\u201d \u2014 families in the north of the town."]
    assert signature(body).hex().startswith("05d3fd690200aec7080413d010115ac9")
    assert signature(body).hex().endswith("02bf073d053097cd0416c154")
    assert signature(["la la la la la la la la la la la la la"]) == b""  # too few distinct shingles


def test_line_key_ignores_case_spacing_and_numbers():
    assert line_key("  3  Comments ") == line_key("12 comments")
    assert line_key("Home") != line_key("World")


def test_recurring_lines_become_boilerplate_per_group():
    docs = prints({f"dw/{n}.txt": page(n) for n in range(10)}) + prints({"x/1.txt": page(99)}, "other")
    table = build_table(docs)
    assert {line_key(m) for m in MENU} <= table.boilerplate_for("dw")
    assert table.boilerplate_for("other") == frozenset()
    assert table.boilerplate_for("unknown") == frozenset()


def test_prose_and_date_lines_are_never_counted():
    sentence = "The minister said the plan would be published in full next week, officials confirmed."
    dates = [f"November {day}, 2016" for day in range(1, 11)]
    docs = prints({f"dw/{n}.txt": page(n, sentence, dates[n]) for n in range(10)})
    table = build_table(docs)
    assert line_key(sentence) not in table.boilerplate_for("dw")  # on every page, but prose
    assert not {line_key(d) for d in dates} & table.boilerplate_for("dw")
    assert all(line_key(d) not in fp.line_keys() for fp in docs for d in dates)


def test_needs_a_minimum_number_of_documents():
    docs = prints({"a": "Home\nA line", "b": "Home\nAnother line"})
    assert build_table(docs, Thresholds(min_docs=3)).boilerplate_for("dw") == frozenset()


def test_near_copies_count_once_and_name_their_first():
    copies = {f"dw/copy{n:02d}.txt": page(1, f"Updated at {n} o'clock") for n in range(12)}
    table = build_table(prints(copies))
    assert table.boilerplate_for("dw") == frozenset()  # one article: nothing recurs across outlets' pages
    assert {table.duplicate_of(path) for path in copies} == {None, "dw/copy00.txt"}
    assert table.duplicate_of("dw/copy00.txt") is None
    distinct = build_table(prints({f"dw/{n}.txt": page(n) for n in range(12)}))
    assert distinct.first_copy == {}


def test_html_near_copies_are_found_from_their_text_runs():
    body = "".join(f"<p>{p}</p>" for p in story(3))
    pages = {f"p{n}.html": f"<html><script>var x = '<p>{n}</p>';</script><nav><a>Home</a></nav>{body}"
                           f"<footer>Item {n}</footer></html>" for n in range(3)}
    rules = default_rules()
    table = build_table(fingerprint(path, "", text, rules, is_html=True) for path, text in pages.items())
    assert table.duplicate_of("p2.html") == "p0.html"
    assert html_prose("<p>" + "<" * 10_000 + "</p>") == []  # stray brackets: linear, no text runs


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(2, 12))
def test_the_table_is_a_function_of_the_set_of_documents(rng, count):
    pages = {f"dw/{n}.txt": page(n % 5) for n in range(count)}  # some exact and near copies
    docs = prints(pages)
    shuffled = docs[:]
    rng.shuffle(shuffled)
    assert build_table(shuffled) == build_table(docs)
    assert LearntTable.from_json(build_table(docs).to_json()) == build_table(docs)


def test_the_table_removes_menus_but_never_the_header_or_the_whole_article():
    rules = default_rules()
    byline = "By Jane Prolific"
    text = page(42, byline, "November 4, 2016")
    headline = f"Headline number {WORDS[42 % len(WORDS)]} of the day"
    table = frozenset({line_key(m) for m in MENU} | {line_key(byline), line_key(headline)})
    extraction = clean_with_table(text, None, rules, table)
    assert extraction.title == headline
    assert extraction.bylines == [byline]
    assert "Subscribe to the morning briefing" not in extraction.body
    assert any(r.reason == "boilerplate" for r in extraction.removed)
    everything = frozenset(line_key(line) for line in "Tiny page\nA few short words here\nand here".split("\n"))
    short = clean_with_table("Tiny page\nA few short words here\nand here", None, rules, everything)
    assert sum(len(p.split()) for p in short.body) >= MIN_BODY_WORDS or not short.body
    assert short == clean_with_table("Tiny page\nA few short words here\nand here", None, rules, frozenset())
