"""Files analytics engines like: few parts per partition, sized parts, sorted rows with
statistics, _common_metadata, and a configurable partitioning."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.support import RAW, SEED_NAMES
from decruft import clean
from decruft.store.dataset import Dataset, Layout, batch_key
from decruft.ingest import Settings, run
from decruft.store.schema import ARTICLES


def corpus(raw: Path, count: int, start: int = 0) -> None:
    """count distinct seed-like pages (each paragraph ends with its own number)."""
    raw.mkdir(exist_ok=True)
    seeds = [(RAW / name).read_text() for name in SEED_NAMES]
    for i in range(start, start + count):
        lines = [f"{line.rstrip('.')} in report {i}." if len(line) >= 40 else line
                 for line in seeds[i % len(seeds)].split("\n")]
        (raw / f"{i:04d}.txt").write_text("\n".join(lines))


def parts_per_folder(out: Path) -> Counter:
    return Counter(p.parent.relative_to(out / "articles").as_posix() for p in (out / "articles").rglob("*.parquet"))


def test_small_batches_leave_one_part_per_partition(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    corpus(raw, 40)
    run(Settings(raw=str(raw), out=str(out), batch_files=2))
    assert set(parts_per_folder(out).values()) == {1}
    corpus(raw, 10, start=40)
    run(Settings(raw=str(raw), out=str(out), batch_files=2))
    assert set(parts_per_folder(out).values()) == {1}
    assert Dataset(out).articles().num_rows == 50


def test_parts_are_cut_at_the_target_size_sorted_with_statistics(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    corpus(raw, 30)
    dataset = Dataset(out, Layout(partition_by=(), part_rows=8, row_group_rows=4))
    now = dt.datetime.now(dt.UTC)
    names = sorted(p.name for p in raw.iterdir())
    for start in range(0, 30, 3):  # ten small batches
        batch = names[start:start + 3]
        records = [clean((raw / name).read_bytes(), name=name) | {"ingested_at": now} for name in batch]
        dataset.write_batch(batch_key([(n, n) for n in batch]), records, [], [(n, n) for n in batch], now)
    dataset.compact()
    parts = sorted((out / "articles").glob("*.parquet"))
    assert [pq.ParquetFile(p).metadata.num_rows for p in parts] == [8, 8, 8, 6]
    meta = pq.ParquetFile(parts[0]).metadata
    assert meta.num_row_groups == 2
    column = ARTICLES.names.index("published_date")
    assert meta.row_group(0).column(column).statistics.has_min_max
    for part in parts:  # each row group sorted by outlet and date (nulls last)
        file = pq.ParquetFile(part)
        for group in range(file.metadata.num_row_groups):
            rows = file.read_row_group(group).to_pylist()
            keys = [(r["outlet_id"], r["published_date"] or dt.date.max) for r in rows]
            assert keys == sorted(keys)
    run(Settings(raw=str(raw), out=str(tmp_path / "ingested")))
    schema = pq.read_schema(tmp_path / "ingested" / "articles" / "_common_metadata")
    assert schema.equals(ARTICLES) and schema.field("doc_id").metadata == ARTICLES.field("doc_id").metadata


def test_a_row_group_holds_a_bounded_amount_of_memory_however_well_it_compresses(tmp_path, monkeypatch):
    """Bodies that compress a hundredfold: row groups are cut by the rows' size in memory,
    not only by their stored size (which would put them all in one)."""
    from decruft.store import dataset as store

    raw, out = tmp_path / "raw", tmp_path / "out"
    corpus(raw, 24)
    dataset = Dataset(out, Layout(partition_by=()))
    now = dt.datetime.now(dt.UTC)
    names = sorted(p.name for p in raw.iterdir())
    for start in range(0, 24, 2):
        batch = names[start:start + 2]
        records = [clean((raw / name).read_bytes(), name=name) | {"ingested_at": now, "body": "news " * 20_000}
                   for name in batch]
        dataset.write_batch(batch_key([(n, n) for n in batch]), records, [], [(n, n) for n in batch], now)
    monkeypatch.setattr(store, "ROW_GROUP_MEMORY", 500_000)  # five bodies
    dataset.compact()
    (part,) = (out / "articles").glob("*.parquet")
    file = pq.ParquetFile(part)
    groups = [file.read_row_group(i) for i in range(file.metadata.num_row_groups)]
    assert sum(g.num_rows for g in groups) == 24 and len(groups) >= 4
    assert all(g.nbytes < 2 * 500_000 for g in groups)
    assert part.stat().st_size < 24 * 100_000 / 20  # they did compress


@pytest.mark.parametrize("partition_by, folder", [(("year_month",), "year_month=2016-11"),
                                                  (("outlet",), "outlet=dw"), ((), ".")])
def test_partitioning_is_configurable_and_relaid_out(tmp_path, partition_by, folder):
    raw, out = tmp_path / "raw", tmp_path / "out"
    corpus(raw, 10)
    run(Settings(raw=str(raw), out=str(out)))
    before = Dataset(out).articles().drop_columns(["outlet", "year_month"]).sort_by("doc_id")
    run(Settings(raw=str(raw), out=str(out), layout=Layout(partition_by=partition_by)))
    assert folder in parts_per_folder(out)
    assert all(Layout(partition_by=partition_by).holds(f.strip(".")) for f in parts_per_folder(out))
    after = Dataset(out).articles()
    assert after.drop_columns(list(partition_by)).sort_by("doc_id").equals(before)


def test_partitioning_option_names_the_columns():
    assert Layout.parse_partitioning("outlet,year_month") == ("outlet", "year_month")
    assert Layout.parse_partitioning("none") == ()
    with pytest.raises(ValueError, match="partition columns"):
        Layout.parse_partitioning("outlet,outlet")
