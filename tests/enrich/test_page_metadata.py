"""Metadata of pages no profile knows: titles, header timestamps, outlets given with the page."""
from __future__ import annotations

import json

import pytest

import decruft
from decruft.enrich.titles import clean_title

HEADLINE = "Ministers leave the budget talks without a joint statement"
PARAGRAPHS = (
    "Ministers left the talks late on Saturday without agreeing on a joint statement, officials said.",
    "The meeting, the third this year, had been expected to settle the budget for the coming two years.",
    "A further round is planned for next month, when the finance ministers are due to meet again.",
)


def text_page(header: list[str], footer: tuple[str, ...] = ()) -> str:
    return "\n".join([f"{HEADLINE} | Al Bawaba  ", "Home", "World", HEADLINE, *header, *PARAGRAPHS, *footer])


@pytest.mark.parametrize(("title", "names", "expected"), [
    (f"{HEADLINE} | Al Bawaba  ", (), HEADLINE),
    (f"  {HEADLINE}   ", (), HEADLINE),
    (f"{HEADLINE} | World | The Daily Example", (), HEADLINE),
    (f"{HEADLINE} - Al Bawaba", ("albawaba.com",), HEADLINE),
    (f"{HEADLINE} – The Daily Example", ("The Daily Example",), HEADLINE),
    (f"{HEADLINE} |", (), HEADLINE),
    # a dash whose tail is no site name belongs to the headline; so does a long piped tail
    ("Budget talks - the view from the provinces", ("albawaba.com",), "Budget talks - the view from the provinces"),
    ("Budget talks | what the ministers said and what they did not say", (),
     "Budget talks | what the ministers said and what they did not say"),
    ("Talks | Al Bawaba", (), "Talks | Al Bawaba"),  # one word left would be no headline
    ("   ", (), None),
    (None, (), None),
])
def test_clean_title(title, names, expected):
    assert clean_title(title, names) == expected


def test_sidecar_title_loses_site_suffix_and_spaces():
    record = decruft.clean(text_page([]), name="page.txt",
                           metadata={"title": f"  {HEADLINE}  | Al Bawaba ", "outlet": "Al Bawaba"})
    assert record["title"] == HEADLINE


@pytest.mark.parametrize(("stamp", "date", "at"), [
    ("2016-11-12T10:32:00Z", "2016-11-12", "2016-11-12T10:32:00+00:00"),
    ("2016-11-12T10:32:00+01:00", "2016-11-12", "2016-11-12T09:32:00+00:00"),
    ("Published 2016-11-12T10:32", "2016-11-12", "2016-11-12T10:32:00+00:00"),
])
def test_iso_timestamp_in_text_header_is_the_publication_date(stamp, date, at):
    record = decruft.clean(text_page([stamp, "By Jane Doe"]), name="page.txt")
    assert str(record["published_date"]) == date
    assert record["published_at"].isoformat() == at
    assert record["date_source"] == "text"
    assert stamp not in record["body"]
    assert {"line": 5, "text": stamp, "reason": "date"} in record["removed"]


def test_metadata_outlet_wins_over_text_fingerprints():
    """A syndicated copy carries another outlet's furniture; the metadata names the publisher."""
    page = text_page(["By Jane Doe"], footer=("More stories from DW",))
    assert decruft.clean(page, name="page.txt")["outlet_id"] == "dw"
    record = decruft.clean(page, name="page.txt", metadata={"outlet": "Al Bawaba"})
    assert (record["outlet_id"], record["outlet_name"], record["outlet_source"]) == ("al-bawaba", "Al Bawaba", "metadata")


def test_unregistered_subdomain_in_metadata_is_kept(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text(text_page(["By Jane Doe"]), encoding="utf-8")
    (tmp_path / "page.txt.meta.json").write_text(json.dumps(
        {"site": "blogs.example-herald.net", "url": "https://example-herald.net/2016/11/12/talks"}))
    record = decruft.clean(page.read_bytes(), name="page.txt",
                           metadata=json.loads((tmp_path / "page.txt.meta.json").read_text()))
    assert record["outlet_id"] == "blogs.example-herald.net"
    assert record["outlet_domain"] == "blogs.example-herald.net"
    assert record["outlet_source"] == "metadata"
