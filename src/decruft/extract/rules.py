"""Cruft rule concepts, loaded from TOML so they can change without touching code.

Each concept (navigation, login, cookie, ...) is one reason code. Its patterns are
matched case-insensitively at the start of a whitespace-normalised line (write ``$`` to
require the whole line). ``patterns`` mark a line as cruft; ``barriers`` also mark where
an article block ends (headings such as "More stories" or "Comments"); ``phrases`` are
plain substrings that mark a short line wherever they occur. The metadata concepts ``date``, ``byline``
and ``credit`` are kept apart: they fill fields of the extraction.

Every pattern is matched by RE2 (``decruft.regex``), in time linear in the line whatever the
pattern; one that needs a feature RE2 lacks (lookarounds, backreferences) is refused when it is
loaded, naming its file. A user config file can switch concepts off and add patterns::

    disabled = ["share"]
    [patterns]
    caption = ['^Foto: ']
    [barriers]
    related = ['^Lesen Sie mehr$']
    [phrases]
    legal = ['Nachdruck verboten']
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from decruft.config import ConfigError, check_keys, read_toml
from decruft.lexicon import expand_placeholders
from decruft.reasons import LineReason
from decruft.regex import Pattern, PatternSet, UnsupportedPattern

RULES_DIR = Path(__file__).with_name("rules")
METADATA_CONCEPTS = ("date", "byline", "credit")
_GROUP_PREFIX = {"patterns": "c_", "barriers": "b_"}
_KEYS = ("patterns", "barriers", "phrases")


class RuleError(ConfigError):
    """A rule file is malformed; the message names the file."""


@dataclass(frozen=True)
class Concept:
    """One cruft concept: its reason code and its raw pattern strings."""

    name: str
    patterns: tuple[str, ...] = ()
    barriers: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()  # plain substrings, found anywhere in a short line


@dataclass(frozen=True)
class RuleSet:
    """Compiled rules.

    Cruft patterns are matched against the lower-cased line, all of them in one RE2 set pass
    (faster than trying the line on the few patterns its first characters allow); the first
    pattern in rule order that matches decides.
    """

    concepts: tuple[Concept, ...]
    cruft: "Alternation | None"  # every cruft pattern and barrier, in rule order
    phrases: tuple[tuple[str, str], ...]  # (lower-case phrase, reason)
    date: Pattern | None
    byline: Pattern | None
    credit: Pattern | None
    phrase_search: "PhraseSearch | None" = None  # every phrase, found in one pass over a text

    def phrases_in(self, lowered: str) -> list[tuple[str, str]]:
        """The (phrase, reason) pairs occurring in a lower-cased text, in rule order."""
        found = self.phrase_search.indices(lowered) if self.phrase_search is not None else None
        return [self.phrases[i] for i in sorted(found)] if found else []

    def classify(self, lowered: str) -> tuple[str, bool] | None:
        """Return (reason, is_barrier) when a lower-cased, stripped line is cruft, else None."""
        if not lowered or self.cruft is None:
            return None
        found = self.cruft.judge(lowered)
        if found is None and lowered[-1] in ".…" and lowered.endswith(("...", "…")):
            # a heading trailing off ("You may also like..."): test it without the dots
            stripped = lowered.rstrip(".… ")
            found = self.cruft.judge(stripped) if stripped else None
        return found


def _check_pattern(pattern: str, source: str, concept: str) -> None:
    """Compile one pattern alone so that a bad one is reported with its file."""
    try:
        compiled = re.compile(pattern, re.IGNORECASE)  # parsed for its syntax only, never matched
        Pattern(pattern, re.IGNORECASE)
    except re.error as exc:
        raise RuleError(f"{source}: concept {concept!r}: invalid regex {pattern!r}: {exc}") from exc
    except UnsupportedPattern as exc:
        raise RuleError(f"{source}: concept {concept!r}: pattern {pattern!r} uses {exc}, which "
                        "linear-time matching does not support") from exc
    if compiled.groups:
        raise RuleError(f"{source}: concept {concept!r}: use non-capturing groups (?:...) in {pattern!r}")


def _pattern_list(value: object, source: str, concept: str) -> tuple[str, ...]:
    """The patterns, their lexicon placeholders (``{month:en}``, ``{agency}``) expanded."""
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise RuleError(f"{source}: concept {concept!r}: expected a list of strings")
    try:
        patterns = tuple(expand_placeholders(pattern) for pattern in value)
    except ConfigError as exc:
        raise RuleError(f"{source}: concept {concept!r}: {exc}") from exc
    for pattern in patterns:
        _check_pattern(pattern, source, concept)
    return patterns


def _phrase_list(value: object, source: str, concept: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
        raise RuleError(f"{source}: concept {concept!r}: phrases must be a list of non-empty strings")
    return tuple(value)


def _concepts_from_file(path: Path) -> list[Concept]:
    concepts = []
    for name, table in read_toml(path, "rules", RuleError).items():
        if not isinstance(table, dict) or not name.isidentifier():
            raise RuleError(f"{path}: top-level entry {name!r} must be a [concept] table")
        _check_reason(name, path)
        check_keys(path, table, _KEYS, where=f"concept {name!r}: ", error=RuleError)
        concepts.append(Concept(
            name=name,
            patterns=_pattern_list(table.get("patterns", []), str(path), name),
            barriers=_pattern_list(table.get("barriers", []), str(path), name),
            phrases=_phrase_list(table.get("phrases", []), str(path), name),
        ))
    return concepts


def _check_reason(concept: str, path: Path) -> None:
    """A concept is the reason code its lines are removed with: one of the registry's."""
    if concept not in {reason.value for reason in LineReason}:
        raise RuleError(f"{path}: concept {concept!r} is not a reason code; use one of "
                        f"{', '.join(sorted(reason.value for reason in LineReason))} (docs/schema.md)")


def _merge(concepts: dict[str, Concept], new: Concept) -> None:
    old = concepts.get(new.name)
    if old is None:
        concepts[new.name] = new
        return
    concepts[new.name] = Concept(new.name, old.patterns + new.patterns, old.barriers + new.barriers,
                                 old.phrases + new.phrases)


def _apply_user_config(concepts: dict[str, Concept], path: Path) -> frozenset[str]:
    """Add the user's patterns and return the concepts the user disabled."""
    data = read_toml(path, "rules", RuleError)
    check_keys(path, data, ("disabled", *_KEYS), error=RuleError)
    disabled = data.get("disabled", [])
    if not isinstance(disabled, list) or not all(isinstance(d, str) for d in disabled):
        raise RuleError(f"{path}: 'disabled' must be a list of concept names")
    for key in _KEYS:
        table = data.get(key, {})
        if not isinstance(table, dict):
            raise RuleError(f"{path}: [{key}] must be a table of concept = [patterns]")
        for name, value in table.items():
            _check_reason(name, path)
            read = _phrase_list if key == "phrases" else _pattern_list
            _merge(concepts, Concept(name, **{key: read(value, str(path), name)}))
    return frozenset(disabled)


def _lower_pattern(pattern: str) -> str:
    """Lower-case a regex's letters but not its escapes (\\S and \\s differ)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == "\\":
            out.append(pattern[i:i + 2])
            i += 2
        else:
            out.append(pattern[i].lower())
            i += 1
    return "".join(out)


class Alternation:
    """(group name, pattern) entries matched at the start of a line; the first to match wins.

    A group name is a kind prefix (``c_`` cruft, ``b_`` barrier) and a concept name."""

    __slots__ = ("_judgements", "_indices")

    def __init__(self, entries: list[tuple[str, str]]):
        # (concept, is_barrier) per entry, split once rather than on every line
        self._judgements = [(name, kind == "b") for kind, _, name in (group.partition("_") for group, _ in entries)]
        self._indices = PatternSet([pattern for _, pattern in entries], anchor="start").indices

    def judge(self, text: str) -> tuple[str, bool] | None:
        """(concept, is_barrier) of the first entry matching at the start of text."""
        found = self._indices(text)
        return self._judgements[min(found)] if found else None


def _compile_cruft(concepts: list[Concept]) -> Alternation | None:
    """Every barrier and cruft pattern of the concepts, in rule order."""
    entries = [(f"{_GROUP_PREFIX[kind]}{concept.name}", _lower_pattern(raw))
               for concept in concepts for kind in ("barriers", "patterns") for raw in getattr(concept, kind)]
    return Alternation(entries) if entries else None


class PhraseSearch:
    """Plain substrings, all of them looked for in one RE2 set pass over a text (a page's
    short lines joined), rather than one substring search per phrase."""

    __slots__ = ("indices",)

    def __init__(self, phrases: list[str]):
        #: the indices of the phrases occurring in a text (None: none does), in no order
        self.indices = PatternSet([re.escape(phrase) for phrase in phrases]).indices


def _compile_one(concept: Concept | None) -> Pattern | None:
    if concept is None or not concept.patterns:
        return None
    return Pattern("|".join(f"(?:{p})" for p in concept.patterns), re.IGNORECASE)


def load_rules(config: Path | None = None, rules_dir: Path = RULES_DIR) -> RuleSet:
    """Load the packaged concept files, then apply an optional user config file."""
    concepts: dict[str, Concept] = {}
    for path in sorted(rules_dir.glob("*.toml")):
        for concept in _concepts_from_file(path):
            _merge(concepts, concept)
    disabled = _apply_user_config(concepts, Path(config)) if config is not None else frozenset()
    active = {name: c for name, c in concepts.items() if name not in disabled}
    cruft = [c for name, c in active.items() if name not in METADATA_CONCEPTS]
    phrases = tuple((phrase.lower(), c.name) for c in cruft for phrase in c.phrases)
    return RuleSet(
        concepts=tuple(cruft),
        cruft=_compile_cruft(cruft),
        phrases=phrases,
        phrase_search=PhraseSearch([phrase for phrase, _ in phrases]) if phrases else None,
        date=_compile_one(active.get("date")),
        byline=_compile_one(active.get("byline")),
        credit=_compile_one(active.get("credit")),
    )


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    """The packaged rules, compiled once per process."""
    return load_rules()
