"""Task runners, failed batches, progress and the run summary of the ingest flow."""
from __future__ import annotations

import functools
import sys

import pyarrow.dataset as pads
import pytest

from conftest import SEED_NAMES

pytestmark = pytest.mark.usefixtures("prefect_server")


def rows(out):
    table = pads.dataset(out / "articles", format="parquet", partitioning="hive").to_table()
    return {(r["doc_id"], r["body"], r["title"], r["outlet_id"])
            for r in table.select(["doc_id", "body", "title", "outlet_id"]).to_pylist()}


@pytest.mark.parametrize("runner, module", [("dask", "prefect_dask"), ("ray", "prefect_ray")])
def test_two_worker_processes_write_the_same_rows_as_threads(runner, module, seed_raw, tmp_path):
    pytest.importorskip(module, reason=f"the {runner} extra is not installed: pip install -e '.[{runner}]'")
    from flows.ingest import ingest, with_runner

    threads = ingest(raw=str(seed_raw), out=str(tmp_path / "threads"), batch_files=2)
    # A local Dask cluster or Ray instance of two worker processes, reporting to this server.
    distributed = with_runner(runner, workers=2)(raw=str(seed_raw), out=str(tmp_path / runner),
                                                 batch_files=2, runner=runner)
    assert distributed["articles"] == threads["articles"] == len(SEED_NAMES)
    assert rows(tmp_path / runner) == rows(tmp_path / "threads")


def test_a_flow_run_asking_for_another_runner_starts_a_subflow_on_it(seed_raw, tmp_path, monkeypatch):
    import flows.ingest as flow_module

    asked = []

    def spy(runner="threads", dask_address=None, workers=None):
        asked.append((runner, dask_address))
        return lambda **params: {"subflow": params}

    monkeypatch.setattr(flow_module, "with_runner", spy)
    summary = flow_module.ingest(raw=str(seed_raw), out=str(tmp_path / "out"), runner="dask",
                                 dask_address="tcp://127.0.0.1:1")
    assert asked == [("dask", "tcp://127.0.0.1:1")]
    assert summary["subflow"]["raw"] == str(seed_raw) and summary["subflow"]["runner"] == "dask"


def test_a_failing_batch_fails_the_flow_after_the_others_are_written(seed_raw, tmp_path, monkeypatch):
    import decruft.ingest as library
    import flows.ingest as flow_module

    bad = SEED_NAMES[1]
    original = library.process_batch

    @functools.wraps(original)
    def flaky(settings, items, *args):
        if any(item.file.rel_path == bad for item in items):
            raise OSError("storage unavailable")
        return original(settings, items, *args)

    monkeypatch.setattr(library, "process_batch", flaky)
    monkeypatch.setattr(flow_module, "TASK_OPTIONS", dict(flow_module.TASK_OPTIONS, retries=1,
                                                          retry_delay_seconds=0))
    out = tmp_path / "out"
    with pytest.raises(flow_module.BatchesFailedError) as failed:
        flow_module.ingest(raw=str(seed_raw), out=str(out), batch_files=1)
    assert bad in str(failed.value) and "storage unavailable" in str(failed.value)
    assert failed.value.summary["failed_files"] == [bad]
    assert failed.value.summary["articles"] == len(SEED_NAMES) - 1
    assert len(rows(out)) == len(SEED_NAMES) - 1
    monkeypatch.setattr(library, "process_batch", original)
    retry = flow_module.ingest(raw=str(seed_raw), out=str(out), batch_files=1)
    assert retry["new"] == 1 and retry["articles"] == 1 and retry["skipped"] == len(SEED_NAMES) - 1


def test_progress_listener_sees_every_batch_of_both_phases(seed_raw, tmp_path):
    from prefect.task_runners import ThreadPoolTaskRunner

    from decruft.ingest import SCAN_BATCH_FACTOR, even_sizes
    from flows.ingest import ingest, progress_listener
    from flows.runners import parallelism

    seen = []
    with progress_listener(lambda phase, done, total: seen.append((phase, done, total))):
        ingest(raw=str(seed_raw), out=str(tmp_path / "out"), batch_files=2)
    n, workers = len(SEED_NAMES), parallelism(ThreadPoolTaskRunner())
    for phase, batch_files in (("scan", 2 * SCAN_BATCH_FACTOR), ("clean", 2)):
        counts = [(done, total) for p, done, total in seen if p == phase]
        assert counts[0] == (0, n) and counts[-1] == (n, n)
        assert len(counts) == 1 + len(even_sizes(n, batch_files, workers))


def test_summary_markdown_lists_counts_rejects_and_failures():
    from collections import Counter

    from decruft.ingest import RunReport
    from flows.ingest import BatchFailure, summary_markdown

    report = RunReport(seen=7, new=6, skipped=1, seconds=2.0)
    report.totals.files, report.totals.articles = 6, 4
    report.totals.rejects = Counter(empty=1, binary=1)
    report.totals.outlets, report.totals.languages = Counter(dw=4), Counter(en=3, de=1)
    md = summary_markdown(report, "raw", "s3://bucket/out", [BatchFailure("clean", ["a.txt"], "OSError: x")])
    for text in ("| files seen | 7 |", "| new or changed | 6 |", "| skipped (already ingested) | 1 |",
                 "| articles written | 4 |", "| empty | 1 |", "| dw | 4 |", "| de | 1 |",
                 "| documents per second | 3.0 |", "`s3://bucket/out`", "| `a.txt` | clean | OSError: x |"):
        assert text in md


def test_runner_errors_are_clear(monkeypatch):
    from flows.runners import RunnerUnavailableError, task_runner

    monkeypatch.setitem(sys.modules, "prefect_ray", None)
    with pytest.raises(RunnerUnavailableError, match=r"\.\[ray\]"):
        task_runner("ray")
    with pytest.raises(ValueError, match="unknown runner"):
        task_runner("spark")
    assert type(task_runner("threads")).__name__ == "ThreadPoolTaskRunner"


def test_terminal_progress_prints_plain_lines_when_not_a_tty():
    import io

    from flows.progress import TerminalProgress

    stream = io.StringIO()
    bar = TerminalProgress(stream)
    for done in (0, 100, 200):
        bar("clean", done, 200)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("clean 0/200 files") and lines[-1].startswith("clean 200/200 files")
    assert "\r" not in stream.getvalue() and "ETA" in lines[-1]


def test_batch_arguments_pass_through_prefect_and_dask_unwalked():
    """Batches reach tasks as they are, Prefect does not walk them, and two batches with the
    same content still get two Dask keys (one shared key would run only one of them)."""
    from dask.base import tokenize
    from prefect.utilities.collections import visit_collection

    from flows.ingest import Opaque, unwrapping

    visited = []
    batch = Opaque([{"file": "a.txt"}, {"file": "b.txt"}])
    assert visit_collection(batch, visit_fn=visited.append, return_data=False) is None
    assert visited == [batch]
    assert tokenize(Opaque([1])) != tokenize(Opaque([1]))
    assert unwrapping(lambda files, n: files * n)(Opaque(["x"]), Opaque(2)) == ["x", "x"]
