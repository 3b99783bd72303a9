"""Rule and outlet patterns run on RE2: Python's meaning, linear time, refused features named."""
from __future__ import annotations

import pickle
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decruft.extract.rules import RuleError, load_rules
from decruft.outlets import RegistryError, load_registry
from decruft.regex import LineSearch, Leftmost, Pattern, PatternSet, UnsupportedPattern

_PATTERNS = [r"menü\b.{0,30}$", r"\bzum (?:inhalt|menü)\b", r"(?:to|für)\b\s?\w+", r"\d+\s?/\s?\d+$",
             r"o\Bo", r"é\Bé", r"[^\s]{1,5}$", r"\W+$", r"^\s*é\w*\b", r"(?i)straße\b", r"[«‹<]$|[»›>]$",
             r"photo\b.{0,10}\bby\b"]
_ALPHABET = st.sampled_from(list("abzéüß1١_ -.,’\n\tœ中«") + ["menü", "zum ", "inhalt", "to", "für", "photo",
                                                            "by", "straße", "STRASSE"])


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_PATTERNS), st.lists(_ALPHABET, max_size=12).map("".join))
def test_re2_translation_means_what_python_re_means(pattern, text):
    python = re.compile(pattern)
    ours = Pattern(pattern)
    assert ours.search(text) == bool(python.search(text))
    assert ours.match(text) == bool(python.match(text))


def test_pattern_sets_and_leftmost_follow_alternation_order():
    patterns = PatternSet([r"foo\b", r"fo+", r"x"], anchor="start")
    assert min(patterns.indices("foo bar")) == 0 and patterns.indices("fooé") == [1]
    assert patterns.indices("y") is None
    leftmost = Leftmost([[r"\bzeit\b"], [r"spiegel", r"zeit"]])
    assert leftmost.group("der spiegel und die zeit") == 1
    assert leftmost.group("die zeit, der spiegel") == 0
    assert leftmost.group("zeitung") == 1


def test_leftmost_names_the_group_whatever_groups_its_patterns_capture():
    leftmost = Leftmost([[r"(a)(b)c", r"(?P<g1>q)"], [r"x((y)z)"], [r"(é)\b"]])
    assert [leftmost.group(t) for t in ("--abc", "xyz abc", "q", "é x", "zzz")] == [0, 1, 0, 2, None]
    assert pickle.loads(pickle.dumps(leftmost)).group("xyz") == 1


_LINE_PATTERNS = [r"[A-Z][a-z]{2,}(?:[A-Z]|é )", r"é+", r"[^\s\d]{3}\d", r"[^a-z\n]{2}", r"\d?[A-Z]"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_LINE_PATTERNS), st.lists(st.lists(
    st.sampled_from(list("aBzéE1٣ -.’\x00") + ["The", "Plan", "é "]), max_size=10).map("".join), max_size=8))
def test_a_line_search_finds_the_lines_a_search_of_each_finds(pattern, lines):
    python = re.compile(pattern)
    assert LineSearch(pattern).lines(lines) == [i for i, line in enumerate(lines) if python.search(line)]


@pytest.mark.parametrize("pattern", [r"\bfoo", r"foo\B", r"^foo", r"foo$", r"\Afoo"])
def test_a_line_search_refuses_anchors_and_word_boundaries(pattern):
    with pytest.raises(UnsupportedPattern, match="anchor or word boundary"):
        LineSearch(pattern)


@pytest.mark.parametrize(("pattern", "feature"), [
    (r"foo(?=bar)", "lookahead"), (r"(?<!x)foo", "lookahead or lookbehind"), (r"(a)\1", "backreference"),
    (r"(?>a+)b", "atomic group"), (r"a{2000}", "repeat count"), (r"(?a)\w", "ASCII"),
    (r"é\B", "between two characters")])
def test_features_re2_lacks_are_refused_by_name(pattern, feature):
    with pytest.raises(UnsupportedPattern, match=feature):
        Pattern(pattern)


def test_a_user_rule_with_a_lookahead_is_refused_naming_file_and_pattern(tmp_path):
    config = tmp_path / "mine.toml"
    config.write_text("[patterns]\nad = ['anzeige(?! frei)']\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"mine\.toml.*anzeige\(\?! frei\).*lookahead"):
        load_rules(config)


def test_an_outlet_pattern_with_a_backreference_is_refused_naming_file_and_pattern(tmp_path):
    (tmp_path / "echo.toml").write_text(
        'id = "echo"\nname = "Echo"\ndomains = ["echo.test"]\ncountry = "GB"\nlanguages = ["en"]\n'
        'timezone = "UTC"\ncruft = [{ reason = "ad", patterns = [\'^(\\w+) \\1$\'] }]\n', encoding="utf-8")
    with pytest.raises(RegistryError, match=r"echo\.toml.*backreference.*w\+"):
        load_registry([tmp_path])


def test_a_pattern_that_backtracks_in_python_is_linear_on_re2(tmp_path):
    config = tmp_path / "slow.toml"
    config.write_text("[patterns]\nad = ['(?:a+\\\\s*)+$']\n", encoding="utf-8")
    rules = load_rules(config)
    line = "a " * 2000 + "!"  # Python's re would try 2**2000 ways
    started = time.perf_counter()
    assert rules.classify(line) is None
    assert time.perf_counter() - started < 10  # a bound on a hang, not a speed goal
