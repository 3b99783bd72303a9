"""Plain-text cruft cleaner: keep the article's lines, drop menus, captions, footers.

Scraped page text has no DOM, so each line is judged from signals that are cheap
to compute and combine:

* concept patterns from ``rules/*.toml`` (navigation, login, caption, ...),
  outlet patterns from the profile, and corpus-wide boilerplate lines;
* structure: the article is the densest run of prose (a maximum-sum segment
  over per-line scores, where "barrier" lines such as "More stories" cost much to
  cross, and end it when only stand-alone teaser paragraphs follow); it starts under
  the headline (the longest line the page title repeats) and ends before a comment
  thread (stamped lines), a box or a paragraph about its author; the header zone above
  it holds section, title, standfirst, date and byline; runs of short lines inside it
  are link lists; short lines in another language or script, or sitting on a photo
  credit, are captions; a long line the page printed before is kept once.

Every removed input line is reported with a reason code (``decruft.reasons.LineReason``).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache, partial
from bisect import bisect_right
from collections.abc import Callable, Iterable
from itertools import compress, count, islice, repeat

from decruft.extract.boilerplate import KEY_MAX_CHARS, line_key
from decruft.extract.rules import RuleSet, default_rules
from decruft.models import CruftPattern, Extraction, OutletProfile, RemovedLine
from decruft.lexicon import expand_placeholders
from decruft.regex import LineSearch, Pattern, PatternSet
from decruft.reasons import LineReason


@dataclass(frozen=True)
class Tuning:
    """Thresholds of the structural signals (the ``[text]`` settings; ``defaults.toml``)."""

    pattern_max_chars: int = 300  # longer lines are tested only against phrases and the profile
    phrase_max_chars: int = 200
    prose_min_words: int = 8  # a prose line has this many words and sentence punctuation
    long_prose_min_words: int = 20  # ... or this many words and three sentence breaks inside
    short_max_words: int = 6  # at most this many words: a menu item or heading
    short_penalty: float = 4.0
    medium_penalty: float = 1.0
    cruft_penalty: float = 6.0
    barrier_penalty: float = 30.0  # "Related articles" inside an article can be spanned ...
    hard_barrier_penalty: float = 1e6  # ... comments and error notices never
    hard_barriers: frozenset[str] = frozenset({"comments", "error_page"})
    prose_cap: int = 60  # a huge paragraph should not drag menus into the article
    lone_prose_factor: float = 0.3
    headline_bonus: float = 60.0  # to the first prose line under the headline ...
    headline_line_min_words: int = 5  # ... or, with none, to the first line this long without a digit
    header_window: int = 12  # non-blank lines above the article searched for the title
    meta_max_words: int = 14  # date and byline lines are short
    link_run_min: int = 3  # this many short lines in a row inside the article: a link list
    caption_max_words: int = 12
    footer_window: int = 4  # lines below the article searched for credit lines
    stamp_max_words: int = 12  # a comment's header: its author and when it was posted
    thread_min_stamps: int = 3  # this many dated short lines, with prose between them: comments
    date_line_prose_ratio: float = 4.0  # ... unless the first has this many times more prose under it than above
    above_comments_share: float = 0.05  # a run above a comments heading this heavy is the article
    above_comments_heavy: float = 0.5  # ... and this heavy even with no dated thread below the heading
    list_item_score: float = 2.0  # a line of a list the text announces ("It holds:"), longer than a menu item


_SENTENCE_END = frozenset('.!?…。！？"”’»)')
# The cleaner's own patterns run on re and cannot backtrack: each is a single character class
# (repeated or not), a fixed-length sequence, or a repeat followed by what it cannot match.
# control and format characters (Unicode Cc and Cf, except the whitespace ones)
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2"
    "\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd"
    "\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f]")
# What tidying a line (below) changes: a double space, an invisible character, a space other
# than the plain one (a tab, a no-break space: str.isspace); one RE2 pass tells whether a page
# holds any, faster than str.isprintable on each line and a search for double spaces
_UNTIDY = PatternSet(["  ", _INVISIBLE.pattern,
                      "[\t\x0b-\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"])
_LEADING_DASHES = re.compile(r"^[-—–‐―][-—–‐―\s]*(?=\w|[\"“‘'(])")  # one class: cannot backtrack
_WORD = re.compile(r"\w+")
_NON_LATIN_LETTER = re.compile(r"[^\W\d_A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
_STOPWORDS = {
    "en": frozenset("the and of to is was for that with are on from has have by this which were been their".split()),
    "de": frozenset("der die das und ist nicht mit auf den dem des sich ein eine für von zu im auch wird".split()),
    "fr": frozenset("le la les et est des une du pour dans que qui sur au pas avec ce sont par".split()),
    "es": frozenset("el los las y es del una por para con que se su al como más fue".split()),
    "it": frozenset("il lo gli della che è per una con non sono del alla nel ha dei".split()),
    "pt": frozenset("o os as e é do da dos das uma para com não que em foi ao pelo".split()),
    "nl": frozenset("de het een en van is dat op te zijn met voor niet aan ook wordt".split()),
}


@dataclass(slots=True)
class _Line:
    """Cheap per-line features, computed once; made by ``_new_line``."""

    number: int  # in the input, from 1 (blank lines count)
    text: str
    words: int
    sentence: bool  # ends like a sentence
    prose: bool  # a sentence of some length
    base: float  # score before any rule has judged the line
    lower: str  # set when the line is tested against the rules (so: tested); "" before
    reason: str | None
    barrier: bool


_new_object = object.__new__


def _new_line(number: int, text: str, words: int, sentence: bool, prose: bool, base: float) -> _Line:
    """A line not yet judged. A Python call the interpreter runs inline, a quarter cheaper than
    the class's own __init__ (a page has hundreds of lines)."""
    line = _new_object(_Line)
    line.number = number
    line.text = text
    line.words = words
    line.sentence = sentence
    line.prose = prose
    line.base = base
    line.lower = ""
    line.reason = None
    line.barrier = False
    return line


def clean_text(text: str, *, profile: OutletProfile | None = None, rules: RuleSet | None = None,
               boilerplate: frozenset[int] = frozenset(), tuning: Tuning = Tuning()) -> Extraction:
    """Split page text into the article body and removed lines, each with a reason."""
    rules = rules or default_rules()
    t = tuning
    lines = split_lines(text, t)
    headline = _headline_index(lines)
    counts = Counter([line.text for line in lines])
    classify = partial(_classify, rules=rules, profile=profile, boilerplate=boilerplate, counts=counts, t=t)
    # embedded posts' attribution lines ("— Jane Doe (@jane) May 3, 2019"), on the few pages with one
    posts = _embedded_posts(lines) if _has_bracketed_handle(text) else ()
    start, end = _find_article(lines, headline, posts, classify, rules, t)
    if start is not None and headline is not None and start < headline < end:
        start = _start_under_headline(lines, start, end, headline)
    out = Extraction(body=[], extractor="text")
    if start is None:
        start = end = len(lines)
    else:
        end = _extend_numbered_list(lines, start, end, classify)
        end = _cut_teasers(lines, start, end, t)
        end = _cut_comment_thread(lines, start, end, rules, t)
        end = _cut_author_box(lines, start, end)
        _read_header(lines, start, end, rules, profile, out, t)
        end = _cut_author_bio(lines, start, end, out.bylines)
        _read_footer(lines, start, end, rules, profile, out, t)
        if len(counts) < len(lines):  # some line is printed twice
            _mark_later_copies(lines, start, end, counts, t)
        _filter_article(lines, start, end, t)
    return _assemble(lines, start, end, out)


# ---------------------------------------------------------------- lines and features

def split_lines(text: str, t: Tuning = Tuning()) -> list[_Line]:
    """Split on line breaks; drop control and format characters, fold odd spacing."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    parts = list(map(str.strip, text.split("\n")))
    if _UNTIDY.indices(text):  # rare: tidy line by line
        parts = [line if line.isprintable() and "  " not in line else " ".join(_INVISIBLE.sub("", line).split())
                 for line in parts]
    if "" in parts:  # rare: scraped text seldom keeps blank lines
        numbers: Iterable[int] = list(compress(count(1), parts))
        parts = list(filter(None, parts))
    else:
        numbers = range(1, len(parts) + 1)
    lines: list[_Line] = []
    append, make, min_words, ends = lines.append, _new_line, t.prose_min_words, _SENTENCE_END
    cap, short_words, long_words = t.prose_cap, t.short_max_words, t.long_prose_min_words
    short_score, medium_score, item_score = -t.short_penalty, -t.medium_penalty, t.list_item_score
    listing = False  # under a line announcing a list ("The kit holds:"), until a line is no item
    for i, line, spaces in zip(numbers, parts, map(str.count, parts, repeat(" "))):
        words = spaces + 1
        if len(line) > 12 * words and not line.isascii():  # the length first: it rarely holds
            words = len(line) // 3  # scripts written without spaces (a Latin name or two inside)
        last = line[-1]
        # the base score: positive for prose, negative for menu-like lines
        if last in ends or last == "]" and _ends_before_tag(line):
            if words >= min_words:
                append(make(i, line, words, True, True, words if words < cap else cap))
            else:
                append(make(i, line, words, True, False, short_score if words <= short_words else words / 4))
            listing = False
        elif words <= short_words:
            append(make(i, line, words, False, False, short_score))
            listing = last == ":" and words > 1
        elif words >= long_words and line.count(". ") >= 3 or last == ":" and words >= min_words:
            # a long paragraph whose last sentence lost its full stop (a signature, a cut), or a
            # sentence announcing a list or a quote ("Of these, one stands out:")
            append(make(i, line, words, False, True, words if words < cap else cap))
            listing = last == ":"
        else:
            # a list's items, each longer than a menu item and not a sentence, score as such,
            # so that the article does not end at a list it announces
            append(make(i, line, words, False, False, item_score if listing else medium_score))
            listing = listing or last == ":"
    return lines


def word_count(paragraphs: list[str]) -> int:
    """The words of a body, as ``str.split`` counts them: on tidy text (single plain spaces
    between words, as the cleaner's lines have) a count of its spaces, which is cheaper."""
    text = " ".join(paragraphs)
    if text and text[0] != " " and text[-1] != " " and "\n" not in text and not _UNTIDY.indices(text):
        return text.count(" ") + 1
    return len(text.split())


def _ends_before_tag(line: str) -> bool:
    """A sentence followed by a short bracketed tag ("... on the same screen. [via]")."""
    cut = line.rfind(" [", -40)
    return cut > 0 and line[cut - 1] in _SENTENCE_END


def _classify(lines: list[_Line], rules: RuleSet, profile: OutletProfile | None,
              boilerplate: frozenset[int], counts: Counter[str], t: Tuning) -> None:
    """Concept patterns, outlet patterns, corpus boilerplate and repeated lines (short
    non-sentence lines the page prints twice or more: furniture, but not a question an interview
    puts to several people), then phrases on what is left."""
    cap, repeated_max_words = t.pattern_max_chars, t.short_max_words * 2
    outlet = outlet_cruft(profile.cruft) if profile and profile.cruft else None
    # the rules' set, called directly but for lines trailing off in dots (RuleSet.classify tries
    # those without them): one Python call fewer per line, a sentence's full stop included
    judge = rules.cruft.judge if rules.cruft is not None else rules.classify
    hinted = _glue_hinted([line for line in lines if not line.lower and line.words >= 8])
    for line in lines:
        if line.lower:
            continue
        text = line.text
        lower = line.lower = text.lower()
        if len(lower) <= cap:
            trails_off = lower[-1] in ".…" and lower.endswith(("...", "…"))
            found = rules.classify(lower) if trails_off else judge(lower)
            if found:
                line.reason, line.barrier = found
                continue
            if text[-1] in _LINK_ENDS and (reason := _trailing_link_or_credit(text)):
                line.reason = reason
                continue
        if boilerplate and not line.prose and len(text) <= KEY_MAX_CHARS and line_key(text) in boilerplate:
            # after the rules: theirs is the finer reason; the table holds no prose or long line
            line.reason = LineReason.BOILERPLATE
            continue
        words = line.words
        if words >= 8 and line.number in hinted and _is_glued_teaser(text):
            line.reason = LineReason.RELATED
            continue
        if outlet is not None and (reason := outlet(text[:1000])):
            line.reason = reason
        elif words <= repeated_max_words and not line.prose and counts[text] > 1 and text[-1] not in "?？":
            line.reason = LineReason.REPEATED
    _mark_phrases(lines, rules, t)


@lru_cache(maxsize=256)
def outlet_cruft(cruft: tuple[CruftPattern, ...]) -> Callable[[str], str | None]:
    """An outlet's cruft patterns as one test of a line: the reason of the first that matches.
    ``Pattern``s of one flags value run as one RE2 set (one call a line, not one a pattern);
    others (a profile built in code may hold any compiled pattern) are tried one by one."""
    patterns = [c.pattern for c in cruft]
    if not all(isinstance(p, Pattern) for p in patterns) or len({p.flags for p in patterns}) > 1:
        return lambda text: next((c.reason for c in cruft if c.pattern.search(text)), None)
    reasons = [c.reason for c in cruft]
    matching = PatternSet([p.pattern for p in patterns], patterns[0].flags).indices
    return lambda text: reasons[min(found)] if (found := matching(text)) else None


_LINK_ENDS = frozenset("»›)")
#: an agency's credit closing a caption: "... in London, June 13, 2012. (AP)", "(Getty Images/AFP)"
_AGENCY_CREDIT = Pattern(expand_placeholders(r"\((?:{agency}|getty images)(?:\s?/\s?[^()/]{1,30}){0,3}\)$"), re.IGNORECASE)


def _trailing_link_or_credit(text: str) -> str | None:
    """A link ending in an arrow ("Ten ways to cook leeks »", not a quotation in guillemets) or a
    caption ending with its agency's credit in brackets. Tested on a line's end, not by the rules'
    patterns: a pattern reaching the end of a line from its start costs the whole set much."""
    if text[-1] != ")":
        arrows = text.count("»") + text.count("›")
        return LineReason.RELATED if arrows == 1 and len(text) <= 201 and "«" not in text and "‹" not in text else None
    cut = text.rfind(" (")
    return LineReason.CAPTION if cut > 0 and _AGENCY_CREDIT.match(text[cut + 1:]) else None


# The cheap test before _GLUE, in one RE2 pass over all the lines it concerns: what _GLUE matches without its word boundary,
# a capitalised word of four letters or more, a digit or closing punctuation right before the
# next headline's start. Every non-ASCII character outside Latin letters and general
# punctuation (which hold no digits) counts as a digit, as RE2's digits need not be Python's:
# wider than _GLUE, so it never hides a match (and on news text hardly wider). It matches no
# line break (as a LineSearch must).
_GLUE_HINT = LineSearch(r"(?:[A-Z][a-z]{3,}|[0-9?!')’”]|[^\x00-\u02ff\u2000-\u206f])(?:[A-Z][a-z]|[AI] )")
# [a-z]{3,} ends where a capital starts: tried once per capitalised word, within 160 characters
_GLUE = re.compile(r"(?:\b[A-Z][a-z]{3,}|[\d?!’'”)])(?=[A-Z][a-z]|[AI] )")
_HEADLINE_SMALL = frozenset("a an the of in on at to for and or but by with from as vs is are".split())


def _glue_hinted(lines: list[_Line]) -> set[int]:
    """The numbers of the lines whose first 160 characters pass the glue pre-test."""
    return {lines[i].number for i in _GLUE_HINT.lines([line.text[:160] for line in lines])}


def _is_glued_teaser(text: str) -> bool:
    """A link teaser: a headline in title case glued to its summary with no space
    ("Mayor Defends Budget PlanThe mayor said ..."), as link text often is."""
    for m in _GLUE.finditer(text, 0, 160):  # a headline is short
        cut = m.end()
        head = text[:cut].split()
        if len(head) < 3 or text.count(" ", cut) < 4 or text[cut - 1] == ".":
            continue
        last = head[-1]
        if last[-1].isalpha() and (len(last) < 4 or not last[1:].islower()):
            continue  # "McKinley", "LinkedIn": a name, not a glue point
        if all(not w[0].islower() or w in _HEADLINE_SMALL for w in head):
            return True
    return False


def _mark_phrases(lines: list[_Line], rules: RuleSet, t: Tuning) -> None:
    """Phrase rules (substrings), only on short lines in and around the article block."""
    candidates = [line for line in lines if line.reason is None and len(line.text) <= t.phrase_max_chars]
    joined = "\n".join(line.lower for line in candidates)
    found = rules.phrases_in(joined)
    for line in candidates if found else ():
        for phrase, reason in found:
            if phrase in line.lower:
                line.reason = reason
                break


# ---------------------------------------------------------------- the article block



def _scores(lines: list[_Line], headline: int | None, posts: Iterable[int], t: Tuning) -> list[float]:
    """Line scores; a lone prose line between plain lines (a teaser under its headline)
    counts less, the prose right after the headline (or, with no prose there, its first line
    of some length) counts more, and an embedded post (its text and attribution line) counts
    as prose."""
    # list comprehensions, not map(attrgetter) or compress: the interpreter's attribute access
    # on a slotted class beats a C call per line
    # a line a rule judged cruft scores below zero; barriers weigh most
    cruft, barrier, hard_barrier, hard = -t.cruft_penalty, -t.barrier_penalty, -t.hard_barrier_penalty, t.hard_barriers
    scores = [line.base if line.reason is None else
              (hard_barrier if line.reason in hard else barrier) if line.barrier else cruft for line in lines]
    prose = [i for i, line in enumerate(lines) if line.prose and line.reason is None]
    factor, last = t.lone_prose_factor, len(lines) - 1
    for i in prose:
        if i:
            above = lines[i - 1]
            if above.prose or above.reason not in _FURNITURE_REASONS:
                continue
        if i < last:
            below = lines[i + 1]
            if below.prose or below.reason not in _FURNITURE_REASONS:
                continue
        scores[i] *= factor
    for i in posts:
        if lines[i].reason is None:
            scores[i] = 1.0
            above = lines[i - 1]
            if above.reason is None and scores[i - 1] < above.words:
                scores[i - 1] = min(above.words, t.prose_cap)
    if headline is not None:
        k = bisect_right(prose, headline)  # the first prose line below the headline
        if k < len(prose) and prose[k] < headline + t.header_window:
            scores[prose[k]] += t.headline_bonus
        else:  # a photo or video post: a line or two under the headline, none of them prose
            for i in range(headline + 1, min(len(lines), headline + t.header_window)):
                line = lines[i]
                if (line.reason is None and line.words >= t.headline_line_min_words
                        and not _DIGIT.search(line.text)):  # not a date or byline line: they have digits
                    scores[i] += t.headline_bonus
                    break
    return scores


#: "— Jane Doe (@jane) November 18, 2019": the attribution line under an embedded post
_EMBED_ATTRIBUTION = re.compile(r"[-—–‐―]\s?[^()\n]{1,80}\(@\w{1,30}\)\s[^\n]{0,40}\d\d\d\d$")


def _has_bracketed_handle(text: str) -> bool:
    """Whether "(@" occurs. One character is found fast (a page has few "@"), a pair is
    searched for at a character's pace: each "@" is found, then what stands before it read."""
    at = text.find("@")
    while at != -1:
        if at and text[at - 1] == "(":
            return True
        at = text.find("@", at + 1)
    return False


def _embedded_posts(lines: list[_Line]) -> list[int]:
    """The attribution lines of embedded posts (not the first line: a post's text is above)."""
    return [i for i in range(1, len(lines)) if _EMBED_ATTRIBUTION.match(lines[i].text)]


#: Furniture: a heading, a menu item, a short link (no reason) or a line the page repeats (a
#: share bar, a date) that is not prose.
_FURNITURE_REASONS = (None, "repeated")


def _headline_index(lines: list[_Line]) -> int | None:
    """The line the page title (first line) repeats: the article's headline."""
    if len(lines) < 3:
        return None
    page_title = lines[0].text
    fold = "…" in page_title or "..." in page_title  # printed "..." in one place, "…" in another
    if fold:
        page_title = page_title.replace("...", "…")
    # the first line of 15 characters or more holding half the title or more, else the longest
    # such line: a blog prints its name, which the title also holds, above the headline. The
    # headline is looked for in the first two thirds of the page (below: lists of other posts),
    # unless all that part holds is such a shorter piece of the title
    best, best_len, half, two_thirds = None, 14, len(page_title) / 2, len(lines) * 2 // 3
    for first, stop in ((1, two_thirds), (two_thirds, len(lines))):
        for i in range(first, stop):  # line by line: the headline is mostly found near the top
            text = lines[i].text.replace("...", "…") if fold else lines[i].text
            if len(text) > best_len and (text in page_title or page_title in text):
                best, best_len = i, len(text)
                if best_len >= half:
                    return best
        if best is None:
            return None
    return best


def _find_article(lines: list[_Line], headline: int | None, posts: Iterable[int], classify, rules: RuleSet,
                  t: Tuning) -> tuple[int | None, int | None]:
    """The article span, testing rules only on the lines around it: find the span,
    classify its neighbourhood, and widen until the span stays inside what was tested
    (or until no rule judged a line the widening tested: the span is then the same)."""
    lo = hi = None
    margin = t.header_window
    while True:
        tested = range(0) if lo is None else range(lo, hi)
        start, end = _article_span(lines, headline, posts, rules, t, tested)
        if start is None:
            return None, None
        want_lo, want_hi = max(0, start - margin), min(len(lines), end + 1 + margin)
        if lo is not None and lo <= want_lo and want_hi <= hi:
            return start, end
        if lo is None:
            lo, hi = want_lo, want_hi
            fresh = lines[lo:hi]
        else:
            fresh = lines[min(lo, want_lo):lo] + lines[hi:max(hi, want_hi)]
            lo, hi = min(lo, want_lo), max(hi, want_hi)
        classify(lines[lo:hi])
        if not any([line.reason for line in fresh]):
            return start, end


def _article_span(lines: list[_Line], headline: int | None, posts: Iterable[int], rules: RuleSet,
                  t: Tuning, tested: range) -> tuple[int | None, int | None]:
    """The article: the maximum-sum run of line scores, unless that run lies below a
    comments heading and a run above the heading weighs enough: half as much, or, when the
    run below is itself a thread (dated short lines, see `_cut_comment_thread`), far less.
    A page's article comes before its comments, and a long thread can outweigh a short post.
    ``tested``: the lines the rules have judged (only they can be headings)."""
    scores = _scores(lines, headline, posts, t)
    best, start, end = _max_run(scores, len(scores))
    if start is None:
        return None, None
    headings = [i for i in range(tested.start, min(tested.stop, start))
                if lines[i].barrier and lines[i].reason == "comments"]
    if headings:
        heading = headings[-1]  # the nearest above
        above, above_start, above_end = _max_run(scores, heading)
        if above_start is not None and (
                above >= t.above_comments_heavy * best
                or above >= t.above_comments_share * best
                and _count_stamps(lines, start, end, rules, t) >= t.thread_min_stamps):
            return above_start, above_end
    return start, end


def _max_run(scores: list[float], stop: int) -> tuple[float, int | None, int | None]:
    """Maximum-sum run of ``scores[:stop]`` (Kadane): its sum and its first and last index."""
    best, best_start, best_end = 0.0, None, None
    total, begin = 0.0, 0
    for i, score in enumerate(islice(scores, stop)):  # 0.0, not 0: the interpreter's float comparison
        if total > 0.0:
            total += score
        elif score > 0.0:  # a run starts
            total, begin = 0.0 + score, i
        else:  # a menu's lines, one after another: the run would start and end here
            continue
        if total > best:
            best, best_start, best_end = total, begin, i
    return best, best_start, best_end


_ITEM_NUMBER = re.compile(r"(\d{1,3})[.)]\s")


def _item_number(line: _Line) -> int | None:
    m = _ITEM_NUMBER.match(line.text) if line.text[0].isdigit() else None
    return int(m.group(1)) if m else None


def _start_under_headline(lines: list[_Line], start: int, end: int, headline: int) -> int:
    """Start the article under its headline when the run reaches above it (a menu's blurbs, a
    sidebar's teasers) and what lies above the headline holds less prose than what lies
    below it; more prose above is the article itself, under a title printed again. A
    "headline" that is itself prose is a paragraph the page title repeats, not a heading."""
    if not lines[headline].prose and _prose_words(lines, start, headline) < _prose_words(lines, headline, end + 1):
        return headline + 1
    return start


def _extend_numbered_list(lines: list[_Line], start: int, end: int, classify, most_between: int = 2) -> int:
    """Carry the article on over the rest of a numbered list it ends in ("8) ...", "9) ...").

    A list printed one item a line scores as menu lines, so the article's run stops inside it;
    items that continue the numbering of the article's last item belong with it (a line or
    two between items, such as a link, may sit between them)."""
    last = next((i for i in range(end, max(start, end - most_between) - 1, -1) if _item_number(lines[i])), None)
    if last is None:
        return end
    expected, i, found = _item_number(lines[last]) + 1, last + 1, last
    while i < len(lines) and i - found <= most_between + 1:
        if _item_number(lines[i]) == expected:
            found, expected = i, expected + 1
        i += 1
    if found > end:
        classify(lines[end + 1:found + 1])
    return max(end, found)


def _cut_teasers(lines: list[_Line], start: int, end: int, t: Tuning) -> int:
    """End the article at a "More stories" heading when what follows is a list of
    teasers: paragraphs that each stand alone between short lines, never two in a row."""
    for b in range(start + 1, end):
        line = lines[b]
        if not line.barrier or line.reason in t.hard_barriers:
            continue
        after = lines[b + 1:end + 1]
        prose = [i for i, x in enumerate(after) if x.prose and x.reason is None]
        if len(prose) >= 2 and all(j - i > 1 for i, j in zip(prose, prose[1:])):
            before = [i for i in range(start, b) if lines[i].prose and lines[i].reason is None]
            if before:
                for teaser in after:
                    teaser.reason = teaser.reason or line.reason
                return before[-1]
    return end


def _cut_comment_thread(lines: list[_Line], start: int, end: int, rules: RuleSet, t: Tuning) -> int:
    """End the article before a comment thread: short lines that each carry a date or a
    time of day ("Jane, May 3, 2012 at 1:20 am"), several of them, with prose between them.

    Every site prints its comments differently, but each comment with its author and
    when it was posted: the stamps, not the words, are the signal.
    """
    first_prose = next((i for i in range(start, end + 1) if lines[i].prose and lines[i].reason is None), None)
    if first_prose is None:
        return end
    most = t.stamp_max_words  # tested first: most lines are longer than a stamp
    stamps = [i for i in range(first_prose + 1, end + 1) if lines[i].words <= most and _is_stamp(lines[i], rules, t)]
    # a comment is shorter than the article above it: a first "stamp" with much more prose under
    # it than above it is the article's own date line
    ratio = t.date_line_prose_ratio
    while len(stamps) >= t.thread_min_stamps and (
            _prose_words(lines, first_prose, stamps[0]) * ratio < _prose_words(lines, stamps[0], stamps[1])):
        del stamps[0]
    if len(stamps) < t.thread_min_stamps:
        return end
    prose_between = sum(1 for i in range(stamps[0], stamps[-1]) if lines[i].prose and lines[i].reason is None)
    if prose_between < t.thread_min_stamps - 1:
        return end
    for line in lines[stamps[0]:end + 1]:
        line.reason = line.reason or LineReason.COMMENTS
    return stamps[0] - 1


def _cut_author_box(lines: list[_Line], start: int, end: int) -> int:
    """End the article before a box about its author ("About the author", "About Jane Doe"
    and a biography) when the box and what follows it weigh less than the article above;
    a heavier part under such a heading is the article's own section ("About the moon")."""
    reasons = [line.reason for line in lines[start + 1:end + 1]]
    if "author" not in reasons:
        return end
    for b in [i for i, reason in enumerate(reasons, start + 1) if reason == "author"]:
        above = sum(line.words for line in lines[start:b] if line.reason is None)
        below = sum(line.words for line in lines[b + 1:end + 1] if line.reason is None)
        if below < above:
            for line in lines[b + 1:end + 1]:
                line.reason = line.reason or LineReason.AUTHOR
            return b - 1
        lines[b].reason = None
    return end


def _prose_words(lines: list[_Line], start: int, stop: int) -> int:
    return sum(line.words for line in lines[start:stop] if line.prose and line.reason is None)


#: verbs a biography opens with, in the third person ("Jane Doe is a reporter ...")
_BIO_VERBS = frozenset("is was has joined writes covers reports lives works teaches ist war schreibt est était "
                       "écrit es fue escribe è era scrive é foi escreve".split())
_POSSESSIVE = re.compile(r"(?:['’]s|,)$")


def _cut_author_bio(lines: list[_Line], start: int, end: int, bylines: list[str]) -> int:
    """End the article before its author's biography: one of its last three lines opening
    with the author's name (a name of the byline, or of the short line right above it)
    and a verb in the third person ("Jane is a reporter for ...", "Jane Doe joined ...")."""
    names = {word for byline in bylines for word in byline.split() if word[0].isupper()}
    tail: list[int] = []
    for i in range(end, start, -1):
        if lines[i].reason is None:
            tail.append(i)
            if len(tail) == 3:
                break
    for i in reversed(tail):
        words = lines[i].text.split(None, 4)
        first, above = _POSSESSIVE.sub("", words[0]), lines[i - 1]
        named_above = above.reason is None and above.words <= 4 and above.text.split()[0] == first
        if (first in names or named_above) and not _BIO_VERBS.isdisjoint(words[1:4]):
            cut = i - 1 if named_above else i
            if _prose_words(lines, start, cut) > _prose_words(lines, cut, end + 1):
                for line in lines[cut:end + 1]:
                    line.reason = line.reason or LineReason.AUTHOR
                return cut - 1
    return end


_DASHES = frozenset("-—–‐―")
#: the word ending a comment's header ("Jane says:", "dan said,")
_SAYS = frozenset("says said wrote writes sagt schrieb schreibt dit écrit dice dijo escribió disse escreveu "
                   "scrive scritto zegt schreef".split())
_DIGIT = re.compile(r"\d")
_CLOCK_TIME = re.compile(r"\b\d{1,2}:\d\d\b")


def _count_stamps(lines: list[_Line], start: int, end: int, rules: RuleSet, t: Tuning) -> int:
    return sum(1 for i in range(start, end + 1) if _is_stamp(lines[i], rules, t))


def _is_stamp(line: _Line, rules: RuleSet, t: Tuning) -> bool:
    """A short line, not a sentence, with a date or a time of day in it, or ending with its
    author's "says:" ("Jane says:"); not a quote's attribution ("— Jane Doe (@jane) November 18,
    2019" under an embedded post)."""
    text = line.text
    if line.words > t.stamp_max_words or text[-1] == "." or text[0] in _DASHES:
        return False
    if text[-1] in ":," and text[:-1].rstrip().rpartition(" ")[2].lower() in _SAYS:
        return True
    if not _DIGIT.search(text):
        return False
    return _CLOCK_TIME.search(text) is not None or (rules.date is not None and rules.date.search(text))


# ---------------------------------------------------------------- header and footer

def _is_date(line: _Line, rules: RuleSet, t: Tuning) -> bool:
    return (rules.date is not None and line.words <= t.meta_max_words
            and rules.date.search(line.text))


def _is_byline(line: _Line, rules: RuleSet, profile: OutletProfile | None, t: Tuning) -> bool:
    if line.words > t.meta_max_words or line.text.endswith("."):
        return False
    if profile and any(p.search(line.text) for p in profile.byline_patterns):
        return True
    return rules.byline is not None and rules.byline.match(line.text)


def _is_credit(line: _Line, rules: RuleSet, profile: OutletProfile | None) -> bool:
    if profile and any(p.search(line.text) for p in profile.credit_patterns):
        return True
    return rules.credit is not None and len(line.text) <= 500 and rules.credit.match(line.text)


#: Reasons the header zone may overrule: the learnt table never takes an article's headline,
#: standfirst, byline or date line (a prolific author's byline recurs across an outlet).
_HEADER_MAY_RECLAIM = (None, "boilerplate")


def _title_like(line: _Line) -> bool:
    """A headline: a few words, not a sentence ending in a full stop, not cruft."""
    return (line.reason in _HEADER_MAY_RECLAIM and 3 <= line.words <= 30 and not line.text.endswith((".", ":"))
            and len(line.text) <= 250)


def _read_header(lines: list[_Line], start: int, end: int, rules: RuleSet,
                 profile: OutletProfile | None, out: Extraction, t: Tuning) -> None:
    """Title, standfirst, section, dates and bylines from the lines above the article."""
    window = list(range(max(0, start - t.header_window), start))
    lead = [i for i in range(start, min(end, start + 2) + 1) if not lines[i].prose]
    for i in window + lead:
        line = lines[i]
        if line.reason not in _HEADER_MAY_RECLAIM:
            continue
        if _is_date(line, rules, t):
            line.reason = LineReason.DATE
            out.date_strings.append(line.text)
        elif _is_byline(line, rules, profile, t):
            line.reason = LineReason.BYLINE
            out.bylines.append(line.text)
    title = _find_title(lines, window)
    if title is None:
        return
    _take(lines[title], LineReason.TITLE, out)
    following = next((j for j in window if j > title and lines[j].reason in _HEADER_MAY_RECLAIM), None)
    if following is not None and following == title + 1 and _title_like(lines[following]):
        _take(lines[following], LineReason.DESCRIPTION, out)
    above = title - 1
    if above >= 0 and lines[above].reason is None and lines[above].words <= 3 \
            and len(lines[above].text) <= 30 and not lines[above].text.endswith((":", ".")):
        _take(lines[above], LineReason.SECTION, out)


def _find_title(lines: list[_Line], window: list[int]) -> int | None:
    """The headline: the line the page title repeats, else the first of a
    headline-and-standfirst pair just above the first date/byline or the article."""
    page_title = lines[0].text if lines else ""
    for i in window:
        line = lines[i]
        if i > 0 and _title_like(line) and len(line.text) >= 15 and line.text in page_title:
            return i
    meta = [i for i in window if lines[i].reason in ("date", "byline")]
    anchor = meta[0] if meta else (window[-1] + 1 if window else 0)
    candidates = [i for i in window if i < anchor and _title_like(lines[i])]
    if not candidates:
        return None
    title = candidates[-1]
    if len(candidates) > 1 and candidates[-2] == title - 1:
        title = candidates[-2]
    return title


def _take(line: _Line, reason: str, out: Extraction) -> None:
    line.reason = reason
    setattr(out, reason, line.text)


def _read_footer(lines: list[_Line], start: int, end: int, rules: RuleSet,
                 profile: OutletProfile | None, out: Extraction, t: Tuning) -> None:
    """Agency credit lines at the end of the article or just below it."""
    zone = range(max(start, end - 2), min(len(lines), end + 1 + t.footer_window))
    for i in zone:
        line = lines[i]
        if line.reason in (None, "navigation") and _is_credit(line, rules, profile):
            line.reason = LineReason.CREDIT
            out.credit_lines.append(line.text)


# ---------------------------------------------------------------- inside the article

def _filter_article(lines: list[_Line], start: int, end: int, t: Tuning) -> None:
    """Link lists, captions and foreign-language lines inside the article block."""
    block = lines[start:end + 1]
    _mark_barrier_blocks(block)
    _mark_caption_neighbours(block, t)
    _mark_link_runs(block, t)
    _mark_foreign(block, t)
    for line in block:
        if line.reason is None and not line.prose and line.words <= t.meta_max_words:
            if _is_bare_date(line):
                line.reason = LineReason.TIMESTAMP


def _mark_later_copies(lines: list[_Line], start: int, end: int, counts: Counter[str], t: Tuning) -> None:
    """A longer line the page has printed before (a gallery's caption under each photo, a
    teaser or pull quote repeating a paragraph) is kept once, where it first appears; not a
    question, which an interview may put to several people in turn."""
    longer = t.short_max_words * 2  # shorter repeated lines are furniture (`_classify`)
    kept = [line for line in lines[start:end + 1] if line.reason is None and line.words > longer
            and counts[line.text] > 1 and line.text[-1] not in "?？"]
    if not kept:
        return
    first: dict[str, _Line] = {}
    for line in lines[:end + 1]:
        first.setdefault(line.text, line)
    for line in kept:
        if first[line.text] is not line:
            line.reason = LineReason.REPEATED


def _is_short(line: _Line, t: Tuning) -> bool:
    return (not line.sentence and line.words <= t.short_max_words
            and not (line.text[-1] == ":" and line.words >= 3))


def _mark_link_runs(block: list[_Line], t: Tuning) -> None:
    """Several short lines in a row (around cruft) are a menu or a related list."""
    run: list[_Line] = []
    last: _Line | None = None
    intro = False  # the last kept line before the run ends in a colon: a list the text announces
    for line in block + [None]:
        if line is not None and (line.reason is not None or _is_short(line, t)):
            if line.reason is None and not any(x.reason is None for x in run):
                intro = last is not None and last.words >= 3 and last.text[-1] == ":"
            run.append(line)
            continue
        shorts = [x for x in run if x.reason is None]
        if len(run) >= t.link_run_min and len(shorts) >= 2 and not intro:
            for x in shorts:
                x.reason = LineReason.LINK_LIST
        run = []
        last = line
        intro = False


def _mark_barrier_blocks(block: list[_Line]) -> None:
    """The links under a "Related articles" heading go with it, up to the next prose."""
    reason = None
    for line in block:
        if line.barrier:
            reason = line.reason
        elif line.prose and line.reason is None:
            reason = None
        elif reason is not None and line.reason is None:
            line.reason = reason


def _mark_caption_neighbours(block: list[_Line], t: Tuning) -> None:
    """A short non-sentence line right above a photo credit is the caption's title."""
    for above, line, below in zip(block, block[1:], block[2:]):
        if (line.reason is None and above.reason == below.reason == "caption" and line.words <= 60
                and above.number + 1 == line.number == below.number - 1):
            line.reason = LineReason.CAPTION  # between a gallery counter and a photo credit
    for above, line in zip(block, block[1:]):
        if (line.reason == "caption" and above.reason is None and not above.sentence
                and above.text[-1] != ":" and above.words <= t.caption_max_words and line.number == above.number + 1):
            above.reason = LineReason.CAPTION


def _language(words: list[str]) -> str | None:
    unique = set(words)
    return _most_hits({lang: len(stop & unique) for lang, stop in _STOPWORDS.items()})


def _most_hits(hits: dict[str, int]) -> str | None:
    """The language with the most distinct stopwords (the first listed on a tie), if any."""
    best = max(hits, key=hits.__getitem__)
    return best if hits[best] else None


_STOPWORD_LIST = sorted(set().union(*_STOPWORDS.values()))
_STOPWORD_LANGUAGES = [[lang for lang, stop in _STOPWORDS.items() if word in stop] for word in _STOPWORD_LIST]
# the stopwords a text holds as whole words, in one RE2 pass rather than splitting it into words
_stopwords_in = PatternSet([rf"\b{re.escape(word)}\b" for word in _STOPWORD_LIST]).indices


def _text_language(text: str) -> str | None:
    """``_language`` of the text's words."""
    hits = dict.fromkeys(_STOPWORDS, 0)
    for i in _stopwords_in(text) or ():
        for lang in _STOPWORD_LANGUAGES[i]:
            hits[lang] += 1
    return _most_hits(hits)


def _mark_foreign(block: list[_Line], t: Tuning) -> None:
    """Short lines whose language or script differs from the article's prose."""
    prose = [line.lower for line in block if line.prose and line.reason is None][:5]
    if not prose:
        return
    sample = " ".join(prose)
    non_latin = bool(_NON_LATIN_LETTER.search(sample[:400]))
    body_lang = None if non_latin else _text_language(sample)
    for line in block:
        if line.reason is not None or line.prose or line.words > t.caption_max_words:
            continue
        if non_latin != bool(_NON_LATIN_LETTER.search(line.text)) and _WORD.search(line.text):
            line.reason = LineReason.LANGUAGE
        elif body_lang and line.words >= 3 and not line.sentence:
            words = _WORD.findall(line.lower)
            lang = _language(words)
            if lang and lang != body_lang and not any(w in _STOPWORDS[body_lang] for w in words):
                line.reason = LineReason.LANGUAGE
            elif lang is None and body_lang == "en" and not line.text.isascii() and _has_foreign_letter(line.text):
                line.reason = LineReason.LANGUAGE


def _has_foreign_letter(text: str) -> bool:
    """Accented Latin letters in an English line (names aside) suggest another language."""
    return any(c.isalpha() and not c.isascii() for c in text)


_BARE_DATE = re.compile(r"[\d\s:./,\-–apmAPMUTCGMT]+")


def _is_bare_date(line: _Line) -> bool:
    return bool(_BARE_DATE.fullmatch(line.text)) and any(c.isdigit() for c in line.text)


# ---------------------------------------------------------------- result

def _assemble(lines: list[_Line], start: int, end: int, out: Extraction) -> Extraction:
    """Kept lines become body paragraphs; everything else is reported as removed."""
    header = LineReason.HEADER  # enum members looked up once, not per line
    out.removed = _records([(line.number, line.text, line.reason or header) for line in lines[:start]])
    removed, body = [], out.body.append
    for line in lines[start:end + 1]:
        reason = line.reason
        if reason is None:
            text = line.text
            if not text[0].isalnum():
                text = _LEADING_DASHES.sub("", text)
            if text:
                body(text)
                continue
            reason = header
        removed.append((line.number, line.text, reason))
    footer = LineReason.FOOTER
    out.removed += _records(removed + [(line.number, line.text, line.reason or footer) for line in lines[end + 1:]])
    # read from the lines (a slotted class's attributes), not the records (a named tuple's fields
    # are slower to read): the same lines in the same order, as no fallback reason is "url"
    out.urls.extend([line.text for line in lines if line.reason == "url"])
    return out


def _records(fields: list[tuple[int, str, str]]) -> list[RemovedLine]:
    """RemovedLine records of (line, text, reason) tuples: made by tuple.__new__, mapped in C,
    not by the named tuple's Python-level __new__ (a page has hundreds of them)."""
    return list(map(tuple.__new__, repeat(RemovedLine), fields))
