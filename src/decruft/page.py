"""One page from raw bytes to a record: decode -> extract -> enrich -> record.

Pure library code: no Prefect, no I/O beyond what it is given. The flow and the CLI call
``process_document`` for every page; ``clean`` is the one-page convenience for users.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any

from decruft import __version__
from decruft.read.containers import read_source
from decruft.enrich.credits import parse_byline, parse_credit_line
from decruft.enrich.dates import choose_publication_date, find_updated
from decruft.read.decode import DecodeError, decode_text
from decruft.extract.boilerplate import LearntTable
from decruft.extract.html import HtmlTuning, extract_html
from decruft.extract.rules import RuleSet, default_rules, load_rules
from decruft.extract.text import Tuning, clean_text, word_count
from decruft.guard import guarded_documents, safely
from decruft.enrich.language import detect_language, detector_factory
from decruft.read.metadata import PageMetadata, normalise_metadata
from decruft.reasons import LineReason, RejectReason
from decruft.models import Extraction, Limits, OutletProfile, RawDocument, Reject
from decruft.outlets import Registry, load_registry
from decruft.store.schema import ARTICLES
from decruft.read.sources import top_folder
from decruft.enrich.titles import clean_title
from decruft.steps import ExtractPath, Stage, Stopwatch

#: Reason codes of removed lines that mean "this page is an error page, not an article".
ERROR_PAGE_REASONS = frozenset({LineReason.ERROR_PAGE})
#: A body with fewer words is a fragment (an unexpanded entity, a lone label), not an article.
MIN_BODY_WORDS = 5


@dataclass
class Context:
    """What every page of a run shares: registry, rules, learnt table, limits, the text and
    HTML thresholds, run time."""

    registry: Registry = field(default_factory=load_registry)
    rules: RuleSet = field(default_factory=load_rules)
    learnt: LearntTable = field(default_factory=LearntTable)
    limits: Limits = field(default_factory=Limits)
    tuning: Tuning = field(default_factory=Tuning)
    html_tuning: HtmlTuning = field(default_factory=HtmlTuning)
    ingested_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def make_context(*, outlets_dirs: tuple[Path, ...] = (), rules_config: Path | None = None,
                 learnt: LearntTable | None = None, limits: Limits | None = None,
                 tuning: Tuning | None = None, html_tuning: HtmlTuning | None = None) -> Context:
    """A run context with the user's extra outlet profiles and rule config applied."""
    return Context(registry=load_registry(outlets_dirs),
                   rules=load_rules(rules_config) if rules_config else default_rules(),
                   learnt=learnt or LearntTable(), limits=limits or Limits(), tuning=tuning or Tuning(),
                   html_tuning=html_tuning or HtmlTuning())


@cache
def warm_up() -> None:
    """Build what pages share (rules, outlets, language profiles) now, not on the first page:
    child processes forked afterwards start with it instead of spending most of a second.
    Then clean a made-up text page and two HTML pages once: patterns compiled on first use are built
    too, which cost a fresh process about a tenth of a second on its first page, inside that
    page's time limit. Once per process."""
    ctx = Context(rules=default_rules(), registry=load_registry())
    detector_factory()
    for name, page in _WARM_UP_PAGES.items():  # guarded like any page: a failure only leaves the warming undone
        safely(partial(process_page, ctx=ctx), RawDocument(name, page.encode("utf-8"), "0" * 64, name.rsplit(".", 1)[-1]))


_WARM_UP_TEXT = """Skip to content
Home | World | Business | Sport
Harbour town opens its new library
By Jane Roe, Staff Reporter
Published March 3, 2021 10:15 AM
The new library opened on Monday after three years of building work, and hundreds of residents queued at its doors.
Officials said the building would hold more than forty thousand books, a cafe and rooms for local groups to meet.
"It is a place for everyone," the mayor said, as children ran between the shelves of the new reading room.
Readers on the opening day in the town centre. (Photo: John Doe/Agency)
Related stories
Comments
Anna, 3 March 2021 at 11:02
What a wonderful day for the town.
(c) 2021 Example News. All rights reserved."""
#: Pages ``warm_up`` cleans once, by made-up name (its suffix gives the page's format): the text,
#: an HTML article, and an HTML page too short for the fast pass (the slower passes and their votes).
_WARM_UP_PAGES = {
    "warm-up.txt": _WARM_UP_TEXT,
    "warm-up.html": "<html><head><title>Harbour town opens its new library</title></head><body><article>"
                    + "".join(f"<p>{line}</p>" for line in _WARM_UP_TEXT.splitlines()) + "</article></body></html>",
    "warm-up-short.html": "<html><body><nav><a href='/'>Home</a></nav><p>The new library opened on Monday.</p>"
                          "<footer>(c) 2021 Example News</footer></body></html>",
}


def doc_id_for(source_path: str) -> str:
    """Stable id from the source path, so a changed file supersedes its earlier row."""
    return hashlib.sha256(source_path.encode("utf-8")).hexdigest()[:16]


def boilerplate_group(outlet_id: str | None, folder: str | None) -> str:
    """The corpus-statistics group of a page: its outlet, else its raw folder."""
    return outlet_id or (f"folder:{folder}" if folder else "folder:")


def process_document(doc: RawDocument, ctx: Context) -> dict[str, Any] | Reject:
    """Turn one raw page into an article record, or a Reject saying why not."""
    return process_page(doc, ctx).result


@dataclass
class PageResult:
    """A page's record or reject, and what a run counts of it: the extractor path it took, its
    removed lines by reason (also when no article was left), the seconds each stage took. Small,
    so that it travels back from a page's child process with the result."""

    result: dict[str, Any] | Reject
    path: str | None = None  # an ``ExtractPath``; None when the page was not extracted
    removed: dict[str, int] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=Counter)  # by ``Stage``

    def __reduce__(self) -> tuple:
        """Travels as plain strings and dicts: a Counter or a code's enum member would each cost
        a Python call to rebuild on the other side, for every page."""
        return PageResult, (self.result, self.path, _plain(self.removed), _plain(self.seconds))


def _plain(counts: dict[str, Any]) -> dict[str, Any]:
    return {str(key): value for key, value in counts.items()}


def process_page(doc: RawDocument, ctx: Context) -> PageResult:
    """``process_document``, with the page's counters."""
    watch = Stopwatch()
    try:
        text = page_text(doc, ctx.limits)
    except DecodeError as exc:
        return PageResult(Reject(doc.source_path, doc.sha256, RejectReason.DECODE_ERROR, str(exc)),
                          seconds=watch.lap(Stage.DECODE))
    if not text.strip():
        return PageResult(Reject(doc.source_path, doc.sha256, RejectReason.EMPTY, "no text after decoding"),
                          seconds=watch.lap(Stage.DECODE))
    meta = normalise_metadata(doc.metadata)
    watch.lap(Stage.DECODE)
    extract = _extract_html_page if doc.source_format.endswith("html") else _extract_text_page
    extraction, resolution = extract(text, doc, meta, ctx)
    path, removed = extraction.path or extraction.extractor, Counter(r.reason for r in extraction.removed)
    seconds = watch.lap(Stage.EXTRACT)
    words = word_count(extraction.body)
    if words < MIN_BODY_WORDS:
        return PageResult(_no_body_reject(doc, extraction), path, removed, seconds)
    record = build_record(doc, meta, extraction, resolution, ctx, words)
    return PageResult(record, path, removed, watch.lap(Stage.ENRICH))


def page_text(doc: RawDocument, limits: Limits) -> str:
    """The decoded page; a plain-text page's overlong lines are cut so that one cannot stall it.

    Raises DecodeError. HTML is left whole: a minified page is one long line of markup.
    """
    text = decode_text(doc.data, declared=doc.metadata.get("charset"))[0]
    if doc.source_format.endswith("html") or len(text) <= limits.max_line_chars:
        return text
    return "\n".join(line[:limits.max_line_chars] for line in text.split("\n"))


def text_page_outlet(text: str, doc: RawDocument, meta: PageMetadata, ctx: Context):
    """The outlet a text page resolves to, and its group in the learnt table: the same when a
    run scans the page (to learn) as when it cleans it."""
    resolution = ctx.registry.resolve(metadata=meta.outlet, folder=doc.folder, url=meta.url, text=text)
    return resolution, boilerplate_group(resolution.outlet_id, doc.folder)


def _extract_text_page(text: str, doc: RawDocument, meta: PageMetadata, ctx: Context):
    resolution, group = text_page_outlet(text, doc, meta, ctx)
    extraction = clean_with_table(text, resolution.profile, ctx.rules, ctx.learnt.boilerplate_for(group), ctx.tuning)
    if resolution.source in ("text", "unknown") and extraction.urls:
        by_url = ctx.registry.resolve(metadata=None, folder=None, url=extraction.urls[0], text=None)
        if by_url.profile is not None and resolution.profile is None:
            resolution = by_url
    return extraction, resolution


def clean_with_table(text: str, profile: OutletProfile | None, rules: RuleSet,
                     boilerplate: frozenset[int], tuning: Tuning = Tuning()) -> Extraction:
    """Clean a text page with the learnt table, which never reduces an article to nothing:
    then the page is cleaned as if nothing had been learnt. (Nor does it take the headline,
    standfirst, bylines or date lines: the cleaner's header zone reclaims those.)"""
    extraction = clean_text(text, profile=profile, rules=rules, boilerplate=boilerplate, tuning=tuning)
    if not boilerplate:
        return extraction
    if word_count(extraction.body) >= MIN_BODY_WORDS:
        extraction.path = ExtractPath.TEXT_LEARNT
        return extraction
    extraction = clean_text(text, profile=profile, rules=rules, tuning=tuning)
    extraction.path = ExtractPath.TEXT_UNLEARNT
    return extraction




def _extract_html_page(text: str, doc: RawDocument, meta: PageMetadata, ctx: Context):
    extraction = extract_html(text, url=meta.url, scraped_at=meta.scraped_at, rules=ctx.rules, tuning=ctx.tuning,
                              html_tuning=ctx.html_tuning)
    url = meta.url or extraction.hints.url
    resolution = ctx.registry.resolve(metadata=meta.outlet, sitename=extraction.hints.sitename,
                                      folder=doc.folder, url=url, text="\n".join(extraction.body))
    return extraction, resolution


def removed_lines(doc: RawDocument, ctx: Context) -> list[dict[str, Any]]:
    """The lines cleaning removes from a page and why, also when no article is left (a
    rejected page's record holds none): what ``decruft explain`` shows for it."""
    try:
        text = page_text(doc, ctx.limits)
    except DecodeError:
        return []
    extract = _extract_html_page if doc.source_format.endswith("html") else _extract_text_page
    return _removed(extract(text, doc, normalise_metadata(doc.metadata), ctx)[0])


def _removed(extraction: Extraction) -> list[dict[str, Any]]:
    return [{"line": r.line, "text": r.text, "reason": str(r.reason)} for r in extraction.removed]


def _no_body_reject(doc: RawDocument, extraction: Extraction) -> Reject:
    reasons = {r.reason for r in extraction.removed}
    if reasons & ERROR_PAGE_REASONS:
        return Reject(doc.source_path, doc.sha256, RejectReason.ERROR_PAGE, "the page is an error page")
    return Reject(doc.source_path, doc.sha256, RejectReason.NO_CONTENT,
                  f"no article text left after cleaning ({len(extraction.removed)} lines removed)")


def build_record(doc: RawDocument, meta: PageMetadata, extraction: Extraction, resolution,
                 ctx: Context, words: int) -> dict[str, Any]:
    """Enrich an extraction (dates, people, language) and lay it out as one articles row
    (``words``: the body's word count, already worked out)."""
    profile = resolution.profile
    url = meta.url or extraction.hints.url or (extraction.urls[0] if extraction.urls else None)
    published = choose_publication_date(
        metadata=meta.published, html=extraction.hints.date, text=extraction.date_strings,
        url=url, profile=profile, scraped_at=meta.scraped_at)
    updated = find_updated(extraction.date_strings, profile=profile, scraped_at=meta.scraped_at)
    authors, agencies = _people(meta, extraction, ctx.registry)
    body = "\n\n".join(extraction.body)
    language, score = detect_language(body, hint=meta.language or extraction.hints.lang or _sole_language(profile))
    sources = {name: f"{doc.metadata_origin}:{key}" for name, key in meta.sources.items()}
    title = clean_title(meta.title or extraction.title, _site_names(meta, extraction, resolution, url))
    if not meta.title and extraction.title:
        sources["title"] = extraction.extractor
    return {
        "doc_id": doc_id_for(doc.source_path),
        "duplicate_of": _first_copy_id(ctx.learnt, doc.source_path),
        "source_path": doc.source_path,
        "source_sha256": doc.sha256,
        "source_format": doc.source_format,
        "url": url,
        "outlet_id": resolution.outlet_id or "unknown",
        "outlet_name": profile.name if profile else resolution.name,
        "outlet_domain": profile.domains[0] if profile and profile.domains else _domain_id(resolution),
        "outlet_country": profile.country if profile else None,
        "outlet_source": resolution.source,
        "title": title,
        "description": extraction.description or extraction.hints.description,
        "section": extraction.section,
        "authors": authors,
        "agencies": agencies,
        "published_date": published.date if published else None,
        "published_at": published.at if published else None,
        "updated_at": updated.at if updated else None,
        "date_precision": published.precision if published else None,
        "date_source": published.source if published else None,
        "date_raw": published.raw if published else None,
        "language": language,
        "language_score": score,
        "body": body,
        "word_count": words,
        "removed": _removed(extraction),
        "extractor": extraction.extractor,
        "metadata_sources": sources,
        "scraped_at": meta.scraped_at,
        "pipeline_version": __version__,
        "ingested_at": ctx.ingested_at,
    }


def _sole_language(profile: OutletProfile | None) -> str | None:
    """The language an outlet publishes in, when it publishes in one: a declared language
    that decides the text's close calls, as a page's own ``lang`` does."""
    return profile.languages[0] if profile is not None and len(profile.languages) == 1 else None


def _first_copy_id(learnt: LearntTable, source_path: str) -> str | None:
    first = learnt.duplicate_of(source_path)
    return doc_id_for(first) if first else None


def _site_names(meta: PageMetadata, extraction: Extraction, resolution, url: str | None) -> list[str | None]:
    """What the page's site may be called, for cutting it from the title."""
    profile = resolution.profile
    names = [meta.outlet, extraction.hints.sitename, resolution.name, url]
    if profile is not None:
        names += [profile.name, *profile.aliases, *profile.domains]
    return names


def _domain_id(resolution) -> str | None:
    """An unregistered outlet's id is its registered domain; report it as the domain too."""
    oid = resolution.outlet_id
    return oid if oid and "." in oid else None


def _people(meta: PageMetadata, extraction: Extraction, outlets: Registry) -> tuple[list[str], list[str]]:
    """Authors from metadata first, else from bylines; agencies from credit lines."""
    authors = list(meta.authors)
    agencies: list[str] = []
    if not authors:
        for line in extraction.bylines:
            authors += parse_byline(line, outlets)
        hint = extraction.hints.author
        if not authors and hint:
            authors = parse_byline(hint, outlets) or [hint]
    for line in extraction.credit_lines:
        credit_authors, credit_agencies = parse_credit_line(line, outlets)
        authors += [a for a in credit_authors if a not in authors]
        agencies += [a for a in credit_agencies if a not in agencies]
    return list(dict.fromkeys(authors)), agencies


def clean(data: str | bytes, *, name: str | None = None, url: str | None = None,
          metadata: dict[str, Any] | None = None, context: Context | None = None,
          metadata_origin: str = "argument") -> dict[str, Any]:
    """Clean one page (text or HTML, str or bytes) and return its record as a dict.

    The record has the articles columns; a page that yields no article comes back with an
    empty body and a ``reject`` entry (reason and detail) instead of raising, whatever the
    input (an unexpected error is an ``error`` reject, as in a run). ``name`` is the
    page's path relative to the raw root, as ingest would see it (its first folder may name
    the outlet); ``context`` carries a dataset's learnt table (see ``ingest.dataset_context``).
    A container (JSON Lines, WARC) gives its first record; ``clean_pages`` gives every one.
    """
    return next(clean_pages(data, name=name, url=url, metadata=metadata, context=context,
                            metadata_origin=metadata_origin))[1]


def clean_pages(data: str | bytes, *, name: str | None = None, url: str | None = None,
                metadata: dict[str, Any] | None = None, context: Context | None = None,
                metadata_origin: str = "argument", record: int | None = None
                ) -> Iterator[tuple[RawDocument | None, dict[str, Any]]]:
    """Every page of the input with its record (as ``clean``): one for a page, one per record
    for a container, named ``name#N`` as ingest names them; only ``name#record`` when given
    (nothing when it is absent). The document is None for a reject found before a page was
    decoded (an empty or binary file, a broken record)."""
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else bytes(data)  # lone surrogates: "?"
    meta = dict(metadata or {})
    if url:
        meta.setdefault("url", url)
    source = name or "<input>"
    ctx = context or _default_context()
    found = False
    wanted = None if record is None else f"{source}#{record}"
    for item in guarded_documents(source, read_source(source, raw, limits=ctx.limits)):
        if wanted and item.source_path != wanted:
            continue
        found = True
        if isinstance(item, Reject):
            yield None, _rejected_record(item, ctx)
            continue
        item.folder = top_folder(source)
        if meta:
            item.metadata, item.metadata_origin = {**item.metadata, **meta}, item.metadata_origin or metadata_origin
        result = safely(partial(process_document, ctx=ctx), item)
        yield item, result if isinstance(result, dict) else _rejected_record(result, ctx)
    if not found and not wanted:
        yield None, _rejected_record(Reject(source, None, RejectReason.NO_CONTENT, "no page found in the input"), ctx)


def _rejected_record(reject: Reject, ctx: Context) -> dict[str, Any]:
    record: dict[str, Any] = {name: None for name in ARTICLES.names}
    record.update(doc_id=doc_id_for(reject.source_path), source_path=reject.source_path,
                  source_sha256=reject.source_sha256, body="", word_count=0, removed=[],
                  authors=[], agencies=[], outlet_id="unknown", outlet_source="unknown",
                  language="und", extractor="none", pipeline_version=__version__,
                  ingested_at=ctx.ingested_at, reject={"reason": reject.reason, "detail": reject.detail})
    return record


_CONTEXT: Context | None = None


def _default_context() -> Context:
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = Context()
    return _CONTEXT
