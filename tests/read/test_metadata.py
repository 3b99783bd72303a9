"""Sidecar/JSONL metadata in the shapes scrapers write, normalised to one."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from decruft.read.metadata import normalise_metadata, parse_timestamp


@pytest.mark.parametrize("raw, field, value, key", [
    ({"URL": "https://p.dw.com/p/2SbNt"}, "url", "https://p.dw.com/p/2SbNt", "URL"),
    ({"canonical_url": "https://x.org/a"}, "url", "https://x.org/a", "canonical_url"),
    ({"source": {"name": "Deutsche Welle"}}, "outlet", "Deutsche Welle", "source"),
    ({"site_name": "DW"}, "outlet", "DW", "site_name"),
    ({"datePublished": "2016-11-12T10:00:00+01:00"}, "published", "2016-11-12T10:00:00+01:00", "datePublished"),
    ({"headline": "A title"}, "title", "A title", "headline"),
    ({"lang": "en-GB"}, "language", "en", "lang"),
    ({"inLanguage": "pt_BR"}, "language", "pt", "inLanguage"),
])
def test_field_spellings(raw, field, value, key):
    meta = normalise_metadata(raw)
    assert getattr(meta, field) == value
    assert meta.sources[field] == key


@pytest.mark.parametrize("authors, expected", [
    ("Anna Smith and Bob Jones", ["Anna Smith", "Bob Jones"]),
    (["Anna Smith", "Bob Jones"], ["Anna Smith", "Bob Jones"]),
    ([{"name": "Anna Smith"}, {"name": "Bob Jones"}], ["Anna Smith", "Bob Jones"]),
    ("Anna Smith; Anna Smith", ["Anna Smith"]),
])
def test_authors_any_shape(authors, expected):
    assert normalise_metadata({"author": authors}).authors == expected


@pytest.mark.parametrize("value, expected", [
    ("2016-11-12T10:00:00Z", dt.datetime(2016, 11, 12, 10, tzinfo=dt.UTC)),
    ("2016-11-12T11:00:00+01:00", dt.datetime(2016, 11, 12, 10, tzinfo=dt.UTC)),
    ("2016-11-12 10:00:00", dt.datetime(2016, 11, 12, 10, tzinfo=dt.UTC)),
    (1478944800, dt.datetime(2016, 11, 12, 10, tzinfo=dt.UTC)),
    (1478944800000, dt.datetime(2016, 11, 12, 10, tzinfo=dt.UTC)),
    ("1478944800", dt.datetime(2016, 11, 12, 10, tzinfo=dt.UTC)),
    ("yesterday-ish", None),
])
def test_scraped_at_shapes(value, expected):
    assert parse_timestamp(value) == expected
    assert normalise_metadata({"crawled_at": value}).scraped_at == expected


def test_unknown_keys_and_empty_values_are_ignored():
    meta = normalise_metadata({"foo": "bar", "title": "  ", "url": None})
    assert meta.title is None and meta.url is None and meta.sources == {}


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                           max_leaves=10)


@given(st.dictionaries(st.sampled_from(["url", "outlet", "published", "scraped_at", "title", "authors",
                                        "language", "date", "author", "x"]), json_values))
def test_never_raises_on_any_json(raw):
    normalise_metadata(raw)
