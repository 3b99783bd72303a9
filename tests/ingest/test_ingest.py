"""The library's run steps: how files are split into batches, how batches get the learnt table."""
from __future__ import annotations

import pytest

from decruft.extract.boilerplate import LearntTable, line_key
from decruft.ingest.batching import batches, even_sizes
from decruft.ingest.state import save_learnt_table, saved_learnt_table
from decruft.read.sources import RawFile
from decruft.store.dataset import Dataset


def files(n: int, size: int = 10) -> list[RawFile]:
    return [RawFile("raw", f"{i:04d}.txt", size) for i in range(n)]


@pytest.mark.parametrize("count, max_files, workers, sizes", [
    (10, 4, 1, [4, 3, 3]),            # even sizes instead of 4, 4, 2
    (10, 4, 2, [3, 3, 2, 2]),         # three groups for two workers: four, so no one idles at the end
    (2000, 400, 2, [334, 334, 333, 333, 333, 333]),  # five groups for two workers: six
    (150, 200, 2, [75, 75]),          # one group would leave a worker idle: two halves
    (5, 200, 4, [5]),                 # ... but not groups below half of max_files
    (3, 1, 2, [1, 1, 1]),             # never more groups than files
    (0, 10, 2, []),
])
def test_even_sizes_spread_files_over_a_multiple_of_the_workers(count, max_files, workers, sizes):
    assert even_sizes(count, max_files, workers) == sizes
    assert sum(sizes) == count and all(size <= max_files for size in sizes)


def test_batches_keep_order_and_the_byte_limit():
    raw = files(10, size=10)
    split = list(batches(raw, max_files=4, max_bytes=25, parallelism=1))
    assert [f for batch in split for f in batch] == raw
    assert all(len(batch) <= 2 for batch in split)  # 25 bytes hold two 10-byte files
    assert [len(b) for b in batches(raw, max_files=4, max_bytes=10**6, parallelism=2)] == [3, 3, 2, 2]


def test_batch_tasks_read_the_saved_learnt_table_once_by_its_digest(tmp_path):
    table = LearntTable({"dw": frozenset({line_key("Menu"), line_key("Home")})}, {"b.txt": "a.txt"})
    out = str(tmp_path / "out")
    digest = save_learnt_table(Dataset(out), table)
    assert saved_learnt_table(Dataset(out), digest) is table  # the process that saved it reads nothing
    save_learnt_table(Dataset(str(tmp_path / "other")), LearntTable())  # evicts it: read back from storage
    loaded = saved_learnt_table(Dataset(out), digest)
    assert loaded is not table and loaded == table
    assert saved_learnt_table(Dataset(out), digest) is loaded
    with pytest.raises(RuntimeError, match="changed during the run"):
        saved_learnt_table(Dataset(out), "0" * 64)


def test_a_run_hands_the_callers_objects_back_to_the_garbage_collector(tmp_path):
    """A run freezes what existed before it (so full collections skip it) and unfreezes after;
    a caller's own freeze is left as it was."""
    import gc

    from decruft.ingest import Settings, run

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("Headline\n\n" + "A sentence of the article body goes here. " * 20)
    seen: list[int] = []
    run(Settings(raw=str(raw), out=str(tmp_path / "out")), log=lambda _: seen.append(gc.get_freeze_count()))
    assert seen and min(seen) > 0 and gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        run(Settings(raw=str(raw), out=str(tmp_path / "again")))
        assert gc.get_freeze_count() > frozen // 2  # not unfrozen (some frozen objects are freed)
    finally:
        gc.unfreeze()
