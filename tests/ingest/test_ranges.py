"""A large container is cleaned in record ranges, each in its own batch: the same rows as one
read of the whole file, whatever ranges a killed run left undone."""
from __future__ import annotations

import functools
import gzip
import json
import multiprocessing
import os
import random
from pathlib import Path

import pytest

from decruft.ingest import Settings, run
from decruft.ingest import runner as library
from decruft.ingest.batching import BatchStep
from decruft.store.dataset import Dataset
from tests.read.test_containers import crawl

FORK = multiprocessing.get_context("fork")
FIELDS = ("doc_id", "title", "body", "published_date", "language", "outlet_id")


def warc_gz() -> bytes:
    return crawl(60)[0]


def warc_plain() -> bytes:
    return gzip.decompress(crawl(60)[0])


def jsonl_lines() -> bytes:
    """Pages in ``text``, with blank lines, broken JSON and a record without a page between them."""
    rng, lines = random.Random(7), []
    for n in range(150):
        words = " ".join(rng.choice(["river", "council", "budget", "harbour", "vote", "school", "rain"])
                         for _ in range(60))
        lines.append(json.dumps({"text": f"Story {n}\n\n{words.capitalize()}.", "url": f"https://a.example/{n}"}))
        if n % 17 == 0:
            lines += ["", "{broken", json.dumps({"url": "https://a.example/none"})]
    return ("\n".join(lines) + "\n").encode()


def jsonl_one_member() -> bytes:
    return gzip.compress(jsonl_lines(), mtime=0)


CONTAINERS = {"crawl.warc.gz": warc_gz, "crawl.warc": warc_plain, "feed.jsonl": jsonl_lines,
              "feed.jsonl.gz": jsonl_one_member}


def raw_folder(tmp_path: Path, name: str) -> tuple[Path, int]:
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    data = CONTAINERS[name]()
    (raw / name).write_bytes(data)
    return raw, len(data)


def ingest(raw: Path, out: Path, batch_bytes: int):
    return run(Settings(raw=str(raw), out=str(out), batch_bytes=batch_bytes))


def rows(out: Path) -> tuple[dict, dict]:
    """Articles and rejects by source path; no source path twice."""
    dataset = Dataset(out)
    articles = dataset.articles().to_pylist() if dataset.articles() is not None else []
    rejects = dataset.rejects().to_pylist() if dataset.rejects() is not None else []
    paths = [r["source_path"] for r in articles + rejects]
    assert len(paths) == len(set(paths)), "a record is visible twice"
    return ({r["source_path"]: tuple(r[f] for f in FIELDS) for r in articles},
            {r["source_path"]: (r["reason"], r["detail"]) for r in rejects})


@pytest.fixture
def batches_seen(monkeypatch) -> list[list[tuple[int, int | None] | None]]:
    """The cleaning batches of each run, as the record ranges (first, last) they held."""
    seen: list = []
    original = library.CLEAN.fn

    @functools.wraps(original)
    def recording(settings, items, *args, **kwargs):
        seen.append([(i.part.first, i.part.last) if i.part else None for i in items])
        return original(settings, items, *args, **kwargs)

    monkeypatch.setattr(library, "CLEAN", BatchStep("clean", recording))
    return seen


@pytest.mark.parametrize("name", sorted(CONTAINERS))
def test_a_container_split_in_ranges_gives_the_rows_of_one_read(name, tmp_path, batches_seen):
    raw, size = raw_folder(tmp_path, name)
    ingest(raw, tmp_path / "whole", batch_bytes=10 * size)
    assert batches_seen == [[None]]
    whole = rows(tmp_path / "whole")
    assert whole[0] and len(whole[0]) + len(whole[1]) > 50
    batches_seen.clear()
    report = ingest(raw, tmp_path / "split", batch_bytes=size // 3)
    ranges = [r for batch in batches_seen for r in batch]
    assert len(batches_seen) >= 3 and all(len(batch) == 1 for batch in batches_seen)
    assert ranges[0][0] == 1 and ranges[-1][1] is None  # from the first record to the end, in order
    assert all(a[1] + 1 == b[0] for a, b in zip(ranges, ranges[1:]))
    assert report.new == 1 and report.totals.files == 1 and rows(tmp_path / "split") == whole
    entry = Dataset(tmp_path / "split").manifest()[name]
    assert entry.complete and [(r.first, r.last) for r in entry.ranges] == ranges
    batches_seen.clear()
    again = ingest(raw, tmp_path / "split", batch_bytes=size // 3)
    assert (again.skipped, again.totals.articles, batches_seen) == (1, 0, [])
    assert rows(tmp_path / "split") == whole


def test_a_run_failing_in_the_second_range_is_completed_by_the_next(tmp_path, batches_seen, monkeypatch):
    raw, size = raw_folder(tmp_path, "crawl.warc.gz")
    ingest(raw, tmp_path / "fresh", batch_bytes=size // 3)
    expected, planned = rows(tmp_path / "fresh"), [b[0] for b in batches_seen]
    recording = library.CLEAN.fn

    def failing(settings, items, *args, **kwargs):
        if any(i.part and i.part.first == planned[1][0] for i in items):
            raise OSError("storage unavailable")
        return recording(settings, items, *args, **kwargs)

    out = tmp_path / "out"
    monkeypatch.setattr(library, "CLEAN", BatchStep("clean", failing))
    with pytest.raises(OSError):
        ingest(raw, out, batch_bytes=size // 3)
    monkeypatch.setattr(library, "CLEAN", BatchStep("clean", recording))
    done = {(r.first, r.last) for r in Dataset(out).manifest()["crawl.warc.gz"].ranges}
    assert done == {planned[0]}
    batches_seen.clear()
    ingest(raw, out, batch_bytes=size // 3)
    assert [b[0] for b in batches_seen] == planned[1:]  # only the ranges not recorded
    assert rows(out) == expected


def _ingest_killed_at_second_manifest(raw: str, out: str, batch_bytes: int) -> None:
    """Ingest, dying (as kill -9 would) as the second range's batch records it."""
    original, count = Dataset.write_manifest, [0]

    def dying(self, *args, **kwargs):
        count[0] += 1
        if count[0] == 2:
            os._exit(9)
        return original(self, *args, **kwargs)

    Dataset.write_manifest = dying
    ingest(Path(raw), Path(out), batch_bytes)
    os._exit(0)


def test_a_run_killed_between_ranges_is_repaired_by_the_next(tmp_path, batches_seen):
    raw, size = raw_folder(tmp_path, "feed.jsonl")
    ingest(raw, tmp_path / "fresh", batch_bytes=size // 4)
    expected, planned = rows(tmp_path / "fresh"), [b[0] for b in batches_seen]
    out = tmp_path / "out"
    proc = FORK.Process(target=_ingest_killed_at_second_manifest, args=(str(raw), str(out), size // 4),
                        daemon=True)  # daemonic: pages cleaned inline
    proc.start()
    proc.join(120)
    assert proc.exitcode == 9
    batches_seen.clear()
    ingest(raw, out, batch_bytes=size // 4)
    assert [b[0] for b in batches_seen] == planned[1:]
    assert rows(out) == expected


def test_a_changed_container_is_redone_in_all_its_ranges(tmp_path, batches_seen):
    raw, size = raw_folder(tmp_path, "feed.jsonl")
    out = tmp_path / "out"
    ingest(raw, out, batch_bytes=size // 3)
    path = raw / "feed.jsonl"
    path.write_bytes(path.read_bytes().replace(b"Story 3\\n", b"Story three\\n"))
    batches_seen.clear()
    ingest(raw, out, batch_bytes=size // 3)
    assert len(batches_seen) >= 3
    ingest(raw, tmp_path / "fresh", batch_bytes=10 * size)
    assert rows(out) == rows(tmp_path / "fresh")


@pytest.mark.parametrize("case", ["cut", "inflated-limit"])
def test_a_cut_or_overlong_container_ends_in_its_last_range(case, tmp_path, batches_seen):
    """The file's own reject comes once, from the range where reading stops, as in one read."""
    from decruft.models import Limits

    data = crawl(60)[0]
    limits = Limits()
    if case == "cut":
        data = data[: len(data) * 5 // 8]
    else:
        limits = Limits(max_decompressed_bytes=len(gzip.decompress(data)) // 2)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "crawl.warc.gz").write_bytes(data)
    for out, batch_bytes in (("whole", 10 * len(data)), ("split", len(data) // 4)):
        run(Settings(raw=str(raw), out=str(tmp_path / out), batch_bytes=batch_bytes, limits=limits))
    assert len(batches_seen) >= 3
    whole = rows(tmp_path / "whole")
    assert list(whole[1]) == ["crawl.warc.gz"]
    assert rows(tmp_path / "split") == whole
