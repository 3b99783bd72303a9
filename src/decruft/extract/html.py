"""Article body and raw metadata from an HTML page, with trafilatura and the cruft rules.

One lxml parse feeds both the metadata readers and trafilatura's body
extraction. The body pass runs in precision mode without trafilatura's fallback
comparison, which is fast and precise; only when it finds too little text does a
second pass run with the comparison (readability, jusText), then one in recall
mode, and as a last resort the plain-text cleaner reads the page's visible text; these read
a fresh parse of the whole page. When the body misses most words of the page's own summary
(its meta description), trafilatura's balanced mode gets a second look.
Every pass reads the page without its comment sections: a heading that anchors a comment
thread ends the article part of its container. A body of one or two paragraphs that lies
mostly outside resiliparse's main content (a sidebar, a tagline) goes to a balanced pass too.
When the fast pass found too little, the readability algorithm (trafilatura's copy, which its
comparison pass runs on such pages anyway) gets a vote: its text replaces the body when it lies
further inside resiliparse's main content, and almost wholly so.
Trafilatura's output is already free of menus, so only the line patterns of the
cruft concepts run over it (credits, captions, sign-up and share prompts), not
the structural signals the plain-text cleaner needs for a whole page.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
import re
from datetime import datetime
from itertools import islice
from typing import Any

import lxml.html
import trafilatura
from htmldate import find_date
from resiliparse.extract.html2text import extract_plain_text
from lxml import etree
from trafilatura.external import try_readability
from trafilatura.metadata import (
    examine_meta,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import CUT_EMPTY_ELEMS, MANUALLY_CLEANED, MANUALLY_STRIPPED

from decruft.models import Extraction, PageHints, RemovedLine
from decruft.reasons import LineReason
from decruft.extract.rules import RuleSet, default_rules
from decruft.extract.text import Tuning, clean_text
from decruft.steps import ExtractPath

# Elements trafilatura's cleaning deletes in every mode (navigation, footers, asides, widgets),
# bar those it reads first: scripts and the head (JSON-LD), forms, figures (tables), math.
# Taken out before its fast pass, they no longer cost it about a sixth of its time.
FURNITURE = tuple(tag for tag in MANUALLY_CLEANED if tag not in ("script", "head", "form", "figure", "math"))
# Inline tags trafilatura unwraps in every mode (their text stays), bar <template>, whose content
# it drops with its tree; unwrapped before its first XPath searches, they no longer slow them down.
INLINE_WRAPPERS = tuple(tag for tag in MANUALLY_STRIPPED if tag != "template")
# Inline tags trafilatura deletes when empty; in precision mode it deletes their tail with them,
# and the tail is the rest of the paragraph (a blog engine's "read more" anchor,
# "<p><span id='more-12'></span>Text ...", an editor's empty "<strong></strong>"). Such
# elements go before it reads the page, their tails stay.
EMPTY_INLINE = tuple(sorted(CUT_EMPTY_ELEMS & {"b", "em", "i", "q", "span", "strong"}))
# id/class words (split at spaces, "-" and "_") of a heading that opens a comment thread, and
# whole ids/names of the anchor it may hold ("<h2><a id='comments'></a>Comments</h2>").
# Blog engines print that heading and the comments after it inside the post's container, where
# trafilatura's own comment filter (which looks for comment containers) does not see them.
COMMENT_HEADING_WORDS = frozenset({"comment", "comments", "disqus"})
COMMENT_ANCHORS = frozenset({"comment", "comments", "disqus_thread"})
# An embedded post (the standard embed code of a tweet) is quoted article text, but the wrappers
# sites put around it are named for what they hold ("social-media-embed"), which trafilatura's
# share-button filters discard. Its nearest wrappers lose their id and class.
EMBEDDED_POST_CLASSES = frozenset({"twitter-tweet"})
# Bare URLs in an article body are visible text (shop links, sources), so the "url" concept
# that cleans scraped plain text does not apply here.
SKIPPED_CONCEPTS = frozenset({"url"})
# Header lines the cleaner takes out of the body into fields
HEADER_REASONS = frozenset({LineReason.TITLE, LineReason.BYLINE, LineReason.DATE})

_PARSER = lxml.html.HTMLParser(
    remove_comments=True, remove_pis=True, no_network=True, huge_tree=False, collect_ids=False,
    default_doctype=False,
)
# Every element a plain HtmlElement, chosen in C: lxml.html's default lookup calls Python for each
# element proxy (to make form elements special, which no reader here uses), a tenth of the
# extraction time. Trafilatura's copies of the tree keep this lookup.
_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
    entity=lxml.html.HtmlEntity))
# On re, anchored, one bounded repeat: cannot backtrack beyond 200 characters.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]{0,200}\?>")
_INVISIBLE = ("script", "style", "noscript", "template", "svg", "head", "iframe", "object")
_BLOCKS = frozenset(
    "address article aside blockquote br dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 "
    "h6 header hr li main nav ol p pre section table td th tr ul".split()
)
_WORDS = re.compile(r"\w+")
_ATTRIBUTE_WORD_SEPARATORS = re.compile(r"[\s_-]+")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# Characters XML does not allow (and lxml refuses in a text it is given): one class, no repeat.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LIST_ITEM_MARKS = ("- ", "• ", "* ")  # how trafilatura and scrapes print list items


@dataclass(frozen=True)
class HtmlTuning:
    """Thresholds of the HTML path (the ``[html]`` settings; ``defaults.toml``)."""

    min_body_chars: int = 500  # below this the fast pass probably missed the article
    # A meta description (og:description) is the article's summary or lede. A body holding under
    # this share of its words is likely a sidebar, a bio or a teaser list the precision pass took
    # for the article; a balanced pass replaces it when it holds ``better_coverage`` more of them.
    # Descriptions of fewer distinct words are as often a site's tagline as the article's summary.
    min_summary_words: int = 10
    summary_covered: float = 0.5
    better_coverage: float = 0.1
    embed_wrapper_levels: int = 2  # wrappers of an embedded post up to this many levels up
    max_link_list_words: int = 12  # lines after a "More stories" heading this short: its link list
    min_story_list_items: int = 3  # a run of this many list items, this share dated: a story list
    story_list_dated_share: float = 0.5
    header_zone_lines: int = 3  # headline and date lines are taken out only in the first lines
    headline_word_share: float = 0.75
    max_date_line_chars: int = 60
    max_byline_chars: int = 100
    # resiliparse's main content (a different method) judges a fast-pass body of at most
    # ``judged_body_paragraphs`` paragraphs, where a sidebar, a bio or a blog's tagline gets taken
    # for the article: with under ``outside_share`` of its shingles (4-word runs) in it, a balanced
    # pass replaces it when ``better_agreement`` more of its own are and it is no shorter.
    judged_body_paragraphs: int = 2
    outside_share: float = 0.5
    better_agreement: float = 0.1
    # A body the fast pass found too little for (``min_body_chars``) is the least sure: a blog's
    # tagline, a bio, a comment-policy note or the post with its trackback list. Readability's text
    # of at least ``min_readability_chars`` replaces it when at least ``readability_inside`` of its
    # shingles are in resiliparse's main content, ``readability_margin`` more than the body's.
    min_readability_chars: int = 100
    readability_inside: float = 0.9
    readability_margin: float = 0.02


def extract_html(
    html: str, *, url: str | None = None, scraped_at: datetime | None = None, rules: RuleSet | None = None,
    tuning: Tuning = Tuning(), html_tuning: HtmlTuning = HtmlTuning(),
) -> Extraction:
    """The article in ``html``: body paragraphs, removed lines, title, description and hints.

    ``scraped_at`` caps the publication date (a page cannot be published after it was
    fetched). Broken or hostile HTML gives an empty body, never an exception.
    """
    rules = rules or default_rules()
    tree = parse_html(html)
    if tree is None:
        return Extraction(body=[], extractor=ExtractPath.NONE)
    hints = page_metadata(tree, url, scraped_at)

    def kept(text: str) -> str:
        return "\n".join(clean_article_lines(text.split("\n"), rules, title=hints.title, tuning=html_tuning).body)
    text, extractor = article_text(html, tree, url, summary=hints.description, tuning=html_tuning, kept=kept)
    if not text:
        return _text_fallback(parse_html(html), hints, rules, tuning)
    extraction = clean_article_lines(text.split("\n"), rules, title=hints.title, tuning=html_tuning)
    if not extraction.body:
        _keep_header_as_body(extraction)
    extraction.extractor = extractor
    extraction.title, extraction.description, extraction.hints = hints.title, hints.description, hints
    return extraction


def parse_html(html: str) -> lxml.html.HtmlElement | None:
    """A tree from untrusted HTML: no network, no entity expansion, no huge trees; None if unusable."""
    html = _XML_DECLARATION.sub("", html, count=1)
    if not html.strip():
        return None
    try:
        tree = lxml.html.document_fromstring(html, parser=_PARSER)
    except (etree.ParserError, ValueError):
        return None
    return tree if isinstance(tree, lxml.html.HtmlElement) else None


def article_text(html: str, tree: lxml.html.HtmlElement, url: str | None, summary: str | None = None,
                 tuning: HtmlTuning = HtmlTuning(), kept: Callable[[str], str] = str) -> tuple[str, str]:
    """The article as text (one paragraph a line) and the path that found it.

    The fast precision pass usually suffices. It runs on ``tree`` (which it alters) without
    the furniture trafilatura deletes anyway, so its tree copies and XPath searches go
    through far fewer elements. When it finds too little, the slower passes, whose
    readability and jusText comparisons read the whole page, run on a fresh parse of ``html``,
    and readability's own text may replace theirs. When the text misses most words of the
    page's ``summary``, or is one or two paragraphs lying mostly outside resiliparse's main
    content, a fast balanced pass may replace it. ``kept`` gives what of a text the line rules
    keep: readability's vote compares what would stay of each text.
    """
    fast = _trafilatura_text(_without_furniture(prepare_tree(tree, tuning)), url, favor_precision=True, fast=True)
    pool = cache(partial(_main_content, tree))  # both second looks may ask: worked out once
    if len(fast) >= tuning.min_body_chars:
        return _second_looks(html, pool, fast, ExtractPath.TRAFILATURA, url, summary, tuning)
    text, extractor = _second_looks(html, pool, *_slower_text(html, fast, url, tuning), url, summary, tuning)
    retry = _readability_vote(html, pool, text, tuning, kept)
    return (retry, ExtractPath.READABILITY) if retry is not None else (text, extractor)


def _second_looks(html: str, main_content: _MainContent, text: str, extractor: str, url: str | None,
                  summary: str | None, tuning: HtmlTuning) -> tuple[str, str]:
    """The balanced pass's text instead of ``text`` when the page's summary or resiliparse says so."""
    words = _summary_words(summary, tuning)
    covered = _coverage(words, text)
    if covered < tuning.summary_covered:
        retry = _balanced_text(html, url, tuning)
        if _coverage(words, retry) >= covered + tuning.better_coverage:
            return retry, ExtractPath.TRAFILATURA_BALANCED
    if extractor == ExtractPath.TRAFILATURA and text.count("\n") < tuning.judged_body_paragraphs:
        retry = _outside_main_content(html, main_content, text, url, tuning)
        if retry is not None:
            return retry, ExtractPath.TRAFILATURA_BALANCED
    return text, extractor


def _slower_text(html: str, text: str, url: str | None, tuning: HtmlTuning) -> tuple[str, str]:
    """The comparison pass's text, or the recall pass's, when longer than the fast pass's ``text``."""
    whole_page = _prepared_page(html, tuning)
    for extractor, options in ((ExtractPath.TRAFILATURA_COMPARE, {"favor_precision": True}),
                               (ExtractPath.TRAFILATURA_RECALL, {"favor_recall": True})):
        retry = _trafilatura_text(whole_page, url, **options) if whole_page is not None else ""
        if len(retry) > len(text):
            return retry, extractor
        if text:
            break  # a short article that a slower pass confirms: keep it
    return text, ExtractPath.TRAFILATURA


def _prepared_page(html: str, tuning: HtmlTuning) -> lxml.html.HtmlElement | None:
    tree = parse_html(html)
    return prepare_tree(tree, tuning) if tree is not None else None


def _without_furniture(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    etree.strip_elements(tree, *FURNITURE, with_tail=False)
    etree.strip_tags(tree, *INLINE_WRAPPERS)
    return tree


def _balanced_text(html: str, url: str | None, tuning: HtmlTuning) -> str:
    whole_page = _prepared_page(html, tuning)
    return _trafilatura_text(_without_furniture(whole_page), url, fast=True) if whole_page is not None else ""


def _outside_main_content(html: str, main_content: _MainContent, text: str, url: str | None,
                          tuning: HtmlTuning) -> str | None:
    """The balanced pass's text, when the body lies mostly outside resiliparse's main content
    and that text lies further inside (and is no shorter); None otherwise."""
    pool = main_content()
    agreement = _held(text, pool)
    if not pool or agreement >= tuning.outside_share:
        return None
    retry = _balanced_text(html, url, tuning)
    return retry if len(retry) >= len(text) and _held(retry, pool) >= agreement + tuning.better_agreement else None


def _readability_vote(html: str, main_content: _MainContent, text: str, tuning: HtmlTuning,
                      kept: Callable[[str], str]) -> str | None:
    """Readability's text of the page, when it lies almost wholly inside resiliparse's main content
    and further inside than ``text``; None otherwise.

    Readability scores blocks by their own text and commas, trafilatura by tags and link density:
    on a page where trafilatura found little, it often keeps a blog's tagline, a bio or a comment
    policy note, or the post with its trackback list, where readability keeps the post alone.
    resiliparse decides between them; it often holds both, so readability's text must be
    almost all inside it. The comparison pass already runs readability on these pages, so hostile
    input meets nothing new here. Readability reads a fresh parse of the page without its comment
    sections, as the slower passes do (they alter the trees they read).
    """
    pool = main_content()
    if not pool:
        return None  # nothing to judge by (the body's kept lines are not worked out for it)
    needed = max(tuning.readability_inside, _held(kept(text), pool) + tuning.readability_margin)
    if needed > 1:
        return None  # the body lies inside the main content: readability cannot do better
    page = _prepared_page(html, tuning)
    summary = try_readability(page) if page is not None else None
    retry = "\n".join(visible_lines(summary)) if summary is not None and len(summary) else ""
    retry_kept = kept(retry)
    if len(retry_kept) < tuning.min_readability_chars:
        return None
    return retry if _held(retry_kept, pool) >= needed else None


#: The shingles of resiliparse's main content of the page being read, worked out when first asked.
_MainContent = Callable[[], frozenset[tuple[str, ...]]]


def _main_content(tree: lxml.html.HtmlElement) -> frozenset[tuple[str, ...]]:
    """The shingles of resiliparse's main content of ``tree``; none if it fails.

    resiliparse (DOM-block heuristics in C, about a millisecond a page) fails differently from
    trafilatura: a sidebar, a bio or a blog's header tagline the precision pass took for the
    article is rarely in its main content. It reads lxml's serialisation of ``tree`` (the page
    as the precision pass left it, without the furniture), not the page: lxml caps the nesting
    depth at 255, and resiliparse's time grows much faster than the depth (a third of a second
    for 5,000 nested elements, ten for 20,000).
    """
    try:
        main = extract_plain_text(lxml.html.tostring(tree, encoding="unicode"), main_content=True, comments=False)
    except (ValueError, TypeError, RecursionError):
        return frozenset()
    return _shingles(main)


def _shingles(text: str) -> frozenset[tuple[str, ...]]:
    """The text's 4-word runs (the evaluation's unit), lowercased; one shorter run for a short text."""
    words = _WORDS.findall(text.lower())
    return frozenset(tuple(words[i:i + 4]) for i in range(max(1, len(words) - 3))) if words else frozenset()


def _held(text: str, pool: frozenset[tuple[str, ...]]) -> float:
    """The share of the text's shingles that the pool holds."""
    own = _shingles(text)
    return len(own & pool) / len(own) if own else 0.0


def _summary_words(summary: str | None, tuning: HtmlTuning) -> frozenset[str]:
    """The distinct words of a summary long enough to judge a body by; none otherwise."""
    words = frozenset(_WORDS.findall(summary.lower())) if summary else frozenset()
    return words if len(words) >= tuning.min_summary_words else frozenset()


def _coverage(words: frozenset[str], text: str) -> float:
    """The share of ``words`` that ``text`` holds; 1 when there are none to hold."""
    if not words:
        return 1.0
    return len(words.intersection(_WORDS.findall(text.lower()))) / len(words)


def prepare_tree(tree: lxml.html.HtmlElement, tuning: HtmlTuning = HtmlTuning()) -> lxml.html.HtmlElement:
    """The page as trafilatura should read it: no comment sections, embedded posts unwrapped,
    no empty inline elements in front of text (their tails stay).

    Old blog engines (Movable Type, Typepad, Blogger themes) print the comments as plain
    paragraphs after a heading that anchors them, in the same container as the post; nothing
    else marks them, so the heading and what follows it in its container go.
    """
    for element in list(tree.iter(*EMPTY_INLINE)):
        if element.text is None and len(element) == 0 and element.tail and element.tail.strip():
            element.drop_tree()  # lxml.html keeps the tail
    for element in list(tree.iter(*_HEADINGS, "blockquote")):
        if element.tag == "blockquote":
            _unwrap_embedded_post(element, tuning.embed_wrapper_levels)
        elif element.getparent() is not None and _opens_comments(element):
            for follower in list(element.itersiblings()):
                follower.drop_tree()
            element.drop_tree()
    return tree


def _unwrap_embedded_post(quote: lxml.html.HtmlElement, levels: int) -> None:
    if EMBEDDED_POST_CLASSES.isdisjoint((quote.get("class") or "").lower().split()):
        return
    for wrapper in islice(quote.iterancestors("div", "figure", "section", "span"), levels):
        wrapper.attrib.pop("class", None)
        wrapper.attrib.pop("id", None)


def _opens_comments(heading: lxml.html.HtmlElement) -> bool:
    own = f"{heading.get('id') or ''} {heading.get('class') or ''}".lower()
    if not COMMENT_HEADING_WORDS.isdisjoint(_ATTRIBUTE_WORD_SEPARATORS.split(own)):
        return True
    return any((element.get("id") or element.get("name") or "").lower() in COMMENT_ANCHORS
               for element in heading.iterdescendants(etree.Element))


def _trafilatura_text(tree: lxml.html.HtmlElement, url: str | None, **options: Any) -> str:
    try:
        document = trafilatura.bare_extraction(tree, url=url, include_comments=False, **options)
    except (ValueError, TypeError, RecursionError, etree.LxmlError):
        return ""
    return (document.text or "").strip() if document is not None else ""


def page_metadata(tree: lxml.html.HtmlElement, url: str | None, scraped_at: datetime | None) -> PageHints:
    """The page's own metadata, raw, for enrichment to weigh against other sources.

    The sources of trafilatura's ``extract_metadata`` that are cheap: meta tags, JSON-LD,
    <title>, canonical link, htmldate. Its byline-markup, license and link-list scans
    are left out: they would make this step cost as much as the body extraction (the
    cleaner still finds "By ..." lines in the body).
    """
    found = examine_meta(tree)
    try:
        found = extract_meta_json(tree, found)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError):
        pass  # malformed or absurdly nested JSON-LD: the meta tags alone will do
    title = found.title or extract_title(tree)
    canonical = found.url or extract_url(tree, url)
    return PageHints(url=canonical or None, sitename=found.sitename or extract_sitename(tree) or None,
                     lang=_lang_attribute(tree) or None,
                     author=found.author if found.author and " " in found.author else None,  # one word: a handle
                     date=_publication_date(tree, canonical, scraped_at) or None,
                     description=found.description or None, title=title or None)


def _publication_date(tree: lxml.html.HtmlElement, url: str | None, scraped_at: datetime | None) -> str | None:
    """htmldate's original-publication date, never later than the scrape."""
    max_date = scraped_at.date().isoformat() if scraped_at is not None else None
    try:
        return find_date(tree, url=url, extensive_search=False, original_date=True, max_date=max_date)
    except (ValueError, TypeError, OverflowError):
        return None


def _lang_attribute(tree: lxml.html.HtmlElement) -> str | None:
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") or tree.get("xml:lang")
    return (lang or "").strip() or None


def clean_article_lines(lines: list[str], rules: RuleSet, *, title: str | None = None,
                        tuning: HtmlTuning = HtmlTuning()) -> Extraction:
    """Take cruft lines out of an extractor's article text, by the concept patterns alone.

    The repeated headline, header-zone dates, bylines and credit lines leave the body
    and fill their fields. A "More stories" heading takes the short lines after it
    with it, a "Related:" line the list items after it.
    """
    extraction = Extraction(body=[])
    link_list: str | None = None  # "short" after a barrier heading, "items" after a related line
    seen = 0
    story_lists = _dated_list_runs(lines, rules, tuning)
    for number, line in enumerate(lines, start=1):
        text = " ".join(line.split())
        if not text:
            continue
        reason, barrier = (LineReason.RELATED, False) if number in story_lists else _classify(text, seen, rules, title,
                                                                                              tuning)
        seen += 1
        if reason is None and _continues_link_list(text, link_list, tuning.max_link_list_words):
            reason = LineReason.RELATED
        if reason is None:
            link_list = None
            extraction.body.append(text)
            continue
        if reason == "title":
            title = None  # one headline; a similar line further down is a subheading
        link_list = "short" if barrier else "items" if reason == "related" and link_list is None else link_list
        extraction.removed.append(RemovedLine(number, text, reason))
        _keep_metadata_line(extraction, reason, text)
    return extraction


def _dated_list_runs(lines: list[str], rules: RuleSet, tuning: HtmlTuning) -> set[int]:
    """Line numbers of runs of list items, half of them dated or more: a list of stories or posts.

    An article's own lists (steps, points, quotes) rarely date their items; archive, "latest
    news" and comment lists that trafilatura keeps at the end of a post date nearly every one.
    """
    found: set[int] = set()
    run: list[int] = []
    for number, line in enumerate([*lines, ""], start=1):
        if line.startswith(_LIST_ITEM_MARKS):
            run.append(number)
            continue
        if len(run) >= tuning.min_story_list_items and rules.date is not None:
            dated = sum(1 for item in run if rules.date.search(lines[item - 1]))
            if dated >= tuning.story_list_dated_share * len(run):
                found.update(run)
        run = []
    return found


def _keep_header_as_body(extraction: Extraction) -> None:
    """The extractor found only a headline and its byline or date (a photo or video post):
    they are all the text the page has, so they stay in the body rather than leave it empty."""
    extraction.body = [r.text for r in extraction.removed if r.reason in HEADER_REASONS]
    if extraction.body:
        extraction.removed = [r for r in extraction.removed if r.reason not in HEADER_REASONS]
        extraction.path = ExtractPath.HEADLINE_ONLY


def _continues_link_list(text: str, link_list: str | None, max_words: int) -> bool:
    if link_list is None or len(_WORDS.findall(text)) > max_words:
        return False
    return link_list == "short" or text.startswith(_LIST_ITEM_MARKS)


def _classify(text: str, position: int, rules: RuleSet, title: str | None,
              tuning: HtmlTuning) -> tuple[str | None, bool]:
    """(reason, is_barrier) for a cruft line, (None, False) for an article line."""
    zone = position < tuning.header_zone_lines
    if zone and title and _is_headline(text, title, tuning.headline_word_share):
        return "title", False
    found = rules.classify(text.lower())
    if found is not None and found[0] not in SKIPPED_CONCEPTS:
        return found
    if rules.credit is not None and rules.credit.match(text):
        return "credit", False
    if len(text) <= tuning.max_byline_chars and rules.byline is not None and rules.byline.match(text):
        return "byline", False
    if zone and len(text) <= tuning.max_date_line_chars and rules.date is not None \
            and rules.date.search(text):
        return "date", False
    return None, False


def _is_headline(line: str, title: str, share: float) -> bool:
    """The line repeats the page title, give or take a word or the site name.

    Headlines differ a little from the <title> or og:title ("HS" for "High School",
    a kicker before a colon), so most of the line's words must be in the title and
    the line must carry most of the title.
    """
    line_words = _WORDS.findall(line.lower())
    title_words = set(_WORDS.findall(title.lower()))
    if not line_words or not title_words:
        return False
    shared = sum(word in title_words for word in line_words)
    return shared >= share * len(line_words) and shared >= share * len(title_words) / 2


def _keep_metadata_line(extraction: Extraction, reason: str, text: str) -> None:
    fields = {"date": extraction.date_strings, "byline": extraction.bylines, "credit": extraction.credit_lines}
    if reason in fields:
        fields[reason].append(text)


def _text_fallback(tree: lxml.html.HtmlElement, hints: PageHints, rules: RuleSet, tuning: Tuning) -> Extraction:
    """No extractor found an article: clean the page's visible text as a plain-text scrape."""
    extraction = clean_text("\n".join(visible_lines(tree)), rules=rules, tuning=tuning)
    extraction.extractor = ExtractPath.TEXT_FALLBACK
    extraction.title = extraction.title or hints.title
    extraction.description = extraction.description or hints.description
    extraction.hints = hints
    return extraction


def visible_lines(tree: lxml.html.HtmlElement) -> list[str]:
    """The text a reader sees, one line per block element, whitespace collapsed."""
    if tree.tag in _INVISIBLE:
        return []  # a fragment that is all script or frame (readability may return one)
    root = copy.deepcopy(tree)
    for element in list(root.iter(*_INVISIBLE)):
        element.drop_tree()
    for element in root.iter(*_BLOCKS):
        # lxml refuses to set a tail holding a control character it parsed into the tree
        element.tail = "\n" + _XML_INVALID.sub("", element.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().split("\n"))
    return [line for line in lines if line]
