"""docs/schema.md documents every column of both datasets, with its type, and nothing else."""
from __future__ import annotations

import re

import pytest

from tests.support import PROJECT
from decruft.store.schema import ARTICLES, REJECTS, SCHEMA_VERSION

DOC = (PROJECT / "docs" / "schema.md").read_text()


def documented_columns(section: str) -> dict[str, str]:
    text = DOC.split(f"## `{section}`", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| `([a-z0-9_]+)` \| `([^`]+)` \|", text, flags=re.M))


@pytest.mark.parametrize("section, schema", [("articles", ARTICLES), ("rejects", REJECTS)])
def test_doc_matches_schema(section, schema):
    assert documented_columns(section) == {f.name: str(f.type) for f in schema}


def test_every_field_has_a_description_and_the_version_is_stated():
    for field in [*ARTICLES, *REJECTS]:
        assert field.metadata[b"description"]
    assert f"currently `{SCHEMA_VERSION}`" in DOC
