"""Cruft rule concepts, loaded from TOML so they can change without touching code.

Each concept (navigation, login, cookie, ...) is one reason code. Its patterns are
matched case-insensitively at the start of a whitespace-normalised line (write ``$`` to
require the whole line). ``patterns`` mark a line as cruft; ``barriers`` also mark where
an article block ends (headings such as "More stories" or "Comments"); ``phrases`` are
plain substrings that mark a short line wherever they occur. The metadata concepts ``date``, ``byline``
and ``credit`` are kept apart: they fill fields of the extraction.

A user config file can switch concepts off and add patterns::

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
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

RULES_DIR = Path(__file__).with_name("rules")
METADATA_CONCEPTS = ("date", "byline", "credit")
_GROUP_PREFIX = {"patterns": "c_", "barriers": "b_"}
_KEYS = ("patterns", "barriers", "phrases")
_MAX_PREFIXES = 64  # more two-character prefixes than this: bucket the pattern by its first character


class RuleError(ValueError):
    """A rule file is malformed; the message names the file."""


@dataclass(frozen=True)
class Concept:
    """One cruft concept: its reason code and its raw pattern strings."""

    name: str
    patterns: tuple[str, ...] = ()
    barriers: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()  # plain substrings, found anywhere in a short line
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    """Compiled rules.

    Cruft patterns are matched against the lower-cased line; each line is tried only
    against the patterns that can start with its first two characters (a few, not all), or,
    for the patterns whose first two characters are not fixed, with its first character.
    """

    concepts: tuple[Concept, ...]
    buckets: dict[str, re.Pattern[str]]  # first character -> alternation of the patterns it can start
    anywhere: re.Pattern[str] | None  # patterns that can start with any character
    phrases: tuple[tuple[str, str], ...]  # (lower-case phrase, reason)
    date: re.Pattern[str] | None
    byline: re.Pattern[str] | None
    credit: re.Pattern[str] | None
    disabled: frozenset[str] = field(default_factory=frozenset)
    # (key, indices of the phrases containing it): a text without the key holds none of them
    phrase_groups: tuple[tuple[str, tuple[int, ...]], ...] = ()
    # two first characters -> the (group, pattern) entries a line starting so can match
    pair_entries: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # their alternations, compiled when a line first needs one (a page meets few of them)
    _pairs: dict[str, re.Pattern[str]] = field(default_factory=dict, compare=False, repr=False)

    def _patterns_for(self, lowered: str) -> re.Pattern[str] | None:
        key = lowered[:2]
        pattern = self._pairs.get(key)
        if pattern is None:
            entries = self.pair_entries.get(key)
            if entries is None:
                return self.buckets.get(lowered[0], self.anywhere)
            pattern = self._pairs[key] = _alternation(entries)
        return pattern

    def phrases_in(self, lowered: str) -> list[tuple[str, str]]:
        """The (phrase, reason) pairs occurring in a lower-cased text, in rule order."""
        phrases = self.phrases
        found = [i for key, members in self.phrase_groups if key in lowered
                 for i in members if phrases[i][0] in lowered]
        return [phrases[i] for i in sorted(found)] if found else []

    def classify(self, lowered: str) -> tuple[str, bool] | None:
        """Return (reason, is_barrier) when a lower-cased, stripped line is cruft, else None."""
        if not lowered:
            return None
        pattern = self._patterns_for(lowered)
        m = pattern.match(lowered) if pattern is not None else None
        if m is None and lowered[-1] in ".…" and lowered.endswith(("...", "…")):
            # a heading trailing off ("You may also like..."): test it without the dots
            stripped = lowered.rstrip(".… ")
            pattern = self._patterns_for(stripped) if stripped else None
            m = pattern.match(stripped) if pattern is not None else None
        if m is None or m.lastgroup is None:
            return None
        kind, _, name = m.lastgroup.partition("_")
        return name, kind == "b"

    @property
    def reasons(self) -> tuple[str, ...]:
        """Reason codes of the active cruft concepts."""
        return tuple(c.name for c in self.concepts)


def _check_pattern(pattern: str, source: str, concept: str) -> None:
    """Compile one pattern alone so that a bad one is reported with its file."""
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise RuleError(f"{source}: concept {concept!r}: invalid regex {pattern!r}: {exc}") from exc
    if compiled.groups:
        raise RuleError(f"{source}: concept {concept!r}: use non-capturing groups (?:...) in {pattern!r}")


def _pattern_list(value: object, source: str, concept: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise RuleError(f"{source}: concept {concept!r}: expected a list of strings")
    for pattern in value:
        _check_pattern(pattern, source, concept)
    return tuple(value)


def _phrase_list(value: object, source: str, concept: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
        raise RuleError(f"{source}: concept {concept!r}: phrases must be a list of non-empty strings")
    return tuple(value)


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RuleError(f"{path}: cannot read rules: {exc}") from exc


def _concepts_from_file(path: Path) -> list[Concept]:
    concepts = []
    for name, table in _read_toml(path).items():
        if not isinstance(table, dict) or not name.isidentifier():
            raise RuleError(f"{path}: top-level entry {name!r} must be a [concept] table")
        unknown = set(table) - set(_KEYS)
        if unknown:
            raise RuleError(f"{path}: concept {name!r}: unknown keys {sorted(unknown)}")
        concepts.append(Concept(
            name=name,
            patterns=_pattern_list(table.get("patterns", []), str(path), name),
            barriers=_pattern_list(table.get("barriers", []), str(path), name),
            phrases=_phrase_list(table.get("phrases", []), str(path), name),
            sources=(str(path),),
        ))
    return concepts


def _merge(concepts: dict[str, Concept], new: Concept) -> None:
    old = concepts.get(new.name)
    if old is None:
        concepts[new.name] = new
        return
    concepts[new.name] = Concept(new.name, old.patterns + new.patterns, old.barriers + new.barriers,
                                 old.phrases + new.phrases, old.sources + new.sources)


def _apply_user_config(concepts: dict[str, Concept], path: Path) -> frozenset[str]:
    """Add the user's patterns and return the concepts the user disabled."""
    data = _read_toml(path)
    unknown = set(data) - {"disabled", *_KEYS}
    if unknown:
        raise RuleError(f"{path}: unknown keys {sorted(unknown)} (expected disabled, {', '.join(_KEYS)})")
    disabled = data.get("disabled", [])
    if not isinstance(disabled, list) or not all(isinstance(d, str) for d in disabled):
        raise RuleError(f"{path}: 'disabled' must be a list of concept names")
    for key in _KEYS:
        table = data.get(key, {})
        if not isinstance(table, dict):
            raise RuleError(f"{path}: [{key}] must be a table of concept = [patterns]")
        for name, value in table.items():
            if not name.isidentifier():
                raise RuleError(f"{path}: concept name {name!r} must be an identifier")
            read = _phrase_list if key == "phrases" else _pattern_list
            _merge(concepts, Concept(name, **{key: read(value, str(path), name)}, sources=(str(path),)))
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


def _first_chars(items: list) -> tuple[set[str] | None, bool]:
    """Characters a parsed pattern can start with (None: any) and whether it can match empty."""
    chars: set[str] = set()
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            return chars | {chr(arg)}, False
        if name == "IN":
            found = _charset(arg)
            return (None if found is None else chars | found), False
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        if name == "BRANCH":
            results = [_first_chars(alt) for alt in arg[1]]
            sub, nullable = _union(results)
        elif name == "SUBPATTERN":
            sub, nullable = _first_chars(arg[-1])
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            sub, nullable = _first_chars(arg[2])
            nullable = nullable or arg[0] == 0
        elif name == "ATOMIC_GROUP":
            sub, nullable = _first_chars(arg)
        else:
            return None, False
        if sub is None:
            return None, False
        chars |= sub
        if not nullable:
            return chars, False
    return chars, True


def _charset(arg: list) -> set[str] | None:
    chars: set[str] = set()
    for op, value in arg:
        if str(op) == "LITERAL":
            chars.add(chr(value))
        elif str(op) == "RANGE" and value[1] - value[0] <= 64:
            chars.update(chr(c) for c in range(value[0], value[1] + 1))
        elif str(op) == "CATEGORY" and str(value) == "CATEGORY_DIGIT":
            chars.update("0123456789")  # other scripts' digits rarely open a line
        else:
            return None
    return chars


def _union(results: list[tuple[set[str] | None, bool]]) -> tuple[set[str] | None, bool]:
    if any(chars is None for chars, _ in results):
        return None, False
    return set().union(*(chars for chars, _ in results)), any(n for _, n in results)


def _prefixes(items: list, n: int) -> set[str] | None:
    """The n-character strings every match of a parsed pattern starts with; None when they
    are not fixed (a repeat or a wide class within the first n characters, or a match that
    can be shorter) or too many."""
    if n == 0:
        return {""}
    for i, (op, arg) in enumerate(items):
        name, rest = str(op), items[i + 1:]
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        if name == "SUBPATTERN":
            return _prefixes(list(arg[-1]) + rest, n)
        if name == "BRANCH":
            found = [_prefixes(list(alt) + rest, n) for alt in arg[1]]
            return None if any(f is None for f in found) else set().union(*found)
        heads = {chr(arg)} if name == "LITERAL" else _charset(arg) if name == "IN" else None
        tails = _prefixes(rest, n - 1) if heads else None
        if tails is None or len(heads) * len(tails) > _MAX_PREFIXES:
            return None
        return {head + tail for head in heads for tail in tails}
    return None


def _starts(pattern: str) -> tuple[set[str] | None, set[str] | None]:
    """A lower-cased pattern's possible first characters (None: any) and first two characters
    (None: not fixed)."""
    try:
        from re import _parser  # the stdlib parser behind re.compile
        items = list(_parser.parse(pattern))
        chars, nullable = _first_chars(items)
        return (None if nullable else chars), _prefixes(items, 2)
    except Exception:  # an unknown parser layout only costs speed, never matches
        return None, None


def _alternation(entries: list[tuple[str, str]]) -> re.Pattern[str]:
    """One pattern with a named group per (group name, pattern) run, for m.lastgroup."""
    groups: dict[str, list[str]] = {}
    for group, pattern in entries:
        groups.setdefault(group, []).append(f"(?:{pattern})")
    return re.compile("|".join(f"(?P<{g}>{'|'.join(ps)})" for g, ps in groups.items()))


def _compile_cruft(concepts: list[Concept]) -> tuple[dict[str, re.Pattern[str]], re.Pattern[str] | None,
                                                    dict[str, list[tuple[str, str]]]]:
    """Bucket the cruft patterns by the characters they can start with.

    Patterns whose first two characters are fixed go to a bucket per two-character prefix
    (compiled when needed); the others to a bucket per first character, and those that can
    start with anything to every bucket. Each bucket keeps the rules' order.
    """
    entries = [(f"{_GROUP_PREFIX[kind]}{concept.name}", _lower_pattern(raw))
               for concept in concepts for kind in ("barriers", "patterns") for raw in getattr(concept, kind)]
    starts, pairs = zip(*[_starts(pattern) for _, pattern in entries]) if entries else ((), ())
    pair_entries = {key: [e for e, s, p in zip(entries, starts, pairs)
                          if (key in p if p is not None else s is None or key[0] in s)]
                    for key in set().union(*(p for p in pairs if p is not None))}
    unfixed = [(e, s) for e, s, p in zip(entries, starts, pairs) if p is None]
    chars = set().union(*(s for _, s in unfixed if s is not None))
    buckets = {char: _alternation([e for e, s in unfixed if s is None or char in s]) for char in chars}
    anywhere = [e for e, s in unfixed if s is None]
    return buckets, (_alternation(anywhere) if anywhere else None), pair_entries


def _phrase_groups(phrases: list[str], key_chars: int = 5) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Phrases grouped under substrings they share (greedily, the most shared first), so
    that a text is searched once per group rather than once per phrase; the others alone."""
    groups, left = [], list(range(len(phrases)))
    while left:
        keys = Counter(key for i in left for key in {phrases[i][j:j + key_chars]
                                                     for j in range(len(phrases[i]) - key_chars + 1)})
        key, shared = keys.most_common(1)[0] if keys else ("", 0)
        if shared < 2:
            break
        members = tuple(i for i in left if key in phrases[i])
        groups.append((key, members))
        left = [i for i in left if key not in phrases[i]]
    return tuple(groups) + tuple((phrases[i], (i,)) for i in left)


def _compile_one(concept: Concept | None) -> re.Pattern[str] | None:
    if concept is None or not concept.patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in concept.patterns), re.IGNORECASE)


def load_rules(config: Path | None = None, rules_dir: Path = RULES_DIR) -> RuleSet:
    """Load the packaged concept files, then apply an optional user config file."""
    concepts: dict[str, Concept] = {}
    for path in sorted(rules_dir.glob("*.toml")):
        for concept in _concepts_from_file(path):
            _merge(concepts, concept)
    disabled = _apply_user_config(concepts, Path(config)) if config is not None else frozenset()
    active = {name: c for name, c in concepts.items() if name not in disabled}
    cruft = [c for name, c in active.items() if name not in METADATA_CONCEPTS]
    buckets, anywhere, pair_entries = _compile_cruft(cruft)
    phrases = tuple((phrase.lower(), c.name) for c in cruft for phrase in c.phrases)
    return RuleSet(
        concepts=tuple(cruft),
        buckets=buckets,
        anywhere=anywhere,
        phrases=phrases,
        phrase_groups=_phrase_groups([phrase for phrase, _ in phrases]),
        pair_entries=pair_entries,
        date=_compile_one(active.get("date")),
        byline=_compile_one(active.get("byline")),
        credit=_compile_one(active.get("credit")),
        disabled=disabled,
    )


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    """The packaged rules, compiled once per process."""
    return load_rules()
