"""Golden pages per outlet: every profile with fingerprints or its own patterns has a page
in its style under ``tests/outlets/<country>/<id>/`` whose cleaned record is pinned.

A profile's patterns are only worth what they match on a page shaped like the outlet's: the
golden page shows that its fingerprints resolve the outlet, that its cruft, credit and byline
patterns meet lines and that those lines leave the body, and that the article survives.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from decruft import clean
from decruft.models import OutletProfile
from decruft.outlets import load_registry

GOLDEN = Path(__file__).parent
REGISTRY = load_registry()
PATTERNED = [p for p in REGISTRY
             if p.fingerprints or p.cruft or p.credit_patterns or p.byline_patterns]


def golden_dir(profile: OutletProfile) -> Path:
    return GOLDEN / profile.country.lower() / profile.id


@cache
def golden(outlet_id: str) -> tuple[list[str], dict, dict]:
    """The page's non-blank lines, its record (one clean per page) and its expectations."""
    folder = golden_dir(REGISTRY.get(outlet_id))
    if not (folder / "page.txt").is_file() or not (folder / "expected.json").is_file():
        pytest.fail(f"outlet {outlet_id!r} has fingerprints or patterns but no golden page: "
                    f"add {folder.relative_to(GOLDEN.parents[1])}/page.txt and expected.json")
    page = (folder / "page.txt").read_bytes()
    lines = [line.strip() for line in page.decode("utf-8").splitlines() if line.strip()]
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return lines, clean(page, name="page.txt"), expected


def removed_by_text(record: dict) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for line in record["removed"]:
        found.setdefault(line["text"], set()).add(line["reason"])
    return found


def test_every_golden_folder_belongs_to_a_patterned_profile():
    folders = {path.parent.relative_to(GOLDEN).as_posix() for path in GOLDEN.glob("*/*/page.txt")}
    assert folders == {golden_dir(p).relative_to(GOLDEN).as_posix() for p in PATTERNED}


@pytest.mark.parametrize("profile", PATTERNED, ids=lambda p: p.id)
def test_fields(profile):
    _, record, expected = golden(profile.id)
    assert record.get("reject") is None
    assert record["outlet_id"] == expected["outlet_id"] == profile.id
    assert record["outlet_source"] == expected["outlet_source"]
    assert record["title"] == expected["title"]
    published = record["published_date"]
    assert (published.isoformat() if published else None) == expected["published"]
    assert record["authors"] == expected["authors"]
    assert sorted(record["agencies"]) == sorted(expected["agencies"])


@pytest.mark.parametrize("profile", PATTERNED, ids=lambda p: p.id)
def test_lines(profile):
    _, record, expected = golden(profile.id)
    removed = removed_by_text(record)
    for line in expected["removed"]:
        assert line["reason"] in removed.get(line["text"], set()), f"not removed as {line['reason']}: {line['text']!r}"
    paragraphs = record["body"].split("\n\n")
    for line in expected["kept"]:
        assert line in paragraphs, f"lost: {line!r}"


@pytest.mark.parametrize("profile", PATTERNED, ids=lambda p: p.id)
def test_every_pattern_meets_a_line(profile):
    """No pattern of the profile is dead on its outlet's own page: each cruft pattern matches
    a line that leaves the body, each credit or byline pattern a line read as one."""
    lines, record, _ = golden(profile.id)
    removed = removed_by_text(record)
    assert REGISTRY.from_text("\n".join(lines)) is profile
    checks = [(c.pattern, None) for c in profile.cruft]
    checks += [(p, "credit") for p in profile.credit_patterns]
    checks += [(p, "byline") for p in profile.byline_patterns]
    for pattern, reason in checks:
        hits = [line for line in lines if pattern.search(line)]
        assert hits, f"{profile.id}: no line of the golden page matches {pattern.pattern!r}"
        for line in hits:
            assert line in removed and (reason is None or reason in removed[line]), line
