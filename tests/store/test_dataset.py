"""Parquet parts, the manifest, leftovers of interrupted runs and the run lock."""
from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from decruft.store.dataset import Dataset, DatasetLockedError, batch_key, file_of, partition_of
from decruft.models import Reject
from decruft.store.schema import ARTICLES, SCHEMA_VERSION

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def record(path: str, outlet: str = "dw", published: dt.date | None = dt.date(2016, 11, 12)) -> dict:
    row = {name: None for name in ARTICLES.names}
    row.update(doc_id=path[:16], source_path=path, source_sha256="ab" * 32, source_format="text",
               outlet_id=outlet, outlet_source="text", language="en", body="Text.", word_count=1,
               extractor="text", pipeline_version="t", ingested_at=NOW, published_date=published,
               authors=[], agencies=[], removed=[{"line": 1, "text": "Menu", "reason": "navigation"}])
    return row


def test_batch_writes_partitioned_parts_then_manifest(tmp_path):
    dataset = Dataset(tmp_path)
    files = [("a.txt", "1" * 64), ("b.txt", "2" * 64), ("c.txt", "3" * 64)]
    parts = dataset.write_batch(batch_key(files), [record("a.txt"), record("b.txt", "unknown", None)],
                                [Reject("c.txt", "3" * 64, "empty", "nothing")], files, NOW)
    assert sorted(p.split("/part-")[0] for p in parts) == [
        "articles/outlet=dw/year_month=2016-11", "articles/outlet=unknown/year_month=unknown", "rejects"]
    assert set(dataset.manifest()) == {"a.txt", "b.txt", "c.txt"}
    table = dataset.articles()
    assert sorted(table.column("source_path").to_pylist()) == ["a.txt", "b.txt"]
    assert set(table.column_names) >= set(ARTICLES.names) | {"outlet", "year_month"}
    meta = pq.read_schema(tmp_path / parts[0]).metadata
    assert meta[b"decruft.schema_version"] == SCHEMA_VERSION.encode()
    assert dataset.rejects().column("reason").to_pylist() == ["empty"]
    assert not list(tmp_path.rglob("*.tmp"))


def test_redoing_a_batch_overwrites_instead_of_duplicating(tmp_path):
    dataset = Dataset(tmp_path)
    files = [("a.txt", "1" * 64)]
    for _ in range(2):
        dataset.write_batch(batch_key(files), [record("a.txt")], [], files, NOW)
    assert dataset.articles().num_rows == 1


def test_the_manifest_is_read_again_when_another_writer_changed_it(tmp_path):
    reader, writer = Dataset(tmp_path), Dataset(tmp_path)  # as a run and a worker elsewhere
    assert reader.manifest() == {}
    writer.write_batch("one", [record("a.txt")], [], [("a.txt", "1" * 64)], NOW)
    assert set(reader.manifest()) == {"a.txt"}
    later = NOW + dt.timedelta(hours=1)
    writer.write_batch("two", [dict(record("a.txt"), ingested_at=later)], [], [("a.txt", "2" * 64)], later)
    assert reader.manifest()["a.txt"].source_sha256 == "2" * 64
    assert reader.has_superseded_rows()
    reader.manifest().clear()  # a caller's copy: what the next caller gets is whole
    assert set(reader.manifest()) == {"a.txt"}


def test_leftovers_of_an_interrupted_batch_are_removed(tmp_path):
    dataset = Dataset(tmp_path)
    files = [("a.txt", "1" * 64)]
    dataset.write_batch(batch_key(files), [record("a.txt")], [], files, NOW)
    orphan = tmp_path / "articles/outlet=dw/year_month=2016-11/part-orphan.parquet"
    orphan.write_bytes((tmp_path / dataset.manifest()["a.txt"].parts[0]).read_bytes())
    half = tmp_path / "rejects" / "part-x.parquet.123.tmp"
    half.parent.mkdir()
    half.write_bytes(b"PAR1 half a file")
    removed = dataset.remove_leftovers()
    assert sorted(removed) == sorted([str(orphan), str(half)])
    assert dataset.articles().num_rows == 1


def test_a_second_run_refuses_the_lock_with_a_clear_message(tmp_path):
    dataset = Dataset(tmp_path)
    with dataset.lock():
        with pytest.raises(DatasetLockedError, match="another decruft run"):
            with Dataset(tmp_path).lock():
                pass
    with dataset.lock():  # released
        pass


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    (tmp_path / "_state").mkdir()
    (tmp_path / "_state" / "run.lock").write_text("999999999\n")
    with Dataset(tmp_path).lock():
        pass


@pytest.mark.parametrize("outlet, expected", [("dw", "dw"), ("example-herald.net", "example-herald.net"),
                                              ("../../etc", ".._.._etc"), ("", "unknown"), (None, "unknown")])
def test_partition_values_are_safe_path_segments(outlet, expected):
    assert partition_of({"outlet_id": outlet, "published_date": None}) == (expected, "unknown")


def test_batch_key_is_order_independent_and_content_sensitive():
    assert batch_key([("a", "1"), ("b", "2")]) == batch_key([("b", "2"), ("a", "1")])
    assert batch_key([("a", "1")]) != batch_key([("a", "2")])


@pytest.mark.parametrize("path, expected", [("crawl.warc.gz#17", "crawl.warc.gz"), ("a#b.txt", "a#b.txt"),
                                            ("dir/pages.jsonl#3", "dir/pages.jsonl")])
def test_file_of(path, expected):
    assert file_of(path) == expected


def ingest_twice_with_a_change(tmp_path):
    """a.txt ingested, then changed and ingested again: two rows with one doc_id."""
    dataset = Dataset(tmp_path)
    later = NOW + dt.timedelta(hours=1)
    first, second = [("a.txt", "1" * 64), ("b.txt", "2" * 64)], [("a.txt", "9" * 64)]
    dataset.write_batch(batch_key(first), [record("a.txt"), record("b.txt")], [], first, NOW)
    changed = dict(record("a.txt"), body="New text.", ingested_at=later)
    dataset.write_batch(batch_key(second), [changed], [], second, later)
    return dataset


def test_compaction_keeps_the_newest_row_per_doc_id(tmp_path):
    dataset = ingest_twice_with_a_change(tmp_path)
    assert dataset.articles().num_rows == 3
    report = dataset.compact()
    table = dataset.articles()
    assert sorted(table.column("source_path").to_pylist()) == ["a.txt", "b.txt"]
    assert "New text." in table.column("body").to_pylist()
    assert (report.rows_before, report.rows_after, report.files_after) == (3, 2, 1)
    assert len(list((tmp_path / "_manifest").glob("*.parquet"))) == 1
    assert set(dataset.manifest()) == {"a.txt", "b.txt"}
    assert dataset.remove_leftovers() == []


def test_a_reject_superseded_by_an_article_disappears(tmp_path):
    dataset = Dataset(tmp_path)
    dataset.write_batch("one", [], [Reject("a.txt", "1" * 64, "empty", "x")], [("a.txt", "1" * 64)], NOW)
    later = NOW + dt.timedelta(hours=1)
    dataset.write_batch("two", [dict(record("a.txt"), ingested_at=later)], [], [("a.txt", "2" * 64)], later)
    dataset.compact()
    assert dataset.rejects() is None and dataset.articles().num_rows == 1


def test_an_interrupted_compaction_is_finished_or_forgotten(tmp_path, monkeypatch):
    dataset = ingest_twice_with_a_change(tmp_path)
    monkeypatch.setattr(Dataset, "_settle_compactions", lambda self: [])
    dataset.compact()  # crashed after committing, before deleting the old files
    monkeypatch.undo()
    assert dataset.remove_leftovers()
    assert dataset.articles().num_rows == 2


def test_parts_of_an_older_schema_version_still_read(tmp_path):
    """A part written before columns were added reads with nulls in the new columns."""
    dataset = Dataset(tmp_path)
    files = [("new.txt", "1" * 64)]
    dataset.write_batch(batch_key(files), [record("new.txt")], [], files, NOW)
    older = [f for f in ARTICLES if f.name not in ("updated_at", "metadata_sources", "scraped_at")]
    old_schema = pa.schema(older, metadata={"decruft.schema_version": "0"})
    row = {k: v for k, v in record("old.txt").items() if k in old_schema.names}
    old_dir = tmp_path / "articles" / "outlet=dw" / "year_month=2016-11"
    pq.write_table(pa.Table.from_pylist([row], schema=old_schema), old_dir / "part-old.parquet")
    table = dataset.articles().sort_by("source_path")
    assert table.column("source_path").to_pylist() == ["new.txt", "old.txt"]
    assert table.column("updated_at").to_pylist() == [None, None]
