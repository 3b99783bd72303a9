"""Publication dates: parse the ways news pages print them, and pick the most reliable.

Pages print dates in many languages and layouts ("Updated 3:14 PM ET, Sat November 12,
2016", "Publié le 12 novembre 2016 à 10h32", "22.11.2016", "Wednesday 05 October 2016
18:25"). General-purpose fuzzy parsers are slow and too eager; this module uses a few
precompiled regexes built from name tables, so a header line parses in tens of
microseconds and an unrelated number is not mistaken for a date.

A local time without a zone is read in the outlet's time zone (with daylight saving).
``PublicationDate.date`` is the outlet's local calendar date; ``at`` is the UTC instant,
set only when a time of day is known.
"""
from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from decruft.lexicon import MONTH_NAMES
from decruft.models import OutletProfile, PublicationDate

__all__ = ["choose_publication_date", "find_updated", "parse_date", "parse_url_date"]

# --- name tables (data) ---------------------------------------------------------------

# Weekday names: only skipped between a time and a date ("10:48, Tue, Nov 19, 2019").
WEEKDAY_NAMES = (
    "monday mon tuesday tue tues wednesday wed thursday thu thur thurs friday fri "
    "saturday sat sunday sun "
    "montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag "
    "lundi mardi mercredi jeudi vendredi samedi dimanche lun mer jeu ven sam dim "
    "lunes martes miércoles miercoles jueves viernes sábado sabado domingo "
    "lunedì lunedi martedì martedi mercoledì mercoledi giovedì giovedi venerdì venerdi "
    "sabato domenica "
    "segunda-feira terça-feira terca-feira quarta-feira quinta-feira sexta-feira "
    "segunda terça terca quarta quinta sexta "
    "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag"
).split()

# Time zone abbreviations: a fixed UTC offset in minutes, or an IANA zone where the
# abbreviation means "local time there, whatever the season" (ET, PT, ...).
ZONE_ABBREVIATIONS: Mapping[str, int | str] = {
    "UTC": 0, "GMT": 0, "UT": 0, "Z": 0, "WET": 0, "WEST": 60, "BST": 60, "IST": 330,
    "CET": 60, "CEST": 120, "MEZ": 60, "MESZ": 120, "EET": 120, "EEST": 180, "MSK": 180,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600,
    "ADT": -180, "NST": -210, "NDT": -150, "BRT": -180, "ART": -180,
    "ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver",
    "PT": "America/Los_Angeles",
    "SAST": 120, "WAT": 60, "CAT": 120, "EAT": 180, "PKT": 300, "ICT": 420, "WIB": 420,
    "HKT": 480, "SGT": 480, "PHT": 480, "AWST": 480, "JST": 540, "KST": 540,
    "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
}

# Words that announce a date; those in UPDATE_WORDS announce a modification.
PUBLISH_WORDS = (
    "published", "posted", "first published", "publié", "publiée", "publié le", "veröffentlicht",
    "publiziert", "erstellt", "publicado", "publicada", "pubblicato", "gepubliceerd",
)
UPDATE_WORDS = (
    "updated", "last updated", "last modified", "modified", "mis à jour", "actualisé",
    "aktualisiert", "zuletzt aktualisiert", "geändert", "stand", "actualizado", "actualizada",
    "aggiornato", "atualizado", "atualizada", "bijgewerkt", "laatst bijgewerkt",
)

# Relative dates: days back for day words; units for "3 hours ago" in seven languages.
DAY_WORDS: Mapping[str, int] = {
    "today": 0, "heute": 0, "aujourd'hui": 0, "aujourd’hui": 0, "hoy": 0, "oggi": 0,
    "hoje": 0, "vandaag": 0,
    "yesterday": 1, "gestern": 1, "hier": 1, "ayer": 1, "ieri": 1, "ontem": 1, "gisteren": 1,
    "vorgestern": 2, "avant-hier": 2, "anteayer": 2, "anteontem": 2, "eergisteren": 2,
}
UNIT_WORDS: Mapping[str, dt.timedelta] = {
    **dict.fromkeys("second seconds sec secs sekunde sekunden seconde secondes segundo "
                    "segundos secondo secondi seconden".split(), dt.timedelta(seconds=1)),
    **dict.fromkeys("minute minutes min mins minuten minuto minutos minuti minuut".split(),
                    dt.timedelta(minutes=1)),
    **dict.fromkeys("hour hours hr hrs stunde stunden heure heures hora horas ora ore uur".split(),
                    dt.timedelta(hours=1)),
    **dict.fromkeys("day days tag tagen jour jours día días dia dias giorno giorni dag dagen".split(),
                    dt.timedelta(days=1)),
    **dict.fromkeys("week weeks woche wochen semaine semaines semana semanas settimana "
                    "settimane weken".split(), dt.timedelta(weeks=1)),
}
ONE_WORDS = "a an one ein eine einer einem un une una uno um uma een".split()
AGO_BEFORE = ("vor", "il y a", "hace", "há", "ha")
AGO_AFTER = ("ago", "fa", "geleden")

EARLIEST = dt.date(1990, 1, 1)
SCAN_LIMIT = 1000  # characters of one string looked at: bounds the time per call
MAX_DATE_LINE = 120  # longer text lines are prose or captions, not a page's date line
NEAR = 48  # how far around a date a time of day may be printed

# --- regex construction -----------------------------------------------------------------
# The date patterns run on re: they need lookarounds and backreferences RE2 lacks. Some have
# adjacent repeats that may overlap on spaces and dashes, so they only ever see bounded text:
# SCAN_LIMIT characters of a string, a line of MAX_DATE_LINE, a relative date of 80, NEAR
# characters around a date for its time of day.


def _trie_pattern(words: Iterable[str]) -> str:
    """An alternation of words as a prefix tree: fast to match, longest word first."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_node(trie)


def _trie_node(node: dict[str, dict]) -> str:
    branches = [re.escape(char) + _trie_node(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:
        return f"(?:{body})?"
    return body


def _month_numbers() -> dict[str, int]:
    numbers: dict[str, int] = {}
    for months in MONTH_NAMES.values():
        for number, names in enumerate(months, start=1):
            for name in names.split():
                if numbers.setdefault(name, number) != number:
                    raise ValueError(f"month name {name!r} means two months")
    return numbers


MONTHS = _month_numbers()
_NOT_LETTER_BEFORE = r"(?<![^\W\d_])"
_NOT_LETTER_AFTER = r"(?![^\W\d_])"
_MONTH = _NOT_LETTER_BEFORE + _trie_pattern(MONTHS) + _NOT_LETTER_AFTER + r"\.?"
_WEEKDAY = _NOT_LETTER_BEFORE + "(?i:" + _trie_pattern(WEEKDAY_NAMES) + ")" + _NOT_LETTER_AFTER + r"\.?"
_ORDINAL = r"(?:st|nd|rd|th|er|e|º|°|ª)?"
_YEAR = r"(?:19|20)\d\d(?:(?=\d{1,2}[:.h]\d\d)|(?!\d))"  # allows a glued time: 20194:29 AM

DATE_RE = re.compile(
    "|".join((
        # 2016-11-12, 2016/11/12, 2016.12.01, 2016-11-12T10:32
        r"(?<![\d.])(?P<iso_y>(?:19|20)\d\d)(?P<iso_sep>[-/.])(?P<iso_m>[01]?\d)(?P=iso_sep)"
        r"(?P<iso_d>[0-3]?\d)(?!\d)",
        # 2016年11月12日, 2012년 11월 06일
        r"(?P<cjk_y>(?:19|20)\d\d)\s*[年년]\s*(?P<cjk_m>[01]?\d)\s*[月월]\s*(?P<cjk_d>[0-3]?\d)\s*[日일]?",
        # 12 November 2016, 12. November 2016, 12 de noviembre de 2016, 20th Nov 2019
        r"(?<!\d)(?P<dmy_d>[0-3]?\d)" + _ORDINAL + r"\.?(?:\s+de)?[\s/-]*(?P<dmy_m>" + _MONTH
        + r")(?:\s*de)?[\s,/-]*(?P<dmy_y>" + _YEAR + ")",
        # November 12, 2016, Nov. 12 2016, November 18th, 2019
        r"(?P<mdy_m>" + _MONTH + r")\s*(?P<mdy_d>[0-3]?\d)(?!\d)" + _ORDINAL + r"\s*,?\s*(?P<mdy_y>"
        + _YEAR + ")",
        # 22.11.2016, 11/19/19, 05-10-2016 (order from the outlet, or forced by a day > 12)
        r"(?<![\d.:/])(?P<num_a>[0-3]?\d)(?P<num_sep>[./-])(?P<num_b>[0-3]?\d)(?P=num_sep)"
        r"(?P<num_y>(?:19|20)?\d\d)(?![\d/]|\.\d)",
    )),
    re.IGNORECASE,
)


def _time_pattern(separators: str) -> str:
    """A time of day: 18:25, 3:14 PM, 10h32, 8:22AM, 11:08 a.m., 18:25:07, 18:25 Uhr."""
    return (
        r"(?P<hour>[0-2]?\d)(?:[" + separators + r"]|h(?=\d))(?P<minute>[0-5]\d)"
        r"(?::(?P<second>[0-5]\d)(?:[.,]\d+)?)?"
        r"(?:\s?(?P<ampm>[aApP])\.?\s?[mM]\.?(?![a-zA-Z]))?"
        r"(?:\s*(?:Uhr|hrs?|h)(?![a-zA-Z]))?"
    )


_ZONE = (
    r"(?:\s*\(?(?P<zone>" + _trie_pattern(ZONE_ABBREVIATIONS) + r")(?![a-z])"
    r"(?:\s?(?P<zone_offset>[+\-−]\d{1,2}(?::?\d\d)?))?\)?"
    r"|\s?(?P<offset>[+\-−]\d\d:?\d\d))?"
)
_CONNECTOR = r"(?:at|à|às|as|a las|a la|alle|ore|um|om|kl\.?)"
_GAP_AFTER = r"(?:T|[\s,|/@·•–—-]*(?:" + _CONNECTOR + r"\s+)?)"
_GAP_BEFORE = (r"[\s,|/@·•–—-]*(?:(?i:on|le|am|el|il|em|op|du|del|de)\s+)?(?:" + _WEEKDAY
               + r"[\s,]*)?")

# After a date a time may follow at once (glued: "20194:29 AM"); before a date it must
# not be the tail of another number, and only ':' or 'h' separate hours from minutes.
TIME_AFTER_RE = re.compile(_GAP_AFTER + _time_pattern(":.") + _ZONE)
TIME_BEFORE_RE = re.compile(r"(?<![\d.:/])" + _time_pattern(":") + _ZONE + _GAP_BEFORE + r"\Z")

_LEAD = r"(?:(?:" + _trie_pattern(PUBLISH_WORDS + UPDATE_WORDS) + r")(?:\s+(?:on|am|le))?\s*:?\s*)?"
RELATIVE_RE = re.compile(
    r"\s*" + _LEAD + r"(?:"
    r"(?P<day_word>" + _trie_pattern(DAY_WORDS) + r")" + _NOT_LETTER_AFTER
    + r"(?:" + _GAP_AFTER + _time_pattern(":.") + _ZONE + r")?"
    r"|(?P<before>" + _trie_pattern(AGO_BEFORE) + r")?\s*(?P<count>\d+|" + _trie_pattern(ONE_WORDS)
    + r")\s+(?P<unit>" + _trie_pattern(UNIT_WORDS) + r")\.?(?:\s+(?P<after>" + _trie_pattern(AGO_AFTER)
    + r"))?" + _NOT_LETTER_AFTER
    + r")[\s.)]*",
    re.IGNORECASE,
)
UPDATE_RE = re.compile(
    _NOT_LETTER_BEFORE + r"(?:" + _trie_pattern(UPDATE_WORDS) + r")"
    + _NOT_LETTER_AFTER + r"(?:\s+(?:on|am|le|el|at|um))?\s*:?",
    re.IGNORECASE,
)
UPDATED_LEAD_RE = re.compile(r"\W*(?:" + _trie_pattern(UPDATE_WORDS) + r")" + _NOT_LETTER_AFTER,
                             re.IGNORECASE)

URL_DATE_RES = (
    re.compile(r"/((?:19|20)\d\d)/([01]?\d)/([0-3]?\d)(?=[/_.-]|$)"),
    re.compile(r"/((?:19|20)\d\d)/(" + _trie_pattern(MONTHS) + r")/([0-3]?\d)(?=[/_.-]|$)", re.IGNORECASE),
    re.compile(r"(?<=[/_-])((?:19|20)\d\d)-([01]\d)-([0-3]\d)(?=[/_.-]|$)"),
    re.compile(r"(?<=[/_-])((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=[/_.-]|$)"),
)

# --- small helpers -------------------------------------------------------------------


@lru_cache(maxsize=64)
def _zone(name: str) -> dt.tzinfo:
    return zoneinfo.ZoneInfo(name)


def _calendar_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _full_year(year: int) -> int:
    if year >= 100:
        return year
    return 1900 + year if year >= 90 else 2000 + year


def _fixed_zone(minutes: int) -> dt.tzinfo:
    return dt.timezone(dt.timedelta(minutes=minutes))


def _offset_minutes(text: str) -> int | None:
    """'+01:00', '-0500', '+5', '−3' as minutes east of UTC (None when impossible)."""
    sign = -1 if text[0] in "-−" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = (int(digits), 0) if len(digits) <= 2 else (int(digits[:-2]), int(digits[-2:]))
    if hours > 14 or minutes > 59:
        return None
    return sign * (hours * 60 + minutes)


def _stated_zone(match: re.Match[str]) -> dt.tzinfo | None:
    """The zone printed after a time: an abbreviation, an offset, or both (GMT+1)."""
    offset = match.group("offset") or match.group("zone_offset")
    if offset:
        minutes = _offset_minutes(offset)
        return None if minutes is None else _fixed_zone(minutes)
    abbreviation = match.group("zone")
    if not abbreviation:
        return None
    meaning = ZONE_ABBREVIATIONS[abbreviation]
    return _zone(meaning) if isinstance(meaning, str) else _fixed_zone(meaning)


TimeOfDay = tuple[int, int, int | None]  # hour, minute, second (None when not printed)


def _clock(match: re.Match[str]) -> TimeOfDay | None:
    """Hour, minute and second of a time match, with am/pm applied."""
    hour, minute = int(match.group("hour")), int(match.group("minute"))
    second = int(match.group("second")) if match.group("second") else None
    ampm = (match.group("ampm") or "").lower()
    if ampm and 1 <= hour <= 12:
        hour = hour % 12 + (12 if ampm == "p" else 0)
    if hour > 23:
        return None
    return hour, minute, second


def _as_utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


class _Clock:
    """How one outlet reads dates: its zone, day/month order, own layouts, latest plausible date."""

    def __init__(self, timezone: str, day_first: bool, scraped_at: dt.datetime | None,
                 formats: tuple[str, ...] = ()) -> None:
        self.zone = _zone(timezone)
        self.zone_known = timezone != "UTC"  # "UTC" is also what an unknown outlet gets
        self.day_first = day_first
        self.formats = formats
        self.scraped_at = _as_utc(scraped_at)
        self.latest = (self.scraped_at or dt.datetime.now(dt.UTC)) + dt.timedelta(days=1)

    def plausible(self, date: dt.date, at: dt.datetime | None) -> bool:
        if date < EARLIEST:
            return False
        if at is not None:
            return at <= self.latest
        return date <= self.latest.astimezone(self.zone).date()

    def result(self, date: dt.date, time: TimeOfDay | None, stated: dt.tzinfo | None,
               raw: str) -> PublicationDate | None:
        """A PublicationDate for a calendar date, a time of day and the zone printed with it."""
        if time is None:
            return PublicationDate(date, None, "day", "text", raw) if self.plausible(date, None) else None
        hour, minute, second = time
        local = dt.datetime(date.year, date.month, date.day, hour, minute, second or 0,
                            tzinfo=stated or self.zone)
        at = local.astimezone(dt.UTC)
        if stated is not None and self.zone_known:
            date = at.astimezone(self.zone).date()
        if not self.plausible(date, at):
            return None
        return PublicationDate(date, at, "minute" if second is None else "second", "text", raw)

    def result_at(self, date: dt.date, time: re.Match[str] | None, raw: str) -> PublicationDate | None:
        """Like ``result``, for a regex match of a time of day (with its zone) or none."""
        clock = _clock(time) if time is not None else None
        stated = _stated_zone(time) if clock is not None else None
        return self.result(date, clock, stated, raw)


# --- parsing -----------------------------------------------------------------------------


def _ymd_of(match: re.Match[str], day_first: bool) -> dt.date | None:
    """The calendar date of one DATE_RE match, whichever layout matched."""
    found = match.groupdict()
    for layout in ("iso", "cjk", "dmy", "mdy"):
        if found[f"{layout}_y"] is not None:
            month = found[f"{layout}_m"]
            number = int(month) if month.isdigit() else MONTHS[month.lower().rstrip(".")]
            return _calendar_date(int(found[f"{layout}_y"]), number, int(found[f"{layout}_d"]))
    first, second = int(found["num_a"]), int(found["num_b"])
    day, month = (first, second) if day_first else (second, first)
    if month > 12:
        day, month = month, day
    return _calendar_date(_full_year(int(found["num_y"])), month, day)


def _time_near(text: str, start: int, end: int) -> re.Match[str] | None:
    """A time of day printed right after the date, else right before it."""
    after = TIME_AFTER_RE.match(text, end, min(len(text), end + NEAR))
    if after is not None:
        return after
    return TIME_BEFORE_RE.search(text, max(0, start - NEAR), start)


def _relative(text: str, clock: _Clock) -> PublicationDate | None:
    """'3 hours ago', 'gestern, 18:25', 'hier' — only as a whole line, and only with scraped_at."""
    if clock.scraped_at is None or len(text) > 80:
        return None
    match = RELATIVE_RE.fullmatch(text)
    if match is None:
        return None
    scraped_local = clock.scraped_at.astimezone(clock.zone)
    if match.group("day_word"):
        days_back = DAY_WORDS[match.group("day_word").lower()]
        date = scraped_local.date() - dt.timedelta(days=days_back)
        return clock.result_at(date, match if match.group("hour") else None, text)
    if not (match.group("before") or match.group("after")):
        return None
    count = match.group("count")
    amount = int(count) if count.isdigit() else 1
    moment = scraped_local - amount * UNIT_WORDS[match.group("unit").lower()]
    return clock.result(moment.date(), None, None, text)


def _from_formats(text: str, clock: _Clock) -> PublicationDate | None:
    """An outlet's own strptime layouts (profile ``date_formats``), matched on the whole text."""
    stripped = text.strip()
    for layout in clock.formats:
        try:
            parsed = dt.datetime.strptime(stripped, layout)
        except ValueError:
            continue
        has_time = "%H" in layout or "%I" in layout
        time = (parsed.hour, parsed.minute, parsed.second if "%S" in layout else None) if has_time else None
        found = clock.result(parsed.date(), time, parsed.tzinfo, text)
        if found is not None:
            return found
    return None


def _parse(text: str, clock: _Clock) -> PublicationDate | None:
    scanned = text[:SCAN_LIMIT]
    found = _from_formats(scanned, clock) if clock.formats else None
    if found is not None:
        return found
    if any(char.isdigit() for char in scanned):
        for match in DATE_RE.finditer(scanned):
            date = _ymd_of(match, clock.day_first)
            if date is None:
                continue
            found = clock.result_at(date, _time_near(scanned, match.start(), match.end()), text)
            if found is not None:
                return found
    return _relative(scanned, clock)


def parse_date(
    text: str,
    *,
    timezone: str = "UTC",
    day_first: bool = True,
    scraped_at: dt.datetime | None = None,
) -> PublicationDate | None:
    """The first plausible date (with its time of day, if printed) in a short text.

    ``timezone`` is the outlet's IANA zone for times printed without one; with the
    default "UTC" (outlet unknown) a printed zone keeps the printed calendar date.
    Relative dates need ``scraped_at``. Dates before 1990 or after scraped_at + 1 day
    are skipped.
    """
    if not text:
        return None
    return _parse(text, _Clock(timezone, day_first, scraped_at))


def parse_url_date(url: str) -> dt.date | None:
    """A date in a URL path: /2016/11/12/, /2016/nov/12/, /2016-11-12/, /20161112-..."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    if "//" in path:
        path = "/" + path.split("//", 1)[1].partition("/")[2]
    for pattern in URL_DATE_RES:
        match = pattern.search(path)
        if match is None:
            continue
        year, month, day = match.groups()
        number = MONTHS[month.lower()] if month.isalpha() else int(month)
        date = _calendar_date(int(year), number, int(day))
        if date is not None:
            return date
    return None


# --- choosing ------------------------------------------------------------------------


def _outlet_clock(profile: OutletProfile | None, scraped_at: dt.datetime | None) -> _Clock:
    if profile is None:
        return _Clock("UTC", True, scraped_at)
    return _Clock(profile.timezone, profile.day_first, scraped_at, profile.date_formats)


def _with_source(found: PublicationDate | None, source: str, raw: str) -> PublicationDate | None:
    if found is None:
        return None
    return PublicationDate(found.date, found.at, found.precision, source, raw)


def _from_datetime(value: dt.datetime, clock: _Clock, source: str) -> PublicationDate | None:
    local = value if value.tzinfo is not None else value.replace(tzinfo=clock.zone)
    at = local.astimezone(dt.UTC)
    date = at.astimezone(clock.zone).date() if clock.zone_known else local.date()
    if not clock.plausible(date, at):
        return None
    return PublicationDate(date, at, "second", source, value.isoformat())


def _from_structured(value: str | dt.datetime | None, clock: _Clock, source: str) -> PublicationDate | None:
    """A machine-written date (metadata field, HTML attribute): datetime, epoch or text."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return _from_datetime(value, clock, source)
    text = value.strip()
    if re.fullmatch(r"\d{9,13}(?:\.\d+)?", text):
        seconds = float(text) / (1000 if len(text.split(".")[0]) > 11 else 1)
        found = _from_datetime(dt.datetime.fromtimestamp(seconds, dt.UTC), clock, source)
        return _with_source(found, source, value)
    return _with_source(_parse(text, clock), source, value)


def _from_lines(lines: Sequence[str], clock: _Clock) -> PublicationDate | None:
    """The first date line that parses; a line announcing an update only as a fallback.

    A plain date after an update line replaces it only if it is not later than the
    update: a page is not published after it was updated.
    """
    update = None
    for line in lines:
        if not line or len(line) > MAX_DATE_LINE:
            continue
        found = _parse(line, clock)
        if found is None:
            continue
        if UPDATED_LEAD_RE.match(line) is not None:
            update = update or found
        elif update is None or found.date <= update.date:
            return found
    return update


def _from_url(url: str | None, clock: _Clock) -> PublicationDate | None:
    date = parse_url_date(url) if url else None
    if date is None or not clock.plausible(date, None):
        return None
    return PublicationDate(date, None, "day", "url", url)


def choose_publication_date(
    *,
    metadata: str | dt.datetime | None = None,
    html: str | None = None,
    text: Sequence[str] = (),
    url: str | None = None,
    profile: OutletProfile | None = None,
    scraped_at: dt.datetime | None = None,
) -> PublicationDate | None:
    """The publication date from the most reliable source that yields one.

    Reliability order: metadata (what the scraper recorded), html (a machine-readable
    date in the markup), text (header date lines, best first), url (a date in the path).
    """
    clock = _outlet_clock(profile, scraped_at)
    return (
        _from_structured(metadata, clock, "metadata")
        or _from_structured(html, clock, "html")
        or _from_lines(text, clock)
        or _from_url(url, clock)
    )


def find_updated(
    lines: Sequence[str] | str,
    *,
    profile: OutletProfile | None = None,
    scraped_at: dt.datetime | None = None,
) -> PublicationDate | None:
    """When a page says it was modified ("Updated …", "Aktualisiert …", "Mis à jour …")."""
    clock = _outlet_clock(profile, scraped_at)
    for line in [lines] if isinstance(lines, str) else lines:
        if not line or len(line) > MAX_DATE_LINE:
            continue
        for keyword in UPDATE_RE.finditer(line):
            found = _parse(line[keyword.end():], clock)
            if found is not None:
                return PublicationDate(found.date, found.at, found.precision, "text", line)
    return None
