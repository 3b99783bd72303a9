"""Date parsing: a hand-checked table of real-world formats, choice by source, URLs, speed.

Expected instants are worked out by hand from each zone's rules on that day (UK
summer time from the last Sunday of March to the last Sunday of October, US daylight
time from the second Sunday of March to the first Sunday of November, etc.).
"""
from __future__ import annotations

import datetime as dt
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decruft.enrich.dates import choose_publication_date, find_updated, parse_date, parse_url_date
from decruft.models import OutletProfile

D = dt.date
SCRAPED = dt.datetime(2019, 11, 20, 12, 0, tzinfo=dt.UTC)

LON, NY, LA, PAR, BER = "Europe/London", "America/New_York", "America/Los_Angeles", "Europe/Paris", "Europe/Berlin"
US = False  # day_first for US outlets


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


# text, outlet zone, day_first, expected date, expected UTC instant (None: day only), precision
TABLE = [
    # the seeds and the brief
    ("Updated 3:14 PM ET, Sat November 12, 2016", NY, US, D(2016, 11, 12), utc(2016, 11, 12, 20, 14), "minute"),
    ("Publié le 12 novembre 2016 à 10h32", PAR, True, D(2016, 11, 12), utc(2016, 11, 12, 9, 32), "minute"),
    ("22.11.2016", BER, True, D(2016, 11, 22), None, "day"),
    ("Wednesday 05 October 2016 18:25", LON, True, D(2016, 10, 5), utc(2016, 10, 5, 17, 25), "minute"),
    ("November 12, 2016", BER, True, D(2016, 11, 12), None, "day"),
    ("November 22, 2016", BER, True, D(2016, 11, 22), None, "day"),
    # English layouts seen on news pages
    ("Nov 18, 2019 at 9:24 pm ET • 2 min read", NY, US, D(2019, 11, 18), utc(2019, 11, 19, 2, 24), "minute"),
    ("Associated Press November 19, 2019, 9:02 AM", "America/Toronto", True, D(2019, 11, 19), utc(2019, 11, 19, 14, 2), "minute"),
    ("Reuters November 18, 2019 11:03 PM", NY, US, D(2019, 11, 18), utc(2019, 11, 19, 4, 3), "minute"),
    ("18 NOV 2019", "UTC", True, D(2019, 11, 18), None, "day"),
    ("By Tess Bonn - 11/19/19 06:56 AM EST", NY, US, D(2019, 11, 19), utc(2019, 11, 19, 11, 56), "minute"),
    ("By Umair Irfan Updated Nov 13, 2019, 10:28am EST", NY, US, D(2019, 11, 13), utc(2019, 11, 13, 15, 28), "minute"),
    ("11.14.2019 09:00 AM", NY, US, D(2019, 11, 14), utc(2019, 11, 14, 14, 0), "minute"),
    ("Published Wed, Nov 20 20194:29 AM ESTUpdated an hour ago", NY, US, D(2019, 11, 20), utc(2019, 11, 20, 9, 29), "minute"),
    ("Wednesday 20 Nov 2019", "Asia/Kolkata", True, D(2019, 11, 20), None, "day"),
    ("By Tim Childers - Live Science Contributor 2019-11-19T12:48:14Z Space", NY, US, D(2019, 11, 19), utc(2019, 11, 19, 12, 48, 14), "second"),
    ("Chris Davies - Nov 19, 2019, 8:15 pm CST", NY, US, D(2019, 11, 19), utc(2019, 11, 20, 2, 15), "minute"),
    ("Nov 13, 2019 4:26 pm", LA, US, D(2019, 11, 13), utc(2019, 11, 14, 0, 26), "minute"),
    ("November 19, 2019 / 12:21 AM / Updated 14 hours ago", LON, True, D(2019, 11, 19), utc(2019, 11, 19, 0, 21), "minute"),
    ("Nov. 20, 2019, 9:28 AM UTC", NY, US, D(2019, 11, 20), utc(2019, 11, 20, 9, 28), "minute"),
    ("Nov. 20, 2019, 2:00 AM UTC", NY, US, D(2019, 11, 19), utc(2019, 11, 20, 2, 0), "minute"),
    ("Mon 18 Nov 2019 18.54 GMT Last modified on Mon 18 Nov 2019 18.56 GMT", LON, True, D(2019, 11, 18), utc(2019, 11, 18, 18, 54), "minute"),
    ("13/06/2014 Tony Carter All, Books, Kit Reviews", LON, True, D(2014, 6, 13), None, "day"),
    ("20/11/2019 / 11:42 am", LON, True, D(2019, 11, 20), utc(2019, 11, 20, 11, 42), "minute"),
    ("PUBLISHED: 10:48, Tue, Nov 19, 2019 | UPDATED: 11:05, Tue, Nov 19, 2019", LON, True, D(2019, 11, 19), utc(2019, 11, 19, 10, 48), "minute"),
    ("Wednesday, 20th November 2019", LON, True, D(2019, 11, 20), None, "day"),
    ("Monday, November 18, 2019, 04:05 pm PT (07:05 pm ET)", LA, US, D(2019, 11, 18), utc(2019, 11, 19, 0, 5), "minute"),
    ("Nov 18, 2019 @17:19 PM · Updated: Nov 18, 2019 @17:26 PM", NY, US, D(2019, 11, 18), utc(2019, 11, 18, 22, 19), "minute"),
    ("Published 11:34 PM EST Nov 19, 2019", NY, US, D(2019, 11, 19), utc(2019, 11, 20, 4, 34), "minute"),
    ("By Kashmira Gander On 11/13/19 at 4:00 PM EST", NY, US, D(2019, 11, 13), utc(2019, 11, 13, 21, 0), "minute"),
    ("Published November 20th, 2019 - 07:29 GMT", "UTC", True, D(2019, 11, 20), utc(2019, 11, 20, 7, 29), "minute"),
    ("Nov 15, 20195:45 AM", NY, US, D(2019, 11, 15), utc(2019, 11, 15, 10, 45), "minute"),
    ("18 Nov 2019, 19:09", LON, True, D(2019, 11, 18), utc(2019, 11, 18, 19, 9), "minute"),
    ("By Matthew Digby , Minh Do on Monday, November 18th, 2019 at 11:08 a.m.", NY, US, D(2019, 11, 18), utc(2019, 11, 18, 16, 8), "minute"),
    ("November 19, 2019 | 4:20am | Updated November 19, 2019 | 9:32pm", NY, US, D(2019, 11, 19), utc(2019, 11, 19, 9, 20), "minute"),
    ("Updated 12:24 am EST, Wednesday, November 20, 2019", NY, US, D(2019, 11, 20), utc(2019, 11, 20, 5, 24), "minute"),
    ("Nov 19, 2019 at 9:08 GMT1 day ago", "UTC", True, D(2019, 11, 19), utc(2019, 11, 19, 9, 8), "minute"),
    ("Published Monday, November 18, 2019 8:22AM EST", "America/Toronto", True, D(2019, 11, 18), utc(2019, 11, 18, 13, 22), "minute"),
    ("Nov.November 18, 2019 12:02 PM", NY, US, D(2019, 11, 18), utc(2019, 11, 18, 17, 2), "minute"),
    ("Nov. 20, 2019 6:02 AM EST", NY, US, D(2019, 11, 20), utc(2019, 11, 20, 11, 2), "minute"),
    ("Written by Rachael Link, MS, RD on November 14, 2019", LA, US, D(2019, 11, 14), None, "day"),
    ("3:14 PM ET Nov 12 2016", NY, US, D(2016, 11, 12), utc(2016, 11, 12, 20, 14), "minute"),
    ("11:08 a.m. Nov. 18, 2019", NY, US, D(2019, 11, 18), utc(2019, 11, 18, 16, 8), "minute"),
    ("12:00:45 UTC, 3 August 2017", LON, True, D(2017, 8, 3), utc(2017, 8, 3, 12, 0, 45), "second"),
    ("Sept. 5, 2019", NY, US, D(2019, 9, 5), None, "day"),
    ("5-Sep-2019", LON, True, D(2019, 9, 5), None, "day"),
    ("Thursday 3 August 2017 12:00 BST", LON, True, D(2017, 8, 3), utc(2017, 8, 3, 11, 0), "minute"),
    # daylight saving edges
    ("Sunday 27 October 2019 01:30", LON, True, D(2019, 10, 27), utc(2019, 10, 27, 0, 30), "minute"),
    ("10 March 2019 3:30 AM", NY, US, D(2019, 3, 10), utc(2019, 3, 10, 7, 30), "minute"),
    ("March 9, 2019 11:00 PM", NY, US, D(2019, 3, 9), utc(2019, 3, 10, 4, 0), "minute"),
    ("31.03.2019, 03:30 Uhr", BER, True, D(2019, 3, 31), utc(2019, 3, 31, 1, 30), "minute"),
    ("30.03.2019, 03:30 Uhr", BER, True, D(2019, 3, 30), utc(2019, 3, 30, 2, 30), "minute"),
    ("Dec 17, 2018 10:00 PM PST", LA, US, D(2018, 12, 17), utc(2018, 12, 18, 6, 0), "minute"),
    ("June 1, 2018 10:00 PM PDT", LA, US, D(2018, 6, 1), utc(2018, 6, 2, 5, 0), "minute"),
    ("June 1, 2018 10:00 PM", LA, US, D(2018, 6, 1), utc(2018, 6, 2, 5, 0), "minute"),
    ("20 November 2019 10:00 AEDT", "Australia/Sydney", True, D(2019, 11, 20), utc(2019, 11, 19, 23, 0), "minute"),
    ("20 November 2019 10:00", "Australia/Sydney", True, D(2019, 11, 20), utc(2019, 11, 19, 23, 0), "minute"),
    ("20 June 2019 10:00", "Australia/Sydney", True, D(2019, 6, 20), utc(2019, 6, 20, 0, 0), "minute"),
    ("sexta-feira, 22 de outubro de 2010 às 20:13", "America/Sao_Paulo", True, D(2010, 10, 22), utc(2010, 10, 22, 22, 13), "minute"),
    ("22 de outubro de 2019 às 20:13", "America/Sao_Paulo", True, D(2019, 10, 22), utc(2019, 10, 22, 23, 13), "minute"),
    # numeric order from the outlet, unless a day > 12 forces it
    ("6/1/2018", NY, US, D(2018, 6, 1), None, "day"),
    ("6/1/2018", LON, True, D(2018, 1, 6), None, "day"),
    ("13/1/2018", NY, US, D(2018, 1, 13), None, "day"),
    ("Posted on 01/02/2019", NY, US, D(2019, 1, 2), None, "day"),
    ("Posted on 01/02/2019", PAR, True, D(2019, 2, 1), None, "day"),
    ("Carlos Nadalim 27/09/2018 Comente!", "America/Sao_Paulo", True, D(2018, 9, 27), None, "day"),
    ("21:17 18.11.2019Get short URL", "Europe/Moscow", True, D(2019, 11, 18), utc(2019, 11, 18, 18, 17), "minute"),
    # ISO 8601 and year-first layouts
    ("2016-10-05T18:25:00+01:00", LON, True, D(2016, 10, 5), utc(2016, 10, 5, 17, 25), "second"),
    ("Published: 2019-11-19T08:00:00.000Z", LON, True, D(2019, 11, 19), utc(2019, 11, 19, 8, 0), "second"),
    ("2019-11-19 08:00 +0530", "Asia/Kolkata", True, D(2019, 11, 19), utc(2019, 11, 19, 2, 30), "minute"),
    ("By FEDERICA LUSIARDI - 2019-04-10", "Europe/Rome", True, D(2019, 4, 10), None, "day"),
    ("기사입력 :[ 2018-08-25 15:24 ]", "Asia/Seoul", True, D(2018, 8, 25), utc(2018, 8, 25, 6, 24), "minute"),
    ("by ライトハウス国際特許事務所 ／ 2016.12.01", "Asia/Tokyo", True, D(2016, 12, 1), None, "day"),
    ("2013年04月09日", "Asia/Tokyo", True, D(2013, 4, 9), None, "day"),
    ("2018/06/01 10:00", "Asia/Tokyo", True, D(2018, 6, 1), utc(2018, 6, 1, 1, 0), "minute"),
    # named zones and offsets
    ("19 Nov 2019 08:00 IST", "Asia/Kolkata", True, D(2019, 11, 19), utc(2019, 11, 19, 2, 30), "minute"),
    ("Tuesday, 19 November 2019 14:30 CET", BER, True, D(2019, 11, 19), utc(2019, 11, 19, 13, 30), "minute"),
    ("19.11.2019 14:30 MEZ", BER, True, D(2019, 11, 19), utc(2019, 11, 19, 13, 30), "minute"),
    ("19.07.2019 14:30 CEST", BER, True, D(2019, 7, 19), utc(2019, 7, 19, 12, 30), "minute"),
    ("3 August 2017 12:00 GMT+2", "UTC", True, D(2017, 8, 3), utc(2017, 8, 3, 10, 0), "minute"),
    ("3 August 2017 12:00 UTC+05:30", "UTC", True, D(2017, 8, 3), utc(2017, 8, 3, 6, 30), "minute"),
    ("3 August 2017 23:30 EDT", "UTC", True, D(2017, 8, 3), utc(2017, 8, 4, 3, 30), "minute"),
    ("3 August 2017 23:30 PT", "UTC", True, D(2017, 8, 3), utc(2017, 8, 4, 6, 30), "minute"),
    # German, French, Spanish, Italian, Portuguese, Dutch, Russian
    ("Von Moritz Bachmann publiziert am 30. Juli 2018", BER, True, D(2018, 7, 30), None, "day"),
    ("5. Oktober 2016, 18:25 Uhr", BER, True, D(2016, 10, 5), utc(2016, 10, 5, 16, 25), "minute"),
    ("Mittwoch, 5. Oktober 2016", BER, True, D(2016, 10, 5), None, "day"),
    ("Stand: 22.11.2016 18:25 Uhr", BER, True, D(2016, 11, 22), utc(2016, 11, 22, 17, 25), "minute"),
    ("17 dez. 2018", BER, True, D(2018, 12, 17), None, "day"),
    ("3. März 2019 um 09:15", "Europe/Vienna", True, D(2019, 3, 3), utc(2019, 3, 3, 8, 15), "minute"),
    ("12 juillet 2016", PAR, True, D(2016, 7, 12), None, "day"),
    ("1er mars 2017 à 08h05", PAR, True, D(2017, 3, 1), utc(2017, 3, 1, 7, 5), "minute"),
    ("3 août 2018 à 14h00", PAR, True, D(2018, 8, 3), utc(2018, 8, 3, 12, 0), "minute"),
    ("Mis à jour le 12/11/2016 à 10:32", PAR, True, D(2016, 11, 12), utc(2016, 11, 12, 9, 32), "minute"),
    ("12 de noviembre de 2016 a las 10:32", "Europe/Madrid", True, D(2016, 11, 12), utc(2016, 11, 12, 9, 32), "minute"),
    ("Sábado, 12 de noviembre de 2016", "Europe/Madrid", True, D(2016, 11, 12), None, "day"),
    ("17 dic 2018", "Europe/Madrid", True, D(2018, 12, 17), None, "day"),
    ("12 novembre 2016, ore 10:32", "Europe/Rome", True, D(2016, 11, 12), utc(2016, 11, 12, 9, 32), "minute"),
    ("7 marzo 2019 alle 18:00", "Europe/Rome", True, D(2019, 3, 7), utc(2019, 3, 7, 17, 0), "minute"),
    ("sabato 12 novembre 2016", "Europe/Rome", True, D(2016, 11, 12), None, "day"),
    ("7 de março de 2019", "Europe/Lisbon", True, D(2019, 3, 7), None, "day"),
    ("7 de julho de 2019 às 10:00", "Europe/Lisbon", True, D(2019, 7, 7), utc(2019, 7, 7, 9, 0), "minute"),
    ("12 nov 2016 om 10:32", "Europe/Amsterdam", True, D(2016, 11, 12), utc(2016, 11, 12, 9, 32), "minute"),
    ("4 maart 2019 14:15", "Europe/Amsterdam", True, D(2019, 3, 4), utc(2019, 3, 4, 13, 15), "minute"),
    ("4 mei 2019", "Europe/Amsterdam", True, D(2019, 5, 4), None, "day"),
    ("Текст: Венера Ерофеева·24 сентября 2018", "Europe/Moscow", True, D(2018, 9, 24), None, "day"),
]

NOT_DATES = [
    "",
    "No date here at all",
    "The year 1985 on 5 May 1985",
    "Version 1.2.3 of the app",
    "Call 555-1234 now",
    "12 November 2030",  # after the scrape
    "31.02.2019",
    "November 2019",
    "Russia's military said today that Syrian government troops have pressed into Aleppo",
    "Karam Al-Masri, AFP | 300 people",
    "14:53 GMT +320 November 2019",
]

RELATIVE = [
    # text, zone, scraped at, expected date, expected instant
    ("3 hours ago", "UTC", SCRAPED, D(2019, 11, 20), None),
    ("Published 22 hours ago", LON, SCRAPED, D(2019, 11, 19), None),
    ("Updated an hour ago", NY, SCRAPED, D(2019, 11, 20), None),
    ("vor 2 Stunden", BER, SCRAPED, D(2019, 11, 20), None),
    ("il y a 3 jours", PAR, SCRAPED, D(2019, 11, 17), None),
    ("hace 2 días", "Europe/Madrid", SCRAPED, D(2019, 11, 18), None),
    ("2 ore fa", "Europe/Rome", SCRAPED, D(2019, 11, 20), None),
    ("há 2 dias", "Europe/Lisbon", SCRAPED, D(2019, 11, 18), None),
    ("3 uur geleden", "Europe/Amsterdam", SCRAPED, D(2019, 11, 20), None),
    ("yesterday", LON, SCRAPED, D(2019, 11, 19), None),
    ("ayer", "Europe/Madrid", SCRAPED, D(2019, 11, 19), None),
    ("ieri", "Europe/Rome", SCRAPED, D(2019, 11, 19), None),
    ("gestern, 18:25 Uhr", BER, SCRAPED, D(2019, 11, 19), utc(2019, 11, 19, 17, 25)),
    ("hier à 10h32", PAR, SCRAPED, D(2019, 11, 19), utc(2019, 11, 19, 9, 32)),
    ("2 hours ago", NY, utc(2019, 11, 20, 0, 30), D(2019, 11, 19), None),
    ("today", "Australia/Sydney", utc(2019, 11, 20, 15, 0), D(2019, 11, 21), None),
]


@pytest.mark.parametrize(("text", "zone", "day_first", "date", "at", "precision"), TABLE)
def test_parse_date_table(text, zone, day_first, date, at, precision):
    found = parse_date(text, timezone=zone, day_first=day_first, scraped_at=SCRAPED)
    assert found is not None, text
    assert (found.date, found.at, found.precision) == (date, at, precision)
    assert (found.source, found.raw) == ("text", text)


def test_table_is_large_and_varied():
    assert len(TABLE) >= 80
    assert len({zone for _, zone, *_ in TABLE}) >= 12


@pytest.mark.parametrize("text", NOT_DATES)
def test_not_dates(text):
    assert parse_date(text, timezone=LON, scraped_at=SCRAPED) is None


@pytest.mark.parametrize(("text", "zone", "scraped_at", "date", "at"), RELATIVE)
def test_relative_dates(text, zone, scraped_at, date, at):
    found = parse_date(text, timezone=zone, scraped_at=scraped_at)
    assert found is not None
    assert (found.date, found.at) == (date, at)


@pytest.mark.parametrize("text", ["3 hours ago", "yesterday", "gestern, 18:25 Uhr"])
def test_relative_dates_need_scraped_at(text):
    assert parse_date(text, timezone=BER) is None


def test_unknown_outlet_keeps_the_printed_date():
    found = parse_date("Published 11:34 PM EST Nov 19, 2019")
    assert (found.date, found.at) == (D(2019, 11, 19), utc(2019, 11, 20, 4, 34))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.example.com/2016/11/12/story.html", D(2016, 11, 12)),
        ("https://www.theguardian.com/world/2016/nov/12/aleppo-syria", D(2016, 11, 12)),
        ("https://www.example.com/news/20161112/story", D(2016, 11, 12)),
        ("https://www.france24.com/en/20160731-syria-rebels-launch-offensive", D(2016, 7, 31)),
        ("https://www.abc.net.au/news/2019-11-19/story/11716504", D(2019, 11, 19)),
        ("https://www.vox.com/science-and-health/2019/11/8/20948348/delhi", D(2019, 11, 8)),
        ("https://dealbreaker.com/2019/11/opening-bell-11-18-19", None),
        ("https://sputniknews.com/columnists/201911181077343476-royal", None),
        ("https://example.com/story?date=2016/11/12/", None),
        ("https://20161112.example.com/x", None),
        ("https://www.example.com/2016/13/45/x", None),
    ],
)
def test_parse_url_date(url, expected):
    assert parse_url_date(url) == expected


def profile(zone: str = BER, day_first: bool = True) -> OutletProfile:
    return OutletProfile(id="x", name="X", timezone=zone, day_first=day_first)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # metadata first, even when text and URL disagree
        (dict(metadata="2016-11-12T10:00:00Z", text=["November 13, 2016"], url="/2016/11/14/x"),
         ("metadata", D(2016, 11, 12), utc(2016, 11, 12, 10, 0), "second")),
        (dict(metadata=dt.datetime(2016, 11, 12, 10, 0, tzinfo=dt.UTC)),
         ("metadata", D(2016, 11, 12), utc(2016, 11, 12, 10, 0), "second")),
        (dict(metadata=dt.datetime(2016, 11, 12, 10, 0)),  # naive: the outlet's local time
         ("metadata", D(2016, 11, 12), utc(2016, 11, 12, 9, 0), "second")),
        (dict(metadata="1478944800"), ("metadata", D(2016, 11, 12), utc(2016, 11, 12, 10, 0), "second")),
        (dict(metadata="2016-11-12"), ("metadata", D(2016, 11, 12), None, "day")),
        (dict(metadata="Sat, 12 Nov 2016 10:00:00 +0000"),
         ("metadata", D(2016, 11, 12), utc(2016, 11, 12, 10, 0), "second")),
        # unusable metadata falls through to html, then text, then URL
        (dict(metadata="soon", html="2016-11-12T11:00:00+01:00", text=["November 13, 2016"]),
         ("html", D(2016, 11, 12), utc(2016, 11, 12, 10, 0), "second")),
        (dict(metadata="2031-01-01", text=["November 13, 2016"]), ("text", D(2016, 11, 13), None, "day")),
        (dict(text=["", "Conflicts", "November 12, 2016"], url="https://p.dw.com/p/2SbNt"),
         ("text", D(2016, 11, 12), None, "day")),
        (dict(text=["Nothing", "here"], url="https://www.theguardian.com/world/2016/nov/12/x"),
         ("url", D(2016, 11, 12), None, "day")),
        # a modification is used only when nothing else is printed
        (dict(text=["Updated 3:14 PM ET, Sat November 12, 2016", "November 11, 2016"]),
         ("text", D(2016, 11, 11), None, "day")),
        (dict(text=["Updated 3:14 PM ET, Sat November 12, 2016", "Seen on November 14, 2016"]),
         ("text", D(2016, 11, 12), utc(2016, 11, 12, 20, 14), "minute")),
        (dict(text=["Updated 3:14 PM ET, Sat November 12, 2016"], profile=profile(NY, False)),
         ("text", D(2016, 11, 12), utc(2016, 11, 12, 20, 14), "minute")),
    ],
)
def test_choose_publication_date(kwargs, expected):
    kwargs.setdefault("profile", profile())
    found = choose_publication_date(scraped_at=SCRAPED, **kwargs)
    assert (found.source, found.date, found.at, found.precision) == expected


def test_choose_uses_the_outlet_zone_for_the_independent_seed():
    independent = profile(LON)
    found = choose_publication_date(text=["Wednesday 05 October 2016 18:25"], profile=independent)
    assert (found.date, found.at, found.precision) == (D(2016, 10, 5), utc(2016, 10, 5, 17, 25), "minute")
    assert found.at.astimezone(dt.timezone(dt.timedelta(hours=1))).isoformat() == "2016-10-05T18:25:00+01:00"


def test_choose_ignores_captions_and_finds_nothing_when_nothing_is_printed():
    caption = ("Karam Al-Masri, AFP | The rebel-held part of Salaheddin neighbourhood near the "
               "crossing to the government-held side in Aleppo on July 30, 2016")
    assert choose_publication_date(text=[caption], profile=profile(PAR)) is None
    assert choose_publication_date() is None


@pytest.mark.parametrize(
    ("lines", "zone", "expected"),
    [
        (["Mon 18 Nov 2019 18.54 GMT Last modified on Mon 18 Nov 2019 18.56 GMT"], LON,
         (D(2019, 11, 18), utc(2019, 11, 18, 18, 56))),
        (["PUBLISHED: 10:48, Tue, Nov 19, 2019 | UPDATED: 11:05, Tue, Nov 19, 2019"], LON,
         (D(2019, 11, 19), utc(2019, 11, 19, 11, 5))),
        (["Title", "Aktualisiert am 22.11.2016, 18:25 Uhr"], BER, (D(2016, 11, 22), utc(2016, 11, 22, 17, 25))),
        ("Mis à jour le 12/11/2016 à 10:32", PAR, (D(2016, 11, 12), utc(2016, 11, 12, 9, 32))),
        (["Actualizado: 12/11/2016 10:32h CET"], "Europe/Madrid", (D(2016, 11, 12), utc(2016, 11, 12, 9, 32))),
        (["November 19, 2019 / 12:21 AM / Updated 14 hours ago"], LON, (D(2019, 11, 19), None)),
        (["Published November 19, 2019"], LON, None),
        (["The updated rules apply"], LON, None),
    ],
)
def test_find_updated(lines, zone, expected):
    found = find_updated(lines, profile=profile(zone), scraped_at=SCRAPED)
    assert (found and (found.date, found.at)) == expected


ZONES = st.sampled_from(["UTC", LON, NY, "Asia/Kolkata", "Australia/Sydney"])
DATEY = st.text(alphabet="0123456789 .:/-,aAmMpPTZ+GMTESTNovJunimarsdeàhUhr年月日", max_size=80)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=300), DATEY), zone=ZONES, day_first=st.booleans(),
       scraped=st.one_of(st.none(), st.datetimes(min_value=dt.datetime(1995, 1, 1),
                                                  max_value=dt.datetime(2030, 1, 1))))
def test_parse_date_never_raises(text, zone, day_first, scraped):
    found = parse_date(text, timezone=zone, day_first=day_first, scraped_at=scraped)
    if found is not None:
        assert found.date >= D(1990, 1, 1)
        assert found.precision in {"day", "minute", "second"}
        assert (found.at is None) == (found.precision == "day")


@settings(max_examples=30, deadline=None)
@given(unit=st.text(alphabet="0123456789 .:/-aNov", min_size=1, max_size=12))
def test_parse_date_time_is_bounded(unit):
    text = unit * (20000 // len(unit))
    start = time.perf_counter()
    parse_date(text, scraped_at=SCRAPED)
    assert time.perf_counter() - start < 1  # linear work takes milliseconds; backtracking, minutes


def test_outlet_date_formats_come_first():
    odd = OutletProfile(id="x", name="X", timezone=LON, date_formats=("%Y%m%d-%H%M", "%d|%m|%Y"))
    found = choose_publication_date(text=["20161005-1825"], profile=odd)
    assert (found.date, found.at, found.precision) == (D(2016, 10, 5), utc(2016, 10, 5, 17, 25), "minute")
    assert choose_publication_date(text=["05|10|2016"], profile=odd).date == D(2016, 10, 5)
    assert choose_publication_date(text=["5 October 2016"], profile=odd).date == D(2016, 10, 5)
