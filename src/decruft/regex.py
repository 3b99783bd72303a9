"""Patterns written in Python's regex syntax and meaning, matched in linear time by RE2.

Rule, outlet and user patterns are data: any of them could backtrack catastrophically under
Python's ``re``. RE2 runs every pattern as an automaton, in time linear in the text, and has no
backreferences or lookarounds to lose that guarantee; a pattern that needs one is refused when
it is loaded (``UnsupportedPattern``, which names the feature).

RE2's classes and word boundaries are ASCII, Python's are Unicode, so a pattern is translated
from its parse tree: ``\\w``, ``\\d`` and ``\\s`` become the Unicode classes Python means (as of
RE2's Unicode tables, which may know a few characters newer than Python's), ``$`` also matches
before a final newline as in Python. A word boundary needs the text's neighbouring characters,
which RE2 judges as ASCII: on ASCII text RE2's own ``\\b`` is right; for other text a second
translation runs on the text with a marker character inserted at each (Unicode) word boundary,
where ``\\b`` means "a marker here" and every other item skips the markers.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple
from re import _constants as sre  # the stdlib parser's opcodes and its parse tree
from re import _parser

import re2

#: A noncharacter: never part of interchange text, so it can mark word boundaries.
MARK = "\ufdd0"
_MARK_RE = r"\x{FDD0}"
_SKIP_MARK = _MARK_RE + "?"
#: Python's Unicode \w, \d; \s is the characters str.isspace() accepts.
_WORD = r"\p{L}\p{N}_"
_DIGIT = r"\p{Nd}"
_SPACE = r"\t-\r\x{1C}-\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}"
_CLASSES = {sre.CATEGORY_WORD: (_WORD, False), sre.CATEGORY_NOT_WORD: (_WORD, True),
            sre.CATEGORY_DIGIT: (_DIGIT, False), sre.CATEGORY_NOT_DIGIT: (_DIGIT, True),
            sre.CATEGORY_SPACE: (_SPACE, False), sre.CATEGORY_NOT_SPACE: (_SPACE, True)}
#: RE2 refuses counted repetition beyond this.
MAX_REPEAT = 1000
#: Compiled programs may be large (many bounded repeats of Unicode classes, a set of many rules).
MAX_MEM = 64 << 20
# The text's words: a single class repeated, so it cannot backtrack. Split around them (the
# words kept), the text joined with MARK has one at each word boundary: the start and the end
# of each word. Faster than substituting each zero-width match of \b.
_WORDS = re.compile(r"(\w+)")


class UnsupportedPattern(ValueError):
    """A pattern uses a feature that linear-time matching cannot offer."""


def options() -> re2.Options:
    opts = re2.Options()
    opts.max_mem = MAX_MEM
    opts.log_errors = False
    return opts


def mark_boundaries(text: str) -> str:
    """The text with MARK at each word boundary (for patterns translated with ``marked``)."""
    if MARK in text:
        text = text.replace(MARK, "\ufffd")
    return MARK.join(_WORDS.split(text))


def translate(pattern: str, flags: int = 0, *, marked: bool = False) -> str:
    """The RE2 pattern matching what ``re.compile(pattern, flags)`` matches.

    ``marked``: for text passed through ``mark_boundaries``. Raises UnsupportedPattern or
    re.error (a pattern Python itself refuses).
    """
    parsed = _parser.parse(pattern, flags)
    state_flags = parsed.state.flags
    if state_flags & re.ASCII:
        raise UnsupportedPattern("the ASCII flag (?a)")
    body = _Emitter(state_flags, marked).sequence(list(parsed))
    prefix = "".join(flag for bit, flag in ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"))
                     if state_flags & bit)
    return (f"(?{prefix})" if prefix else "") + (_SKIP_MARK if marked else "") + body


def has_boundaries(pattern: str, flags: int = 0) -> bool:
    return _has_at(list(_parser.parse(pattern, flags)), (sre.AT_BOUNDARY, sre.AT_NON_BOUNDARY))


def _has_at(items: list, kinds: Sequence) -> bool:
    """Whether the parse tree holds an anchor or boundary of these kinds."""
    for op, av in items:
        if op is sre.AT and av in kinds:
            return True
        for sub in _children(op, av):
            if _has_at(list(sub), kinds):
                return True
    return False


def _children(op, av) -> list:
    if op is sre.BRANCH:
        return list(av[1])
    if op is sre.SUBPATTERN:
        return [av[3]]
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        return [av[2]]
    return []


class _Emitter:
    def __init__(self, flags: int, marked: bool):
        self.dotall = bool(flags & re.DOTALL)
        self.multiline = bool(flags & re.MULTILINE)
        self.marked = marked
        self.skip = _SKIP_MARK if marked else ""

    def sequence(self, items: Sequence) -> str:
        out: list[str] = []
        for index, (op, av) in enumerate(items):
            if op is sre.AT and av is sre.AT_NON_BOUNDARY and self.marked:
                # no marker here: the character before must not skip one, the one after cannot match it
                following = items[index + 1][0] if index + 1 < len(items) else None
                if not out or not out[-1].endswith(_SKIP_MARK) or following not in _CHARACTERS:
                    raise UnsupportedPattern(r"\B anywhere but between two characters")
                out[-1] = out[-1][: -len(_SKIP_MARK)]
                continue
            out.append(self.item(op, av))
        return "".join(out)

    def item(self, op, av) -> str:
        if op is sre.LITERAL:
            return _literal(av) + self.skip
        if op is sre.NOT_LITERAL:
            return f"[^{_literal(av, in_class=True)}{_MARK_RE if self.marked else ''}]" + self.skip
        if op is sre.ANY:
            if not self.marked:
                return "(?s:.)" if self.dotall else "."
            return (f"[^{_MARK_RE}]" if self.dotall else f"[^\\n{_MARK_RE}]") + self.skip
        if op is sre.IN:
            return self.char_class(av) + self.skip
        if op is sre.AT:
            return self.anchor(av)
        if op is sre.BRANCH:
            return "(?:" + "|".join(self.sequence(list(alt)) for alt in av[1]) + ")"
        if op is sre.SUBPATTERN:
            group, add, remove, sub = av
            scoped = _scoped_flags(add, remove)
            inner = self.sequence(list(sub))
            if group is None:
                return f"(?{scoped}:{inner})"
            return f"((?{scoped}:{inner}))" if scoped else f"({inner})"
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, high, sub = av
            if high is not sre.MAXREPEAT and high > MAX_REPEAT:
                raise UnsupportedPattern(f"a repeat count over {MAX_REPEAT}")
            quantifier = ("*" if low == 0 else "+" if low == 1 else f"{{{low},}}") if high is sre.MAXREPEAT \
                else "?" if (low, high) == (0, 1) else f"{{{low}}}" if low == high else f"{{{low},{high}}}"
            return f"(?:{self.sequence(list(sub))}){quantifier}" + ("?" if op is sre.MIN_REPEAT else "")
        raise UnsupportedPattern(_FEATURES.get(op, str(op).lower()))

    def anchor(self, av) -> str:
        if av is sre.AT_BOUNDARY:
            return _MARK_RE if self.marked else r"\b"
        if av is sre.AT_NON_BOUNDARY:
            return r"\B"
        if av is sre.AT_BEGINNING:
            return "^" + self.skip  # a marker may follow the start
        if av is sre.AT_BEGINNING_STRING:
            return r"\A" + self.skip
        if av is sre.AT_END:
            return "$" if self.multiline else r"(?:\n?\z)"
        if av is sre.AT_END_STRING:
            return r"\z"
        raise UnsupportedPattern(str(av).lower())

    def char_class(self, items: list) -> str:
        negate = bool(items) and items[0][0] is sre.NEGATE
        parts = []
        for op, av in items[1:] if negate else items:
            if op is sre.LITERAL:
                parts.append(_literal(av, in_class=True))
            elif op is sre.RANGE:
                parts.append(f"{_literal(av[0], in_class=True)}-{_literal(av[1], in_class=True)}")
            elif op is sre.CATEGORY:
                members, inverted = _CLASSES[av]
                if inverted:
                    if len(items) - negate > 1:
                        raise UnsupportedPattern(r"\W, \D or \S combined with other items in a class")
                    negate = not negate
                parts.append(members)
            else:
                raise UnsupportedPattern(str(op).lower())
        body = "".join(parts)
        if negate:
            return f"[^{body}{_MARK_RE if self.marked else ''}]"
        return f"[{body}]"


_CHARACTERS = (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN)
_FEATURES = {sre.ASSERT: "a lookahead or lookbehind", sre.ASSERT_NOT: "a negative lookahead or lookbehind",
             sre.GROUPREF: "a backreference", sre.GROUPREF_EXISTS: "a conditional group",
             sre.ATOMIC_GROUP: "an atomic group", sre.POSSESSIVE_REPEAT: "a possessive repeat"}


def _scoped_flags(add: int, remove: int) -> str:
    letters = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s"}
    if (add | remove) & ~(re.IGNORECASE | re.MULTILINE | re.DOTALL | re.UNICODE):
        raise UnsupportedPattern("a scoped flag other than i, m or s")
    on = "".join(v for k, v in letters.items() if add & k)
    off = "".join(v for k, v in letters.items() if remove & k)
    return on + (f"-{off}" if off else "")


def _literal(code: int, in_class: bool = False) -> str:
    char = chr(code)
    if char.isalnum() or char == "_" or (char == " " and not in_class):
        return char
    return f"\\x{{{code:X}}}"


class PatternSet:
    """Patterns in an RE2 ``Set``: which of them match a text, in one pass over it.

    A set finds no spans, so it runs on RE2's fastest engine (a DFA). When a pattern has word
    boundaries, the plain set also holds a sentinel matching any text with a non-ASCII letter
    or digit: only such a text is matched again, marked, by the marked set (built with the
    plain one, so that processes forked after the rules load never compile it again).
    """

    __slots__ = ("_count", "_plain", "_marked")

    def __init__(self, patterns: Sequence[str], flags: int = 0, anchor: str = "anywhere"):
        self._count = len(patterns)
        plain = [translate(p, flags) for p in patterns]
        marked = ([translate(p, flags, marked=True) for p in patterns]
                  if any(has_boundaries(p, flags) for p in patterns) else None)
        self._plain = _set(plain + [_NON_ASCII_WORD] if marked else plain, anchor)
        self._marked = _set(marked, anchor) if marked else None

    def indices(self, text: str) -> list[int] | None:
        """The indices of the patterns matching text (None: none does); the lowest is the one
        an alternation of them, in order, would match."""
        found = self._plain(text.encode("utf-8", "surrogatepass"))  # lone surrogates too
        if not found or self._marked is None or self._count not in found:
            return found or None
        return self._marked(mark_boundaries(text).encode("utf-8", "surrogatepass")) or None


#: Text holding a non-ASCII letter or digit, where RE2's ASCII word boundaries are not Python's.
_NON_ASCII_WORD = r"(?s:.)*?(?:[^\x00-\x7f\P{L}]|[^\x00-\x7f\P{N}])"


def _set(translated: list[str], anchor: str) -> Callable[[bytes], list[int] | None]:
    """The patterns as one RE2 set matching UTF-8 at its start ("start") or anywhere: its match
    function, which gives the matching patterns' indices (none: empty or None)."""
    matcher = re2.Set.MatchSet(options()) if anchor == "start" else re2.Set.SearchSet(options())
    for pattern in translated:
        matcher.Add(pattern)
    matcher.Compile()
    # the C++ set behind the wrapper, called directly: the wrapper's own per-call work (type
    # checks, encoding) cost a tenth of the text cleaner's time
    native = getattr(matcher, "_set", None)
    return native.Match if native is not None else matcher.Match


class Pattern:
    """One pattern in Python's syntax and meaning: whether it matches, in linear time.

    Raises UnsupportedPattern (or re.error for invalid syntax) when built.
    """

    __slots__ = ("pattern", "flags", "_search", "_match")

    def __init__(self, pattern: str, flags: int = 0):
        self.pattern, self.flags = pattern, flags
        _check(translate(pattern, flags))  # refuse what RE2 cannot run now, not on first use
        if has_boundaries(pattern, flags):
            _check(translate(pattern, flags, marked=True))
        # each anchor's PatternSet.indices, built when first used, then called directly
        self._search: Callable[[str], list[int] | None] | None = None
        self._match: Callable[[str], list[int] | None] | None = None

    def search(self, text: str) -> bool:
        """Whether the pattern matches anywhere in text (``re.search``)."""
        if self._search is None:
            self._search = PatternSet([self.pattern], self.flags).indices
        return self._search(text) is not None

    def match(self, text: str) -> bool:
        """Whether the pattern matches at the start of text (``re.match``)."""
        if self._match is None:
            self._match = PatternSet([self.pattern], self.flags, "start").indices
        return self._match(text) is not None

    def __repr__(self) -> str:
        return f"Pattern({self.pattern!r})"

    def __reduce__(self):
        return Pattern, (self.pattern, self.flags)


class Leftmost:
    """Which of several groups of patterns matches leftmost in a text (the first group at
    that position), as one alternation of them would; RE2 finds it with its submatches."""

    __slots__ = ("_plain", "_marked")

    def __init__(self, groups: Sequence[Sequence[str]], flags: int = 0):
        def alternation(marked: bool) -> str:
            return "|".join(f"(?P<g{i}>" + "|".join(f"(?:{translate(p, flags, marked=marked)})" for p in group) + ")"
                            for i, group in enumerate(groups))
        self._plain = _Alternation.of(alternation(False), len(groups))  # see PatternSet: RE2's boundaries are ASCII
        boundaries = any(has_boundaries(p, flags) for group in groups for p in group)
        self._marked = _Alternation.of(alternation(True), len(groups)) if boundaries else None

    def group(self, text: str) -> int | None:
        """The index of the group matching leftmost, or None."""
        data = text.encode("utf-8", "surrogatepass")
        if self._marked is not None and not text.isascii() and _HAS_NON_ASCII_WORD.search(data):
            alternation, data = self._marked, mark_boundaries(text).encode("utf-8", "surrogatepass")
        else:
            alternation = self._plain
        found = alternation.regex.search(data)
        return None if found is None else alternation.index_of[found.lastindex]


class _Alternation(NamedTuple):
    """A compiled alternation of groups ``g0``, ``g1``... and, by a match's ``lastindex``, which
    of them matched: its outermost group ending last, as groups inside its patterns end within
    it (a match's ``lastgroup`` would rebuild the pattern's names on every call)."""

    regex: Any
    index_of: dict[int, int]

    @classmethod
    def of(cls, pattern: str, groups: int) -> _Alternation:
        regex = _compile(pattern)
        return cls(regex, {regex.groupindex[f"g{i}"]: i for i in range(groups)})


_HAS_NON_ASCII_WORD = re2.compile(_NON_ASCII_WORD)


class LineSearch:
    """Which of several lines a pattern matches in, searched in one pass over the lines joined:
    one RE2 call per matching line and one more, not one per line (a page has hundreds).

    Only for a pattern that cannot match a line break (then each match lies within one line),
    with no anchors (``^``, ``$`` would mean the joined text's ends) and no word boundaries
    (RE2's are ASCII; see PatternSet).
    """

    __slots__ = ("_first",)

    def __init__(self, pattern: str, flags: int = 0):
        if _has_at(list(_parser.parse(pattern, flags)), sre.ATCODES):
            raise UnsupportedPattern("an anchor or word boundary in a search over lines")
        self._first = _first_match(_compile(translate(pattern, flags)))

    def lines(self, lines: Sequence[str]) -> list[int]:
        """The indices of the lines the pattern matches somewhere in, in order."""
        data = "\n".join(lines).encode("utf-8", "surrogatepass")
        found: list[int] = []
        index = pos = 0
        while (start := self._first(data, pos)) >= 0:
            index += data.count(b"\n", pos, start)
            found.append(index)
            pos = data.find(b"\n", start) + 1  # search on from the next line
            if not pos:
                break
            index += 1
        return found


def _first_match(compiled) -> Callable[[bytes, int], int]:
    """Where a compiled pattern first matches UTF-8 ``data`` from byte ``pos`` on (-1: nowhere):
    through the C++ regex behind the wrapper, called directly (as ``_set`` calls its set), or
    through the wrapper's own search where that is not there."""
    native = getattr(compiled, "_regexp", None)
    anchors = getattr(getattr(getattr(re2, "_re2", None), "RE2", None), "Anchor", None)
    if native is not None and anchors is not None:
        match, unanchored = native.Match, anchors.UNANCHORED
        return lambda data, pos: match(unanchored, data, pos, len(data))[0][0]

    def search(data: bytes, pos: int) -> int:
        found = compiled.search(data, pos)
        return -1 if found is None else found.start()
    return search


def _compile(translated: str):
    try:
        return re2.compile(translated, options())
    except re2.error as exc:
        raise UnsupportedPattern(f"a construct RE2 cannot compile ({exc})") from exc


def _check(translated: str) -> None:
    """Refuse a pattern RE2 cannot compile (in a throw-away set: re2.compile would cache it)."""
    try:
        _set([translated], "start")
    except re2.error as exc:
        raise UnsupportedPattern(f"a construct RE2 cannot compile ({exc})") from exc
