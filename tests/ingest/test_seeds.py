"""The seeds' acceptance expectations (tests/expected.json), checked on the library's records."""
from __future__ import annotations

import re
import shutil

import pytest

from decruft import clean
from decruft.store.dataset import Dataset
from decruft.ingest import Settings, run
from tests.support import EXPECTED, RAW, SEED_NAMES


def norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", (text or "").replace("\u00a0", " ")).strip()


@pytest.fixture(scope="module", params=["clean", "ingest-10-runs-2-reprocesses"])
def records(request, tmp_path_factory) -> dict[str, dict]:
    """The seeds' records from ``decruft.clean``, and as stored by ingest after ten runs and two
    reprocesses of the same folder (the run history must change nothing)."""
    if request.param == "clean":
        return {name: clean((RAW / name).read_bytes(), name=name) for name in SEED_NAMES}
    raw, out = tmp_path_factory.mktemp("raw"), tmp_path_factory.mktemp("out")
    for name in SEED_NAMES:
        shutil.copy(RAW / name, raw / name)
    for reprocess in [False] * 10 + [True] * 2:
        run(Settings(raw=str(raw), out=str(out), reprocess=reprocess))
    return {r["source_path"]: r for r in Dataset(out).articles().to_pylist()}


@pytest.mark.parametrize("name", SEED_NAMES)
def test_title_language_outlet(records, name):
    record, expected = records[name], EXPECTED[name]
    assert norm(record["title"]) == norm(expected["title"])
    assert record["language"] == expected["language"]
    if expected.get("outlet_from_text_optional") and record["outlet_id"] == "unknown":
        return
    assert record["outlet_id"] == expected["outlet"]
    assert record["outlet_name"] == expected["outlet_name"]


@pytest.mark.parametrize("name", SEED_NAMES)
def test_publication_date(records, name):
    record, expected = records[name], EXPECTED[name]
    if expected["published"] is None:
        assert record["published_date"] is None
        return
    assert record["published_date"].isoformat() == expected["published"][:10]
    if "date_precision" in expected:
        assert record["date_precision"] == expected["date_precision"]
    if "published_utc" in expected:
        assert record["published_at"].strftime("%Y-%m-%dT%H:%MZ") == expected["published_utc"][:16] + "Z"


@pytest.mark.parametrize("name", SEED_NAMES)
def test_body_lines(records, name):
    body, expected = norm(records[name]["body"]), EXPECTED[name]
    for line in expected.get("must_remove", []):
        assert norm(line) not in body, f"kept cruft: {line!r}"
    for line in expected.get("must_keep", []):
        assert norm(line) in body, f"lost: {line!r}"
    if "body_must_start_with" in expected:
        assert body.startswith(norm(expected["body_must_start_with"]))


@pytest.mark.parametrize("name", SEED_NAMES)
def test_credits_section_description(records, name):
    record, expected = records[name], EXPECTED[name]
    if "agencies" in expected:
        assert sorted(record["agencies"]) == sorted(expected["agencies"])
    if "section" in expected:
        assert record["section"] == expected["section"]
    if "description" in expected:
        assert norm(record["description"]) == norm(expected["description"])


@pytest.mark.parametrize("name", SEED_NAMES)
def test_every_removed_line_has_a_reason(records, name):
    removed = records[name]["removed"]
    assert removed and all(r["reason"] and r["line"] >= 1 and r["text"].strip() for r in removed)
