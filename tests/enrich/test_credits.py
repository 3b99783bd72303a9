"""Bylines, credit lines and agencies: persons only, agencies under one spelling."""
from __future__ import annotations


import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decruft.enrich.credits import agencies_in, normalise_agency, parse_byline, parse_credit_line
from decruft.outlets import load_registry
from tests.support import RAW

OUTLETS = load_registry()



@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("By Jane Doe and John Smith", ["Jane Doe", "John Smith"]),
        ("By: Jane Doe", ["Jane Doe"]),
        ("Von Anna Schmidt und Peter Müller", ["Anna Schmidt", "Peter Müller"]),
        ("Par Jean Dupont et Marie Curie", ["Jean Dupont", "Marie Curie"]),
        ("Por Juan Pérez y María López", ["Juan Pérez", "María López"]),
        ("Di Mario Rossi e Luca Bianchi", ["Mario Rossi", "Luca Bianchi"]),
        ("Door Jan de Vries en Piet Jansen", ["Jan de Vries", "Piet Jansen"]),
        ("Jane Doe, Reuters", ["Jane Doe"]),
        ("By Jane Doe and John Smith, Associated Press", ["Jane Doe", "John Smith"]),
        ("By Jane Doe | AFP", ["Jane Doe"]),
        ("By Jane Doe in London", ["Jane Doe"]),
        ("By Jane Doe for The Guardian", ["Jane Doe"]),
        ("By Ursula von der Leyen", ["Ursula von der Leyen"]),
        ("By Jean-Pierre O'BRIEN", ["Jean-Pierre O'Brien"]),
        ("By FEDERICA LUSIARDI - 2019-04-10", ["Federica Lusiardi"]),
        ("Reporting by Jane Doe; Editing by John Smith", ["Jane Doe"]),
        # lines seen on news pages, with dates and roles after the names
        ("By Matthew Digby , Minh Do on Monday, November 18th, 2019 at 11:08 a.m.", ["Matthew Digby", "Minh Do"]),
        ("By Tess Bonn - 11/19/19 06:56 AM EST", ["Tess Bonn"]),
        ("Written by Rachael Link, MS, RD on November 14, 2019", ["Rachael Link"]),
        ("by Jeff Foust — November 18, 2019", ["Jeff Foust"]),
        ("By Tariq Malik, Mike Wall 2019-11-18T22:05:36Z Spaceflight", ["Tariq Malik", "Mike Wall"]),
        ("By Chris Pokorny@DawgsByNature Nov 18, 2019, 11:47am EST", ["Chris Pokorny"]),
        ("By Tim Childers - Live Science Contributor 2019-11-19T12:48:14Z Space", ["Tim Childers"]),
        ("By Umair Irfan Updated Nov 13, 2019, 10:28am EST", ["Umair Irfan"]),
        ("Von Moritz Bachmann publiziert am 30. Juli 2018", ["Moritz Bachmann"]),
        ("Texto: Venera Erofeeva", ["Venera Erofeeva"]),
        ("By Sean Martin Sean Martin", ["Sean Martin"]),
        # not persons: better no author than a wrong one
        ("By The Associated Press", []),
        ("By AFP", []),
        ("By Reuters and AFP", []),
        ("By Staff Reporter", []),
        ("By CNN Staff", []),
        ("By Our Foreign Correspondent", []),
        ("By Deutsche Welle", []),
        ("By BBC News", []),
        ("by Surur on November 19, 2019", []),
        ("By the editorial board", []),
        ("By Any Means Necessary", []),
        ("By The Numbers", []),
        ("mkg/rc", []),
        ("Image: picture-alliance/dpa", []),
        ("Russia's regime support", []),
        ("", []),
    ],
)
def test_parse_byline(line, expected):
    assert parse_byline(line, OUTLETS) == expected


@pytest.mark.parametrize(
    ("line", "authors", "agencies"),
    [
        ("mkg/rc (Reuters, AFP, dpa, AP)", [], ["Reuters", "AFP", "dpa", "AP"]),
        ("mm/kl (AFP, dpa, Reuters)", [], ["AFP", "dpa", "Reuters"]),
        ("ng/jil (AP, Reuters, Agence France-Presse, Deutsche Presse-Agentur)", [], ["AP", "Reuters", "AFP", "dpa"]),
        ("jdw/kms (Reuters, AFP, local media)", [], ["Reuters", "AFP"]),
        ("Jane Doe (AFP)", ["Jane Doe"], ["AFP"]),
        ("(AFP)", [], ["AFP"]),
        ("With AFP, dpa", [], ["AFP", "dpa"]),
        ("dpa/AFP/jdw", [], ["dpa", "AFP"]),
        ("Source: Reuters", [], ["Reuters"]),
        ("mkg/rc", [], []),
    ],
)
def test_parse_credit_line(line, authors, agencies):
    assert parse_credit_line(line, OUTLETS) == (authors, agencies)


@pytest.mark.parametrize(
    ("filename", "agencies"),
    [("000_904ced13eeab3ba9.txt", ["Reuters", "AFP", "dpa", "AP"]),
     ("001_2149dfe57713be07.txt", ["AFP", "dpa", "Reuters"])],
)
def test_dw_seed_credit_lines(filename, agencies):
    lines = (RAW / filename).read_text(encoding="utf-8").splitlines()
    credit = next(line for line in lines if line.strip().endswith(")") and "/" in line.split("(")[0])
    assert parse_credit_line(credit, OUTLETS) == ([], agencies)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("AFP", "AFP"), ("Agence France-Presse", "AFP"), ("agence france presse", "AFP"),
        ("AP", "AP"), ("Associated Press", "AP"), ("The Associated Press", "AP"),
        ("Reuters", "Reuters"), ("REUTERS", "Reuters"), ("Thomson Reuters", "Reuters"),
        ("dpa", "dpa"), ("DPA", "dpa"), ("Deutsche Presse-Agentur", "dpa"),
        ("EFE", "EFE"), ("Agencia EFE", "EFE"), ("ANSA", "ANSA"), ("KNA", "KNA"), ("epd", "epd"),
        ("Xinhua", "Xinhua"), ("TASS", "TASS"), ("ITAR-TASS", "TASS"), ("PA", "PA"),
        ("Press Association", "PA"), ("Kyodo", "Kyodo"), ("Kyodo News", "Kyodo"),
        ("Jane Doe", None), ("local media", None), ("", None),
    ],
)
def test_normalise_agency(name, expected):
    assert normalise_agency(name) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("More than 300,000 people have died. mkg/rc (Reuters, AFP, dpa, AP)", ["Reuters", "AFP", "dpa", "AP"]),
        ("Reuters, AFP", ["Reuters", "AFP"]),
        ("With material from AFP and Reuters", ["AFP", "Reuters"]),
        ("He told the German news agency dpa that the situation was dire, as AFP also reported "
         "later that day in a long dispatch from the city.", []),
        ("The rebels (who were backed by Turkey) advanced.", []),
        ("", []),
    ],
)
def test_agencies_in(text, expected):
    assert agencies_in(text) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_never_raises_and_names_look_like_names(text):
    for name in parse_byline(text, OUTLETS):
        assert len(name.split()) >= 2
        assert name[0].isupper()
    authors, agencies = parse_credit_line(text, OUTLETS)
    assert all(normalise_agency(a) == a for a in agencies)
    assert all(normalise_agency(a) == a for a in agencies_in(text))
