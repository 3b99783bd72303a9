"""Month names and agencies are kept once (lexicon.toml): the date parser, the credit parser and
the rule patterns (through placeholders) read the same lists."""
from __future__ import annotations

import pytest

from decruft.enrich.credits import normalise_agency
from decruft.enrich.dates import MONTHS
from decruft.extract.rules import RuleError, default_rules, load_rules
from decruft.lexicon import AGENCY_SPELLINGS, MONTH_NAMES, expand_placeholders
from decruft.regex import Pattern


def test_every_month_name_is_a_date_the_parser_and_the_date_patterns_know():
    rules = default_rules()
    for lang in ("en", "de", "fr", "it", "nl"):
        for number, names in enumerate(MONTH_NAMES[lang], start=1):
            for name in names.split():
                assert MONTHS[name] == number
                line = f"12 {name} 2019" if lang != "en" else f"{name} 12, 2019"
                assert rules.date.search(line), (lang, name)


def test_every_agency_spelling_is_a_credit_line_and_named_by_the_credit_parser():
    rules = default_rules()
    for name, spellings in AGENCY_SPELLINGS.items():
        for spelling in (name, *spellings):
            assert normalise_agency(spelling) == name
            assert rules.credit.search(f"({spelling.lower()})"), spelling


def test_a_placeholder_becomes_an_alternation_that_matches_only_whole_list_words():
    pattern = Pattern(r"^" + expand_placeholders(r"{month:de}") + r"$")
    assert pattern.search("märz") and pattern.search("mrz") and not pattern.search("march")
    assert expand_placeholders("a{0,6}") == "a{0,6}"  # a counted repeat is left alone


def test_a_month_list_that_does_not_exist_is_refused_naming_the_file(tmp_path):
    config = tmp_path / "mine.toml"
    config.write_text("[patterns]\ncaption = ['^{month:xx} ']\n")
    with pytest.raises(RuleError, match=r"mine\.toml.*no month names for language 'xx'"):
        load_rules(config)
