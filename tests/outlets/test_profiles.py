"""The outlet registry: profile validation, lookups and resolution order."""
from __future__ import annotations

import collections
from pathlib import Path

import pytest

from decruft.outlets import (
    OutletResolution,
    RegistryError,
    load_registry,
    registered_domain,
)
from tests.support import RAW


REQUIRED_IDS = (
    "dw france24 abcnews independent bbc reuters apnews afp guardian nytimes washingtonpost cnn "
    "aljazeera lemonde lefigaro spiegel zeit faz sueddeutsche elpais elmundo repubblica corriere "
    "folha publico nos nzz telegraph ft wsj bloomberg npr foxnews nbcnews cbsnews usatoday "
    "timesofindia scmp abc-au cbc"
).split()

MINIMAL = 'id = "{id}"\nname = "{name}"\ndomains = ["{domain}"]\ncountry = "GB"\n' \
          'languages = ["en"]\ntimezone = "{tz}"\n'


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def write_profile(directory: Path, filename: str, text: str) -> Path:
    path = directory / filename
    path.write_text(text, encoding="utf-8")
    return path


def test_size_and_required_outlets(registry):
    assert len(registry) >= 60
    assert len({profile.country for profile in registry}) >= 12
    missing = [oid for oid in REQUIRED_IDS if registry.get(oid) is None]
    assert missing == []


def test_default_registry_is_cached():
    assert load_registry() is load_registry()


def test_profiles_live_in_their_country_folder(registry):
    for profile in registry:
        path = Path(profile.source_file)
        assert path.parent.name == profile.country.lower(), path
        assert path.stem == profile.id, path


def test_us_outlets_read_month_first(registry):
    for profile in registry:
        assert profile.day_first is (profile.country != "US"), profile.id


@pytest.mark.parametrize(
    ("oid", "domain", "timezone", "day_first"),
    [
        ("dw", "dw.com", "Europe/Berlin", True),
        ("france24", "france24.com", "Europe/Paris", True),
        ("abcnews", "abcnews.go.com", "America/New_York", False),
        ("independent", "independent.co.uk", "Europe/London", True),
        ("abc-au", "abc.net.au", "Australia/Sydney", True),
    ],
)
def test_seed_outlet_facts(registry, oid, domain, timezone, day_first):
    profile = registry.get(oid)
    assert domain in profile.domains
    assert profile.timezone == timezone
    assert profile.day_first is day_first


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("DW", "dw"),
        ("Deutsche Welle", "dw"),
        ("dw.com", "dw"),
        ("Deutsche-Welle", "dw"),
        ("deutsche welle", "dw"),
        ("The Guardian", "guardian"),
        ("theguardian", "guardian"),
        ("www.theguardian.com", "guardian"),
        ("Süddeutsche Zeitung", "sueddeutsche"),
        ("Suddeutsche Zeitung", "sueddeutsche"),
        ("The New York Times", "nytimes"),
        ("New York Times", "nytimes"),
        ("FRANCE 24", "france24"),
        ("Independent", "independent"),
        ("ABC News", "abcnews"),
        ("ABC Australia", "abc-au"),
        ("El País", "elpais"),
        ("el pais", "elpais"),
        ("Associated Press", "apnews"),
        ("news.bbc.co.uk", "bbc"),
        ("Some Local Paper", None),
        ("", None),
        ("...", None),
    ],
)
def test_lookup(registry, name, expected):
    profile = registry.lookup(name)
    assert (profile.id if profile else None) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://p.dw.com/p/2SbNt", "dw"),
        ("https://www.dw.com/en/some-story/a-36354540", "dw"),
        ("https://edition.cnn.com/2016/11/12/world/x.html", "cnn"),
        ("http://abcnews.go.com/International/story?id=43808380", "abcnews"),
        ("https://www.independent.co.uk/news/world/x.html", "independent"),
        ("https://www.france24.com/en/20160731-syria", "france24"),
        ("https://www.abc.net.au/news/2019-11-19/x/11716504", "abc-au"),
        ("HTTPS://WWW.BBC.CO.UK:443/news", "bbc"),
        ("theguardian.com/world", "guardian"),
        ("https://go.com/", None),
        ("https://example.com/dw.com", None),
        ("not a url", None),
        ("", None),
    ],
)
def test_from_url(registry, url, expected):
    profile = registry.from_url(url)
    assert (profile.id if profile else None) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://news.example-herald.net/a/b", "example-herald.net"),
        ("https://www.example.co.uk/x", "example.co.uk"),
        ("https://a.b.example.com.au/", "example.com.au"),
        ("https://example.org", "example.org"),
        ("http://192.168.0.1/x", "192.168.0.1"),
        ("nonsense", None),
    ],
)
def test_registered_domain(url, expected):
    assert registered_domain(url) == expected


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("000_904ced13eeab3ba9.txt", "dw"),
        ("001_2149dfe57713be07.txt", "dw"),
        ("004_81023f64912881cb.txt", "independent"),
    ],
)
def test_seed_outlets_from_text_alone(registry, filename, expected):
    text = (RAW / filename).read_text(encoding="utf-8")
    resolution = registry.resolve(metadata=None, folder=None, url=None, text=text)
    assert resolution.outlet_id == expected
    assert resolution.source == "text"


@pytest.mark.parametrize(
    "text",
    [
        "The minister told DW and FRANCE 24 that the talks had failed.",
        "An independent inquiry found no evidence. Independent experts agreed.",
        "Reuters and AFP reported the story. Copyright The Associated Press.",
        "",
    ],
)
def test_from_text_ignores_mentions(registry, text):
    assert registry.from_text(text) is None


def test_from_text_sees_both_ends_of_long_pages(registry):
    filler = "Lorem ipsum dolor sit amet. " * 2000
    assert registry.from_text(filler + "More stories from DW").id == "dw"
    assert registry.from_text("Skip to more DW sites\n" + filler).id == "dw"
    assert registry.from_text(filler[:5000] + "More stories from DW" + filler) is None


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        (dict(metadata="Deutsche Welle", folder="cnn", url="https://www.bbc.co.uk/x", text=""),
         ("dw", "metadata")),
        (dict(metadata="Unknown Gazette", folder="cnn", url="https://www.bbc.co.uk/x", text=""),
         ("cnn", "folder")),
        (dict(metadata=None, folder="misc", url="https://www.bbc.co.uk/x", text="DW's Top Story"),
         ("bbc", "url")),
        (dict(metadata=None, folder=None, url="https://news.example-herald.net/x",
              text="DW's Top Story"), ("dw", "text")),
        (dict(metadata=None, folder=None, url="https://news.example-herald.net/x", text="hello"),
         ("example-herald.net", "url")),
        # an unregistered outlet named by metadata is kept as given, before text fingerprints
        # (a syndicated copy names its publisher) and before the URL's registered domain
        (dict(metadata="Al Bawaba", folder=None, url=None, text="DW's Top Story"),
         ("al-bawaba", "metadata")),
        (dict(metadata="news.example-herald.net", folder=None, url="https://example-herald.net/x", text=""),
         ("news.example-herald.net", "metadata")),
        (dict(metadata="https://www.blogs.example-herald.net/", folder=None, url=None, text=""),
         ("blogs.example-herald.net", "metadata")),
        # a registered parent domain still names its outlet; the page's own site name is no metadata
        (dict(metadata="news.dw.com", folder=None, url=None, text=""), ("dw", "metadata")),
        (dict(metadata=None, sitename="Example Herald", folder=None, url="https://news.example-herald.net/x",
              text="hello"), ("example-herald.net", "url")),
        (dict(metadata=None, sitename="Deutsche Welle", folder="cnn", url=None, text=""), ("dw", "metadata")),
        (dict(metadata=None, folder=None, url=None, text="hello"), (None, "unknown")),
        (dict(metadata="", folder="", url="", text=""), (None, "unknown")),
    ],
)
def test_resolve_order(registry, evidence, expected):
    resolution = registry.resolve(**evidence)
    assert isinstance(resolution, OutletResolution)
    assert (resolution.outlet_id, resolution.source) == expected
    if resolution.profile is None and resolution.source == "metadata":
        assert resolution.name == evidence["metadata"].strip()
    elif resolution.outlet_id and "." in resolution.outlet_id:
        assert resolution.profile is None
    elif resolution.outlet_id:
        assert resolution.profile.id == resolution.outlet_id


def test_dw_cruft_and_credit_patterns(registry):
    dw = registry.get("dw")
    reasons = {
        line: next((c.reason for c in dw.cruft if c.pattern.search(line)), None)
        for line in ("Skip next section Explore more", "Skip next section DW's Top Story",
                     "DW's Top Story", "3. Skip to more DW sites", "Russia hits back")
    }
    assert reasons == {
        "Skip next section Explore more": "navigation",
        "Skip next section DW's Top Story": "navigation",
        "DW's Top Story": "promo",
        "3. Skip to more DW sites": "navigation",
        "Russia hits back": None,
    }
    credit = dw.credit_patterns[0]
    assert credit.search("mkg/rc (Reuters, AFP, dpa, AP)")
    assert credit.search("mm/kl (AFP, dpa, Reuters)")
    assert not credit.search("Rebels (and others) fled/left")


def test_extra_dirs_add_and_override(tmp_path):
    write_profile(tmp_path, "herald.toml", MINIMAL.format(
        id="herald", name="Example Herald", domain="example-herald.net", tz="Europe/London"))
    write_profile(tmp_path, "dw.toml", MINIMAL.format(
        id="dw", name="Deutsche Welle", domain="dw.com", tz="Europe/Berlin"))
    registry = load_registry([tmp_path])
    assert registry.from_url("https://news.example-herald.net/x").id == "herald"
    assert registry.get("dw").country == "GB"
    assert registry.get("dw").fingerprints == ()
    assert load_registry().get("dw").country == "DE"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('id = "x"\nname = "X"\n', "missing keys"),
        (MINIMAL.format(id="x", name="X", domain="x.test", tz="Mars/Olympus"), "unknown time zone"),
        (MINIMAL.format(id="x", name="X", domain="x.test", tz="UTC") + 'fingerprints = ["(unclosed"]\n',
         "bad regex"),
        (MINIMAL.format(id="x", name="X", domain="x.test", tz="UTC") + 'colour = "red"\n', "unknown keys"),
        (MINIMAL.format(id="x", name="X", domain="x.test", tz="UTC").replace('"GB"', '"Britain"'),
         "ISO 3166"),
        ("id = ", "invalid TOML"),
    ],
)
def test_invalid_profiles_fail_with_file_name(tmp_path, text, message):
    path = write_profile(tmp_path, "broken.toml", text)
    with pytest.raises(RegistryError, match=message) as info:
        load_registry([tmp_path])
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("second", "message"),
    [
        (MINIMAL.format(id="a", name="Other", domain="other.test", tz="UTC"), "duplicate id"),
        (MINIMAL.format(id="b", name="Other", domain="a.test", tz="UTC"), "duplicate domain"),
        (MINIMAL.format(id="b", name="A Paper", domain="other.test", tz="UTC"), "duplicate name"),
    ],
)
def test_duplicates_fail(tmp_path, second, message):
    write_profile(tmp_path, "a.toml", MINIMAL.format(id="a", name="A Paper", domain="a.test", tz="UTC"))
    write_profile(tmp_path, "b.toml", second)
    with pytest.raises(RegistryError, match=message):
        load_registry([tmp_path])


def test_builtin_names_are_unambiguous(registry):
    owners = collections.defaultdict(set)
    for profile in registry:
        for domain in profile.domains:
            owners[domain].add(profile.id)
    assert {d: o for d, o in owners.items() if len(o) > 1} == {}
