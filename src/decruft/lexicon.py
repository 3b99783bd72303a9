"""Words decruft recognises in many languages (``lexicon.toml``), kept once for every module
that needs them: month names for the date parser and the date patterns, news agencies for the
credit parser and the credit patterns. Rule patterns name a list by a placeholder
(``{month:en}``, ``{month}``, ``{agency}``), replaced by an alternation of its words."""
from __future__ import annotations

import re
from pathlib import Path

from decruft.config import ConfigError, read_toml

_DATA = read_toml(Path(__file__).with_name("lexicon.toml"), "the lexicon")

#: Per language, one string per month (January first): its names and abbreviations.
MONTH_NAMES: dict[str, tuple[str, ...]] = {lang: tuple(months) for lang, months in _DATA["months"].items()}
#: Canonical agency name -> its spellings.
AGENCY_SPELLINGS: dict[str, tuple[str, ...]] = {name: tuple(s) for name, s in _DATA["agencies"].items()}

_PLACEHOLDER = re.compile(r"\{(month(?::[a-z]{2})?|agency)\}")


def _words(name: str) -> list[str]:
    if name == "agency":
        return [s.lower() for name, spellings in AGENCY_SPELLINGS.items() for s in (name, *spellings)]
    _, _, lang = name.partition(":")
    if lang and lang not in MONTH_NAMES:
        raise ConfigError(f"no month names for language {lang!r} (known: {', '.join(MONTH_NAMES)})")
    return [word for code, months in MONTH_NAMES.items() if not lang or code == lang
            for names in months for word in names.split()]


def expand_placeholders(pattern: str) -> str:
    """The pattern with each placeholder replaced by a non-capturing alternation of its words
    (longest first, regex-escaped)."""
    def alternation(match: re.Match[str]) -> str:
        words = sorted(set(_words(match.group(1))), key=lambda w: (-len(w), w))
        return "(?:" + "|".join(re.escape(w).replace("\\ ", " ") for w in words) + ")"
    return _PLACEHOLDER.sub(alternation, pattern)
