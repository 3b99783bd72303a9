"""The Parquet schemas: defined once here, documented in docs/schema.md (a test keeps both in step).

Column names are a contract with downstream users: add columns, never rename or retype one
without raising SCHEMA_VERSION.
"""
from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = "1"


def _field(name: str, type_: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"description": doc})


REMOVED_LINE = pa.struct([
    pa.field("line", pa.int32()),
    pa.field("text", pa.string()),
    pa.field("reason", pa.string()),
])

ARTICLE_FIELDS = [
    _field("doc_id", pa.string(), "Stable id: sha256 of the source path, first 16 hex digits. "
           "The same raw path gives the same id on every run; a changed file keeps its id.", False),
    _field("duplicate_of", pa.string(), "doc_id of the first article (in source path order) of this "
           "one's near-duplicate cluster: re-scrapes, AMP, print or mobile copies, syndicated copy "
           "whose bodies nearly match. Null for the first and for articles without near-copies."),
    _field("source_path", pa.string(), "Path relative to the raw root (POSIX); container records "
           "add '#N' (e.g. crawl.warc.gz#17).", False),
    _field("source_sha256", pa.string(), "sha256 of the page's raw bytes.", False),
    _field("source_format", pa.string(), "Detected input format: text, html, or container+inner "
           "(gzip+html, jsonl+text, warc+html).", False),
    _field("url", pa.string(), "Page URL from metadata, HTML canonical link or the text."),
    _field("outlet_id", pa.string(), "Outlet id from the registry; an unregistered outlet named by "
           "metadata as given (a host name as written, a name as a slug); the registered domain for an "
           "unregistered outlet with a URL; 'unknown' when nothing identifies it.", False),
    _field("outlet_name", pa.string(), "Outlet display name (registered outlets, or as metadata gave it)."),
    _field("outlet_domain", pa.string(), "Outlet's main domain, or the page URL's registered domain."),
    _field("outlet_country", pa.string(), "Outlet country, ISO 3166-1 alpha-2."),
    _field("outlet_source", pa.string(), "Where the outlet came from: metadata, folder, url, text, "
           "unknown.", False),
    _field("title", pa.string(), "Headline, without a site name after a separator."),
    _field("description", pa.string(), "Standfirst / summary under the headline."),
    _field("section", pa.string(), "Section label shown above the headline (e.g. 'Conflicts')."),
    _field("authors", pa.list_(pa.string()), "Person names from bylines and metadata."),
    _field("agencies", pa.list_(pa.string()), "News agencies credited, normalised (AFP, AP, "
           "Reuters, dpa, ...)."),
    _field("published_date", pa.date32(), "Publication date as the outlet's local calendar date."),
    _field("published_at", pa.timestamp("us", tz="UTC"), "Publication instant in UTC; set only "
           "when a time of day is known."),
    _field("updated_at", pa.timestamp("us", tz="UTC"), "Last modification instant in UTC, when "
           "the page states one with a time of day."),
    _field("date_precision", pa.string(), "Precision of the publication time: day, minute, second."),
    _field("date_source", pa.string(), "Where the date came from: metadata, html, text, url."),
    _field("date_raw", pa.string(), "The original string the publication date was read from."),
    _field("language", pa.string(), "ISO 639-1 code detected on the cleaned body; 'und' when the "
           "body is too short to tell.", False),
    _field("language_score", pa.float32(), "Detector's probability for the language."),
    _field("body", pa.string(), "Cleaned article text; paragraphs separated by a blank line.", False),
    _field("word_count", pa.int32(), "Number of words in body.", False),
    _field("removed", pa.list_(REMOVED_LINE), "Every input line removed from the body: line "
           "number (1-based), text and reason code (see docs/schema.md)."),
    _field("extractor", pa.string(), "Which path produced the body: text, trafilatura, trafilatura+compare, "
           "trafilatura+recall, trafilatura+balanced, readability, text-fallback, none (the run report's "
           "extractor paths "
           "explain each).", False),
    _field("metadata_sources", pa.map_(pa.string(), pa.string()), "For each field taken from "
           "sidecar/JSONL/WARC metadata or HTML, where its value came from."),
    _field("scraped_at", pa.timestamp("us", tz="UTC"), "When the page was fetched, from metadata."),
    _field("pipeline_version", pa.string(), "decruft version that wrote the row.", False),
    _field("ingested_at", pa.timestamp("us", tz="UTC"), "When the row was written.", False),
]

REJECT_FIELDS = [
    _field("source_path", pa.string(), "Path relative to the raw root (POSIX), with '#N' for a "
           "container record.", False),
    _field("source_sha256", pa.string(), "sha256 of the raw bytes, when they could be read."),
    _field("reason", pa.string(), "Reason code (see docs/schema.md).", False),
    _field("detail", pa.string(), "Human-readable explanation.", False),
    _field("ingested_at", pa.timestamp("us", tz="UTC"), "When the row was written.", False),
]

#: Partition columns of the articles dataset (hive layout: outlet=dw/year_month=2016-11/).
ARTICLE_PARTITIONS = ("outlet", "year_month")


def _schema(fields: list[pa.Field], kind: str) -> pa.Schema:
    return pa.schema(fields, metadata={"decruft.schema_version": SCHEMA_VERSION,
                                       "decruft.dataset": kind})


ARTICLES = _schema(ARTICLE_FIELDS, "articles")
REJECTS = _schema(REJECT_FIELDS, "rejects")
