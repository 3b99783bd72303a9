"""Discovery: which files are pages, and which sidecar each page has (read without probing)."""
from __future__ import annotations

import json

from decruft.read.sources import RawFile, discover, read_documents


def test_discovery_names_each_pages_sidecar_best_first(tmp_path):
    (tmp_path / "news").mkdir()
    for name in ("a.txt", "a.txt.meta.json", "a.meta.json", "b.txt", "b.meta.json", "c.txt"):
        (tmp_path / "news" / name).write_text(json.dumps({"title": name}) if name.endswith(".json") else "Text")
    found = {f.rel_path: f.sidecar for f in discover(tmp_path) if isinstance(f, RawFile)}
    assert found == {"news/a.txt": "news/a.txt.meta.json", "news/b.txt": "news/b.meta.json", "news/c.txt": ""}


def test_a_page_takes_its_metadata_from_the_sidecar_discovery_found(tmp_path):
    (tmp_path / "a.txt").write_text("Harbour ferry returns\n\nThe ferry sails again.\n")
    (tmp_path / "a.txt.meta.json").write_text(json.dumps({"url": "https://example.org/ferry"}))
    (page,) = [f for f in discover(tmp_path) if isinstance(f, RawFile)]
    (doc,) = read_documents(page)
    assert doc.metadata_origin == "sidecar" and doc.metadata["url"] == "https://example.org/ferry"
    (tmp_path / "a.txt.meta.json").unlink()  # gone since discovery: no metadata, no failure
    (doc,) = read_documents(page)
    assert not doc.metadata and doc.metadata_origin is None


def test_a_small_page_is_read_whole_though_it_changed_size_since_discovery(tmp_path):
    page = tmp_path / "a.txt"
    page.write_text("Harbour ferry returns\n\nThe ferry sails again.\n")
    (listed,) = [f for f in discover(tmp_path) if isinstance(f, RawFile)]
    page.write_text("Harbour ferry returns\n\nThe ferry sails again, twice a day, from May.\n" * 3)
    (doc,) = read_documents(listed)  # grown: read to its end
    assert doc.data == page.read_bytes()
    page.write_text("Short now.\n")
    (doc,) = read_documents(listed)  # shrunk
    assert doc.data == b"Short now.\n"
