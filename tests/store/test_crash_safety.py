"""A run killed mid-write (kill -9) and two runs at once leave a dataset readers can trust."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.support import RAW, SEED_NAMES
from decruft.store.dataset import Dataset, DatasetLockedError, file_of
from decruft.ingest import Settings, run

DOCS = 300


def make_raw(raw: Path, count: int = DOCS) -> None:
    """count seed-like pages, each with its own closing sentence (so every hash differs)."""
    raw.mkdir()
    seeds = [(RAW / name).read_text() for name in SEED_NAMES]
    for index in range(count):
        text = seeds[index % len(seeds)] + f"\n\nThis copy is number {index} of the test corpus.\n"
        (raw / f"page_{index:04d}.txt").write_text(text)


def start_run(raw: Path, out: Path) -> subprocess.Popen:
    script = (f"from decruft.ingest import Settings, run; "
              f"run(Settings(raw={str(raw)!r}, out={str(out)!r}, batch_files=10))")
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def manifest_parts(out: Path) -> int:
    return len(list((out / "_manifest").glob("*.parquet"))) if (out / "_manifest").exists() else 0


def assert_consistent(raw: Path, out: Path) -> None:
    """Every raw file exactly once, no doc_id twice, every Parquet file opens."""
    for part in out.rglob("*.parquet"):
        pq.read_metadata(part)
    dataset = Dataset(out)
    paths = dataset.articles().column("source_path").to_pylist()
    rejects = dataset.rejects().column("source_path").to_pylist() if dataset.rejects() else []
    assert len(paths) == len(set(paths))
    ids = dataset.articles().column("doc_id").to_pylist()
    assert len(ids) == len(set(ids))
    accounted = sorted(file_of(p) for p in paths + rejects)
    assert accounted == sorted(p.name for p in raw.iterdir())


def test_a_killed_run_is_completed_by_the_next_without_duplicates(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "processed"
    make_raw(raw)
    proc = start_run(raw, out)
    wait_for(lambda: manifest_parts(out) >= 3 or proc.poll() is not None)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert manifest_parts(out) < DOCS // 10, "the run finished before it could be killed"
    for part in out.rglob("*.parquet"):
        pq.read_metadata(part)  # nothing half-written is visible under a reader's name

    report = run(Settings(raw=str(raw), out=str(out), batch_files=10))
    assert report.skipped > 0 and report.new + report.skipped == DOCS
    assert_consistent(raw, out)


def test_a_second_concurrent_run_is_refused_and_nothing_is_corrupted(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "processed"
    make_raw(raw, 150)
    proc = start_run(raw, out)
    wait_for(lambda: (out / "_state" / "run.lock").exists() or proc.poll() is not None)
    if proc.poll() is None:
        with pytest.raises(DatasetLockedError, match="another decruft run is writing"):
            run(Settings(raw=str(raw), out=str(out)))
    assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()[-2000:]
    assert_consistent(raw, out)
    assert run(Settings(raw=str(raw), out=str(out))).new == 0
