"""People and news agencies from bylines and credit lines.

A byline ("By A and B", "Von A und B", "Par A et B", "A, Reuters") names authors; a
credit line ("mkg/rc (Reuters, AFP, dpa, AP)") names the editors' initials and the
agencies the story used. Authors are persons only: a phrase that is not clearly a
person's name (a desk, an outlet, an agency, initials) is left out — an empty author
list is better than a wrong one.
"""
from __future__ import annotations

import re
import unicodedata

from decruft.lexicon import AGENCY_SPELLINGS
from decruft.outlets import Registry

__all__ = ["agencies_in", "normalise_agency", "parse_byline", "parse_credit_line"]

# Lower-case words allowed inside a name ("Jan de Vries", "Ursula von der Leyen").
NAME_PARTICLES = frozenset(
    "de da das do dos du des del della di la le van von der den ter ten zu al el bin ibn "
    "y e st. st".split()
)
# Words that show a phrase names a role, a desk or an organisation, not a person.
NOT_NAME_WORDS = frozenset(
    "staff reporter reporters correspondent correspondents editor editors editorial desk team "
    "news newsroom agency agencies press wire wires service services bureau contributor "
    "contributors writer writers online digital media our the and with from agences agence "
    "redaktion redacción redazione redação redactie agenturen nachrichten newsdesk "
    "report reports correspondant envoyé spécial special photo photos video image images "
    "getty afp reuters dpa associated ap university institute ministry "
    # function words: a capitalised title ("By Any Means Necessary") is not a name
    "a an any all some every this that these those my your his her its their of to how why "
    "what when where who which is are was not no new best more most".split()
)

# These run on re (lookaheads, \b before non-ASCII letters): some have adjacent repeats that
# overlap on spaces, so their time grows with the square of a line's length. They only ever see
# one credit or byline line, cut to MAX_CREDIT_CHARS, which bounds that.
MAX_CREDIT_CHARS = 500
_LEAD_RE = re.compile(
    r"^\W*(?:(?:written|reported|reporting|additional\s+reporting|text|texto|testo|tekst|words|"
    r"story|interview)\s+)?(?:by|von|par|por|di|door)\b\s*:?\s*"
    r"|^\W*(?:text|texto|testo|tekst|autor|autora|auteur|author|autore)\s*:\s*",
    re.IGNORECASE,
)
# Where the names end: a date or time, a separator, or a word that starts a new phrase.
_TAIL_RE = re.compile(
    r"\d|[|•·@;(/]|\s[-–—]\s|\s[-–—]$"
    r"|\s(?i:on|am|le|el|il|op|in|aus|à|for|at|updated|published|posted|aktualisiert|"
    r"veröffentlicht|publiziert|erschienen|publié|mis à jour|editing|edited)(?=\s|$)",
)
_EDITING_RE = re.compile(r";?\s*(?:editing|edited|compiled|writing)\s+by\b.*$", re.IGNORECASE)
_NAME_SPLIT_RE = re.compile(r"\s*(?:,|&|\s(?:and|und|et|y|e|en)\s)\s*")
_CREDIT_RE = re.compile(r"^(?P<who>[^()]*?)\s*\((?P<list>[^()]+)\)\s*\.?$")
_INITIALS_RE = re.compile(r"^[a-z]{1,4}(?:\s*/\s*[a-z]{1,4})*$")
_LIST_SPLIT_RE = re.compile(r"\s*(?:[,/;&+]|\s(?:and|und|et|y|e|with|mit|avec)\s)\s*", re.IGNORECASE)
_LIST_LEAD_RE = re.compile(
    r"^\W*(?:with material from|with reporting from|mit material von|avec|sources?|quellen?|"
    r"with|mit|con|com|met|agencies|agences|agenturen)\s*:?\s*",
    re.IGNORECASE,
)


def _key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


_AGENCY_BY_KEY = {_key(spelling): name for name, spellings in AGENCY_SPELLINGS.items()
                  for spelling in (name, *spellings)}


def normalise_agency(name: str) -> str | None:
    """One canonical name for a news agency's spellings ("Agence France-Presse" -> "AFP")."""
    return _AGENCY_BY_KEY.get(_key(name))


def _agencies_in_list(text: str) -> list[str]:
    """The recognised agencies of a list such as "Reuters, AFP, dpa, AP" or "dpa/AFP"."""
    items = _LIST_SPLIT_RE.split(_LIST_LEAD_RE.sub("", text.strip()))
    found = (normalise_agency(item) for item in items if item)
    return list(dict.fromkeys(agency for agency in found if agency))


def agencies_in(text: str) -> list[str]:
    """Agencies credited at the end of a text: "... (Reuters, AFP)", "With AFP, dpa".

    Only a trailing parenthesised list or a text that is itself a list counts, so an
    agency merely mentioned in a sentence is not reported as a source.
    """
    stripped = text.strip()
    if not stripped:
        return []
    credit = _CREDIT_RE.match(stripped[-300:])
    if credit is not None:
        return _agencies_in_list(credit.group("list"))
    return _agencies_in_list(stripped) if len(stripped) <= 120 else []


def parse_credit_line(line: str, outlets: Registry) -> tuple[list[str], list[str]]:
    """Authors and agencies of a credit line ("mkg/rc (Reuters, AFP)", "Jane Doe (AFP)").

    Editors' initials are not authors: "mkg/rc" gives no author; nor is an outlet of the registry.
    """
    stripped = line.strip()[:MAX_CREDIT_CHARS]
    credit = _CREDIT_RE.match(stripped)
    if credit is None:
        agencies = _agencies_in_list(stripped)
        return ([] if agencies else parse_byline(stripped, outlets)), agencies
    who = credit.group("who").strip()
    authors = [] if _INITIALS_RE.match(who) else parse_byline(who, outlets)
    return authors, _agencies_in_list(credit.group("list"))


def _title_case(token: str) -> str:
    """'LUSIARDI' -> 'Lusiardi', "O'BRIEN" -> "O'Brien"; mixed case is kept as printed."""
    if not token.isupper() or len(token) < 2 or token.endswith("."):
        return token
    return re.sub(r"[^\W\d_]+", lambda m: m.group().capitalize(), token)


def _is_name_token(token: str) -> bool:
    if token in NAME_PARTICLES:
        return True
    return token[0].isupper() and all(ch.isalpha() or ch in "-'’." for ch in token)


def _undouble(tokens: list[str]) -> list[str]:
    """'Sean Martin Sean Martin' (a name printed twice by the page layout) -> 'Sean Martin'."""
    half = len(tokens) // 2
    if len(tokens) % 2 == 0 and tokens[:half] == tokens[half:]:
        return tokens[:half]
    return tokens


def _person_name(phrase: str, outlets: Registry) -> str | None:
    """The phrase as a person's name, or None when it is not clearly one (nor an agency or
    one of the registry's outlets)."""
    tokens = _undouble(phrase.strip(" .,:'\"“”").split())
    if not 2 <= len(tokens) <= 5 or not (tokens[0][0].isupper() and tokens[-1][0].isupper()):
        return None
    if not all(_is_name_token(t) for t in tokens):
        return None
    if any(t.casefold().strip(".") in NOT_NAME_WORDS for t in tokens):
        return None
    name = " ".join(_title_case(t) for t in tokens)
    if normalise_agency(name) or outlets.lookup(name):
        return None
    return name


def parse_byline(line: str, outlets: Registry) -> list[str]:
    """Person names of a byline: "By A and B", "Von A und B", "Par A et B", "A, Reuters"
    (the run's outlet registry tells outlet names from people's)."""
    text = _EDITING_RE.sub("", line.strip()[:MAX_CREDIT_CHARS])
    text = _LEAD_RE.sub("", text, count=1)
    tail = _TAIL_RE.search(text)
    if tail is not None:
        text = text[: tail.start()]
    names = (_person_name(part, outlets) for part in _NAME_SPLIT_RE.split(text) if part)
    return list(dict.fromkeys(name for name in names if name))
